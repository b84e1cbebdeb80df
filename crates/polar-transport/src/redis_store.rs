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
//! slower than [`command_timeout`](RedisStore::command_timeout), 250 ms by default), the store
//! logs one warning for the outage and paces this process alone with an in-process
//! [`LocalStore`] of the same budget; it tries Redis again at most every
//! [`reconnect_interval`](RedisStore::reconnect_interval) (1 s by default) and, once Redis
//! answers, logs that it rejoined and shares the budget again. During an outage each process
//! paces itself as if it were alone, so several processes together may exceed the budget and
//! meet 429s (which still pause that process).
//!
//! ```no_run
//! use std::sync::Arc;
//! use polar_transport::ratelimit::{RateLimitConfig, RateLimiter};
//! use polar_transport::redis_store::RedisStore;
//! use polar_transport::TransportBuilder;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The same URL and key in every process of the organization.
//! let store = RedisStore::new(
//!     "redis://127.0.0.1:6379",
//!     "polar:ratelimit:<organization id>",
//!     RateLimitConfig::production(),
//! )?;
//! let limiter = RateLimiter::from_store(Arc::new(store));
//! let service = TransportBuilder::new().token("polar_oat_...").rate_limiter(limiter).build()?;
//! # drop(service);
//! # Ok(())
//! # }
//! ```
//!
//! [`LocalStore`]: crate::ratelimit::LocalStore

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use tokio::time::Instant;

use crate::ratelimit::{LocalStore, RateLimitConfig, RateLimitStore};

/// Checks the cooldown, drops the entries that no longer count, and takes a slot if one is
/// free. Returns `{1, 0}` when granted, `{0, ms}` to wait `ms`, `{0, -1}` when every slot is
/// in flight (wait for one to end).
const ACQUIRE: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
local cooldown = redis.call('PTTL', KEYS[2])
if cooldown > 0 then
  return {0, cooldown}
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < rate then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window + lease)
  return {1, 0}
end
local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
if oldest > now then
  return {0, -1}
end
return {0, oldest + window - now}
"#;

/// Stamps an in-flight entry with the time its request ended: `ARGV[2]` ms before now (the
/// time the stamp took to get here, measured by the process; a duration, so no clock skew).
const FINISH: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', now - tonumber(ARGV[2]), ARGV[1])
return 1
"#;

/// Starts (or lengthens) the shared cooldown.
const COOL_DOWN: &str = r#"
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 1
"#;

/// Which store granted a permit still in flight.
enum Grant {
    Redis(String),
    Local,
}

/// A [`RateLimitStore`] in Redis, shared by every process using the same key; see the
/// [module docs](self).
pub struct RedisStore {
    inner: Arc<Inner>,
    /// One caller of this process at a time asks Redis; the others queue here in order.
    line: tokio::sync::Mutex<()>,
}

struct Inner {
    client: redis::Client,
    config: RateLimitConfig,
    slots_key: String,
    cooldown_key: String,
    margin: Duration,
    lease: Duration,
    command_timeout: Duration,
    reconnect_interval: Duration,
    poll_interval: Duration,
    fallback: LocalStore,
    /// Tells this process's entries apart from other processes'.
    nonce: u64,
    next_id: AtomicU64,
    state: Mutex<Connection>,
    /// Permits in flight, oldest first. Entries are interchangeable: whichever request ends,
    /// the oldest is stamped, so the stamps are the requests' end times all the same.
    grants: Mutex<VecDeque<Grant>>,
    /// This process's view of the shared cooldown (Redis's copy is written in the background).
    cooldown_until: Mutex<Option<Instant>>,
    scripts: Scripts,
}

struct Scripts {
    acquire: redis::Script,
    finish: redis::Script,
    cool_down: redis::Script,
}

#[derive(Default)]
struct Connection {
    conn: Option<MultiplexedConnection>,
    /// Set while Redis is unreachable: when the outage began and when to try again.
    down: Option<(Instant, Instant)>,
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

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Every update under these locks is a single step: a panic cannot leave them half done.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl RedisStore {
    /// A store for the budget `config` under `key` (one key per organization), in the Redis at
    /// `url` (`redis://[user:password@]host:port[/db]`). Nothing is connected until the first
    /// request; an invalid URL is an error here.
    pub fn new(
        url: &str,
        key: impl Into<String>,
        config: RateLimitConfig,
    ) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let key = key.into();
        Ok(RedisStore {
            inner: Arc::new(Inner {
                client,
                config,
                cooldown_key: format!("{key}:cooldown"),
                slots_key: key,
                margin: config.period() / 100,
                lease: Duration::from_secs(120),
                command_timeout: Duration::from_millis(250),
                reconnect_interval: Duration::from_secs(1),
                poll_interval: Duration::from_millis(10),
                fallback: LocalStore::new(config),
                nonce: fastrand::u64(..),
                next_id: AtomicU64::new(0),
                state: Mutex::new(Connection::default()),
                grants: Mutex::new(VecDeque::new()),
                cooldown_until: Mutex::new(None),
                scripts: Scripts {
                    acquire: redis::Script::new(ACQUIRE),
                    finish: redis::Script::new(FINISH),
                    cool_down: redis::Script::new(COOL_DOWN),
                },
            }),
            line: tokio::sync::Mutex::new(()),
        })
    }

    fn inner_mut(&mut self) -> &mut Inner {
        Arc::get_mut(&mut self.inner).expect("settings are changed before the store is shared")
    }

    /// Added to the period: a request counts for `period + margin` after it ended (default 1 %
    /// of the period). Larger is safer against Polar's clock; smaller is faster.
    pub fn margin(mut self, margin: Duration) -> Self {
        self.inner_mut().margin = margin;
        self
    }

    /// How long an entry counts as in flight when its process never reports its end
    /// (default 120 s).
    pub fn lease(mut self, lease: Duration) -> Self {
        self.inner_mut().lease = lease;
        self
    }

    /// The longest wait for one Redis command before Redis is taken as unreachable
    /// (default 250 ms).
    pub fn command_timeout(mut self, timeout: Duration) -> Self {
        self.inner_mut().command_timeout = timeout;
        self
    }

    /// How often Redis is tried again during an outage (default 1 s).
    pub fn reconnect_interval(mut self, interval: Duration) -> Self {
        self.inner_mut().reconnect_interval = interval;
        self
    }

    /// True while the budget is shared through Redis; false during an outage, when this
    /// process paces itself alone.
    pub fn is_shared(&self) -> bool {
        lock(&self.inner.state).down.is_none()
    }

    fn cooldown_left(&self, now: Instant) -> Option<Instant> {
        lock(&self.inner.cooldown_until).filter(|t| *t > now)
    }
}

/// What the acquire script said.
enum Answer {
    Granted,
    Wait(Duration),
    /// Every slot is in flight.
    WaitForAnEnd,
}

impl Inner {
    /// A connection, or `None` during an outage (until it is time to try again).
    async fn connection(&self) -> Option<MultiplexedConnection> {
        {
            let state = lock(&self.state);
            if let Some(conn) = &state.conn {
                return Some(conn.clone());
            }
            if let Some((_, retry_at)) = state.down
                && Instant::now() < retry_at
            {
                return None;
            }
        }
        let conn = self
            .bounded(self.client.get_multiplexed_async_connection())
            .await?;
        lock(&self.state).conn = Some(conn.clone());
        Some(conn)
    }

    /// Awaits a Redis operation for at most the command timeout; a failure or a timeout starts
    /// (or continues) an outage.
    async fn bounded<T>(&self, op: impl Future<Output = redis::RedisResult<T>>) -> Option<T> {
        match tokio::time::timeout(self.command_timeout, op).await {
            Ok(Ok(value)) => Some(value),
            Ok(Err(err)) => {
                self.went_down(&err.to_string());
                None
            }
            Err(_) => {
                self.went_down("Redis did not answer in time");
                None
            }
        }
    }

    /// Drops the connection and starts (or continues) an outage; the first failure of an
    /// outage is logged.
    fn went_down(&self, why: &str) {
        let now = Instant::now();
        let mut state = lock(&self.state);
        state.conn = None;
        let started = match state.down {
            Some((since, _)) => since,
            None => {
                tracing::warn!(
                    key = %self.slots_key,
                    error = why,
                    "rate limiter: Redis is unreachable; this process paces itself alone until it is back"
                );
                now
            }
        };
        state.down = Some((started, now + self.reconnect_interval));
    }

    /// A command answered: an outage, if any, is over.
    fn came_back(&self) {
        let mut state = lock(&self.state);
        if let Some((since, _)) = state.down.take() {
            tracing::info!(
                key = %self.slots_key,
                outage_ms = since.elapsed().as_millis() as u64,
                "rate limiter: Redis is back; the budget is shared again"
            );
        }
    }

    /// Runs a script; `None` when Redis could not be reached in time.
    async fn run<T: redis::FromRedisValue>(
        &self,
        invocation: &redis::ScriptInvocation<'_>,
    ) -> Option<T> {
        let mut conn = self.connection().await?;
        let value = self.bounded(invocation.invoke_async(&mut conn)).await?;
        self.came_back();
        Some(value)
    }

    async fn try_take(&self, id: &str) -> Option<Answer> {
        let window = self.config.period().saturating_add(self.margin);
        let mut invocation = self.scripts.acquire.key(&self.slots_key);
        invocation
            .key(&self.cooldown_key)
            .arg(self.config.rate())
            .arg(millis(window))
            .arg(millis(self.lease))
            .arg(id);
        let (granted, wait): (i64, i64) = self.run(&invocation).await?;
        Some(match (granted, wait) {
            (1, _) => Answer::Granted,
            (_, w) if w < 0 => Answer::WaitForAnEnd,
            (_, w) => Answer::Wait(Duration::from_millis(w as u64)),
        })
    }

    async fn finish(&self, id: String, ended: Instant) {
        let mut invocation = self.scripts.finish.key(&self.slots_key);
        // Whole milliseconds, rounded down: the stamp is never earlier than the end.
        let ago = u64::try_from(ended.elapsed().as_millis()).unwrap_or(u64::MAX);
        invocation.arg(id).arg(ago);
        // A failure leaves the entry in flight until its lease ends: safe, only slower.
        let _: Option<i64> = self.run(&invocation).await;
    }

    async fn share_cooldown(&self, wait: Duration) {
        let mut invocation = self.scripts.cool_down.key(&self.cooldown_key);
        invocation.arg(millis(wait));
        let _: Option<i64> = self.run(&invocation).await;
    }
}

/// Runs `fut` on the current tokio runtime, if there is one (else it is dropped: the entry's
/// lease, or the cooldown kept in this process, covers it).
fn spawn(fut: impl Future<Output = ()> + Send + 'static) {
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        handle.spawn(fut);
    }
}

impl RateLimitStore for RedisStore {
    /// Always false: a permit needs a round trip to Redis, which [`acquire`](Self::acquire)
    /// makes.
    fn try_acquire(&self) -> bool {
        false
    }

    fn acquire(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            let _first = self.line.lock().await;
            loop {
                if let Some(until) = self.cooldown_left(Instant::now()) {
                    tokio::time::sleep_until(until).await;
                    continue;
                }
                let n = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
                let id = format!("{:016x}:{n}", self.inner.nonce);
                match self.inner.try_take(&id).await {
                    Some(Answer::Granted) => {
                        lock(&self.inner.grants).push_back(Grant::Redis(id));
                        return;
                    }
                    Some(Answer::Wait(wait)) => tokio::time::sleep(wait).await,
                    Some(Answer::WaitForAnEnd) => {
                        tokio::time::sleep(self.inner.poll_interval).await
                    }
                    None => {
                        self.inner.fallback.acquire().await;
                        lock(&self.inner.grants).push_back(Grant::Local);
                        return;
                    }
                }
            }
        })
    }

    fn finished(&self) {
        let grant = lock(&self.inner.grants).pop_front();
        match grant {
            Some(Grant::Redis(id)) => {
                let inner = self.inner.clone();
                let ended = Instant::now();
                spawn(async move { inner.finish(id, ended).await });
            }
            Some(Grant::Local) => self.inner.fallback.finished(),
            None => {}
        }
    }

    fn cool_down(&self, wait: Duration) {
        let wait = wait.min(self.inner.config.get_max_cooldown());
        let until = Instant::now() + wait;
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
}
