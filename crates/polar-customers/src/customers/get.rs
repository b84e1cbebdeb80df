//! `GET` a customer, or its state, by Polar ID or external ID.

use http::Method;

use super::Target;
use crate::Client;
use crate::builder::{awaitable, request_options, send_json};
use crate::request::{Call, CallOptions, ResponseFuture};
use crate::types::{Customer, CustomerState};

/// Builder of `GET /v1/customers/{id}` and `GET /v1/customers/external/{external_id}`.
#[derive(Clone, Debug)]
#[must_use = "a request builder does nothing until awaited"]
pub struct GetCustomer {
    pub(super) client: Client,
    pub(super) target: Target,
    pub(super) options: CallOptions,
}

impl GetCustomer {
    request_options!();

    /// Sends the request.
    pub fn send(self) -> ResponseFuture<Customer> {
        let call = self
            .target
            .path("")
            .map(|(route, path)| Call::new(Method::GET, route, path).options(self.options));
        send_json(self.client, call)
    }
}

awaitable!(GetCustomer => Customer);

/// Builder of `GET /v1/customers/{id}/state` and
/// `GET /v1/customers/external/{external_id}/state`.
#[derive(Clone, Debug)]
#[must_use = "a request builder does nothing until awaited"]
pub struct GetCustomerState {
    pub(super) client: Client,
    pub(super) target: Target,
    pub(super) options: CallOptions,
}

impl GetCustomerState {
    request_options!();

    /// Sends the request.
    pub fn send(self) -> ResponseFuture<CustomerState> {
        let call = self
            .target
            .path("/state")
            .map(|(route, path)| Call::new(Method::GET, route, path).options(self.options));
        send_json(self.client, call)
    }
}

awaitable!(GetCustomerState => CustomerState);
