//! Accessors shared by the variants of [`Customer`] and [`CustomerState`], so callers need not
//! match on the customer type for the common fields.

use crate::{Customer, CustomerId, CustomerState, Metadata, OrganizationId};

macro_rules! common_accessors {
    ($ty:ident) => {
        impl $ty {
            /// The customer's ID; `None` only for a customer type this SDK does not know and whose
            /// `id` cannot be read.
            pub fn id(&self) -> Option<CustomerId> {
                match self {
                    Self::Individual(c) => Some(c.id),
                    Self::Team(c) => Some(c.id),
                    Self::Unknown(v) => v
                        .get("id")
                        .and_then(|v| v.as_str())
                        .and_then(|s| s.parse().ok()),
                }
            }

            /// The customer's email address, when it has one.
            pub fn email(&self) -> Option<&str> {
                match self {
                    Self::Individual(c) => Some(&c.email),
                    Self::Team(c) => c.email.as_deref(),
                    Self::Unknown(v) => v.get("email").and_then(|v| v.as_str()),
                }
            }

            /// The merchant's own ID for the customer, when set.
            pub fn external_id(&self) -> Option<&str> {
                match self {
                    Self::Individual(c) => c.external_id.as_deref(),
                    Self::Team(c) => c.external_id.as_deref(),
                    Self::Unknown(v) => v.get("external_id").and_then(|v| v.as_str()),
                }
            }

            /// The customer's name, when set.
            pub fn name(&self) -> Option<&str> {
                match self {
                    Self::Individual(c) => c.name.as_deref(),
                    Self::Team(c) => c.name.as_deref(),
                    Self::Unknown(v) => v.get("name").and_then(|v| v.as_str()),
                }
            }

            /// The organization the customer belongs to.
            pub fn organization_id(&self) -> Option<OrganizationId> {
                match self {
                    Self::Individual(c) => Some(c.organization_id),
                    Self::Team(c) => Some(c.organization_id),
                    Self::Unknown(v) => v
                        .get("organization_id")
                        .and_then(|v| v.as_str())
                        .and_then(|s| s.parse().ok()),
                }
            }

            /// The customer's metadata; `None` for an unknown customer type.
            pub fn metadata(&self) -> Option<&Metadata> {
                match self {
                    Self::Individual(c) => Some(&c.metadata),
                    Self::Team(c) => Some(&c.metadata),
                    Self::Unknown(_) => None,
                }
            }

            /// The customer type as Polar writes it (`individual`, `team`, or an unknown one).
            pub fn type_name(&self) -> Option<&str> {
                match self {
                    Self::Individual(_) => Some("individual"),
                    Self::Team(_) => Some("team"),
                    Self::Unknown(v) => v.get("type").and_then(|v| v.as_str()),
                }
            }
        }
    };
}

common_accessors!(Customer);
common_accessors!(CustomerState);
