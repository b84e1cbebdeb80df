//! Webhooks end to end: the served fake Polar delivers signed events over loopback HTTP to the
//! example receiver (`crates/polar-webhooks/examples/receiver.rs`, compiled here from the same
//! source), while a client changes customers through the SDK.

#[path = "../../crates/polar-webhooks/examples/receiver.rs"]
#[allow(dead_code)]
mod receiver;

use std::time::Duration;

use polar_e2e::{Harness, Transport};
use polar_fake::{CUSTOMER_EVENTS, FakePolar, Tamper, WebhookEndpoint};
use polar_webhooks::{Customer, Event, Webhook};
use receiver::Received;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

struct Setup {
    harness: Harness,
    received: mpsc::UnboundedReceiver<Received>,
    url: String,
    _receiver: tokio::task::JoinHandle<()>,
}

async fn setup() -> Setup {
    let harness = Harness::start(Transport::Served, FakePolar::new()).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhooks/polar", listener.local_addr().unwrap());
    let (tx, received) = mpsc::unbounded_channel();
    let endpoint = WebhookEndpoint::new(&url, CUSTOMER_EVENTS).unwrap();
    let webhook = Webhook::new(endpoint.secret()).unwrap();
    let receiver = tokio::spawn(receiver::serve(listener, webhook, tx));
    harness.fake.add_webhook_endpoint(endpoint);
    Setup {
        harness,
        received,
        url,
        _receiver: receiver,
    }
}

async fn settled(fake: &FakePolar) {
    tokio::time::timeout(Duration::from_secs(20), fake.webhooks_settled())
        .await
        .expect("the fake delivered every webhook within 20 s");
}

fn drain(rx: &mut mpsc::UnboundedReceiver<Received>) -> Vec<Received> {
    let mut out = Vec::new();
    while let Ok(r) = rx.try_recv() {
        out.push(r);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_update_delete_reach_the_receiver_verified_and_in_order() {
    let mut s = setup().await;
    let customers = s.harness.client().customers();
    let ada = customers
        .create()
        .email("ada@polar.sh")
        .name("Ada Lovelace")
        .external_id("user_42")
        .await
        .unwrap();
    let id = ada.id();
    customers.update(id).name("Ada King").await.unwrap();
    customers.delete(id).await.unwrap();
    settled(&s.harness.fake).await;

    let got = drain(&mut s.received);
    let types: Vec<&str> = got.iter().map(|r| r.event.event_type()).collect();
    assert_eq!(
        types,
        [
            "customer.created",
            "customer.state_changed",
            "customer.updated",
            "customer.state_changed",
            "customer.deleted",
            "customer.state_changed",
        ]
    );
    match &got[0].event {
        Event::CustomerCreated { data, .. } => assert_eq!(data, &ada),
        other => panic!("{other:?}"),
    }
    match &got[2].event {
        Event::CustomerUpdated {
            data: Customer::Individual(c),
            ..
        } => assert_eq!(c.name.as_deref(), Some("Ada King")),
        other => panic!("{other:?}"),
    }
    match &got[4].event {
        Event::CustomerDeleted { data, .. } => {
            // Polar frees the external id on delete (kept in metadata as `__external_id`), and
            // the deleted customer's `external_id` reads that saved value (FACTS.md, Delete).
            assert_eq!(data.external_id(), Some("user_42"));
            assert!(matches!(data, Customer::Individual(c) if c.deleted_at.is_some()));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        got[1].action.contains("0 active subscription(s)"),
        "{}",
        got[1].action
    );
    assert!(
        got[5].action.contains("deleted, revoke everything"),
        "{}",
        got[5].action
    );
    // Each event came once, on the first attempt, with Polar's headers.
    let deliveries = s.harness.fake.webhook_deliveries();
    assert_eq!(deliveries.len(), 6);
    for (d, r) in deliveries.iter().zip(&got) {
        assert!(d.succeeded() && d.attempt == 1, "{d:?}");
        assert_eq!(d.status, Some(202));
        assert_eq!(d.url, s.url);
        assert_eq!(d.webhook_id, r.webhook_id);
        assert_eq!(d.headers["user-agent"], "polar.sh webhooks");
        assert_eq!(d.headers["content-type"], "application/json");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_change_sends_the_state_the_receiver_acts_on() {
    let mut s = setup().await;
    let customers = s.harness.client().customers();
    let c = customers.create().email("grace@polar.sh").await.unwrap();
    let id = c.id();
    settled(&s.harness.fake).await;
    drain(&mut s.received);

    let sub = polar_fake::samples::subscription(polar_types::SubscriptionStatus::Active, 1500);
    assert!(s.harness.fake.add_subscription(id, &sub));
    settled(&s.harness.fake).await;
    let got = drain(&mut s.received);
    assert_eq!(got.len(), 1);
    match &got[0].event {
        Event::CustomerStateChanged { data, .. } => {
            assert_eq!(data, &customers.get_state(id).await.unwrap());
        }
        other => panic!("{other:?}"),
    }
    assert!(
        got[0].action.contains("1 active subscription(s)")
            && got[0].action.contains(&sub.product_id.to_string()),
        "{}",
        got[0].action
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_receiver_refuses_a_wrong_signature_and_a_stale_timestamp() {
    let mut s = setup().await;
    let data = serde_json::json!({
        "id": "0b6a3c52-1d2e-4f5a-8b9c-0d1e2f3a4b5c",
        "type": "household",
        "organization_id": "1dbfc517-0bbf-4301-9ba8-555ca42b9737",
        "metadata": {}
    });
    let fake = &s.harness.fake;
    fake.send_webhook("customer.updated", &data, Tamper::WrongSignature);
    fake.send_webhook(
        "customer.updated",
        &data,
        Tamper::StaleTimestamp(Duration::from_secs(6 * 60)),
    );
    fake.send_webhook("customer.state_changed", &data, Tamper::None);
    settled(fake).await;
    let deliveries = fake.webhook_deliveries();
    let statuses: Vec<Option<u16>> = deliveries.iter().map(|d| d.status).collect();
    // Spoilt events are sent once; the honest one is accepted (its data is an unknown-kind
    // state: still a `customer.state_changed`).
    assert_eq!(statuses, [Some(401), Some(401), Some(202)]);
    let got = drain(&mut s.received);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].event.event_type(), "customer.state_changed");
}
