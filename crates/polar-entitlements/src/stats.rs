//! The counters of a handle.

use std::sync::atomic::{AtomicU64, Ordering};

/// What a handle (and its clones) did so far; read with
/// [`Entitlements::stats`](crate::Entitlements::stats).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Answers served from memory within their lifetime (including states served while a
    /// background refresh runs).
    pub hits: u64,
    /// Questions that found no entry, or one past its lifetime.
    pub misses: u64,
    /// Misses that joined a fetch already in flight for the same key instead of sending one.
    pub coalesced: u64,
    /// Requests sent to Polar for a customer state.
    pub api_fetches: u64,
    /// Of those, the ones that failed (the last known state may still have been served).
    pub fetch_errors: u64,
    /// States read from the shared Redis level instead of Polar (feature `redis`).
    pub shared_hits: u64,
    /// Webhook events that changed an entry.
    pub webhook_updates: u64,
    /// Answers refused because the entry already held a newer one (an old or duplicate event,
    /// a fetch overtaken by a webhook).
    pub stale_refused: u64,
    /// Events ignored: another organization's, or of a type that carries no customer state.
    pub events_ignored: u64,
    /// Last known states served because Polar could not be asked (younger than the maximum
    /// staleness), from memory or (feature `redis`) from the shared level.
    pub stale_served: u64,
    /// Entries (states, or external-ID mappings) evicted to keep within the maximum number of
    /// customers.
    pub evictions: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub coalesced: AtomicU64,
    pub api_fetches: AtomicU64,
    pub fetch_errors: AtomicU64,
    pub shared_hits: AtomicU64,
    pub webhook_updates: AtomicU64,
    pub stale_refused: AtomicU64,
    pub events_ignored: AtomicU64,
    pub stale_served: AtomicU64,
    pub evictions: AtomicU64,
}

pub(crate) fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Counters {
    pub(crate) fn snapshot(&self) -> Stats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Stats {
            hits: get(&self.hits),
            misses: get(&self.misses),
            coalesced: get(&self.coalesced),
            api_fetches: get(&self.api_fetches),
            fetch_errors: get(&self.fetch_errors),
            shared_hits: get(&self.shared_hits),
            webhook_updates: get(&self.webhook_updates),
            stale_refused: get(&self.stale_refused),
            events_ignored: get(&self.events_ignored),
            stale_served: get(&self.stale_served),
            evictions: get(&self.evictions),
        }
    }
}
