//! A second cache level in Redis, shared by every process of a fleet, and a broadcast of every
//! update (feature `redis`).
//!
//! Give every process of one organization a [`SharedCache`] on the same Redis and key prefix
//! ([`EntitlementsBuilder::shared`](crate::EntitlementsBuilder::shared)). Then:
//!
//! - an entry one process fetched from Polar is written to Redis with its [`Stamp`] and the
//!   time it was learnt, and another process that misses reads it from there (while it is
//!   within its lifetime) instead of asking Polar ([`Stats::shared_hits`](crate::Stats));
//! - a webhook applied by one process is written to Redis and broadcast on a channel; every
//!   other process applies the broadcast to its memory at once (the delay is one Redis
//!   round trip);
//! - writes keep the ordering rule: one Lua script compares the stamps and writes only a newer
//!   answer, so processes racing each other cannot roll an entry back in Redis either;
//! - entries expire from Redis after the maximum staleness, and "unknown" entries after the
//!   negative lifetime.
//!
//! # When Redis is away
//!
//! Redis never fails a question. When it cannot be reached, or answers slower than
//! [`command_timeout`](SharedCache::command_timeout) (250 ms by default), the process logs one
//! warning for the outage and goes on with its own memory: misses go to Polar, webhooks change
//! only its own entries, and what it could not write is kept (up to
//! [`MAX_PENDING`] entries) to be written once Redis is back. Redis is tried again at most
//! every [`reconnect_interval`](SharedCache::reconnect_interval) (1 s by default). On its
//! return the process writes what it kept (the ordering rule decides, in Redis, against what
//! others wrote meanwhile), subscribes again, drops its own memory — it may have missed
//! broadcasts — and logs that it rejoined; from then on a miss reads the shared level again.
//!
//! During an outage a process may serve, within its lifetime, a state that another process
//! already replaced by a webhook; keep the lifetime short enough for that (or the outage
//! short).
//!
//! ```no_run
//! # async fn demo(client: polar_customers::Client, organization: polar_customers::OrganizationId) -> Result<(), Box<dyn std::error::Error>> {
//! use polar_entitlements::Entitlements;
//! use polar_entitlements::redis::SharedCache;
//!
//! // The same URL and prefix in every process of the organization.
//! let shared = SharedCache::new("redis://127.0.0.1:6379", format!("polar:entitlements:{organization}"))?;
//! let entitlements = Entitlements::builder(client, organization).shared(shared).build();
//! # drop(entitlements);
//! # Ok(()) }
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use polar_customers::{CustomerId, CustomerState};
use polar_webhooks::Event;
use redis::aio::MultiplexedConnection;
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::handle::Inner;
use crate::key::CustomerKey;
use crate::stamp::Stamp;
use crate::state::CachedState;
use crate::stats::bump;
use crate::store::Entry;

/// The most writes kept while Redis is away; past it the oldest are dropped (and logged).
pub const MAX_PENDING: usize = 10_000;

/// Writes an entry unless Redis holds a newer one, then broadcasts it. `KEYS[1]` the entry,
/// `KEYS[2]` the channel; `ARGV`: order, learnt-at (Unix ms), value, expiry (ms), message.
const OFFER: &str = r#"
local current = redis.call('HGET', KEYS[1], 'o')
if current and tonumber(current) > tonumber(ARGV[1]) then
  return 0
end
redis.call('HSET', KEYS[1], 'o', ARGV[1], 'k', ARGV[2], 'v', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PUBLISH', KEYS[2], ARGV[5])
return 1
"#;

/// The shared level: where it is and how long to wait for it; see the [module docs](self).
///
/// Its `Debug` does not show the URL (it may hold a password).
#[derive(Clone)]
pub struct SharedCache {
    inner: Arc<Shared>,
}

struct Shared {
    client: redis::Client,
    prefix: String,
    command_timeout: Duration,
    reconnect_interval: Duration,
    /// Tells this process's broadcasts apart from the others'.
    nonce: u64,
    connection: Mutex<Connection>,
    subscribed: AtomicBool,
    listening: AtomicBool,
    pending: Mutex<VecDeque<Record>>,
    offer: redis::Script,
}

#[derive(Default)]
struct Connection {
    conn: Option<MultiplexedConnection>,
    /// Set during an outage: when it began and when to try again.
    down: Option<(Instant, Instant)>,
}

impl fmt::Debug for SharedCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedCache")
            .field("prefix", &self.inner.prefix)
            .field("shared", &self.is_shared())
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Each critical section is one step: a panic cannot leave it half done.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX).max(1)
}

/// One shared answer: a customer's entry, or an external ID's mapping.
#[derive(Clone, Debug)]
enum Record {
    Entry {
        id: CustomerId,
        stamp: Stamp,
        learnt_ms: i64,
        /// The state's JSON; `None` for "unknown to Polar".
        state: Option<String>,
    },
    Alias {
        external_id: String,
        stamp: Stamp,
        learnt_ms: i64,
        target: Option<CustomerId>,
    },
}

impl SharedCache {
    /// The shared level in the Redis at `url` (`redis://[user:password@]host:port[/db]`), its
    /// keys and channel under `prefix` (one prefix per organization). Nothing is connected
    /// until the handle is used; an invalid URL is an error here.
    pub fn new(url: &str, prefix: impl Into<String>) -> Result<SharedCache, redis::RedisError> {
        Ok(SharedCache {
            inner: Arc::new(Shared {
                client: redis::Client::open(url)?,
                prefix: prefix.into(),
                command_timeout: Duration::from_millis(250),
                reconnect_interval: Duration::from_secs(1),
                nonce: fastrand::u64(..),
                connection: Mutex::new(Connection::default()),
                subscribed: AtomicBool::new(false),
                listening: AtomicBool::new(false),
                pending: Mutex::new(VecDeque::new()),
                offer: redis::Script::new(OFFER),
            }),
        })
    }

    fn inner_mut(&mut self) -> &mut Shared {
        Arc::get_mut(&mut self.inner).expect("settings are changed before the cache is shared")
    }

    /// The longest wait for one Redis command before Redis is taken as unreachable
    /// (250 ms by default).
    pub fn command_timeout(mut self, timeout: Duration) -> Self {
        self.inner_mut().command_timeout = timeout;
        self
    }

    /// How often Redis is tried again during an outage (1 s by default).
    pub fn reconnect_interval(mut self, interval: Duration) -> Self {
        self.inner_mut().reconnect_interval = interval;
        self
    }

    /// True while this process shares the cache: subscribed to the broadcast and its last
    /// command answered. False before the first connection and during an outage.
    pub fn is_shared(&self) -> bool {
        self.inner.subscribed.load(Ordering::Relaxed) && lock(&self.inner.connection).down.is_none()
    }
}

impl Shared {
    fn entry_key(&self, id: &CustomerId) -> String {
        format!("{}:c:{id}", self.prefix)
    }

    fn alias_key(&self, external_id: &str) -> String {
        format!("{}:x:{external_id}", self.prefix)
    }

    fn channel(&self) -> String {
        format!("{}:updates", self.prefix)
    }

    async fn connection(&self) -> Option<MultiplexedConnection> {
        {
            let state = lock(&self.connection);
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
        lock(&self.connection).conn = Some(conn.clone());
        Some(conn)
    }

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

    fn went_down(&self, why: &str) {
        let now = Instant::now();
        let mut state = lock(&self.connection);
        state.conn = None;
        let since = match state.down {
            Some((since, _)) => since,
            None => {
                tracing::warn!(
                    prefix = %self.prefix,
                    error = why,
                    "entitlements: Redis is unreachable; this process goes on with its own memory until it is back"
                );
                now
            }
        };
        state.down = Some((since, now + self.reconnect_interval));
    }

    /// True when a command answered after an outage (the rejoin is logged by the listener).
    fn answered(&self) {
        lock(&self.connection).down = None;
    }

    fn is_down(&self) -> bool {
        lock(&self.connection).down.is_some()
    }

    /// Reads one hash's order, learnt-at and value.
    async fn read(&self, key: String) -> Option<Option<(i64, i64, String)>> {
        let mut conn = self.connection().await?;
        let (o, k, v): (Option<i64>, Option<i64>, Option<String>) = self
            .bounded(
                redis::cmd("HMGET")
                    .arg(key)
                    .arg("o")
                    .arg("k")
                    .arg("v")
                    .query_async(&mut conn),
            )
            .await?;
        self.answered();
        Some(match (o, k, v) {
            (Some(o), Some(k), Some(v)) => Some((o, k, v)),
            _ => None,
        })
    }

    /// Writes a record through the ordering script; kept for later when Redis is away.
    async fn write(&self, record: Record, ttl: Duration) {
        if !self.try_write(&record, ttl).await {
            let mut pending = lock(&self.pending);
            if pending.len() >= MAX_PENDING {
                pending.pop_front();
                tracing::warn!(prefix = %self.prefix, "entitlements: too many writes kept while Redis is away; the oldest is dropped");
            }
            pending.push_back(record);
        }
    }

    async fn try_write(&self, record: &Record, ttl: Duration) -> bool {
        let Some(mut conn) = self.connection().await else {
            return false;
        };
        let (key, stamp, learnt_ms, value, message) = match record {
            Record::Entry {
                id,
                stamp,
                learnt_ms,
                state,
            } => (
                self.entry_key(id),
                *stamp,
                *learnt_ms,
                state.clone().unwrap_or_default(),
                json!({"n": self.nonce.to_string(), "c": id.to_string(), "o": stamp.to_order(), "k": learnt_ms, "v": state}),
            ),
            Record::Alias {
                external_id,
                stamp,
                learnt_ms,
                target,
            } => (
                self.alias_key(external_id),
                *stamp,
                *learnt_ms,
                target.map(|t| t.to_string()).unwrap_or_default(),
                json!({"n": self.nonce.to_string(), "x": external_id, "o": stamp.to_order(), "k": learnt_ms, "v": target.map(|t| t.to_string())}),
            ),
        };
        let mut invocation = self.offer.key(key);
        invocation
            .key(self.channel())
            .arg(stamp.to_order())
            .arg(learnt_ms)
            .arg(value)
            .arg(millis(ttl))
            .arg(message.to_string());
        let written: Option<i64> = self.bounded(invocation.invoke_async(&mut conn)).await;
        if written.is_some() {
            self.answered();
        }
        written.is_some()
    }

    /// Writes what was kept during an outage; false when Redis went away again.
    async fn flush_pending(&self, ttl: Duration) -> bool {
        loop {
            let Some(record) = lock(&self.pending).pop_front() else {
                return true;
            };
            if !self.try_write(&record, ttl).await {
                lock(&self.pending).push_front(record);
                return false;
            }
        }
    }
}

/// A record decoded from a broadcast (another process's update).
fn decode_message(payload: &str) -> Option<(String, Record)> {
    let v: Value = serde_json::from_str(payload).ok()?;
    let nonce = v.get("n")?.as_str()?.to_owned();
    let stamp = Stamp::from_order(v.get("o")?.as_i64()?);
    let learnt_ms = v.get("k")?.as_i64()?;
    let value = v.get("v")?.as_str().map(str::to_owned);
    let record = if let Some(id) = v.get("c").and_then(Value::as_str) {
        Record::Entry {
            id: id.parse().ok()?,
            stamp,
            learnt_ms,
            state: value,
        }
    } else {
        Record::Alias {
            external_id: v.get("x")?.as_str()?.to_owned(),
            stamp,
            learnt_ms,
            target: match value {
                Some(t) => Some(t.parse().ok()?),
                None => None,
            },
        }
    };
    Some((nonce, record))
}

impl Inner {
    fn shared(&self) -> Option<&Arc<Shared>> {
        self.shared.as_ref().map(|s| &s.inner)
    }

    /// When a record learnt at `learnt_ms` (Unix ms) was learnt, on this process's clock;
    /// `None` when it is past `lifetime`.
    fn learnt_at(&self, learnt_ms: i64, lifetime: Duration) -> Option<Instant> {
        let age =
            Duration::from_millis(u64::try_from(unix_ms().saturating_sub(learnt_ms)).unwrap_or(0));
        (age < lifetime).then(|| Instant::now().checked_sub(age).unwrap_or_else(Instant::now))
    }

    /// Takes a record into this process's memory, under the ordering rule.
    fn take_record(&self, record: Record, checked: Instant) {
        match record {
            Record::Entry {
                id, stamp, state, ..
            } => {
                let state = match state {
                    Some(json) => match serde_json::from_str::<CustomerState>(&json) {
                        Ok(state) => Some(CachedState::new(state, stamp)),
                        Err(_) => return,
                    },
                    None => None,
                };
                self.offer_local(
                    id,
                    Entry {
                        stamp,
                        state,
                        checked,
                    },
                );
            }
            Record::Alias {
                external_id,
                stamp,
                target,
                ..
            } => {
                self.offer_alias(&external_id, target, stamp, checked);
                if let Some(id) = target {
                    self.store.forget_unknown(&id, stamp);
                }
            }
        }
    }

    /// A miss: the shared level's answer for `key`, when it has one within its lifetime.
    pub(crate) async fn read_shared(&self, key: &CustomerKey) -> Option<Option<CachedState>> {
        let shared = self.shared()?;
        let id = match key {
            CustomerKey::Id(id) => *id,
            CustomerKey::External(x) => {
                let (order, learnt_ms, target) = shared.read(shared.alias_key(x)).await??;
                let stamp = Stamp::from_order(order);
                if target.is_empty() {
                    let checked = self.learnt_at(learnt_ms, self.config.negative_ttl)?;
                    self.offer_alias(x, None, stamp, checked);
                    bump(&self.counters.shared_hits);
                    return Some(None);
                }
                let id: CustomerId = target.parse().ok()?;
                let checked = self.learnt_at(learnt_ms, self.config.max_staleness)?;
                self.offer_alias(x, Some(id), stamp, checked);
                id
            }
        };
        let (order, learnt_ms, value) = shared.read(shared.entry_key(&id)).await??;
        let lifetime = if value.is_empty() {
            self.config.negative_ttl
        } else {
            self.config.ttl
        };
        let checked = self.learnt_at(learnt_ms, lifetime)?;
        let stamp = Stamp::from_order(order);
        let record = Record::Entry {
            id,
            stamp,
            learnt_ms,
            state: (!value.is_empty()).then_some(value),
        };
        self.take_record(record, checked);
        bump(&self.counters.shared_hits);
        Some(self.store.entry(&id).and_then(|e| e.state))
    }

    /// After a fetch from Polar: what it said, for the other processes.
    pub(crate) async fn share_fetch(
        &self,
        key: &CustomerKey,
        state: Option<&CustomerState>,
        stamp: Stamp,
    ) {
        let Some(shared) = self.shared() else {
            return;
        };
        let learnt_ms = unix_ms();
        match (key, state) {
            (_, Some(state)) => self.share_state(shared, state, stamp, learnt_ms).await,
            (CustomerKey::Id(id), None) => {
                let record = Record::Entry {
                    id: *id,
                    stamp,
                    learnt_ms,
                    state: None,
                };
                shared.write(record, self.config.negative_ttl).await;
            }
            (CustomerKey::External(x), None) => {
                let record = Record::Alias {
                    external_id: x.clone(),
                    stamp,
                    learnt_ms,
                    target: None,
                };
                shared.write(record, self.config.negative_ttl).await;
            }
        }
    }

    async fn share_state(
        &self,
        shared: &Shared,
        state: &CustomerState,
        stamp: Stamp,
        learnt_ms: i64,
    ) {
        let deleted = CachedState::is_deleted(state);
        let id = state.id();
        if let Some(x) = state.external_id() {
            let record = Record::Alias {
                external_id: x.to_owned(),
                stamp,
                learnt_ms,
                target: (!deleted).then_some(id),
            };
            shared.write(record, self.config.max_staleness).await;
        }
        let (json, ttl) = if deleted {
            (None, self.config.negative_ttl)
        } else {
            (serde_json::to_string(state).ok(), self.config.max_staleness)
        };
        let record = Record::Entry {
            id,
            stamp,
            learnt_ms,
            state: json,
        };
        shared.write(record, ttl).await;
    }

    /// After an event changed this process's memory: the same change, for the others.
    pub(crate) async fn share_event(&self, event: &Event) {
        let Some(shared) = self.shared() else {
            return;
        };
        let stamp = Stamp::webhook(event.timestamp());
        let learnt_ms = unix_ms();
        match event {
            Event::CustomerStateChanged { data, .. } => {
                self.share_state(shared, data, stamp, learnt_ms).await;
            }
            Event::CustomerDeleted { data, .. } => {
                if let Some(x) = data.external_id() {
                    let record = Record::Alias {
                        external_id: x.to_owned(),
                        stamp,
                        learnt_ms,
                        target: None,
                    };
                    shared.write(record, self.config.negative_ttl).await;
                }
                let record = Record::Entry {
                    id: data.id(),
                    stamp,
                    learnt_ms,
                    state: None,
                };
                shared.write(record, self.config.negative_ttl).await;
            }
            Event::CustomerCreated { data, .. } | Event::CustomerUpdated { data, .. } => {
                if let Some(x) = data.external_id() {
                    let record = Record::Alias {
                        external_id: x.to_owned(),
                        stamp,
                        learnt_ms,
                        target: Some(data.id()),
                    };
                    shared.write(record, self.config.max_staleness).await;
                }
            }
            _ => {}
        }
    }

    /// Starts the listener for the other processes' broadcasts, once, on the current runtime.
    pub(crate) fn start_listening(self: &Arc<Self>) {
        let Some(shared) = self.shared() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if shared.listening.swap(true, Ordering::AcqRel) {
            return;
        }
        runtime.spawn(listen(Arc::downgrade(self), shared.clone()));
    }
}

/// Subscribes to the broadcast and applies what others send; after a lost subscription,
/// writes what was kept, subscribes again and drops this process's memory. Ends when the last
/// handle is dropped.
async fn listen(handle: Weak<Inner>, shared: Arc<Shared>) {
    let mut was_down = false;
    loop {
        let Some(inner) = handle.upgrade() else {
            return;
        };
        let subscribed = async {
            let mut pubsub = shared.client.get_async_pubsub().await?;
            pubsub.subscribe(shared.channel()).await?;
            Ok::<_, redis::RedisError>(pubsub)
        };
        let pubsub = match shared.bounded(subscribed).await {
            Some(pubsub) if shared.flush_pending(inner.config.max_staleness).await => pubsub,
            _ => {
                drop(inner);
                was_down = true;
                tokio::time::sleep(shared.reconnect_interval).await;
                continue;
            }
        };
        // Broadcasts may have been missed: what memory holds is checked against Redis again.
        inner.store.clear();
        shared.answered();
        shared.subscribed.store(true, Ordering::Relaxed);
        if was_down {
            tracing::info!(prefix = %shared.prefix, "entitlements: Redis is back; the cache is shared again");
        }
        drop(inner);
        let mut messages = pubsub.into_on_message();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                message = messages.next() => {
                    let Some(message) = message else { break };
                    let Some(inner) = handle.upgrade() else { return };
                    let Ok(payload) = message.get_payload::<String>() else { continue };
                    let Some((nonce, record)) = decode_message(&payload) else { continue };
                    if nonce == shared.nonce.to_string() {
                        continue;
                    }
                    let learnt_ms = match &record {
                        Record::Entry { learnt_ms, .. } | Record::Alias { learnt_ms, .. } => *learnt_ms,
                    };
                    if let Some(checked) = inner.learnt_at(learnt_ms, inner.config.max_staleness) {
                        inner.take_record(record, checked);
                    }
                }
                _ = tick.tick() => {
                    if handle.strong_count() == 0 {
                        return;
                    }
                }
            }
        }
        shared.subscribed.store(false, Ordering::Relaxed);
        shared.went_down("the broadcast subscription ended");
        was_down = true;
        if shared.is_down() {
            tokio::time::sleep(shared.reconnect_interval).await;
        }
    }
}
