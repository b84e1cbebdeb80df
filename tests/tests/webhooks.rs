//! Webhooks end to end: the served fake Polar delivers signed events over loopback HTTP to the
//! example receiver (`crates/polar-webhooks/examples/receiver.rs`, compiled here from the same
//! source), while a client changes customers through the SDK. Endpoints are signed with the
//! standard key by default and with the legacy key on request; a delivery Polar sends again is
//! processed once, also by a fleet of receivers sharing Redis.

#[path = "../../crates/polar-webhooks/examples/receiver.rs"]
#[allow(dead_code)]
mod receiver;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use polar_e2e::redis_server::RedisServer;
use polar_e2e::{Harness, Transport};
use polar_fake::{CUSTOMER_EVENTS, FakePolar, Tamper, WebhookEndpoint};
use polar_webhooks::dedup::{Dedup, MemoryDedup, RedisDedup};
use polar_webhooks::{Customer, Event, Scheme, Webhook};
use receiver::Received;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// Which kind of endpoint the fake signs for.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// Made today: a new-style secret, the standard key.
    Standard,
    /// Made before 2026-09-08: an old token, the legacy key.
    Legacy,
    /// A secret the merchant supplied: the legacy key.
    Supplied,
}

struct Setup {
    harness: Harness,
    received: mpsc::UnboundedReceiver<Received>,
    url: String,
    secret: String,
}

/// The served fake, and the example receiver (with its in-process deduplication) registered
/// for the customer events on an endpoint of `kind`.
async fn setup(kind: Kind) -> Setup {
    let harness = Harness::start(Transport::Served, FakePolar::new()).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}{}",
        listener.local_addr().unwrap(),
        receiver::PATH
    );
    let endpoint = WebhookEndpoint::new(&url, CUSTOMER_EVENTS).unwrap();
    let endpoint = match kind {
        Kind::Standard => endpoint,
        Kind::Legacy => endpoint.with_legacy_secret(),
        Kind::Supplied => endpoint
            .with_secret("whsec_supplied_by_the_merchant_0001")
            .unwrap(),
    };
    let secret = endpoint.secret().to_owned();
    let (tx, received) = mpsc::unbounded_channel();
    // The receiver is given the secret as the dashboard shows it, and nothing else.
    let webhook = Webhook::new(&secret).unwrap();
    let receiver = receiver::receiver(webhook, MemoryDedup::default(), tx);
    tokio::spawn(receiver::serve(listener, receiver));
    harness.fake.add_webhook_endpoint(endpoint);
    Setup {
        harness,
        received,
        url,
        secret,
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

async fn create_update_delete(kind: Kind) {
    let mut s = setup(kind).await;
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
        ],
        "{kind:?}"
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
    // Each event came once, on the first attempt, with Polar's headers, signed with the key of
    // the endpoint's kind.
    let (expected, other) = match kind {
        Kind::Standard => (Scheme::Standard, Scheme::Legacy),
        Kind::Legacy | Kind::Supplied => (Scheme::Legacy, Scheme::Standard),
    };
    let only = |scheme| Webhook::new(&s.secret).unwrap().scheme(scheme).ok();
    let deliveries = s.harness.fake.webhook_deliveries();
    assert_eq!(deliveries.len(), 6);
    for (d, r) in deliveries.iter().zip(&got) {
        assert!(d.succeeded() && d.attempt == 1, "{d:?}");
        assert_eq!(d.status, Some(200));
        assert_eq!(d.url, s.url);
        assert_eq!(d.webhook_id, r.webhook_id);
        assert_eq!(d.headers["user-agent"], "polar.sh webhooks");
        assert_eq!(d.headers["content-type"], "application/json");
        let signed = only(expected).unwrap().verify(&d.headers, &d.body);
        assert!(signed.is_ok(), "{kind:?}: {signed:?}");
        // Not with the other key (a supplied secret has none of the standard kind).
        if let Some(webhook) = only(other) {
            assert!(webhook.verify(&d.headers, &d.body).is_err(), "{kind:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_update_delete_reach_the_receiver_verified_and_in_order() {
    create_update_delete(Kind::Standard).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_legacy_endpoint_reaches_the_same_receiver_verified_and_in_order() {
    create_update_delete(Kind::Legacy).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_with_a_supplied_secret_reaches_the_same_receiver() {
    create_update_delete(Kind::Supplied).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_change_sends_the_state_the_receiver_acts_on() {
    let mut s = setup(Kind::Standard).await;
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
    for kind in [Kind::Standard, Kind::Legacy] {
        let mut s = setup(kind).await;
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
        assert_eq!(statuses, [Some(401), Some(401), Some(200)], "{kind:?}");
        let got = drain(&mut s.received);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].event.event_type(), "customer.state_changed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_sent_again_with_the_same_id_is_processed_once() {
    let mut s = setup(Kind::Standard).await;
    let customers = s.harness.client().customers();
    customers.create().email("once@polar.sh").await.unwrap();
    settled(&s.harness.fake).await;
    let first = drain(&mut s.received);
    assert_eq!(first.len(), 2);
    // Polar sends both events again (its "redeliver"); the receiver acknowledges each copy
    // without processing it a second time.
    for r in &first {
        assert!(s.harness.fake.redeliver_webhook(&r.webhook_id));
    }
    settled(&s.harness.fake).await;
    assert!(drain(&mut s.received).is_empty());
    let deliveries = s.harness.fake.webhook_deliveries();
    assert_eq!(deliveries.len(), 4);
    assert!(deliveries.iter().all(|d| d.status == Some(200)));
    assert_eq!(deliveries[2].webhook_id, first[0].webhook_id);
    assert_eq!(deliveries[3].webhook_id, first[1].webhook_id);
}

/// A load balancer on loopback sending each request to the next of `backends` in turn, as
/// one endpoint URL in front of a fleet.
async fn round_robin(backends: Vec<SocketAddr>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let next = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let (backends, next) = (backends.clone(), next.clone());
            tokio::spawn(async move {
                let service = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let backend = backends[next.fetch_add(1, Ordering::SeqCst) % backends.len()];
                    async move {
                        let (parts, body) = req.into_parts();
                        let body = body.collect().await.unwrap().to_bytes();
                        let stream = tokio::net::TcpStream::connect(backend).await.unwrap();
                        let (mut sender, conn) =
                            hyper::client::conn::http1::handshake(TokioIo::new(stream))
                                .await
                                .unwrap();
                        tokio::spawn(conn);
                        let req = http::Request::from_parts(parts, Full::new(body));
                        let res = sender.send_request(req).await.unwrap();
                        let (parts, body) = res.into_parts();
                        let body: Bytes = body.collect().await.unwrap().to_bytes();
                        Ok::<_, Infallible>(http::Response::from_parts(parts, Full::new(body)))
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// Two example receivers behind a round-robin balancer, each with the store `dedup()` gives
/// it; every event is redelivered once (so each copy reaches the other receiver). Returns how
/// many times the fleet processed each event.
async fn fleet_processing_counts(dedup: impl Fn() -> Arc<dyn Dedup>) -> Vec<usize> {
    let harness = Harness::start(Transport::Served, FakePolar::new()).await;
    let mut listeners = Vec::new();
    for _ in 0..2 {
        listeners.push(TcpListener::bind("127.0.0.1:0").await.unwrap());
    }
    let backends = listeners.iter().map(|l| l.local_addr().unwrap()).collect();
    let url = format!("http://{}{}", round_robin(backends).await, receiver::PATH);
    let endpoint = WebhookEndpoint::new(&url, CUSTOMER_EVENTS).unwrap();
    let (tx, mut received) = mpsc::unbounded_channel();
    for listener in listeners {
        let webhook = Webhook::new(endpoint.secret()).unwrap();
        let receiver = receiver::receiver(webhook, dedup(), tx.clone());
        tokio::spawn(receiver::serve(listener, receiver));
    }
    harness.fake.add_webhook_endpoint(endpoint);

    harness
        .client()
        .customers()
        .create()
        .email("fleet@polar.sh")
        .await
        .unwrap();
    settled(&harness.fake).await;
    let ids: Vec<String> = harness
        .fake
        .webhook_deliveries()
        .iter()
        .map(|d| d.webhook_id.clone())
        .collect();
    assert_eq!(ids.len(), 2);
    // The balancer sent the first event to one receiver and the second to the other; sent
    // again in the other order, each copy reaches the receiver that did not process it.
    for id in ids.iter().rev() {
        assert!(harness.fake.redeliver_webhook(id));
    }
    settled(&harness.fake).await;
    assert!(
        harness
            .fake
            .webhook_deliveries()
            .iter()
            .all(|d| d.status == Some(200))
    );
    let processed = drain(&mut received);
    ids.iter()
        .map(|id| processed.iter().filter(|r| &r.webhook_id == id).count())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_sharing_redis_processes_each_delivery_once() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let url = server.url();
    let shared = fleet_processing_counts(|| Arc::new(RedisDedup::new(&url).unwrap())).await;
    assert_eq!(shared, [1, 1]);
    // The control: each receiver with a memory of its own processes the copy it gets again.
    let apart = fleet_processing_counts(|| Arc::new(MemoryDedup::default())).await;
    assert_eq!(apart, [2, 2]);
}
