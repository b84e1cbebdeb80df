//! [`MemoryDedup`]: the state of recent `webhook-id`s in this process, bounded in count and time.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{Claim, DEFAULT_LEASE, DEFAULT_REMEMBER, Dedup, DedupFuture, Lease};

type Clock = Arc<dyn Fn() -> Instant + Send + Sync>;

/// A [`Dedup`] store in this process's memory: for a receiver that runs as one process.
///
/// It holds at most `capacity` ids; when full, the oldest entry is forgotten first (a copy of a
/// forgotten delivery would be processed again). Entries expire on their own: a lease after
/// [`lease`](Self::lease) (60 s by default), a processed id after [`remember`](Self::remember)
/// (24 hours by default). It never fails.
///
/// Several processes behind one endpoint each have their own memory, so a copy reaching another
/// process is processed again there: use `RedisDedup` (feature `redis`) for them.
pub struct MemoryDedup {
    state: Mutex<State>,
    capacity: usize,
    lease: Duration,
    remember: Duration,
    clock: Clock,
}

impl fmt::Debug for MemoryDedup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryDedup")
            .field("entries", &self.lock().entries.len())
            .field("capacity", &self.capacity)
            .field("lease", &self.lease)
            .field("remember", &self.remember)
            .finish_non_exhaustive()
    }
}

impl Default for MemoryDedup {
    /// Room for 100 000 ids.
    fn default() -> Self {
        MemoryDedup::new(100_000)
    }
}

#[derive(Default)]
struct State {
    entries: HashMap<String, Entry>,
    /// Ids by last change, oldest first, with the change's number: a record whose number no
    /// longer matches its entry is stale and skipped.
    order: VecDeque<(String, u64)>,
    changes: u64,
}

struct Entry {
    /// The number of the change that set the entry; a lease's token is this number.
    change: u64,
    held: Held,
    /// `None`: never (a lease or memory too long for an `Instant`, e.g. `Duration::MAX`).
    expires: Option<Instant>,
}

impl Entry {
    fn live(&self, now: Instant) -> bool {
        self.expires.is_none_or(|t| t > now)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Held {
    Lease,
    Done,
}

/// When something set at `now` for `d` expires: `None` (never) when that is past what an
/// `Instant` holds, rather than a panic in the request path.
fn expiry(now: Instant, d: Duration) -> Option<Instant> {
    now.checked_add(d)
}

impl State {
    fn live(&self, id: &str, now: Instant) -> Option<Held> {
        self.entries.get(id).filter(|e| e.live(now)).map(|e| e.held)
    }

    /// Sets `id`'s entry and returns the change's number.
    fn set(&mut self, id: &str, held: Held, expires: Option<Instant>, capacity: usize) -> u64 {
        self.changes += 1;
        let change = self.changes;
        self.entries.insert(
            id.to_owned(),
            Entry {
                change,
                held,
                expires,
            },
        );
        self.order.push_back((id.to_owned(), change));
        while self.entries.len() > capacity {
            self.drop_oldest();
        }
        // Stale records pile up when ids change often; rebuild the order from the entries
        // once they outnumber them well.
        if self.order.len() > 2 * self.entries.len() + 64 {
            let mut live: Vec<(String, u64)> = self
                .entries
                .iter()
                .map(|(id, e)| (id.clone(), e.change))
                .collect();
            live.sort_unstable_by_key(|(_, change)| *change);
            self.order = live.into();
        }
        change
    }

    fn drop_oldest(&mut self) {
        while let Some((id, change)) = self.order.pop_front() {
            if self.entries.get(&id).is_some_and(|e| e.change == change) {
                self.entries.remove(&id);
                return;
            }
        }
    }

    /// Forgets the expired entries at the front of the order (the oldest changes).
    fn prune(&mut self, now: Instant) {
        while let Some((id, change)) = self.order.front() {
            match self.entries.get(id) {
                Some(e) if e.change == *change && e.live(now) => return,
                Some(e) if e.change == *change => {
                    let id = id.clone();
                    self.entries.remove(&id);
                }
                _ => {}
            }
            self.order.pop_front();
        }
    }
}

impl MemoryDedup {
    /// A store for at most `capacity` ids (at least one).
    pub fn new(capacity: usize) -> MemoryDedup {
        MemoryDedup {
            state: Mutex::default(),
            capacity: capacity.max(1),
            lease: DEFAULT_LEASE,
            remember: DEFAULT_REMEMBER,
            clock: Arc::new(Instant::now),
        }
    }

    /// How long a claim holds an id that is neither completed nor released (60 s by default):
    /// longer than your slowest processing, since a copy arriving after it is processed again.
    pub fn lease(mut self, lease: Duration) -> MemoryDedup {
        self.lease = lease;
        self
    }

    /// How long a processed id is remembered (24 hours by default).
    pub fn remember(mut self, remember: Duration) -> MemoryDedup {
        self.remember = remember;
        self
    }

    /// The clock leases and memories expire by (the system's monotonic clock by default); tests
    /// move time here instead of sleeping.
    pub fn clock(mut self, now: impl Fn() -> Instant + Send + Sync + 'static) -> MemoryDedup {
        self.clock = Arc::new(now);
        self
    }

    /// How many ids are held (expired ones may still count until they are pruned).
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether no id is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every change under the lock is complete before it is released: a panic elsewhere
        // cannot leave the state half done.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn claim_now(&self, id: &str) -> Claim {
        let now = (self.clock)();
        let mut state = self.lock();
        state.prune(now);
        match state.live(id, now) {
            Some(Held::Done) => Claim::Done,
            Some(Held::Lease) => Claim::InProgress,
            None => {
                let change = state.set(id, Held::Lease, expiry(now, self.lease), self.capacity);
                Claim::New(Lease::new(change.to_string()))
            }
        }
    }

    fn complete_now(&self, id: &str) {
        let now = (self.clock)();
        self.lock()
            .set(id, Held::Done, expiry(now, self.remember), self.capacity);
    }

    fn release_now(&self, id: &str, lease: &Lease) {
        // A token this store did not make names no lease of it.
        let Ok(change) = lease.token().parse::<u64>() else {
            return;
        };
        let mut state = self.lock();
        let ours = state
            .entries
            .get(id)
            .is_some_and(|e| e.held == Held::Lease && e.change == change);
        if ours {
            state.entries.remove(id);
        }
    }
}

impl Dedup for MemoryDedup {
    fn claim<'a>(&'a self, webhook_id: &'a str) -> DedupFuture<'a, Claim> {
        let claim = self.claim_now(webhook_id);
        Box::pin(async move { Ok(claim) })
    }

    fn complete<'a>(&'a self, webhook_id: &'a str, _lease: &'a Lease) -> DedupFuture<'a, ()> {
        // Processing succeeded: the id is done whoever holds it now.
        self.complete_now(webhook_id);
        Box::pin(async { Ok(()) })
    }

    fn release<'a>(&'a self, webhook_id: &'a str, lease: &'a Lease) -> DedupFuture<'a, ()> {
        self.release_now(webhook_id, lease);
        Box::pin(async { Ok(()) })
    }
}
