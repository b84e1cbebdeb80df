//! `GET /v1/customers/`: one page, every page, or every customer.

use http::Method;

use super::ROUTE_LIST;
use crate::builder::{awaitable, paging, request_options, send_json};
use crate::request::{Call, CallOptions, ResponseFuture};
use crate::types::{
    Customer, CustomerSortProperty, CustomersListParams, ListResource, MetadataValue,
    OrganizationId, Validate,
};
use crate::{Client, Error};

/// The list call for `params`, checked against Polar's rules first.
fn list_call(params: &CustomersListParams, options: &CallOptions) -> Result<Call, Error> {
    params.validate()?;
    Ok(Call::new(Method::GET, ROUTE_LIST, ROUTE_LIST.to_owned())
        .query(params.query_pairs())
        .options(options.clone()))
}

/// Builder of `GET /v1/customers/`, from [`Customers::list`](super::Customers::list).
///
/// `.await` (or [`send`](Self::send)) returns one page; [`stream`](Self::stream) yields every
/// customer of every page and [`pages`](Self::pages) every page.
#[derive(Clone, Debug)]
#[must_use = "a request builder does nothing until awaited"]
pub struct ListCustomers {
    pub(super) client: Client,
    pub(super) query: CustomersListParams,
    pub(super) options: CallOptions,
}

impl ListCustomers {
    /// Only customers of this organization (repeat to allow several).
    pub fn organization_id(mut self, id: OrganizationId) -> Self {
        self.query.organization_id.push(id);
        self
    }

    /// Only customers of these organizations (added to those already set).
    pub fn organization_ids(mut self, ids: impl IntoIterator<Item = OrganizationId>) -> Self {
        self.query.organization_id.extend(ids);
        self
    }

    /// Only the customer with this email (exact, case-insensitive).
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.query.email = Some(email.into());
        self
    }

    /// Free-text search in email, name, billing name and external ID prefix.
    pub fn query(mut self, query: impl Into<String>) -> Self {
        self.query.query = Some(query.into());
        self
    }

    /// Only customers with (`true`) or without (`false`) an active subscription.
    pub fn active(mut self, active: bool) -> Self {
        self.query.active = Some(active);
        self
    }

    /// Only customers whose metadata `key` equals `value`. Repeat a key to accept any of its
    /// values; different keys must all match. Sent as `metadata[key]=value`.
    ///
    /// The value is a [`MetadataValue`], as for the create and update setters: a string, a
    /// whole number or a boolean (Polar's filter compares those; a float is sent as its text).
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<MetadataValue>) -> Self {
        self.query
            .metadata
            .push((key.into(), value.into().to_string()));
        self
    }

    request_options!();

    /// Sends the request and returns one page.
    pub fn send(self) -> ResponseFuture<ListResource<Customer>> {
        let call = list_call(&self.query, &self.options);
        send_json(self.client, call)
    }

    paging!(ListCustomers, CustomersListParams => Customer, "customer", CustomerSortProperty);
}

awaitable!(ListCustomers => ListResource<Customer>);
