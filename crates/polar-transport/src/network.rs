//! The network transport: a pooled `hyper-util` client over `hyper-rustls`.
//!
//! Compiled with the `rustls-ring` or `rustls-aws-lc` feature only (see the crate's
//! [features](crate#features)). [`HyperTransport`] speaks HTTP/1.1 and HTTP/2 (chosen by ALPN)
//! over TLS with the chosen crypto provider (`aws-lc-rs` when both are enabled). Roots come from
//! the bundled webpki list (`webpki-roots`) or from the operating system (`native-roots`, which
//! wins when both are enabled); [`HyperTransport::with_tls_config`] takes any
//! [`rustls::ClientConfig`] instead (for example one trusting a test root). Connections are
//! pooled and reused. Responses carry hyper's streamed [`Incoming`] body (the builder boxes it
//! once into a [`ResponseBody`](crate::ResponseBody)). Errors are [`Error`]s of kind [`ErrorKind::Connect`](crate::ErrorKind::Connect),
//! [`ErrorKind::ConnectTimeout`](crate::ErrorKind::ConnectTimeout),
//! [`ErrorKind::Certificate`](crate::ErrorKind::Certificate) or [`ErrorKind::Io`](crate::ErrorKind::Io).
//!
//! The connect timeout bounds the whole connection set-up, the TCP connection **and the TLS
//! handshake**: a server that accepts the connection but never completes the handshake fails
//! with [`ErrorKind::ConnectTimeout`](crate::ErrorKind::ConnectTimeout), like one that never
//! accepts. Nothing was sent either way, so the retry policy may retry even a `POST`.
//!
//! It is the innermost service of [`TransportBuilder::build`](crate::TransportBuilder::build);
//! on its own it sends requests as they are, without any of the layers:
//!
//! ```no_run
//! use polar_transport::network::HyperTransport;
//! use polar_transport::{Body, BoxError};
//! use tower::ServiceExt;
//!
//! # async fn run() -> Result<(), BoxError> {
//! let transport = HyperTransport::new(HyperTransport::config())?;
//! let res = transport
//!     .oneshot(http::Request::get("https://api.polar.sh/healthz").body(Body::default())?)
//!     .await?;
//! println!("{}", res.status());
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::Uri;

use http::{Request, Response};
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tower_service::Service;

use crate::error::{BuildError, Error};
use crate::{Body, BoxError};

/// Settings of the network transport.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct NetworkConfig {
    /// Limit on establishing a connection, TCP and TLS handshake together (`None`: no limit
    /// beyond the operating system's on TCP).
    pub connect_timeout: Option<Duration>,
    /// Whether plain `http://` URIs may be used (otherwise only `https://`).
    pub allow_http: bool,
    /// How long an idle pooled connection may be reused (checked when a connection is taken
    /// from the pool; no background timer runs).
    pub pool_idle_timeout: Duration,
    /// Maximum idle connections kept per host (default: no limit, like `hyper-util`).
    pub pool_max_idle_per_host: usize,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            connect_timeout: Some(Duration::from_secs(10)),
            allow_http: false,
            pool_idle_timeout: Duration::from_secs(90),
            pool_max_idle_per_host: usize::MAX,
        }
    }
}

/// The `hyper-util` client with `hyper-rustls`; see the [module docs](self).
#[derive(Clone)]
pub struct HyperTransport {
    // Behind an `Arc`: the client is a few hundred bytes and every layer clones its inner
    // service per call, so this keeps clones and moves cheap.
    client: Arc<Client<ConnectTimeout<HttpsConnector<HttpConnector>>, Body>>,
}

impl fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperTransport").finish_non_exhaustive()
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    #[cfg(feature = "rustls-aws-lc")]
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    #[cfg(not(feature = "rustls-aws-lc"))]
    let provider = rustls::crypto::ring::default_provider();
    Arc::new(provider)
}

type RootsBuilder = rustls::ConfigBuilder<rustls::ClientConfig, rustls::WantsVerifier>;

#[cfg(feature = "native-roots")]
fn with_roots(builder: RootsBuilder) -> Result<rustls::ClientConfig, BuildError> {
    use hyper_rustls::ConfigBuilderExt;
    Ok(builder
        .with_native_roots()
        .map_err(|e| BuildError::Tls(e.into()))?
        .with_no_client_auth())
}

#[cfg(all(feature = "webpki-roots", not(feature = "native-roots")))]
fn with_roots(builder: RootsBuilder) -> Result<rustls::ClientConfig, BuildError> {
    use hyper_rustls::ConfigBuilderExt;
    Ok(builder.with_webpki_roots().with_no_client_auth())
}

#[cfg(not(any(feature = "webpki-roots", feature = "native-roots")))]
fn with_roots(_: RootsBuilder) -> Result<rustls::ClientConfig, BuildError> {
    Err(BuildError::Tls(
        "polar-transport was compiled without root certificates: enable its `webpki-roots` or \
         `native-roots` feature, or give a TLS configuration (`tls_config`)"
            .into(),
    ))
}

impl HyperTransport {
    /// Default network settings (10 s connect timeout, `https` only, pooled connections).
    pub fn config() -> NetworkConfig {
        NetworkConfig::default()
    }

    /// A transport trusting the roots chosen by feature: the operating system's
    /// (`native-roots`) or the bundled webpki roots (`webpki-roots`). Without either feature it
    /// fails with [`BuildError::Tls`]: pass a configuration to
    /// [`with_tls_config`](Self::with_tls_config) instead.
    pub fn new(config: NetworkConfig) -> Result<Self, BuildError> {
        let builder = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| BuildError::Tls(e.into()))?;
        Ok(Self::with_tls_config(with_roots(builder)?, config))
    }

    /// A transport with a caller-supplied TLS configuration (its ALPN list is replaced by
    /// `h2` and `http/1.1`).
    pub fn with_tls_config(mut tls: rustls::ClientConfig, config: NetworkConfig) -> Self {
        tls.alpn_protocols.clear();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(config.connect_timeout);
        let schemes = hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls);
        let connector = if config.allow_http {
            schemes
                .https_or_http()
                .enable_all_versions()
                .wrap_connector(http)
        } else {
            schemes
                .https_only()
                .enable_all_versions()
                .wrap_connector(http)
        };
        let connector = ConnectTimeout {
            inner: connector,
            timeout: config.connect_timeout,
        };
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(config.pool_idle_timeout)
            .pool_max_idle_per_host(config.pool_max_idle_per_host)
            .build(connector);
        HyperTransport {
            client: Arc::new(client),
        }
    }
}

impl Service<Request<Body>> for HyperTransport {
    type Response = Response<Incoming>;
    type Error = BoxError;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        ResponseFuture {
            inner: self.client.request(req),
        }
    }
}

pin_project_lite::pin_project! {
    /// Future of [`HyperTransport`].
    pub struct ResponseFuture {
        #[pin]
        inner: hyper_util::client::legacy::ResponseFuture,
    }
}

impl Future for ResponseFuture {
    type Output = Result<Response<Incoming>, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().inner.poll(cx) {
            Poll::Ready(Ok(res)) => Poll::Ready(Ok(res)),
            Poll::Ready(Err(e)) => Poll::Ready(Err(Error::from_client(e).into())),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Bounds a whole connection set-up (TCP connect and TLS handshake) by the connect timeout; the
/// TCP connector's own timeout covers only the first part.
#[derive(Clone, Debug)]
struct ConnectTimeout<C> {
    inner: C,
    timeout: Option<Duration>,
}

type Connecting<T> = Pin<Box<dyn Future<Output = Result<T, BoxError>> + Send>>;

impl<C> Service<Uri> for ConnectTimeout<C>
where
    C: Service<Uri>,
    C::Future: Send + 'static,
    C::Error: Into<BoxError>,
{
    type Response = C::Response;
    type Error = BoxError;
    // Boxed: one allocation per new connection, not per request.
    type Future = Connecting<C::Response>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let connecting = self.inner.call(uri);
        let Some(limit) = self.timeout else {
            return Box::pin(async move { connecting.await.map_err(Into::into) });
        };
        Box::pin(async move {
            match tokio::time::timeout(limit, connecting).await {
                Ok(result) => result.map_err(Into::into),
                // `TimedOut` is what marks a connect error as a connect timeout.
                Err(_) => Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "connection set-up (TCP and TLS handshake) exceeded the connect timeout",
                )
                .into()),
            }
        })
    }
}
