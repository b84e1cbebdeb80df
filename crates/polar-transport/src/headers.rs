//! Adds the headers every Polar request carries.
//!
//! - `User-Agent` (default `polar-rs/<crate version>`),
//! - `Accept: application/json`, unless the request already sets one (the CSV export sends
//!   `text/csv`),
//! - `Polar-Version` (the API version, default [`DEFAULT_API_VERSION`]).
//!
//! Polar has no header that picks an organization: a token that reaches several organizations
//! names one with the `organization_id` field of the request body or query.
//!
//! A header the request already carries is never overwritten, so one request can pin another
//! API version by setting `Polar-Version` itself.
//!
//! ```
//! use http::{Request, Response};
//! use polar_transport::headers::HeadersLayer;
//! use polar_transport::{Body, BoxError};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), BoxError> {
//! let layer = HeadersLayer::new("my-app/1.0", "2026-10")?;
//! let svc = ServiceBuilder::new().layer(layer).service(service_fn(|req: Request<Body>| async move {
//!     Ok::<_, BoxError>(Response::new(req.headers().clone()))
//! }));
//! let res = svc.oneshot(Request::get("/v1/customers/").body(Body::default())?).await?;
//! assert_eq!(res.body()["user-agent"], "my-app/1.0");
//! assert_eq!(res.body()["accept"], "application/json");
//! assert_eq!(res.body()["polar-version"], "2026-10");
//! # Ok(())
//! # }
//! ```

use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::{ACCEPT, HeaderName, USER_AGENT};
use http::{HeaderValue, Request};
use tower_layer::Layer;
use tower_service::Service;

use crate::error::BuildError;

// Written by `cargo xtask codegen` from the spec subset (prettyplease-formatted, like polar-types'
// generated code), so this crate needs nothing of polar-types to know the version.
#[rustfmt::skip]
mod api_version;

/// The API version sent when none is configured: the version of Polar's API document the SDK
/// was generated from (the same as `polar_types::API_VERSION`).
pub const DEFAULT_API_VERSION: &str = api_version::API_VERSION;

/// The default `User-Agent`: `polar-rs/<version of this crate>`.
pub const DEFAULT_USER_AGENT: &str = concat!("polar-rs/", env!("CARGO_PKG_VERSION"));

/// The `Polar-Version` header name.
pub const POLAR_VERSION: HeaderName = HeaderName::from_static("polar-version");

const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");

#[derive(Debug)]
struct Values {
    user_agent: HeaderValue,
    version: HeaderValue,
}

/// Layer that applies [`Headers`].
#[derive(Clone, Debug)]
pub struct HeadersLayer {
    values: Arc<Values>,
}

impl HeadersLayer {
    /// A layer with the given user agent and API version.
    ///
    /// Fails with [`BuildError::InvalidHeader`] when a value is empty or not a valid header value.
    pub fn new(user_agent: &str, api_version: &str) -> Result<Self, BuildError> {
        fn value(s: &str, name: &'static str) -> Result<HeaderValue, BuildError> {
            if s.trim().is_empty() {
                return Err(BuildError::InvalidHeader(name));
            }
            HeaderValue::from_str(s).map_err(|_| BuildError::InvalidHeader(name))
        }
        Ok(HeadersLayer {
            values: Arc::new(Values {
                user_agent: value(user_agent, "User-Agent")?,
                version: value(api_version, "Polar-Version")?,
            }),
        })
    }
}

impl<S> Layer<S> for HeadersLayer {
    type Service = Headers<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Headers {
            inner,
            values: self.values.clone(),
        }
    }
}

/// Service that adds the standard headers; see the [module docs](self).
#[derive(Clone, Debug)]
pub struct Headers<S> {
    inner: S,
    values: Arc<Values>,
}

// Adding headers cannot fail, so the inner future and error pass through untouched.
impl<S, ReqBody> Service<Request<ReqBody>> for Headers<S>
where
    S: Service<Request<ReqBody>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        let h = req.headers_mut();
        h.reserve(6);
        let v = &*self.values;
        h.entry(USER_AGENT).or_insert_with(|| v.user_agent.clone());
        h.entry(ACCEPT).or_insert(APPLICATION_JSON);
        h.entry(POLAR_VERSION).or_insert_with(|| v.version.clone());
        self.inner.call(req)
    }
}
