//! `PATCH` a customer by Polar ID or external ID: only the fields set are sent.

use http::Method;

use crate::builder::{awaitable, request_options, send_json};
use crate::path::{encode_segment, join};
use crate::request::{Call, CallOptions, ResponseFuture};
use crate::types::{
    AddressInput, Customer, CustomerId, CustomerType, CustomerUpdate, CustomerUpdateExternalId,
    Metadata, MetadataValue, Nullable, Validate,
};
use crate::{Client, Error};

/// Setters shared by both update builders: each field is left out (unchanged), set, or, with
/// `clear_*`, sent as `null` (cleared).
macro_rules! update_setters {
    ($body:ty) => {
        /// Uses this complete body, replacing whatever was set before.
        pub fn body(mut self, body: $body) -> Self {
            self.body = body;
            self
        }

        /// Sets the email (re-checks uniqueness; the email becomes unverified).
        pub fn email(mut self, email: impl Into<String>) -> Self {
            self.body.email = Nullable::Value(email.into());
            self
        }

        /// Sets the name (at most 256 characters).
        pub fn name(mut self, name: impl Into<String>) -> Self {
            self.body.name = Nullable::Value(name.into());
            self
        }

        /// Clears the name (sends `"name": null`).
        pub fn clear_name(mut self) -> Self {
            self.body.name = Nullable::Null;
            self
        }

        /// Sets, clears (`Nullable::Null`) or leaves out (`Nullable::Absent`) the name.
        pub fn name_patch(mut self, name: Nullable<String>) -> Self {
            self.body.name = name;
            self
        }

        /// Adds one metadata entry to the metadata sent. The server replaces the whole
        /// metadata with what is sent, so include every key to keep.
        pub fn metadata(mut self, key: impl Into<String>, value: impl Into<MetadataValue>) -> Self {
            self.body
                .metadata
                .get_or_insert_with(Metadata::default)
                .insert(key.into(), value.into());
            self
        }

        /// Replaces the metadata with this map (`Metadata::new()` removes every key).
        pub fn metadata_map(mut self, metadata: Metadata) -> Self {
            self.body.metadata = Some(metadata);
            self
        }

        /// Removes every metadata key (sends `"metadata": {}`).
        pub fn clear_metadata(mut self) -> Self {
            self.body.metadata = Some(Metadata::default());
            self
        }

        /// Sets the billing address (it cannot be cleared once set).
        pub fn billing_address(mut self, address: AddressInput) -> Self {
            self.body.billing_address = Nullable::Value(address);
            self
        }

        /// Sets the tax ID.
        pub fn tax_id(mut self, tax_id: impl Into<String>) -> Self {
            self.body.tax_id = Nullable::Value(tax_id.into());
            self
        }

        /// Clears the tax ID (sends `"tax_id": null`).
        pub fn clear_tax_id(mut self) -> Self {
            self.body.tax_id = Nullable::Null;
            self
        }

        /// Sets the locale (BCP 47).
        pub fn locale(mut self, locale: impl Into<String>) -> Self {
            self.body.locale = Nullable::Value(locale.into());
            self
        }

        /// Clears the locale (sends `"locale": null`).
        pub fn clear_locale(mut self) -> Self {
            self.body.locale = Nullable::Null;
            self
        }

        request_options!();
    };
}

/// Builder of `PATCH /v1/customers/{id}`, from [`Customers::update`](super::Customers::update).
///
/// Only the fields set are sent. With nothing set the body is `{}` (the customer is returned
/// unchanged).
#[derive(Clone, Debug)]
#[must_use = "a request builder does nothing until awaited"]
pub struct UpdateCustomer {
    pub(super) client: Client,
    pub(super) id: CustomerId,
    pub(super) body: CustomerUpdate,
    pub(super) options: CallOptions,
}

impl UpdateCustomer {
    update_setters!(CustomerUpdate);

    /// Sets the external ID (allowed once: a set external ID cannot be changed).
    pub fn external_id(mut self, external_id: impl Into<String>) -> Self {
        self.body.external_id = Nullable::Value(external_id.into());
        self
    }

    /// Changes the customer type (only individual → team is allowed).
    pub fn customer_type(mut self, customer_type: CustomerType) -> Self {
        self.body.r#type = Nullable::Value(customer_type);
        self
    }

    /// Sends the request; the answer is the updated customer.
    pub fn send(self) -> ResponseFuture<Customer> {
        let build = || -> Result<Call, Error> {
            self.body.validate()?;
            Ok(Call::new(
                Method::PATCH,
                crate::types::CustomersUpdateParams::PATH,
                join("/v1/customers/", &self.id.to_string(), ""),
            )
            .json_body(&self.body)?
            .options(self.options.clone()))
        };
        let call = build();
        send_json(self.client, call)
    }
}

awaitable!(UpdateCustomer => Customer);

/// Builder of `PATCH /v1/customers/external/{external_id}`, from
/// [`Customers::update_external`](super::Customers::update_external).
#[derive(Clone, Debug)]
#[must_use = "a request builder does nothing until awaited"]
pub struct UpdateCustomerExternal {
    pub(super) client: Client,
    pub(super) external_id: String,
    pub(super) body: CustomerUpdateExternalId,
    pub(super) options: CallOptions,
}

impl UpdateCustomerExternal {
    update_setters!(CustomerUpdateExternalId);

    /// Sends the request; the answer is the updated customer.
    pub fn send(self) -> ResponseFuture<Customer> {
        let build = || -> Result<Call, Error> {
            let segment = encode_segment("external_id", &self.external_id)?;
            self.body.validate()?;
            Ok(Call::new(
                Method::PATCH,
                crate::types::CustomersUpdateExternalParams::PATH,
                join("/v1/customers/external/", &segment, ""),
            )
            .json_body(&self.body)?
            .options(self.options.clone()))
        };
        let call = build();
        send_json(self.client, call)
    }
}

awaitable!(UpdateCustomerExternal => Customer);
