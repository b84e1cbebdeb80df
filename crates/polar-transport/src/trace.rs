//! One tracing span per call, and one event per attempt.
//!
//! [`TraceLayer`] opens an `INFO` span named `polar_call` with the fields `method`, `route`
//! and, when the call ends, `status` (or `error`) and `attempts`; it emits a `DEBUG` event
//! `polar call finished` with the duration. The retry layer, running inside that span, emits a
//! `DEBUG` event per attempt with `method`, `route`, `attempt`, `status` or `error`, and
//! `duration_ms`.
//!
//! The route is the [`RouteTemplate`] of the request when the operation set one (for example
//! `/v1/customers/{id}`), else the path without its query. Header values (the token) and query
//! values are never recorded.
//!
//! ```
//! use http::{Request, Response};
//! use polar_transport::trace::TraceLayer;
//! use polar_transport::{Body, BoxError, RouteTemplate};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), BoxError> {
//! let svc = ServiceBuilder::new().layer(TraceLayer::new()).service(service_fn(|_req: Request<Body>| async {
//!     Ok::<_, BoxError>(Response::new(()))
//! }));
//! let mut req = Request::get("/v1/customers/0c3f?x=1").body(Body::default())?;
//! req.extensions_mut().insert(RouteTemplate("/v1/customers/{id}"));
//! svc.oneshot(req).await?; // logs route=/v1/customers/{id} under a subscriber
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{Request, Response};
use std::time::Instant;
use tower_layer::Layer;
use tower_service::Service;
use tracing::Span;
use tracing::field::Empty;

use crate::error::{Error, ErrorKind};
use crate::{Attempts, BoxError, RouteTemplate};

/// The route recorded in traces: a template, or the bare path.
#[derive(Clone, Debug)]
pub(crate) enum Route {
    Template(&'static str),
    Path(String),
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Route::Template(t) => f.write_str(t),
            Route::Path(p) => f.write_str(p),
        }
    }
}

/// The route of a request: its [`RouteTemplate`], else its path without query. The one place
/// that decides what a trace names a request by (this layer's span, the retry layer's events).
pub(crate) fn route_of(extensions: &http::Extensions, uri: &http::Uri) -> Route {
    match extensions.get::<RouteTemplate>() {
        Some(t) => Route::Template(t.0),
        None => Route::Path(uri.path().to_owned()),
    }
}

/// Layer that applies [`Trace`].
#[derive(Clone, Copy, Debug, Default)]
pub struct TraceLayer {
    _priv: (),
}

impl TraceLayer {
    /// A new tracing layer.
    pub fn new() -> Self {
        TraceLayer::default()
    }
}

impl<S> Layer<S> for TraceLayer {
    type Service = Trace<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Trace { inner }
    }
}

/// Service that wraps each call in a span; see the [module docs](self).
#[derive(Clone, Debug)]
pub struct Trace<S> {
    inner: S,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Trace<S>
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

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let span = tracing::info_span!(
            "polar_call",
            method = %req.method(),
            route = %route_of(req.extensions(), req.uri()),
            status = Empty,
            error = Empty,
            attempts = Empty,
        );
        let inner = {
            let _enter = span.enter();
            self.inner.call(req)
        };
        // Only read the clock when someone listens.
        let started = if span.is_disabled() {
            None
        } else {
            Some(Instant::now())
        };
        ResponseFuture {
            inner,
            span,
            started,
        }
    }
}

pin_project_lite::pin_project! {
    /// Future of [`Trace`].
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        span: Span,
        started: Option<Instant>,
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    E: Into<BoxError>,
{
    type Output = Result<Response<B>, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _enter = this.span.enter();
        let out = match this.inner.poll(cx) {
            Poll::Ready(out) => out.map_err(Into::into),
            Poll::Pending => return Poll::Pending,
        };
        if let Some(started) = this.started {
            let ms = started.elapsed().as_secs_f64() * 1e3;
            match &out {
                Ok(res) => {
                    let attempts = res.extensions().get::<Attempts>().map_or(1, |a| a.0);
                    this.span.record("status", res.status().as_u16());
                    this.span.record("attempts", attempts);
                    tracing::debug!(
                        status = res.status().as_u16(),
                        attempts,
                        duration_ms = ms,
                        "polar call finished"
                    );
                }
                Err(e) => {
                    let (kind, attempts) = match e.downcast_ref::<Error>() {
                        Some(e) => (e.kind(), e.attempts()),
                        None => (ErrorKind::Other, 1),
                    };
                    this.span.record("error", tracing::field::debug(kind));
                    this.span.record("attempts", attempts);
                    tracing::debug!(error = ?kind, attempts, duration_ms = ms, "polar call finished");
                }
            }
        }
        Poll::Ready(out)
    }
}
