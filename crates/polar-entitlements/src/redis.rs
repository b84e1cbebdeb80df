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
//!   negative lifetime. Past its lifetime an entry is not read for a miss, but when Polar
//!   cannot answer and memory has nothing younger than the maximum staleness, an entry younger
//!   than that (by when it was learnt) is served ([`Stats::stale_served`](crate::Stats)): a
//!   process started during a Polar outage serves what the fleet learnt before it. An entry
//!   that cannot be read is never taken as "unknown".
//!
//! # When Redis is away
//!
//! Redis never fails a question. When it cannot be reached, or answers slower than
//! [`command_timeout`](SharedCache::command_timeout) (250 ms by default), the process logs one
//! warning for the outage and goes on with its own memory: misses go to Polar, webhooks change
//! only its own entries, and the webhook updates it could not write are kept (up to
//! [`MAX_PENDING`] entries, each with its lifetime) to be written once Redis is back; what it
//! fetched is not kept (any process can fetch it again). Redis is tried again at most every
//! [`reconnect_interval`](SharedCache::reconnect_interval) (1 s by default). On its return
//! the process writes what it kept (the ordering rule decides, in Redis, against what others
//! wrote meanwhile) and broadcasts it, and logs that it rejoined; from then on a miss reads the
//! shared level again. When the subscription to the broadcast was lost, it subscribes again and
//! drops its own memory first (it may have missed broadcasts); when only commands timed out and
//! the subscription stayed up, the outage ends with the next answer and what was kept is
//! written within a second.
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

// This file is the Redis level alone: the ordering script, records, pending writes and the
// broadcast, over polar-transport's `RedisLink` (the connection and its outages, shared with
// the rate limiter's store). What a handle does with it (reading a miss, sharing an answer,
// applying a broadcast to memory) is in `sharing.rs`, so that this file knows nothing of the
// handle.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use polar_customers::CustomerId;
use polar_transport::redis_link::{RedisLink, millis};
use redis::aio::PubSubStream;
use serde_json::{Value, json};

use crate::stamp::Stamp;

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
    /// The connection and its outages (what an outage means for the cache is here and in
    /// `sharing.rs`: pending writes, the resubscription, dropping memory).
    link: RedisLink,
    prefix: String,
    /// Tells this process's broadcasts apart from the others'.
    nonce: u64,
    subscribed: AtomicBool,
    listening: AtomicBool,
    /// Webhook updates not written yet (Redis was away), each with its lifetime there.
    pending: Mutex<VecDeque<(Record, Duration)>>,
    offer: redis::Script,
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

/// One shared answer: a customer's entry, or an external ID's mapping.
#[derive(Clone, Debug)]
pub(crate) enum Record {
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

impl Record {
    /// When the answer was learnt (Unix ms), by whichever process learnt it.
    pub(crate) fn learnt_ms(&self) -> i64 {
        match self {
            Record::Entry { learnt_ms, .. } | Record::Alias { learnt_ms, .. } => *learnt_ms,
        }
    }
}

impl SharedCache {
    /// The shared level in the Redis at `url` (`redis://[user:password@]host:port[/db]`), its
    /// keys and channel under `prefix` (one prefix per organization). Nothing is connected
    /// here: a handle built with it inside a tokio runtime subscribes at once, else with its
    /// first question. An invalid URL is an error here.
    pub fn new(url: &str, prefix: impl Into<String>) -> Result<SharedCache, redis::RedisError> {
        let prefix = prefix.into();
        let link = RedisLink::new(
            redis::Client::open(url)?,
            Duration::from_millis(250),
            Duration::from_secs(1),
            prefix.clone(),
            |prefix, error| {
                tracing::warn!(
                    prefix = %prefix,
                    error,
                    "entitlements: Redis is unreachable; this process goes on with its own memory until it is back"
                )
            },
        );
        Ok(SharedCache {
            inner: Arc::new(Shared {
                link,
                prefix,
                nonce: fastrand::u64(..),
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
        self.inner_mut().link.set_command_timeout(timeout);
        self
    }

    /// How often Redis is tried again during an outage (1 s by default).
    pub fn reconnect_interval(mut self, interval: Duration) -> Self {
        self.inner_mut().link.set_reconnect_interval(interval);
        self
    }

    /// True while this process shares the cache: subscribed to the broadcast and its last
    /// command answered. False before the first connection and during an outage.
    pub fn is_shared(&self) -> bool {
        self.inner.subscribed.load(Ordering::Relaxed) && !self.inner.link.is_down()
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

    /// Reads one hash's order, learnt-at and value.
    async fn read(&self, key: String) -> Option<Option<(i64, i64, String)>> {
        let mut conn = self.link.connection().await?;
        let (o, k, v): (Option<i64>, Option<i64>, Option<String>) = self
            .link
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

    /// Redis answered a command: an outage, if any, is over. One that left the subscription up
    /// is logged here (a lost subscription's return is logged once subscribed again); what was
    /// kept meanwhile is written by the listener.
    fn answered(&self) {
        if self.link.answered().is_some() && self.subscribed.load(Ordering::Relaxed) {
            tracing::info!(prefix = %self.prefix, "entitlements: Redis answers again; the cache is shared again");
        }
    }

    /// Writes a record through the ordering script; when Redis is away, kept for later if
    /// `keep`, else dropped.
    async fn write(&self, record: Record, ttl: Duration, keep: bool) {
        if !self.try_write(&record, ttl).await && keep {
            let mut pending = lock(&self.pending);
            if pending.len() >= MAX_PENDING {
                pending.pop_front();
                tracing::warn!(prefix = %self.prefix, "entitlements: too many writes kept while Redis is away; the oldest is dropped");
            }
            pending.push_back((record, ttl));
        }
    }

    async fn try_write(&self, record: &Record, ttl: Duration) -> bool {
        let Some(mut conn) = self.link.connection().await else {
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
        let written: Option<i64> = self.link.bounded(invocation.invoke_async(&mut conn)).await;
        if written.is_some() {
            self.answered();
        }
        written.is_some()
    }

    /// Writes what was kept during an outage; false when Redis is (or went) away again.
    async fn flush_pending(&self) -> bool {
        loop {
            let Some((record, ttl)) = lock(&self.pending).pop_front() else {
                return true;
            };
            if !self.try_write(&record, ttl).await {
                lock(&self.pending).push_front((record, ttl));
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

/// What the handle's side (`sharing.rs`) asks of the shared level.
impl SharedCache {
    /// A customer's entry: its order, learnt-at (Unix ms) and value (the state's JSON, empty
    /// for "unknown"). `None` when Redis is away, `Some(None)` when it holds no entry.
    pub(crate) async fn read_entry(&self, id: &CustomerId) -> Option<Option<(i64, i64, String)>> {
        self.inner.read(self.inner.entry_key(id)).await
    }

    /// An external ID's mapping: its order, learnt-at (Unix ms) and target (empty for
    /// "unknown"); `None` and `Some(None)` as for [`read_entry`](Self::read_entry).
    pub(crate) async fn read_alias(&self, external_id: &str) -> Option<Option<(i64, i64, String)>> {
        self.inner.read(self.inner.alias_key(external_id)).await
    }

    /// Writes a record under the ordering rule and broadcasts it, with `ttl` in Redis; when
    /// Redis is away, keeps it for its return if `keep`.
    pub(crate) async fn write(&self, record: Record, ttl: Duration, keep: bool) {
        self.inner.write(record, ttl, keep).await;
    }

    /// True when writes kept during an outage wait for Redis.
    pub(crate) fn has_pending(&self) -> bool {
        !lock(&self.inner.pending).is_empty()
    }

    /// Writes what was kept during an outage (tried only when it is time to try Redis again);
    /// false when Redis is away.
    pub(crate) async fn flush_pending(&self) -> bool {
        self.inner.flush_pending().await
    }

    /// True once a listener was claimed.
    pub(crate) fn is_listening(&self) -> bool {
        self.inner.listening.load(Ordering::Relaxed)
    }

    /// True for the first caller only: one listener per shared cache.
    pub(crate) fn claim_listener(&self) -> bool {
        !self.inner.listening.swap(true, Ordering::AcqRel)
    }

    /// Subscribes to the broadcast, then writes what was kept during an outage; `None` when
    /// Redis is away for either.
    pub(crate) async fn subscribe(&self) -> Option<PubSubStream> {
        let shared = &self.inner;
        let subscribed = async {
            let mut pubsub = shared.link.client().get_async_pubsub().await?;
            pubsub.subscribe(shared.channel()).await?;
            Ok::<_, redis::RedisError>(pubsub)
        };
        let pubsub = shared.link.bounded(subscribed).await?;
        if !shared.flush_pending().await {
            return None;
        }
        Some(pubsub.into_on_message())
    }

    /// Marks the cache shared again once subscribed; logs the return after an outage.
    pub(crate) fn joined(&self, was_down: bool) {
        let shared = &self.inner;
        // The return is logged here, once subscribed, not when a command first answers.
        shared.link.answered();
        shared.subscribed.store(true, Ordering::Relaxed);
        if was_down {
            tracing::info!(prefix = %shared.prefix, "entitlements: Redis is back; the cache is shared again");
        }
    }

    /// Another process's record from a broadcast; `None` for this process's own broadcasts
    /// and for what cannot be read.
    pub(crate) fn decode(&self, message: &redis::Msg) -> Option<Record> {
        let payload = message.get_payload::<String>().ok()?;
        let (nonce, record) = decode_message(&payload)?;
        (nonce != self.inner.nonce.to_string()).then_some(record)
    }

    /// After the subscription ended: an outage, and a pause before subscribing again.
    pub(crate) async fn subscription_lost(&self) {
        let shared = &self.inner;
        shared.subscribed.store(false, Ordering::Relaxed);
        shared.link.went_down("the broadcast subscription ended");
        if shared.link.is_down() {
            tokio::time::sleep(shared.link.reconnect_interval()).await;
        }
    }

    /// The pause before Redis is tried again.
    pub(crate) async fn wait_to_reconnect(&self) {
        tokio::time::sleep(self.inner.link.reconnect_interval()).await;
    }
}
