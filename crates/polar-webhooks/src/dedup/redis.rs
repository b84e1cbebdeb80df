//! [`RedisDedup`]: the state of each `webhook-id` in Redis, shared by a fleet of receivers
//! (feature `redis`).

use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use redis::aio::MultiplexedConnection;

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
/// nothing is processed without the store.
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
    client: redis::Client,
    conn: Mutex<Option<MultiplexedConnection>>,
    prefix: String,
    lease: Duration,
    remember: Duration,
    command_timeout: Duration,
    /// Tells this process's leases apart from other processes'.
    nonce: u64,
    claims: AtomicU64,
    release: redis::Script,
}

impl fmt::Debug for RedisDedup {
    // The URL may hold a password: it is not shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisDedup")
            .field("prefix", &self.prefix)
            .field("lease", &self.lease)
            .field("remember", &self.remember)
            .field("command_timeout", &self.command_timeout)
            .finish_non_exhaustive()
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
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
        Ok(RedisDedup {
            client,
            conn: Mutex::new(None),
            prefix: "polar:webhook:".to_owned(),
            lease: DEFAULT_LEASE,
            remember: DEFAULT_REMEMBER,
            command_timeout: Duration::from_secs(1),
            nonce,
            claims: AtomicU64::new(0),
            release: redis::Script::new(RELEASE),
        })
    }

    /// The prefix of every key (`polar:webhook:` by default); receivers that share state must
    /// share it too.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> RedisDedup {
        self.prefix = prefix.into();
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
        self.command_timeout = timeout;
        self
    }

    /// The key of `webhook_id`.
    pub fn key(&self, webhook_id: &str) -> String {
        format!("{}{webhook_id}", self.prefix)
    }

    fn cached(&self) -> Option<MultiplexedConnection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn cache(&self, conn: Option<MultiplexedConnection>) {
        *self.conn.lock().unwrap_or_else(|p| p.into_inner()) = conn;
    }

    /// Runs one Redis exchange on the shared connection (made on first use), within the
    /// command timeout; a failure drops the connection so the next call makes a new one.
    async fn run<T, F, Fut>(&self, op: F) -> Result<T, DedupError>
    where
        F: FnOnce(MultiplexedConnection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let attempt = async {
            let conn = match self.cached() {
                Some(conn) => conn,
                None => {
                    let conn = self
                        .client
                        .get_multiplexed_async_connection()
                        .await
                        .map_err(DedupError::new)?;
                    self.cache(Some(conn.clone()));
                    conn
                }
            };
            op(conn).await.map_err(DedupError::new)
        };
        let outcome = match tokio::time::timeout(self.command_timeout, attempt).await {
            Ok(outcome) => outcome,
            Err(_) => Err(DedupError::new(format!(
                "Redis did not answer within {:?}",
                self.command_timeout
            ))),
        };
        if outcome.is_err() {
            self.cache(None);
        }
        outcome
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
