//! The handle: questions answered from memory, misses fetched once per customer.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};
use polar_customers::types::{
    BenefitId, BenefitType, CustomerStateBenefitGrant, MeterId, ProductId,
};
use polar_customers::{Client, CustomerId, CustomerState, OrganizationId};
use tokio::time::Instant;
use tracing::Instrument;

use crate::config::Config;
use crate::error::Error;
use crate::key::CustomerKey;
#[cfg(feature = "redis")]
use crate::redis::SharedCache;
#[cfg(feature = "redis")]
use crate::sharing::Sharing;
use crate::stamp::Stamp;
use crate::state::CachedState;
use crate::stats::{Counters, Stats, bump};
use crate::store::{Alias, Entry, Store};

type Answer = Result<Option<CachedState>, Error>;
type Flight = Shared<BoxFuture<'static, Answer>>;

/// Where a fetch may take its answer from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The shared level (feature `redis`) when it has the answer, else Polar.
    Any,
    /// Polar only ([`Entitlements::refresh`]).
    Polar,
}

/// Answers "may this customer use this?" from a bounded cache of customer states; see the
/// [crate docs](crate).
///
/// Cheap to clone: clones share the cache, the fetches in flight and the counters.
#[derive(Clone)]
pub struct Entitlements {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for Entitlements {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entitlements")
            .field("organization_id", &self.inner.organization)
            .field("config", &self.inner.config)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

pub(crate) struct Inner {
    client: Client,
    pub(crate) organization: OrganizationId,
    pub(crate) config: Config,
    pub(crate) store: Store,
    pub(crate) counters: Arc<Counters>,
    flights: Mutex<HashMap<CustomerKey, Flight>>,
    #[cfg(feature = "redis")]
    shared: Option<SharedCache>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Each critical section is one map operation: a panic cannot leave it half done.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What memory holds for a key: the answer and when it was learnt.
struct Found {
    state: Option<CachedState>,
    checked: Instant,
}

impl Entitlements {
    /// The customer's state (`None` when Polar does not know the customer), from memory while
    /// it is fresh, else fetched once however many callers ask at the same time.
    ///
    /// # Errors
    /// [`Error::Polar`] when Polar could not be asked and no state younger than the maximum
    /// staleness is known (in memory, or in the shared level with feature `redis`).
    pub async fn state(
        &self,
        customer: impl Into<CustomerKey>,
    ) -> Result<Option<CachedState>, Error> {
        self.inner.lookup(customer.into()).await
    }

    /// Whether the benefit is granted to the customer (false for a customer Polar does not
    /// know).
    ///
    /// # Errors
    /// As [`state`](Self::state): never a silent `false` when Polar could not be asked.
    pub async fn has_benefit(
        &self,
        customer: impl Into<CustomerKey>,
        benefit: BenefitId,
    ) -> Result<bool, Error> {
        Ok(self
            .state(customer)
            .await?
            .is_some_and(|s| s.has_benefit(benefit)))
    }

    /// Whether the customer has an active (or trialing) subscription to the product.
    ///
    /// # Errors
    /// As [`state`](Self::state).
    pub async fn has_active_subscription(
        &self,
        customer: impl Into<CustomerKey>,
        product: ProductId,
    ) -> Result<bool, Error> {
        Ok(self
            .state(customer)
            .await?
            .is_some_and(|s| s.has_active_subscription(product)))
    }

    /// The balance of the customer's meter (`None` without such a meter or customer).
    ///
    /// # Errors
    /// As [`state`](Self::state).
    pub async fn meter_balance(
        &self,
        customer: impl Into<CustomerKey>,
        meter: MeterId,
    ) -> Result<Option<f64>, Error> {
        Ok(self
            .state(customer)
            .await?
            .and_then(|s| s.meter_balance(meter)))
    }

    /// The customer's granted benefits of one type, such as every license key.
    ///
    /// # Errors
    /// As [`state`](Self::state).
    pub async fn benefits_of_type(
        &self,
        customer: impl Into<CustomerKey>,
        benefit_type: BenefitType,
    ) -> Result<Vec<CustomerStateBenefitGrant>, Error> {
        Ok(self
            .state(customer)
            .await?
            .map(|s| s.benefits_of_type(&benefit_type).cloned().collect())
            .unwrap_or_default())
    }

    /// Asks Polar now (joining a fetch already in flight), whatever memory holds: for example
    /// right after your own checkout flow finished.
    ///
    /// # Errors
    /// [`Error::Polar`] when Polar could not be asked; the cache is left as it was.
    pub async fn refresh(
        &self,
        customer: impl Into<CustomerKey>,
    ) -> Result<Option<CachedState>, Error> {
        let key = customer.into();
        let key = self.inner.canonical(&key).unwrap_or(key);
        self.inner.flight_from(key, Source::Polar).await
    }

    /// The counters so far (of this handle and its clones).
    pub fn stats(&self) -> Stats {
        self.inner.counters.snapshot()
    }

    /// The organization whose events are applied.
    pub fn organization_id(&self) -> OrganizationId {
        self.inner.organization
    }
}

impl Inner {
    pub(crate) fn new(
        client: Client,
        organization: OrganizationId,
        config: Config,
        counters: Arc<Counters>,
        #[cfg(feature = "redis")] shared: Option<SharedCache>,
    ) -> Inner {
        Inner {
            client,
            organization,
            store: Store::new(config.max_customers, counters.clone()),
            config,
            counters,
            flights: Mutex::new(HashMap::new()),
            #[cfg(feature = "redis")]
            shared,
        }
    }

    /// The Polar ID an external ID maps to, when known.
    fn canonical(&self, key: &CustomerKey) -> Option<CustomerKey> {
        match key {
            CustomerKey::Id(_) => None,
            CustomerKey::External(x) => self
                .store
                .alias(x)
                .and_then(|a| a.target)
                .map(CustomerKey::Id),
        }
    }

    /// What memory holds for `key`, and the key to fetch it by.
    fn find(&self, key: &CustomerKey) -> (Option<Found>, CustomerKey) {
        match key {
            CustomerKey::Id(id) => (self.found(id), key.clone()),
            CustomerKey::External(x) => match self.store.alias(x) {
                Some(Alias {
                    target: Some(id), ..
                }) => (self.found(&id), CustomerKey::Id(id)),
                Some(Alias {
                    target: None,
                    checked,
                    ..
                }) => (
                    Some(Found {
                        state: None,
                        checked,
                    }),
                    key.clone(),
                ),
                None => (None, key.clone()),
            },
        }
    }

    fn found(&self, id: &CustomerId) -> Option<Found> {
        self.store.entry(id).map(|e| Found {
            state: e.state,
            checked: e.checked,
        })
    }

    pub(crate) async fn lookup(self: &Arc<Self>, key: CustomerKey) -> Answer {
        #[cfg(feature = "redis")]
        self.start_listening();
        let (found, fetch_key) = self.find(&key);
        if let Some(found) = found {
            let age = found.checked.elapsed();
            let lifetime = if found.state.is_some() {
                self.config.ttl
            } else {
                self.config.negative_ttl
            };
            if age < lifetime {
                bump(&self.counters.hits);
                return Ok(found.state);
            }
            if let (Some(state), Some(window)) = (found.state, self.config.stale_while_refresh)
                && age < lifetime.saturating_add(window)
            {
                bump(&self.counters.hits);
                // Started, not awaited: the fetch runs on its own task.
                drop(self.flight(fetch_key));
                return Ok(Some(state));
            }
        }
        bump(&self.counters.misses);
        let through_alias = matches!(key, CustomerKey::External(_)) && fetch_key != key;
        match self.flight(fetch_key).await {
            // The mapped customer is gone: the external ID may name another one by now.
            Ok(None) if through_alias => {
                if let CustomerKey::External(x) = &key {
                    self.store.forget_alias(x, Stamp::fetch_now(Duration::ZERO));
                }
                self.flight(key).await
            }
            // Unknown by external ID, but a `customer.created` mapped it meanwhile.
            Ok(None) => match self.canonical(&key) {
                Some(by_id) => self.flight(by_id).await,
                None => Ok(None),
            },
            Ok(answer) => Ok(answer),
            Err(error) => self.last_known(&key, error).await,
        }
    }

    /// After a failed fetch: the last known answer while younger than the maximum staleness
    /// (read again: a webhook may have brought one meanwhile), from memory, else (feature
    /// `redis`) from the shared level, whose records live that long for this; else the error.
    async fn last_known(&self, key: &CustomerKey, error: Error) -> Answer {
        let (found, _) = self.find(key);
        let mut last_known_age = None;
        if let Some(found) = found {
            let age = found.checked.elapsed();
            if age < self.config.max_staleness {
                return Ok(self.serve_last_known(found.state, age, "memory"));
            }
            last_known_age = Some(age);
        }
        #[cfg(feature = "redis")]
        {
            use crate::sharing::Read;
            // Memory's mapping, if any, names the customer; else the shared level's does.
            let shared_key = self.canonical(key).unwrap_or_else(|| key.clone());
            match self.read_last_known(&shared_key).await {
                Some(Read::Taken { state, age }) => {
                    return Ok(self.serve_last_known(state, age, "the shared level"));
                }
                Some(Read::TooOld(age)) => {
                    last_known_age = Some(last_known_age.map_or(age, |a: Duration| a.min(age)));
                }
                Some(Read::Unreadable(_)) | None => {}
            }
        }
        Err(match error {
            Error::Polar { source, .. } => Error::Polar {
                source,
                last_known_age,
            },
            other => other,
        })
    }

    /// Counts and logs a last known answer served because Polar could not be asked.
    fn serve_last_known(
        &self,
        state: Option<CachedState>,
        age: Duration,
        from: &'static str,
    ) -> Option<CachedState> {
        bump(&self.counters.stale_served);
        tracing::debug!(
            age_ms = age.as_millis() as u64,
            from,
            "serving the last known customer state"
        );
        state
    }

    /// The fetch in flight for `key`, or a new one on its own task.
    pub(crate) fn flight(self: &Arc<Self>, key: CustomerKey) -> Flight {
        self.flight_from(key, Source::Any)
    }

    /// As [`flight`](Self::flight); a new fetch takes its answer only from `source`.
    fn flight_from(self: &Arc<Self>, key: CustomerKey, source: Source) -> Flight {
        let mut flights = lock(&self.flights);
        if let Some(flight) = flights.get(&key) {
            bump(&self.counters.coalesced);
            return flight.clone();
        }
        let inner = self.clone();
        let task_key = key.clone();
        // The task removes its own entry; it waits for this lock, so that cannot happen
        // before the entry is in.
        let task = tokio::spawn(async move {
            let answer = inner.fetch(&task_key, source).await;
            lock(&inner.flights).remove(&task_key);
            answer
        });
        let flight = async move { task.await.unwrap_or(Err(Error::FetchAborted)) }
            .boxed()
            .shared();
        flights.insert(key, flight.clone());
        flight
    }

    async fn fetch(self: &Arc<Self>, key: &CustomerKey, source: Source) -> Answer {
        #[cfg(feature = "redis")]
        if source == Source::Any
            && let Some(answer) = self.read_shared(key).await
        {
            return Ok(answer);
        }
        #[cfg(not(feature = "redis"))]
        let _ = source;
        let span = match key {
            CustomerKey::Id(id) => tracing::info_span!(
                "polar_entitlements.fetch",
                customer_id = %id,
                outcome = tracing::field::Empty,
            ),
            // External IDs are the application's user IDs: kept out of the logs.
            CustomerKey::External(_) => tracing::info_span!(
                "polar_entitlements.fetch",
                by = "external_id",
                outcome = tracing::field::Empty,
            ),
        };
        let stamp = Stamp::fetch_now(self.config.clock_skew);
        bump(&self.counters.api_fetches);
        let customers = self.client.customers();
        let request = match key {
            CustomerKey::Id(id) => customers.get_state(*id).send(),
            CustomerKey::External(x) => customers.get_state_external(x.clone()).send(),
        };
        let result = request.instrument(span.clone()).await;
        let checked = Instant::now();
        match result {
            Ok(state) => {
                span.record("outcome", "state");
                #[cfg(feature = "redis")]
                self.share_fetch(key, Some(&state), stamp).await;
                if let CustomerKey::External(x) = key {
                    self.offer_alias(x, Some(state.id()), stamp, checked);
                }
                Ok(self.offer_state(state, stamp, checked).0)
            }
            // Polar's 404 for a customer it does not know; a 404 of another shape (an unknown
            // route or API version) is a misconfiguration, not an answer.
            Err(e) if e.is_resource_not_found() => {
                span.record("outcome", "unknown customer");
                #[cfg(feature = "redis")]
                self.share_fetch(key, None, stamp).await;
                Ok(self.offer_unknown(key, stamp, checked))
            }
            Err(e) => {
                span.record("outcome", "error");
                bump(&self.counters.fetch_errors);
                tracing::warn!(parent: &span, error = %e, "fetching a customer state failed");
                Err(Error::Polar {
                    source: Arc::new(e),
                    last_known_age: None,
                })
            }
        }
    }

    /// Offers a state (a deleted customer's is "unknown") through the ordering rule; answers
    /// what the entry holds afterwards, and whether the offer was taken.
    pub(crate) fn offer_state(
        &self,
        state: CustomerState,
        stamp: Stamp,
        checked: Instant,
    ) -> (Option<CachedState>, bool) {
        let id = state.id();
        if CachedState::is_deleted(&state) {
            let (entry, accepted) = self.offer_gone(id, state.external_id(), stamp, checked);
            return (entry.state, accepted);
        }
        if let Some(x) = state.external_id() {
            self.offer_alias(x, Some(id), stamp, checked);
        }
        let entry = Entry {
            stamp,
            state: Some(CachedState::new(state, stamp)),
            checked,
        };
        let (entry, accepted) = self.store.offer_entry(id, entry);
        (entry.state, accepted)
    }

    /// Records that the customer is gone (deleted): unknown by its ID and by its external ID.
    /// Answers what the entry holds afterwards, and whether the offer was taken.
    pub(crate) fn offer_gone(
        &self,
        id: CustomerId,
        external_id: Option<&str>,
        stamp: Stamp,
        checked: Instant,
    ) -> (Entry, bool) {
        if let Some(x) = external_id {
            self.offer_alias(x, None, stamp, checked);
        }
        let entry = Entry {
            stamp,
            state: None,
            checked,
        };
        self.store.offer_entry(id, entry)
    }

    /// Records that Polar does not know `key`.
    pub(crate) fn offer_unknown(
        &self,
        key: &CustomerKey,
        stamp: Stamp,
        checked: Instant,
    ) -> Option<CachedState> {
        match key {
            CustomerKey::Id(id) => {
                let entry = Entry {
                    stamp,
                    state: None,
                    checked,
                };
                self.store.offer_entry(*id, entry).0.state
            }
            CustomerKey::External(x) => {
                let (alias, _) = self.offer_alias(x, None, stamp, checked);
                // A newer mapping won: answer what it names, if memory has it.
                alias
                    .target
                    .and_then(|id| self.store.entry(&id))
                    .and_then(|e| e.state)
            }
        }
    }

    pub(crate) fn offer_alias(
        &self,
        external_id: &str,
        target: Option<CustomerId>,
        stamp: Stamp,
        checked: Instant,
    ) -> (Alias, bool) {
        self.store.offer_alias(
            external_id,
            Alias {
                target,
                stamp,
                checked,
            },
        )
    }
}

#[cfg(feature = "redis")]
impl Sharing for Inner {
    fn shared_cache(&self) -> Option<&SharedCache> {
        self.shared.as_ref()
    }

    fn store(&self) -> &Store {
        &self.store
    }

    fn config(&self) -> &Config {
        &self.config
    }

    fn counters(&self) -> &Counters {
        &self.counters
    }
}
