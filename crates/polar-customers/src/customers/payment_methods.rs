//! `GET /v1/customers/{id}/payment-methods` and its by-external-ID twin: a customer's saved
//! payment methods, page by page.

use http::Method;

use super::Target;
use crate::builder::{awaitable, pages, request_options, send_json};
use crate::pagination::{Items, Pages};
use crate::path::{encode_segment, join};
use crate::request::{Call, CallOptions, ResponseFuture};
use crate::types::{
    CustomersListPaymentMethodsExternalParams, CustomersListPaymentMethodsParams, InputError,
    ListResource, PaymentMethod, Validate,
};
use crate::{Client, Error};

const ROUTE_ID: &str = crate::types::CustomersListPaymentMethodsParams::PATH;
const ROUTE_EXTERNAL: &str = crate::types::CustomersListPaymentMethodsExternalParams::PATH;

/// Builder of `GET /v1/customers/{id}/payment-methods` and
/// `GET /v1/customers/external/{external_id}/payment-methods`, from
/// [`Customers::payment_methods`](super::Customers::payment_methods)(crate::Customers::payment_methods) or
/// [`Customers::payment_methods_external`](super::Customers::payment_methods_external)(crate::Customers::payment_methods_external).
///
/// `.await` returns one page (newest first); [`stream`](Self::stream) yields every payment
/// method of every page and [`pages`](Self::pages) every page. A method's
/// [`is_default`](crate::types::CustomerPaymentMethodCard::is_default) tells whether it is the
/// customer's default one.
#[derive(Clone, Debug)]
#[must_use = "a request builder does nothing until awaited"]
pub struct ListPaymentMethods {
    pub(super) client: Client,
    pub(super) target: Target,
    pub(super) page: Option<u32>,
    pub(super) limit: Option<u32>,
    pub(super) options: CallOptions,
}

impl ListPaymentMethods {
    /// The page to get (from 1). For [`stream`](Self::stream) and [`pages`](Self::pages), the
    /// page to start from.
    pub fn page(mut self, page: u32) -> Self {
        self.page = Some(page);
        self
    }

    /// Payment methods per page (1..=100; the server cuts larger values to 100).
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    request_options!();

    /// Sends the request and returns one page.
    pub fn send(self) -> ResponseFuture<ListResource<PaymentMethod>> {
        let call = page_call(&self.target, self.page, self.limit, &self.options);
        send_json(self.client, call)
    }

    /// Every page from [`page`](Self::page) (default 1) on, fetching the next page while the
    /// current one is handled. Ends after `max_page`, at an empty page or after an error.
    pub fn pages(self) -> Pages<PaymentMethod> {
        let first = self.page.unwrap_or(1);
        let invalid = page_query(&self.target, self.page, self.limit).err();
        let ListPaymentMethods {
            client,
            target,
            limit,
            options,
            ..
        } = self;
        pages(client, first, invalid, move |page| {
            page_call(&target, Some(page), limit, &options)
        })
    }

    /// Every payment method of every page, in order, with one page of look-ahead.
    pub fn stream(self) -> Items<PaymentMethod> {
        Items::new(self.pages())
    }
}

awaitable!(ListPaymentMethods => ListResource<PaymentMethod>);

/// The query of one page, checked against Polar's rules (an empty external ID too).
fn page_query(
    target: &Target,
    page: Option<u32>,
    limit: Option<u32>,
) -> Result<Vec<(String, String)>, InputError> {
    match target {
        Target::Id(id) => {
            let params = CustomersListPaymentMethodsParams {
                id: *id,
                page,
                limit,
            };
            params.validate()?;
            Ok(params.query_pairs())
        }
        Target::External(external_id) => {
            let params = CustomersListPaymentMethodsExternalParams {
                external_id: external_id.clone(),
                page,
                limit,
            };
            params.validate()?;
            Ok(params.query_pairs())
        }
    }
}

/// The call for one page.
fn page_call(
    target: &Target,
    page: Option<u32>,
    limit: Option<u32>,
    options: &CallOptions,
) -> Result<Call, Error> {
    let query = page_query(target, page, limit)?;
    let (route, path) = match target {
        Target::Id(id) => (
            ROUTE_ID,
            join("/v1/customers/", &id.to_string(), "/payment-methods"),
        ),
        Target::External(external_id) => (
            ROUTE_EXTERNAL,
            join(
                "/v1/customers/external/",
                &encode_segment("external_id", external_id)?,
                "/payment-methods",
            ),
        ),
    };
    Ok(Call::new(Method::GET, route, path)
        .query(query)
        .options(options.clone()))
}
