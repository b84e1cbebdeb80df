//! A customer's state as the cache holds it, and the questions apps ask of it.

use std::sync::Arc;

use polar_customers::CustomerState;
use polar_customers::types::{
    BenefitId, BenefitType, CustomerStateBenefitGrant, CustomerStateMeter,
    CustomerStateSubscription, MeterId, ProductId,
};
use serde_json::Value;

use crate::stamp::Stamp;

/// A cached customer state: cheap to clone, never changed (a newer state is a new value).
///
/// Answers the usual questions without a `match` on the customer kind; a kind this SDK does
/// not know yet is read from its raw JSON.
#[derive(Clone, Debug)]
pub struct CachedState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    state: CustomerState,
    stamp: Stamp,
    /// The lists of a customer kind the generated types do not know, decoded from its JSON.
    unknown_kind: Option<Lists>,
}

#[derive(Debug, Default)]
struct Lists {
    active_subscriptions: Vec<CustomerStateSubscription>,
    granted_benefits: Vec<CustomerStateBenefitGrant>,
    active_meters: Vec<CustomerStateMeter>,
}

fn decode_list<T: serde::de::DeserializeOwned>(raw: &Value, key: &str) -> Vec<T> {
    // Each item on its own: one item of an unforeseen shape must not hide the others.
    raw.get(key)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| T::deserialize(item).ok())
                .collect()
        })
        .unwrap_or_default()
}

impl CachedState {
    pub(crate) fn new(state: CustomerState, stamp: Stamp) -> CachedState {
        let unknown_kind = match &state {
            CustomerState::Individual(_) | CustomerState::Team(_) => None,
            CustomerState::Unknown(u) => Some(Lists {
                active_subscriptions: decode_list(u.raw(), "active_subscriptions"),
                granted_benefits: decode_list(u.raw(), "granted_benefits"),
                active_meters: decode_list(u.raw(), "active_meters"),
            }),
            #[allow(unreachable_patterns)]
            _ => Some(Lists::default()),
        };
        CachedState {
            inner: Arc::new(Inner {
                state,
                stamp,
                unknown_kind,
            }),
        }
    }

    /// The state as Polar sent it.
    pub fn state(&self) -> &CustomerState {
        &self.inner.state
    }

    /// When this state was already true on Polar's clock, and where it came from.
    pub fn stamp(&self) -> Stamp {
        self.inner.stamp
    }

    /// The three lists, whatever the customer kind.
    fn lists(
        &self,
    ) -> (
        &[CustomerStateSubscription],
        &[CustomerStateBenefitGrant],
        &[CustomerStateMeter],
    ) {
        match (&self.inner.state, &self.inner.unknown_kind) {
            (CustomerState::Individual(s), _) => (
                &s.active_subscriptions,
                &s.granted_benefits,
                &s.active_meters,
            ),
            (CustomerState::Team(s), _) => (
                &s.active_subscriptions,
                &s.granted_benefits,
                &s.active_meters,
            ),
            (_, Some(l)) => (
                &l.active_subscriptions,
                &l.granted_benefits,
                &l.active_meters,
            ),
            (_, None) => (&[], &[], &[]),
        }
    }

    /// The customer's active (or trialing) subscriptions.
    pub fn active_subscriptions(&self) -> &[CustomerStateSubscription] {
        self.lists().0
    }

    /// The benefits currently granted to the customer.
    pub fn granted_benefits(&self) -> &[CustomerStateBenefitGrant] {
        self.lists().1
    }

    /// The customer's active meters with their balances.
    pub fn active_meters(&self) -> &[CustomerStateMeter] {
        self.lists().2
    }

    /// Whether the benefit is granted to the customer.
    pub fn has_benefit(&self, benefit: BenefitId) -> bool {
        self.granted_benefits()
            .iter()
            .any(|g| g.benefit_id == benefit)
    }

    /// Whether the customer has an active (or trialing) subscription to the product.
    pub fn has_active_subscription(&self, product: ProductId) -> bool {
        self.active_subscriptions()
            .iter()
            .any(|s| s.product_id == product)
    }

    /// The balance of the meter (credited less consumed units), if the customer has it.
    pub fn meter_balance(&self, meter: MeterId) -> Option<f64> {
        self.active_meters()
            .iter()
            .find(|m| m.meter_id == meter)
            .map(|m| m.balance)
    }

    /// The granted benefits of one type (for example every license key or feature flag).
    pub fn benefits_of_type<'a>(
        &'a self,
        benefit_type: &'a BenefitType,
    ) -> impl Iterator<Item = &'a CustomerStateBenefitGrant> + 'a {
        self.granted_benefits()
            .iter()
            .filter(move |g| &g.benefit_type == benefit_type)
    }

    /// Whether Polar marked the customer deleted (a deleted customer has no access).
    pub(crate) fn is_deleted(state: &CustomerState) -> bool {
        match state {
            CustomerState::Individual(s) => s.deleted_at.is_some(),
            CustomerState::Team(s) => s.deleted_at.is_some(),
            CustomerState::Unknown(u) => u.raw().get("deleted_at").is_some_and(|v| !v.is_null()),
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }
}
