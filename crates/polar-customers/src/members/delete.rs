//! `DELETE` a member of a customer.

use http::Method;

use super::MemberPath;
use crate::builder::{awaitable, request_options};
use crate::request::{Call, CallOptions, ResponseFuture};
use crate::{Client, Error};

/// Builder of `DELETE /v1/customers/{id}/members/{member_id}` and its by-external-IDs twin.
#[derive(Clone, Debug)]
#[must_use = "a request builder does nothing until awaited"]
pub struct DeleteMember {
    pub(super) client: Client,
    pub(super) target: MemberPath,
    pub(super) options: CallOptions,
}

impl DeleteMember {
    request_options!();

    /// Sends the request; the answer is 204 with no body.
    ///
    /// Like a customer's delete, a 404 to a retry after an attempt that may have been carried
    /// out (its answer was lost, or a gateway answered 502/504) means the member is already
    /// gone, and the call succeeds.
    pub fn send(self) -> ResponseFuture<()> {
        let call: Result<Call, Error> = self
            .target
            .path()
            .map(|(route, path)| Call::new(Method::DELETE, route, path).options(self.options));
        let client = self.client;
        Box::pin(async move { client.send_delete(call?).await })
    }
}

awaitable!(DeleteMember => ());
