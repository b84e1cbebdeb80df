//! [`TransportBuilder`]: the default stack in one place.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, Uri};
use http_body_util::BodyExt;
use secrecy::SecretString;
use tower::ServiceBuilder;
use tower::util::BoxCloneSyncService;
use tower_layer::Layer;
use tower_service::Service;

use crate::auth::AuthLayer;
use crate::base_uri::{BaseUriLayer, BaseUrl};
use crate::error::BuildError;
use crate::headers::{DEFAULT_API_VERSION, DEFAULT_USER_AGENT, HeadersLayer};
#[cfg(any(feature = "rustls-ring", feature = "rustls-aws-lc"))]
use crate::network::{HyperTransport, NetworkConfig};
use crate::ratelimit::{RateLimitConfig, RateLimitLayer, RateLimiter};
use crate::retry::{RetryConfig, RetryLayer};
use crate::timeout::{CallTimeoutLayer, DEFAULT_BODY_IDLE_TIMEOUT, TimeoutBody, TimeoutLayer};
use crate::trace::TraceLayer;
use crate::{Body, BoxError, HttpService, ResponseBody, into_http_service};

/// Which Polar server to talk to.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Server {
    /// `https://api.polar.sh` (rate limit 500 requests per minute).
    #[default]
    Production,
    /// `https://sandbox-api.polar.sh` (rate limit 100 requests per minute).
    Sandbox,
    /// Any other base URL, for example a proxy or a local fake. A path prefix is kept:
    /// `https://proxy.example/polar` sends `/v1/customers/` to `https://proxy.example/polar/v1/customers/`.
    Custom(String),
}

impl Server {
    /// The base URL of this server.
    pub fn url(&self) -> &str {
        match self {
            Server::Production => "https://api.polar.sh",
            Server::Sandbox => "https://sandbox-api.polar.sh",
            Server::Custom(url) => url,
        }
    }

    /// Polar's rate limit for this server (production's for a custom URL).
    pub fn default_rate_limit(&self) -> RateLimitConfig {
        match self {
            Server::Sandbox => RateLimitConfig::sandbox(),
            _ => RateLimitConfig::production(),
        }
    }
}

#[derive(Clone, Debug)]
enum RateLimitSetting {
    ServerDefault,
    Custom(RateLimitConfig),
    Shared(RateLimiter),
    Disabled,
}

type UserLayer = Arc<dyn Fn(HttpService) -> HttpService + Send + Sync>;

/// Builds the default transport stack.
///
/// From the outside in, a call goes through:
///
/// 1. [`Trace`](crate::trace) — a span per call,
/// 2. [`CallTimeout`](crate::timeout) (whole call and response body,
///    [`call_timeout`](Self::call_timeout), [`body_idle_timeout`](Self::body_idle_timeout)),
/// 3. [`Retry`](crate::retry) ([`retry`](Self::retry)),
/// 4. [`RateLimit`](crate::ratelimit) ([`rate_limit`](Self::rate_limit),
///    [`rate_limiter`](Self::rate_limiter)), shared by all clones,
/// 5. [`Timeout`](crate::timeout) (each attempt, [`attempt_timeout`](Self::attempt_timeout)),
/// 6. [`Headers`](crate::headers) (`User-Agent`, `Accept`, `Polar-Version`),
/// 7. [`Auth`](crate::auth) (the bearer token, for the configured origin only),
/// 8. [`BaseUri`](crate::base_uri) (origin-form URI → absolute URL),
/// 9. the layers added with [`layer`](Self::layer), first added outermost,
/// 10. the network ([`build`](Self::build)) or your own service ([`build_with`](Self::build_with)).
///
/// ```
/// use std::time::Duration;
/// use polar_transport::{Server, TransportBuilder};
///
/// # fn main() -> Result<(), polar_transport::BuildError> {
/// let service = TransportBuilder::new()
///     .token("polar_oat_example")
///     .server(Server::Sandbox)
///     .call_timeout(Duration::from_secs(30))
///     .build()?;
/// # drop(service);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct TransportBuilder {
    token: Option<SecretString>,
    server: Server,
    allow_http: bool,
    api_version: String,
    user_agent: String,
    connect_timeout: Option<Duration>,
    attempt_timeout: Option<Duration>,
    call_timeout: Option<Duration>,
    body_idle_timeout: Option<Duration>,
    retry: RetryConfig,
    rate_limit: RateLimitSetting,
    #[cfg(any(feature = "rustls-ring", feature = "rustls-aws-lc"))]
    tls: Option<rustls::ClientConfig>,
    layers: Vec<UserLayer>,
}

impl fmt::Debug for TransportBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportBuilder")
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .field("server", &self.server)
            .field("allow_http", &self.allow_http)
            .field("api_version", &self.api_version)
            .field("user_agent", &self.user_agent)
            .field("connect_timeout", &self.connect_timeout)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("call_timeout", &self.call_timeout)
            .field("body_idle_timeout", &self.body_idle_timeout)
            .field("retry", &self.retry)
            .field("rate_limit", &self.rate_limit)
            .field("custom_tls", &self.has_tls_config())
            .field("layers", &self.layers.len())
            .finish()
    }
}

impl Default for TransportBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl TransportBuilder {
    /// A builder with the defaults: production server, API version `2026-10`, user agent
    /// `polar-rs/<version>`, connect timeout 10 s, attempt timeout 30 s, call timeout 120 s,
    /// body idle timeout 30 s, [`RetryConfig::default`], the server's rate limit. A token must
    /// still be set.
    pub fn new() -> Self {
        TransportBuilder {
            token: None,
            server: Server::Production,
            allow_http: false,
            api_version: DEFAULT_API_VERSION.to_owned(),
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            connect_timeout: Some(Duration::from_secs(10)),
            attempt_timeout: Some(Duration::from_secs(30)),
            call_timeout: Some(Duration::from_secs(120)),
            body_idle_timeout: Some(DEFAULT_BODY_IDLE_TIMEOUT),
            retry: RetryConfig::default(),
            rate_limit: RateLimitSetting::ServerDefault,
            #[cfg(any(feature = "rustls-ring", feature = "rustls-aws-lc"))]
            tls: None,
            layers: Vec::new(),
        }
    }

    /// The bearer token (an organization access token or an OAuth2 access token).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(SecretString::from(token.into()));
        self
    }

    /// The bearer token set with [`token`](Self::token), still secret. The SDK reads it here to
    /// cut it out of anything a server echoes back, so the builder holds the only copy.
    // Hidden: only polar-customers' `ClientBuilder` needs it (a builder is written, not read);
    // not part of this crate's stable API.
    #[doc(hidden)]
    pub fn get_token(&self) -> Option<&SecretString> {
        self.token.as_ref()
    }

    /// The server to talk to.
    pub fn server(mut self, server: Server) -> Self {
        self.server = server;
        self
    }

    /// Shorthand for `server(Server::Custom(url.to_owned()))`.
    pub fn base_url(self, url: &str) -> Self {
        self.server(Server::Custom(url.to_owned()))
    }

    /// Allows a plain `http://` base URL (for local fakes and tests). Refused by default.
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// The `Polar-Version` header (default `2026-10`).
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = version.into();
        self
    }

    /// The `User-Agent` header (default `polar-rs/<crate version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Limit on establishing a connection (network transport only).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Limit on each attempt, until the response head arrives (default 30 s).
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// No limit on each attempt: an attempt then ends only with its answer, a failure or the
    /// call timeout.
    pub fn no_attempt_timeout(mut self) -> Self {
        self.attempt_timeout = None;
        self
    }

    /// Limit on the whole call: all attempts, waits for the transport to be ready, rate-limit
    /// waits and backoff, and reading the response body. A request's `RequestOptions::timeout`
    /// overrides it. A request marked
    /// [`RequestOptions::streaming_body`](crate::RequestOptions::streaming_body) is bounded by it
    /// only until the response head arrives (see [`body_idle_timeout`](Self::body_idle_timeout)).
    pub fn call_timeout(mut self, timeout: Duration) -> Self {
        self.call_timeout = Some(timeout);
        self
    }

    /// No limit on the whole call (default 120 s); a request's `RequestOptions::timeout` still
    /// applies. Retries, rate-limit waits and reading the body may then take as long as they
    /// need, so keep an attempt timeout, or a timeout of your own around the call.
    pub fn no_call_timeout(mut self) -> Self {
        self.call_timeout = None;
        self
    }

    /// Limit on the wait for the next data frame of a streamed body (default 30 s): reading the
    /// body of a request marked [`RequestOptions::streaming_body`](crate::RequestOptions::streaming_body)
    /// fails with [`ErrorKind::BodyIdleTimeout`](crate::ErrorKind::BodyIdleTimeout) when the
    /// server sends nothing for this long. A slow but steady stream may take as long as it needs.
    pub fn body_idle_timeout(mut self, timeout: Duration) -> Self {
        self.body_idle_timeout = Some(timeout);
        self
    }

    /// Retry settings.
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// A client-side rate limit instead of the server's default, with a budget of its own
    /// (made when the stack is built; services built apart do not share it).
    pub fn rate_limit(mut self, config: RateLimitConfig) -> Self {
        self.rate_limit = RateLimitSetting::Custom(config);
        self
    }

    /// A rate limiter shared with other clients. Polar counts requests per organization, so
    /// every client that uses a token of one organization should be given the same handle:
    ///
    /// ```
    /// use polar_transport::TransportBuilder;
    /// use polar_transport::ratelimit::{RateLimitConfig, RateLimiter};
    ///
    /// # fn main() -> Result<(), polar_transport::BuildError> {
    /// let limiter = RateLimiter::new(RateLimitConfig::production());
    /// let reports = TransportBuilder::new().token("polar_oat_reports").rate_limiter(limiter.clone()).build()?;
    /// let billing = TransportBuilder::new().token("polar_oat_billing").rate_limiter(limiter).build()?;
    /// # drop((reports, billing));
    /// # Ok(())
    /// # }
    /// ```
    pub fn rate_limiter(mut self, limiter: RateLimiter) -> Self {
        self.rate_limit = RateLimitSetting::Shared(limiter);
        self
    }

    /// Turns the client-side rate limiter (and the shared 429 cooldown) off.
    pub fn disable_rate_limit(mut self) -> Self {
        self.rate_limit = RateLimitSetting::Disabled;
        self
    }

    /// A TLS configuration for the network transport, for example one trusting a private root.
    /// Its ALPN list is replaced by `h2` and `http/1.1`. Only with the `rustls-ring` or
    /// `rustls-aws-lc` feature.
    #[cfg(any(feature = "rustls-ring", feature = "rustls-aws-lc"))]
    pub fn tls_config(mut self, config: rustls::ClientConfig) -> Self {
        self.tls = Some(config);
        self
    }

    /// Adds a user layer between the base-URI layer and the transport (point 9 in the list
    /// above): it sees every attempt with its absolute URL and all headers, the token included
    /// (as a sensitive header value). Layers added first are outermost.
    pub fn layer<L, S, B>(mut self, layer: L) -> Self
    where
        L: Layer<HttpService, Service = S> + Send + Sync + 'static,
        S: Service<Request<Body>, Response = Response<B>> + Clone + Send + Sync + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        self.layers
            .push(Arc::new(move |svc| into_http_service(layer.layer(svc))));
        self
    }

    /// Builds the stack over the network transport (hyper-util + rustls). Only with the
    /// `rustls-ring` or `rustls-aws-lc` feature (see the crate's [features](crate#features));
    /// [`build_with`](Self::build_with) is always there.
    #[cfg(any(feature = "rustls-ring", feature = "rustls-aws-lc"))]
    pub fn build(self) -> Result<HttpService, BuildError> {
        let net = NetworkConfig {
            connect_timeout: self.connect_timeout,
            allow_http: self.allow_http,
            ..NetworkConfig::default()
        };
        let transport = match &self.tls {
            Some(tls) => HyperTransport::with_tls_config(tls.clone(), net),
            None => HyperTransport::new(net)?,
        };
        self.build_with(transport)
    }

    /// Builds the same stack over any service: the mock, an in-memory fake, your own client.
    pub fn build_with<S, B>(self, service: S) -> Result<HttpService, BuildError>
    where
        S: Service<Request<Body>, Response = Response<B>> + Clone + Send + Sync + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let layers = self.prepare()?;
        if self.layers.is_empty() {
            return Ok(layers.stack(service));
        }
        let mut svc = into_http_service(service);
        for user in self.layers.iter().rev() {
            svc = user(svc);
        }
        Ok(layers.stack(svc))
    }

    fn has_tls_config(&self) -> bool {
        #[cfg(any(feature = "rustls-ring", feature = "rustls-aws-lc"))]
        return self.tls.is_some();
        #[cfg(not(any(feature = "rustls-ring", feature = "rustls-aws-lc")))]
        false
    }

    fn prepare(&self) -> Result<Layers, BuildError> {
        let token = self.token.as_ref().ok_or(BuildError::MissingToken)?;
        let uri: Uri = self
            .server
            .url()
            .parse()
            .map_err(|e: http::uri::InvalidUri| BuildError::InvalidBaseUrl(e.to_string()))?;
        let base = Arc::new(BaseUrl::parse(&uri)?);
        if base.scheme == http::uri::Scheme::HTTP && !self.allow_http {
            return Err(BuildError::InsecureBaseUrl);
        }
        for t in [
            self.connect_timeout,
            self.attempt_timeout,
            self.call_timeout,
            self.body_idle_timeout,
        ]
        .into_iter()
        .flatten()
        {
            if t.is_zero() {
                return Err(BuildError::InvalidConfig(
                    "timeouts must be greater than zero",
                ));
            }
        }
        let rate_limit = match &self.rate_limit {
            RateLimitSetting::ServerDefault => {
                Some(RateLimiter::new(self.server.default_rate_limit()))
            }
            RateLimitSetting::Custom(c) if c.period().is_zero() => {
                return Err(BuildError::InvalidConfig(
                    "rate limit period must be greater than zero",
                ));
            }
            RateLimitSetting::Custom(c) => Some(RateLimiter::new(*c)),
            RateLimitSetting::Shared(limiter) => Some(limiter.clone()),
            RateLimitSetting::Disabled => None,
        };
        Ok(Layers {
            auth: AuthLayer::from_base(token, base.clone())?,
            base_uri: BaseUriLayer::from_base(base),
            headers: HeadersLayer::new(&self.user_agent, &self.api_version)?,
            attempt_timeout: TimeoutLayer::attempt(self.attempt_timeout),
            call_timeout: CallTimeoutLayer::cooperative(self.call_timeout)
                .body_idle_timeout(self.body_idle_timeout),
            rate_limit: rate_limit.map(RateLimitLayer::new),
            retry: RetryLayer::new(self.retry.clone()),
        })
    }
}

struct Layers {
    auth: AuthLayer,
    base_uri: BaseUriLayer,
    headers: HeadersLayer,
    attempt_timeout: TimeoutLayer,
    call_timeout: CallTimeoutLayer,
    rate_limit: Option<RateLimitLayer>,
    retry: RetryLayer,
}

impl Layers {
    fn stack<S, B>(self, inner: S) -> HttpService
    where
        S: Service<Request<Body>, Response = Response<B>> + Clone + Send + Sync + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        // The inner body travels unboxed through the stack; the call timeout wraps it in its
        // deadline, and that is boxed once into a `ResponseBody`.
        BoxCloneSyncService::new(
            ServiceBuilder::new()
                .layer(TraceLayer::new())
                .map_response(box_body::<B>)
                .layer(self.call_timeout)
                .layer(self.retry)
                .option_layer(self.rate_limit)
                .layer(self.attempt_timeout)
                .layer(self.headers)
                .layer(self.auth)
                .layer(self.base_uri)
                .service(inner),
        )
    }
}

/// Boxes the call timeout's body into the [`ResponseBody`] every part of the SDK agrees on.
fn box_body<B>(res: Response<TimeoutBody<B>>) -> Response<ResponseBody>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    res.map(BodyExt::boxed_unsync)
}
