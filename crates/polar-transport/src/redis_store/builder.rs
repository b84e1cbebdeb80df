//! [`RedisStoreBuilder`]: a store's settings, made before it is built and shared.

use std::fmt;
use std::time::Duration;

use crate::ratelimit::RateLimitConfig;

/// The settings of a [`RedisStore`](super::RedisStore), made before it is built (and shared).
#[derive(Clone)]
#[must_use = "a builder does nothing until built"]
pub struct RedisStoreBuilder {
    pub(super) url: String,
    pub(super) key: String,
    pub(super) config: RateLimitConfig,
    pub(super) margin: Duration,
    pub(super) lease: Duration,
    pub(super) command_timeout: Duration,
    pub(super) reconnect_interval: Duration,
}

impl fmt::Debug for RedisStoreBuilder {
    // The URL may hold a password: it is not shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStoreBuilder")
            .field("key", &self.key)
            .field("config", &self.config)
            .field("margin", &self.margin)
            .field("lease", &self.lease)
            .field("command_timeout", &self.command_timeout)
            .field("reconnect_interval", &self.reconnect_interval)
            .finish_non_exhaustive()
    }
}

impl RedisStoreBuilder {
    /// The default settings.
    pub(super) fn new(url: &str, key: String, config: RateLimitConfig) -> Self {
        RedisStoreBuilder {
            url: url.to_owned(),
            key,
            config,
            margin: config.period() / 100,
            lease: Duration::from_secs(120),
            command_timeout: Duration::from_millis(250),
            reconnect_interval: Duration::from_secs(1),
        }
    }

    /// Added to the period: a request counts for `period + margin` after it ended (default 1 %
    /// of the period). Larger is safer against Polar's clock; smaller is faster.
    pub fn margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// How long an entry counts as in flight when its process never reports its end
    /// (default 120 s).
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// The longest wait for one Redis command before Redis is taken as unreachable
    /// (default 250 ms).
    pub fn command_timeout(mut self, timeout: Duration) -> Self {
        self.command_timeout = timeout;
        self
    }

    /// How often Redis is tried again during an outage (default 1 s).
    pub fn reconnect_interval(mut self, interval: Duration) -> Self {
        self.reconnect_interval = interval;
        self
    }
}
