//! A webhook receiver on hyper, built on `polar_webhooks::Receiver`: it verifies each delivery
//! (under either of Polar's keys), processes each `webhook-id` once, and acts on
//! `customer.state_changed` (here: works out what the customer may use, and says so).
//!
//! ```sh
//! POLAR_WEBHOOK_SECRET=whsec_... PORT=8000 cargo run -p polar-webhooks --example receiver
//! # several receivers behind one endpoint: share the deduplication through Redis
//! REDIS_URL=redis://127.0.0.1:6379 POLAR_WEBHOOK_SECRET=whsec_... cargo run -p polar-webhooks --example receiver
//! ```
//!
//! Point a Polar webhook endpoint (or the fake's, see `docs/webhooks.md`) at
//! `http://<host>:8000/webhooks/polar`. The end-to-end tests in `tests/tests/webhooks.rs` run
//! this same file against the fake Polar.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use polar_webhooks::dedup::{Dedup, MemoryDedup, RedisDedup};
use polar_webhooks::{CustomerState, Delivery, Event, Receiver, Webhook};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// The path deliveries are POSTed to.
pub const PATH: &str = "/webhooks/polar";

/// What the receiver did with one delivery it processed.
#[derive(Debug)]
pub struct Received {
    /// The `webhook-id` header.
    pub webhook_id: String,
    /// The decoded event.
    pub event: Event,
    /// What the receiver did about it.
    pub action: String,
}

/// The receiver: verifies with `webhook`, deduplicates with `dedup`, acts on each event and
/// reports what it did on `received` (for the caller to watch; `main` prints it).
pub fn receiver(
    webhook: Webhook,
    dedup: impl Dedup,
    received: mpsc::UnboundedSender<Received>,
) -> Receiver {
    Receiver::new(webhook, move |delivery: Delivery| {
        let received = received.clone();
        async move {
            let action = act(&delivery.event);
            // Slow work belongs in a queue: Polar waits 10 s for the answer.
            let _ = received.send(Received {
                webhook_id: delivery.webhook_id,
                event: delivery.event,
                action,
            });
            Ok::<(), Infallible>(())
        }
    })
    .dedup(dedup)
}

/// What this receiver does with each event; events it does not act on are acknowledged all
/// the same (a refusal would only make Polar retry them).
fn act(event: &Event) -> String {
    match event {
        Event::CustomerStateChanged { data, .. } => entitlements(data),
        Event::CustomerCreated { data, .. } => format!("welcome {}", show(data.email())),
        Event::CustomerDeleted { data, .. } => {
            format!("close account {}", show(data.external_id()))
        }
        other => format!("ignored {}", other.event_type()),
    }
}

/// Accepts connections on `listener` until the task is dropped, sending `POST /webhooks/polar`
/// to `receiver` and answering 404 elsewhere.
pub async fn serve(listener: TcpListener, receiver: Receiver) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let receiver = receiver.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: Request<Incoming>| {
                let receiver = receiver.clone();
                async move {
                    if req.uri().path() != PATH {
                        let mut res = Response::new(Full::new(Bytes::from_static(b"not found")));
                        *res.status_mut() = StatusCode::NOT_FOUND;
                        return Ok::<_, Infallible>(res);
                    }
                    Ok(receiver.receive(req).await)
                }
            });
            // A receiver outlives bad clients: connection errors only end that connection.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Acting on `customer.state_changed`: the state carries everything needed to grant or revoke
/// access in one place (active subscriptions, granted benefits, meters).
pub fn entitlements(state: &CustomerState) -> String {
    let (subscriptions, benefits, deleted) = match state {
        CustomerState::Individual(s) => {
            (&s.active_subscriptions, &s.granted_benefits, s.deleted_at)
        }
        CustomerState::Team(s) => (&s.active_subscriptions, &s.granted_benefits, s.deleted_at),
        _ => {
            return format!(
                "customer {}: a kind of state this receiver does not know",
                state.id()
            );
        }
    };
    if deleted.is_some() {
        return format!("customer {}: deleted, revoke everything", state.id());
    }
    let products: Vec<String> = subscriptions
        .iter()
        .map(|s| s.product_id.to_string())
        .collect();
    let benefits: Vec<&str> = benefits.iter().map(|b| b.benefit_type.as_str()).collect();
    format!(
        "customer {}: {} active subscription(s) [{}], benefits [{}]",
        state.id(),
        subscriptions.len(),
        products.join(", "),
        benefits.join(", ")
    )
}

fn show(value: Option<&str>) -> &str {
    value.unwrap_or("-")
}

/// Ends the process with a message (for a bad setting at start-up).
fn fail(message: impl std::fmt::Display) -> ! {
    eprintln!("{message}");
    std::process::exit(2)
}

#[allow(dead_code)] // `main` is not used when a test includes this file
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let secret = std::env::var("POLAR_WEBHOOK_SECRET")
        .unwrap_or_else(|_| fail("set POLAR_WEBHOOK_SECRET to the endpoint's secret (whsec_...)"));
    let webhook = Webhook::new(secret).unwrap_or_else(|e| fail(e));
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8000);
    let listener = TcpListener::bind(SocketAddr::from(([0, 0, 0, 0], port)))
        .await
        .unwrap_or_else(|e| fail(format!("cannot listen on port {port}: {e}")));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let receiver = match std::env::var("REDIS_URL") {
        Ok(url) => receiver(
            webhook,
            RedisDedup::new(&url).unwrap_or_else(|e| fail(e)),
            tx,
        ),
        Err(_) => receiver(webhook, MemoryDedup::default(), tx),
    };
    println!("listening on http://0.0.0.0:{port}{PATH}");
    tokio::spawn(serve(listener, receiver));
    while let Some(received) = rx.recv().await {
        println!(
            "{} {}: {}",
            received.webhook_id,
            received.event.event_type(),
            received.action
        );
    }
}
