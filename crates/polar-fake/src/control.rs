//! Optional behaviours: the rate limiter, injected faults, and the request counters.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use http::StatusCode;
use tokio::time::Instant;

use crate::Operation;
use crate::service::lock;

/// Per-token sliding-window limiter (a log of the accepted requests' times).
///
/// Uses tokio's clock, so tests with paused time drive it.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: usize,
    window: Duration,
    hits: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// Keys kept before stale ones are swept (bounds memory under many distinct tokens).
const MAX_KEYS: usize = 10_000;

impl RateLimiter {
    pub(crate) fn new(limit: u32, window: Duration) -> Self {
        RateLimiter {
            limit: limit.max(1) as usize,
            window: window.max(Duration::from_millis(1)),
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request; `Err(seconds)` when it must wait that long (at least 1).
    pub(crate) fn check(&self, key: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut hits = lock(&self.hits);
        if hits.len() >= MAX_KEYS && !hits.contains_key(key) {
            let window = self.window;
            hits.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        let q = hits.entry(key.to_owned()).or_default();
        while q
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            q.pop_front();
        }
        if q.len() < self.limit {
            q.push_back(now);
            return Ok(());
        }
        let oldest = q.front().copied().unwrap_or(now);
        let wait = oldest
            .checked_add(self.window)
            .map_or(self.window, |free| free.saturating_duration_since(now));
        let secs = wait
            .as_secs()
            .saturating_add(u64::from(wait.subsec_nanos() > 0));
        Err(secs.max(1))
    }
}

/// Faults to inject into the next requests.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    pub drop_next: u64,
    pub fail_next: u64,
    pub fail_status: Option<StatusCode>,
    pub latency: Option<Duration>,
}

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    None,
    Drop,
    Fail(StatusCode),
}

impl Faults {
    pub(crate) fn take(&mut self) -> (Option<Duration>, Fault) {
        let fault = if self.drop_next > 0 {
            self.drop_next -= 1;
            Fault::Drop
        } else if self.fail_next > 0 {
            self.fail_next -= 1;
            Fault::Fail(self.fail_status.unwrap_or(StatusCode::SERVICE_UNAVAILABLE))
        } else {
            Fault::None
        };
        (self.latency, fault)
    }
}

/// Counters of what the fake received and answered.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub requests: AtomicU64,
    pub rate_limited: AtomicU64,
    pub injected: AtomicU64,
    pub dropped: AtomicU64,
    pub operations: [AtomicU64; 11],
    pub statuses: Mutex<BTreeMap<u16, u64>>,
}

impl Counters {
    pub(crate) fn bump(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn status(&self, code: StatusCode) {
        *lock(&self.statuses).entry(code.as_u16()).or_default() += 1;
    }

    pub(crate) fn snapshot(&self) -> crate::Stats {
        let operations = Operation::ALL
            .iter()
            .map(|op| (*op, self.operations[op.index()].load(Ordering::Relaxed)))
            .filter(|(_, n)| *n > 0)
            .collect();
        crate::Stats {
            requests: self.requests.load(Ordering::Relaxed),
            rate_limited: self.rate_limited.load(Ordering::Relaxed),
            injected_failures: self.injected.load(Ordering::Relaxed),
            dropped_connections: self.dropped.load(Ordering::Relaxed),
            operations,
            statuses: lock(&self.statuses).clone(),
        }
    }

    pub(crate) fn reset(&self) {
        for c in [
            &self.requests,
            &self.rate_limited,
            &self.injected,
            &self.dropped,
        ] {
            c.store(0, Ordering::Relaxed);
        }
        for c in &self.operations {
            c.store(0, Ordering::Relaxed);
        }
        lock(&self.statuses).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn sliding_window_blocks_then_frees() {
        let rl = RateLimiter::new(2, Duration::from_secs(10));
        assert!(rl.check("a").is_ok());
        tokio::time::advance(Duration::from_secs(4)).await;
        assert!(rl.check("a").is_ok());
        assert_eq!(rl.check("a"), Err(6), "oldest leaves the window in 6 s");
        assert!(rl.check("b").is_ok(), "tokens are counted separately");
        tokio::time::advance(Duration::from_millis(5_500)).await;
        assert_eq!(rl.check("a"), Err(1), "a part of a second rounds up");
        tokio::time::advance(Duration::from_millis(500)).await;
        assert!(rl.check("a").is_ok());
        assert!(rl.check("a").is_err());
    }

    #[tokio::test]
    async fn a_huge_window_does_not_overflow() {
        let rl = RateLimiter::new(1, Duration::MAX);
        assert!(rl.check("a").is_ok());
        assert!(rl.check("a").unwrap_err() > 0);
    }

    #[test]
    fn faults_drop_before_fail_then_none() {
        let mut f = Faults {
            drop_next: 1,
            fail_next: 2,
            fail_status: Some(StatusCode::BAD_GATEWAY),
            latency: None,
        };
        assert_eq!(f.take().1, Fault::Drop);
        assert_eq!(f.take().1, Fault::Fail(StatusCode::BAD_GATEWAY));
        assert_eq!(f.take().1, Fault::Fail(StatusCode::BAD_GATEWAY));
        assert_eq!(f.take().1, Fault::None);
    }
}
