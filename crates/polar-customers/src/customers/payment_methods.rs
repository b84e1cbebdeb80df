//! `GET /v1/customers/{id}/payment-methods` and its by-external-ID twin: a customer's saved
//! payment methods, page by page.

use super::Customers;
use crate::Request;
use crate::operation::operation;
use crate::types::{
    CustomerId, CustomersListPaymentMethodsExternalParams, CustomersListPaymentMethodsParams,
    PaymentMethod,
};

operation!(CustomersListPaymentMethodsParams => pages of PaymentMethod);
operation!(CustomersListPaymentMethodsExternalParams => pages of PaymentMethod);

/// Request of `GET /v1/customers/{id}/payment-methods`, from [`Customers::payment_methods`].
///
/// `.await` returns one page (newest first); [`stream`](Request::stream) yields every payment
/// method of every page and [`pages`](Request::pages) every page. A method's
/// [`is_default`](crate::types::CustomerPaymentMethodCard::is_default) tells whether it is the
/// customer's default one.
pub type ListPaymentMethods = Request<CustomersListPaymentMethodsParams>;

/// Request of `GET /v1/customers/external/{external_id}/payment-methods`, from
/// [`Customers::payment_methods_external`]; see [`ListPaymentMethods`].
pub type ListPaymentMethodsExternal = Request<CustomersListPaymentMethodsExternalParams>;

impl Customers {
    /// `GET /v1/customers/{id}/payment-methods`: the customer's saved payment methods.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// # let id = client.customers().create().email("setup@polar.sh").external_id("user_42").await?.id();
    /// use futures_util::TryStreamExt;
    /// use polar_customers::types::PaymentMethod;
    ///
    /// let mut methods = client.customers().payment_methods(id).stream();
    /// while let Some(method) = methods.try_next().await? {
    ///     if let PaymentMethod::Card(card) = method {
    ///         println!("{} ending in {}", card.method_metadata.brand, card.method_metadata.last4);
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn payment_methods(&self, id: CustomerId) -> ListPaymentMethods {
        self.client.request(CustomersListPaymentMethodsParams {
            id,
            page: None,
            limit: None,
        })
    }

    /// `GET /v1/customers/external/{external_id}/payment-methods`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// # client.customers().create().email("setup@polar.sh").external_id("user_42").await?;
    /// let page = client.customers().payment_methods_external("user_42").limit(5).await?;
    /// println!("{} saved payment methods", page.pagination.total_count);
    /// # Ok(()) }
    /// ```
    pub fn payment_methods_external(
        &self,
        external_id: impl Into<String>,
    ) -> ListPaymentMethodsExternal {
        self.client
            .request(CustomersListPaymentMethodsExternalParams {
                external_id: external_id.into(),
                page: None,
                limit: None,
            })
    }
}
