//! Typed identifiers: each wraps a UUID, so an organization ID cannot be passed where a customer
//! ID is expected.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! uuid_id {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps a UUID.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The UUID inside.
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }

            /// A new random (version 4) ID, as Polar makes them.
            pub fn new_v4() -> Self {
                Self(Uuid::new_v4())
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0.hyphenated())
            }
        }
    )*};
}

uuid_id! {
    /// ID of a customer.
    CustomerId;
    /// ID of an organization (a merchant account on Polar).
    OrganizationId;
    /// ID of a saved payment method.
    PaymentMethodId;
    /// ID of a subscription.
    SubscriptionId;
    /// ID of a product.
    ProductId;
    /// ID of a discount.
    DiscountId;
    /// ID of a benefit.
    BenefitId;
    /// ID of a benefit grant (one benefit granted to one customer).
    BenefitGrantId;
    /// ID of a meter.
    MeterId;
    /// ID of a customer's meter balance.
    CustomerMeterId;
    /// ID of a subscription's meter.
    SubscriptionMeterId;
    /// ID of a member of a team customer.
    MemberId;
    /// ID of a customer-portal session.
    CustomerSessionId;
}
