//! `GET` one member of a customer.

use http::Method;

use super::MemberPath;
use crate::builder::{awaitable, request_options, send_json};
use crate::request::{Call, CallOptions, ResponseFuture};
use crate::types::Member;
use crate::{Client, Error};

/// Builder of `GET /v1/customers/{id}/members/{member_id}` and its by-external-IDs twin.
///
/// A member of another customer is not found (404), as is an unknown one.
#[derive(Clone, Debug)]
#[must_use = "a request builder does nothing until awaited"]
pub struct GetMember {
    pub(super) client: Client,
    pub(super) target: MemberPath,
    pub(super) options: CallOptions,
}

impl GetMember {
    request_options!();

    /// Sends the request.
    pub fn send(self) -> ResponseFuture<Member> {
        let call: Result<Call, Error> = self
            .target
            .path()
            .map(|(route, path)| Call::new(Method::GET, route, path).options(self.options));
        send_json(self.client, call)
    }
}

awaitable!(GetMember => Member);
