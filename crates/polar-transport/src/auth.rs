//! Adds `Authorization: Bearer <token>` to requests for the configured server.
//!
//! The token is held as a [`SecretString`] and turned once into a header value marked
//! [sensitive](http::HeaderValue::set_sensitive), so `Debug` output and HTTP/2 header
//! compression never expose it. The header is attached only when the request goes to the
//! configured origin (same scheme, host and port) or has a relative URI that the base-URI layer
//! will join to it; a request already carrying `Authorization` is left alone. A
//! [`RequestOptions::token`](crate::RequestOptions) in the request's extensions replaces the
//! client's token for that request.
//!
//! ```
//! use http::{Request, Response, Uri, header::AUTHORIZATION};
//! use polar_transport::auth::AuthLayer;
//! use polar_transport::{Body, BoxError};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), BoxError> {
//! let layer = AuthLayer::new("polar_oat_example".into(), &Uri::from_static("https://api.polar.sh"))?;
//! let svc = ServiceBuilder::new().layer(layer).service(service_fn(|req: Request<Body>| async move {
//!     let auth = req.headers().get(AUTHORIZATION).cloned();
//!     Ok::<_, BoxError>(Response::new(auth))
//! }));
//!
//! // Same host: the token is attached, as a sensitive value.
//! let res = svc.clone().oneshot(Request::get("/v1/customers/").body(Body::default())?).await?;
//! let value = res.body().as_ref().unwrap();
//! assert!(value.is_sensitive());
//! assert_eq!(format!("{value:?}"), "Sensitive");
//!
//! // Another host: no token.
//! let res = svc.oneshot(Request::get("https://example.com/").body(Body::default())?).await?;
//! assert!(res.body().is_none());
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::AUTHORIZATION;
use http::{HeaderValue, Request, Response, Uri};
use secrecy::{ExposeSecret, SecretString};
use tower_layer::Layer;
use tower_service::Service;

use crate::base_uri::{BaseUrl, ResponseFuture};
use crate::error::{BuildError, Error, ErrorKind};
use crate::{BoxError, RequestOptions};

/// Turns a token into a sensitive `Bearer` header value, refusing empty tokens and bytes that
/// are not allowed in a header.
pub(crate) fn bearer_value(token: &SecretString) -> Result<HeaderValue, BuildError> {
    let token = token.expose_secret();
    if token.trim().is_empty() {
        return Err(BuildError::MissingToken);
    }
    // Visible ASCII only: refuses CR, LF, other controls, spaces inside the token and non-ASCII.
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(BuildError::InvalidToken);
    }
    let mut value =
        HeaderValue::try_from(format!("Bearer {token}")).map_err(|_| BuildError::InvalidToken)?;
    value.set_sensitive(true);
    Ok(value)
}

struct AuthInner {
    value: HeaderValue,
    origin: Arc<BaseUrl>,
}

/// Layer that applies [`Auth`].
#[derive(Clone)]
pub struct AuthLayer {
    inner: Arc<AuthInner>,
}

impl AuthLayer {
    /// A layer sending `token` to the origin of `base` only.
    ///
    /// Fails with [`BuildError::MissingToken`] for an empty token and
    /// [`BuildError::InvalidToken`] when it holds CR, LF or other bytes not allowed in a header.
    pub fn new(token: SecretString, base: &Uri) -> Result<Self, BuildError> {
        Self::from_base(&token, Arc::new(BaseUrl::parse(base)?))
    }

    pub(crate) fn from_base(
        token: &SecretString,
        origin: Arc<BaseUrl>,
    ) -> Result<Self, BuildError> {
        Ok(AuthLayer {
            inner: Arc::new(AuthInner {
                value: bearer_value(token)?,
                origin,
            }),
        })
    }
}

impl fmt::Debug for AuthLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthLayer")
            .field("token", &"[redacted]")
            .field("origin", &self.inner.origin)
            .finish()
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = Auth<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Auth {
            inner,
            auth: self.inner.clone(),
        }
    }
}

/// Service that adds the bearer token; see the [module docs](self).
#[derive(Clone)]
pub struct Auth<S> {
    inner: S,
    auth: Arc<AuthInner>,
}

impl<S: fmt::Debug> fmt::Debug for Auth<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("token", &"[redacted]")
            .field("origin", &self.auth.origin)
            .field("inner", &self.inner)
            .finish()
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Auth<S>
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
        if !req.headers().contains_key(AUTHORIZATION) && self.auth.origin.same_origin(req.uri()) {
            let value = match req
                .extensions()
                .get::<RequestOptions>()
                .and_then(|o| o.token.as_ref())
            {
                Some(token) => match bearer_value(token) {
                    Ok(v) => v,
                    Err(e) => {
                        return ResponseFuture::failed(Error::with_source(
                            ErrorKind::InvalidRequest,
                            e,
                        ));
                    }
                },
                None => self.auth.value.clone(),
            };
            req.headers_mut().insert(AUTHORIZATION, value);
        }
        ResponseFuture::new(self.inner.call(req))
    }
}
