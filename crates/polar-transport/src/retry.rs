//! Retries failed attempts when it is safe, with capped exponential backoff and full jitter.
//!
//! Two separate parts decide:
//!
//! - a **classifier** ([`Classify`], default [`DefaultClassifier`]) says whether an outcome may
//!   be retried: [`Classification::Retry`], [`Classification::Forbid`] or
//!   [`Classification::NoOpinion`] (treated as "do not retry");
//! - a **backoff** ([`Backoff`]) says how long to wait: a random delay between zero and
//!   `min(max, initial × 2^(retry − 1))`. A `Retry-After` header (seconds or HTTP-date) on a
//!   retryable response replaces the backoff; when it asks for more than
//!   [`RetryConfig::max_retry_after`], the response is returned instead of waiting (retrying
//!   earlier than the server asked only extends a rate-limit block).
//!
//! A wait that would end after the call's deadline (see [`timeout`](crate::timeout)) is not
//! started: the last answer (the 429 with its `Retry-After`, the 503) or the last error is
//! returned at once, with the number of attempts made, instead of sleeping until the deadline
//! and throwing it away. Such an answer carries a [`RetryLater`]: whoever can wait longer than
//! one call may send the request again after its wait, with it in
//! [`RequestOptions::resume`](crate::RequestOptions), and the layer goes on with the same call
//! and the same budget of attempts (the SDK's bulk operations do so). So does the
//! [`ErrorKind::CallTimeout`] of a request the rate limiter held because its wait did not fit
//! in the call ([`Error::retry_later`]): it was never sent, so its attempt is not counted and it
//! never marks [`EarlierAttemptMayHaveBeenProcessed`].
//!
//! The default policy retries idempotent methods (GET, HEAD, OPTIONS, DELETE, PUT, PATCH) on
//! connect errors, connection errors, attempt timeouts and statuses 408, 429, 500, 502, 503 and
//! 504. Other methods (POST) are retried only when the request provably never reached the server
//! (a connect error or connect timeout, the TLS handshake included) or on 429. A certificate the
//! client refuses ([`ErrorKind::Certificate`]) is never retried: it would be refused again.
//!
//! Per request, [`RequestOptions::max_attempts`](crate::RequestOptions) and
//! [`RequestOptions::retry_forbidden`](crate::RequestOptions) override the client's settings.
//! The number of attempts is put into the response's extensions as [`Attempts`]; errors come
//! back as an [`Error`] whose [`attempts`](Error::attempts) says the same. When an earlier
//! attempt may have been carried out by the server (its answer was lost, or a gateway answered
//! 502 or 504), the response also carries [`EarlierAttemptMayHaveBeenProcessed`]: a 404 to a
//! retried DELETE means the resource is gone only then. The body of a
//! response that is retried is read (up to 64 KiB) while the backoff runs, then dropped, so the
//! connection can go back to the pool when the body was small.
//!
//! The layer itself is always ready: each call waits for the inner service to be ready inside
//! its own future, so a call timeout further out also bounds that wait.
//!
//! ```
//! use std::sync::{Arc, atomic::{AtomicU32, Ordering}};
//! use std::time::Duration;
//! use http::{Request, Response, StatusCode};
//! use polar_transport::retry::{RetryConfig, RetryLayer};
//! use polar_transport::{Attempts, Body, BoxError};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> Result<(), BoxError> {
//! let calls = Arc::new(AtomicU32::new(0));
//! let seen = calls.clone();
//! let svc = ServiceBuilder::new()
//!     .layer(RetryLayer::new(RetryConfig::default().max_attempts(3)))
//!     .service(service_fn(move |_req: Request<Body>| {
//!         let n = seen.fetch_add(1, Ordering::SeqCst);
//!         async move {
//!             let status = if n < 2 { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK };
//!             Ok::<_, BoxError>(Response::builder().status(status).body(Body::default())?)
//!         }
//!     }));
//! let res = svc.oneshot(Request::get("/v1/customers/").body(Body::default())?).await?;
//! assert_eq!(res.status(), StatusCode::OK);
//! assert_eq!(res.extensions().get::<Attempts>(), Some(&Attempts(3)));
//! assert_eq!(calls.load(Ordering::SeqCst), 3);
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use bytes::Buf;
use http::header::RETRY_AFTER;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body::Body as HttpBody;
use tower_layer::Layer;
use tower_service::Service;

use crate::error::{Error, ErrorKind};
use crate::timeout::CallContext;
use crate::trace::{Route, route_of};
use crate::{
    Attempts, Body, BoxError, EarlierAttemptMayHaveBeenProcessed, RequestOptions, RetryLater,
};

/// What a classifier thinks of an outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Classification {
    /// Safe and useful to try again.
    Retry,
    /// Must not be tried again.
    Forbid,
    /// No opinion; the retry layer does not retry.
    NoOpinion,
}

/// Decides whether an attempt's outcome may be retried.
pub trait Classify: Send + Sync + 'static {
    /// Judges a response by method, status and headers.
    fn classify_response(
        &self,
        method: &Method,
        status: StatusCode,
        headers: &HeaderMap,
    ) -> Classification;

    /// Judges an error returned by the inner service.
    fn classify_error(&self, method: &Method, error: &BoxError) -> Classification;
}

/// The policy described in the [module docs](self).
#[derive(Clone, Copy, Debug, Default)]
pub struct DefaultClassifier;

/// True for methods that can be repeated without changing the outcome (PATCH included: the SDK
/// re-sends the very same body, and Polar's PATCH sets fields to values).
pub(crate) fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::DELETE | Method::PUT | Method::PATCH
    )
}

impl Classify for DefaultClassifier {
    fn classify_response(
        &self,
        method: &Method,
        status: StatusCode,
        _headers: &HeaderMap,
    ) -> Classification {
        match status.as_u16() {
            429 => Classification::Retry,
            408 | 500 | 502 | 503 | 504 if is_idempotent(method) => Classification::Retry,
            408 | 500 | 502 | 503 | 504 => Classification::Forbid,
            _ => Classification::NoOpinion,
        }
    }

    fn classify_error(&self, method: &Method, error: &BoxError) -> Classification {
        let Some(err) = error.downcast_ref::<Error>() else {
            return Classification::NoOpinion;
        };
        match err.kind() {
            ErrorKind::Certificate => Classification::Forbid,
            ErrorKind::Connect | ErrorKind::ConnectTimeout => Classification::Retry,
            ErrorKind::Io | ErrorKind::AttemptTimeout if is_idempotent(method) => {
                Classification::Retry
            }
            ErrorKind::Io | ErrorKind::AttemptTimeout => Classification::Forbid,
            _ => Classification::NoOpinion,
        }
    }
}

/// Capped exponential backoff with full jitter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// Upper bound of the first wait.
    pub initial: Duration,
    /// Cap on the upper bound of any wait.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(250),
            max: Duration::from_secs(8),
        }
    }
}

impl Backoff {
    /// The upper bound of the wait before retry number `retry` (1 = the first retry):
    /// `min(max, initial × 2^(retry − 1))`.
    pub fn ceiling(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1).min(31));
        self.initial.saturating_mul(factor).min(self.max)
    }

    /// The wait before retry number `retry`, for a uniform random `unit` in `[0, 1)`.
    pub fn delay_with(&self, retry: u32, unit: f64) -> Duration {
        let ceiling = self.ceiling(retry);
        let unit = if unit.is_finite() {
            unit.clamp(0.0, 1.0)
        } else {
            0.0
        };
        // Never panics: a product that does not fit (huge ceilings) falls back to the ceiling.
        Duration::try_from_secs_f64(ceiling.as_secs_f64() * unit)
            .map_or(ceiling, |d| d.min(ceiling))
    }

    /// The wait before retry number `retry`, drawn at random in `[0, ceiling(retry)]`.
    pub fn delay(&self, retry: u32) -> Duration {
        self.delay_with(retry, fastrand::f64())
    }
}

/// Parses a `Retry-After` value: whole seconds, or an HTTP-date compared to `now` (a date in the
/// past gives zero). Returns `None` for anything else.
// Hidden, with `retry_after`: polar-customers reports a 429's wait with the parser this layer
// waits by, so the two always agree; neither is part of this crate's stable API.
#[doc(hidden)]
pub fn parse_retry_after(value: &HeaderValue, now: SystemTime) -> Option<Duration> {
    let s = value.to_str().ok()?.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(s.parse::<u64>().unwrap_or(u64::MAX)));
    }
    let when = httpdate::parse_http_date(s).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The `Retry-After` of a header map, if present and well formed.
#[doc(hidden)]
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    parse_retry_after(headers.get(RETRY_AFTER)?, SystemTime::now())
}

/// Sleeps for the retry layer. The default is [`TokioTimer`]; tests can inject their own.
pub trait Timer: Send + Sync + 'static {
    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

/// A [`Timer`] on `tokio::time::sleep` (works with `tokio::time::pause`).
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioTimer;

impl Timer for TokioTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// Settings of the retry layer.
#[derive(Clone)]
pub struct RetryConfig {
    max_attempts: u32,
    backoff: Backoff,
    max_retry_after: Duration,
    classifier: Arc<dyn Classify>,
    timer: Arc<dyn Timer>,
}

impl fmt::Debug for RetryConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryConfig")
            .field("max_attempts", &self.max_attempts)
            .field("backoff", &self.backoff)
            .field("max_retry_after", &self.max_retry_after)
            .finish_non_exhaustive()
    }
}

impl Default for RetryConfig {
    /// 3 attempts, backoff from 250 ms capped at 8 s, `Retry-After` honoured up to 60 s,
    /// [`DefaultClassifier`], [`TokioTimer`].
    fn default() -> Self {
        RetryConfig {
            max_attempts: 3,
            backoff: Backoff::default(),
            max_retry_after: Duration::from_secs(60),
            classifier: Arc::new(DefaultClassifier),
            timer: Arc::new(TokioTimer),
        }
    }
}

impl RetryConfig {
    /// No retries at all (one attempt).
    pub fn disabled() -> Self {
        RetryConfig::default().max_attempts(1)
    }

    /// Maximum number of attempts per call, first one included (at least 1).
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// The backoff between attempts.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// The longest `Retry-After` the layer waits for; a longer one ends the retries.
    pub fn max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// Replaces the classifier.
    pub fn classifier(mut self, classifier: impl Classify) -> Self {
        self.classifier = Arc::new(classifier);
        self
    }

    /// Replaces the timer used for backoff waits.
    pub fn timer(mut self, timer: impl Timer) -> Self {
        self.timer = Arc::new(timer);
        self
    }

    /// The configured maximum number of attempts.
    pub fn get_max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The configured `Retry-After` cap.
    pub fn get_max_retry_after(&self) -> Duration {
        self.max_retry_after
    }
}

/// Layer that applies [`Retry`].
#[derive(Clone, Debug)]
pub struct RetryLayer {
    config: Arc<RetryConfig>,
}

impl RetryLayer {
    /// A retry layer with the given settings.
    pub fn new(config: RetryConfig) -> Self {
        RetryLayer {
            config: Arc::new(config),
        }
    }
}

impl<S> Layer<S> for RetryLayer {
    type Service = Retry<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Retry {
            inner,
            config: self.config.clone(),
        }
    }
}

/// Service that retries attempts; see the [module docs](self).
#[derive(Clone, Debug)]
pub struct Retry<S> {
    inner: S,
    config: Arc<RetryConfig>,
}

impl<S, B> Service<Request<Body>> for Retry<S>
where
    S: Service<Request<Body>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: HttpBody + Send + 'static,
    B::Data: Send,
{
    type Response = Response<B>;
    type Error = BoxError;
    type Future = ResponseFuture<S, B>;

    // Always ready: each call waits for the inner service's readiness inside its own future,
    // where the call's deadline bounds the wait (a wait in `poll_ready` would come before any
    // timeout has started).
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        let clone = self.inner.clone();
        let svc = std::mem::replace(&mut self.inner, clone);
        let config = self.config.clone();
        // Attempts made before (when a call given back with `RetryLater` goes on), the budget,
        // and whether an earlier attempt may have been carried out.
        let (attempt, max_attempts, earlier_processed) =
            match req.extensions().get::<RequestOptions>() {
                None => (0, config.max_attempts, false),
                Some(o) => {
                    let (done, budget, earlier) = match &o.resume {
                        Some(later) => later.resumed(),
                        None => (
                            0,
                            o.max_attempts.unwrap_or(config.max_attempts).max(1),
                            false,
                        ),
                    };
                    let budget = if o.retry_forbidden { done + 1 } else { budget };
                    (done, budget, earlier)
                }
            };
        let ctx = CallContext::of(req.extensions());
        let (parts, body) = req.into_parts();
        let tracing_on = tracing::enabled!(tracing::Level::DEBUG);
        let call = Box::pin(RetryCall {
            method: parts.method.clone(),
            route: if tracing_on {
                route_of(&parts.extensions, &parts.uri)
            } else {
                Route::Template("")
            },
            tracing_on,
            svc,
            config,
            ctx,
            saved: Some((parts, body)),
            attempt,
            max_attempts,
            earlier_processed,
            started: None,
            state: State::Start,
        });
        ResponseFuture { call }
    }
}

/// Future of [`Retry`].
///
/// The call state (the request kept for retries and the attempt in flight) is boxed once, so
/// the futures of the layers around this one stay small (120 bytes instead of 736, for the
/// builder's layers stacked by hand). Inline or boxed measured the same in the in-memory
/// benchmark.
pub struct ResponseFuture<S, B>
where
    S: Service<Request<Body>>,
{
    call: Pin<Box<RetryCall<S, B>>>,
}

impl<S, B> Future for ResponseFuture<S, B>
where
    S: Service<Request<Body>, Response = Response<B>>,
    S::Error: Into<BoxError>,
    B: HttpBody + Send + 'static,
{
    type Output = Result<Response<B>, BoxError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.call.as_mut().poll(cx)
    }
}

impl<S, B> fmt::Debug for ResponseFuture<S, B>
where
    S: Service<Request<Body>>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("attempt", &self.call.attempt)
            .field("max_attempts", &self.call.max_attempts)
            .finish_non_exhaustive()
    }
}

pin_project_lite::pin_project! {
    // One call: the request kept for the attempts, the attempt in flight or the wait.
    struct RetryCall<S, B>
    where
        S: Service<Request<Body>>,
    {
        svc: S,
        config: Arc<RetryConfig>,
        // The call the request belongs to (its deadline), read from the request's extensions.
        ctx: CallContext,
        // The request, kept until the last attempt takes it.
        saved: Option<(http::request::Parts, Body)>,
        // Kept apart from `saved`, which the last attempt takes.
        method: Method,
        route: Route,
        tracing_on: bool,
        attempt: u32,
        max_attempts: u32,
        // An attempt before the current one may have been carried out by the server.
        earlier_processed: bool,
        // When the current attempt started (only when attempt events are wanted).
        started: Option<Instant>,
        #[pin]
        state: State<S::Future, B>,
    }
}

pin_project_lite::pin_project! {
    #[project = StateProj]
    enum State<F, B> {
        // The next attempt starts with a readiness check.
        Start,
        // The service was not ready; waiting for it, but not past the call's deadline.
        Readying { #[pin] deadline: Option<tokio::time::Sleep> },
        Calling { #[pin] fut: F },
        // Waiting before the next attempt while reading and discarding the answer that is
        // retried.
        Waiting {
            sleep: Pin<Box<dyn Future<Output = ()> + Send>>,
            #[pin]
            body: Option<B>,
            drained: usize,
        },
        Done,
    }
}

/// How an attempt ended, and whether its request was handed to the service (an error of the
/// readiness check comes before that).
type Ended<B> = (Result<Response<B>, BoxError>, bool);

/// What to do once an attempt has ended.
enum Next<B> {
    Finish(Result<Response<B>, BoxError>),
    Wait { wait: Duration, body: Option<B> },
}

const DRAIN_LIMIT: usize = 64 * 1024;

impl<S, B> Future for RetryCall<S, B>
where
    S: Service<Request<Body>, Response = Response<B>>,
    S::Error: Into<BoxError>,
    B: HttpBody + Send + 'static,
{
    type Output = Result<Response<B>, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            // `None`: the service is ready for the attempt; `Some`: the attempt has ended.
            let ended: Option<Ended<B>> = match this.state.as_mut().project() {
                StateProj::Start => {
                    *this.attempt += 1;
                    this.ctx.record_attempt(*this.attempt);
                    match this.svc.poll_ready(cx) {
                        Poll::Ready(r) => r.err().map(|e| (Err(e.into()), false)),
                        Poll::Pending => {
                            // The network client is always ready: a timer only for others.
                            this.state.set(State::Readying {
                                deadline: this.ctx.deadline.map(tokio::time::sleep_until),
                            });
                            continue;
                        }
                    }
                }
                StateProj::Readying { deadline } => match this.svc.poll_ready(cx) {
                    Poll::Ready(r) => r.err().map(|e| (Err(e.into()), false)),
                    Poll::Pending => {
                        let expired = deadline
                            .as_pin_mut()
                            .is_some_and(|sleep| sleep.poll(cx).is_ready());
                        if !expired {
                            return Poll::Pending;
                        }
                        Some((Err(this.ctx.timeout_error().into()), false))
                    }
                },
                StateProj::Calling { fut } => match fut.poll(cx) {
                    Poll::Ready(r) => Some((r.map_err(Into::into), true)),
                    Poll::Pending => return Poll::Pending,
                },
                StateProj::Waiting {
                    sleep,
                    body,
                    drained,
                } => {
                    let mut body = body;
                    while let Some(b) = body.as_mut().as_pin_mut() {
                        match b.poll_frame(cx) {
                            Poll::Ready(Some(Ok(frame))) => {
                                *drained += frame.data_ref().map_or(0, Buf::remaining);
                                if *drained > DRAIN_LIMIT {
                                    body.set(None);
                                }
                            }
                            Poll::Ready(_) => body.set(None),
                            Poll::Pending => break,
                        }
                    }
                    if sleep.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    this.state.set(State::Start);
                    continue;
                }
                StateProj::Done => panic!("retry future polled after completion"),
            };
            let Some((ended, sent)) = ended else {
                let last = *this.attempt >= *this.max_attempts;
                let req = match this.saved {
                    Some((p, b)) if !last => Request::from_parts(p.clone(), b.clone()),
                    _ => {
                        let (p, b) = this
                            .saved
                            .take()
                            .expect("request kept until the last attempt");
                        Request::from_parts(p, b)
                    }
                };
                // Wall-clock time, read only when attempt events are wanted.
                *this.started = this.tracing_on.then(Instant::now);
                let fut = this.svc.call(req);
                this.state.set(State::Calling { fut });
                continue;
            };
            let attempt = *this.attempt;
            let elapsed_ms = this
                .started
                .map_or(0.0, |s| s.elapsed().as_secs_f64() * 1e3);
            let processed = sent && may_have_been_processed(&ended);
            let next = match ended {
                Ok(res) => {
                    tracing::debug!(
                        method = %this.method,
                        route = %this.route,
                        attempt,
                        status = res.status().as_u16(),
                        duration_ms = elapsed_ms,
                        "polar attempt finished"
                    );
                    after_response(
                        this.config,
                        this.ctx,
                        this.method,
                        attempt,
                        *this.max_attempts,
                        *this.earlier_processed,
                        processed,
                        res,
                    )
                }
                Err(err) => {
                    let kind = err.downcast_ref::<Error>().map(Error::kind);
                    tracing::debug!(
                        method = %this.method,
                        route = %this.route,
                        attempt,
                        error = ?kind.unwrap_or(ErrorKind::Other),
                        duration_ms = elapsed_ms,
                        "polar attempt failed"
                    );
                    after_error(
                        this.config,
                        this.ctx,
                        this.method,
                        attempt,
                        *this.max_attempts,
                        *this.earlier_processed,
                        err,
                    )
                }
            };
            match next {
                Next::Finish(out) => {
                    this.state.set(State::Done);
                    return Poll::Ready(out);
                }
                Next::Wait { wait, body } => {
                    *this.earlier_processed |= processed;
                    this.state.set(State::Waiting {
                        sleep: this.config.timer.sleep(wait),
                        body,
                        drained: 0,
                    })
                }
            }
        }
    }
}

/// Whether the server may have carried out an attempt that was sent and ended this way (see
/// [`EarlierAttemptMayHaveBeenProcessed`]): its answer was lost, or a gateway's 502 or 504 says
/// nothing of what happened behind it. Any other status is the server's own word that it did
/// nothing (429, 503, 408) or undid its work (500: Polar rolls back the request's database
/// session on an error, `server/polar/postgres.py::get_db_session`).
fn may_have_been_processed<B>(outcome: &Result<Response<B>, BoxError>) -> bool {
    match outcome {
        Ok(res) => matches!(res.status().as_u16(), 502 | 504),
        Err(err) => !err.downcast_ref::<Error>().is_some_and(|e| {
            e.is_connect() || e.kind() == ErrorKind::InvalidRequest || e.not_sent_wait().is_some()
        }),
    }
}

/// Decides what follows a response: return it, or wait and try again. `processed`: whether
/// the server may have carried out this attempt ([`may_have_been_processed`]).
#[allow(clippy::too_many_arguments)]
fn after_response<B>(
    config: &RetryConfig,
    ctx: &CallContext,
    method: &Method,
    attempt: u32,
    max_attempts: u32,
    earlier_processed: bool,
    processed: bool,
    mut res: Response<B>,
) -> Next<B> {
    res.extensions_mut().insert(Attempts(attempt));
    if earlier_processed {
        res.extensions_mut()
            .insert(EarlierAttemptMayHaveBeenProcessed);
    }
    if attempt >= max_attempts
        || config
            .classifier
            .classify_response(method, res.status(), res.headers())
            != Classification::Retry
    {
        return Next::Finish(Ok(res));
    }
    let wait = match retry_after(res.headers()) {
        Some(d) if d > config.max_retry_after => return Next::Finish(Ok(res)),
        Some(d) => d,
        None => config.backoff.delay(attempt),
    };
    if !fits(wait, ctx) {
        // The policy would retry, the call has no time left for it: say so, for a caller who
        // can wait longer than one call.
        res.extensions_mut().insert(RetryLater::new(
            wait,
            attempt,
            max_attempts,
            earlier_processed || processed,
        ));
        return Next::Finish(Ok(res));
    }
    Next::Wait {
        wait,
        body: Some(res.into_body()),
    }
}

/// Decides what follows an error: return it (with the number of attempts), or wait and retry.
fn after_error<B>(
    config: &RetryConfig,
    ctx: &CallContext,
    method: &Method,
    attempt: u32,
    max_attempts: u32,
    earlier_processed: bool,
    err: BoxError,
) -> Next<B> {
    if let Some(wait) = err.downcast_ref::<Error>().and_then(Error::not_sent_wait) {
        // The rate limiter held the request until it no longer fit in the call: it was never
        // sent, so it may be sent again after the wait, as the same call, this attempt not
        // counted (attempt - 1 < max_attempts: the budget keeps an attempt for it).
        let later = RetryLater::new(wait, attempt - 1, max_attempts, earlier_processed);
        let err = Error::from_boxed(err)
            .with_attempts(attempt)
            .with_retry_later(later);
        return Next::Finish(Err(err.into()));
    }
    let retry = attempt < max_attempts
        && config.classifier.classify_error(method, &err) == Classification::Retry;
    match retry.then(|| config.backoff.delay(attempt)) {
        Some(wait) if fits(wait, ctx) => Next::Wait { wait, body: None },
        _ => Next::Finish(Err(Error::from_boxed(err).with_attempts(attempt).into())),
    }
}

/// True when a wait of `wait` ends before the call's deadline. A wait that does not is not
/// started: sleeping until the deadline would only trade the answer in hand for a timeout.
fn fits(wait: Duration, ctx: &CallContext) -> bool {
    ctx.deadline.is_none_or(|deadline| {
        wait < deadline.saturating_duration_since(tokio::time::Instant::now())
    })
}
