//! The Customers API: the eleven operations on customers, a customer's saved payment methods, and
//! the handles of its team members ([`Members`](crate::Members)). One file per operation
//! family: its request type, its constructor on [`Customers`] and its setters.

use crate::Client;
use crate::members::{Members, MembersExternal};
use crate::types::CustomerId;

mod create;
mod delete;
mod ensure;
mod export;
mod get;
mod list;
mod payment_methods;
mod update;

pub use create::CreateCustomer;
pub use delete::{DeleteCustomer, DeleteCustomerExternal};
pub use ensure::{EnsureExternal, EnsureExternalParams};
pub use export::ExportCustomers;
pub use get::{GetCustomer, GetCustomerExternal, GetCustomerState, GetCustomerStateExternal};
pub use list::ListCustomers;
pub use payment_methods::{ListPaymentMethods, ListPaymentMethodsExternal};
pub use update::{UpdateCustomer, UpdateCustomerExternal};

/// The operations on customers, from [`Client::customers`].
#[derive(Clone, Debug)]
pub struct Customers {
    client: Client,
}

impl Customers {
    pub(crate) fn new(client: Client) -> Self {
        Customers { client }
    }

    /// The team members of the customer with this Polar ID: list, add, get, update, remove.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// # let id = client.customers().create().email("setup@polar.sh").external_id("user_42").await?.id();
    /// # let team = client.customers().create().team().email("team@polar.sh").external_id("team_7").await?.id();
    /// let ada = client.customers().members(team).create("ada@polar.sh").await?;
    /// # let _ = ada;
    /// # Ok(()) }
    /// ```
    pub fn members(&self, id: CustomerId) -> Members {
        Members::new(self.client.clone(), id)
    }

    /// The team members of the customer with this external ID; members are then found by
    /// their external IDs.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// # let id = client.customers().create().email("setup@polar.sh").external_id("user_42").await?.id();
    /// # let team = client.customers().create().team().email("team@polar.sh").external_id("team_7").await?.id();
    /// let members = client.customers().members_external("team_7");
    /// members.create("ada@polar.sh").external_id("user_ada").await?;
    /// members.update("user_ada").name("Ada").await?;
    /// # Ok(()) }
    /// ```
    pub fn members_external(&self, external_id: impl Into<String>) -> MembersExternal {
        MembersExternal::new(self.client.clone(), external_id.into())
    }
}
