//! Verify and decode the webhooks Polar sends, and sign deliveries for your own tests.
//!
//! Polar signs each delivery with the [Standard Webhooks](https://www.standardwebhooks.com/)
//! scheme: three headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`) and an
//! HMAC-SHA256 of `{id}.{timestamp}.{body}` keyed by the endpoint's secret. [`Webhook::verify`]
//! checks all of it (within a time tolerance, five minutes by default) and decodes the body
//! into an [`Event`]: the four customer events typed, every other event kept as JSON.
//!
//! ```
//! use polar_webhooks::{Event, Webhook};
//!
//! let webhook = Webhook::new("whsec_test_secret")?;
//!
//! // What Polar would send (in a test, signed by the same secret).
//! let body = br#"{"type":"order.paid","timestamp":"2026-11-29T10:00:00Z","data":{"id":"o_1"}}"#;
//! let now = std::time::SystemTime::now();
//! let ts = now.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
//! let mut headers = http::HeaderMap::new();
//! headers.insert("webhook-id", "msg_1".parse().unwrap());
//! headers.insert("webhook-timestamp", ts.to_string().parse().unwrap());
//! headers.insert("webhook-signature", webhook.sign("msg_1", ts, body).parse().unwrap());
//!
//! match webhook.verify(&headers, body)? {
//!     Event::CustomerStateChanged { data, .. } => println!("sync {:?}", data.id()),
//!     other => assert_eq!(other.event_type(), "order.paid"),
//! }
//! # Ok::<(), polar_webhooks::Error>(())
//! ```
#![deny(missing_docs)]

mod error;
mod event;
mod webhook;

pub use error::Error;
pub use event::Event;
pub use webhook::{DEFAULT_TOLERANCE, WEBHOOK_ID, WEBHOOK_SIGNATURE, WEBHOOK_TIMESTAMP, Webhook};

/// The customer types of the events' payloads, re-exported so that one dependency is enough.
pub use polar_types::{Customer, CustomerState};
