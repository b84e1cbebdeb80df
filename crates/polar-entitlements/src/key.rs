//! How the application names a customer: Polar's ID or its own external ID.

use polar_customers::CustomerId;

/// A customer, by Polar's ID or by the application's own external ID.
///
/// Both name one cache entry: once a state is known, its external ID maps to its Polar ID. A
/// string is always an external ID, even when it looks like a UUID.
///
/// ```
/// use polar_entitlements::CustomerKey;
/// let by_external = CustomerKey::from("user_42");
/// let by_id = CustomerKey::from(polar_customers::CustomerId::new_v4());
/// assert_ne!(by_external, by_id);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CustomerKey {
    /// Polar's customer ID.
    Id(CustomerId),
    /// The external ID the application set on the customer.
    External(String),
}

impl From<CustomerId> for CustomerKey {
    fn from(id: CustomerId) -> Self {
        CustomerKey::Id(id)
    }
}

impl From<&str> for CustomerKey {
    fn from(external_id: &str) -> Self {
        CustomerKey::External(external_id.to_owned())
    }
}

impl From<String> for CustomerKey {
    fn from(external_id: String) -> Self {
        CustomerKey::External(external_id)
    }
}

impl From<&String> for CustomerKey {
    fn from(external_id: &String) -> Self {
        CustomerKey::External(external_id.clone())
    }
}

impl From<&CustomerKey> for CustomerKey {
    fn from(key: &CustomerKey) -> Self {
        key.clone()
    }
}
