//! [`Receiver`]: a ready endpoint for Polar's deliveries, as a `tower::Service` (feature
//! `receiver`).

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::FutureExt as _;
use http::{Method, Request, Response};
use http_body::Body;
use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};

use crate::dedup::{Claim, Dedup, MemoryDedup};
use crate::{Delivery, Error, Webhook};

mod handler;
mod outcome;

pub use handler::{BoxError, Handler, HandlerFuture};
use outcome::Outcome;

/// The largest body a [`Receiver`] reads unless told otherwise: 1 MiB (Polar's events are a few
/// kilobytes).
pub const DEFAULT_MAX_BODY: usize = 1 << 20;

/// A ready receiver of one endpoint's deliveries: a `tower::Service` over `http::Request` that
/// answers every request with the status Polar should see.
///
/// Why a `tower::Service` over `http::Request` and not an axum extractor: the same value serves
/// axum (`Router::route_service`), hyper (`hyper_util::service::TowerToHyperService`, or
/// [`Receiver::receive`] inside a `service_fn`) and any other tower-based server, while the crate
/// depends on no framework; an extractor would tie it to one axum version and still leave the
/// status codes to each user. The feature adds only `tower-service`, `http-body`,
/// `http-body-util`, `bytes`, `futures-util` and `tracing`, which a hyper or axum server builds
/// anyway.
///
/// For each request it:
/// 1. refuses anything but `POST` (405) and bodies over [`max_body`](Receiver::max_body) (413),
///    reading the raw body exactly as sent;
/// 2. verifies the signature and time ([`Webhook`]) and decodes the [`Event`](crate::Event)
///    (401 for a forged, damaged or stale delivery, 400 for a body that is not an event);
/// 3. claims the `webhook-id` in its [`Dedup`] store (a [`MemoryDedup`] unless told otherwise):
///    a delivery already processed is acknowledged (200) without calling your code, one being
///    processed by another copy gets a 409 so that Polar retries it later;
/// 4. calls your [`Handler`] with the verified [`Delivery`]: success (also for events you ignore)
///    is 200 and marks the id done; an error or a panic is 500 and frees the id, so Polar's
///    retry is processed again.
///
/// ```
/// use polar_webhooks::{Delivery, Event, Receiver, Webhook};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let secret = polar_webhooks::generate_secret()?;
/// let receiver = Receiver::new(Webhook::new(&secret)?, |delivery: Delivery| async move {
///     match delivery.event {
///         Event::CustomerStateChanged { data, .. } => println!("sync {}", data.id()),
///         _ => {} // acknowledged, not acted on
///     }
///     Ok::<(), std::convert::Infallible>(())
/// });
///
/// // axum:
/// let app: axum::Router = axum::Router::new().route_service("/webhooks/polar", receiver.clone());
/// # drop(app);
/// // hyper: `hyper_util::service::TowerToHyperService::new(receiver)`, or by hand:
/// let unsigned = http::Request::post("/webhooks/polar").body(String::from("{}"))?;
/// let response = receiver.receive(unsigned).await;
/// assert_eq!(response.status(), 401);
/// # Ok(())
/// # }
/// ```
///
/// Cheap to clone (clones share the handler and the deduplication store).
#[derive(Clone)]
pub struct Receiver {
    webhook: Arc<Webhook>,
    handler: Arc<dyn Handler>,
    dedup: Option<Arc<dyn Dedup>>,
    max_body: usize,
}

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("webhook", &self.webhook)
            .field("dedup", &self.dedup.is_some())
            .field("max_body", &self.max_body)
            .finish_non_exhaustive()
    }
}

impl Receiver {
    /// A receiver verifying with `webhook` and handing each verified delivery to `handler`,
    /// deduplicating with a [`MemoryDedup::default`] and reading bodies of up to
    /// [`DEFAULT_MAX_BODY`].
    pub fn new(webhook: Webhook, handler: impl Handler) -> Receiver {
        Receiver {
            webhook: Arc::new(webhook),
            handler: Arc::new(handler),
            dedup: Some(Arc::new(MemoryDedup::default())),
            max_body: DEFAULT_MAX_BODY,
        }
    }

    /// Deduplicates with `store` (for a fleet, a [`RedisDedup`](crate::dedup::RedisDedup)
    /// shared by every receiver of the endpoint). An `Arc` of a store is a store too.
    pub fn dedup(mut self, store: impl Dedup) -> Receiver {
        self.dedup = Some(Arc::new(store));
        self
    }

    /// Calls the handler for every verified copy of a delivery, duplicates included (for
    /// handlers that deduplicate themselves, e.g. in the same database transaction).
    pub fn without_dedup(mut self) -> Receiver {
        self.dedup = None;
        self
    }

    /// The largest body read (1 MiB by default); larger ones get a 413.
    pub fn max_body(mut self, bytes: usize) -> Receiver {
        self.max_body = bytes;
        self
    }

    /// Receives one request and answers it; what [`Service::call`](tower_service::Service::call)
    /// does, as an `async fn` for servers without tower.
    pub async fn receive<B>(&self, request: Request<B>) -> Response<Full<Bytes>>
    where
        B: Body,
        B::Error: Into<BoxError>,
    {
        self.outcome(request).await.into_response()
    }

    async fn outcome<B>(&self, request: Request<B>) -> Outcome
    where
        B: Body,
        B::Error: Into<BoxError>,
    {
        let (parts, body) = request.into_parts();
        // What the request says its `webhook-id` is, for the logs before it is verified (empty
        // when it says none).
        let claimed_id = || {
            parts
                .headers
                .get("webhook-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
        };
        if parts.method != Method::POST {
            tracing::debug!(webhook_id = claimed_id(), method = %parts.method, "polar webhook: not a POST");
            return Outcome::MethodNotAllowed;
        }
        let too_large = || {
            tracing::debug!(
                webhook_id = claimed_id(),
                max_body = self.max_body,
                "polar webhook: the body is larger than the cap"
            );
            Outcome::TooLarge(self.max_body)
        };
        if body.size_hint().lower() > self.max_body as u64 {
            return too_large();
        }
        let body = match Limited::new(body, self.max_body).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(e) if e.is::<LengthLimitError>() => return too_large(),
            Err(e) => {
                tracing::debug!(webhook_id = claimed_id(), error = %e, "polar webhook: the body could not be read");
                return Outcome::Unreadable;
            }
        };
        let delivery = match self.webhook.verify_delivery(&parts.headers, &body) {
            Ok(delivery) => delivery,
            Err(e @ (Error::NotJson(_) | Error::NotAnEvent(_))) => {
                tracing::warn!(webhook_id = claimed_id(), error = %e, "polar webhook: a verified delivery is not an event");
                return Outcome::NotAnEvent(e);
            }
            Err(e) => {
                tracing::warn!(webhook_id = claimed_id(), error = %e, "polar webhook: refused a delivery");
                return Outcome::Refused(e);
            }
        };
        // The one copy of the id: the handler takes the delivery, the logs and the store
        // still need it.
        let id = delivery.webhook_id.clone();
        let webhook_id = id.as_str();
        let Some(dedup) = &self.dedup else {
            return self.process(delivery, webhook_id).await;
        };
        let lease = match dedup.claim(webhook_id).await {
            Ok(Claim::New(lease)) => lease,
            Ok(Claim::Done) => {
                tracing::debug!(webhook_id, "polar webhook: already processed");
                return Outcome::AlreadyProcessed;
            }
            Ok(Claim::InProgress) => {
                tracing::info!(webhook_id, "polar webhook: a copy is being processed");
                return Outcome::InProgress;
            }
            Err(e) => {
                tracing::error!(webhook_id, error = %e, "polar webhook: cannot deduplicate");
                return Outcome::StoreFailed;
            }
        };
        let outcome = self.process(delivery, webhook_id).await;
        let stored = match outcome {
            Outcome::Processed => dedup.complete(webhook_id, &lease).await,
            _ => dedup.release(webhook_id, &lease).await,
        };
        // The answer stands either way: a lost `complete` leaves the lease to expire (Polar has
        // its 2xx and will not retry); a lost `release` delays the retry until it expires.
        if let Err(e) = stored {
            tracing::warn!(webhook_id, error = %e, "polar webhook: the deduplication store missed an update");
        }
        outcome
    }

    /// Runs the handler; a panic counts as a failure (the connection survives it). `webhook_id`
    /// is the delivery's, kept for the logs once the handler owns the delivery.
    async fn process(&self, delivery: Delivery, webhook_id: &str) -> Outcome {
        let event_type = delivery.event.event_type().to_owned();
        match AssertUnwindSafe(self.handler.handle(delivery))
            .catch_unwind()
            .await
        {
            Ok(Ok(())) => {
                tracing::debug!(webhook_id, event_type, "polar webhook: processed");
                Outcome::Processed
            }
            Ok(Err(e)) => {
                tracing::error!(webhook_id, event_type, error = %e, "polar webhook: the handler failed");
                Outcome::HandlerFailed
            }
            Err(_) => {
                tracing::error!(
                    webhook_id,
                    event_type,
                    "polar webhook: the handler panicked"
                );
                Outcome::HandlerFailed
            }
        }
    }
}

/// The future of [`Receiver`]'s `call`: never fails, every outcome is a response.
pub struct ResponseFuture {
    inner: Pin<Box<dyn Future<Output = Response<Full<Bytes>>> + Send>>,
}

impl fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl Future for ResponseFuture {
    type Output = Result<Response<Full<Bytes>>, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx).map(Ok)
    }
}

impl<B> tower_service::Service<Request<B>> for Receiver
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> ResponseFuture {
        let receiver = self.clone();
        ResponseFuture {
            inner: Box::pin(async move { receiver.receive(request).await }),
        }
    }
}
