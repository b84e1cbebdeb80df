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
//! The call timeout also puts its deadline into the request's extensions. The attempt timeout,
//! the retry layer's backoff and the rate limiter's waits all stop at that deadline and report
//! [`ErrorKind::CallTimeout`], so inside [`TransportBuilder`](crate::TransportBuilder)'s stack
//! the call timeout needs no timer of its own (one timer per attempt instead of two per call).
//! Used on its own, over services that know nothing of the deadline, the call timeout arms its
//! own timer.
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
use tokio::time::{Instant, Sleep};
use tower_layer::Layer;
use tower_service::Service;

use crate::error::{Error, ErrorKind};
use crate::{BoxError, RequestOptions};

/// Per-call context put into request extensions by the call timeout: the call's deadline and a
/// shared count of attempts started, so every layer can stop at the deadline and report how far
/// the retry layer got.
#[derive(Clone, Debug)]
pub(crate) struct CallContext {
    pub(crate) deadline: Option<Instant>,
    pub(crate) attempts: Arc<AtomicU32>,
}

impl CallContext {
    pub(crate) fn attempts(&self) -> u32 {
        self.attempts.load(Ordering::Relaxed).max(1)
    }

    /// The error for a call that reached its deadline.
    pub(crate) fn timeout_error(&self) -> Error {
        Error::new(ErrorKind::CallTimeout).with_attempts(self.attempts())
    }
}

/// `now + d`, or `None` when that does not fit in an `Instant` (no limit in practice).
fn deadline_after(d: Duration) -> Option<Instant> {
    Instant::now().checked_add(d)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Attempt,
    /// `own_timer`: false when every inner wait honours the deadline (the builder's stack).
    Call {
        own_timer: bool,
    },
}

/// Layer that applies [`Timeout`].
#[derive(Clone, Copy, Debug)]
pub struct TimeoutLayer {
    duration: Option<Duration>,
    kind: Kind,
}

impl TimeoutLayer {
    /// A per-attempt timeout (`None`: no limit of its own). Fails with
    /// [`ErrorKind::AttemptTimeout`], or [`ErrorKind::CallTimeout`] when the call's deadline
    /// comes first.
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
            kind: Kind::Call { own_timer: true },
        }
    }

    /// A call timeout that relies on the inner layers to honour its deadline (only for stacks
    /// where an attempt timeout sits below every wait, as in the builder's).
    pub(crate) fn call_cooperative(duration: Option<Duration>) -> Self {
        TimeoutLayer {
            duration,
            kind: Kind::Call { own_timer: false },
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
        match self.kind {
            Kind::Attempt => {
                let own = self.duration.and_then(deadline_after);
                let ctx = req.extensions().get::<CallContext>().cloned();
                let call_deadline = ctx.as_ref().and_then(|c| c.deadline);
                // The earlier of the two deadlines; the call's wins a tie.
                let (at, fires_as_call) = match (own, call_deadline) {
                    (Some(a), Some(c)) if c <= a => (Some(c), true),
                    (Some(a), _) => (Some(a), false),
                    (None, Some(c)) => (Some(c), true),
                    (None, None) => (None, false),
                };
                ResponseFuture {
                    inner: self.inner.call(req),
                    sleep: at.map(tokio::time::sleep_until),
                    on_fire: if fires_as_call { ctx } else { None },
                }
            }
            Kind::Call { own_timer } => {
                let duration = req
                    .extensions()
                    .get::<RequestOptions>()
                    .and_then(|o| o.timeout)
                    .or(self.duration);
                let deadline = duration.and_then(deadline_after);
                let ctx = CallContext {
                    deadline,
                    attempts: Arc::default(),
                };
                req.extensions_mut().insert(ctx.clone());
                ResponseFuture {
                    inner: self.inner.call(req),
                    sleep: deadline.filter(|_| own_timer).map(tokio::time::sleep_until),
                    on_fire: Some(ctx),
                }
            }
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
        // Some: the timer stands for the call's deadline.
        on_fire: Option<CallContext>,
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
            let err = match this.on_fire {
                Some(ctx) => ctx.timeout_error(),
                None => Error::new(ErrorKind::AttemptTimeout),
            };
            return Poll::Ready(Err(err.into()));
        }
        Poll::Pending
    }
}
