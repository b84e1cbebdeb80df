//! [`FakePolar`] methods that change a customer's state the way Polar's own jobs do, each
//! followed by `customer.state_changed`, as on Polar.

use polar_types::{BenefitGrantId, CustomerId, SubscriptionId};

use crate::FakePolar;

impl FakePolar {
    /// Revokes a benefit grant of a live customer: it leaves the customer's state, and
    /// `customer.state_changed` is sent. False (and nothing sent) when there is no such live
    /// customer or grant.
    ///
    /// On Polar, `BenefitGrantService.delete_benefit_grant`
    /// (`server/polar/benefit/grant/service.py`) marks the grant revoked, sends
    /// `benefit_grant.revoked` and enqueues `customer.state_changed` for the customer; that job
    /// (`server/polar/customer/tasks.py`) re-reads the state and sends it
    /// (`CustomerService.state_changed` / `webhook` in `server/polar/customer/service.py`).
    /// The fake sends the state at once; `benefit_grant.revoked` is not modelled.
    ///
    /// ```
    /// use polar_fake::{FakePolar, samples};
    /// use polar_types::{BenefitGrantId, BenefitType, CustomerId};
    ///
    /// let fake = FakePolar::new();
    /// assert!(!fake.revoke_benefit_grant(CustomerId::new_v4(), BenefitGrantId::new_v4()));
    /// ```
    pub fn revoke_benefit_grant(&self, customer: CustomerId, grant: BenefitGrantId) -> bool {
        let revoked = self
            .shared
            .store()
            .revoke_benefit_grant(*customer.as_uuid(), *grant.as_uuid());
        crate::events::after_state_change(&self.shared, customer, revoked)
    }

    /// Ends a subscription of a live customer now (status `canceled`): it leaves the
    /// customer's state and the list's `active` filter, and `customer.state_changed` is sent.
    /// False (and nothing sent) when there is no such live customer or subscription, or when
    /// Polar would refuse to revoke it (`Subscription.can_cancel(immediately=True)` in
    /// `server/polar/models/subscription.py`; Polar answers 403 `AlreadyCanceledSubscription`):
    /// it has `ended_at` set, or its status is neither `paused` nor billable (`trialing`,
    /// `active`, `past_due`).
    ///
    /// On Polar, `SubscriptionService.revoke` cancels at once (`_perform_cancellation` with
    /// `immediately=True` in `server/polar/subscription/service.py`), and
    /// `_after_subscription_updated` enqueues `customer.state_changed`. The benefits the
    /// product granted are revoked by a separate job: revoke them with
    /// [`revoke_benefit_grant`](Self::revoke_benefit_grant). The fake sends one
    /// `customer.state_changed` per change, at once, each with the state just after it; Polar
    /// debounces that delivery per customer (1 s after the last change, at most 5 s after the
    /// first), so a burst of changes reaches an endpoint as one delivery with the latest state. Not modelled: clearing `pause_at_period_end` / `resumes_at`,
    /// settling the final meter period (`_settle_meter_cycle`), and the
    /// `subscription.canceled` / `subscription.revoked` events.
    pub fn end_subscription(&self, customer: CustomerId, subscription: SubscriptionId) -> bool {
        let ended = self
            .shared
            .store()
            .end_subscription(*customer.as_uuid(), *subscription.as_uuid());
        crate::events::after_state_change(&self.shared, customer, ended)
    }
}
