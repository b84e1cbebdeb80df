//! What became of one request, and the answer Polar gets for it.
//!
//! Polar counts any 2xx as delivered; anything else (and no answer within 10 s) is retried with
//! a growing delay, up to 10 attempts in all, after which the event counts as failed; an endpoint
//! whose 10 latest events all failed is disabled (`server/polar/webhook/tasks.py`,
//! `_webhook_event_send`; `service.py`, `on_event_failed`). So every outcome that is not the
//! receiver's to fix on a retry still gets a non-2xx (the event stays visible as failed, and can
//! be redelivered once fixed), and only outcomes where the event is handled, or deliberately
//! ignored, get a 2xx.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;

use crate::Error;

/// One outcome per row of the status table in `docs/webhooks.md`.
pub(super) enum Outcome {
    /// The handler succeeded.
    Processed,
    /// A copy of this delivery was processed before.
    AlreadyProcessed,
    /// Another copy is being processed right now.
    InProgress,
    /// Not a `POST`.
    MethodNotAllowed,
    /// The body is larger than the receiver's cap.
    TooLarge(usize),
    /// The body could not be read to its end (the sender went away).
    Unreadable,
    /// The signature, headers or time do not verify.
    Refused(Error),
    /// Verified, but the body is not an event.
    NotAnEvent(Error),
    /// The handler failed (or panicked).
    HandlerFailed,
    /// The deduplication store did not answer.
    StoreFailed,
}

impl Outcome {
    fn status(&self) -> StatusCode {
        match self {
            Outcome::Processed | Outcome::AlreadyProcessed => StatusCode::OK,
            Outcome::InProgress => StatusCode::CONFLICT,
            Outcome::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Outcome::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Outcome::Unreadable | Outcome::NotAnEvent(_) => StatusCode::BAD_REQUEST,
            Outcome::Refused(_) => StatusCode::UNAUTHORIZED,
            Outcome::HandlerFailed => StatusCode::INTERNAL_SERVER_ERROR,
            Outcome::StoreFailed => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The body: a short line that shows in Polar's delivery log. The verification errors
    /// hold no secret; the handler's and the store's errors stay in your logs.
    fn text(&self) -> String {
        match self {
            Outcome::Processed => "processed".into(),
            Outcome::AlreadyProcessed => "already processed".into(),
            Outcome::InProgress => "this delivery is being processed; retry later".into(),
            Outcome::MethodNotAllowed => "webhook deliveries are POST requests".into(),
            Outcome::TooLarge(max) => format!("the body is larger than {max} bytes"),
            Outcome::Unreadable => "the body could not be read".into(),
            Outcome::Refused(e) | Outcome::NotAnEvent(e) => e.to_string(),
            Outcome::HandlerFailed => "processing failed; retry later".into(),
            Outcome::StoreFailed => "the deduplication store is unavailable; retry later".into(),
        }
    }

    pub(super) fn into_response(self) -> Response<Full<Bytes>> {
        let mut res = Response::new(Full::new(Bytes::from(self.text())));
        *res.status_mut() = self.status();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        if matches!(self, Outcome::MethodNotAllowed) {
            res.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
        }
        res
    }
}
