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
        let shared = self.shared_cache()?;
        let config = self.config();
        let store = self.store();
        let id = match key {
            CustomerKey::Id(id) => *id,
            CustomerKey::External(x) => {
                let (order, learnt_ms, target) = shared.read_alias(x).await??;
                let stamp = Stamp::from_order(order);
                if target.is_empty() {
                    let checked = learnt_at(learnt_ms, config.negative_ttl)?;
                    store.offer_alias(
                        x,
                        Alias {
                            target: None,
                            stamp,
                            checked,
                        },
                    );
                    bump(&self.counters().shared_hits);
                    return Some(None);
                }
                let id: CustomerId = target.parse().ok()?;
                let checked = learnt_at(learnt_ms, config.max_staleness)?;
                store.offer_alias(
                    x,
                    Alias {
                        target: Some(id),
                        stamp,
                        checked,
                    },
                );
                id
            }
        };
        let (order, learnt_ms, value) = shared.read_entry(&id).await??;
        let lifetime = if value.is_empty() {
            config.negative_ttl
        } else {
            config.ttl
        };
        let checked = learnt_at(learnt_ms, lifetime)?;
        let stamp = Stamp::from_order(order);
        let record = Record::Entry {
            id,
            stamp,
            learnt_ms,
            state: (!value.is_empty()).then_some(value),
        };
        take_record(store, record, checked);
        bump(&self.counters().shared_hits);
        Some(store.entry(&id).and_then(|e| e.state))
    }

    /// After a fetch from Polar: what it said, for the other processes.
    async fn share_fetch(&self, key: &CustomerKey, state: Option<&CustomerState>, stamp: Stamp) {
        let Some(shared) = self.shared_cache() else {
            return;
        };
        let config = self.config();
        let learnt_ms = unix_ms();
        match (key, state) {
            (_, Some(state)) => share_state(shared, config, state, stamp, learnt_ms).await,
            (CustomerKey::Id(id), None) => {
                let record = Record::Entry {
                    id: *id,
                    stamp,
                    learnt_ms,
                    state: None,
                };
                shared.write(record, config.negative_ttl).await;
            }
            (CustomerKey::External(x), None) => {
                let record = Record::Alias {
                    external_id: x.clone(),
                    stamp,
                    learnt_ms,
                    target: None,
                };
                shared.write(record, config.negative_ttl).await;
            }
        }
    }

    /// After an event changed this process's memory: the same change, for the others.
    async fn share_event(&self, event: &Event) {
        let Some(shared) = self.shared_cache() else {
            return;
        };
        let config = self.config();
        let stamp = Stamp::webhook(event.timestamp());
        let learnt_ms = unix_ms();
        match event {
            Event::CustomerStateChanged { data, .. } => {
                share_state(shared, config, data, stamp, learnt_ms).await;
            }
            Event::CustomerDeleted { data, .. } => {
                if let Some(x) = data.external_id() {
                    let record = Record::Alias {
                        external_id: x.to_owned(),
                        stamp,
                        learnt_ms,
                        target: None,
                    };
                    shared.write(record, config.negative_ttl).await;
                }
                let record = Record::Entry {
                    id: data.id(),
                    stamp,
                    learnt_ms,
                    state: None,
                };
                shared.write(record, config.negative_ttl).await;
            }
            Event::CustomerCreated { data, .. } | Event::CustomerUpdated { data, .. } => {
                if let Some(x) = data.external_id() {
                    let record = Record::Alias {
                        external_id: x.to_owned(),
                        stamp,
                        learnt_ms,
                        target: Some(data.id()),
                    };
                    shared.write(record, config.max_staleness).await;
                }
            }
            _ => {}
        }
    }

    /// Starts the listener for the other processes' broadcasts, once, on the current runtime.
    fn start_listening(self: &Arc<Self>) {
        let Some(shared) = self.shared_cache() else {
            return;
        };
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

/// When a record learnt at `learnt_ms` (Unix ms) was learnt, on this process's clock;
/// `None` when it is past `lifetime`.
fn learnt_at(learnt_ms: i64, lifetime: Duration) -> Option<Instant> {
    let age =
        Duration::from_millis(u64::try_from(unix_ms().saturating_sub(learnt_ms)).unwrap_or(0));
    (age < lifetime).then(|| Instant::now().checked_sub(age).unwrap_or_else(Instant::now))
}

/// Takes a record into this process's memory, under the ordering rule.
fn take_record(store: &Store, record: Record, checked: Instant) {
    match record {
        Record::Entry {
            id, stamp, state, ..
        } => {
            let state = match state {
                Some(json) => match serde_json::from_str::<CustomerState>(&json) {
                    Ok(state) => Some(CachedState::new(state, stamp)),
                    Err(_) => return,
                },
                None => None,
            };
            store.offer_entry(
                id,
                Entry {
                    stamp,
                    state,
                    checked,
                },
            );
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

/// A customer's state (and its external ID's mapping), for the other processes.
async fn share_state(
    shared: &SharedCache,
    config: &Config,
    state: &CustomerState,
    stamp: Stamp,
    learnt_ms: i64,
) {
    let deleted = CachedState::is_deleted(state);
    let id = state.id();
    if let Some(x) = state.external_id() {
        let record = Record::Alias {
            external_id: x.to_owned(),
            stamp,
            learnt_ms,
            target: (!deleted).then_some(id),
        };
        shared.write(record, config.max_staleness).await;
    }
    let (json, ttl) = if deleted {
        (None, config.negative_ttl)
    } else {
        (serde_json::to_string(state).ok(), config.max_staleness)
    };
    let record = Record::Entry {
        id,
        stamp,
        learnt_ms,
        state: json,
    };
    shared.write(record, ttl).await;
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
        let Some(mut messages) = shared.subscribe(inner.config().max_staleness).await else {
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
                }
            }
        }
        shared.subscription_lost().await;
        was_down = true;
    }
}
