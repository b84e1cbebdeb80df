//! Makes origin-form request URIs absolute against the configured server.
//!
//! Operations build requests with an origin-form URI such as `/v1/customers/?page=2`. The
//! [`BaseUriLayer`] joins it to the base URL: scheme, authority and any path prefix of the base
//! (`https://proxy.example/polar` + `/v1/customers/` → `https://proxy.example/polar/v1/customers/`).
//! A request whose URI is already absolute is passed on unchanged.
//!
//! ```
//! use http::{Request, Response, Uri};
//! use polar_transport::base_uri::BaseUriLayer;
//! use polar_transport::{Body, BoxError};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), BoxError> {
//! let layer = BaseUriLayer::new(Uri::from_static("https://sandbox-api.polar.sh"))?;
//! let svc = ServiceBuilder::new().layer(layer).service(service_fn(|req: Request<Body>| async move {
//!     Ok::<_, BoxError>(Response::new(req.uri().to_string()))
//! }));
//! let res = svc.oneshot(Request::get("/v1/customers/?page=2").body(Body::default())?).await?;
//! assert_eq!(res.body(), "https://sandbox-api.polar.sh/v1/customers/?page=2");
//! # Ok(())
//! # }
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Request, Response, Uri};
use tower_layer::Layer;
use tower_service::Service;

use crate::BoxError;
use crate::error::{BuildError, Error, ErrorKind};

/// A parsed base URL: scheme, authority and path prefix (without its trailing slash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BaseUrl {
    pub(crate) scheme: Scheme,
    pub(crate) authority: Authority,
    pub(crate) prefix: String,
}

impl BaseUrl {
    pub(crate) fn parse(uri: &Uri) -> Result<Self, BuildError> {
        let bad = |why: &str| BuildError::InvalidBaseUrl(format!("{why}: {uri}"));
        let scheme = uri.scheme().cloned().ok_or_else(|| bad("missing scheme"))?;
        if scheme != Scheme::HTTP && scheme != Scheme::HTTPS {
            return Err(bad("scheme must be http or https"));
        }
        let authority = uri
            .authority()
            .cloned()
            .ok_or_else(|| bad("missing host"))?;
        if authority.host().is_empty() {
            return Err(bad("missing host"));
        }
        if authority.as_str().contains('@') {
            return Err(BuildError::InvalidBaseUrl(
                "credentials in the base URL are not supported".into(),
            ));
        }
        if uri.query().is_some() {
            return Err(bad("a base URL cannot have a query"));
        }
        let prefix = uri.path().trim_end_matches('/').to_owned();
        Ok(BaseUrl {
            scheme,
            authority,
            prefix,
        })
    }

    /// The port of the base URL, explicit or implied by the scheme.
    pub(crate) fn port(&self) -> u16 {
        self.authority
            .port_u16()
            .unwrap_or(if self.scheme == Scheme::HTTPS {
                443
            } else {
                80
            })
    }

    /// True when `uri` is relative (it will be joined to this base) or points at the same
    /// scheme, host and port.
    pub(crate) fn same_origin(&self, uri: &Uri) -> bool {
        let (Some(scheme), Some(authority)) = (uri.scheme(), uri.authority()) else {
            return uri.scheme().is_none() && uri.authority().is_none();
        };
        if *scheme != self.scheme || !authority.host().eq_ignore_ascii_case(self.authority.host()) {
            return false;
        }
        let port = authority
            .port_u16()
            .unwrap_or(if *scheme == Scheme::HTTPS { 443 } else { 80 });
        port == self.port()
    }

    fn join_owned(&self, uri: Uri) -> Result<Uri, http::Error> {
        if !self.prefix.is_empty() {
            return self.join(&uri);
        }
        // No prefix: reuse the parsed path and query as they are.
        let mut parts = uri.into_parts();
        parts.scheme = Some(self.scheme.clone());
        parts.authority = Some(self.authority.clone());
        if parts.path_and_query.is_none() {
            parts.path_and_query = Some(PathAndQuery::from_static("/"));
        }
        Ok(Uri::from_parts(parts)?)
    }

    fn join(&self, uri: &Uri) -> Result<Uri, http::Error> {
        let pq = uri.path_and_query().map_or("/", PathAndQuery::as_str);
        let pq = if self.prefix.is_empty() {
            PathAndQuery::try_from(pq)?
        } else {
            let mut joined = String::with_capacity(self.prefix.len() + pq.len() + 1);
            joined.push_str(&self.prefix);
            if !pq.starts_with('/') {
                joined.push('/');
            }
            joined.push_str(pq);
            PathAndQuery::try_from(joined)?
        };
        Uri::builder()
            .scheme(self.scheme.clone())
            .authority(self.authority.clone())
            .path_and_query(pq)
            .build()
    }
}

/// Layer that applies [`BaseUri`].
#[derive(Clone, Debug)]
pub struct BaseUriLayer {
    base: Arc<BaseUrl>,
}

impl BaseUriLayer {
    /// A layer joining requests to `base` (scheme, host, optional port and path prefix).
    ///
    /// This layer does not check the scheme; [`TransportBuilder`](crate::TransportBuilder) is
    /// the place that refuses plain `http://`.
    pub fn new(base: Uri) -> Result<Self, BuildError> {
        Ok(BaseUriLayer {
            base: Arc::new(BaseUrl::parse(&base)?),
        })
    }

    pub(crate) fn from_base(base: Arc<BaseUrl>) -> Self {
        BaseUriLayer { base }
    }
}

impl<S> Layer<S> for BaseUriLayer {
    type Service = BaseUri<S>;

    fn layer(&self, inner: S) -> Self::Service {
        BaseUri {
            inner,
            base: self.base.clone(),
        }
    }
}

/// Service that makes origin-form request URIs absolute; see the [module docs](self).
#[derive(Clone, Debug)]
pub struct BaseUri<S> {
    inner: S,
    base: Arc<BaseUrl>,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for BaseUri<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Error: Into<BoxError>,
{
    type Response = Response<ResBody>;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        if req.uri().scheme().is_none() {
            match self.base.join_owned(std::mem::take(req.uri_mut())) {
                Ok(uri) => *req.uri_mut() = uri,
                Err(e) => {
                    return ResponseFuture::failed(Error::with_source(
                        ErrorKind::InvalidRequest,
                        e,
                    ));
                }
            }
        }
        ResponseFuture::new(self.inner.call(req))
    }
}

pin_project_lite::pin_project! {
    /// Future of [`BaseUri`] (also used by other layers that may fail before calling inner).
    pub struct ResponseFuture<F> {
        #[pin]
        inner: Option<F>,
        error: Option<Error>,
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(inner: F) -> Self {
        ResponseFuture {
            inner: Some(inner),
            error: None,
        }
    }

    pub(crate) fn failed(error: Error) -> Self {
        ResponseFuture {
            inner: None,
            error: Some(error),
        }
    }
}

impl<F, T, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<T, E>>,
    E: Into<BoxError>,
{
    type Output = Result<T, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        match this.inner.as_pin_mut() {
            Some(f) => f.poll(cx).map_err(Into::into),
            None => Poll::Ready(Err(this
                .error
                .take()
                .map(BoxError::from)
                .unwrap_or_else(|| Error::new(ErrorKind::Other).into()))),
        }
    }
}
