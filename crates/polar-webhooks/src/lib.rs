//! Verify and decode the webhooks Polar sends, receive them with a ready service, and sign
//! deliveries for your own tests.
//!
//! Polar signs each delivery with the [Standard Webhooks](https://www.standardwebhooks.com/)
//! scheme: three headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`) and an
//! HMAC-SHA256 of `{id}.{timestamp}.{body}`. The HMAC key comes from the endpoint's secret in one
//! of two ways, depending on when the secret was made ([`Scheme`]); [`Webhook`] accepts either,
//! checks the time (five minutes either way by default) and decodes the body into an [`Event`]:
//! the four customer events typed, every other event kept as JSON.
//!
//! ```
//! use polar_webhooks::{Event, Scheme, Signer, Webhook};
//!
//! // The endpoint's secret, as Polar's dashboard shows it.
//! let secret = polar_webhooks::generate_secret()?;
//! let webhook = Webhook::new(&secret)?;
//!
//! // What Polar would send (in a test, signed with the same secret's standard key).
//! let body = br#"{"type":"order.paid","timestamp":"2026-11-29T10:00:00Z","data":{"id":"o_1"}}"#;
//! let ts = jiff::Timestamp::now().as_second();
//! let mut headers = http::HeaderMap::new();
//! headers.insert("webhook-id", "msg_1".parse().unwrap());
//! headers.insert("webhook-timestamp", ts.to_string().parse().unwrap());
//! let signature = Signer::new(&secret, Scheme::Standard)?.sign("msg_1", ts, body);
//! headers.insert("webhook-signature", signature.parse().unwrap());
//!
//! match webhook.verify(&headers, body)? {
//!     Event::CustomerStateChanged { data, .. } => println!("sync {:?}", data.id()),
//!     other => assert_eq!(other.event_type(), "order.paid"),
//! }
//! # Ok::<(), polar_webhooks::Error>(())
//! ```
//!
//! # Receiving
//!
//! With the `receiver` feature, `Receiver` is a ready `tower::Service` for axum, hyper or any
//! tower server: it reads the body (with a size cap), verifies, decodes, skips deliveries already
//! processed ([`dedup`]), calls your `Handler` and answers each outcome with the status Polar
//! should see. With the `redis` feature, `dedup::RedisDedup` shares the deduplication across a
//! fleet of receivers. See `docs/webhooks.md` for the whole story.
#![deny(missing_docs)]

pub mod dedup;
mod error;
mod event;
mod keys;
#[cfg(feature = "receiver")]
mod receiver;
mod signer;
mod webhook;

pub use error::Error;
pub use event::Event;
pub use keys::{SECRET_KEY_BYTES, Scheme, generate_secret};
#[cfg(feature = "receiver")]
pub use receiver::{BoxError, DEFAULT_MAX_BODY, Handler, HandlerFuture, Receiver, ResponseFuture};
pub use signer::Signer;
pub use webhook::{
    DEFAULT_TOLERANCE, Delivery, WEBHOOK_ID, WEBHOOK_SIGNATURE, WEBHOOK_TIMESTAMP, Webhook,
};

/// The customer types of the events' payloads, re-exported so that one dependency is enough.
pub use polar_types::{Customer, CustomerState};
