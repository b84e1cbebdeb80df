//! Webhook deliveries: endpoints registered on the fake receive signed events over real HTTP.
//!
//! What Polar does, and the fake copies (server/polar/webhook/tasks.py, service.py and
//! server/polar/customer/service.py, repository.py):
//! - `customer.created`, `customer.updated` and `customer.deleted` carry the customer, and each is
//!   followed by `customer.state_changed` carrying the customer's state; a change to the state
//!   alone (a subscription, benefit grant or meter) sends `customer.state_changed`.
//! - The body is `{"type", "timestamp", "data"}`; the headers are `webhook-id` (the event's id,
//!   the same on every attempt and redelivery), `webhook-timestamp` (the attempt's time, Unix
//!   seconds), `webhook-signature` (Standard Webhooks HMAC-SHA256, under the endpoint's standard
//!   or legacy key, see [`WebhookEndpoint`]), `content-type: application/json` and
//!   `user-agent: polar.sh webhooks`.
//! - Events reach one endpoint in order: a later event waits until the earlier ones are
//!   delivered or given up. A non-2xx answer, a refused connection or a 10 s timeout is retried
//!   with exponential backoff, up to 10 attempts in all.
//! - An event can be sent again with its id ([`FakePolar::redeliver_webhook`], Polar's
//!   "redeliver": `webhook/service.py`, `redeliver_event`), re-signed at the new attempt's time.
//!
//! Backoff is shorter than Polar's (which starts at 2 s) so that tests stay fast; it is
//! configurable per endpoint.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Uri, header};
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use polar_webhooks::Signer;
use serde_json::Value;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::sync::lock;

mod endpoint;

pub use endpoint::{WebhookEndpoint, WebhookEndpointError};

/// The four customer event types.
pub const CUSTOMER_EVENTS: [&str; 4] = [
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "customer.state_changed",
];

/// How long Polar waits for the receiver's answer.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// How [`FakePolar::send_webhook`](crate::FakePolar::send_webhook) spoils an event, for testing that a receiver refuses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Tamper {
    /// Sent as Polar would.
    None,
    /// Signed with another secret (the same scheme's key of it).
    WrongSignature,
    /// Signed properly, with a `webhook-timestamp` this long in the past.
    StaleTimestamp(Duration),
}

/// One delivery attempt, as the fake made it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct WebhookDelivery {
    /// The endpoint's URL.
    pub url: String,
    /// The `webhook-id` header: the event's id, the same on every attempt.
    pub webhook_id: String,
    /// The event type.
    pub event_type: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The headers sent.
    pub headers: HeaderMap,
    /// The body sent.
    pub body: Bytes,
    /// The receiver's status code, if it answered.
    pub status: Option<u16>,
    /// Why there was no answer (connection refused, timeout), if so.
    pub error: Option<String>,
}

impl WebhookDelivery {
    /// The receiver answered 2xx.
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// One event queued for one endpoint.
#[derive(Clone)]
struct Outgoing {
    id: String,
    event_type: String,
    body: Bytes,
    tamper: Tamper,
}

struct Endpoint {
    config: WebhookEndpoint,
    queue: VecDeque<Outgoing>,
    running: bool,
}

#[derive(Default)]
struct Inner {
    endpoints: Vec<Endpoint>,
    deliveries: Vec<WebhookDelivery>,
    /// Events queued or being delivered, over all endpoints.
    pending: usize,
    /// Every event queued so far by its id, with its endpoint's index: what a redelivery sends.
    sent: HashMap<String, (usize, Outgoing)>,
}

/// The fake's webhook state, shared by its clones.
#[derive(Clone, Default)]
pub(crate) struct Webhooks {
    inner: Arc<Mutex<Inner>>,
    idle: Arc<Notify>,
}

impl fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = lock(&self.inner);
        f.debug_struct("Webhooks")
            .field("endpoints", &inner.endpoints.len())
            .field("pending", &inner.pending)
            .finish()
    }
}

impl Webhooks {
    /// Queues an event for every endpoint that wants its type, and starts their workers.
    pub(crate) fn emit(&self, event_type: &str, data: &Value, tamper: Tamper) {
        let mut inner = lock(&self.inner);
        if !inner.endpoints.iter().any(|e| e.config.wants(event_type)) {
            return;
        }
        let timestamp = crate::rules::fmt_json_ts(jiff::Timestamp::now());
        let body = format!(
            r#"{{"type":{},"timestamp":{},"data":{}}}"#,
            Value::from(event_type),
            Value::from(timestamp),
            data
        );
        let body = Bytes::from(body);
        let mut queued = Vec::new();
        for (index, endpoint) in inner.endpoints.iter_mut().enumerate() {
            if endpoint.config.wants(event_type) {
                let event = Outgoing {
                    id: Uuid::new_v4().to_string(),
                    event_type: event_type.to_owned(),
                    body: body.clone(),
                    tamper,
                };
                endpoint.queue.push_back(event.clone());
                queued.push((index, event));
            }
        }
        inner.pending += queued.len();
        for (index, event) in queued {
            inner.sent.insert(event.id.clone(), (index, event));
        }
        self.start_workers(&mut inner);
    }

    /// Queues the event `webhook_id` again for its endpoint, signed as Polar signs it (whatever
    /// spoiled the first sending); false when no such event was sent.
    pub(crate) fn redeliver(&self, webhook_id: &str) -> bool {
        let mut inner = lock(&self.inner);
        let Some((index, event)) = inner.sent.get(webhook_id).cloned() else {
            return false;
        };
        inner.endpoints[index].queue.push_back(Outgoing {
            tamper: Tamper::None,
            ..event
        });
        inner.pending += 1;
        self.start_workers(&mut inner);
        true
    }

    /// One worker per endpoint with queued events, when there is a Tokio runtime to run it
    /// (events queued without one wait for the next call made within one).
    fn start_workers(&self, inner: &mut Inner) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        for (index, endpoint) in inner.endpoints.iter_mut().enumerate() {
            if !endpoint.running && !endpoint.queue.is_empty() {
                endpoint.running = true;
                runtime.spawn(self.clone().work(index));
            }
        }
    }

    /// Delivers one endpoint's events in order until its queue is empty.
    async fn work(self, index: usize) {
        loop {
            let (next, config) = {
                let mut inner = lock(&self.inner);
                let endpoint = &mut inner.endpoints[index];
                match endpoint.queue.pop_front() {
                    Some(next) => (next, endpoint.config.clone()),
                    None => {
                        endpoint.running = false;
                        return;
                    }
                }
            };
            self.deliver(&config, next).await;
            let mut inner = lock(&self.inner);
            inner.pending -= 1;
            if inner.pending == 0 {
                self.idle.notify_waiters();
            }
        }
    }

    async fn deliver(&self, config: &WebhookEndpoint, event: Outgoing) {
        // A spoilt event is sent once: it exists to be refused, not to hold up the queue.
        let attempts = if event.tamper == Tamper::None {
            config.max_attempts
        } else {
            1
        };
        let mut backoff = config.first_backoff;
        for attempt in 1..=attempts {
            let headers = signed_headers(config, &event);
            let outcome = post(&config.url, headers.clone(), event.body.clone()).await;
            let delivery = WebhookDelivery {
                url: config.url.to_string(),
                webhook_id: event.id.clone(),
                event_type: event.event_type.clone(),
                attempt,
                headers,
                body: event.body.clone(),
                status: outcome.as_ref().ok().copied(),
                error: outcome.err(),
            };
            let done = delivery.succeeded();
            lock(&self.inner).deliveries.push(delivery);
            if done {
                return;
            }
            if attempt < attempts {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(config.max_backoff);
            }
        }
    }
}

fn unix_now() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    i64::try_from(secs).unwrap_or(i64::MAX)
}

/// Polar's headers for one attempt, signed at the attempt's time.
fn signed_headers(config: &WebhookEndpoint, event: &Outgoing) -> HeaderMap {
    let mut ts = unix_now();
    let signature = match event.tamper {
        Tamper::None => config.signer.sign(&event.id, ts, &event.body),
        // The same scheme's key of another secret.
        Tamper::WrongSignature => polar_webhooks::generate_secret()
            .and_then(|other| Signer::new(other, config.signer.scheme()))
            .map(|other| other.sign(&event.id, ts, &event.body))
            .unwrap_or_else(|_| "v1,AAAA".to_owned()),
        Tamper::StaleTimestamp(age) => {
            ts -= i64::try_from(age.as_secs()).unwrap_or(i64::MAX);
            config.signer.sign(&event.id, ts, &event.body)
        }
    };
    let mut headers = HeaderMap::new();
    let text = |s: String| HeaderValue::try_from(s).unwrap_or(HeaderValue::from_static(""));
    headers.insert(
        header::USER_AGENT,
        HeaderValue::from_static("polar.sh webhooks"),
    );
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(polar_webhooks::WEBHOOK_ID, text(event.id.clone()));
    headers.insert(polar_webhooks::WEBHOOK_TIMESTAMP, text(ts.to_string()));
    headers.insert(polar_webhooks::WEBHOOK_SIGNATURE, text(signature));
    headers
}

/// One POST on a fresh connection; the status, or why there is none.
async fn post(url: &Uri, headers: HeaderMap, body: Bytes) -> Result<u16, String> {
    let authority = url
        .authority()
        .map(|a| a.as_str().to_owned())
        .unwrap_or_default();
    let target = url.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let attempt = async {
        let stream = tokio::net::TcpStream::connect(&authority)
            .await
            .map_err(|e| format!("cannot connect to {authority}: {e}"))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("HTTP handshake with {authority}: {e}"))?;
        tokio::spawn(conn);
        let mut req = Request::post(target)
            .header(header::HOST, &authority)
            .body(Full::new(body))
            .map_err(|e| e.to_string())?;
        req.headers_mut().extend(headers);
        let res = sender
            .send_request(req)
            .await
            .map_err(|e| format!("POST to {authority}: {e}"))?;
        Ok(res.status().as_u16())
    };
    tokio::time::timeout(ATTEMPT_TIMEOUT, attempt)
        .await
        .unwrap_or_else(|_| Err(format!("no answer from {authority} within 10 s")))
}

impl Webhooks {
    /// Registers `endpoint`; see [`FakePolar::add_webhook_endpoint`](crate::FakePolar::add_webhook_endpoint).
    pub(crate) fn add_endpoint(&self, endpoint: WebhookEndpoint) {
        lock(&self.inner).endpoints.push(Endpoint {
            config: endpoint,
            queue: VecDeque::new(),
            running: false,
        });
    }

    /// Every delivery attempt so far, in the order they were made.
    pub(crate) fn deliveries(&self) -> Vec<WebhookDelivery> {
        lock(&self.inner).deliveries.clone()
    }

    /// Waits until every queued event has been delivered or given up.
    pub(crate) async fn settled(&self) {
        loop {
            let idle = self.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            {
                let mut inner = lock(&self.inner);
                if inner.pending == 0 {
                    return;
                }
                self.start_workers(&mut inner);
            }
            idle.await;
        }
    }
}
