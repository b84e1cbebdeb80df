//! The client: a transport plus settings, cheap to clone.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use polar_transport::{
    Body, BoxError, BuildError, HttpService, RateLimitConfig, RateLimiter, RetryConfig, Server,
    TransportBuilder, into_http_service,
};
use secrecy::SecretString;

use crate::customers::Customers;
use crate::meters::CustomerMeters;
use crate::sessions::CustomerSessions;

/// The default cap on a JSON response body: 32 MiB (a page of 100 customers is ~100 KiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// A client of Polar's Customers API.
///
/// Cloning is cheap (one `Arc`), and clones share the transport, so its connection pool and
/// rate limiter. `Client` is `Send + Sync`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
/// use std::convert::Infallible;
/// use polar_customers::Client;
///
/// // Any tower service can be the transport; this one answers every request with a page.
/// let client = Client::from_service(tower::service_fn(|_req: http::Request<polar_customers::Body>| async {
///     let page = r#"{"items":[],"pagination":{"total_count":0,"max_page":0}}"#;
///     Ok::<_, Infallible>(http::Response::new(http_body_util::Full::new(bytes::Bytes::from(page))))
/// }));
///
/// let page = client.customers().list().await?;
/// assert_eq!(page.pagination.total_count, 0);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    service: HttpService,
    max_response_bytes: usize,
    /// The client's token, when the client was built with one: error bodies that echo it back
    /// are redacted before they become errors.
    token: Option<SecretString>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("max_response_bytes", &self.inner.max_response_bytes)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A builder for a client over the default network stack, talking to Polar's production
    /// API unless told otherwise ([`ClientBuilder::server`]).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Wraps a ready transport, e.g. one built with
    /// [`TransportBuilder`](crate::TransportBuilder), the mock, or the fake server.
    ///
    /// The transport receives requests whose URI is a path and query only (`/v1/customers/?…`);
    /// it is responsible for the base URL, authentication and the standard headers.
    pub fn from_transport(service: HttpService) -> Self {
        Self::new(service, DEFAULT_MAX_RESPONSE_BYTES, None)
    }

    fn new(service: HttpService, max_response_bytes: usize, token: Option<SecretString>) -> Self {
        Client {
            inner: Arc::new(Inner {
                service,
                max_response_bytes,
                token,
            }),
        }
    }

    /// Wraps any suitable `tower::Service` as the transport (see
    /// [`into_http_service`](polar_transport::into_http_service) for the bound).
    pub fn from_service<S, B>(service: S) -> Self
    where
        S: tower::Service<http::Request<Body>, Response = http::Response<B>>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        Self::from_transport(into_http_service(service))
    }

    /// The same client with another cap on JSON response bodies (the export is never capped).
    pub fn with_max_response_bytes(self, limit: usize) -> Self {
        Self::new(self.inner.service.clone(), limit, self.inner.token.clone())
    }

    /// The Customers API operations.
    pub fn customers(&self) -> Customers {
        Customers::new(self.clone())
    }

    /// Customer sessions: links into the customer portal.
    pub fn customer_sessions(&self) -> CustomerSessions {
        CustomerSessions::new(self.clone())
    }

    /// Customer meters: each customer's balance per meter.
    pub fn customer_meters(&self) -> CustomerMeters {
        CustomerMeters::new(self.clone())
    }

    /// A request of `params` on this client, with no per-call options yet: how every
    /// operation's request is made.
    pub(crate) fn request<P>(&self, params: P) -> crate::Request<P> {
        crate::Request::new(self.clone(), params)
    }

    pub(crate) fn service(&self) -> HttpService {
        self.inner.service.clone()
    }

    pub(crate) fn max_response_bytes(&self) -> usize {
        self.inner.max_response_bytes
    }

    pub(crate) fn token(&self) -> Option<&SecretString> {
        self.inner.token.as_ref()
    }
}

/// Builds a [`Client`] over polar-transport's default stack (auth, `Polar-Version` and other
/// headers, retry, rate limit, timeouts, tracing).
///
/// The client talks to Polar's **production** API (`https://api.polar.sh`) unless
/// [`server`](Self::server) says otherwise. Tokens of Polar's sandbox (`sandbox.polar.sh`) and
/// of production are separate: a sandbox token needs `.server(Server::Sandbox)`, or every call
/// answers 401 `invalid_token`.
///
/// ```
/// use polar_customers::{Client, Server};
/// use std::time::Duration;
///
/// let client = Client::builder()
///     .token("polar_oat_example")
///     .server(Server::Sandbox)
///     .call_timeout(Duration::from_secs(30))
///     .build()?;
/// # let _ = client;
/// # Ok::<(), polar_customers::BuildError>(())
/// ```
#[derive(Clone, Debug)]
#[must_use = "a builder does nothing until built"]
pub struct ClientBuilder {
    /// Holds the token too: the client takes it from here when built, so a token set through
    /// [`configure_transport`](Self::configure_transport) is the one it knows.
    transport: TransportBuilder,
    max_response_bytes: usize,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            transport: TransportBuilder::new(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

impl ClientBuilder {
    /// The bearer token (organization access token or OAuth2 access token). Required.
    ///
    /// It is kept as a secret: never printed by `Debug`, errors or logs.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.transport = self.transport.token(token);
        self
    }

    /// Production (default), sandbox, or a custom base URL. A token works only on the server it
    /// was created on.
    pub fn server(mut self, server: Server) -> Self {
        self.transport = self.transport.server(server);
        self
    }

    /// Shorthand for a custom server URL, e.g. `http://127.0.0.1:8080` for a local fake
    /// (plain HTTP also needs [`allow_http`](Self::allow_http)).
    pub fn base_url(mut self, url: &str) -> Self {
        self.transport = self.transport.base_url(url);
        self
    }

    /// Permits a plain `http://` base URL (local fakes, tests). Refused by default.
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.transport = self.transport.allow_http(allow);
        self
    }

    /// The `Polar-Version` header (default `2026-10`).
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.transport = self.transport.api_version(version);
        self
    }

    /// Limit on each call, all attempts and waits and reading the answer included (a request's
    /// `.timeout(..)` overrides it). The export is bounded by it only until its answer starts;
    /// see [`body_idle_timeout`](Self::body_idle_timeout).
    pub fn call_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.transport = self.transport.call_timeout(timeout);
        self
    }

    /// Longest silence allowed while streaming the export (default 30 s); a longer stall ends
    /// the stream with [`Error::Timeout`](crate::Error::Timeout).
    pub fn body_idle_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.transport = self.transport.body_idle_timeout(timeout);
        self
    }

    /// Limit on each attempt, until its answer starts (default 30 s).
    pub fn attempt_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.transport = self.transport.attempt_timeout(timeout);
        self
    }

    /// No limit on each attempt (the call timeout still bounds the whole call).
    pub fn no_attempt_timeout(mut self) -> Self {
        self.transport = self.transport.no_attempt_timeout();
        self
    }

    /// No limit on the whole call (default 120 s); a request's `.timeout(..)` still applies.
    pub fn no_call_timeout(mut self) -> Self {
        self.transport = self.transport.no_call_timeout();
        self
    }

    /// Retry settings (attempts, backoff, `Retry-After` cap).
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.transport = self.transport.retry(retry);
        self
    }

    /// A client-side rate limit other than the server's default, for this client alone.
    pub fn rate_limit(mut self, config: RateLimitConfig) -> Self {
        self.transport = self.transport.rate_limit(config);
        self
    }

    /// A rate limiter shared with other clients. Polar counts the requests of an organization
    /// together, whichever of its tokens sent them: every client of one organization (in this
    /// process) should get a clone of the same [`RateLimiter`], or each paces itself as if it
    /// were alone and together they run into 429s.
    ///
    /// ```
    /// use polar_customers::{Client, RateLimitConfig, RateLimiter};
    ///
    /// let limiter = RateLimiter::new(RateLimitConfig::production());
    /// let sync = Client::builder().token("polar_oat_sync").rate_limiter(limiter.clone()).build()?;
    /// let reports = Client::builder().token("polar_oat_reports").rate_limiter(limiter).build()?;
    /// # let _ = (sync, reports);
    /// # Ok::<(), polar_customers::BuildError>(())
    /// ```
    pub fn rate_limiter(mut self, limiter: RateLimiter) -> Self {
        self.transport = self.transport.rate_limiter(limiter);
        self
    }

    /// Turns the client-side rate limiter off.
    pub fn disable_rate_limit(mut self) -> Self {
        self.transport = self.transport.disable_rate_limit();
        self
    }

    /// Any other transport setting, applied to the underlying [`TransportBuilder`].
    pub fn configure_transport(
        mut self,
        f: impl FnOnce(TransportBuilder) -> TransportBuilder,
    ) -> Self {
        self.transport = f(self.transport);
        self
    }

    /// Cap on JSON response bodies (default [`DEFAULT_MAX_RESPONSE_BYTES`]).
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Builds the client over the network (hyper + rustls). Only with the `rustls-ring` (default)
    /// or `rustls-aws-lc` feature; see the crate's [features](crate#features).
    ///
    /// Fails, before anything is sent, when the token is missing or malformed, the base URL is
    /// not a URL, or it is plain `http://` without [`allow_http`](Self::allow_http). The error
    /// converts into [`Error::Build`](crate::Error::Build), so `?` works in a function returning
    /// [`Error`](crate::Error).
    #[cfg(any(feature = "rustls-ring", feature = "rustls-aws-lc"))]
    pub fn build(self) -> Result<Client, BuildError> {
        let token = self.transport.get_token().cloned();
        let service = self.transport.build();
        Self::finish(service, self.max_response_bytes, token)
    }

    /// Builds the client with the same stack over another service: the mock, an in-process
    /// fake, your own client. Fails as [`build`](Self::build) does.
    pub fn build_with<S, B>(self, service: S) -> Result<Client, BuildError>
    where
        S: tower::Service<http::Request<Body>, Response = http::Response<B>>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let token = self.transport.get_token().cloned();
        let service = self.transport.build_with(service);
        Self::finish(service, self.max_response_bytes, token)
    }

    fn finish(
        service: Result<HttpService, BuildError>,
        max_response_bytes: usize,
        token: Option<SecretString>,
    ) -> Result<Client, BuildError> {
        Ok(Client::new(service?, max_response_bytes, token))
    }
}
