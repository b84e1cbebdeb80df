//! `GET /v1/customers/export`: every customer as CSV, streamed.

use super::Customers;
use crate::Request;
use crate::export::{ExportRows, ExportStream};
use crate::operation::operation;
use crate::request::ResponseFuture;
use crate::types::{CustomersExportParams, OrganizationId};

operation!(CustomersExportParams => ExportStream);

/// Request of `GET /v1/customers/export`, from [`Customers::export`].
///
/// `.await` gives an [`ExportStream`] of raw CSV bytes; [`rows`](Request::rows) gives parsed
/// rows.
///
/// The call timeout (the client's, or [`timeout`](Request::timeout)) bounds the wait for the
/// answer to start, not the whole download: a large export may stream for longer. A stream
/// that stalls fails with [`Error::Timeout`](crate::Error::Timeout) once no data has arrived
/// for the transport's body idle timeout
/// ([`ClientBuilder::body_idle_timeout`](crate::ClientBuilder::body_idle_timeout), 30 s by
/// default).
pub type ExportCustomers = Request<CustomersExportParams>;

impl Customers {
    /// `GET /v1/customers/export`: every customer as CSV, streamed.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// # client.customers().create().email("setup@polar.sh").external_id("user_42").await?;
    /// use futures_util::TryStreamExt;
    ///
    /// // Into a file (or any `AsyncWrite`), one chunk at a time.
    /// let mut file = Vec::new();
    /// let bytes = client.customers().export().await?.write_to(&mut file).await?;
    /// assert_eq!(bytes as usize, file.len());
    ///
    /// // Or as typed rows.
    /// let mut rows = client.customers().export().rows().await?;
    /// while let Some(row) = rows.try_next().await? {
    ///     println!("{} {:?}", row.id, row.email);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn export(&self) -> ExportCustomers {
        self.client.request(CustomersExportParams::default())
    }
}

impl ExportCustomers {
    /// Only customers of this organization (repeat to allow several).
    pub fn organization_id(mut self, id: OrganizationId) -> Self {
        self.params.organization_id.push(id);
        self
    }

    /// Sends the request and parses the answer into typed rows as it arrives.
    pub fn rows(self) -> ResponseFuture<ExportRows> {
        let fut = self.send();
        Box::pin(async move { Ok(fut.await?.rows()) })
    }
}
