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
