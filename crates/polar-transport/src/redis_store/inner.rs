//! What a store keeps (its settings, its connection, its abandoned entries) and its round
//! trips to Redis. The connection and its outages are a [`RedisLink`]'s; what an outage means
//! for the budget (the fallback, the rejoin) is here and in the parent module.

use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use tokio::time::Instant;

use super::builder::RedisStoreBuilder;
use super::scripts::{ACQUIRE, COOL_DOWN, FINISH};
use crate::ratelimit::{LocalStore, RateLimitConfig};
use crate::redis_link::{RedisLink, millis};

/// A store's state, shared with the background tasks that stamp slots, share cooldowns and
/// remove abandoned entries.
pub(super) struct Inner {
    /// The connection, and the outage bookkeeping around it.
    link: RedisLink,
    pub(super) config: RateLimitConfig,
    pub(super) slots_key: String,
    cooldown_key: String,
    pub(super) margin: Duration,
    lease: Duration,
    pub(super) poll_interval: Duration,
    pub(super) fallback: LocalStore,
    /// One caller of this process at a time asks Redis; the others queue here in order.
    pub(super) line: tokio::sync::Mutex<()>,
    /// Tells this process's entries apart from other processes'.
    nonce: u64,
    pub(super) next_id: AtomicU64,
    /// Entries Redis may hold for callers who gave up during their round trip: removed by the
    /// next acquire (in its script) or in the background, whichever comes first.
    abandoned: Mutex<Vec<String>>,
    /// This process's view of the shared cooldown (Redis's copy is written in the background).
    pub(super) cooldown_until: Mutex<Option<Instant>>,
    scripts: Scripts,
}

struct Scripts {
    acquire: redis::Script,
    finish: redis::Script,
    cool_down: redis::Script,
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Every update under these locks is a single step: a panic cannot leave them half done.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What the acquire script said.
pub(super) enum Answer {
    Granted,
    Wait(Duration),
    /// Every slot is in flight.
    WaitForAnEnd,
}

impl Inner {
    /// The state of a store with the builder's settings (an invalid URL is an error).
    pub(super) fn new(settings: RedisStoreBuilder) -> Result<Inner, redis::RedisError> {
        let config = settings.config;
        let link = RedisLink::new(
            redis::Client::open(settings.url.as_str())?,
            settings.command_timeout,
            settings.reconnect_interval,
            settings.key.clone(),
            |key, error| {
                tracing::warn!(
                    key = %key,
                    error,
                    "rate limiter: Redis is unreachable; this process paces itself alone until it is back"
                )
            },
        );
        Ok(Inner {
            link,
            config,
            cooldown_key: format!("{}:cooldown", settings.key),
            slots_key: settings.key,
            margin: settings.margin,
            lease: settings.lease,
            poll_interval: Duration::from_millis(10),
            fallback: LocalStore::new(config),
            line: tokio::sync::Mutex::new(()),
            nonce: fastrand::u64(..),
            next_id: AtomicU64::new(0),
            abandoned: Mutex::new(Vec::new()),
            cooldown_until: Mutex::new(None),
            scripts: Scripts {
                acquire: redis::Script::new(ACQUIRE),
                finish: redis::Script::new(FINISH),
                cool_down: redis::Script::new(COOL_DOWN),
            },
        })
    }

    /// False during an outage.
    pub(super) fn is_shared(&self) -> bool {
        !self.link.is_down()
    }

    /// A connection, or `None` during an outage (until it is time to try again).
    pub(super) async fn connection(&self) -> Option<MultiplexedConnection> {
        self.link.connection().await
    }

    /// A command answered: an outage, if any, is over.
    fn came_back(&self) {
        if let Some(outage) = self.link.answered() {
            tracing::info!(
                key = %self.slots_key,
                outage_ms = outage.as_millis() as u64,
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
        let value = self
            .link
            .bounded(invocation.invoke_async(&mut conn))
            .await?;
        self.came_back();
        Some(value)
    }

    /// Asks Redis for a slot for entry `member`, removing the `abandoned` entries first; `None`
    /// when Redis did not answer in time (the script may still run). The caller keeps both
    /// lists until Redis answers (see `Pending`).
    pub(super) async fn try_take(
        &self,
        mut conn: MultiplexedConnection,
        member: &str,
        abandoned: &[String],
    ) -> Option<Answer> {
        let window = self.config.period().saturating_add(self.margin);
        let mut invocation = self.scripts.acquire.key(&self.slots_key);
        invocation
            .key(&self.cooldown_key)
            .arg(self.config.rate())
            .arg(millis(window))
            .arg(millis(self.lease))
            .arg(member)
            .arg(abandoned);
        let (granted, wait): (i64, i64) = self
            .link
            .bounded(invocation.invoke_async(&mut conn))
            .await?;
        self.came_back();
        Some(match (granted, wait) {
            (1, _) => Answer::Granted,
            (_, w) if w < 0 => Answer::WaitForAnEnd,
            (_, w) => Answer::Wait(Duration::from_millis(w as u64)),
        })
    }

    /// The abandoned entries, for the caller who removes them (and gives them back with
    /// [`abandon`](Self::abandon) unless Redis confirms).
    pub(super) fn take_abandoned(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.abandoned))
    }

    /// The name of entry number `n` of this process.
    pub(super) fn member(&self, n: u64) -> String {
        format!("{:016x}:{n}", self.nonce)
    }

    /// Keeps entries to remove (at most a few thousand: should Redis stay away, the oldest are
    /// left to their lease, which ends them too).
    pub(super) fn abandon(&self, members: impl IntoIterator<Item = String>) {
        let mut abandoned = lock(&self.abandoned);
        abandoned.extend(members);
        let excess = abandoned.len().saturating_sub(4096);
        abandoned.drain(..excess);
    }

    /// Removes the abandoned entries, in line with this process's acquires (so none of them
    /// is asked for a slot while an entry it could have had is still there).
    pub(super) async fn forget_abandoned(&self) {
        let _first = self.line.lock().await;
        let members = self.take_abandoned();
        if members.is_empty() {
            return;
        }
        let Some(mut conn) = self.connection().await else {
            self.abandon(members);
            return;
        };
        let mut zrem = redis::cmd("ZREM");
        zrem.arg(&self.slots_key).arg(&members);
        let removed: Option<i64> = self.link.bounded(zrem.query_async(&mut conn)).await;
        match removed {
            Some(_) => self.came_back(),
            None => self.abandon(members),
        }
    }

    pub(super) async fn finish(&self, id: String, ended: Instant) {
        let mut invocation = self.scripts.finish.key(&self.slots_key);
        // Whole milliseconds, rounded down: the stamp is never earlier than the end.
        let ago = u64::try_from(ended.elapsed().as_millis()).unwrap_or(u64::MAX);
        invocation.arg(id).arg(ago);
        // A failure leaves the entry in flight until its lease ends: safe, only slower.
        let _: Option<i64> = self.run(&invocation).await;
    }

    pub(super) async fn share_cooldown(&self, wait: Duration) {
        let mut invocation = self.scripts.cool_down.key(&self.cooldown_key);
        invocation.arg(millis(wait));
        let _: Option<i64> = self.run(&invocation).await;
    }
}

/// Runs `fut` on the current tokio runtime, if there is one (else it is dropped: the entry's
/// lease, or the cooldown kept in this process, covers it).
pub(super) fn spawn(fut: impl Future<Output = ()> + Send + 'static) {
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        handle.spawn(fut);
    }
}
