//! Fresh by webhooks: the fake's signed deliveries over loopback reach the cache with no API
//! call, and the ordering rule holds against reordered and duplicated events and against a
//! fetch racing a webhook.

mod common;

use std::sync::Arc;

use common::*;
use polar_customers::types::BenefitType;
use polar_customers::{Client, CustomerId, OrganizationId};
use polar_entitlements::{Applied, Entitlements};
use polar_fake::{FakePolar, Tamper, samples};
use polar_webhooks::Event;
use tokio::sync::Notify;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grants_and_revocations_arrive_by_webhook_with_no_api_call() {
    let fake = FakePolar::new();
    let server = fake.serve("127.0.0.1:0").await.unwrap();
    let ent = Entitlements::new(over_loopback(&server, fake.token()), fake.organization_id());
    let id = customer(&fake, "hooks@polar.sh", "user_hooks").await;
    wire_webhooks(&fake, ent.clone()).await;
    let grant = samples::benefit_grant(BenefitType::FeatureFlag);

    assert!(
        !ent.has_benefit("user_hooks", grant.benefit_id)
            .await
            .unwrap()
    );
    assert_eq!(state_calls(&fake), 1);

    fake.add_benefit_grant(id, &grant);
    settled(&fake).await;
    assert!(
        ent.has_benefit("user_hooks", grant.benefit_id)
            .await
            .unwrap()
    );
    assert!(ent.has_benefit(id, grant.benefit_id).await.unwrap());

    fake.revoke_benefit_grant(id, grant.id);
    settled(&fake).await;
    assert!(
        !ent.has_benefit(id, grant.benefit_id).await.unwrap(),
        "denied after the webhook"
    );

    let sub = samples::subscription(polar_customers::types::SubscriptionStatus::Active, 900);
    fake.add_subscription(id, &sub);
    settled(&fake).await;
    assert!(
        ent.has_active_subscription(id, sub.product_id)
            .await
            .unwrap()
    );
    fake.end_subscription(id, sub.id);
    settled(&fake).await;
    assert!(
        !ent.has_active_subscription(id, sub.product_id)
            .await
            .unwrap()
    );

    assert_eq!(state_calls(&fake), 1, "every change came by webhook");
    assert!(ent.stats().webhook_updates >= 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_customer_is_unknown_after_its_webhooks() {
    let fake = FakePolar::new();
    let server = fake.serve("127.0.0.1:0").await.unwrap();
    let client = over_loopback(&server, fake.token());
    let ent = Entitlements::new(client.clone(), fake.organization_id());
    let id = customer(&fake, "gone@polar.sh", "user_gone").await;
    wire_webhooks(&fake, ent.clone()).await;
    assert!(ent.state("user_gone").await.unwrap().is_some());
    client.customers().delete(id).await.unwrap();
    settled(&fake).await;
    assert!(ent.state("user_gone").await.unwrap().is_none());
    assert!(ent.state(id).await.unwrap().is_none());
    assert_eq!(state_calls(&fake), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_receiver_applies_each_delivery_once_acknowledges_ignored_ones_and_refuses_forgeries() {
    let fake = FakePolar::new();
    let ent = Entitlements::new(in_process(&fake), fake.organization_id());
    let id = customer(&fake, "receiver@polar.sh", "user_receiver").await;
    wire_webhooks(&fake, ent.clone()).await;
    let grant = samples::benefit_grant(BenefitType::Custom);
    fake.add_benefit_grant(id, &grant);
    settled(&fake).await;
    assert!(ent.has_benefit(id, grant.benefit_id).await.unwrap());
    let deliveries = fake.webhook_deliveries();
    assert!(
        deliveries
            .iter()
            .all(|d| d.attempt == 1 && d.status == Some(200)),
        "every delivery answered 200 at once: {deliveries:?}"
    );
    let updates = ent.stats().webhook_updates;
    assert_eq!(updates, 1, "the grant's customer.state_changed");

    // Polar sends the processed event again (a retry after a lost answer, or a redelivery):
    // acknowledged without reaching the cache a second time.
    let grant_event = &deliveries.last().unwrap().webhook_id;
    assert!(fake.redeliver_webhook(grant_event));
    settled(&fake).await;
    assert_eq!(last_status(&fake), Some(200));
    assert_eq!(ent.stats().webhook_updates, updates);

    // A state of another organization's customer: ignored by the cache, still a 2xx for Polar.
    let mut foreign = serde_json::to_value(current_state(&fake, id).await).unwrap();
    foreign["organization_id"] = OrganizationId::new_v4().to_string().into();
    foreign["granted_benefits"] = serde_json::json!([]);
    fake.send_webhook("customer.state_changed", &foreign, Tamper::None);
    settled(&fake).await;
    assert_eq!(last_status(&fake), Some(200));
    assert_eq!(ent.stats().events_ignored, 1);

    // A forged revocation: 401, and the cache keeps the grant.
    let mut revoked = serde_json::to_value(current_state(&fake, id).await).unwrap();
    revoked["granted_benefits"] = serde_json::json!([]);
    fake.send_webhook("customer.state_changed", &revoked, Tamper::WrongSignature);
    settled(&fake).await;
    assert_eq!(last_status(&fake), Some(401));
    assert!(ent.has_benefit(id, grant.benefit_id).await.unwrap());
    assert_eq!(ent.stats().webhook_updates, updates);
    assert_eq!(ent.stats().api_fetches, 0, "everything came by webhook");
}

fn last_status(fake: &FakePolar) -> Option<u16> {
    fake.webhook_deliveries().last().and_then(|d| d.status)
}

/// Three states of one customer, in the order Polar produced them.
async fn three_states(
    fake: &FakePolar,
) -> (
    CustomerId,
    [polar_customers::CustomerState; 3],
    [polar_customers::types::BenefitId; 2],
) {
    let id = customer(fake, "order@polar.sh", "user_order").await;
    let a = samples::benefit_grant(BenefitType::Custom);
    let b = samples::benefit_grant(BenefitType::Custom);
    fake.add_benefit_grant(id, &a);
    let s1 = current_state(fake, id).await; // a
    fake.add_benefit_grant(id, &b);
    let s2 = current_state(fake, id).await; // a, b
    fake.revoke_benefit_grant(id, a.id);
    let s3 = current_state(fake, id).await; // b
    (id, [s1, s2, s3], [a.benefit_id, b.benefit_id])
}

#[tokio::test]
async fn reordered_and_duplicated_events_never_roll_an_entry_back() {
    let fake = FakePolar::new();
    let (id, [s1, s2, s3], [a, b]) = three_states(&fake).await;
    let ent = Entitlements::new(in_process(&fake), fake.organization_id());
    let e1 = state_changed(&s1, seconds_ago(30));
    let e2 = state_changed(&s2, seconds_ago(20));
    let e3 = state_changed(&s3, seconds_ago(10));

    // The newest arrives first (another process was slow with the older ones).
    assert_eq!(ent.apply(&e3).await, Applied::Updated);
    assert_eq!(ent.apply(&e1).await, Applied::Refused);
    assert_eq!(ent.apply(&e2).await, Applied::Refused);
    // A retried delivery of the newest changes nothing: the same state is taken again.
    assert_eq!(ent.apply(&e3).await, Applied::Updated);
    assert!(!ent.has_benefit(id, a).await.unwrap());
    assert!(ent.has_benefit(id, b).await.unwrap());
    assert_eq!(ent.stats().stale_refused, 2);
    assert_eq!(ent.stats().api_fetches, 0, "served from the events alone");

    // Every order of the three ends on the newest.
    for order in [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ] {
        let ent = Entitlements::new(in_process(&fake), fake.organization_id());
        let events = [&e1, &e2, &e3];
        for i in order {
            ent.apply(events[i]).await;
            ent.apply(events[i]).await; // duplicated
        }
        let state = ent.state(id).await.unwrap().unwrap();
        assert_eq!(state.state(), &s3, "order {order:?}");
        assert_eq!(ent.stats().api_fetches, 0, "order {order:?}: no refetch");
    }
}

#[tokio::test]
async fn a_deletion_is_not_undone_by_an_older_state() {
    let fake = FakePolar::new();
    let (id, [s1, _, _], [a, _]) = three_states(&fake).await;
    let ent = Entitlements::new(in_process(&fake), fake.organization_id());
    let deleted = Event::CustomerDeleted {
        timestamp: seconds_ago(5),
        data: fake.customer(id).unwrap(),
    };
    assert_eq!(ent.apply(&deleted).await, Applied::Updated);
    assert_eq!(
        ent.apply(&state_changed(&s1, seconds_ago(50))).await,
        Applied::Refused
    );
    assert!(ent.state(id).await.unwrap().is_none());
    assert!(ent.state("user_order").await.unwrap().is_none());
    assert!(!ent.has_benefit(id, a).await.unwrap());
    assert_eq!(ent.stats().api_fetches, 0);
}

#[tokio::test]
async fn events_of_another_organization_are_ignored() {
    let fake = FakePolar::new();
    let (id, [s1, _, _], [a, _]) = three_states(&fake).await;
    // The handle belongs to another organization than the events.
    let (other_org, _) = fake.add_organization();
    let ent = Entitlements::new(in_process(&fake), other_org);
    assert_eq!(
        ent.apply(&state_changed(&s1, seconds_ago(1))).await,
        Applied::Ignored
    );
    let other = Event::Other {
        r#type: "order.paid".into(),
        timestamp: seconds_ago(1),
        data: serde_json::json!({}),
    };
    assert_eq!(ent.apply(&other).await, Applied::Ignored);
    assert_eq!(ent.stats().events_ignored, 2);
    // Nothing was cached: the next question asks Polar.
    let _ = ent.has_benefit(id, a).await.unwrap();
    assert_eq!(ent.stats().api_fetches, 1);
}

/// Wraps the fake so that a test can hold an answer after the fake produced it: the answer
/// is the state as it was, and it arrives when the test says.
fn held_client(fake: &FakePolar, gate: Arc<Notify>, read: Arc<Notify>) -> Client {
    let token = fake.token().to_owned();
    let fake = fake.clone();
    let service = tower::service_fn(move |req: http::Request<polar_customers::Body>| {
        let (mut fake, gate, read) = (fake.clone(), gate.clone(), read.clone());
        async move {
            let response = tower::Service::call(&mut fake, req).await?;
            read.notify_one();
            gate.notified().await;
            Ok::<_, polar_fake::FakeError>(response)
        }
    });
    Client::builder()
        .token(token)
        .disable_rate_limit()
        .build_with(service)
        .unwrap()
}

#[tokio::test]
async fn a_fetch_in_flight_loses_to_a_webhook_that_arrived_meanwhile() {
    let fake = FakePolar::new();
    let id = customer(&fake, "race@polar.sh", "user_race").await;
    let grant = samples::benefit_grant(BenefitType::FeatureFlag);
    let (gate, read) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let ent = Entitlements::new(
        held_client(&fake, gate.clone(), read.clone()),
        fake.organization_id(),
    );

    // The fetch reads the state without the grant, and is held on its way back.
    let check = tokio::spawn({
        let ent = ent.clone();
        async move { ent.has_benefit(id, grant.benefit_id).await }
    });
    read.notified().await;
    // Meanwhile the grant is made and its webhook applied.
    fake.add_benefit_grant(id, &grant);
    let state = current_state(&fake, id).await;
    assert_eq!(
        ent.apply(&state_changed(&state, jiff::Timestamp::now()))
            .await,
        Applied::Updated
    );
    gate.notify_one();

    assert!(
        check.await.unwrap().unwrap(),
        "the caller of the fetch gets the webhook's state"
    );
    assert!(
        ent.has_benefit(id, grant.benefit_id).await.unwrap(),
        "the entry was not rolled back"
    );
    assert_eq!(ent.stats().stale_refused, 1);
}

#[tokio::test]
async fn a_webhook_older_than_a_fetch_does_not_replace_it() {
    let fake = FakePolar::new();
    let (id, [s1, _, s3], [a, b]) = three_states(&fake).await;
    let ent = Entitlements::new(in_process(&fake), fake.organization_id());
    // The fetch sees the newest state (b only).
    assert!(ent.has_benefit(id, b).await.unwrap());
    // A delivery of an event emitted well before the fetch was sent arrives late.
    assert_eq!(
        ent.apply(&state_changed(&s1, seconds_ago(60))).await,
        Applied::Refused
    );
    assert!(!ent.has_benefit(id, a).await.unwrap());
    assert_eq!(ent.state(id).await.unwrap().unwrap().state(), &s3);
}

#[tokio::test]
async fn a_customer_kind_this_sdk_does_not_know_is_still_answered() {
    let fake = FakePolar::new();
    let (id, [_, s2, _], [a, b]) = three_states(&fake).await;
    let mut json = serde_json::to_value(&s2).unwrap();
    json["type"] = "household".into();
    let household: polar_customers::CustomerState = serde_json::from_value(json).unwrap();
    assert!(matches!(
        household,
        polar_customers::CustomerState::Unknown(_)
    ));
    let ent = Entitlements::new(in_process(&fake), fake.organization_id());
    assert_eq!(
        ent.apply(&state_changed(&household, seconds_ago(1))).await,
        Applied::Updated
    );
    assert!(ent.has_benefit(id, a).await.unwrap());
    assert!(ent.has_benefit("user_order", b).await.unwrap());
    assert_eq!(ent.stats().api_fetches, 0);
}
