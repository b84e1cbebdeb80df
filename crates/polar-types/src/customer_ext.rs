//! What every customer has, whatever its kind: the unknown variant of [`Customer`] and
//! [`CustomerState`] keeps it typed, and accessors shared by the variants read it without a
//! `match` on the customer type.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Customer, CustomerId, CustomerState, Metadata, OrganizationId};

/// A customer (or customer state) of a kind this version of the SDK does not know.
///
/// What every customer has is typed: a body without a string `type`, a UUID `id` and
/// `organization_id`, and a `metadata` object is not a customer, and fails to decode. All the
/// JSON Polar sent is kept in [`raw`](Self::raw), and written back unchanged.
#[derive(Clone, Debug, PartialEq)]
pub struct UnknownCustomer {
    id: CustomerId,
    organization_id: OrganizationId,
    type_name: String,
    email: Option<String>,
    external_id: Option<String>,
    name: Option<String>,
    metadata: Metadata,
    raw: Value,
}

/// The fields every customer kind has, read from the raw JSON.
#[derive(Deserialize)]
struct Common {
    id: CustomerId,
    organization_id: OrganizationId,
    #[serde(rename = "type")]
    type_name: String,
    metadata: Metadata,
    // Optional on team customers, so possibly absent on a new kind.
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    external_id: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

impl crate::support::UnknownVariant for UnknownCustomer {
    fn from_json(raw: Value) -> Result<Self, String> {
        let common = Common::deserialize(&raw).map_err(|e| {
            format!(
                "not a customer (a string `type`, UUIDs `id` and `organization_id` and a \
                 `metadata` object are expected): {e}"
            )
        })?;
        Ok(UnknownCustomer {
            id: common.id,
            organization_id: common.organization_id,
            type_name: common.type_name,
            email: common.email,
            external_id: common.external_id,
            name: common.name,
            metadata: common.metadata,
            raw,
        })
    }
}

impl Serialize for UnknownCustomer {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(serializer)
    }
}

impl UnknownCustomer {
    /// The customer's ID.
    pub fn id(&self) -> CustomerId {
        self.id
    }

    /// The organization the customer belongs to.
    pub fn organization_id(&self) -> OrganizationId {
        self.organization_id
    }

    /// The customer type as Polar writes it.
    pub fn type_name(&self) -> &str {
        &self.type_name
    }

    /// The customer's email address, when it has one.
    pub fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }

    /// The merchant's own ID for the customer, when set.
    pub fn external_id(&self) -> Option<&str> {
        self.external_id.as_deref()
    }

    /// The customer's name, when set.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The customer's metadata.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// Everything Polar sent, `type` included.
    pub fn raw(&self) -> &Value {
        &self.raw
    }
}

macro_rules! common_accessors {
    ($ty:ident) => {
        impl $ty {
            /// The customer's ID.
            pub fn id(&self) -> CustomerId {
                match self {
                    Self::Individual(c) => c.id,
                    Self::Team(c) => c.id,
                    Self::Unknown(c) => c.id(),
                }
            }

            /// The customer's email address, when it has one.
            pub fn email(&self) -> Option<&str> {
                match self {
                    Self::Individual(c) => Some(&c.email),
                    Self::Team(c) => c.email.as_deref(),
                    Self::Unknown(c) => c.email(),
                }
            }

            /// The merchant's own ID for the customer, when set.
            pub fn external_id(&self) -> Option<&str> {
                match self {
                    Self::Individual(c) => c.external_id.as_deref(),
                    Self::Team(c) => c.external_id.as_deref(),
                    Self::Unknown(c) => c.external_id(),
                }
            }

            /// The customer's name, when set.
            pub fn name(&self) -> Option<&str> {
                match self {
                    Self::Individual(c) => c.name.as_deref(),
                    Self::Team(c) => c.name.as_deref(),
                    Self::Unknown(c) => c.name(),
                }
            }

            /// The organization the customer belongs to.
            pub fn organization_id(&self) -> OrganizationId {
                match self {
                    Self::Individual(c) => c.organization_id,
                    Self::Team(c) => c.organization_id,
                    Self::Unknown(c) => c.organization_id(),
                }
            }

            /// The customer's metadata.
            pub fn metadata(&self) -> &Metadata {
                match self {
                    Self::Individual(c) => &c.metadata,
                    Self::Team(c) => &c.metadata,
                    Self::Unknown(c) => c.metadata(),
                }
            }

            /// The customer type as Polar writes it (`individual`, `team`, or an unknown one).
            pub fn type_name(&self) -> &str {
                match self {
                    Self::Individual(_) => "individual",
                    Self::Team(_) => "team",
                    Self::Unknown(c) => c.type_name(),
                }
            }
        }
    };
}

common_accessors!(Customer);
common_accessors!(CustomerState);
