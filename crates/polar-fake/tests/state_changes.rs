//! A benefit grant revoked and a subscription ended, as Polar's jobs do: the state changes and
//! `customer.state_changed` carries the new state.

mod common;

use std::time::Duration;

use common::call;
use http::Method;
use polar_fake::{CUSTOMER_EVENTS, FakePolar, WebhookEndpoint, samples};
use polar_types::{BenefitGrantId, BenefitType, CustomerId, SubscriptionId, SubscriptionStatus};
use serde_json::{Value, json};

/// A fake whose events go to a port nothing listens on: each is tried once and recorded.
async fn fake_with_customer() -> (FakePolar, CustomerId) {
    let fake = FakePolar::new();
    let endpoint = WebhookEndpoint::new("http://127.0.0.1:9/hooks", CUSTOMER_EVENTS)
        .unwrap()
        .retries(1, Duration::from_millis(1));
    fake.add_webhook_endpoint(endpoint);
    let token = fake.token().to_owned();
    let created = call(
        &fake,
        &token,
        Method::POST,
        "/v1/customers/",
        Some(json!({"email": "state@polar.sh"})),
    )
    .await
    .json();
    let id: CustomerId = created["id"].as_str().unwrap().parse().unwrap();
    (fake, id)
}

async fn state(fake: &FakePolar, id: CustomerId) -> Value {
    let token = fake.token().to_owned();
    call(
        fake,
        &token,
        Method::GET,
        &format!("/v1/customers/{id}/state"),
        None,
    )
    .await
    .json()
}

/// The `data` of every `customer.state_changed` sent so far.
async fn sent_states(fake: &FakePolar) -> Vec<Value> {
    tokio::time::timeout(Duration::from_secs(10), fake.webhooks_settled())
        .await
        .unwrap();
    fake.webhook_deliveries()
        .iter()
        .filter(|d| d.event_type == "customer.state_changed")
        .map(|d| serde_json::from_slice::<Value>(&d.body).unwrap()["data"].clone())
        .collect()
}

#[tokio::test]
async fn a_revoked_grant_leaves_the_state_and_the_new_state_is_sent() {
    let (fake, id) = fake_with_customer().await;
    let kept = samples::benefit_grant(BenefitType::FeatureFlag);
    let revoked = samples::benefit_grant(BenefitType::Custom);
    assert!(fake.add_benefit_grant(id, &kept));
    assert!(fake.add_benefit_grant(id, &revoked));

    assert!(fake.revoke_benefit_grant(id, revoked.id));
    let grants = state(&fake, id).await["granted_benefits"].clone();
    assert_eq!(grants.as_array().unwrap().len(), 1);
    assert_eq!(grants[0]["id"], kept.id.to_string());

    let sent = sent_states(&fake).await;
    let last = sent.last().unwrap();
    assert_eq!(
        last["granted_benefits"], grants,
        "the event carries the state after the change"
    );

    assert!(
        !fake.revoke_benefit_grant(id, revoked.id),
        "already revoked"
    );
    assert!(!fake.revoke_benefit_grant(id, BenefitGrantId::new_v4()));
    assert!(!fake.revoke_benefit_grant(CustomerId::new_v4(), kept.id));
    assert_eq!(
        sent_states(&fake).await.len(),
        sent.len(),
        "nothing sent for a no-op"
    );
}

#[tokio::test]
async fn an_ended_subscription_leaves_the_state_and_the_active_filter() {
    let (fake, id) = fake_with_customer().await;
    let sub = samples::subscription(SubscriptionStatus::Active, 1900);
    assert!(fake.add_subscription(id, &sub));
    let token = fake.token().to_owned();
    let active = |fake: FakePolar, token: String| async move {
        call(
            &fake,
            &token,
            Method::GET,
            "/v1/customers/?active=true",
            None,
        )
        .await
        .json()["pagination"]["total_count"]
            .clone()
    };
    assert_eq!(active(fake.clone(), token.clone()).await, 1);

    assert!(fake.end_subscription(id, sub.id));
    assert_eq!(state(&fake, id).await["active_subscriptions"], json!([]));
    assert_eq!(active(fake.clone(), token.clone()).await, 0);
    let sent = sent_states(&fake).await;
    assert_eq!(sent.last().unwrap()["active_subscriptions"], json!([]));

    assert!(!fake.end_subscription(id, sub.id), "already ended");
    assert!(!fake.end_subscription(id, SubscriptionId::new_v4()));
    assert_eq!(
        sent_states(&fake).await.len(),
        sent.len(),
        "nothing sent for a no-op"
    );
}

/// `Subscription.can_cancel(immediately=True)` (`server/polar/models/subscription.py`), which
/// `SubscriptionService.revoke` checks first (else `AlreadyCanceledSubscription`, a 403, in
/// `server/polar/subscription/service.py`): only a billable status (`trialing`, `active`,
/// `past_due`) without `ended_at`, or `paused` without `ended_at`, can be ended.
#[tokio::test]
async fn only_what_polar_can_revoke_is_ended() {
    let (fake, id) = fake_with_customer().await;
    let seeded = |status: &str, ended: bool| {
        let mut sub =
            serde_json::to_value(samples::subscription(SubscriptionStatus::Active, 900)).unwrap();
        sub["status"] = json!(status);
        if ended {
            sub["ended_at"] = sub["started_at"].clone();
        }
        assert!(fake.seed_subscription_json(id, sub.clone()));
        sub["id"]
            .as_str()
            .unwrap()
            .parse::<SubscriptionId>()
            .unwrap()
    };
    for status in ["trialing", "active", "past_due", "paused"] {
        let sub = seeded(status, false);
        assert!(fake.end_subscription(id, sub), "{status} can be revoked");
        let sub = seeded(status, true);
        assert!(!fake.end_subscription(id, sub), "{status} with ended_at");
    }
    for status in ["incomplete", "incomplete_expired", "unpaid", "canceled"] {
        let sub = seeded(status, false);
        assert!(!fake.end_subscription(id, sub), "{status} is not billable");
    }
}
