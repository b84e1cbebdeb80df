//! The one error type of the SDK.

use std::fmt;
use std::time::Duration;

use http::{HeaderMap, StatusCode};
use polar_transport::{BoxError, BuildError, RetryLater};

use crate::types::{HttpValidationError, InputError, ValidationError};

/// How many bytes of an error response body are kept verbatim in [`ApiError::raw_excerpt`].
pub const RAW_EXCERPT_LIMIT: usize = 2 * 1024;

/// Everything that can go wrong when calling the Customers API.
///
/// Match on the variant to tell an answer of the API ([`Error::Api`]) from a failure to reach it
/// ([`Error::Transport`], [`Error::Timeout`]), a response the SDK could not read
/// ([`Error::Decode`], [`Error::BodyTooLarge`]) and a request refused before it was sent
/// ([`Error::InvalidInput`]). The error never carries the access token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The API answered with a status outside 2xx.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// The request never got a complete answer: connection refused, reset, TLS failure, or a
    /// transport layer that gave up. The source chain holds the transport's own error.
    #[error("transport error: {source}")]
    Transport {
        /// The transport's error.
        #[source]
        source: BoxError,
    },
    /// The call or one attempt took longer than its timeout, reading the answer included, or a
    /// streamed export stalled longer than the body idle timeout. `transport_error()` gives the
    /// transport's kind (`CallTimeout`, `AttemptTimeout`, `BodyIdleTimeout`, `ConnectTimeout`).
    #[error("request timed out")]
    Timeout {
        /// The timeout layer's error.
        #[source]
        source: BoxError,
    },
    /// A 2xx response whose body does not have the expected shape.
    #[error(transparent)]
    Decode(Box<DecodeError>),
    /// A response body exceeded the size the SDK accepts for that kind of answer.
    #[error("response body exceeds the limit of {limit} bytes")]
    BodyTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The request was refused before sending because an argument is invalid.
    #[error("invalid input: {0}")]
    InvalidInput(#[from] InputError),
    /// Writing the export to its destination failed.
    #[error("cannot write the export: {0}")]
    Io(#[source] std::io::Error),
    /// The client could not be built (bad base URL, missing token, ...):
    /// [`ClientBuilder::build`](crate::ClientBuilder::build)'s error, converted by `?`.
    #[error("cannot build the client: {source}")]
    Build {
        /// The builder's error.
        #[from]
        source: BuildError,
    },
}

impl Error {
    /// The HTTP status of an API error, if this is one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(e) => Some(e.status),
            _ => None,
        }
    }

    /// The API error, if this is one.
    pub fn as_api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// True for a 404 answer.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }

    /// True for Polar's answer that the resource asked for does not exist: a 404 whose body's
    /// `error` is `ResourceNotFound`. A 404 of another shape (an unknown route or API version,
    /// a proxy's page) is a misconfiguration, not that answer; [`is_not_found`](Self::is_not_found)
    /// is true for both.
    pub fn is_resource_not_found(&self) -> bool {
        self.as_api().is_some_and(|api| {
            api.status() == StatusCode::NOT_FOUND && api.code() == Some("ResourceNotFound")
        })
    }

    /// The retry layer's offer to go on with this call after a wait, if it made one: on an
    /// answer it would have retried had the call had time left (a 429 whose `Retry-After` did
    /// not fit), or on a request the rate limiter held unsent past the call's time. Send the
    /// same request again after [`RetryLater::wait`] with the offer in
    /// [`RequestOptions::resume`](polar_transport::RequestOptions::resume) (through
    /// `.request_options(..)`): its attempts count against the same budget. Bulk operations do
    /// this for you.
    pub fn retry_later(&self) -> Option<RetryLater> {
        match self.as_api() {
            Some(api) => api.retry_later(),
            None => self.transport_error()?.retry_later(),
        }
    }

    /// True for a timeout of the call (response body included), of an attempt, of the
    /// connection, or of a stalled export stream.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }

    /// The transport's own error (kind, attempts made), when the failure came from
    /// polar-transport's stack.
    pub fn transport_error(&self) -> Option<&polar_transport::Error> {
        match self {
            Error::Transport { source } | Error::Timeout { source } => {
                crate::transport_compat::find_transport_error(&**source)
            }
            _ => None,
        }
    }

    /// Sorts an error from the transport into [`Error::Timeout`] or [`Error::Transport`],
    /// keeping it whole as the source.
    pub(crate) fn from_transport(source: BoxError) -> Self {
        if is_timeout_error(&*source) {
            Error::Timeout { source }
        } else {
            Error::Transport { source }
        }
    }

    pub(crate) fn invalid(field: &str, message: impl Into<String>) -> Self {
        Error::InvalidInput(InputError {
            field: field.to_owned(),
            message: message.into(),
        })
    }
}

/// Walks the source chain looking for one of the timeout errors the stack can produce.
fn is_timeout_error(err: &(dyn std::error::Error + 'static)) -> bool {
    polar_transport::error::chain(err).any(|e| {
        e.is::<tokio::time::error::Elapsed>()
            || e.is::<tower::timeout::error::Elapsed>()
            || crate::transport_compat::is_transport_timeout(e)
            || e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
    })
}

/// What kind of refusal an [`ApiError`] is, from its status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiErrorKind {
    /// 401: no token, or the token is unknown, expired or revoked.
    Unauthorized,
    /// 403: the token lacks a scope or the member lacks permission.
    Forbidden,
    /// 404: unknown id, deleted customer, unknown route or unknown `Polar-Version`.
    NotFound,
    /// 409: on the member routes by external customer ID, `AmbiguousExternalCustomerID` (the
    /// ID names customers of several organizations the token reaches); elsewhere, the resource
    /// already exists.
    Conflict,
    /// 410: the resource is no longer available.
    Gone,
    /// 422: the request failed validation; see [`ApiError::validation_errors`].
    Validation,
    /// 429: rate limited; see [`ApiError::retry_after`].
    RateLimited,
    /// 5xx: a server or proxy failure, usually transient.
    Server,
    /// Any other status.
    Other,
}

impl ApiErrorKind {
    fn from_status(status: StatusCode) -> Self {
        match status.as_u16() {
            401 => Self::Unauthorized,
            403 => Self::Forbidden,
            404 => Self::NotFound,
            409 => Self::Conflict,
            410 => Self::Gone,
            422 => Self::Validation,
            429 => Self::RateLimited,
            500..=599 => Self::Server,
            _ => Self::Other,
        }
    }
}

/// What [`ApiError`] reads of an error body besides the validation issues: Polar's `error` code
/// and string `detail`, OAuth's `error_description`. A value of another type is ignored.
#[derive(Default, serde::Deserialize)]
#[serde(default)]
struct ErrorBody {
    error: Text,
    detail: Text,
    error_description: Text,
}

/// A JSON string; any other value reads as none.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Text {
    String(String),
    Other(serde::de::IgnoredAny),
}

impl Default for Text {
    fn default() -> Self {
        Text::Other(serde::de::IgnoredAny)
    }
}

impl Text {
    fn into_string(self) -> Option<String> {
        match self {
            Text::String(s) => Some(s),
            Text::Other(_) => None,
        }
    }
}

/// An answer of the API with a non-2xx status, with what could be read from its body.
///
/// Polar's error bodies are JSON objects with an `error` code and a `detail` (a string, or the
/// list of validation issues for 422); OAuth failures use `error` and `error_description`. Bodies
/// that are not JSON (a proxy's HTML page) leave these empty; [`raw_excerpt`](Self::raw_excerpt)
/// always holds the first bytes of the body.
#[derive(Clone)]
pub struct ApiError {
    status: StatusCode,
    kind: ApiErrorKind,
    request_id: Option<String>,
    code: Option<String>,
    detail: Option<String>,
    validation: Vec<ValidationError>,
    retry_after: Option<Duration>,
    raw_excerpt: String,
    body_truncated: bool,
    /// The retry layer would have retried this answer, had the call had time left.
    retry_later: Option<RetryLater>,
}

impl ApiError {
    /// Builds the error from a response's status, headers and (already size-capped) body.
    pub(crate) fn from_parts(
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
        body_truncated: bool,
    ) -> Self {
        let request_id = ["x-request-id", "request-id", "x-amzn-requestid", "cf-ray"]
            .iter()
            .find_map(|name| headers.get(*name))
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        // The transport's reading, so the SDK's wait and the one reported here always agree.
        let retry_after = polar_transport::retry::retry_after(headers);

        // Two readings of a body that is rarely large: the 422 shape (generated from the spec),
        // and the fields of the other shapes. A body that fits neither leaves them empty.
        let validation = serde_json::from_slice::<HttpValidationError>(body)
            .ok()
            .and_then(|v| v.detail)
            .unwrap_or_default();
        let fields = serde_json::from_slice::<ErrorBody>(body).unwrap_or_default();
        let code = fields.error.into_string();
        let detail = fields
            .detail
            .into_string()
            .or_else(|| fields.error_description.into_string());

        let (excerpt, cut) = excerpt(body, RAW_EXCERPT_LIMIT);
        ApiError {
            status,
            kind: ApiErrorKind::from_status(status),
            request_id,
            code,
            detail,
            validation,
            retry_after,
            raw_excerpt: excerpt,
            body_truncated: body_truncated || cut,
            retry_later: None,
        }
    }

    /// Keeps the retry layer's offer to go on with the call later (bulk operations take it).
    pub(crate) fn with_retry_later(mut self, later: Option<RetryLater>) -> Self {
        self.retry_later = later;
        self
    }

    /// The retry layer's offer to go on with the call later, if it made one.
    pub(crate) fn retry_later(&self) -> Option<RetryLater> {
        self.retry_later
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The kind of error, from the status.
    pub fn kind(&self) -> ApiErrorKind {
        self.kind
    }

    /// The request id from a response header such as `x-request-id`, when the server sent one
    /// (Polar's application sets none today; proxies may).
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The body's `error` code, e.g. `ResourceNotFound`, `invalid_token`, `insufficient_scope`,
    /// `RequestValidationError`.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// The body's `detail` when it is a string, else its `error_description`.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// The validation issues of a 422 answer (`loc`, `msg`, `type` for each).
    pub fn validation_errors(&self) -> &[ValidationError] {
        &self.validation
    }

    /// The wait the server asked for in `Retry-After`: whole seconds, or an HTTP date (any of
    /// the three forms HTTP allows; a date in the past is zero). Read exactly as the retry layer
    /// reads it; any other value (`+7`, `-1`, `soon`) gives `None`.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// The first bytes (at most [`RAW_EXCERPT_LIMIT`]) of the body, lossily decoded as UTF-8.
    ///
    /// A token of the client (or of the call) that the body repeated is shown as `[redacted]`.
    pub fn raw_excerpt(&self) -> &str {
        &self.raw_excerpt
    }

    /// True when the body was longer than what was kept.
    pub fn is_body_truncated(&self) -> bool {
        self.body_truncated
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("status", &self.status)
            .field("kind", &self.kind)
            .field("request_id", &self.request_id)
            .field("code", &self.code)
            .field("detail", &self.detail)
            .field("validation", &self.validation)
            .field("retry_after", &self.retry_after)
            .field("raw_excerpt", &self.raw_excerpt)
            .finish()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Polar API error {}", self.status)?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        for (i, issue) in self.validation.iter().enumerate() {
            let loc: Vec<String> = issue
                .loc
                .iter()
                .map(|l| match l {
                    crate::types::LocItem::String(s) => s.clone(),
                    crate::types::LocItem::Integer(n) => n.to_string(),
                })
                .collect();
            write!(
                f,
                "{} {}: {} ({})",
                if i == 0 { ":" } else { ";" },
                loc.join("."),
                issue.msg,
                issue.r#type
            )?;
        }
        if let Some(wait) = self.retry_after {
            write!(f, " (retry after {}s)", wait.as_secs())?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " [request id {id}]")?;
        }
        if self.status == StatusCode::UNAUTHORIZED && self.code.as_deref() == Some("invalid_token")
        {
            // The most common cause by far: a token of one of Polar's two environments sent to
            // the other, which knows nothing of it.
            f.write_str(
                " (tokens of Polar's sandbox and production are separate: check that this one \
                 was created on the server the client talks to; `Client::builder()` talks to \
                 production unless given `.server(Server::Sandbox)`)",
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Api(Box::new(e))
    }
}

/// A 2xx response whose body could not be decoded into the expected type.
///
/// A token of the client (or of the call) that the body repeated is shown as `[redacted]` in
/// the path, the excerpt and the message.
#[derive(Debug)]
pub struct DecodeError {
    path: String,
    status: StatusCode,
    excerpt: String,
    /// The excerpt stops before the body's end.
    excerpt_cut: bool,
    row: Option<u64>,
    source: BoxError,
}

impl DecodeError {
    pub(crate) fn json(
        status: StatusCode,
        body: &[u8],
        err: serde_path_to_error::Error<serde_json::Error>,
    ) -> Self {
        let path = err.path().to_string();
        let (excerpt, excerpt_cut) = excerpt(body, 256);
        DecodeError {
            path,
            status,
            excerpt,
            excerpt_cut,
            row: None,
            source: Box::new(err.into_inner()),
        }
    }

    pub(crate) fn other(status: StatusCode, path: impl Into<String>, source: BoxError) -> Self {
        DecodeError {
            path: path.into(),
            status,
            excerpt: String::new(),
            excerpt_cut: false,
            row: None,
            source,
        }
    }

    /// Marks the error as one export row's: the rows after it still follow.
    pub(crate) fn in_row(mut self, row: u64) -> Self {
        self.row = Some(row);
        self
    }

    /// The same error without anything of the body: for answers that hold a secret of their
    /// own (a customer session's token), which no error may show. The path stays.
    pub(crate) fn withheld(mut self) -> Self {
        self.excerpt.clear();
        self.excerpt_cut = false;
        self.source =
            "the answer did not decode (its content is withheld: it holds a secret)".into();
        self
    }

    /// The same error with every token of `tokens` replaced in its path, excerpt and message.
    pub(crate) fn redacted(mut self, tokens: &impl Redact) -> Self {
        if let Some(path) = tokens.redact_str(&self.path) {
            self.path = path;
        }
        let excerpt = tokens.redact_bytes(
            bytes::Bytes::from(std::mem::take(&mut self.excerpt)),
            self.excerpt_cut,
        );
        self.excerpt = String::from_utf8_lossy(&excerpt).into_owned();
        // The cause's message (serde quotes the value it could not take); its chain too.
        let message = polar_transport::error::chain(&*self.source)
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join(": ");
        if let Some(clean) = tokens.redact_str(&message) {
            self.source = clean.into();
        }
        self
    }

    /// Where in the document decoding failed, e.g. `items[3].created_at` (`.` for the root).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The status of the response.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The first bytes of the body (at most 256), lossily decoded.
    pub fn excerpt(&self) -> &str {
        &self.excerpt
    }

    /// For an export row whose values do not decode, its number (1 = the first row after the
    /// header): the stream goes on with the next row. `None` for an error that ends the stream
    /// or the call.
    pub fn row(&self) -> Option<u64> {
        self.row
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot decode the response at `{}`: {}",
            self.path, self.source
        )
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Error::Decode(Box::new(e))
    }
}

/// Keeps at most `limit` bytes, cut on a UTF-8 boundary; says whether anything was dropped.
fn excerpt(body: &[u8], limit: usize) -> (String, bool) {
    if body.len() <= limit {
        return (String::from_utf8_lossy(body).into_owned(), false);
    }
    let mut end = limit;
    // Step back over a partial UTF-8 sequence (at most 3 continuation bytes).
    while end > limit.saturating_sub(3) && (body[end] & 0xC0) == 0x80 {
        end -= 1;
    }
    (String::from_utf8_lossy(&body[..end]).into_owned(), true)
}

/// What cleans secrets out of an error: the tokens a call was sent with. Declared here, where it
/// is used, so that errors do not depend on how requests are made.
pub(crate) trait Redact {
    /// `text` with every secret replaced, or `None` when it holds none.
    fn redact_str(&self, text: &str) -> Option<String>;
    /// `body` with every secret replaced; with `cut`, a tail that may start a secret goes too.
    fn redact_bytes(&self, body: bytes::Bytes, cut: bool) -> bytes::Bytes;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_cuts_on_char_boundary() {
        let body = "é".repeat(2000);
        let (s, cut) = excerpt(body.as_bytes(), RAW_EXCERPT_LIMIT);
        assert!(cut);
        assert!(s.len() <= RAW_EXCERPT_LIMIT);
        assert!(!s.contains('\u{FFFD}'));
    }
}
