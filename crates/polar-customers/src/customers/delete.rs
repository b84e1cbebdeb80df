//! `DELETE` a customer by Polar ID or external ID.

use super::Customers;
use crate::Request;
use crate::operation::operation;
use crate::types::{CustomerId, CustomersDeleteExternalParams, CustomersDeleteParams};

operation!(CustomersDeleteParams => ());
operation!(CustomersDeleteExternalParams => ());

/// Request of `DELETE /v1/customers/{id}`, from [`Customers::delete`]. The answer is 204 with
/// no body.
///
/// When an attempt's answer is lost (the connection broke, the attempt timed out) or a gateway
/// answers 502/504, the transport retries the DELETE, and the retry may find the customer
/// already gone: a 404 then means the earlier attempt deleted it, and the call succeeds. Any
/// other 404 is [`Error::Api`](crate::Error::Api) (`is_not_found()`), also after retries of
/// answers that say nothing was done (429, 503, a refused connection).
pub type DeleteCustomer = Request<CustomersDeleteParams>;

/// Request of `DELETE /v1/customers/external/{external_id}`, from
/// [`Customers::delete_external`]; see [`DeleteCustomer`] for a 404 after a retry.
pub type DeleteCustomerExternal = Request<CustomersDeleteExternalParams>;

impl Customers {
    /// `DELETE /v1/customers/{id}`: soft-deletes the customer (answer 204).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// # let id = client.customers().create().email("setup@polar.sh").external_id("user_42").await?.id();
    /// client.customers().delete(id).anonymize(true).await?;
    /// # Ok(()) }
    /// ```
    pub fn delete(&self, id: CustomerId) -> DeleteCustomer {
        self.client.request(CustomersDeleteParams {
            id,
            anonymize: None,
        })
    }

    /// `DELETE /v1/customers/external/{external_id}`: soft-deletes the customer (answer 204).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// # client.customers().create().email("setup@polar.sh").external_id("user_42").await?;
    /// client.customers().delete_external("user_42").await?;
    /// # Ok(()) }
    /// ```
    pub fn delete_external(&self, external_id: impl Into<String>) -> DeleteCustomerExternal {
        self.client.request(CustomersDeleteExternalParams {
            external_id: external_id.into(),
            anonymize: None,
        })
    }
}

impl_each!(DeleteCustomer, DeleteCustomerExternal => {
    /// Also hash the email and name, clear the billing address and mark the metadata
    /// (`?anonymize=true`).
    pub fn anonymize(mut self, anonymize: bool) -> Self {
        self.params.anonymize = Some(anonymize);
        self
    }
});
