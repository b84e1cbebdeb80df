//! Per-request settings carried in `http::Request` extensions.

use std::time::Duration;

use secrecy::SecretString;

/// Per-request overrides, put into the request's extensions by the caller.
///
/// Every field left `None` falls back to the client's configuration.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct RequestOptions {
    /// Bearer token to use instead of the client's.
    pub token: Option<SecretString>,
    /// Whole-call timeout (all attempts and waits) instead of the client's.
    pub timeout: Option<Duration>,
    /// Maximum number of attempts (1 = no retry) instead of the client's.
    pub max_attempts: Option<u32>,
    /// When true, the request is never retried, whatever the classifier says.
    pub retry_forbidden: bool,
    /// Marks a request whose answer is a long stream (for example the CSV export).
    ///
    /// By default the whole-call timeout also bounds reading the response body. For a request
    /// marked here, the call timeout stops when the response head arrives; the body is then
    /// bounded by the body idle timeout instead
    /// ([`TransportBuilder::body_idle_timeout`](crate::TransportBuilder::body_idle_timeout)):
    /// reading fails with [`ErrorKind::BodyIdleTimeout`](crate::ErrorKind::BodyIdleTimeout)
    /// only when no data arrives for that long. See the [`timeout`](crate::timeout) module.
    pub streaming_body: bool,
    /// Goes on with a call the retry layer gave back with a [`RetryLater`]: this request's
    /// attempts count against that call's budget, and what its attempts may have done is kept.
    pub resume: Option<RetryLater>,
}

/// The route template of a request (e.g. `/v1/customers/{id}`), for tracing and metrics.
///
/// Set by the operation layer so logs never carry IDs from the path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteTemplate(pub &'static str);

/// How many attempts a call took; put into the response's extensions by the retry layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attempts(pub u32);

/// Put into a response's extensions by the retry layer, next to [`Attempts`], when an earlier
/// attempt of the same call may have been carried out by the server although no success came
/// back for it.
///
/// That is the case when the request was sent and its answer was lost (the connection broke,
/// the attempt timed out, an error of unknown kind) or when a gateway answered 502 or 504 (it
/// may have passed the request on). It is not the case for an attempt that never left (a
/// connect error) or that the server refused before doing any work: 408, 429, 503, and 500
/// (Polar rolls a request's database work back when it fails).
///
/// The SDK reads it for a DELETE: a 404 to a retry means an earlier attempt deleted the
/// resource only when this mark is present.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EarlierAttemptMayHaveBeenProcessed;

/// Put into a response's extensions by the retry layer when its policy would retry the answer
/// but the wait (the server's `Retry-After`, or the backoff) does not fit in what is left of the
/// call's time.
///
/// Someone who can wait longer than one call (a batch, a job queue) may send the same request
/// again after [`wait`](Self::wait), with this value in [`RequestOptions::resume`]: the retry
/// layer then goes on with the same call. Its attempts count against the same budget (the
/// client's `max_attempts`, or the request's), and whether an earlier attempt may have been
/// carried out is kept (see [`EarlierAttemptMayHaveBeenProcessed`]). It is not given when the
/// budget is spent, nor when the server asked for longer than the retry layer's
/// `max_retry_after`. The one error that carries it ([`Error::retry_later`](crate::Error::retry_later))
/// is a request the rate limiter held until it no longer fit in the call: never sent, its
/// attempt is not counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryLater {
    wait: Duration,
    attempts: u32,
    max_attempts: u32,
    earlier_processed: bool,
}

impl RetryLater {
    pub(crate) fn new(
        wait: Duration,
        attempts: u32,
        max_attempts: u32,
        earlier_processed: bool,
    ) -> Self {
        RetryLater {
            wait,
            attempts,
            max_attempts,
            earlier_processed,
        }
    }

    /// How long to wait before sending again, as the server or the backoff asked.
    pub fn wait(&self) -> Duration {
        self.wait
    }

    /// Attempts made so far in the call.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Attempts left in the call's budget (at least one).
    pub fn attempts_left(&self) -> u32 {
        self.max_attempts.saturating_sub(self.attempts).max(1)
    }

    /// The call's budget of attempts and whether an earlier attempt may have been carried out,
    /// for the retry layer going on with it (only given while the budget has an attempt left,
    /// so `attempts < max_attempts`).
    pub(crate) fn resumed(&self) -> (u32, u32, bool) {
        (self.attempts, self.max_attempts, self.earlier_processed)
    }
}
