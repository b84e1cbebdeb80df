//! The ordering stamp every cached answer carries, and the rule that compares them (see the
//! crate docs, "Which state wins").

use std::time::Duration;

use jiff::Timestamp;

/// Where a cached answer came from. A webhook outranks a fetch of the same instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// An answer of `GET /v1/customers/{id}/state` (or by external ID), or its 404.
    Fetch,
    /// A verified webhook event.
    Webhook,
}

/// A point on Polar's clock at which the cached answer was already true, and its source.
///
/// For a webhook it is the event's `timestamp`; for a fetch, the moment the request was sent
/// less the allowed clock skew. Stamps order by time, then a webhook before a fetch of the same
/// microsecond.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp {
    micros: i64,
    source: Source,
}

impl Stamp {
    /// The stamp of a webhook event emitted at `timestamp`.
    pub fn webhook(timestamp: Timestamp) -> Stamp {
        Stamp {
            micros: timestamp.as_microsecond(),
            source: Source::Webhook,
        }
    }

    /// The stamp of a fetch sent now, with `skew` allowed between this machine's clock and
    /// Polar's.
    pub(crate) fn fetch_now(skew: Duration) -> Stamp {
        let skew = i64::try_from(skew.as_micros()).unwrap_or(i64::MAX);
        Stamp {
            micros: Timestamp::now().as_microsecond().saturating_sub(skew),
            source: Source::Fetch,
        }
    }

    /// When the answer was already true, on Polar's clock.
    pub fn at(&self) -> Timestamp {
        Timestamp::from_microsecond(self.micros).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    /// Where the answer came from.
    pub fn source(&self) -> Source {
        self.source
    }

    /// One integer in the same order as the stamps (`micros * 2 + source`), as kept in Redis.
    /// Exact in a Lua number (a double) until the year 2112.
    #[cfg(feature = "redis")]
    pub(crate) fn to_order(self) -> i64 {
        self.micros
            .saturating_mul(2)
            .saturating_add(i64::from(self.source == Source::Webhook))
    }

    #[cfg(feature = "redis")]
    pub(crate) fn from_order(order: i64) -> Stamp {
        Stamp {
            micros: order.div_euclid(2),
            source: if order.rem_euclid(2) == 1 {
                Source::Webhook
            } else {
                Source::Fetch
            },
        }
    }

    /// The ordering rule: may an answer stamped `self` replace one stamped `current`? Yes when
    /// it is at least as new; a duplicate (the same stamp) replaces to the same effect.
    pub(crate) fn may_replace(self, current: Stamp) -> bool {
        self >= current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(micros: i64, source: Source) -> Stamp {
        Stamp { micros, source }
    }

    #[test]
    fn newer_wins_and_a_webhook_outranks_a_fetch_of_the_same_instant() {
        let fetch = at(10, Source::Fetch);
        let hook = at(10, Source::Webhook);
        assert!(hook.may_replace(fetch));
        assert!(!fetch.may_replace(hook));
        assert!(at(11, Source::Fetch).may_replace(hook));
        assert!(!at(9, Source::Webhook).may_replace(fetch));
        assert!(hook.may_replace(hook), "a retried delivery is harmless");
    }

    #[cfg(feature = "redis")]
    #[test]
    fn the_redis_order_keeps_the_stamps_order() {
        let stamps = [
            at(-5, Source::Webhook),
            at(0, Source::Fetch),
            at(0, Source::Webhook),
            at(1_764_000_000_000_000, Source::Fetch),
            at(1_764_000_000_000_000, Source::Webhook),
        ];
        for w in stamps.windows(2) {
            assert!(w[0].to_order() < w[1].to_order());
        }
        for s in stamps {
            assert_eq!(Stamp::from_order(s.to_order()), s);
        }
    }
}
