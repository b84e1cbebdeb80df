//! Webhook deliveries: endpoints registered on the fake receive signed events over real HTTP.
//!
//! What Polar does, and the fake copies (server/polar/webhook/tasks.py, service.py and
//! server/polar/customer/service.py, repository.py):
//! - `customer.created`, `customer.updated` and `customer.deleted` carry the customer, and each is
//!   followed by `customer.state_changed` carrying the customer's state; a change to the state
//!   alone (a subscription, benefit grant or meter) sends `customer.state_changed`.
//! - The body is `{"type", "timestamp", "data"}`; the headers are `webhook-id` (the event's id,
//!   the same on every attempt), `webhook-timestamp` (the attempt's time, Unix seconds),
//!   `webhook-signature` (Standard Webhooks, keyed by the secret's UTF-8 bytes),
//!   `content-type: application/json` and `user-agent: polar.sh webhooks`.
//! - Events reach one endpoint in order: a later event waits until the earlier ones are
//!   delivered or given up. A non-2xx answer, a refused connection or a 10 s timeout is retried
//!   with exponential backoff, up to 10 attempts in all.
//!
//! Backoff is shorter than Polar's (which starts at 2 s) so that tests stay fast; it is
//! configurable per endpoint.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Uri, header};
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use polar_webhooks::Webhook;
use serde_json::Value;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::sync::lock;

/// The four customer event types.
pub const CUSTOMER_EVENTS: [&str; 4] = [
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "customer.state_changed",
];

/// How long Polar waits for the receiver's answer.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// A webhook endpoint to register with [`FakePolar::add_webhook_endpoint`](crate::FakePolar::add_webhook_endpoint).
#[derive(Clone)]
pub struct WebhookEndpoint {
    url: Uri,
    signer: Webhook,
    events: Vec<String>,
    max_attempts: u32,
    first_backoff: Duration,
    max_backoff: Duration,
}

impl fmt::Debug for WebhookEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The secret stays out (the signer does not print it either).
        f.debug_struct("WebhookEndpoint")
            .field("url", &self.url)
            .field("events", &self.events)
            .field("max_attempts", &self.max_attempts)
            .finish_non_exhaustive()
    }
}

/// Why an endpoint could not be registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEndpointError(String);

impl fmt::Display for WebhookEndpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for WebhookEndpointError {}

impl WebhookEndpoint {
    /// An endpoint at `url` (plain `http://`, as a test receiver on loopback is) signed with
    /// `secret`, receiving the event types listed in `events` (see [`CUSTOMER_EVENTS`]).
    ///
    /// # Errors
    /// When `url` is not an absolute `http://` URL, or `secret` is empty.
    pub fn new<I, S>(url: &str, secret: &str, events: I) -> Result<Self, WebhookEndpointError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let bad = |why: &str| WebhookEndpointError(format!("webhook endpoint `{url}`: {why}"));
        let url: Uri = url.parse().map_err(|e| bad(&format!("not a URL ({e})")))?;
        if url.scheme_str() != Some("http") || url.authority().is_none() {
            return Err(bad(
                "the fake delivers to absolute `http://host:port/path` URLs only",
            ));
        }
        let signer = Webhook::new(secret).map_err(|e| bad(&e.to_string()))?;
        Ok(WebhookEndpoint {
            url,
            signer,
            events: events.into_iter().map(Into::into).collect(),
            max_attempts: 10,
            first_backoff: Duration::from_millis(20),
            max_backoff: Duration::from_secs(1),
        })
    }

    /// Attempts per event before giving up (10 by default, as Polar), and the wait before the
    /// first retry, doubled on each further one up to one second (20 ms by default).
    pub fn retries(mut self, max_attempts: u32, first_backoff: Duration) -> Self {
        self.max_attempts = max_attempts.max(1);
        self.first_backoff = first_backoff;
        self
    }

    fn wants(&self, event_type: &str) -> bool {
        self.events.iter().any(|e| e == event_type)
    }
}

/// How [`FakePolar::send_webhook`](crate::FakePolar::send_webhook) spoils an event, for testing that a receiver refuses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Tamper {
    /// Sent as Polar would.
    None,
    /// Signed with another secret.
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
        let mut queued = 0;
        for endpoint in inner.endpoints.iter_mut() {
            if endpoint.config.wants(event_type) {
                endpoint.queue.push_back(Outgoing {
                    id: Uuid::new_v4().to_string(),
                    event_type: event_type.to_owned(),
                    body: body.clone(),
                    tamper,
                });
                queued += 1;
            }
        }
        inner.pending += queued;
        self.start_workers(&mut inner);
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
        Tamper::WrongSignature => Webhook::new("whsec_not_the_endpoint_secret")
            .map(|other| other.sign(&event.id, ts, &event.body))
            .unwrap_or_default(),
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
