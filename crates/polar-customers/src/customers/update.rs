//! `PATCH` a customer by Polar ID or external ID: only the fields set are sent.

use super::Customers;
use crate::Request;
use crate::operation::operation;
use crate::types::{
    AddressInput, Customer, CustomerId, CustomerType, CustomerUpdate, CustomerUpdateExternalId,
    CustomersUpdateExternalParams, CustomersUpdateParams, Metadata, MetadataValue, Nullable,
};

operation!(CustomersUpdateParams => Customer);
operation!(CustomersUpdateExternalParams => Customer);

/// Request of `PATCH /v1/customers/{id}`, from [`Customers::update`].
///
/// Only the fields set are sent. With nothing set the body is `{}` (the customer is returned
/// unchanged).
pub type UpdateCustomer = Request<CustomersUpdateParams>;

/// Request of `PATCH /v1/customers/external/{external_id}`, from
/// [`Customers::update_external`].
pub type UpdateCustomerExternal = Request<CustomersUpdateExternalParams>;

impl Customers {
    /// `PATCH /v1/customers/{id}`: changes only the fields set on the builder.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// # let id = client.customers().create().email("setup@polar.sh").external_id("user_42").await?.id();
    /// // Sends {"name":"Ada King","locale":null}: sets the name, clears the locale.
    /// let customer = client.customers().update(id).name("Ada King").clear_locale().await?;
    /// # let _ = customer;
    /// # Ok(()) }
    /// ```
    pub fn update(&self, id: CustomerId) -> UpdateCustomer {
        self.client.request(CustomersUpdateParams {
            id,
            body: CustomerUpdate::default(),
        })
    }

    /// `PATCH /v1/customers/external/{external_id}`: like [`update`](Self::update), but the
    /// external ID and the customer type cannot be changed this way.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// # client.customers().create().email("setup@polar.sh").external_id("user_42").await?;
    /// let customer = client.customers().update_external("user_42").metadata("plan", "team").await?;
    /// # let _ = customer;
    /// # Ok(()) }
    /// ```
    pub fn update_external(&self, external_id: impl Into<String>) -> UpdateCustomerExternal {
        self.client.request(CustomersUpdateExternalParams {
            external_id: external_id.into(),
            body: CustomerUpdateExternalId::default(),
        })
    }
}

// Both update bodies have these fields: each is left out (unchanged), set, or, with
// `clear_*`, sent as `null` (cleared).
impl_each!(UpdateCustomer, UpdateCustomerExternal => {
    /// Sets the email (re-checks uniqueness; the email becomes unverified).
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.params.body.email = Nullable::Value(email.into());
        self
    }

    /// Sets the name (at most 256 characters).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.params.body.name = Nullable::Value(name.into());
        self
    }

    /// Clears the name (sends `"name": null`).
    pub fn clear_name(mut self) -> Self {
        self.params.body.name = Nullable::Null;
        self
    }

    /// Sets, clears (`Nullable::Null`) or leaves out (`Nullable::Absent`) the name.
    pub fn name_patch(mut self, name: Nullable<String>) -> Self {
        self.params.body.name = name;
        self
    }

    /// Adds one metadata entry to the metadata sent. The server replaces the whole
    /// metadata with what is sent, so include every key to keep.
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<MetadataValue>) -> Self {
        self.params
            .body
            .metadata
            .get_or_insert_with(Metadata::default)
            .insert(key.into(), value.into());
        self
    }

    /// Replaces the metadata with this map (`Metadata::new()` removes every key).
    pub fn metadata_map(mut self, metadata: Metadata) -> Self {
        self.params.body.metadata = Some(metadata);
        self
    }

    /// Removes every metadata key (sends `"metadata": {}`).
    pub fn clear_metadata(mut self) -> Self {
        self.params.body.metadata = Some(Metadata::default());
        self
    }

    /// Sets the billing address (it cannot be cleared once set).
    pub fn billing_address(mut self, address: AddressInput) -> Self {
        self.params.body.billing_address = Nullable::Value(address);
        self
    }

    /// Sets the tax ID.
    pub fn tax_id(mut self, tax_id: impl Into<String>) -> Self {
        self.params.body.tax_id = Nullable::Value(tax_id.into());
        self
    }

    /// Clears the tax ID (sends `"tax_id": null`).
    pub fn clear_tax_id(mut self) -> Self {
        self.params.body.tax_id = Nullable::Null;
        self
    }

    /// Sets the locale (BCP 47).
    pub fn locale(mut self, locale: impl Into<String>) -> Self {
        self.params.body.locale = Nullable::Value(locale.into());
        self
    }

    /// Clears the locale (sends `"locale": null`).
    pub fn clear_locale(mut self) -> Self {
        self.params.body.locale = Nullable::Null;
        self
    }
});

impl UpdateCustomer {
    /// Sets the external ID (allowed once: a set external ID cannot be changed).
    pub fn external_id(mut self, external_id: impl Into<String>) -> Self {
        self.params.body.external_id = Nullable::Value(external_id.into());
        self
    }

    /// Changes the customer type (only individual → team is allowed).
    pub fn customer_type(mut self, customer_type: CustomerType) -> Self {
        self.params.body.r#type = Nullable::Value(customer_type);
        self
    }
}
