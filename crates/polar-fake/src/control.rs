//! Optional behaviours: the rate limiter, injected faults, and the request counters.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use http::StatusCode;
use tokio::time::Instant;

use crate::Route;
use crate::sync::lock;

/// Polar's limiter: per key, a counter that starts with the first request and expires one
/// window later (a fixed window, not a sliding one). Refused requests are not counted.
///
/// Uses tokio's clock, so tests with paused time drive it.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: u32,
    window: Duration,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

/// Keys kept before expired ones are swept (bounds memory under many distinct tokens).
const MAX_KEYS: usize = 10_000;

impl RateLimiter {
    pub(crate) fn new(limit: u32, window: Duration) -> Self {
        RateLimiter {
            limit: limit.max(1),
            window: window.max(Duration::from_millis(1)),
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// `Retry-After`: the window's length in whole seconds (at least 1), as Polar sends it.
    fn retry_after(&self) -> u64 {
        let w = self.window;
        w.as_secs()
            .saturating_add(u64::from(w.subsec_nanos() > 0))
            .max(1)
    }

    /// Counts a request; `Err(retry_after_seconds)` when the key's window is used up.
    pub(crate) fn check(&self, key: &str) -> Result<(), u64> {
        let now = Instant::now();
        let window = self.window;
        let expired = |start: &Instant| now.duration_since(*start) >= window;
        let mut windows = lock(&self.windows);
        if windows.len() >= MAX_KEYS && !windows.contains_key(key) {
            windows.retain(|_, (start, _)| !expired(start));
        }
        let entry = windows.entry(key.to_owned()).or_insert((now, 0));
        if expired(&entry.0) {
            *entry = (now, 0);
        }
        if entry.1 < self.limit {
            entry.1 += 1;
            Ok(())
        } else {
            Err(self.retry_after())
        }
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
    pub operations: [AtomicU64; Route::ALL.len()],
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
        let operations = Route::ALL
            .iter()
            .map(|r| (*r, self.operations[*r as usize].load(Ordering::Relaxed)))
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
    async fn fixed_window_per_key() {
        let rl = RateLimiter::new(2, Duration::from_secs(60));
        assert!(rl.check("a").is_ok());
        tokio::time::advance(Duration::from_secs(50)).await;
        assert!(rl.check("a").is_ok());
        assert_eq!(
            rl.check("a"),
            Err(60),
            "Retry-After is the window, not the time left"
        );
        assert!(rl.check("b").is_ok(), "keys are counted separately");
        tokio::time::advance(Duration::from_secs(10)).await;
        assert!(
            rl.check("a").is_ok(),
            "the window began with the first request"
        );
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
