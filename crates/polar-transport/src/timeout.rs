//! Timeouts for one attempt and for the whole call, response body included.
//!
//! Two layers:
//!
//! - [`TimeoutLayer::attempt`] sits inside the retry layer and bounds each attempt until its
//!   response head arrives; it fails with [`ErrorKind::AttemptTimeout`], which the retry policy
//!   may retry.
//! - [`CallTimeoutLayer`] sits outside the retry layer and bounds everything: every attempt,
//!   rate-limit waits, backoff sleeps (the retry layer starts none that would outlast the
//!   deadline) **and reading the response body**. It fails with
//!   [`ErrorKind::CallTimeout`], carrying the number of attempts started so far.
//!   [`RequestOptions::timeout`](crate::RequestOptions) overrides its duration.
//!
//! # The response body
//!
//! The call timeout wraps the response body in a [`TimeoutBody`]. Reading it fails with
//! [`ErrorKind::CallTimeout`] once the call's deadline has passed, whether the body stalls,
//! trickles a byte now and then, or keeps arriving steadily but too slowly. A body read to its
//! end before the deadline is untouched; the timer is only armed the first time the body has to
//! wait for the network, so a small answer that arrives with its head costs no timer at all.
//!
//! A streamed answer (the CSV export of every customer) can legitimately take longer than any
//! sensible call timeout. A request marked with
//! [`RequestOptions::streaming_body`](crate::RequestOptions::streaming_body) is therefore only
//! bounded by the call deadline until its response head arrives; its body is then bounded by an
//! **idle** timeout instead ([`CallTimeoutLayer::body_idle_timeout`], in the builder
//! [`TransportBuilder::body_idle_timeout`](crate::TransportBuilder::body_idle_timeout), 30 s by
//! default): when no data frame arrives for that long, reading fails with
//! [`ErrorKind::BodyIdleTimeout`]. A slow but steady stream never ends; a stalled one does.
//!
//! # The deadline travels with the request
//!
//! The call timeout puts the call's deadline into the request's extensions as a
//! [`CallDeadline`] (a `Copy` instant; the earlier one when call timeouts are nested). The layers
//! below read it from the request they are given: the attempt timeout and the rate limiter's
//! waits stop at it and report [`ErrorKind::CallTimeout`]; the retry layer does not start a wait
//! that would end after it (it returns the last answer or error instead). Because it is part of
//! the request, the layers can be composed in any order: a `tower::buffer::Buffer` or a layer of
//! yours in between passes it on with the request, and a request made on the side (inside a
//! layer of yours) starts without one unless you copy the extensions into it on purpose.
//!
//! Used on its own ([`CallTimeoutLayer::new`]), over services that may wait without knowing
//! the deadline (a `Buffer`'s queue, a concurrency limit), the call timeout also arms a timer
//! of its own. Inside [`TransportBuilder`](crate::TransportBuilder)'s stack, where every wait
//! below it is one of the layers that read the deadline (user layers sit under the attempt
//! timeout), it needs none until the head arrives: one timer per attempt instead of two per
//! call.
//!
//! The connect timeout is set on the network connector (see
//! [`TransportBuilder::connect_timeout`](crate::TransportBuilder::connect_timeout)).
//! Timers use `tokio::time`, so tests can drive them with `tokio::time::pause`.
//!
//! ```
//! use std::time::Duration;
//! use std::pin::Pin;
//! use std::task::{Context, Poll};
//! use http::{Request, Response};
//! use http_body::Frame;
//! use http_body_util::BodyExt;
//! use polar_transport::timeout::CallTimeoutLayer;
//! use polar_transport::{Body, BoxError, Error, ErrorKind};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! /// A body whose next byte never comes.
//! struct Stalled;
//! impl http_body::Body for Stalled {
//!     type Data = bytes::Bytes;
//!     type Error = BoxError;
//!     fn poll_frame(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<bytes::Bytes>, BoxError>>> {
//!         Poll::Pending
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> Result<(), BoxError> {
//! // The head comes at once, then the body stalls.
//! let svc = ServiceBuilder::new()
//!     .layer(CallTimeoutLayer::new(Some(Duration::from_secs(5))))
//!     .service(service_fn(|_req: Request<Body>| async { Ok::<_, BoxError>(Response::new(Stalled)) }));
//! let res = svc.oneshot(Request::get("/v1/customers/").body(Body::default())?).await?;
//! let err = res.into_body().collect().await.unwrap_err();
//! assert_eq!(err.downcast_ref::<Error>().unwrap().kind(), ErrorKind::CallTimeout);
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use http::{Request, Response};
use http_body::{Body as HttpBody, Frame, SizeHint};
use tokio::time::{Instant, Sleep};
use tower_layer::Layer;
use tower_service::Service;

use crate::error::{Error, ErrorKind};
use crate::{Attempts, BoxError, RequestOptions};

/// The idle limit on a streamed body when none is configured: 30 s.
pub const DEFAULT_BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The deadline of the call a request belongs to, put into the request's extensions by
/// [`CallTimeout`].
///
/// The layers below read it from the request they are given: the retry layer starts no wait
/// that would end after it, the attempt timeout and the rate limiter's waits stop at it. It
/// travels with the request, through a `Buffer` or any other layer in between, and nowhere
/// else: a request made on the side (inside a layer of yours) has no deadline unless you copy
/// the extensions into it on purpose. With nested call timeouts the earlier deadline wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallDeadline(Instant);

impl CallDeadline {
    /// The instant the call's time is up (on `tokio`'s clock).
    pub fn instant(self) -> Instant {
        self.0
    }
}

/// The number of attempts started so far, shared with a call timeout that keeps its own timer
/// (so its error can say how far the retry layer got). Put into the extensions next to the
/// [`CallDeadline`] by such a call timeout only.
#[derive(Clone, Debug)]
struct AttemptCounter(Arc<AtomicU32>);

/// What a layer knows of the call a request belongs to, read from the request's extensions.
#[derive(Clone, Debug, Default)]
pub(crate) struct CallContext {
    pub(crate) deadline: Option<Instant>,
    attempts: Option<Arc<AtomicU32>>,
}

impl CallContext {
    /// The call that `extensions` (a request's) belong to.
    pub(crate) fn of(extensions: &http::Extensions) -> CallContext {
        CallContext {
            deadline: extensions.get::<CallDeadline>().map(|d| d.0),
            attempts: extensions.get::<AttemptCounter>().map(|c| c.0.clone()),
        }
    }

    /// Records that attempt number `n` has started (only counted when the call timeout has a
    /// timer of its own; otherwise the retry layer reports attempts on its errors).
    pub(crate) fn record_attempt(&self, n: u32) {
        if let Some(a) = &self.attempts {
            a.store(n, Ordering::Relaxed);
        }
    }

    fn attempts(&self) -> u32 {
        self.attempts
            .as_ref()
            .map_or(1, |a| a.load(Ordering::Relaxed).max(1))
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

// ---------------------------------------------------------------------------------------------
// Attempt timeout

/// Layer that applies [`Timeout`]: the per-attempt timeout.
#[derive(Clone, Copy, Debug)]
pub struct TimeoutLayer {
    duration: Option<Duration>,
}

impl TimeoutLayer {
    /// A per-attempt timeout (`None`: no limit of its own), until the response head arrives.
    /// Fails with [`ErrorKind::AttemptTimeout`], or [`ErrorKind::CallTimeout`] when the call's
    /// deadline (set by a [`CallTimeoutLayer`] further out) comes first.
    pub fn attempt(duration: Option<Duration>) -> Self {
        TimeoutLayer { duration }
    }
}

impl<S> Layer<S> for TimeoutLayer {
    type Service = Timeout<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Timeout {
            inner,
            duration: self.duration,
        }
    }
}

/// Service that bounds each attempt until its response head; see the [module docs](self).
#[derive(Clone, Debug)]
pub struct Timeout<S> {
    inner: S,
    duration: Option<Duration>,
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

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let own = self.duration.and_then(deadline_after);
        let ctx = CallContext::of(req.extensions());
        let call_deadline = ctx.deadline;
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
            on_fire: fires_as_call.then_some(ctx),
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

// ---------------------------------------------------------------------------------------------
// Call timeout

/// Layer that applies [`CallTimeout`]: the whole-call timeout, response body included.
#[derive(Clone, Copy, Debug)]
pub struct CallTimeoutLayer {
    duration: Option<Duration>,
    body_idle: Option<Duration>,
    /// False when every inner wait honours the deadline (the builder's stack).
    own_timer: bool,
}

impl CallTimeoutLayer {
    /// A whole-call timeout (`None`: no limit unless the request sets one), with the default
    /// idle limit ([`DEFAULT_BODY_IDLE_TIMEOUT`]) for streamed bodies. Fails with
    /// [`ErrorKind::CallTimeout`]; `RequestOptions::timeout` overrides the duration.
    pub fn new(duration: Option<Duration>) -> Self {
        CallTimeoutLayer {
            duration,
            body_idle: Some(DEFAULT_BODY_IDLE_TIMEOUT),
            own_timer: true,
        }
    }

    /// The longest wait for the next data frame of a body whose request is marked
    /// [`streaming_body`](crate::RequestOptions::streaming_body) (`None`: no limit). Reading
    /// such a body fails with [`ErrorKind::BodyIdleTimeout`] when it stalls this long.
    pub fn body_idle_timeout(mut self, idle: Option<Duration>) -> Self {
        self.body_idle = idle;
        self
    }

    /// A call timeout that relies on the inner layers to honour its deadline until the head
    /// arrives (only for stacks where an attempt timeout sits below every wait, as in the
    /// builder's).
    pub(crate) fn cooperative(duration: Option<Duration>) -> Self {
        CallTimeoutLayer {
            own_timer: false,
            ..CallTimeoutLayer::new(duration)
        }
    }
}

impl<S> Layer<S> for CallTimeoutLayer {
    type Service = CallTimeout<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CallTimeout {
            inner,
            layer: *self,
        }
    }
}

/// Service that bounds a whole call, body included; see the [module docs](self).
#[derive(Clone, Debug)]
pub struct CallTimeout<S> {
    inner: S,
    layer: CallTimeoutLayer,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for CallTimeout<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Error: Into<BoxError>,
    ResBody: HttpBody,
    ResBody::Error: Into<BoxError>,
{
    type Response = Response<TimeoutBody<ResBody>>;
    type Error = BoxError;
    type Future = CallResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        let (duration, streaming) = match req.extensions().get::<RequestOptions>() {
            Some(o) => (o.timeout.or(self.layer.duration), o.streaming_body),
            None => (self.layer.duration, false),
        };
        let mut deadline = duration.and_then(deadline_after);
        // A call timeout further out (or extensions copied on purpose) may already be stricter.
        if let Some(outer) = req.extensions().get::<CallDeadline>() {
            deadline = Some(deadline.map_or(outer.0, |d| d.min(outer.0)));
        }
        let own_timer = self.layer.own_timer && deadline.is_some();
        let ctx = CallContext {
            deadline,
            attempts: own_timer.then(Arc::default),
        };
        if let Some(at) = deadline {
            req.extensions_mut().insert(CallDeadline(at));
        }
        if let Some(counter) = &ctx.attempts {
            req.extensions_mut().insert(AttemptCounter(counter.clone()));
        }
        let limit = if streaming {
            self.layer
                .body_idle
                .map_or(BodyLimit::None, BodyLimit::Idle)
        } else {
            deadline.map_or(BodyLimit::None, BodyLimit::Deadline)
        };
        let sleep = deadline
            .filter(|_| own_timer)
            .map(|at| Box::pin(tokio::time::sleep_until(at)));
        CallResponseFuture {
            inner: self.inner.call(req),
            sleep,
            ctx,
            limit: Some(limit),
        }
    }
}

pin_project_lite::pin_project! {
    /// Future of [`CallTimeout`]: the head within the deadline, then the body wrapped in a
    /// [`TimeoutBody`].
    pub struct CallResponseFuture<F> {
        #[pin]
        inner: F,
        // Only when the call timeout keeps its own timer. Boxed: the builder's stack has none,
        // and a small future is cheaper to move and to box.
        sleep: Option<Pin<Box<Sleep>>>,
        ctx: CallContext,
        limit: Option<BodyLimit>,
    }
}

impl<F, B, E> Future for CallResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    E: Into<BoxError>,
{
    type Output = Result<Response<TimeoutBody<B>>, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let res = match this.inner.poll(cx) {
            Poll::Ready(res) => res.map_err(Into::into)?,
            Poll::Pending => {
                if let Some(sleep) = this.sleep
                    && sleep.as_mut().poll(cx).is_ready()
                {
                    return Poll::Ready(Err(this.ctx.timeout_error().into()));
                }
                return Poll::Pending;
            }
        };
        let limit = this
            .limit
            .take()
            .expect("CallResponseFuture polled after completion");
        // No attempt can start once the head is here: the count is final.
        let attempts = res
            .extensions()
            .get::<Attempts>()
            .map_or_else(|| this.ctx.attempts(), |a| a.0);
        Poll::Ready(Ok(res.map(|inner| TimeoutBody {
            inner,
            sleep: None,
            limit,
            attempts,
            progressed: false,
            failed: false,
        })))
    }
}

/// What bounds the reading of one response body.
#[derive(Clone, Copy, Debug)]
enum BodyLimit {
    None,
    /// Fails with `CallTimeout` once the call's deadline has passed.
    Deadline(Instant),
    /// Fails with `BodyIdleTimeout` when no data frame arrives for this long.
    Idle(Duration),
}

pin_project_lite::pin_project! {
    /// A response body bounded by the call's deadline or, for a streamed answer, by an idle
    /// limit between data frames; see the [module docs](self).
    ///
    /// Errors are [`BoxError`]s; the ones raised here are an [`Error`] of kind
    /// [`ErrorKind::CallTimeout`] or [`ErrorKind::BodyIdleTimeout`], carrying the number of
    /// attempts the call made. After such an error the body reports its end.
    pub struct TimeoutBody<B> {
        #[pin]
        inner: B,
        // Armed the first time the body has to wait.
        #[pin]
        sleep: Option<Sleep>,
        limit: BodyLimit,
        attempts: u32,
        // A data frame arrived since the idle timer was last set.
        progressed: bool,
        failed: bool,
    }
}

impl<B> fmt::Debug for TimeoutBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimeoutBody")
            .field("limit", &self.limit)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl<B> HttpBody for TimeoutBody<B>
where
    B: HttpBody,
    B::Error: Into<BoxError>,
{
    type Data = B::Data;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let mut this = self.project();
        if *this.failed {
            return Poll::Ready(None);
        }
        match this.inner.poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                match *this.limit {
                    // A body that keeps arriving is cut too once the deadline has passed. One
                    // that never had to wait was already here: no timer, no clock read.
                    BodyLimit::Deadline(_) => {
                        let late = this
                            .sleep
                            .as_ref()
                            .as_pin_ref()
                            .is_some_and(|sleep| sleep.is_elapsed());
                        if late {
                            *this.failed = true;
                            return Poll::Ready(Some(Err(Error::new(ErrorKind::CallTimeout)
                                .with_attempts(*this.attempts)
                                .into())));
                        }
                    }
                    BodyLimit::Idle(_) => *this.progressed |= frame.is_data(),
                    BodyLimit::None => {}
                }
                return Poll::Ready(Some(Ok(frame)));
            }
            Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e.into()))),
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Pending => {}
        }
        // The body has to wait for the network: arm the timer, or move the idle one on.
        match *this.limit {
            BodyLimit::None => return Poll::Pending,
            BodyLimit::Deadline(at) => {
                if this.sleep.is_none() {
                    this.sleep.set(Some(tokio::time::sleep_until(at)));
                }
            }
            BodyLimit::Idle(idle) => {
                let Some(at) = deadline_after(idle) else {
                    return Poll::Pending;
                };
                match this.sleep.as_mut().as_pin_mut() {
                    None => this.sleep.set(Some(tokio::time::sleep_until(at))),
                    Some(sleep) if *this.progressed => sleep.reset(at),
                    Some(_) => {}
                }
                *this.progressed = false;
            }
        }
        if let Some(sleep) = this.sleep.as_pin_mut()
            && sleep.poll(cx).is_ready()
        {
            *this.failed = true;
            let kind = match *this.limit {
                BodyLimit::Idle(_) => ErrorKind::BodyIdleTimeout,
                _ => ErrorKind::CallTimeout,
            };
            let err = Error::new(kind).with_attempts(*this.attempts);
            return Poll::Ready(Some(Err(err.into())));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.failed || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
