//! Webhook events applied to the cache, under the ordering rule.

use polar_customers::Customer;
use polar_webhooks::Event;
use tokio::time::Instant;

use crate::handle::Entitlements;
#[cfg(feature = "redis")]
use crate::sharing::Sharing;
use crate::stamp::Stamp;
use crate::stats::bump;

/// What [`Entitlements::apply`] did with an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Applied {
    /// The cache now holds what the event says.
    Updated,
    /// The cache already held something newer (an older event, a retried delivery of a
    /// replaced one, or a fetch that saw a later state): nothing changed.
    Refused,
    /// Not for this cache: another organization's event, or one that carries no customer.
    Ignored,
}

impl Entitlements {
    /// Applies a verified webhook event (from a `polar_webhooks::Receiver`'s
    /// `Delivery::event`, `Webhook::verify`, or any receiver that hands over a verified
    /// [`Event`]); never calls Polar, never fails.
    ///
    /// - `customer.state_changed` replaces the customer's entry with the event's state (a
    ///   deleted customer's state records it as unknown);
    /// - `customer.deleted` records the customer, and its external ID, as unknown;
    /// - `customer.created` and `customer.updated` map the external ID to the customer and end
    ///   any "unknown" entry older than the event;
    /// - any other event, and every event of another organization, is [`Applied::Ignored`].
    ///
    /// An event older than what the entry holds is [`Applied::Refused`] (see the crate docs,
    /// "Which state wins"). With a shared cache (feature `redis`) an update is also written to
    /// Redis and broadcast to the other processes before this returns.
    pub async fn apply(&self, event: &Event) -> Applied {
        let applied = self.apply_local(event);
        #[cfg(feature = "redis")]
        if applied == Applied::Updated {
            self.inner.share_event(event).await;
        }
        applied
    }

    fn apply_local(&self, event: &Event) -> Applied {
        let inner = &self.inner;
        let now = Instant::now();
        let stamp = Stamp::webhook(event.timestamp());
        let outcome = match event {
            Event::CustomerStateChanged { data, .. }
                if data.organization_id() == inner.organization =>
            {
                match inner.offer_state(data.clone(), stamp, now) {
                    (_, true) => Applied::Updated,
                    (_, false) => Applied::Refused,
                }
            }
            Event::CustomerDeleted { data, .. } if data.organization_id() == inner.organization => {
                let (_, accepted) = inner.offer_gone(data.id(), data.external_id(), stamp, now);
                if accepted {
                    Applied::Updated
                } else {
                    Applied::Refused
                }
            }
            Event::CustomerCreated { data, .. } | Event::CustomerUpdated { data, .. }
                if data.organization_id() == inner.organization =>
            {
                self.customer_exists(data, stamp, now)
            }
            _ => Applied::Ignored,
        };
        match outcome {
            Applied::Updated => bump(&inner.counters.webhook_updates),
            Applied::Ignored => bump(&inner.counters.events_ignored),
            Applied::Refused => {}
        }
        outcome
    }

    /// `customer.created` / `customer.updated`: the customer exists, under its external ID.
    fn customer_exists(&self, customer: &Customer, stamp: Stamp, now: Instant) -> Applied {
        let inner = &self.inner;
        let id = customer.id();
        let mut updated = inner.store.forget_unknown(&id, stamp);
        if let Some(x) = customer.external_id() {
            let (alias, accepted) = inner.offer_alias(x, Some(id), stamp, now);
            updated |= accepted && alias.target == Some(id);
        }
        if updated {
            Applied::Updated
        } else {
            Applied::Refused
        }
    }
}
