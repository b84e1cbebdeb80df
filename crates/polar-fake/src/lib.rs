//! A fake of Polar's Customers API, kept in memory, for testing code that talks to Polar.
//!
//! [`FakePolar`] answers the eleven Customers operations the way Polar's server does: UUID v4 ids, RFC 3339 timestamps, email and
//! external ID uniqueness per organization with Polar's 422 bodies, soft delete and anonymize,
//! list filters, sorting and page-number pagination, customer state, the CSV export, 401/403/404
//! bodies, FastAPI-style 422s, 307 redirects for a missing or extra trailing slash, and 404 for an
//! unknown `Polar-Version`.
//!
//! It has two faces:
//!
//! * in-process: `FakePolar` is a [`tower_service::Service`] over `http::Request<B>` for any body
//!   `B`, so it can stand in for the network under an HTTP client stack, with no socket;
//! * served: [`FakePolar::serve`] binds `127.0.0.1:<port>` (port 0 picks a free one) and answers
//!   real HTTP/1.1 and HTTP/2; `cargo run -p polar-fake -- --port 8080` does the same from a shell.
//!
//! Optional behaviours, switched on by the [`FakePolarBuilder`] or at run time: Polar's rate limit
//! (per token sliding window, 429 with `Retry-After`), injected latency, 5xx answers and dropped
//! connections, and counters of what was received ([`FakePolar::stats`]).
//!
//! Every clone of a `FakePolar` shares one store; separate `FakePolar::new()` calls share nothing,
//! so tests can run in parallel.
//!
//! # What it does not model (yet)
//!
//! * Routes beyond the eleven Customers operations (members, payment methods, ...) answer
//!   404 `{"detail":"Not Found"}`; `HEAD` on a `GET` route answers 405.
//! * Email deliverability is checked offline only: syntax, special-use names (`.test`,
//!   `localhost`, ...) and the `example.*` domains that accept no mail.
//! * Tax IDs get a format check (and the EU country prefix), not the per-country checksums.
//! * Anonymize replaces email and name with a digest of its own, not Polar's exact format.
//! * The customer state is never stale (the server may cache it for up to an hour).
//! * The rate limit is one sliding window per `Authorization` value: no lower limit for
//!   restricted or not-yet-identified tokens, and requests refused with 429 do not extend the block.
//! * 403 `NotPermitted` only for a `Polar-Organization` the token does not reach; no member
//!   permissions. A single-organization token may name its own organization in `organization_id`.
//! * Pydantic's messages are paraphrased where they are long; issues inside the create body's
//!   union do not carry the union tag in `loc`.
//! * Sorting compares strings byte-wise (the database uses its collation); ties keep creation
//!   order. The export lists customers oldest first.
//! * `billing_name`, `avatar_url`, `first_user_event_at` and `default_payment_method_id` are always
//!   `null`; address rules per country (such as US states) are not checked.
//!
//! # Example
//!
//! ```
//! use bytes::Bytes;
//! use http_body_util::{BodyExt, Full};
//! use polar_fake::FakePolar;
//! use tower_service::Service;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let mut fake = FakePolar::new();
//! let request = http::Request::post("/v1/customers/")
//!     .header("authorization", format!("Bearer {}", fake.token()))
//!     .header("content-type", "application/json")
//!     .body(Full::new(Bytes::from(r#"{"email": "jane@polar.sh", "external_id": "u-1"}"#)))
//!     .unwrap();
//! let response = fake.call(request).await.unwrap();
//! assert_eq!(response.status(), 201);
//! let body = response.into_body().collect().await.unwrap().to_bytes();
//! let customer: serde_json::Value = serde_json::from_slice(&body).unwrap();
//! assert_eq!(customer["type"], "individual");
//! assert_eq!(fake.customer_count(), 1);
//! # }
//! ```
#![deny(missing_docs)]

mod body;
mod builder;
mod control;
mod csv;
mod fake;
mod input;
mod issue;
mod response;
mod rules;
pub mod samples;
mod server;
mod service;
mod store;

use std::collections::BTreeMap;
use std::fmt;

pub use body::FakeBody;
pub use builder::FakePolarBuilder;
pub use fake::FakePolar;
pub use server::ServeHandle;

pub use polar_types::{CustomerId, OrganizationId};

/// Serves `fake` on `addr` (`"127.0.0.1:0"` picks a free port); the same as [`FakePolar::serve`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let fake = polar_fake::FakePolar::new();
/// let server = polar_fake::serve(&fake, "127.0.0.1:0").await?;
/// println!("{} with token {}", server.url(), fake.token());
/// server.shutdown().await;
/// # Ok(())
/// # }
/// ```
pub async fn serve(
    fake: &FakePolar,
    addr: impl tokio::net::ToSocketAddrs,
) -> std::io::Result<ServeHandle> {
    fake.serve(addr).await
}

/// The API versions the server knows (`Polar-Version`); any other gets 404.
pub const KNOWN_API_VERSIONS: [&str; 2] = ["2026-04", "2026-10"];

/// One of the eleven Customers operations the fake implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Operation {
    /// `GET /v1/customers/`
    List,
    /// `POST /v1/customers/`
    Create,
    /// `GET /v1/customers/export`
    Export,
    /// `GET /v1/customers/{id}`
    Get,
    /// `PATCH /v1/customers/{id}`
    Update,
    /// `DELETE /v1/customers/{id}`
    Delete,
    /// `GET /v1/customers/external/{external_id}`
    GetExternal,
    /// `PATCH /v1/customers/external/{external_id}`
    UpdateExternal,
    /// `DELETE /v1/customers/external/{external_id}`
    DeleteExternal,
    /// `GET /v1/customers/{id}/state`
    GetState,
    /// `GET /v1/customers/external/{external_id}/state`
    GetStateExternal,
}

impl Operation {
    /// All operations, in declaration order.
    pub const ALL: [Operation; 11] = [
        Operation::List,
        Operation::Create,
        Operation::Export,
        Operation::Get,
        Operation::Update,
        Operation::Delete,
        Operation::GetExternal,
        Operation::UpdateExternal,
        Operation::DeleteExternal,
        Operation::GetState,
        Operation::GetStateExternal,
    ];

    fn index(self) -> usize {
        self as usize
    }

    /// The HTTP method.
    ///
    /// ```
    /// assert_eq!(polar_fake::Operation::Update.method(), "PATCH");
    /// ```
    pub fn method(self) -> &'static str {
        match self {
            Operation::Create => "POST",
            Operation::Update | Operation::UpdateExternal => "PATCH",
            Operation::Delete | Operation::DeleteExternal => "DELETE",
            _ => "GET",
        }
    }

    /// The path template, as the spec writes it.
    ///
    /// ```
    /// assert_eq!(polar_fake::Operation::GetState.path_template(), "/v1/customers/{id}/state");
    /// ```
    pub fn path_template(self) -> &'static str {
        match self {
            Operation::List | Operation::Create => "/v1/customers/",
            Operation::Export => "/v1/customers/export",
            Operation::Get | Operation::Update | Operation::Delete => "/v1/customers/{id}",
            Operation::GetExternal | Operation::UpdateExternal | Operation::DeleteExternal => {
                "/v1/customers/external/{external_id}"
            }
            Operation::GetState => "/v1/customers/{id}/state",
            Operation::GetStateExternal => "/v1/customers/external/{external_id}/state",
        }
    }
}

/// What the fake has received and answered since it was built (or [`FakePolar::reset_stats`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Every request received, whatever happened to it.
    pub requests: u64,
    /// Requests answered 429 by the rate limiter.
    pub rate_limited: u64,
    /// Requests answered by an injected failure ([`FakePolar::fail_next`]).
    pub injected_failures: u64,
    /// Connections dropped by fault injection ([`FakePolar::drop_next`]).
    pub dropped_connections: u64,
    /// Requests routed to each operation (only those seen at least once are present).
    pub operations: BTreeMap<Operation, u64>,
    /// Responses by status code.
    pub statuses: BTreeMap<u16, u64>,
}

impl Stats {
    /// Requests routed to `op`.
    ///
    /// ```
    /// assert_eq!(polar_fake::FakePolar::new().stats().operation(polar_fake::Operation::List), 0);
    /// ```
    pub fn operation(&self, op: Operation) -> u64 {
        self.operations.get(&op).copied().unwrap_or(0)
    }

    /// Responses with status `code`.
    pub fn status(&self, code: u16) -> u64 {
        self.statuses.get(&code).copied().unwrap_or(0)
    }
}

/// The error a [`FakePolar`] service call can end with (the HTTP errors are responses).
#[derive(Debug)]
pub struct FakeError {
    kind: ErrorKind,
}

#[derive(Debug)]
enum ErrorKind {
    Dropped,
    Body(Box<dyn std::error::Error + Send + Sync>),
}

impl FakeError {
    fn dropped() -> Self {
        FakeError {
            kind: ErrorKind::Dropped,
        }
    }

    fn body(e: Box<dyn std::error::Error + Send + Sync>) -> Self {
        FakeError {
            kind: ErrorKind::Body(e),
        }
    }

    /// True when the connection was dropped on purpose ([`FakePolar::drop_next`]).
    pub fn is_dropped(&self) -> bool {
        matches!(self.kind, ErrorKind::Dropped)
    }
}

impl fmt::Display for FakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Dropped => f.write_str("connection dropped by polar-fake fault injection"),
            ErrorKind::Body(_) => f.write_str("failed to read the request body"),
        }
    }
}

impl std::error::Error for FakeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Dropped => None,
            ErrorKind::Body(e) => Some(e.as_ref()),
        }
    }
}

/// What a token may do.
///
/// ```
/// let fake = polar_fake::FakePolar::new();
/// let reader = fake.add_token(&[fake.organization_id()], polar_fake::Scopes::ReadOnly);
/// # let _ = reader;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scopes {
    /// `customers:read` and `customers:write`.
    ReadWrite,
    /// `customers:read` only: writes get 403 `insufficient_scope`.
    ReadOnly,
}
