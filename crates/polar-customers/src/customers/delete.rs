//! `DELETE` a customer by Polar ID or external ID.

use http::Method;

use super::Target;
use crate::Client;
use crate::builder::{awaitable, request_options};
use crate::request::{Call, CallOptions, ResponseFuture};

/// Builder of `DELETE /v1/customers/{id}` and `DELETE /v1/customers/external/{external_id}`.
#[derive(Clone, Debug)]
#[must_use = "a request builder does nothing until awaited"]
pub struct DeleteCustomer {
    pub(super) client: Client,
    pub(super) target: Target,
    pub(super) anonymize: Option<bool>,
    pub(super) options: CallOptions,
}

impl DeleteCustomer {
    /// Also hash the email and name, clear the billing address and mark the metadata
    /// (`?anonymize=true`).
    pub fn anonymize(mut self, anonymize: bool) -> Self {
        self.anonymize = Some(anonymize);
        self
    }

    request_options!();

    /// Sends the request; the answer is 204 with no body.
    ///
    /// When an attempt's answer is lost (the connection broke, the attempt timed out) or a
    /// gateway answers 502/504, the transport retries the DELETE, and the retry may find the
    /// customer already gone: a 404 then means the earlier attempt deleted it, and the call
    /// succeeds. Any other 404 is [`Error::Api`](crate::Error::Api) (`is_not_found()`), also
    /// after retries of answers that say nothing was done (429, 503, a refused connection).
    pub fn send(self) -> ResponseFuture<()> {
        let mut query = Vec::new();
        if let Some(anonymize) = self.anonymize {
            query.push(("anonymize".to_owned(), anonymize.to_string()));
        }
        let call = self.target.path("").map(|(route, path)| {
            Call::new(Method::DELETE, route, path)
                .query(query)
                .options(self.options)
        });
        let client = self.client;
        Box::pin(async move { client.send_delete(call?).await })
    }
}

awaitable!(DeleteCustomer => ());
