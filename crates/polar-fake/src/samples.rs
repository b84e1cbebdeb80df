//! Ready-made customer state for seeding a fake ([`FakePolar::add_subscription`] and friends).
//!
//! [`FakePolar::add_subscription`]: crate::FakePolar::add_subscription
//!
//! ```
//! use polar_fake::{FakePolar, samples};
//! use polar_types::{BenefitType, SubscriptionStatus};
//!
//! let fake = FakePolar::new();
//! # let id = polar_types::CustomerId::new_v4();
//! // `id` is a customer created through the API.
//! let seeded = fake.add_subscription(id, &samples::subscription(SubscriptionStatus::Active, 1900));
//! assert!(!seeded, "no such customer in this fake");
//! let _grant = samples::benefit_grant(BenefitType::Custom);
//! let _meter = samples::meter(12.5, 100);
//! ```

use jiff::{SignedDuration, Timestamp};
use polar_types::{
    BenefitGrantCustomProperties, BenefitGrantId, BenefitGrantProperties, BenefitId, BenefitType,
    CustomerMeterId, CustomerPaymentMethodCard, CustomerPaymentMethodGeneric,
    CustomerStateBenefitGrant, CustomerStateMeter, CustomerStateSubscription, Metadata, MeterId,
    Nullable, PaymentMethod, PaymentMethodCardMetadata, PaymentMethodId, PaymentProcessor,
    ProductId, RecurringInterval, SubscriptionId, SubscriptionStatus,
};
use serde_json::Map;

fn now() -> Timestamp {
    crate::rules::to_micros(Timestamp::now())
}

/// A monthly USD subscription to a new product, started now, in `status`, costing `amount` cents.
///
/// Only `active` and `trialing` subscriptions show in the customer state; `past_due` ones
/// (status `SubscriptionStatus::Unknown("past_due".into())`) still count as active for the
/// list's `active` filter.
pub fn subscription(status: SubscriptionStatus, amount: i64) -> CustomerStateSubscription {
    let start = now();
    let end = start
        .checked_add(SignedDuration::from_hours(24 * 30))
        .unwrap_or(start);
    let trialing = status == SubscriptionStatus::Trialing;
    CustomerStateSubscription {
        id: SubscriptionId::new_v4(),
        created_at: start,
        modified_at: None,
        custom_field_data: Some(Default::default()),
        metadata: Metadata::new(),
        status,
        amount,
        currency: "usd".into(),
        recurring_interval: RecurringInterval::Month,
        current_period_start: start,
        current_period_end: end,
        trial_start: trialing.then_some(start),
        trial_end: trialing.then_some(end),
        cancel_at_period_end: false,
        canceled_at: None,
        started_at: Some(start),
        ends_at: None,
        product_id: ProductId::new_v4(),
        discount_id: None,
        meters: Vec::new(),
        seats: Nullable::Absent,
        units: Nullable::Absent,
        extra: Map::new(),
    }
}

/// A grant of a new benefit of `benefit_type`, granted now, with empty properties (`{}`).
pub fn benefit_grant(benefit_type: BenefitType) -> CustomerStateBenefitGrant {
    let at = now();
    CustomerStateBenefitGrant {
        id: BenefitGrantId::new_v4(),
        created_at: at,
        modified_at: None,
        granted_at: at,
        benefit_id: BenefitId::new_v4(),
        benefit_type,
        benefit_metadata: Metadata::new(),
        properties: BenefitGrantProperties::Custom(BenefitGrantCustomProperties {
            extra: Map::new(),
        }),
        extra: Map::new(),
    }
}

/// A meter of a new meter id with `consumed_units` used out of `credited_units`
/// (`balance = credited - consumed`).
pub fn meter(consumed_units: f64, credited_units: i64) -> CustomerStateMeter {
    let at = now();
    CustomerStateMeter {
        id: CustomerMeterId::new_v4(),
        created_at: at,
        modified_at: None,
        meter_id: MeterId::new_v4(),
        consumed_units,
        credited_units,
        balance: credited_units as f64 - consumed_units,
        extra: Map::new(),
    }
}

/// A saved card of `brand` ending in `last4`, expiring in December 2030 (for
/// [`FakePolar::add_payment_method`](crate::FakePolar::add_payment_method); the customer is set
/// when it is saved).
pub fn card(brand: &str, last4: &str) -> PaymentMethod {
    PaymentMethod::Card(CustomerPaymentMethodCard {
        id: PaymentMethodId::new_v4(),
        created_at: now(),
        modified_at: None,
        processor: PaymentProcessor::Stripe,
        customer_id: polar_types::CustomerId::new_v4(),
        method_metadata: PaymentMethodCardMetadata {
            brand: brand.to_owned(),
            last4: last4.to_owned(),
            exp_month: 12,
            exp_year: 2030,
            wallet: Nullable::Null,
            extra: Map::new(),
        },
        is_default: false,
        extra: Map::new(),
    })
}

/// A saved payment method that is not a card, of Stripe's `kind` (such as `sepa_debit`).
pub fn payment_method(kind: &str) -> PaymentMethod {
    PaymentMethod::Generic(CustomerPaymentMethodGeneric {
        id: PaymentMethodId::new_v4(),
        created_at: now(),
        modified_at: None,
        processor: PaymentProcessor::Stripe,
        customer_id: polar_types::CustomerId::new_v4(),
        r#type: kind.to_owned(),
        is_default: false,
        extra: Map::new(),
    })
}
