//! A rate-limit budget kept in Redis, shared by every process that uses the same key
//! (feature `redis`).
//!
//! Polar counts the requests of an organization together, whichever process sends them. Give
//! every process (and every client in it) of one organization a [`RedisStore`] on the same
//! Redis and the same key, and together they stay within the organization's budget.
//!
//! # How the budget is kept
//!
//! The key holds a sorted set with one entry per request: granted requests are entered "in
//! flight", and stamped, on Redis's clock, with the time their answer came back. A request is granted
//! when fewer than `rate` entries are in flight or stamped within the last `period + margin`.
//! That is the same sliding window as [`LocalStore`]'s, which keeps every fixed window Polar
//! starts under its budget, wherever it starts (see the [`ratelimit`](crate::ratelimit) module).
//! The check and the take are one Lua script, so two processes cannot take the last slot both.
//! All times come from the Redis server's clock (`TIME`), so the processes' own clocks do not
//! need to agree; the margin (default 1 % of the period) covers the difference between the
//! rate of Redis's clock and Polar's.
//!
//! An entry whose process died before its answer came back stops counting as in flight after
//! the lease (default 120 s, the default call timeout), then counts one more period.
//!
//! A 429 seen by one process (its `Retry-After`, capped by
//! [`RateLimitConfig::max_cooldown`]) is written to Redis next to the budget: every process
//! waits it out before sending again.
//!
//! # When Redis is away
//!
//! The limiter never fails a call because of Redis. When Redis cannot be reached (or answers
//! slower than [`command_timeout`](RedisStoreBuilder::command_timeout), 250 ms by default), the
//! store logs one warning for the outage and paces this process alone with an in-process
//! [`LocalStore`] of the same budget; it tries Redis again at most every
//! [`reconnect_interval`](RedisStoreBuilder::reconnect_interval) (1 s by default) and, once
//! Redis answers, logs that it rejoined and shares the budget again. During an outage each
//! process paces itself as if it were alone, so several processes together may exceed the
//! budget and meet 429s (which still pause that process).
//!
//! # Slots
//!
//! Each grant is one named entry, and the permit of a request ends exactly its own entry (or
//! its own slot of the fallback, for a grant made during an outage), whatever order requests
//! end in. A caller that gives up while its grant is on the way (its call timed out during the
//! round trip to Redis) leaves nothing taken: the entry Redis may have added for it is removed
//! again. Waits and intervals, however long, saturate instead of overflowing.
//!
//! ```no_run
//! use std::sync::Arc;
//! use std::time::Duration;
//! use polar_transport::ratelimit::{RateLimitConfig, RateLimiter};
//! use polar_transport::redis_store::RedisStore;
//! use polar_transport::TransportBuilder;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The same URL and key in every process of the organization; settings are made on the
//! // builder, before the store is shared.
//! let store = RedisStore::builder(
//!     "redis://127.0.0.1:6379",
//!     "polar:ratelimit:<organization id>",
//!     RateLimitConfig::production(),
//! )
//! .command_timeout(Duration::from_millis(100))
//! .build()?;
//! let limiter = RateLimiter::from_store(Arc::new(store));
//! let service = TransportBuilder::new().token("polar_oat_...").rate_limiter(limiter).build()?;
//! # drop(service);
//! # Ok(())
//! # }
//! ```
//!
//! A built store has no setters: whatever holds it (the limiter, a stamp still on its way to
//! Redis) sees the same settings.
//!
//! ```compile_fail
//! # use std::time::Duration;
//! # use polar_transport::ratelimit::RateLimitConfig;
//! # use polar_transport::redis_store::RedisStore;
//! let store = RedisStore::new("redis://127.0.0.1:6379", "key", RateLimitConfig::production())?;
//! let store = store.lease(Duration::from_secs(30)); // settings belong to the builder
//! # Ok::<(), redis::RedisError>(())
//! ```
//!
//! [`LocalStore`]: crate::ratelimit::LocalStore

mod builder;
mod inner;
mod scripts;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::time::Instant;

pub use builder::RedisStoreBuilder;
use inner::{Answer, Inner, lock, spawn};

use crate::ratelimit::{RateLimitConfig, RateLimitStore, Slot, later};

/// The number of every slot granted by the in-process fallback (whose slots are alike); the
/// others are entries in Redis, numbered from 0 and never this.
const FALLBACK: u64 = u64::MAX;

/// A [`RateLimitStore`] in Redis, shared by every process using the same key; see the
/// [module docs](self).
pub struct RedisStore {
    inner: Arc<Inner>,
}

impl fmt::Debug for RedisStore {
    // The URL may hold a password: it is not shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("key", &self.inner.slots_key)
            .field("config", &self.inner.config)
            .field("margin", &self.inner.margin)
            .field("shared", &self.is_shared())
            .finish_non_exhaustive()
    }
}

impl RedisStoreBuilder {
    /// The store. Nothing is connected until the first request; an invalid URL is an error
    /// here.
    pub fn build(self) -> Result<RedisStore, redis::RedisError> {
        Ok(RedisStore {
            inner: Arc::new(Inner::new(self)?),
        })
    }
}

impl RedisStore {
    /// A store with the default settings for the budget `config` under `key` (one key per
    /// organization), in the Redis at `url` (`redis://[user:password@]host:port[/db]`).
    /// Nothing is connected until the first request; an invalid URL is an error here.
    pub fn new(
        url: &str,
        key: impl Into<String>,
        config: RateLimitConfig,
    ) -> Result<Self, redis::RedisError> {
        Self::builder(url, key, config).build()
    }

    /// A builder for a store like [`new`](Self::new)'s, with other settings.
    pub fn builder(
        url: &str,
        key: impl Into<String>,
        config: RateLimitConfig,
    ) -> RedisStoreBuilder {
        RedisStoreBuilder::new(url, key.into(), config)
    }

    /// True while the budget is shared through Redis; false during an outage, when this
    /// process paces itself alone.
    pub fn is_shared(&self) -> bool {
        self.inner.is_shared()
    }

    fn cooldown_left(&self, now: Instant) -> Option<Instant> {
        lock(&self.inner.cooldown_until).filter(|t| *t > now)
    }
}

/// What a caller's round trip to Redis leaves to remove unless Redis's answer comes back: the
/// entry Redis may add for the caller (it is then the caller's slot, or was never added) and
/// the abandoned entries its script removes first. Dropping the acquire future during its
/// round trip drops this too, which hands both back to be removed.
struct Pending<'a> {
    inner: &'a Arc<Inner>,
    member: String,
    abandoned: Vec<String>,
    settled: bool,
}

impl<'a> Pending<'a> {
    /// Entry `member`, and the abandoned entries to remove with it (taken from the store).
    fn new(inner: &'a Arc<Inner>, member: String) -> Self {
        Pending {
            inner,
            member,
            abandoned: inner.take_abandoned(),
            settled: false,
        }
    }

    /// Redis answered.
    fn settle(mut self) {
        self.settled = true;
    }
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        let member = std::mem::take(&mut self.member);
        let abandoned = std::mem::take(&mut self.abandoned);
        self.inner.abandon(std::iter::once(member).chain(abandoned));
        let inner = self.inner.clone();
        spawn(async move { inner.forget_abandoned().await });
    }
}

impl RateLimitStore for RedisStore {
    /// Always `None`: a slot needs a round trip to Redis, which [`acquire`](Self::acquire)
    /// makes.
    fn try_acquire(&self) -> Option<Slot> {
        None
    }

    fn acquire(&self) -> Pin<Box<dyn Future<Output = Slot> + Send + '_>> {
        Box::pin(async move {
            let _first = self.inner.line.lock().await;
            loop {
                if let Some(until) = self.cooldown_left(Instant::now()) {
                    tokio::time::sleep_until(until).await;
                    continue;
                }
                let answer = match self.inner.connection().await {
                    Some(conn) => {
                        let n = self.inner.next_id.fetch_add(1, Ordering::Relaxed) % FALLBACK;
                        let pending = Pending::new(&self.inner, self.inner.member(n));
                        // `None`: the script may still run; `pending` removes what it adds,
                        // and what it was to remove.
                        let answer = self
                            .inner
                            .try_take(conn, &pending.member, &pending.abandoned)
                            .await;
                        answer.map(|answer| {
                            pending.settle();
                            (n, answer)
                        })
                    }
                    None => None,
                };
                match answer {
                    Some((n, Answer::Granted)) => return Slot::new(n),
                    Some((_, Answer::Wait(wait))) => tokio::time::sleep(wait).await,
                    Some((_, Answer::WaitForAnEnd)) => {
                        tokio::time::sleep(self.inner.poll_interval).await
                    }
                    // Redis is away: pace this process alone.
                    None => {
                        // The fallback's slots are alike: it gets back the one named FALLBACK.
                        let _alike = self.inner.fallback.acquire().await;
                        return Slot::new(FALLBACK);
                    }
                }
            }
        })
    }

    fn finished(&self, slot: Slot) {
        let n = slot.id();
        if n == FALLBACK {
            self.inner.fallback.finished(slot);
            return;
        }
        let inner = self.inner.clone();
        let ended = Instant::now();
        spawn(async move {
            let member = inner.member(n);
            inner.finish(member, ended).await
        });
    }

    fn cool_down(&self, wait: Duration) {
        let wait = wait.min(self.inner.config.get_max_cooldown());
        let until = later(Instant::now(), wait);
        {
            let mut mine = lock(&self.inner.cooldown_until);
            if mine.is_none_or(|t| t < until) {
                *mine = Some(until);
            }
        }
        self.inner.fallback.cool_down(wait);
        let inner = self.inner.clone();
        spawn(async move { inner.share_cooldown(wait).await });
    }

    /// The cooldown this process knows of (another process's reaches it with the next
    /// acquire); during an outage, the fallback's wait.
    fn known_wait(&self) -> Option<Duration> {
        let now = Instant::now();
        match self.cooldown_left(now) {
            Some(until) => Some(until - now),
            None if !self.is_shared() => self.inner.fallback.known_wait(),
            None => None,
        }
    }
}
