//! `GET /v1/customers/export`: every customer as CSV, streamed.

use http::Method;

use super::ROUTE_EXPORT;
use crate::Client;
use crate::builder::{awaitable, request_options};
use crate::export::{ExportRows, ExportStream};
use crate::request::{CSV, Call, CallOptions, ResponseFuture};
use crate::types::{CustomersExportParams, OrganizationId};

/// Builder of `GET /v1/customers/export`, from [`Customers::export`](super::Customers::export).
///
/// `.await` gives an [`ExportStream`] of raw CSV bytes; [`rows`](Self::rows) gives parsed rows.
#[derive(Clone, Debug)]
#[must_use = "a request builder does nothing until awaited"]
pub struct ExportCustomers {
    pub(super) client: Client,
    pub(super) params: CustomersExportParams,
    pub(super) options: CallOptions,
}

impl ExportCustomers {
    /// Only customers of this organization (repeat to allow several).
    pub fn organization_id(mut self, id: OrganizationId) -> Self {
        self.params.organization_id.push(id);
        self
    }

    request_options!();

    /// Sends the request; the answer's body is handed out as it arrives.
    ///
    /// The call timeout (the client's, or [`timeout`](Self::timeout)) bounds the wait for the
    /// answer to start, not the whole download: a large export may stream for longer. A stream
    /// that stalls fails with [`Error::Timeout`](crate::Error::Timeout) once no data has arrived for the transport's
    /// body idle timeout ([`ClientBuilder::body_idle_timeout`](crate::ClientBuilder::body_idle_timeout),
    /// 30 s by default).
    pub fn send(self) -> ResponseFuture<ExportStream> {
        let query = self.params.query_pairs();
        let mut options = self.options;
        // An export of many customers may take longer than the call timeout: only its head is
        // bounded by it; the body fails when the server sends nothing for the transport's body
        // idle timeout.
        options.transport.streaming_body = true;
        let mut call = Call::new(Method::GET, ROUTE_EXPORT, ROUTE_EXPORT.to_owned())
            .query(query)
            .options(options);
        call.accept = CSV;
        let client = self.client;
        Box::pin(async move {
            let (response, tokens) = client.send_raw(call).await?;
            let status = response.status();
            Ok(ExportStream::new(status, response.into_body(), tokens))
        })
    }

    /// Sends the request and parses the answer into typed rows as it arrives.
    pub fn rows(self) -> ResponseFuture<ExportRows> {
        let fut = self.send();
        Box::pin(async move { Ok(fut.await?.rows()) })
    }
}

awaitable!(ExportCustomers => ExportStream);
