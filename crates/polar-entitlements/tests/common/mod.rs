//! What the entitlement tests share: clients of the fake, events built from its customers, and
//! the fake's webhooks wired to a `polar_webhooks::Receiver` on loopback that applies them.
#![allow(dead_code)]

use std::time::Duration;

use jiff::Timestamp;
use polar_customers::{Client, CustomerId, CustomerState};
use polar_entitlements::Entitlements;
use polar_fake::{CUSTOMER_EVENTS, FakePolar, Route, WebhookEndpoint};
use polar_webhooks::{Event, Receiver, Webhook};
use tokio::net::TcpListener;

/// A client of the fake as the innermost service of the full stack (no socket, no limiter).
pub fn in_process(fake: &FakePolar) -> Client {
    Client::builder()
        .token(fake.token())
        .disable_rate_limit()
        .build_with(fake.clone())
        .unwrap()
}

/// A client over loopback HTTP (the network transport), without a rate limit.
pub fn over_loopback(server: &polar_fake::ServeHandle, token: &str) -> Client {
    Client::builder()
        .token(token)
        .base_url(&server.url())
        .allow_http(true)
        .disable_rate_limit()
        .build()
        .unwrap()
}

/// `GET state` calls the fake answered, by ID and by external ID.
pub fn state_calls(fake: &FakePolar) -> u64 {
    let stats = fake.stats();
    stats.operation(Route::CustomersGetState) + stats.operation(Route::CustomersGetStateExternal)
}

/// A new customer (with `external_id`) created through a client of its own, so that the
/// handle under test has made no call yet.
pub async fn customer(fake: &FakePolar, email: &str, external_id: &str) -> CustomerId {
    in_process(fake)
        .customers()
        .create()
        .email(email)
        .external_id(external_id)
        .await
        .unwrap()
        .id()
}

/// The customer's state as Polar would send it now (read through a client of its own; the
/// call is counted at the fake).
pub async fn current_state(fake: &FakePolar, id: CustomerId) -> CustomerState {
    in_process(fake).customers().get_state(id).await.unwrap()
}

pub fn state_changed(state: &CustomerState, at: Timestamp) -> Event {
    Event::CustomerStateChanged {
        timestamp: at,
        data: state.clone(),
    }
}

pub fn seconds_ago(s: i64) -> Timestamp {
    Timestamp::now() - jiff::SignedDuration::from_secs(s)
}

/// Registers a webhook endpoint for the customer events with the fake (a new-style secret,
/// signed with the standard key, as Polar makes endpoints today) and serves it on loopback with
/// a `polar_webhooks::Receiver` whose handler is the handle itself (feature `receiver`).
pub async fn wire_webhooks(fake: &FakePolar, entitlements: Entitlements) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhooks/polar", listener.local_addr().unwrap());
    let endpoint = WebhookEndpoint::new(&url, CUSTOMER_EVENTS).unwrap();
    let receiver = Receiver::new(Webhook::new(endpoint.secret()).unwrap(), entitlements);
    let app = axum::Router::new().route_service("/webhooks/polar", receiver);
    tokio::spawn(async move { axum::serve(listener, app).await });
    fake.add_webhook_endpoint(endpoint);
}

/// Waits until the fake has delivered everything queued.
pub async fn settled(fake: &FakePolar) {
    tokio::time::timeout(Duration::from_secs(20), fake.webhooks_settled())
        .await
        .expect("the fake delivered every webhook within 20 s");
}
