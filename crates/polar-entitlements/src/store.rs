//! The bounded in-memory level: customer states by Polar ID, and external IDs mapped to Polar
//! IDs, each entry guarded by its ordering stamp.

use std::sync::Arc;

use polar_customers::CustomerId;
use quick_cache::sync::{Cache, EntryAction, EntryResult};
use quick_cache::{DefaultHashBuilder, Lifecycle, UnitWeighter};
use tokio::time::Instant;

use crate::stamp::Stamp;
use crate::state::CachedState;
use crate::stats::{Counters, bump};

/// What is known of one customer: its state, or that Polar does not know it (`None`).
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub stamp: Stamp,
    pub state: Option<CachedState>,
    /// When this process last learnt it (the lifetime runs from here).
    pub checked: Instant,
}

/// What an external ID names: a customer, or nobody Polar knows (`None`).
#[derive(Clone, Debug)]
pub(crate) struct Alias {
    pub target: Option<CustomerId>,
    pub stamp: Stamp,
    pub checked: Instant,
}

trait Stamped {
    fn stamp(&self) -> Stamp;
}

impl Stamped for Entry {
    fn stamp(&self) -> Stamp {
        self.stamp
    }
}

impl Stamped for Alias {
    fn stamp(&self) -> Stamp {
        self.stamp
    }
}

/// Counts the entries the cache evicts to stay within its bound.
#[derive(Clone)]
pub(crate) struct CountEvictions(Arc<Counters>);

impl<K, V> Lifecycle<K, V> for CountEvictions {
    type RequestState = ();

    fn on_evict(&self, _state: &mut (), _key: K, _val: V) {
        bump(&self.0.evictions);
    }
}

type Entries = Cache<CustomerId, Entry, UnitWeighter, DefaultHashBuilder, CountEvictions>;
type Aliases = Cache<String, Alias, UnitWeighter, DefaultHashBuilder, CountEvictions>;

pub(crate) struct Store {
    entries: Entries,
    aliases: Aliases,
    counters: Arc<Counters>,
}

/// Inserts `incoming` unless the entry holds a newer answer; answers what the entry holds
/// afterwards and whether it was replaced. Check and write are one step under the shard lock.
fn offer<K, V, L>(
    cache: &Cache<K, V, UnitWeighter, DefaultHashBuilder, L>,
    key: &K,
    incoming: V,
) -> (V, bool)
where
    K: Eq + std::hash::Hash + Clone,
    V: Clone + Stamped,
    L: Lifecycle<K, V> + Clone,
{
    let result = cache.entry(key, None, |_, current: &mut V| {
        if incoming.stamp().may_replace(current.stamp()) {
            *current = incoming.clone();
            EntryAction::Retain((current.clone(), true))
        } else {
            EntryAction::Retain((current.clone(), false))
        }
    });
    match result {
        EntryResult::Retained(out) => out,
        EntryResult::Vacant(guard) => {
            // Another writer may fill the placeholder first only through this same function,
            // which waits for it: the insert cannot be refused.
            let _ = guard.insert(incoming.clone());
            (incoming, true)
        }
        // Neither is asked for above; kept total rather than panicking.
        EntryResult::Removed(_, v) | EntryResult::Replaced(_, v) => (v, false),
        EntryResult::Timeout => (incoming, false),
    }
}

impl Store {
    pub(crate) fn new(max_customers: usize, counters: Arc<Counters>) -> Store {
        let max = max_customers.max(1);
        Store {
            entries: Cache::with(
                max,
                max as u64,
                UnitWeighter,
                DefaultHashBuilder::default(),
                CountEvictions(counters.clone()),
            ),
            aliases: Cache::with(
                max,
                max as u64,
                UnitWeighter,
                DefaultHashBuilder::default(),
                CountEvictions(counters.clone()),
            ),
            counters,
        }
    }

    pub(crate) fn entry(&self, id: &CustomerId) -> Option<Entry> {
        self.entries.get(id)
    }

    pub(crate) fn alias(&self, external_id: &str) -> Option<Alias> {
        self.aliases.get(external_id)
    }

    /// Offers an answer for a customer; refused (and counted) when the entry is newer.
    pub(crate) fn offer_entry(&self, id: CustomerId, entry: Entry) -> (Entry, bool) {
        let (current, accepted) = offer(&self.entries, &id, entry);
        if !accepted {
            bump(&self.counters.stale_refused);
        }
        (current, accepted)
    }

    /// Offers a mapping for an external ID; refused when the mapping is newer.
    pub(crate) fn offer_alias(&self, external_id: &str, alias: Alias) -> (Alias, bool) {
        offer(&self.aliases, &external_id.to_owned(), alias)
    }

    /// Drops the negative entry of `id` if it is older than `stamp` (the customer exists).
    pub(crate) fn forget_unknown(&self, id: &CustomerId, stamp: Stamp) -> bool {
        self.entries
            .remove_if(id, |e| e.state.is_none() && stamp.may_replace(e.stamp))
            .is_some()
    }

    /// Drops a mapping that turned out wrong (its customer is gone), unless a newer one
    /// replaced it meanwhile.
    pub(crate) fn forget_alias(&self, external_id: &str, stamp: Stamp) {
        self.aliases
            .remove_if(external_id, |a| stamp.may_replace(a.stamp));
    }

    /// Forgets everything (after missing broadcasts: the shared level has the truth).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn clear(&self) {
        self.entries.clear();
        self.aliases.clear();
    }
}
