//! Retries failed attempts when it is safe, with capped exponential backoff and full jitter.
//!
//! Two separate parts decide:
//!
//! - a **classifier** ([`Classify`], default [`DefaultClassifier`]) says whether an outcome may
//!   be retried: [`Classification::Retry`], [`Classification::Forbid`] or
//!   [`Classification::NoOpinion`] (treated as "do not retry");
//! - a **backoff** ([`Backoff`]) says how long to wait: a random delay between zero and
//!   `min(max, initial × 2^(retry − 1))`. A `Retry-After` header (seconds or HTTP-date) on a
//!   retryable response replaces the backoff; when it asks for more than
//!   [`RetryConfig::max_retry_after`], the response is returned instead of waiting (retrying
//!   earlier than the server asked only extends a rate-limit block).
//!
//! A wait that would end after the call's deadline (see [`timeout`](crate::timeout)) is not
//! started: the last answer (the 429 with its `Retry-After`, the 503) or the last error is
//! returned at once, with the number of attempts made, instead of sleeping until the deadline
//! and throwing it away. Such an answer carries a [`RetryLater`](crate::RetryLater): whoever
//! can wait longer than one call may send the request again after its wait, with it in
//! [`RequestOptions::resume`](crate::RequestOptions), and the layer goes on with the same call
//! and the same budget of attempts (the SDK's bulk operations do so). So does the
//! [`ErrorKind::CallTimeout`](crate::ErrorKind::CallTimeout) of a request the rate limiter held
//! because its wait did not fit in the call
//! ([`Error::retry_later`](crate::Error::retry_later)): it was never sent, so its attempt is
//! not counted and it never marks
//! [`EarlierAttemptMayHaveBeenProcessed`](crate::EarlierAttemptMayHaveBeenProcessed).
//!
//! The default policy retries idempotent methods (GET, HEAD, OPTIONS, DELETE, PUT, PATCH) on
//! connect errors, connection errors, attempt timeouts and statuses 408, 429, 500, 502, 503 and
//! 504. Other methods (POST) are retried only when the request provably never reached the
//! server (a connect error or connect timeout, the TLS handshake included) or on 429. A
//! certificate the client refuses ([`ErrorKind::Certificate`](crate::ErrorKind::Certificate))
//! is never retried: it would be refused again.
//!
//! Per request, [`RequestOptions::max_attempts`](crate::RequestOptions) and
//! [`RequestOptions::retry_forbidden`](crate::RequestOptions) override the client's settings.
//! The number of attempts is put into the response's extensions as
//! [`Attempts`](crate::Attempts); errors come back as an [`Error`](crate::Error) whose
//! [`attempts`](crate::Error::attempts) says the same. When an earlier attempt may have been
//! carried out by the server (its answer was lost, or a gateway answered 502 or 504), the
//! response also carries
//! [`EarlierAttemptMayHaveBeenProcessed`](crate::EarlierAttemptMayHaveBeenProcessed): a 404 to
//! a retried DELETE means the resource is gone only then. The body of a response that is
//! retried is read (up to 64 KiB) while the backoff runs, then dropped, so the connection can
//! go back to the pool when the body was small.
//!
//! The layer itself is always ready: each call waits for the inner service to be ready inside
//! its own future, so a call timeout further out also bounds that wait.
//!
//! ```
//! use std::sync::{Arc, atomic::{AtomicU32, Ordering}};
//! use std::time::Duration;
//! use http::{Request, Response, StatusCode};
//! use polar_transport::retry::{RetryConfig, RetryLayer};
//! use polar_transport::{Attempts, Body, BoxError};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> Result<(), BoxError> {
//! let calls = Arc::new(AtomicU32::new(0));
//! let seen = calls.clone();
//! let svc = ServiceBuilder::new()
//!     .layer(RetryLayer::new(RetryConfig::default().max_attempts(3)))
//!     .service(service_fn(move |_req: Request<Body>| {
//!         let n = seen.fetch_add(1, Ordering::SeqCst);
//!         async move {
//!             let status = if n < 2 { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK };
//!             Ok::<_, BoxError>(Response::builder().status(status).body(Body::default())?)
//!         }
//!     }));
//! let res = svc.oneshot(Request::get("/v1/customers/").body(Body::default())?).await?;
//! assert_eq!(res.status(), StatusCode::OK);
//! assert_eq!(res.extensions().get::<Attempts>(), Some(&Attempts(3)));
//! assert_eq!(calls.load(Ordering::SeqCst), 3);
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::{Request, Response};
use http_body::Body as HttpBody;
use tower_layer::Layer;
use tower_service::Service;

use crate::{Body, BoxError};

mod backoff;
mod classify;
mod future;

pub use backoff::{Backoff, Timer, TokioTimer, parse_retry_after, retry_after};
pub use classify::{Classification, Classify, DefaultClassifier};
pub use future::ResponseFuture;

/// Settings of the retry layer.
#[derive(Clone)]
pub struct RetryConfig {
    max_attempts: u32,
    backoff: Backoff,
    max_retry_after: Duration,
    classifier: Arc<dyn Classify>,
    timer: Arc<dyn Timer>,
}

impl fmt::Debug for RetryConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryConfig")
            .field("max_attempts", &self.max_attempts)
            .field("backoff", &self.backoff)
            .field("max_retry_after", &self.max_retry_after)
            .finish_non_exhaustive()
    }
}

impl Default for RetryConfig {
    /// 3 attempts, backoff from 250 ms capped at 8 s, `Retry-After` honoured up to 60 s,
    /// [`DefaultClassifier`], [`TokioTimer`].
    fn default() -> Self {
        RetryConfig {
            max_attempts: 3,
            backoff: Backoff::default(),
            max_retry_after: Duration::from_secs(60),
            classifier: Arc::new(DefaultClassifier),
            timer: Arc::new(TokioTimer),
        }
    }
}

impl RetryConfig {
    /// No retries at all (one attempt).
    pub fn disabled() -> Self {
        RetryConfig::default().max_attempts(1)
    }

    /// Maximum number of attempts per call, first one included (at least 1).
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// The backoff between attempts.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// The longest `Retry-After` the layer waits for; a longer one ends the retries.
    pub fn max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// Replaces the classifier.
    pub fn classifier(mut self, classifier: impl Classify) -> Self {
        self.classifier = Arc::new(classifier);
        self
    }

    /// Replaces the timer used for backoff waits.
    pub fn timer(mut self, timer: impl Timer) -> Self {
        self.timer = Arc::new(timer);
        self
    }

    /// The configured maximum number of attempts.
    pub fn get_max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The configured `Retry-After` cap.
    pub fn get_max_retry_after(&self) -> Duration {
        self.max_retry_after
    }
}

/// Layer that applies [`Retry`].
#[derive(Clone, Debug)]
pub struct RetryLayer {
    config: Arc<RetryConfig>,
}

impl RetryLayer {
    /// A retry layer with the given settings.
    pub fn new(config: RetryConfig) -> Self {
        RetryLayer {
            config: Arc::new(config),
        }
    }
}

impl<S> Layer<S> for RetryLayer {
    type Service = Retry<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Retry {
            inner,
            config: self.config.clone(),
        }
    }
}

/// Service that retries attempts; see the [module docs](self).
#[derive(Clone, Debug)]
pub struct Retry<S> {
    inner: S,
    config: Arc<RetryConfig>,
}

impl<S, B> Service<Request<Body>> for Retry<S>
where
    S: Service<Request<Body>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: HttpBody + Send + 'static,
    B::Data: Send,
{
    type Response = Response<B>;
    type Error = BoxError;
    type Future = ResponseFuture<S, B>;

    // Always ready: each call waits for the inner service's readiness inside its own future,
    // where the call's deadline bounds the wait (a wait in `poll_ready` would come before any
    // timeout has started).
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        let clone = self.inner.clone();
        let svc = std::mem::replace(&mut self.inner, clone);
        ResponseFuture::new(svc, self.config.clone(), req)
    }
}
