//! `GET /v1/customers/`: one page, every page, or every customer.

use super::Customers;
use crate::Request;
use crate::operation::operation;
use crate::types::{
    Customer, CustomerSortProperty, CustomersListParams, MetadataValue, OrganizationId,
};

operation!(CustomersListParams => pages of Customer, sorted by CustomerSortProperty);

/// Request of `GET /v1/customers/`, from [`Customers::list`].
///
/// `.await` (or [`send`](Request::send)) returns one page; [`stream`](Request::stream) yields
/// every customer of every page and [`pages`](Request::pages) every page.
pub type ListCustomers = Request<CustomersListParams>;

impl Customers {
    /// `GET /v1/customers/`: one page of customers, or all of them as a stream.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// # client.customers().create().email("setup@polar.sh").external_id("user_42").await?;
    /// use futures_util::TryStreamExt;
    /// use polar_customers::types::CustomerSortProperty;
    ///
    /// // One page.
    /// let page = client.customers().list().limit(50).sorting([CustomerSortProperty::EmailDesc]).await?;
    /// println!("{} customers in total", page.pagination.total_count);
    ///
    /// // Every customer with `plan=pro` in the metadata, page after page.
    /// let mut all = client.customers().list().metadata("plan", "pro").stream();
    /// while let Some(customer) = all.try_next().await? {
    ///     println!("{:?}", customer.email());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> ListCustomers {
        self.client.request(CustomersListParams::default())
    }
}

impl ListCustomers {
    /// Only customers of this organization (repeat to allow several).
    pub fn organization_id(mut self, id: OrganizationId) -> Self {
        self.params.organization_id.push(id);
        self
    }

    /// Only customers of these organizations (added to those already set).
    pub fn organization_ids(mut self, ids: impl IntoIterator<Item = OrganizationId>) -> Self {
        self.params.organization_id.extend(ids);
        self
    }

    /// Only the customer with this email (exact, case-insensitive).
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.params.email = Some(email.into());
        self
    }

    /// Free-text search in email, name, billing name and external ID prefix.
    pub fn query(mut self, query: impl Into<String>) -> Self {
        self.params.query = Some(query.into());
        self
    }

    /// Only customers with (`true`) or without (`false`) an active subscription.
    pub fn active(mut self, active: bool) -> Self {
        self.params.active = Some(active);
        self
    }

    /// Only customers whose metadata `key` equals `value`. Repeat a key to accept any of its
    /// values; different keys must all match. Sent as `metadata[key]=value`.
    ///
    /// The value is a [`MetadataValue`], as for the create and update setters: a string, a
    /// whole number or a boolean (Polar's filter compares those; a float is sent as its text).
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<MetadataValue>) -> Self {
        self.params
            .metadata
            .push((key.into(), value.into().to_string()));
        self
    }
}
