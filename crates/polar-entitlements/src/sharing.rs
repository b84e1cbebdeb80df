//! The glue between a handle's memory and the shared level in Redis (feature `redis`): a miss
//! is read from Redis, what Polar or a webhook said is written there, and the other processes'
//! broadcasts are applied to memory.
//!
//! It sits between the two so that imports run one way: the handle uses this file, this file
//! uses `redis.rs`, and neither of those knows the other. The handle gives access to its
//! memory through [`Sharing`].

use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use polar_customers::{CustomerId, CustomerState};
use polar_webhooks::Event;
use tokio::time::Instant;

use crate::config::Config;
use crate::key::CustomerKey;
use crate::redis::{Record, SharedCache};
use crate::stamp::Stamp;
use crate::state::CachedState;
use crate::stats::{Counters, bump};
use crate::store::{Alias, Entry, Store};

/// A handle's side of the shared level. The handle's state implements the four accessors; the
/// rest is written here once.
pub(crate) trait Sharing: Send + Sync + Sized + 'static {
    /// The shared level, when the handle was built with one.
    fn shared_cache(&self) -> Option<&SharedCache>;
    /// This process's memory.
    fn store(&self) -> &Store;
    /// The handle's settings (the lifetimes of what is read and written).
    fn config(&self) -> &Config;
    /// The handle's counters.
    fn counters(&self) -> &Counters;

    /// A miss: the shared level's answer for `key`, when it has one within its lifetime.
    async fn read_shared(&self, key: &CustomerKey) -> Option<Option<CachedState>> {
        let config = self.config();
        let read = self
            .read_within(key, |record| match record {
                Kind::State => config.ttl,
                Kind::Unknown | Kind::UnknownAlias => config.negative_ttl,
                Kind::Alias => config.max_staleness,
            })
            .await?;
        match read {
            Read::Taken { state, .. } => {
                bump(&self.counters().shared_hits);
                Some(state)
            }
            Read::TooOld(_) => None,
            Read::Unreadable(id) => {
                // Not an answer (another version's format, or a damaged value).
                tracing::warn!(customer_id = %id, "entitlements: a state in Redis could not be read; asking Polar");
                None
            }
        }
    }

    /// Polar could not answer: the shared level's answer for `key` while it is younger than
    /// the maximum staleness, whatever its lifetime (as memory's last known answer is served),
    /// taken into memory under the ordering rule. `None` when Redis is away, holds nothing
    /// for `key` or holds what cannot be read.
    async fn read_last_known(&self, key: &CustomerKey) -> Option<Read> {
        let max_staleness = self.config().max_staleness;
        let read = self.read_within(key, |_| max_staleness).await?;
        if let Read::Unreadable(id) = read {
            // Not an answer: never "unknown".
            tracing::warn!(customer_id = %id, "entitlements: a state in Redis could not be read");
            return None;
        }
        Some(read)
    }

    /// The shared level's record for `key` (through its external ID's mapping), taken into
    /// memory under the ordering rule when younger than `lifetime` of its kind. `None` when
    /// Redis is away or holds no record.
    async fn read_within(
        &self,
        key: &CustomerKey,
        lifetime: impl Fn(Kind) -> Duration,
    ) -> Option<Read> {
        let shared = self.shared_cache()?;
        let store = self.store();
        let id = match key {
            CustomerKey::Id(id) => *id,
            CustomerKey::External(x) => {
                let (order, learnt_ms, target) = shared.read_alias(x).await??;
                let stamp = Stamp::from_order(order);
                let (target, kind) = if target.is_empty() {
                    (None, Kind::UnknownAlias)
                } else {
                    (Some(target.parse::<CustomerId>().ok()?), Kind::Alias)
                };
                let age = age_of(learnt_ms);
                if age >= lifetime(kind) {
                    return Some(Read::TooOld(age));
                }
                store.offer_alias(
                    x,
                    Alias {
                        target,
                        stamp,
                        checked: checked_at(age),
                    },
                );
                match target {
                    Some(id) => id,
                    None => return Some(Read::Taken { state: None, age }),
                }
            }
        };
        let (order, learnt_ms, value) = shared.read_entry(&id).await??;
        let kind = if value.is_empty() {
            Kind::Unknown
        } else {
            Kind::State
        };
        let age = age_of(learnt_ms);
        if age >= lifetime(kind) {
            return Some(Read::TooOld(age));
        }
        let stamp = Stamp::from_order(order);
        let Some(entry) = take_entry(
            store,
            id,
            stamp,
            (!value.is_empty()).then_some(value),
            checked_at(age),
        ) else {
            return Some(Read::Unreadable(id));
        };
        Some(Read::Taken {
            state: entry.state,
            age,
        })
    }

    /// After a fetch from Polar: what it said, for the other processes. Not kept while Redis
    /// is away: any process can fetch it again.
    async fn share_fetch(&self, key: &CustomerKey, state: Option<&CustomerState>, stamp: Stamp) {
        let Some(shared) = self.shared_cache() else {
            return;
        };
        let to = Sharer {
            shared,
            config: self.config(),
            stamp,
            learnt_ms: unix_ms(),
            keep: false,
        };
        match (key, state) {
            (_, Some(state)) => to.state(state).await,
            (CustomerKey::Id(id), None) => to.entry(*id, None).await,
            (CustomerKey::External(x), None) => to.alias(x, None).await,
        }
    }

    /// After an event changed this process's memory: the same change, for the others. Kept
    /// while Redis is away, to be written on its return: only this process has it.
    async fn share_event(&self, event: &Event) {
        let Some(shared) = self.shared_cache() else {
            return;
        };
        let to = Sharer {
            shared,
            config: self.config(),
            stamp: Stamp::webhook(event.timestamp()),
            learnt_ms: unix_ms(),
            keep: true,
        };
        match event {
            Event::CustomerStateChanged { data, .. } => to.state(data).await,
            Event::CustomerDeleted { data, .. } => to.gone(data.id(), data.external_id()).await,
            Event::CustomerCreated { data, .. } | Event::CustomerUpdated { data, .. } => {
                if let Some(x) = data.external_id() {
                    to.alias(x, Some(data.id())).await;
                }
            }
            _ => {}
        }
    }

    /// Starts the listener for the other processes' broadcasts, once, on the current runtime.
    /// Cheap once it runs (one atomic load): every question calls it.
    fn start_listening(self: &Arc<Self>) {
        let Some(shared) = self.shared_cache() else {
            return;
        };
        if shared.is_listening() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if !shared.claim_listener() {
            return;
        }
        runtime.spawn(listen(Arc::downgrade(self), shared.clone()));
    }
}

fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// What a shared record says, for its lifetime.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    /// A customer's state.
    State,
    /// A customer Polar does not know.
    Unknown,
    /// An external ID's customer.
    Alias,
    /// An external ID Polar does not know.
    UnknownAlias,
}

/// A shared record, read for a key.
pub(crate) enum Read {
    /// Within its lifetime: taken into memory, which holds `state` afterwards (a newer answer
    /// than the record's, when memory had one); `age` is the record's.
    Taken {
        state: Option<CachedState>,
        age: Duration,
    },
    /// Past its lifetime: not taken. The record's age.
    TooOld(Duration),
    /// A customer's state that cannot be decoded: not taken.
    Unreadable(CustomerId),
}

/// How long ago a record learnt at `learnt_ms` (Unix ms) was learnt.
fn age_of(learnt_ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(unix_ms().saturating_sub(learnt_ms)).unwrap_or(0))
}

/// When something learnt `age` ago was learnt, on this process's clock.
fn checked_at(age: Duration) -> Instant {
    Instant::now().checked_sub(age).unwrap_or_else(Instant::now)
}

/// When a record learnt at `learnt_ms` (Unix ms) was learnt, on this process's clock;
/// `None` when it is past `lifetime`.
fn learnt_at(learnt_ms: i64, lifetime: Duration) -> Option<Instant> {
    let age = age_of(learnt_ms);
    (age < lifetime).then(|| checked_at(age))
}

/// Takes a customer's entry (its state's JSON, `None` for "unknown") into this process's
/// memory under the ordering rule; answers what memory holds afterwards, or `None` when the
/// state cannot be decoded (nothing is taken then).
fn take_entry(
    store: &Store,
    id: CustomerId,
    stamp: Stamp,
    state: Option<String>,
    checked: Instant,
) -> Option<Entry> {
    let state = match state {
        Some(json) => Some(CachedState::new(
            serde_json::from_str::<CustomerState>(&json).ok()?,
            stamp,
        )),
        None => None,
    };
    let entry = Entry {
        stamp,
        state,
        checked,
    };
    Some(store.offer_entry(id, entry).0)
}

/// Takes a record into this process's memory, under the ordering rule.
fn take_record(store: &Store, record: Record, checked: Instant) {
    match record {
        Record::Entry {
            id, stamp, state, ..
        } => {
            take_entry(store, id, stamp, state, checked);
        }
        Record::Alias {
            external_id,
            stamp,
            target,
            ..
        } => {
            store.offer_alias(
                &external_id,
                Alias {
                    target,
                    stamp,
                    checked,
                },
            );
            if let Some(id) = target {
                store.forget_unknown(&id, stamp);
            }
        }
    }
}

/// One answer's records on their way to the shared level: each with its lifetime there (the
/// maximum staleness, the negative lifetime for "unknown"), kept during an outage or not.
struct Sharer<'a> {
    shared: &'a SharedCache,
    config: &'a Config,
    stamp: Stamp,
    learnt_ms: i64,
    /// Kept while Redis is away (a webhook's update), or dropped (a fetch: it can be redone).
    keep: bool,
}

impl Sharer<'_> {
    /// A customer's state and its external ID's mapping; a deleted customer's is "gone".
    async fn state(&self, state: &CustomerState) {
        let id = state.id();
        if CachedState::is_deleted(state) {
            return self.gone(id, state.external_id()).await;
        }
        if let Some(x) = state.external_id() {
            self.alias(x, Some(id)).await;
        }
        if let Ok(json) = serde_json::to_string(state) {
            self.entry(id, Some(json)).await;
        }
    }

    /// A customer that is gone: unknown by its ID and by its external ID.
    async fn gone(&self, id: CustomerId, external_id: Option<&str>) {
        if let Some(x) = external_id {
            self.alias(x, None).await;
        }
        self.entry(id, None).await;
    }

    /// A customer's entry: its state's JSON, or `None` for "unknown".
    async fn entry(&self, id: CustomerId, state: Option<String>) {
        let ttl = self.lifetime(state.is_some());
        let record = Record::Entry {
            id,
            stamp: self.stamp,
            learnt_ms: self.learnt_ms,
            state,
        };
        self.shared.write(record, ttl, self.keep).await;
    }

    /// An external ID's mapping: a customer, or `None` for "unknown".
    async fn alias(&self, external_id: &str, target: Option<CustomerId>) {
        let record = Record::Alias {
            external_id: external_id.to_owned(),
            stamp: self.stamp,
            learnt_ms: self.learnt_ms,
            target,
        };
        self.shared
            .write(record, self.lifetime(target.is_some()), self.keep)
            .await;
    }

    fn lifetime(&self, known: bool) -> Duration {
        if known {
            self.config.max_staleness
        } else {
            self.config.negative_ttl
        }
    }
}

/// Subscribes to the broadcast and applies what others send; after a lost subscription,
/// writes what was kept, subscribes again and drops this process's memory. Ends when the last
/// handle is dropped.
async fn listen<H: Sharing>(handle: Weak<H>, shared: SharedCache) {
    let mut was_down = false;
    loop {
        let Some(inner) = handle.upgrade() else {
            return;
        };
        let Some(mut messages) = shared.subscribe().await else {
            drop(inner);
            was_down = true;
            shared.wait_to_reconnect().await;
            continue;
        };
        // Broadcasts may have been missed: what memory holds is checked against Redis again.
        inner.store().clear();
        shared.joined(was_down);
        drop(inner);
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                message = messages.next() => {
                    let Some(message) = message else { break };
                    let Some(inner) = handle.upgrade() else { return };
                    let Some(record) = shared.decode(&message) else { continue };
                    if let Some(checked) = learnt_at(record.learnt_ms(), inner.config().max_staleness) {
                        take_record(inner.store(), record, checked);
                    }
                }
                _ = tick.tick() => {
                    if handle.strong_count() == 0 {
                        return;
                    }
                    // An outage that left the subscription up (commands timed out, the
                    // connection did not drop) ends without a resubscription: what was kept
                    // is written from here, once Redis answers again.
                    if shared.has_pending() {
                        shared.flush_pending().await;
                    }
                }
            }
        }
        shared.subscription_lost().await;
        was_down = true;
    }
}
