//! Whether an outcome may be retried: the classifier half of the policy.

use http::{HeaderMap, Method, StatusCode};

use crate::BoxError;
use crate::error::{Error, ErrorKind};

/// What a classifier thinks of an outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Classification {
    /// Safe and useful to try again.
    Retry,
    /// Must not be tried again.
    Forbid,
    /// No opinion; the retry layer does not retry.
    NoOpinion,
}

/// Decides whether an attempt's outcome may be retried.
pub trait Classify: Send + Sync + 'static {
    /// Judges a response by method, status and headers.
    fn classify_response(
        &self,
        method: &Method,
        status: StatusCode,
        headers: &HeaderMap,
    ) -> Classification;

    /// Judges an error returned by the inner service.
    fn classify_error(&self, method: &Method, error: &BoxError) -> Classification;
}

/// The policy described in the [module docs](super).
#[derive(Clone, Copy, Debug, Default)]
pub struct DefaultClassifier;

/// True for methods that can be repeated without changing the outcome (PATCH included: the SDK
/// re-sends the very same body, and Polar's PATCH sets fields to values).
fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::DELETE | Method::PUT | Method::PATCH
    )
}

impl Classify for DefaultClassifier {
    fn classify_response(
        &self,
        method: &Method,
        status: StatusCode,
        _headers: &HeaderMap,
    ) -> Classification {
        match status.as_u16() {
            429 => Classification::Retry,
            408 | 500 | 502 | 503 | 504 if is_idempotent(method) => Classification::Retry,
            408 | 500 | 502 | 503 | 504 => Classification::Forbid,
            _ => Classification::NoOpinion,
        }
    }

    fn classify_error(&self, method: &Method, error: &BoxError) -> Classification {
        let Some(err) = error.downcast_ref::<Error>() else {
            return Classification::NoOpinion;
        };
        match err.kind() {
            ErrorKind::Certificate => Classification::Forbid,
            ErrorKind::Connect | ErrorKind::ConnectTimeout => Classification::Retry,
            ErrorKind::Io | ErrorKind::AttemptTimeout if is_idempotent(method) => {
                Classification::Retry
            }
            ErrorKind::Io | ErrorKind::AttemptTimeout => Classification::Forbid,
            _ => Classification::NoOpinion,
        }
    }
}
