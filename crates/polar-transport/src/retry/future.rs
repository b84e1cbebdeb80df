//! One call through the retry layer: its attempts, the waits between them, and what the
//! answer says about earlier attempts.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Buf;
use http::{Method, Request, Response};
use http_body::Body as HttpBody;
use tower_service::Service;

use super::{Classification, RetryConfig, retry_after};
use crate::error::{Error, ErrorKind};
use crate::timeout::CallContext;
use crate::trace::{Route, route_of};
use crate::{
    Attempts, Body, BoxError, EarlierAttemptMayHaveBeenProcessed, RequestOptions, RetryLater,
};

/// Future of [`Retry`](super::Retry).
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

impl<S, B> ResponseFuture<S, B>
where
    S: Service<Request<Body>>,
{
    /// Starts a call of `req`: its budget of attempts (the client's, the request's own, or the
    /// rest of the call it resumes), its deadline, and what tracing needs of it.
    pub(super) fn new(svc: S, config: Arc<RetryConfig>, req: Request<Body>) -> Self {
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
