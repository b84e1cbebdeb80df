//! The error types of the transport.
//!
//! Every layer of the default stack returns a [`BoxError`]. When the failure
//! comes from this crate (network, timeouts, the retry loop), the boxed value is an [`Error`];
//! downcast it to read its [`ErrorKind`] and the number of attempts made:
//!
//! ```
//! use polar_transport::{BoxError, Error, ErrorKind};
//!
//! fn describe(err: &BoxError) -> String {
//!     match err.downcast_ref::<Error>() {
//!         Some(e) if e.kind() == ErrorKind::CallTimeout => {
//!             format!("gave up after {} attempt(s)", e.attempts())
//!         }
//!         Some(e) => format!("transport error: {e}"),
//!         None => format!("other error: {err}"),
//!     }
//! }
//! # let err: BoxError = Error::new(ErrorKind::CallTimeout).into();
//! # assert_eq!(describe(&err), "gave up after 1 attempt(s)");
//! ```
//!
//! Errors never contain the bearer token: the messages are fixed strings, and sources come from
//! `hyper`/`std::io`, which do not print request headers.

use std::fmt;
use std::time::Duration;

use crate::{BoxError, RetryLater};

/// What went wrong, in a form a caller can match on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The connection could not be established (DNS, TCP connect, TLS handshake).
    ///
    /// The request was never sent, so it is always safe to retry.
    Connect,
    /// Establishing the connection (TCP connect and TLS handshake) took longer than the connect
    /// timeout.
    ///
    /// The request was never sent.
    ConnectTimeout,
    /// The server's TLS certificate was refused (unknown issuer, expired, wrong name, ...).
    ///
    /// The request was never sent. It is not retried: the same certificate would be refused
    /// again. Check the base URL, a proxy in the way, or the roots the client trusts.
    Certificate,
    /// The connection failed after the request may have been sent (reset, closed early,
    /// malformed response). The server may or may not have processed the request.
    Io,
    /// One attempt took longer than the per-attempt timeout.
    AttemptTimeout,
    /// The whole call, retries, waits and reading the response body included, took longer
    /// than the call timeout.
    CallTimeout,
    /// A streamed response body (a request marked
    /// [`RequestOptions::streaming_body`](crate::RequestOptions::streaming_body)) sent no data
    /// for longer than the body idle timeout. The response head had arrived, so the request
    /// reached the server; the answer is incomplete.
    BodyIdleTimeout,
    /// The request could not be prepared (for example a per-request token with invalid
    /// header bytes, or a URI that cannot be joined to the base URL).
    InvalidRequest,
    /// Any other failure, for example one returned by a user-supplied service; see the source.
    Other,
}

impl ErrorKind {
    fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Connect => "connection failed",
            ErrorKind::ConnectTimeout => "connect timed out",
            ErrorKind::Certificate => "the server's TLS certificate was refused",
            ErrorKind::Io => "connection error while the request was in flight",
            ErrorKind::AttemptTimeout => "attempt timed out",
            ErrorKind::CallTimeout => "call timed out",
            ErrorKind::BodyIdleTimeout => "response body stalled past the idle timeout",
            ErrorKind::InvalidRequest => "invalid request",
            ErrorKind::Other => "transport error",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failure of the transport, with its kind, the number of attempts made and the cause.
///
/// `Display` prints the kind (and the attempt count when more than one attempt was made);
/// [`std::error::Error::source`] gives the underlying cause, if any.
pub struct Error {
    kind: ErrorKind,
    attempts: u32,
    source: Option<BoxError>,
    /// Set by the rate limiter: the request was never sent, and waiting this long would have
    /// let it go.
    not_sent: Option<Duration>,
    retry_later: Option<RetryLater>,
}

impl Error {
    /// A new error of the given kind, without a source, counting one attempt.
    pub fn new(kind: ErrorKind) -> Self {
        Error {
            kind,
            attempts: 1,
            source: None,
            not_sent: None,
            retry_later: None,
        }
    }

    /// A new error of the given kind caused by `source`.
    pub fn with_source(kind: ErrorKind, source: impl Into<BoxError>) -> Self {
        Error {
            kind,
            attempts: 1,
            source: Some(source.into()),
            not_sent: None,
            retry_later: None,
        }
    }

    /// Sets the number of attempts made before this error was returned.
    pub(crate) fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts;
        self
    }

    /// Marks the [`ErrorKind::CallTimeout`] of a request the rate limiter gave up on before
    /// sending it (at once, when its wait was known to end after the deadline, or after
    /// waiting in line until the deadline); `wait`: how much longer the limiter knew it would
    /// have to wait (zero when it did not know).
    pub(crate) fn not_sent(mut self, wait: Duration) -> Self {
        self.not_sent = Some(wait);
        self
    }

    /// When the request was never sent (the rate limiter held it): the wait the limiter knew of.
    pub(crate) fn not_sent_wait(&self) -> Option<Duration> {
        self.not_sent
    }

    pub(crate) fn with_retry_later(mut self, later: RetryLater) -> Self {
        self.retry_later = Some(later);
        self
    }

    /// Given by the retry layer with the [`ErrorKind::CallTimeout`] of a request the rate
    /// limiter held because its wait did not fit in the call (given back at once when the
    /// limiter knew the wait, such as a 429's cooldown, else at the deadline): the request was
    /// never sent, and may be sent again after
    /// [`RetryLater::wait`] with this value in
    /// [`RequestOptions::resume`](crate::RequestOptions::resume), going on with the same call
    /// (this attempt is not counted). `None` for every other error.
    pub fn retry_later(&self) -> Option<RetryLater> {
        self.retry_later
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// How many attempts were made (1 when the request was not retried).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// True for [`ErrorKind::AttemptTimeout`], [`ErrorKind::CallTimeout`],
    /// [`ErrorKind::BodyIdleTimeout`] and [`ErrorKind::ConnectTimeout`].
    pub fn is_timeout(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::AttemptTimeout
                | ErrorKind::CallTimeout
                | ErrorKind::BodyIdleTimeout
                | ErrorKind::ConnectTimeout
        )
    }

    /// True when the request provably never reached the server
    /// ([`ErrorKind::Connect`], [`ErrorKind::ConnectTimeout`] or [`ErrorKind::Certificate`]).
    pub fn is_connect(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Connect | ErrorKind::ConnectTimeout | ErrorKind::Certificate
        )
    }

    /// Turns any boxed error into an [`Error`]: an `Error` is unboxed as is, anything else is
    /// wrapped as [`ErrorKind::Other`] with the original as its source.
    pub(crate) fn from_boxed(err: BoxError) -> Self {
        match err.downcast::<Error>() {
            Ok(e) => *e,
            Err(other) => Error::with_source(ErrorKind::Other, other),
        }
    }

    /// Maps an error of the `hyper-util` client to an [`Error`] of the right kind.
    #[cfg(any(feature = "rustls-ring", feature = "rustls-aws-lc"))]
    pub(crate) fn from_client(err: hyper_util::client::legacy::Error) -> Self {
        let kind = if !err.is_connect() {
            ErrorKind::Io
        } else if chain(&err).any(|e| {
            e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        }) {
            ErrorKind::ConnectTimeout
        } else if chain(&err).any(|e| {
            matches!(
                e.downcast_ref::<rustls::Error>(),
                Some(rustls::Error::InvalidCertificate(_))
            )
        }) {
            ErrorKind::Certificate
        } else {
            ErrorKind::Connect
        };
        Error::with_source(kind, err)
    }
}

/// `err` and the errors behind it, outermost first: the one walk of a source chain in the SDK.
///
/// The walk goes *into* an `io::Error` that wraps another error (how TLS errors travel, and how
/// hyper passes a body error through): `io::Error::source()` would skip the wrapped error.
///
/// ```
/// use polar_transport::error::chain;
/// use polar_transport::{Error, ErrorKind};
///
/// let inner = std::io::Error::new(std::io::ErrorKind::Other, Error::new(ErrorKind::Connect));
/// let found = chain(&inner).find_map(|e| e.downcast_ref::<Error>());
/// assert_eq!(found.map(Error::kind), Some(ErrorKind::Connect));
/// ```
// Hidden: polar-customers finds the transport's error in a chain with the same walk (its
// `Error::transport_error` is what users call); it is not part of this crate's stable API.
#[doc(hidden)]
pub fn chain<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(err), |e| match e.downcast_ref::<std::io::Error>() {
        Some(io) => io.get_ref().map(|inner| inner as _),
        None => e.source(),
    })
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("attempts", &self.attempts)
            .field("source", &self.source)
            .field("retry_later", &self.retry_later)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.as_str())?;
        if self.attempts > 1 {
            write!(f, " (after {} attempts)", self.attempts)?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as _)
    }
}

/// Why [`TransportBuilder::build`](crate::TransportBuilder::build) refused a configuration.
///
/// The messages never contain the token, only what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No token was given to [`TransportBuilder::token`](crate::TransportBuilder::token), or it
    /// was empty.
    #[error("the bearer token is missing or empty")]
    MissingToken,
    /// The token holds bytes that cannot go into an HTTP header (CR, LF, other control
    /// characters or non-visible ASCII).
    #[error("the bearer token contains characters that are not allowed in an HTTP header")]
    InvalidToken,
    /// The base URL could not be parsed, or lacks a scheme or host.
    #[error("invalid base URL: {0}")]
    InvalidBaseUrl(String),
    /// The base URL uses plain `http://` and [`TransportBuilder::allow_http`](crate::TransportBuilder::allow_http)
    /// was not set.
    #[error("refusing plain http:// base URL; call allow_http(true) to permit it")]
    InsecureBaseUrl,
    /// A header value (user agent, API version) is not a valid header value.
    #[error("invalid value for header {0}")]
    InvalidHeader(&'static str),
    /// A limit in the configuration is zero or otherwise unusable.
    #[error("invalid configuration: {0}")]
    InvalidConfig(&'static str),
    /// The TLS configuration could not be set up (for example native roots could not be read).
    #[error("TLS setup failed")]
    Tls(#[source] BoxError),
}
