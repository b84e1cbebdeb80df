//! The settings a handle runs with. Apart from the builder that fills them in, so that the
//! handle reads them without depending on the builder.

use std::time::Duration;

/// A handle's settings; the builder documents each one and its default.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub ttl: Duration,
    pub stale_while_refresh: Option<Duration>,
    pub negative_ttl: Duration,
    pub max_staleness: Duration,
    pub max_customers: usize,
    pub clock_skew: Duration,
}
