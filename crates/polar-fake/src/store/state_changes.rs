//! Changes to a customer's state that Polar makes outside the Customers API: a benefit grant
//! revoked, a subscription ended.

use serde_json::Value;
use uuid::Uuid;

use super::Store;
use crate::rules;

fn id_of(item: &Value) -> Option<Uuid> {
    item.get("id")?.as_str()?.parse().ok()
}

/// `Subscription.can_cancel(immediately=True)` (`server/polar/models/subscription.py`), which
/// `_perform_cancellation` (`server/polar/subscription/service.py`) checks before revoking,
/// else `AlreadyCanceledSubscription` (403): a `paused` subscription that has not ended, or one
/// in a billable status (`trialing`, `active`, `past_due`) that has not ended.
fn can_revoke(sub: &serde_json::Map<String, Value>) -> bool {
    let ended = sub.get("ended_at").is_some_and(|v| !v.is_null());
    match sub.get("status").and_then(Value::as_str) {
        Some("paused" | "trialing" | "active" | "past_due") => !ended,
        _ => false,
    }
}

impl Store {
    /// Removes a granted benefit from a live customer's state, as
    /// `BenefitGrantService.delete_benefit_grant` marks it revoked (revoked grants leave the
    /// state). False when there is no such live customer or grant.
    pub(crate) fn revoke_benefit_grant(&mut self, customer: Uuid, grant: Uuid) -> bool {
        let Some(seq) = self.by_id.get(&customer).copied() else {
            return false;
        };
        let Some(record) = self.records.get_mut(&seq).filter(|r| r.is_live()) else {
            return false;
        };
        let before = record.benefit_grants.len();
        record.benefit_grants.retain(|g| id_of(g) != Some(grant));
        record.benefit_grants.len() != before
    }

    /// Ends a subscription now, as `SubscriptionService.revoke` (an immediate cancellation)
    /// does: status `canceled`, `canceled_at`, `ends_at` and `ended_at` now. False when there
    /// is no such live customer or subscription, or Polar would refuse it ([`can_revoke`]).
    pub(crate) fn end_subscription(&mut self, customer: Uuid, subscription: Uuid) -> bool {
        let Some(seq) = self.by_id.get(&customer).copied() else {
            return false;
        };
        if !self.records.get(&seq).is_some_and(|r| r.is_live()) {
            return false;
        }
        let now = Value::String(rules::fmt_json_ts(self.now()));
        let Some(record) = self.records.get_mut(&seq) else {
            return false;
        };
        let Some(Value::Object(sub)) = record
            .subscriptions
            .iter_mut()
            .find(|s| id_of(s) == Some(subscription))
        else {
            return false;
        };
        if !can_revoke(sub) {
            return false;
        }
        sub.insert("status".into(), Value::String("canceled".into()));
        for key in ["canceled_at", "ends_at", "ended_at", "modified_at"] {
            sub.insert(key.into(), now.clone());
        }
        true
    }
}
