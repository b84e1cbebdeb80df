//! `GET` a customer, or its state, by Polar ID or external ID.

use super::Customers;
use crate::Request;
use crate::operation::operation;
use crate::types::{
    Customer, CustomerId, CustomerState, CustomersGetExternalParams, CustomersGetParams,
    CustomersGetStateExternalParams, CustomersGetStateParams,
};

operation!(CustomersGetParams => Customer);
operation!(CustomersGetExternalParams => Customer);
operation!(CustomersGetStateParams => CustomerState);
operation!(CustomersGetStateExternalParams => CustomerState);

/// Request of `GET /v1/customers/{id}`, from [`Customers::get`].
pub type GetCustomer = Request<CustomersGetParams>;
/// Request of `GET /v1/customers/external/{external_id}`, from [`Customers::get_external`].
pub type GetCustomerExternal = Request<CustomersGetExternalParams>;
/// Request of `GET /v1/customers/{id}/state`, from [`Customers::get_state`].
pub type GetCustomerState = Request<CustomersGetStateParams>;
/// Request of `GET /v1/customers/external/{external_id}/state`, from
/// [`Customers::get_state_external`].
pub type GetCustomerStateExternal = Request<CustomersGetStateExternalParams>;

impl Customers {
    /// `GET /v1/customers/{id}`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// # let id = client.customers().create().email("setup@polar.sh").external_id("user_42").await?.id();
    /// let customer = client.customers().get(id).await?;
    /// assert_eq!(customer.id(), id);
    /// # Ok(()) }
    /// ```
    pub fn get(&self, id: CustomerId) -> GetCustomer {
        self.client.request(CustomersGetParams { id })
    }

    /// `GET /v1/customers/external/{external_id}`: the customer with this external ID.
    ///
    /// The ID is sent as one path segment whatever it contains (`/`, `?`, `#`, `..`, unicode).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// # client.customers().create().email("setup@polar.sh").external_id("user_42").await?;
    /// let customer = client.customers().get_external("user_42").await?;
    /// assert_eq!(customer.external_id(), Some("user_42"));
    /// # Ok(()) }
    /// ```
    pub fn get_external(&self, external_id: impl Into<String>) -> GetCustomerExternal {
        self.client.request(CustomersGetExternalParams {
            external_id: external_id.into(),
        })
    }

    /// `GET /v1/customers/{id}/state`: the customer with its active subscriptions, granted
    /// benefits and active meters.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// # let id = client.customers().create().email("setup@polar.sh").external_id("user_42").await?.id();
    /// let state = client.customers().get_state(id).await?;
    /// # let _ = state;
    /// # Ok(()) }
    /// ```
    pub fn get_state(&self, id: CustomerId) -> GetCustomerState {
        self.client.request(CustomersGetStateParams { id })
    }

    /// `GET /v1/customers/external/{external_id}/state`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// # client.customers().create().email("setup@polar.sh").external_id("user_42").await?;
    /// let state = client.customers().get_state_external("user_42").await?;
    /// # let _ = state;
    /// # Ok(()) }
    /// ```
    pub fn get_state_external(&self, external_id: impl Into<String>) -> GetCustomerStateExternal {
        self.client.request(CustomersGetStateExternalParams {
            external_id: external_id.into(),
        })
    }
}
