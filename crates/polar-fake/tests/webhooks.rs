//! The fake's webhook deliveries, seen from a receiver on loopback: signed like Polar's,
//! retried with backoff on failure, in order per endpoint.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use polar_fake::{CUSTOMER_EVENTS, FakePolar, Tamper, WebhookEndpoint};
use polar_webhooks::{Event, Webhook};
use serde_json::json;
use tokio::net::TcpListener;

const SECRET: &str = "whsec_fake_test";

/// What the receiver saw: (webhook-id, event type or the verification error, status answered).
type Seen = Arc<Mutex<Vec<(String, String, u16)>>>;

/// A receiver that verifies each request and answers the next scripted status (200 when the
/// script is empty).
async fn receiver(script: Vec<u16>) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let script = Arc::new(Mutex::new(VecDeque::from(script)));
    let webhook = Webhook::new(SECRET).unwrap();
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let (webhook, log, script) = (webhook.clone(), log.clone(), script.clone());
            tokio::spawn(async move {
                let service = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let (webhook, log, script) = (webhook.clone(), log.clone(), script.clone());
                    async move {
                        let (parts, body) = req.into_parts();
                        let body = body.collect().await.unwrap().to_bytes();
                        let id = parts.headers["webhook-id"].to_str().unwrap().to_owned();
                        let (what, mut status) = match webhook.verify(&parts.headers, &body) {
                            Ok(e) => (e.event_type().to_owned(), 200),
                            Err(e) => (format!("refused: {e}"), 401),
                        };
                        if status == 200 {
                            status = script.lock().unwrap().pop_front().unwrap_or(200);
                        }
                        log.lock().unwrap().push((id, what, status));
                        let mut res = http::Response::new(Full::new(Bytes::new()));
                        *res.status_mut() = http::StatusCode::from_u16(status).unwrap();
                        Ok::<_, Infallible>(res)
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (url, seen)
}

async fn settled(fake: &FakePolar) {
    tokio::time::timeout(Duration::from_secs(20), fake.webhooks_settled())
        .await
        .expect("deliveries settle");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_retried_with_the_same_id_and_later_events_wait() {
    // The first event fails twice (a 500, then a 429) before it is accepted.
    let (url, seen) = receiver(vec![500, 429]).await;
    let fake = FakePolar::new();
    let endpoint = WebhookEndpoint::new(&url, SECRET, CUSTOMER_EVENTS)
        .unwrap()
        .retries(10, Duration::from_millis(5));
    fake.add_webhook_endpoint(endpoint);
    fake.send_webhook("customer.updated", &json!({"id": "a"}), Tamper::None);
    fake.send_webhook("customer.deleted", &json!({"id": "b"}), Tamper::None);
    settled(&fake).await;

    let seen = seen.lock().unwrap().clone();
    let statuses: Vec<u16> = seen.iter().map(|s| s.2).collect();
    assert_eq!(statuses, [500, 429, 200, 200]);
    // The three attempts of the first event carry one id; the second event came after.
    assert_eq!(seen[0].0, seen[1].0);
    assert_eq!(seen[1].0, seen[2].0);
    assert_ne!(seen[2].0, seen[3].0);
    assert_eq!(seen[3].1, "customer.deleted");
    let deliveries = fake.webhook_deliveries();
    let attempts: Vec<(u32, bool)> = deliveries
        .iter()
        .map(|d| (d.attempt, d.succeeded()))
        .collect();
    assert_eq!(attempts, [(1, false), (2, false), (3, true), (1, true)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_that_never_accepts_is_given_up_after_its_attempts() {
    let (url, seen) = receiver(vec![503; 10]).await;
    let fake = FakePolar::new();
    let endpoint = WebhookEndpoint::new(&url, SECRET, ["customer.updated"])
        .unwrap()
        .retries(3, Duration::from_millis(1));
    fake.add_webhook_endpoint(endpoint);
    fake.send_webhook("customer.updated", &json!({}), Tamper::None);
    // Not subscribed: never sent.
    fake.send_webhook("customer.deleted", &json!({}), Tamper::None);
    settled(&fake).await;
    assert_eq!(seen.lock().unwrap().len(), 3);
    assert!(
        fake.webhook_deliveries()
            .iter()
            .all(|d| d.status == Some(503))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_endpoint_is_recorded_not_fatal() {
    // A port nobody listens on (bound, then closed).
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let fake = FakePolar::new();
    let endpoint = WebhookEndpoint::new(&format!("http://{addr}/"), SECRET, CUSTOMER_EVENTS)
        .unwrap()
        .retries(2, Duration::from_millis(1));
    fake.add_webhook_endpoint(endpoint);
    fake.send_webhook("customer.created", &json!({}), Tamper::None);
    settled(&fake).await;
    let deliveries = fake.webhook_deliveries();
    assert_eq!(deliveries.len(), 2);
    assert!(
        deliveries[0]
            .error
            .as_deref()
            .unwrap()
            .contains("cannot connect")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_body_and_headers_are_polars() {
    let (url, _seen) = receiver(vec![]).await;
    let fake = FakePolar::new();
    fake.add_webhook_endpoint(WebhookEndpoint::new(&url, SECRET, CUSTOMER_EVENTS).unwrap());
    let data = json!({"id": "x", "n": 1});
    fake.send_webhook("customer.state_changed", &data, Tamper::None);
    settled(&fake).await;
    let d = &fake.webhook_deliveries()[0];
    let body = std::str::from_utf8(&d.body).unwrap();
    assert!(
        body.starts_with(r#"{"type":"customer.state_changed","timestamp":""#),
        "{body}"
    );
    assert!(body.ends_with(r#","data":{"id":"x","n":1}}"#), "{body}");
    let ts: i64 = d.headers["webhook-timestamp"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let sig = d.headers["webhook-signature"].to_str().unwrap();
    let webhook = Webhook::new(SECRET).unwrap();
    assert_eq!(sig, webhook.sign(&d.webhook_id, ts, &d.body));
    match webhook.verify(&d.headers, &d.body).unwrap() {
        Event::CustomerStateChanged { .. } => {}
        other => panic!("{other:?}"),
    }
    assert!(WebhookEndpoint::new("https://example.com/", SECRET, CUSTOMER_EVENTS).is_err());
    assert!(WebhookEndpoint::new(&url, "", CUSTOMER_EVENTS).is_err());
    let shown = format!(
        "{:?}",
        WebhookEndpoint::new(&url, SECRET, CUSTOMER_EVENTS).unwrap()
    );
    assert!(!shown.contains(SECRET), "{shown}");
}
