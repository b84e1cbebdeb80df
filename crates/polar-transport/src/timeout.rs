//! Timeouts for one attempt and for the whole call.
//!
//! The same layer serves both purposes; the kind decides which error it returns and whether a
//! per-request [`RequestOptions::timeout`](crate::RequestOptions) applies:
//!
//! - [`TimeoutLayer::attempt`] sits inside the retry layer and bounds each attempt; it fails with
//!   [`ErrorKind::AttemptTimeout`], which the retry policy may retry.
//! - [`TimeoutLayer::call`] sits outside the retry layer and bounds everything: every attempt,
//!   rate-limit waits and backoff sleeps. It fails with [`ErrorKind::CallTimeout`], carrying the
//!   number of attempts started so far. `RequestOptions::timeout` overrides its duration.
//!
//! Both stop when the response head arrives; reading a streamed body is not bounded by them.
//! The connect timeout is set on the network connector (see
//! [`TransportBuilder::connect_timeout`](crate::TransportBuilder::connect_timeout)).
//! Timers use `tokio::time`, so tests can drive them with `tokio::time::pause`.
//!
//! ```
//! use std::time::Duration;
//! use http::{Request, Response};
//! use polar_transport::timeout::TimeoutLayer;
//! use polar_transport::{Body, BoxError, Error, ErrorKind};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> Result<(), BoxError> {
//! let svc = ServiceBuilder::new()
//!     .layer(TimeoutLayer::call(Some(Duration::from_secs(5))))
//!     .service(service_fn(|_req: Request<Body>| async {
//!         tokio::time::sleep(Duration::from_secs(60)).await; // a stalled server
//!         Ok::<_, BoxError>(Response::new(()))
//!     }));
//! let err = svc.oneshot(Request::get("/v1/customers/").body(Body::default())?).await.unwrap_err();
//! assert_eq!(err.downcast_ref::<Error>().unwrap().kind(), ErrorKind::CallTimeout);
//! # Ok(())
//! # }
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use http::{Request, Response};
use tokio::time::Sleep;
use tower_layer::Layer;
use tower_service::Service;

use crate::error::{Error, ErrorKind};
use crate::{BoxError, RequestOptions};

/// Shared count of attempts started, put into request extensions by the call timeout so its
/// error can report how far the retry layer got.
#[derive(Clone, Debug, Default)]
pub(crate) struct AttemptCounter(pub(crate) Arc<AtomicU32>);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Attempt,
    Call,
}

/// Layer that applies [`Timeout`].
#[derive(Clone, Copy, Debug)]
pub struct TimeoutLayer {
    duration: Option<Duration>,
    kind: Kind,
}

impl TimeoutLayer {
    /// A per-attempt timeout (`None`: no limit). Fails with [`ErrorKind::AttemptTimeout`].
    pub fn attempt(duration: Option<Duration>) -> Self {
        TimeoutLayer {
            duration,
            kind: Kind::Attempt,
        }
    }

    /// A whole-call timeout (`None`: no limit unless the request sets one). Fails with
    /// [`ErrorKind::CallTimeout`]; `RequestOptions::timeout` overrides the duration.
    pub fn call(duration: Option<Duration>) -> Self {
        TimeoutLayer {
            duration,
            kind: Kind::Call,
        }
    }
}

impl<S> Layer<S> for TimeoutLayer {
    type Service = Timeout<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Timeout {
            inner,
            duration: self.duration,
            kind: self.kind,
        }
    }
}

/// Service that bounds the time to a response; see the [module docs](self).
#[derive(Clone, Debug)]
pub struct Timeout<S> {
    inner: S,
    duration: Option<Duration>,
    kind: Kind,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Timeout<S>
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
        let mut counter = None;
        let duration = match self.kind {
            Kind::Attempt => self.duration,
            Kind::Call => {
                let c = AttemptCounter::default();
                counter = Some(c.0.clone());
                req.extensions_mut().insert(c);
                req.extensions()
                    .get::<RequestOptions>()
                    .and_then(|o| o.timeout)
                    .or(self.duration)
            }
        };
        ResponseFuture {
            inner: self.inner.call(req),
            sleep: duration.map(tokio::time::sleep),
            kind: self.kind,
            counter,
        }
    }
}

pin_project_lite::pin_project! {
    /// Future of [`Timeout`].
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        #[pin]
        sleep: Option<Sleep>,
        kind: Kind,
        counter: Option<Arc<AtomicU32>>,
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
        if let Poll::Ready(out) = this.inner.poll(cx) {
            return Poll::Ready(out.map_err(Into::into));
        }
        if let Some(sleep) = this.sleep.as_pin_mut()
            && sleep.poll(cx).is_ready()
        {
            let err = match this.kind {
                Kind::Attempt => Error::new(ErrorKind::AttemptTimeout),
                Kind::Call => {
                    let attempts = this
                        .counter
                        .as_ref()
                        .map_or(1, |c| c.load(Ordering::Relaxed).max(1));
                    Error::new(ErrorKind::CallTimeout).with_attempts(attempts)
                }
            };
            return Poll::Ready(Err(err.into()));
        }
        Poll::Pending
    }
}
