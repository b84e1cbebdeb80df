//! A webhook receiver on hyper: it verifies each delivery, decodes it and acts on
//! `customer.state_changed` (here: works out what the customer may use, and says so).
//!
//! ```sh
//! POLAR_WEBHOOK_SECRET=whsec_... PORT=8000 cargo run -p polar-webhooks --example receiver
//! ```
//!
//! Point a Polar webhook endpoint (or the fake's, see `docs/webhooks.md`) at
//! `http://<host>:8000/webhooks/polar`. The end-to-end test in `tests/tests/webhooks.rs` runs this
//! same file against the fake Polar.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use polar_webhooks::{CustomerState, Error, Event, Webhook};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// Bodies larger than this are refused before verification (Polar's are a few KB).
const MAX_BODY: usize = 1 << 20;

/// What a verified event is, one per delivery, in arrival order.
#[derive(Debug)]
pub struct Received {
    /// The `webhook-id` header.
    pub webhook_id: String,
    /// The decoded event.
    pub event: Event,
    /// What the receiver did about it.
    pub action: String,
}

/// Accepts connections on `listener` until the task is dropped; every verified event is also
/// sent to `received` (for the caller to watch; the example's `main` prints them).
pub async fn serve(
    listener: TcpListener,
    webhook: Webhook,
    received: mpsc::UnboundedSender<Received>,
) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let (webhook, received) = (webhook.clone(), received.clone());
        tokio::spawn(async move {
            let service = service_fn(move |req| handle(req, webhook.clone(), received.clone()));
            // A receiver outlives bad clients: connection errors only end that connection.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle(
    req: Request<Incoming>,
    webhook: Webhook,
    received: mpsc::UnboundedSender<Received>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.method() != Method::POST || req.uri().path() != "/webhooks/polar" {
        return Ok(answer(StatusCode::NOT_FOUND, "POST /webhooks/polar"));
    }
    let (parts, body) = req.into_parts();
    // Verify the bytes exactly as they came: re-encoded JSON would not match the signature.
    let Ok(body) = Limited::new(body, MAX_BODY).collect().await else {
        return Ok(answer(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body too large or cut",
        ));
    };
    let body = body.to_bytes();
    let event = match webhook.verify(&parts.headers, &body) {
        Ok(event) => event,
        // Not from Polar (or replayed): refuse without saying more.
        Err(
            e @ (Error::MissingHeader(_)
            | Error::HeaderNotText(_)
            | Error::MalformedTimestamp
            | Error::MalformedSignature
            | Error::NoMatchingSignature
            | Error::TimestampOutsideTolerance { .. }),
        ) => {
            eprintln!("refused a delivery: {e}");
            return Ok(answer(StatusCode::UNAUTHORIZED, "invalid signature"));
        }
        // From Polar but not understood: answering 4xx makes Polar retry, then give up.
        Err(e) => {
            eprintln!("a signed delivery we cannot read: {e}");
            return Ok(answer(StatusCode::BAD_REQUEST, "not an event"));
        }
    };
    let action = match &event {
        Event::CustomerStateChanged { data, .. } => entitlements(data),
        Event::CustomerCreated { data, .. } => format!("welcome {}", show(data.email())),
        Event::CustomerDeleted { data, .. } => {
            format!("close account {}", show(data.external_id()))
        }
        other => format!("ignored {}", other.event_type()),
    };
    let webhook_id = parts
        .headers
        .get(polar_webhooks::WEBHOOK_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let _ = received.send(Received {
        webhook_id,
        event,
        action,
    });
    // Answer quickly; slow work belongs in a queue (Polar gives up after 10 s).
    Ok(answer(StatusCode::ACCEPTED, ""))
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
                show_id(state)
            );
        }
    };
    if deleted.is_some() {
        return format!("customer {}: deleted, revoke everything", show_id(state));
    }
    let products: Vec<String> = subscriptions
        .iter()
        .map(|s| s.product_id.to_string())
        .collect();
    let benefits: Vec<&str> = benefits.iter().map(|b| b.benefit_type.as_str()).collect();
    format!(
        "customer {}: {} active subscription(s) [{}], benefits [{}]",
        show_id(state),
        subscriptions.len(),
        products.join(", "),
        benefits.join(", ")
    )
}

fn show(value: Option<&str>) -> &str {
    value.unwrap_or("-")
}

fn show_id(state: &CustomerState) -> String {
    state
        .id()
        .map_or_else(|| "-".to_owned(), |id| id.to_string())
}

fn answer(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *res.status_mut() = status;
    res
}

#[allow(dead_code)] // `main` is not used when a test includes this file
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let Ok(secret) = std::env::var("POLAR_WEBHOOK_SECRET") else {
        eprintln!("set POLAR_WEBHOOK_SECRET to the endpoint's secret (whsec_...)");
        std::process::exit(2);
    };
    let webhook = match Webhook::new(secret) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8000);
    let listener = match TcpListener::bind(SocketAddr::from(([0, 0, 0, 0], port))).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on port {port}: {e}");
            std::process::exit(1);
        }
    };
    println!("listening on http://0.0.0.0:{port}/webhooks/polar");
    let (tx, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(serve(listener, webhook, tx));
    while let Some(received) = rx.recv().await {
        println!(
            "{} {}: {}",
            received.webhook_id,
            received.event.event_type(),
            received.action
        );
    }
}
