//! Client-side rate limiting shared by every clone of a client, plus a shared 429 cooldown.
//!
//! Polar counts requests per token in a sliding window (500 per minute in production, 100 in the
//! sandbox). The [`RateLimiter`] mirrors that: it remembers when the last `rate` requests were
//! let through and lets a new one go only when fewer than `rate` went in the past `period`. So
//! in **any** window of length `period` at most `rate` requests leave the client — unlike a
//! token bucket, which can let up to twice its size through across a refill. A caller that must
//! wait reserves its slot first, so waiting callers are served in arrival order.
//!
//! When a response has status 429 and a `Retry-After` header, the limiter enters a cooldown
//! until that time (capped by [`RateLimitConfig::max_cooldown`]); every caller, including those
//! already queued, waits for the cooldown to end before sending. The waits use `tokio::time`.
//!
//! The limiter lives in an `Arc` inside the layer, so every service built from one layer (and
//! every clone of the resulting client) shares one budget.
//!
//! ```
//! use std::time::Duration;
//! use http::{Request, Response};
//! use polar_transport::ratelimit::{RateLimitConfig, RateLimitLayer};
//! use polar_transport::{Body, BoxError};
//! use tower::{Service, ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> Result<(), BoxError> {
//! let layer = RateLimitLayer::new(RateLimitConfig::new(2, Duration::from_secs(1)));
//! let mut svc = ServiceBuilder::new().layer(layer).service(service_fn(|_req: Request<Body>| async {
//!     Ok::<_, BoxError>(Response::new(()))
//! }));
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
}

/// `t + d`, saturating at roughly thirty years ahead instead of overflowing.
fn later(t: Instant, d: Duration) -> Instant {
    t.checked_add(d)
        .or_else(|| t.checked_add(Duration::from_secs(86_400 * 365 * 30)))
        .unwrap_or(t)
}

struct State {
    /// Send times of the last `rate` requests (some may be reserved in the future), ascending.
    log: VecDeque<Instant>,
    cooldown_until: Option<Instant>,
}

/// The shared limiter behind [`RateLimitLayer`].
pub struct RateLimiter {
    config: RateLimitConfig,
    state: Mutex<State>,
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl RateLimiter {
    /// A limiter with the given settings.
    pub fn new(config: RateLimitConfig) -> Self {
        RateLimiter {
            config,
            state: Mutex::new(State {
                log: VecDeque::with_capacity((config.rate as usize).min(4096)),
                cooldown_until: None,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state stays consistent even if a holder panicked: every update is a single step.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reserves the next send slot and returns when it may be used (maybe now).
    fn reserve(&self, now: Instant) -> Instant {
        let mut st = self.lock();
        let rate = self.config.rate as usize;
        let at = if st.log.len() < rate {
            now
        } else {
            // The log is full: the new send must come one period after the oldest of the last
            // `rate` sends, and never before a slot already reserved.
            let oldest = st.log.pop_front().unwrap_or(now);
            now.max(later(oldest, self.config.period))
                .max(st.log.back().copied().unwrap_or(now))
        };
        st.log.push_back(at);
        at
    }

    fn cooldown(&self) -> Option<Instant> {
        self.lock().cooldown_until
    }

    /// Makes every caller wait until `until` (extends, never shortens, a running cooldown).
    pub fn cool_down_until(&self, until: Instant) {
        let mut st = self.lock();
        if st.cooldown_until.is_none_or(|t| t < until) {
            st.cooldown_until = Some(until);
        }
    }

    async fn wait_cooldown(&self) {
        while let Some(until) = self.cooldown() {
            if until <= Instant::now() {
                break;
            }
            tokio::time::sleep_until(until).await;
        }
    }

    /// Counts one more request and returns true when it may be sent right now (no cooldown, a
    /// free slot); otherwise changes nothing and returns false.
    pub fn try_acquire_now(&self) -> bool {
        let now = Instant::now();
        let mut st = self.lock();
        if st.cooldown_until.is_some_and(|t| t > now) {
            return false;
        }
        let rate = self.config.rate as usize;
        let free = st.log.len() < rate
            || st
                .log
                .front()
                .is_some_and(|oldest| later(*oldest, self.config.period) <= now);
        if !free || st.log.back().is_some_and(|last| *last > now) {
            return false;
        }
        if st.log.len() >= rate {
            st.log.pop_front();
        }
        st.log.push_back(now);
        true
    }

    /// Waits until one more request may be sent, then counts it.
    pub async fn acquire(&self) {
        self.wait_cooldown().await;
        let at = self.reserve(Instant::now());
        if at > Instant::now() {
            tokio::time::sleep_until(at).await;
        }
        // A 429 may have arrived while this caller was queued.
        self.wait_cooldown().await;
    }

    fn observe<B>(&self, res: &Response<B>) {
        if res.status() == StatusCode::TOO_MANY_REQUESTS
            && let Some(wait) = retry_after(res.headers())
        {
            self.cool_down_until(later(Instant::now(), wait.min(self.config.max_cooldown)));
        }
    }
}

/// Layer that applies [`RateLimit`]; all services it makes share one [`RateLimiter`].
#[derive(Clone, Debug)]
pub struct RateLimitLayer {
    limiter: Arc<RateLimiter>,
}

impl RateLimitLayer {
    /// A layer with a new limiter.
    pub fn new(config: RateLimitConfig) -> Self {
        RateLimitLayer {
            limiter: Arc::new(RateLimiter::new(config)),
        }
    }

    /// The shared limiter.
    pub fn limiter(&self) -> &Arc<RateLimiter> {
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
    limiter: Arc<RateLimiter>,
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
        let call = CallContext::current();
        ResponseFuture {
            inner: Box::pin(async move {
                if !limiter.try_acquire_now() {
                    // Wait for a slot, but not past the call's deadline.
                    match call.as_ref().and_then(|c| Some((c, c.deadline?))) {
                        Some((ctx, deadline)) => {
                            if tokio::time::timeout_at(deadline, limiter.acquire())
                                .await
                                .is_err()
                            {
                                return Err(ctx.timeout_error().into());
                            }
                        }
                        None => limiter.acquire().await,
                    }
                }
                let res = inner.oneshot(req).await.map_err(Into::into)?;
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
