//! [`RedisDedup`]: the state of each `webhook-id` in Redis, shared by a fleet of receivers
//! (feature `redis`).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use polar_transport::redis_link::{RedisLink, millis};

use super::{Claim, DEFAULT_LEASE, DEFAULT_REMEMBER, Dedup, DedupError, DedupFuture, Lease};

/// What a processed id's key holds (a lease holds `lease:<token>`).
const DONE: &str = "done";

/// Deletes the key only while it still holds this lease: a lease that expired and was taken by
/// another process, or an id already done, is left alone.
const RELEASE: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"#;

/// A [`Dedup`] store in Redis: every receiver given the same Redis (and key prefix) shares it, so
/// a fleet behind one endpoint processes each delivery once.
///
/// One key per `webhook-id`, `<prefix><webhook-id>`, expiring on its own:
/// - a claim is one atomic `SET <key> lease:<token> NX PX <lease>`: of two receivers claiming
///   one id at once, exactly one succeeds; the other reads the key (`GET`) and answers
///   [`Claim::InProgress`] or [`Claim::Done`];
/// - completing sets the key to `done` for [`remember`](Self::remember) (24 hours by default);
/// - releasing deletes the key only while it still holds this claim's lease (a small Lua script,
///   so a late release never drops another receiver's lease).
///
/// A process that dies midway leaves its lease to expire (60 s by default), after which Polar's
/// next retry is processed again. When Redis cannot be reached (or does not answer within
/// [`command_timeout`](Self::command_timeout), 1 s by default), the calls fail with a
/// [`DedupError`]: a `Receiver` then answers 503 and Polar retries later;
/// nothing is processed without the store. The start of such an outage is logged (`warn`, once)
/// and its end (`info`); during it Redis is tried again at most every
/// [`reconnect_interval`](Self::reconnect_interval) (1 s by default), the calls in between
/// failing at once rather than each waiting for the timeout.
///
/// ```no_run
/// use polar_webhooks::dedup::RedisDedup;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // The same URL in every receiver of the endpoint.
/// let store = RedisDedup::new("redis://127.0.0.1:6379")?;
/// # drop(store);
/// # Ok(())
/// # }
/// ```
pub struct RedisDedup {
    /// The connection and its outages, shared with the SDK's other Redis-backed parts' way of
    /// keeping one; it shows no URL (which may hold a password) in `Debug`.
    link: RedisLink,
    prefix: String,
    lease: Duration,
    remember: Duration,
    /// Tells this process's leases apart from other processes'.
    nonce: u64,
    claims: AtomicU64,
    release: redis::Script,
}

impl fmt::Debug for RedisDedup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisDedup")
            .field("prefix", &self.prefix)
            .field("lease", &self.lease)
            .field("remember", &self.remember)
            .field("link", &self.link)
            .finish_non_exhaustive()
    }
}

/// The start of an outage, once per outage (the link's label is the key prefix).
fn log_outage(prefix: &str, error: &str) {
    tracing::warn!(
        prefix,
        error,
        "polar webhook dedup: Redis is unreachable; deliveries are answered 503 until it is back"
    );
}

fn link(
    client: redis::Client,
    command_timeout: Duration,
    reconnect: Duration,
    prefix: &str,
) -> RedisLink {
    RedisLink::new(client, command_timeout, reconnect, prefix, log_outage)
}

impl RedisDedup {
    /// A store in the Redis at `url` (`redis://[user:password@]host:port[/db]`), with keys
    /// `polar:webhook:<webhook-id>`. Nothing is connected until the first claim.
    ///
    /// # Errors
    /// When `url` is not a Redis URL, or no random number can be drawn for this process's
    /// leases.
    pub fn new(url: &str) -> Result<RedisDedup, DedupError> {
        let client = redis::Client::open(url).map_err(DedupError::new)?;
        let nonce = getrandom::u64().map_err(|e| DedupError::new(e.to_string()))?;
        let prefix = "polar:webhook:".to_owned();
        Ok(RedisDedup {
            link: link(
                client,
                Duration::from_secs(1),
                Duration::from_secs(1),
                &prefix,
            ),
            prefix,
            lease: DEFAULT_LEASE,
            remember: DEFAULT_REMEMBER,
            nonce,
            claims: AtomicU64::new(0),
            release: redis::Script::new(RELEASE),
        })
    }

    /// The prefix of every key (`polar:webhook:` by default); receivers that share state must
    /// share it too.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> RedisDedup {
        self.prefix = prefix.into();
        // The link logs its outages by the prefix: a new link (nothing is connected yet).
        self.link = link(
            self.link.client().clone(),
            self.link.command_timeout(),
            self.link.reconnect_interval(),
            &self.prefix,
        );
        self
    }

    /// How long a claim holds an id that is neither completed nor released (60 s by default).
    pub fn lease(mut self, lease: Duration) -> RedisDedup {
        self.lease = lease;
        self
    }

    /// How long a processed id is remembered (24 hours by default).
    pub fn remember(mut self, remember: Duration) -> RedisDedup {
        self.remember = remember;
        self
    }

    /// The longest wait for connecting or for one command (1 s by default).
    pub fn command_timeout(mut self, timeout: Duration) -> RedisDedup {
        self.link.set_command_timeout(timeout);
        self
    }

    /// How often Redis is tried again once it failed to answer (1 s by default); until then
    /// every call fails at once.
    pub fn reconnect_interval(mut self, interval: Duration) -> RedisDedup {
        self.link.set_reconnect_interval(interval);
        self
    }

    /// The key of `webhook_id`.
    fn key(&self, webhook_id: &str) -> String {
        format!("{}{webhook_id}", self.prefix)
    }

    /// Runs one Redis exchange on the shared connection (made on first use), within the
    /// command timeout. A failure or a timeout starts an outage (the link drops the connection
    /// and waits the reconnect interval before trying again); an answer ends it.
    async fn run<T, F, Fut>(&self, op: F) -> Result<T, DedupError>
    where
        F: FnOnce(redis::aio::MultiplexedConnection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let unreachable = || {
            DedupError::new(format!(
                "Redis is unreachable or did not answer within {:?} (the error is logged when an outage starts)",
                self.link.command_timeout()
            ))
        };
        let conn = self.link.connection().await.ok_or_else(unreachable)?;
        let value = self.link.bounded(op(conn)).await.ok_or_else(unreachable)?;
        if let Some(outage) = self.link.answered() {
            tracing::info!(
                prefix = %self.prefix,
                outage_ms = u64::try_from(outage.as_millis()).unwrap_or(u64::MAX),
                "polar webhook dedup: Redis is back"
            );
        }
        Ok(value)
    }

    async fn claim_in_redis(&self, webhook_id: &str) -> Result<Claim, DedupError> {
        let key = self.key(webhook_id);
        let n = self.claims.fetch_add(1, Ordering::Relaxed);
        let token = format!("lease:{:016x}:{n}", self.nonce);
        let lease_ms = millis(self.lease);
        let set: Option<String> = self
            .run(|mut conn| {
                let (key, token) = (key.clone(), token.clone());
                async move {
                    redis::cmd("SET")
                        .arg(&key)
                        .arg(&token)
                        .arg("NX")
                        .arg("PX")
                        .arg(lease_ms)
                        .query_async(&mut conn)
                        .await
                }
            })
            .await?;
        if set.is_some() {
            return Ok(Claim::New(Lease::new(token)));
        }
        let held: Option<String> = self
            .run(|mut conn| {
                let key = key.clone();
                async move { redis::cmd("GET").arg(&key).query_async(&mut conn).await }
            })
            .await?;
        // Expired between the two commands: another copy may be about to claim it, so this one
        // waits for Polar's next retry rather than racing.
        Ok(match held.as_deref() {
            Some(DONE) => Claim::Done,
            _ => Claim::InProgress,
        })
    }
}

impl Dedup for RedisDedup {
    fn claim<'a>(&'a self, webhook_id: &'a str) -> DedupFuture<'a, Claim> {
        Box::pin(self.claim_in_redis(webhook_id))
    }

    fn complete<'a>(&'a self, webhook_id: &'a str, _lease: &'a Lease) -> DedupFuture<'a, ()> {
        let key = self.key(webhook_id);
        let remember_ms = millis(self.remember);
        Box::pin(self.run(move |mut conn| async move {
            // Processing succeeded: the id is done whoever holds it now.
            redis::cmd("SET")
                .arg(&key)
                .arg(DONE)
                .arg("PX")
                .arg(remember_ms)
                .query_async::<()>(&mut conn)
                .await
        }))
    }

    fn release<'a>(&'a self, webhook_id: &'a str, lease: &'a Lease) -> DedupFuture<'a, ()> {
        let key = self.key(webhook_id);
        Box::pin(self.run(move |mut conn| async move {
            self.release
                .key(&key)
                .arg(lease.token())
                .invoke_async::<i64>(&mut conn)
                .await
                .map(|_| ())
        }))
    }
}
