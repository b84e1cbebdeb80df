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
mod control;
mod csv;
mod input;
mod issue;
mod response;
mod rules;
pub mod samples;
mod server;
mod service;
mod store;
mod webhooks;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use http::StatusCode;
use uuid::Uuid;

pub use body::FakeBody;
pub use server::ServeHandle;
pub use webhooks::{
    CUSTOMER_EVENTS, Tamper, WebhookDelivery, WebhookEndpoint, WebhookEndpointError,
};

use control::{Counters, Faults, RateLimiter};
use service::{Config, Shared, TokenInfo, lock};
use store::{Seed, Store};

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

fn new_token() -> String {
    let a = Uuid::new_v4().simple().to_string();
    let b = Uuid::new_v4().simple().to_string();
    format!("polar_oat_fake_{}", &format!("{a}{b}")[..40])
}

/// Configures a [`FakePolar`].
///
/// ```
/// use std::time::Duration;
/// let fake = polar_fake::FakePolar::builder()
///     .token("polar_oat_test")
///     .rate_limit(100, Duration::from_secs(60))
///     .sandbox(true)
///     .build();
/// assert_eq!(fake.token(), "polar_oat_test");
/// ```
#[derive(Clone)]
pub struct FakePolarBuilder {
    token: Option<String>,
    organization_id: Option<Uuid>,
    rate_limit: Option<(u32, Duration)>,
    latency: Option<Duration>,
    fail_first: Option<(u64, StatusCode)>,
    drop_first: u64,
    versions: Vec<String>,
    sandbox: bool,
    max_body_bytes: usize,
    check_email_domains: bool,
}

impl fmt::Debug for FakePolarBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The token is a secret: only whether one was chosen is shown.
        f.debug_struct("FakePolarBuilder")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("organization_id", &self.organization_id)
            .field("rate_limit", &self.rate_limit)
            .field("latency", &self.latency)
            .field("fail_first", &self.fail_first)
            .field("drop_first", &self.drop_first)
            .field("versions", &self.versions)
            .field("sandbox", &self.sandbox)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("check_email_domains", &self.check_email_domains)
            .finish()
    }
}

impl Default for FakePolarBuilder {
    fn default() -> Self {
        FakePolarBuilder {
            token: None,
            organization_id: None,
            rate_limit: None,
            latency: None,
            fail_first: None,
            drop_first: 0,
            versions: KNOWN_API_VERSIONS.iter().map(|v| (*v).to_owned()).collect(),
            sandbox: false,
            max_body_bytes: 1024 * 1024,
            check_email_domains: true,
        }
    }
}

impl FakePolarBuilder {
    /// The value of the first organization's token (random `polar_oat_fake_…` by default).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The id of the first organization (random by default).
    pub fn organization_id(mut self, id: OrganizationId) -> Self {
        self.organization_id = Some(*id.as_uuid());
        self
    }

    /// Turns on Polar's rate limit: at most `requests` per token in any sliding `window`; past it,
    /// 429 with `Retry-After` in seconds. Polar uses 500/minute in production, 100 in sandbox.
    ///
    /// The window runs on tokio's clock, so tests with paused time can drive it.
    pub fn rate_limit(mut self, requests: u32, window: Duration) -> Self {
        self.rate_limit = Some((requests, window));
        self
    }

    /// Turns on Polar's own limit for organization tokens: 100 requests per minute when the fake
    /// acts as the sandbox ([`sandbox`](Self::sandbox), set it first), else 500 per minute.
    ///
    /// ```
    /// let fake = polar_fake::FakePolar::builder().sandbox(true).polar_rate_limit().build();
    /// # let _ = fake;
    /// ```
    pub fn polar_rate_limit(self) -> Self {
        let per_minute = if self.sandbox { 100 } else { 500 };
        self.rate_limit(per_minute, Duration::from_secs(60))
    }

    /// Waits this long before answering each request (tokio's clock).
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = Some(latency);
        self
    }

    /// Answers the first `n` requests with `status` (see [`FakePolar::fail_next`]).
    ///
    /// ```
    /// let fake = polar_fake::FakePolar::builder()
    ///     .fail_first(2, http::StatusCode::BAD_GATEWAY)
    ///     .build();
    /// # let _ = fake;
    /// ```
    pub fn fail_first(mut self, n: u64, status: StatusCode) -> Self {
        self.fail_first = Some((n, status));
        self
    }

    /// Drops the first `n` requests without an answer (see [`FakePolar::drop_next`]).
    pub fn drop_first(mut self, n: u64) -> Self {
        self.drop_first = n;
        self
    }

    /// The `Polar-Version` values accepted (default [`KNOWN_API_VERSIONS`]); a request without
    /// the header is always accepted. The first one is echoed when the request sends none.
    pub fn api_versions<I, S>(mut self, versions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.versions = versions.into_iter().map(Into::into).collect();
        self
    }

    /// Acts as the sandbox: answers carry `X-Polar-Sandbox: 1`.
    pub fn sandbox(mut self, sandbox: bool) -> Self {
        self.sandbox = sandbox;
        self
    }

    /// Largest request body accepted (default 1 MiB); larger ones get 413.
    pub fn max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }

    /// Whether email domains known to accept no mail (`example.com`, `example.org`,
    /// `example.net`) are refused, as Polar's deliverability check does (default true).
    /// Reserved names such as `.test` or `localhost` are refused either way.
    pub fn check_email_domains(mut self, check: bool) -> Self {
        self.check_email_domains = check;
        self
    }

    /// Builds the fake, with one organization and one read-write token for it.
    pub fn build(self) -> FakePolar {
        let org = self.organization_id.unwrap_or_else(Uuid::new_v4);
        let token = self.token.unwrap_or_else(new_token);
        let mut tokens = HashMap::new();
        tokens.insert(
            token.clone(),
            TokenInfo {
                orgs: vec![org],
                write: true,
            },
        );
        let default_version = self
            .versions
            .first()
            .cloned()
            .unwrap_or_else(|| KNOWN_API_VERSIONS[0].to_owned());
        let shared = Shared {
            store: Mutex::new(Store::default()),
            tokens: RwLock::new(tokens),
            organizations: RwLock::new(vec![org]),
            config: Config {
                versions: self.versions,
                default_version,
                sandbox: self.sandbox,
                max_body_bytes: self.max_body_bytes,
                check_email_domains: self.check_email_domains,
            },
            limiter: self.rate_limit.map(|(n, w)| RateLimiter::new(n, w)),
            faults: Mutex::new(Faults {
                latency: self.latency,
                drop_next: self.drop_first,
                fail_next: self.fail_first.map_or(0, |(n, _)| n),
                fail_status: self.fail_first.map(|(_, status)| status),
            }),
            counters: Counters::default(),
            webhooks: Default::default(),
        };
        FakePolar {
            shared: Arc::new(shared),
            token: Arc::from(token),
            organization_id: OrganizationId::from(org),
        }
    }
}

/// The fake Polar: an in-memory Customers API.
///
/// Cheap to clone; clones share the same customers, tokens, faults and counters.
/// See the [crate documentation](crate) for an example.
#[derive(Clone)]
pub struct FakePolar {
    shared: Arc<Shared>,
    token: Arc<str>,
    organization_id: OrganizationId,
}

impl fmt::Debug for FakePolar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Tokens are secrets: never printed.
        f.debug_struct("FakePolar")
            .field("organization_id", &self.organization_id)
            .field("customers", &self.customer_count())
            .finish_non_exhaustive()
    }
}

impl Default for FakePolar {
    fn default() -> Self {
        FakePolar::new()
    }
}

impl FakePolar {
    /// A fake with one organization, one read-write token and no optional behaviour.
    pub fn new() -> Self {
        FakePolarBuilder::default().build()
    }

    /// Starts configuring a fake.
    pub fn builder() -> FakePolarBuilder {
        FakePolarBuilder::default()
    }

    /// The first organization's access token (send it as `Authorization: Bearer <token>`).
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The first organization's id.
    pub fn organization_id(&self) -> OrganizationId {
        self.organization_id
    }

    /// Adds an organization with its own token; answers both.
    ///
    /// ```
    /// let fake = polar_fake::FakePolar::new();
    /// let (org, token) = fake.add_organization();
    /// assert_ne!(org, fake.organization_id());
    /// assert_ne!(token, fake.token());
    /// ```
    pub fn add_organization(&self) -> (OrganizationId, String) {
        let org = OrganizationId::new_v4();
        self.shared
            .organizations
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(*org.as_uuid());
        let token = self.add_token(&[org], Scopes::ReadWrite);
        (org, token)
    }

    /// Adds a token reaching `organizations` with `scopes`; answers its value.
    ///
    /// A token reaching several organizations acts like a user token: creating a customer needs
    /// `organization_id` in the body (or a `Polar-Organization` header), and reads see them all.
    ///
    /// ```
    /// use polar_fake::{FakePolar, Scopes};
    /// let fake = FakePolar::new();
    /// let (second, _) = fake.add_organization();
    /// let user_token = fake.add_token(&[fake.organization_id(), second], Scopes::ReadWrite);
    /// let read_only = fake.add_token(&[second], Scopes::ReadOnly);
    /// fake.revoke_token(&read_only);
    /// # let _ = user_token;
    /// ```
    pub fn add_token(&self, organizations: &[OrganizationId], scopes: Scopes) -> String {
        let token = new_token();
        self.insert_token(token.clone(), organizations, scopes);
        token
    }

    /// Like [`add_token`](Self::add_token) with a chosen value (replacing any token of that value).
    pub fn insert_token(
        &self,
        token: impl Into<String>,
        organizations: &[OrganizationId],
        scopes: Scopes,
    ) {
        let info = TokenInfo {
            orgs: organizations.iter().map(|o| *o.as_uuid()).collect(),
            write: scopes == Scopes::ReadWrite,
        };
        self.shared
            .tokens
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(token.into(), info);
    }

    /// Revokes a token: requests with it then get 401 `invalid_token`.
    pub fn revoke_token(&self, token: &str) {
        self.shared
            .tokens
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(token);
    }

    /// Serves this fake on `addr` (e.g. `"127.0.0.1:0"`) until the handle is shut down or dropped.
    ///
    /// Must be called inside a tokio runtime; the server runs on spawned tasks.
    pub async fn serve(
        &self,
        addr: impl tokio::net::ToSocketAddrs,
    ) -> std::io::Result<ServeHandle> {
        server::serve(self.clone(), addr).await
    }

    /// The counters.
    ///
    /// ```
    /// # use bytes::Bytes; use http_body_util::Full; use tower_service::Service;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut fake = polar_fake::FakePolar::new();
    /// let request = http::Request::get("/v1/customers/").body(Full::new(Bytes::new())).unwrap();
    /// let response = fake.call(request).await.unwrap();
    /// assert_eq!(response.status(), 401, "no token");
    /// let stats = fake.stats();
    /// assert_eq!(stats.requests, 1);
    /// assert_eq!(stats.operation(polar_fake::Operation::List), 1);
    /// assert_eq!(stats.status(401), 1);
    /// # }
    /// ```
    pub fn stats(&self) -> Stats {
        self.shared.counters.snapshot()
    }

    /// Sets all counters back to zero.
    pub fn reset_stats(&self) {
        self.shared.counters.reset();
    }

    /// Answers the next `n` requests with `status` (e.g. 503) and a small HTML page, as a proxy in
    /// front of the API would, without touching the store. A 429 also carries `Retry-After: 1`.
    ///
    /// ```
    /// let fake = polar_fake::FakePolar::new();
    /// fake.fail_next(1, http::StatusCode::SERVICE_UNAVAILABLE);
    /// ```
    pub fn fail_next(&self, n: u64, status: StatusCode) {
        let mut f = lock(&self.shared.faults);
        f.fail_next = n;
        f.fail_status = Some(status);
    }

    /// Drops the next `n` requests without an answer: served, the connection is closed; in-process,
    /// the service call fails with a [`FakeError`] whose [`is_dropped`](FakeError::is_dropped) is true.
    /// Dropped requests never reach the store.
    ///
    /// ```
    /// # use bytes::Bytes; use http_body_util::Full; use tower_service::Service;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut fake = polar_fake::FakePolar::new();
    /// fake.drop_next(1);
    /// let request = http::Request::get("/v1/customers/").body(Full::new(Bytes::new())).unwrap();
    /// let error = fake.call(request).await.unwrap_err();
    /// assert!(error.is_dropped());
    /// # }
    /// ```
    pub fn drop_next(&self, n: u64) {
        lock(&self.shared.faults).drop_next = n;
    }

    /// Sets (or with `None` removes) a delay before every answer.
    ///
    /// ```
    /// let fake = polar_fake::FakePolar::new();
    /// fake.set_latency(Some(std::time::Duration::from_millis(20)));
    /// fake.set_latency(None);
    /// ```
    pub fn set_latency(&self, latency: Option<Duration>) {
        lock(&self.shared.faults).latency = latency;
    }

    /// Number of live (not deleted) customers across all organizations.
    pub fn customer_count(&self) -> usize {
        self.shared.store().live().count()
    }

    /// A customer's JSON as the API would answer it, including soft-deleted ones (whose
    /// `deleted_at` is set), so tests can check what delete and anonymize did.
    ///
    /// ```
    /// let fake = polar_fake::FakePolar::new();
    /// assert!(fake.customer_json(polar_types::CustomerId::new_v4()).is_none());
    /// ```
    pub fn customer_json(&self, id: CustomerId) -> Option<serde_json::Value> {
        self.shared
            .store()
            .inspect(*id.as_uuid())
            .map(store::Record::to_json)
    }

    /// A customer, typed, including soft-deleted ones (see [`customer_json`](Self::customer_json)).
    pub fn customer(&self, id: CustomerId) -> Option<polar_types::Customer> {
        self.customer_json(id)
            .and_then(|v| serde_json::from_value(v).ok())
    }

    /// JSON of every live customer, oldest first.
    ///
    /// ```
    /// assert!(polar_fake::FakePolar::new().customers_json().is_empty());
    /// ```
    pub fn customers_json(&self) -> Vec<serde_json::Value> {
        self.shared
            .store()
            .live()
            .map(store::Record::to_json)
            .collect()
    }

    /// Marks a live customer's email as verified (or not), as the server does when the customer
    /// confirms it; changing the email through the API unsets it again. False when there is no
    /// such live customer or it has no email.
    ///
    /// ```
    /// let fake = polar_fake::FakePolar::new();
    /// assert!(!fake.set_email_verified(polar_types::CustomerId::new_v4(), true));
    /// ```
    pub fn set_email_verified(&self, customer: CustomerId, verified: bool) -> bool {
        let changed = self
            .shared
            .store()
            .set_email_verified(*customer.as_uuid(), verified);
        webhooks::after_update(&self.shared, customer, changed)
    }

    /// Attaches a subscription (a `CustomerStateSubscription` as JSON) to a live customer. Its
    /// `status` decides where it shows: `active`/`trialing` in the state, and `active`,
    /// `trialing` or `past_due` for the list's `active` filter. False when no such live customer.
    pub fn seed_subscription_json(
        &self,
        customer: CustomerId,
        subscription: serde_json::Value,
    ) -> bool {
        let seeded =
            self.shared
                .store()
                .seed(*customer.as_uuid(), Seed::Subscription, subscription);
        webhooks::after_state_change(&self.shared, customer, seeded)
    }

    /// Attaches a benefit grant (a `CustomerStateBenefitGrant` as JSON) to a live customer.
    pub fn seed_benefit_grant_json(&self, customer: CustomerId, grant: serde_json::Value) -> bool {
        let seeded = self
            .shared
            .store()
            .seed(*customer.as_uuid(), Seed::BenefitGrant, grant);
        webhooks::after_state_change(&self.shared, customer, seeded)
    }

    /// Attaches a meter (a `CustomerStateMeter` as JSON) to a live customer.
    pub fn seed_meter_json(&self, customer: CustomerId, meter: serde_json::Value) -> bool {
        let seeded = self
            .shared
            .store()
            .seed(*customer.as_uuid(), Seed::Meter, meter);
        webhooks::after_state_change(&self.shared, customer, seeded)
    }

    /// Attaches a subscription to a live customer (see [`samples::subscription`]). False when
    /// there is no such live customer.
    ///
    /// ```
    /// # use bytes::Bytes; use http_body_util::{BodyExt, Full}; use tower_service::Service;
    /// use polar_fake::{FakePolar, samples};
    /// use polar_types::SubscriptionStatus;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut fake = FakePolar::new();
    /// let create = http::Request::post("/v1/customers/")
    ///     .header("authorization", format!("Bearer {}", fake.token()))
    ///     .body(Full::new(Bytes::from(r#"{"email":"sub@polar.sh"}"#)))
    ///     .unwrap();
    /// let body = fake.call(create).await.unwrap().into_body().collect().await.unwrap().to_bytes();
    /// let customer: polar_types::Customer = serde_json::from_slice(&body).unwrap();
    /// let id = customer.id().unwrap();
    /// assert!(fake.add_subscription(id, &samples::subscription(SubscriptionStatus::Active, 1500)));
    /// assert!(fake.add_meter(id, &samples::meter(3.0, 10)));
    /// # }
    /// ```
    pub fn add_subscription(
        &self,
        customer: CustomerId,
        subscription: &polar_types::CustomerStateSubscription,
    ) -> bool {
        serde_json::to_value(subscription).is_ok_and(|v| self.seed_subscription_json(customer, v))
    }

    /// Attaches a benefit grant to a live customer (see [`samples::benefit_grant`]).
    pub fn add_benefit_grant(
        &self,
        customer: CustomerId,
        grant: &polar_types::CustomerStateBenefitGrant,
    ) -> bool {
        serde_json::to_value(grant).is_ok_and(|v| self.seed_benefit_grant_json(customer, v))
    }

    /// Attaches a meter to a live customer (see [`samples::meter`]).
    pub fn add_meter(&self, customer: CustomerId, meter: &polar_types::CustomerStateMeter) -> bool {
        serde_json::to_value(meter).is_ok_and(|v| self.seed_meter_json(customer, v))
    }
}
