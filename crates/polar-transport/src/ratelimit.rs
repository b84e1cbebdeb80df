//! Client-side rate limiting shared by every client of one organization, plus a shared 429
//! cooldown.
//!
//! Polar counts the requests of an organization (all its organization tokens together) in a
//! **fixed** one-minute window: a counter that starts at the first request and expires 60 s
//! later (500 per minute in production, 100 in the sandbox), and answers a request over the
//! budget with 429 and `Retry-After: 60`. The SDK paces requests with a **sliding** window of the
//! same budget instead: at most `rate` requests in *any* span of `period`. That is the
//! conservative choice: whatever second Polar's window starts at, it covers a span of `period`,
//! and no such span holds more than `rate` of our requests. A request's slot is counted from the
//! moment its answer (or its failure) came back, not from when it was sent: by then the server
//! has surely counted it, so a request slowed down on the way cannot land in a window the
//! limiter believes over.
//!
//! Callers that must wait queue in arrival order. A caller that gives up while queued (its call
//! timeout fired, it lost a `select!`, its future was dropped) leaves the queue and holds
//! nothing: no slot is reserved for a request that is not sent. A caller whose wait the store
//! knows ends after its call's deadline (a cooldown, a full window; see
//! [`RateLimitStore::known_wait`]) does not wait at all: its call fails at once with
//! [`ErrorKind::CallTimeout`](crate::ErrorKind::CallTimeout), as it does when the deadline
//! comes in line, and behind the retry layer that error carries a
//! [`RetryLater`](crate::RetryLater): the request was never sent and may be sent again.
//!
//! When a response has status 429 and a `Retry-After` header, every caller waits until that
//! time has passed (capped by [`RateLimitConfig::max_cooldown`]) before sending, including those
//! already queued. The waits use `tokio::time`.
//!
//! # Sharing
//!
//! A [`RateLimiter`] is a cheap handle: clones share one budget. Every service built by one
//! [`TransportBuilder`](crate::TransportBuilder) shares its limiter; **several clients of the
//! same organization (built apart, with different tokens of that organization) must be given
//! the same handle** with [`TransportBuilder::rate_limiter`](crate::TransportBuilder::rate_limiter),
//! or each paces itself as if it were alone and together they run into 429s.
//!
//! The budget lives in a [`RateLimitStore`]. [`LocalStore`] keeps it in this process; a store
//! shared by several processes (in Redis, say) implements the same trait and is wrapped with
//! [`RateLimiter::from_store`]; with the `redis` feature, `redis_store::RedisStore` is one.
//!
//! ```
//! use std::time::Duration;
//! use http::{Request, Response};
//! use polar_transport::ratelimit::{RateLimitConfig, RateLimitLayer, RateLimiter};
//! use polar_transport::{Body, BoxError};
//! use tower::{Service, ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> Result<(), BoxError> {
//! let limiter = RateLimiter::new(RateLimitConfig::new(2, Duration::from_secs(1)));
//! let mut svc = ServiceBuilder::new()
//!     .layer(RateLimitLayer::new(limiter.clone()))
//!     .service(service_fn(|_req: Request<Body>| async { Ok::<_, BoxError>(Response::new(())) }));
//! let start = tokio::time::Instant::now();
//! for _ in 0..3 {
//!     svc.ready().await?.call(Request::get("/v1/customers/").body(Body::default())?).await?;
//! }
//! // Two requests went at once, the third waited for the window to move on.
//! assert_eq!(start.elapsed(), Duration::from_secs(1));
//! # Ok(())
//! # }
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use http::{Request, Response, StatusCode};
use tokio::sync::Notify;
use tokio::time::Instant;
use tower::ServiceExt;
use tower_layer::Layer;
use tower_service::Service;

use crate::BoxError;
use crate::retry::retry_after;
use crate::timeout::CallContext;

/// Settings of the rate limiter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimitConfig {
    rate: u32,
    period: Duration,
    max_cooldown: Duration,
}

impl RateLimitConfig {
    /// At most `rate` requests in any window of length `period` (a `rate` of 0 is taken as 1).
    pub fn new(rate: u32, period: Duration) -> Self {
        RateLimitConfig {
            rate: rate.max(1),
            period,
            max_cooldown: Duration::from_secs(60),
        }
    }

    /// Polar's production limit: 500 requests per minute.
    pub fn production() -> Self {
        Self::new(500, Duration::from_secs(60))
    }

    /// Polar's sandbox limit: 100 requests per minute.
    pub fn sandbox() -> Self {
        Self::new(100, Duration::from_secs(60))
    }

    /// The longest cooldown a 429's `Retry-After` can impose (default 60 s).
    pub fn max_cooldown(mut self, max: Duration) -> Self {
        self.max_cooldown = max;
        self
    }

    /// Requests allowed per window.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// The window length.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// The longest cooldown a 429 can impose.
    pub fn get_max_cooldown(&self) -> Duration {
        self.max_cooldown
    }
}

/// One slot of a budget, granted by a [`RateLimitStore`] to one request and handed back to the
/// same store with [`RateLimitStore::finished`] when that request has ended.
///
/// It names the slot (by the store's own numbering), so the store ends exactly the slot its
/// request held, whatever order requests end in. It is neither `Clone` nor `Copy`: a slot is
/// handed back once.
#[derive(Debug, PartialEq, Eq, Hash)]
#[must_use = "a slot stays taken until it is handed back with `finished`"]
pub struct Slot(u64);

impl Slot {
    /// The slot a store numbers `id`.
    pub fn new(id: u64) -> Self {
        Slot(id)
    }

    /// The store's number for this slot.
    pub fn id(&self) -> u64 {
        self.0
    }
}

/// Where a rate-limit budget is kept: in this process ([`LocalStore`]) or shared by several
/// processes.
///
/// The [`RateLimit`] layer calls it for every request:
///
/// 1. [`try_acquire`](Self::try_acquire) first; when it says no,
///    [`acquire`](Self::acquire), bounded by the call's deadline;
/// 2. once the request has ended (its answer's head came back, or it failed, or the caller
///    dropped it), [`finished`](Self::finished) with the [`Slot`] it was granted;
/// 3. for a 429 with `Retry-After`, [`cool_down`](Self::cool_down) with the server's wait.
pub trait RateLimitStore: Send + Sync + 'static {
    /// Grants a slot at once when the budget allows it, no cooldown runs and nobody is
    /// waiting. Returns `None`, taking nothing, otherwise.
    fn try_acquire(&self) -> Option<Slot>;

    /// Resolves with a slot once one is granted.
    ///
    /// The future may be dropped before it resolves (the caller gave up) at any point where it
    /// waits, a round trip to a shared store included: it must then give up its place in line
    /// and leave nothing taken, also a slot it was being granted at that moment.
    fn acquire(&self) -> Pin<Box<dyn Future<Output = Slot> + Send + '_>>;

    /// The request sent with `slot` has ended (answered or failed): that slot counts from now.
    fn finished(&self, slot: Slot);

    /// The server refused a request with 429 and asked to wait `wait`: hold every caller back
    /// that long (a store may cap the wait).
    fn cool_down(&self, wait: Duration);

    /// How long a caller asking now will wait at least, when the store knows it without a
    /// round trip (a cooldown running, the window's oldest request to age out); `None` when it
    /// does not know. The [`RateLimit`] layer gives a request back unsent at once, instead of
    /// waiting until its call's deadline, when this wait ends after that deadline. The default
    /// knows nothing.
    fn known_wait(&self) -> Option<Duration> {
        None
    }
}

/// A shareable handle on a rate-limit budget; clones share it. See the [module docs](self).
#[derive(Clone)]
pub struct RateLimiter {
    store: Arc<dyn RateLimitStore>,
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter").finish_non_exhaustive()
    }
}

impl RateLimiter {
    /// A new budget kept in this process ([`LocalStore`]).
    pub fn new(config: RateLimitConfig) -> Self {
        Self::from_store(Arc::new(LocalStore::new(config)))
    }

    /// A handle on a store of your own, for example one shared by several processes.
    pub fn from_store(store: Arc<dyn RateLimitStore>) -> Self {
        RateLimiter { store }
    }

    /// A permit at once, or `None` when the caller would have to wait.
    pub(crate) fn try_acquire(&self) -> Option<Permit<'_>> {
        let slot = self.store.try_acquire()?;
        Some(Permit {
            store: &*self.store,
            slot: Some(slot),
        })
    }

    /// Waits for a permit. Dropping the future before it resolves gives up the place in line
    /// and takes nothing.
    pub(crate) async fn acquire(&self) -> Permit<'_> {
        let slot = self.store.acquire().await;
        Permit {
            store: &*self.store,
            slot: Some(slot),
        }
    }

    fn observe<B>(&self, res: &Response<B>) {
        if res.status() == StatusCode::TOO_MANY_REQUESTS
            && let Some(wait) = retry_after(res.headers())
        {
            self.store.cool_down(wait);
        }
    }
}

/// The right to send one request, holding its slot; dropping it (the request has ended, or the
/// caller gave it up) hands exactly that slot back to the store.
#[must_use = "the permit counts from when it is dropped"]
pub(crate) struct Permit<'a> {
    store: &'a dyn RateLimitStore,
    slot: Option<Slot>,
}

impl fmt::Debug for Permit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit")
            .field("slot", &self.slot)
            .finish_non_exhaustive()
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            self.store.finished(slot);
        }
    }
}

/// `t + d`, saturating at roughly thirty years ahead instead of overflowing (a `Retry-After`
/// or a setting may be as long as a `Duration` gets).
pub(crate) fn later(t: Instant, d: Duration) -> Instant {
    t.checked_add(d)
        .or_else(|| t.checked_add(Duration::from_secs(86_400 * 365 * 30)))
        .unwrap_or(t)
}

/// The budget of one process: a sliding window over the ends of the last requests.
///
/// Its slots are alike (the window counts requests in flight and when the others ended), so
/// the slot a request hands back is its own whichever order requests end in.
pub struct LocalStore {
    config: RateLimitConfig,
    window: Mutex<Window>,
    /// The line of waiting callers: tokio's mutex is fair (first come, first served) and a
    /// caller that stops waiting for it leaves the line.
    line: tokio::sync::Mutex<()>,
    /// Woken when a request ends (the first in line may be waiting for one).
    request_ended: Notify,
}

impl fmt::Debug for LocalStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalStore")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

struct Window {
    /// When the requests of the last `period` ended, oldest first.
    ended: VecDeque<Instant>,
    /// Permits granted whose request has not ended yet.
    in_flight: u32,
    cooldown_until: Option<Instant>,
}

/// How long the next request must wait.
enum Wait {
    Until(Instant),
    /// Every slot belongs to a request still in flight.
    ForAnEnd,
}

impl Window {
    /// `None` when a slot is free now.
    fn wait(&mut self, now: Instant, config: &RateLimitConfig) -> Option<Wait> {
        if let Some(until) = self.cooldown_until.filter(|t| *t > now) {
            return Some(Wait::Until(until));
        }
        while self
            .ended
            .front()
            .is_some_and(|t| later(*t, config.period) <= now)
        {
            self.ended.pop_front();
        }
        if (self.in_flight as usize) + self.ended.len() < config.rate as usize {
            return None;
        }
        Some(match self.ended.front() {
            Some(oldest) => Wait::Until(later(*oldest, config.period)),
            None => Wait::ForAnEnd,
        })
    }
}

impl LocalStore {
    /// A store with the given settings.
    pub fn new(config: RateLimitConfig) -> Self {
        LocalStore {
            config,
            window: Mutex::new(Window {
                ended: VecDeque::with_capacity((config.rate as usize).min(4096)),
                in_flight: 0,
                cooldown_until: None,
            }),
            line: tokio::sync::Mutex::new(()),
            request_ended: Notify::new(),
        }
    }

    fn window(&self) -> std::sync::MutexGuard<'_, Window> {
        // The window stays consistent even if a holder panicked: every update is a single step.
        self.window.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes a slot when one is free now; otherwise says when to look again.
    fn grant(&self) -> Result<Slot, Wait> {
        let mut w = self.window();
        match w.wait(Instant::now(), &self.config) {
            None => {
                w.in_flight += 1;
                // The slots are alike (see the type's docs): all are numbered 0.
                Ok(Slot(0))
            }
            Some(wait) => Err(wait),
        }
    }
}

impl RateLimitStore for LocalStore {
    fn try_acquire(&self) -> Option<Slot> {
        // Nobody in line (or someone would be served first) and a free slot.
        let _first = self.line.try_lock().ok()?;
        self.grant().ok()
    }

    fn acquire(&self) -> Pin<Box<dyn Future<Output = Slot> + Send + '_>> {
        // Cancellation-safe: a slot is taken only in `grant`, and returned with no wait between.
        Box::pin(async move {
            let _first = self.line.lock().await;
            loop {
                let ended = self.request_ended.notified();
                match self.grant() {
                    Ok(slot) => return slot,
                    // Looked at again on waking: a 429 may have started a cooldown meanwhile.
                    Err(Wait::Until(at)) => tokio::time::sleep_until(at).await,
                    Err(Wait::ForAnEnd) => ended.await,
                }
            }
        })
    }

    fn finished(&self, _slot: Slot) {
        {
            let mut w = self.window();
            w.in_flight = w.in_flight.saturating_sub(1);
            w.ended.push_back(Instant::now());
        }
        self.request_ended.notify_one();
    }

    fn cool_down(&self, wait: Duration) {
        let until = later(Instant::now(), wait.min(self.config.max_cooldown));
        let mut w = self.window();
        if w.cooldown_until.is_none_or(|t| t < until) {
            w.cooldown_until = Some(until);
        }
    }

    fn known_wait(&self) -> Option<Duration> {
        let now = Instant::now();
        match self.window().wait(now, &self.config)? {
            Wait::Until(at) => Some(at.saturating_duration_since(now)),
            Wait::ForAnEnd => None,
        }
    }
}

/// Layer that applies [`RateLimit`]; every service it makes shares its [`RateLimiter`].
#[derive(Clone, Debug)]
pub struct RateLimitLayer {
    limiter: RateLimiter,
}

impl RateLimitLayer {
    /// A layer over the given limiter (clone a handle to share it with other layers).
    pub fn new(limiter: RateLimiter) -> Self {
        RateLimitLayer { limiter }
    }

    /// The shared limiter.
    pub fn limiter(&self) -> &RateLimiter {
        &self.limiter
    }
}

impl<S> Layer<S> for RateLimitLayer {
    type Service = RateLimit<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RateLimit {
            inner,
            limiter: self.limiter.clone(),
        }
    }
}

/// Service that waits for the shared limiter before each request; see the [module docs](self).
#[derive(Clone, Debug)]
pub struct RateLimit<S> {
    inner: S,
    limiter: RateLimiter,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for RateLimit<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    ReqBody: Send + 'static,
    ResBody: Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = BoxError;
    type Future = ResponseFuture<ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let limiter = self.limiter.clone();
        let call = CallContext::of(req.extensions());
        ResponseFuture {
            inner: Box::pin(async move {
                let permit = match limiter.try_acquire() {
                    Some(permit) => permit,
                    // Wait for a permit, but not past the call's deadline; giving up leaves the
                    // line and holds nothing. Either way the request was not sent: the error
                    // says so, and how long the limiter knew it would still wait, for the retry
                    // layer to offer the request back (`RetryLater`).
                    None => match call.deadline {
                        Some(deadline) => {
                            // A wait known to end after the deadline is not started (as the
                            // retry layer's waits): the call times out at once.
                            if let Some(wait) = limiter.store.known_wait()
                                && later(Instant::now(), wait) >= deadline
                            {
                                return Err(call.timeout_error().not_sent(wait).into());
                            }
                            tokio::time::timeout_at(deadline, limiter.acquire())
                                .await
                                .map_err(|_| {
                                    let wait = limiter.store.known_wait().unwrap_or_default();
                                    call.timeout_error().not_sent(wait)
                                })?
                        }
                        None => limiter.acquire().await,
                    },
                };
                let res = inner.oneshot(req).await.map_err(Into::into);
                // The request has ended (its head came back, or it failed): its slot counts
                // from now.
                drop(permit);
                let res = res?;
                limiter.observe(&res);
                Ok(res)
            }),
        }
    }
}

/// Future of [`RateLimit`].
pub struct ResponseFuture<B> {
    inner: Pin<Box<dyn Future<Output = Result<Response<B>, BoxError>> + Send>>,
}

impl<B> Future for ResponseFuture<B> {
    type Output = Result<Response<B>, BoxError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}

impl<B> fmt::Debug for ResponseFuture<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
