//! How a handle is made: its constructors and the builder of its settings, each with its
//! documented default.

use std::sync::Arc;
use std::time::Duration;

use polar_customers::{Client, OrganizationId};

use crate::config::Config;
use crate::handle::{Entitlements, Inner};
#[cfg(feature = "redis")]
use crate::sharing::Sharing;

/// How long a state is served without asking Polar again, unless told otherwise.
pub const DEFAULT_TTL: Duration = Duration::from_secs(5 * 60);
/// How long "Polar does not know this customer" is believed, unless told otherwise.
pub const DEFAULT_NEGATIVE_TTL: Duration = Duration::from_secs(30);
/// How old a last known state may be and still be served when Polar cannot be asked.
pub const DEFAULT_MAX_STALENESS: Duration = Duration::from_secs(15 * 60);
/// How many customers are kept in memory, unless told otherwise.
pub const DEFAULT_MAX_CUSTOMERS: usize = 100_000;
/// The difference allowed between this machine's clock and Polar's (see the crate docs,
/// "Which state wins").
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::from_secs(1);

/// Configures an [`Entitlements`] handle; from [`Entitlements::builder`].
#[derive(Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct EntitlementsBuilder {
    client: Client,
    organization: OrganizationId,
    config: Config,
    #[cfg(feature = "redis")]
    shared: Option<crate::redis::SharedCache>,
}

impl Entitlements {
    /// A handle with the default settings, for the organization whose customers `client`
    /// reads (events of any other organization are ignored).
    pub fn new(client: Client, organization: OrganizationId) -> Entitlements {
        Entitlements::builder(client, organization).build()
    }

    /// Configures a handle; see [`EntitlementsBuilder`] for the settings and their defaults.
    pub fn builder(client: Client, organization: OrganizationId) -> EntitlementsBuilder {
        EntitlementsBuilder::new(client, organization)
    }
}

impl EntitlementsBuilder {
    fn new(client: Client, organization: OrganizationId) -> Self {
        EntitlementsBuilder {
            client,
            organization,
            config: Config {
                ttl: DEFAULT_TTL,
                stale_while_refresh: None,
                negative_ttl: DEFAULT_NEGATIVE_TTL,
                max_staleness: DEFAULT_MAX_STALENESS,
                max_customers: DEFAULT_MAX_CUSTOMERS,
                clock_skew: DEFAULT_CLOCK_SKEW,
            },
            #[cfg(feature = "redis")]
            shared: None,
        }
    }

    /// How long a state is served before Polar is asked again ([`DEFAULT_TTL`], 5 minutes).
    /// With the `customer.state_changed` webhook wired to [`Entitlements::apply`], changes
    /// arrive within seconds anyway and the lifetime only covers lost deliveries; without it,
    /// this is how late a change may be seen.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.config.ttl = ttl;
        self
    }

    /// Serves a state up to `window` past its lifetime while one background fetch refreshes it
    /// (off by default: past its lifetime a state is fetched before it is served).
    pub fn stale_while_refresh(mut self, window: Duration) -> Self {
        self.config.stale_while_refresh = Some(window);
        self
    }

    /// How long Polar's "no such customer" (404) is believed before asking again
    /// ([`DEFAULT_NEGATIVE_TTL`], 30 s). A `customer.created` event ends it at once.
    pub fn negative_ttl(mut self, ttl: Duration) -> Self {
        self.config.negative_ttl = ttl;
        self
    }

    /// When Polar cannot be asked, the last known state is served while it is younger than
    /// this ([`DEFAULT_MAX_STALENESS`], 15 minutes); older, the question fails with
    /// [`Error::Polar`](crate::Error::Polar). `Duration::ZERO` never serves past the lifetime.
    pub fn max_staleness(mut self, max_staleness: Duration) -> Self {
        self.config.max_staleness = max_staleness;
        self
    }

    /// The most customers kept in memory ([`DEFAULT_MAX_CUSTOMERS`]); past it the least useful
    /// entries are evicted (and counted). External-ID mappings are bounded by the same number.
    pub fn max_customers(mut self, max_customers: usize) -> Self {
        self.config.max_customers = max_customers.max(1);
        self
    }

    /// The difference allowed between this machine's clock and Polar's
    /// ([`DEFAULT_CLOCK_SKEW`], 1 s): a fetch counts as sent this much earlier, so that a
    /// webhook emitted while it was on its way wins over it.
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.config.clock_skew = skew;
        self
    }

    /// Shares the cache with every process that uses the same Redis and key prefix (feature
    /// `redis`; see [`SharedCache`](crate::redis::SharedCache)).
    #[cfg(feature = "redis")]
    pub fn shared(mut self, shared: crate::redis::SharedCache) -> Self {
        self.shared = Some(shared);
        self
    }

    /// The handle. With a shared cache (feature `redis`), the listener for other processes'
    /// updates starts on the current tokio runtime (or with the first question, when built
    /// outside one).
    pub fn build(self) -> Entitlements {
        let counters = Arc::new(crate::stats::Counters::default());
        let inner = Arc::new(Inner::new(
            self.client,
            self.organization,
            self.config,
            counters,
            #[cfg(feature = "redis")]
            self.shared,
        ));
        let handle = Entitlements { inner };
        #[cfg(feature = "redis")]
        handle.inner.start_listening();
        handle
    }
}
