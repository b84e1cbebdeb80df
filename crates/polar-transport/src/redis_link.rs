//! [`RedisLink`]: one connection to Redis that lives through outages (feature `redis`).
//!
//! The SDK's Redis-backed parts (this crate's [`RedisStore`](crate::redis_store::RedisStore)
//! and the entitlements cache's shared level) treat Redis the same way: Redis never fails
//! the caller. Each command is bounded by a timeout; a failure or a timeout starts an outage,
//! during which the part works alone and Redis is tried again at most every reconnect
//! interval; the first command to answer afterwards ends it. This type keeps that
//! bookkeeping; what each part does alone and on its return stays with the part.
//!
//! ```
//! use std::time::Duration;
//! use polar_transport::redis_link::RedisLink;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), redis::RedisError> {
//! // Nothing listens on port 1: the first try starts an outage (and logs it once).
//! let client = redis::Client::open("redis://127.0.0.1:1")?;
//! let link = RedisLink::new(
//!     client,
//!     Duration::from_millis(250),
//!     Duration::from_secs(60),
//!     "my-key",
//!     |key, error| eprintln!("{key}: Redis is unreachable ({error})"),
//! );
//! assert!(link.connection().await.is_none());
//! assert!(link.is_down());
//! // Within the reconnect interval Redis is not tried again.
//! assert!(link.connection().await.is_none());
//! # Ok(())
//! # }
//! ```

// Hidden (`#[doc(hidden)]` where the crate declares it): the SDK's own crates share it, users
// never need it, so it is not part of this crate's stable API.

use std::fmt;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use tokio::time::Instant;

use crate::ratelimit::later;

/// Whole milliseconds for a Redis expiry, at least 1 and at most 2^42 (139 years): scripts add
/// such values and hand them to `PEXPIRE`, which refuses what does not fit, so a setting of
/// `Duration::MAX` ("keep it forever") must not reach Redis as is.
pub fn millis(d: Duration) -> u64 {
    const MAX: u64 = 1 << 42;
    u64::try_from(d.as_millis()).unwrap_or(MAX).clamp(1, MAX)
}

/// A Redis client, its multiplexed connection (made on first use, shared by every caller) and
/// the state of the current outage, if any; see the [module docs](self).
pub struct RedisLink {
    client: redis::Client,
    command_timeout: Duration,
    reconnect_interval: Duration,
    /// Handed to `on_outage`: what the user of the link logs itself by (a key, a prefix).
    label: String,
    /// Logs the start of an outage: called with the label and the error, once per outage.
    /// A plain function, so the link stays `RefUnwindSafe` like the stores that hold it.
    on_outage: fn(&str, &str),
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    conn: Option<MultiplexedConnection>,
    /// Set during an outage: when it began and when to try again.
    down: Option<(Instant, Instant)>,
}

fn lock(m: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    // Every update under this lock is a single step: a panic cannot leave it half done.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl fmt::Debug for RedisLink {
    // The client is not shown: its URL may hold a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisLink")
            .field("label", &self.label)
            .field("command_timeout", &self.command_timeout)
            .field("reconnect_interval", &self.reconnect_interval)
            .field("down", &self.is_down())
            .finish_non_exhaustive()
    }
}

impl RedisLink {
    /// A link through `client`, not connected yet. Each command waits at most
    /// `command_timeout`; during an outage Redis is tried again at most every
    /// `reconnect_interval`. `on_outage(label, error)` is called when an outage starts.
    pub fn new(
        client: redis::Client,
        command_timeout: Duration,
        reconnect_interval: Duration,
        label: impl Into<String>,
        on_outage: fn(&str, &str),
    ) -> RedisLink {
        RedisLink {
            client,
            command_timeout,
            reconnect_interval,
            label: label.into(),
            on_outage,
            state: Mutex::new(State::default()),
        }
    }

    /// The client, for what needs a connection of its own (a subscription).
    pub fn client(&self) -> &redis::Client {
        &self.client
    }

    /// The longest wait for one command (or for connecting).
    pub fn command_timeout(&self) -> Duration {
        self.command_timeout
    }

    /// Changes the longest wait for one command.
    pub fn set_command_timeout(&mut self, timeout: Duration) {
        self.command_timeout = timeout;
    }

    /// The pause between tries during an outage.
    pub fn reconnect_interval(&self) -> Duration {
        self.reconnect_interval
    }

    /// Changes the pause between tries during an outage.
    pub fn set_reconnect_interval(&mut self, interval: Duration) {
        self.reconnect_interval = interval;
    }

    /// True during an outage.
    pub fn is_down(&self) -> bool {
        lock(&self.state).down.is_some()
    }

    /// The connection, made if there is none; `None` during an outage until it is time to try
    /// again, or when connecting fails (which starts or continues the outage).
    pub async fn connection(&self) -> Option<MultiplexedConnection> {
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
        // The redis crate bounds each connection's answers (500 ms) and connecting (1 s) by
        // default; `bounded` already applies the link's own timeout, which must be the only one.
        let unbounded = redis::AsyncConnectionConfig::new()
            .set_response_timeout(None)
            .set_connection_timeout(None);
        let conn = self
            .bounded(
                self.client
                    .get_multiplexed_async_connection_with_config(&unbounded),
            )
            .await?;
        lock(&self.state).conn = Some(conn.clone());
        Some(conn)
    }

    /// Awaits a Redis operation for at most the command timeout; a failure or a timeout starts
    /// (or continues) an outage and gives `None`. An answer does not end an outage: the caller
    /// says so with [`answered`](Self::answered) once the answer is what it waited for.
    pub async fn bounded<T>(&self, op: impl Future<Output = redis::RedisResult<T>>) -> Option<T> {
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

    /// Drops the connection and starts (or continues) an outage: Redis is tried again after
    /// the reconnect interval. The first failure of an outage goes to `on_outage`.
    pub fn went_down(&self, why: &str) {
        let now = Instant::now();
        let started = {
            let mut state = lock(&self.state);
            state.conn = None;
            let (since, started) = match state.down {
                Some((since, _)) => (since, false),
                None => (now, true),
            };
            state.down = Some((since, later(now, self.reconnect_interval)));
            started
        };
        if started {
            (self.on_outage)(&self.label, why);
        }
    }

    /// Redis answered: the outage, if any, is over. Gives how long it lasted (`None` when
    /// there was none), for the caller to log its return.
    pub fn answered(&self) -> Option<Duration> {
        let (since, _) = lock(&self.state).down.take()?;
        Some(since.elapsed())
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    thread_local! {
        /// Outages reported on this test's thread (the tests run on one thread each).
        static OUTAGES: Cell<usize> = const { Cell::new(0) };
    }

    /// Shorter than the redis crate's own connection timeout (1 s), so that this one ends a try.
    const TIMEOUT: Duration = Duration::from_millis(250);

    fn outages() -> usize {
        OUTAGES.with(Cell::get)
    }

    /// A link to `url` that counts the outages it reports.
    fn link(url: &str, reconnect_interval: Duration) -> RedisLink {
        RedisLink::new(
            redis::Client::open(url).unwrap(),
            TIMEOUT,
            reconnect_interval,
            "test",
            |label, _| {
                assert_eq!(label, "test");
                OUTAGES.with(|n| n.set(n.get() + 1));
            },
        )
    }

    /// Against a server that never answers, only the command timeout ends a try: the (paused)
    /// clock moving by it shows that Redis was tried, standing still that it was not.
    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn an_outage_is_reported_once_tried_again_after_the_interval_and_ended_by_an_answer() {
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("redis://{}", silent.local_addr().unwrap());
        let link = link(&url, Duration::from_secs(60));

        let start = Instant::now();
        assert!(link.connection().await.is_none());
        assert_eq!(start.elapsed(), TIMEOUT, "tried, until the timeout");
        assert!(link.is_down());
        assert_eq!(outages(), 1);

        // Within the interval Redis is not tried.
        let now = Instant::now();
        assert!(link.connection().await.is_none());
        assert_eq!(now.elapsed(), Duration::ZERO, "not tried");

        // After it, Redis is tried again; failing again continues the outage, unreported.
        tokio::time::advance(Duration::from_secs(60)).await;
        let now = Instant::now();
        assert!(link.connection().await.is_none());
        assert_eq!(now.elapsed(), TIMEOUT, "tried again");
        assert_eq!(outages(), 1, "one report per outage");

        // An answer ends the outage and says how long it lasted (since the first timeout).
        assert_eq!(link.answered(), Some(start.elapsed() - TIMEOUT));
        assert!(!link.is_down());
        assert_eq!(link.answered(), None, "no outage left to end");

        // The next failure starts a new outage, reported again.
        link.went_down("gone");
        assert_eq!(outages(), 2);
    }

    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn a_command_slower_than_the_timeout_starts_an_outage_even_with_no_next_try() {
        // Nothing listens on port 1; nothing connects to it here either.
        let link = link("redis://127.0.0.1:1", Duration::MAX);
        let slow = async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok::<_, redis::RedisError>(())
        };
        assert_eq!(link.bounded(slow).await, None);
        assert!(link.is_down());
        assert_eq!(outages(), 1);
        // An interval as long as a `Duration` gets: the next try is "never", without overflow.
        let now = Instant::now();
        assert!(link.connection().await.is_none());
        assert_eq!(now.elapsed(), Duration::ZERO, "not tried");
    }
}
