//! What can be wrong with a secret or a delivery, one variant per check.

use std::time::Duration;

/// Why a secret was refused or a delivery did not verify. No variant holds the secret or a key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The secret given to [`Webhook::new`](crate::Webhook::new) is empty.
    #[error(
        "the webhook secret is empty: pass the endpoint's secret as Polar shows it (`whsec_...`)"
    )]
    EmptySecret,
    /// The secret is `whsec_` and nothing else: the prefix was copied without the secret.
    #[error(
        "the webhook secret is `whsec_` alone: copy the whole secret from the endpoint's page in Polar's dashboard"
    )]
    SecretIsOnlyPrefix,
    /// [`Scheme::Standard`](crate::Scheme::Standard) was asked for a secret that has no
    /// standard key: what follows `whsec_` is not base64, so Polar signs it with the legacy key.
    #[error(
        "this secret has no standard key (what follows `whsec_` is not base64): \
         Polar signs it with the legacy key, so use `Scheme::Legacy` or accept either scheme"
    )]
    NoStandardKey,
    /// The operating system gave no random bytes for a new secret.
    #[error("no random bytes for a new webhook secret: {0}")]
    NoRandomness(String),
    /// A header Polar always sends is missing or empty.
    #[error("the `{0}` header is missing or empty: is this a Polar webhook delivery?")]
    MissingHeader(&'static str),
    /// A header holds bytes that are not visible ASCII.
    #[error("the `{0}` header is not visible ASCII")]
    HeaderNotText(&'static str),
    /// `webhook-timestamp` is not a Unix time in whole seconds.
    #[error("the `webhook-timestamp` header is not a Unix time in whole seconds")]
    MalformedTimestamp,
    /// `webhook-signature` holds no `v1,<base64>` entry.
    #[error(
        "the `webhook-signature` header holds no `v1,<base64>` signature (entries are separated by spaces)"
    )]
    MalformedSignature,
    /// No signature in `webhook-signature` matches the body, `webhook-id` and
    /// `webhook-timestamp` under this secret.
    #[error(
        "no signature matches: the body, `webhook-id` or `webhook-timestamp` was changed on the way, \
         or the secret is not this endpoint's (pass the body exactly as received)"
    )]
    NoMatchingSignature,
    /// The delivery was signed too long before now, or too far in the future.
    #[error(
        "the delivery was signed at {signed_at} (Unix seconds), {} than the tolerance of {}s around now ({now}); \
         a replayed delivery, or a clock that is off",
        if signed_at < now { "older" } else { "newer" },
        tolerance.as_secs()
    )]
    TimestampOutsideTolerance {
        /// The `webhook-timestamp` header, in Unix seconds.
        signed_at: i64,
        /// The verifier's clock, in Unix seconds.
        now: i64,
        /// The accepted distance between the two.
        tolerance: Duration,
    },
    /// The signature is valid but the body is not JSON.
    #[error("the body is not JSON: {0}")]
    NotJson(#[source] serde_json::Error),
    /// The signature is valid, the body is JSON but not an event (`type`, `timestamp`, `data`)
    /// or its `data` does not have the shape its `type` promises.
    #[error("the body is not a webhook event: {0}")]
    NotAnEvent(#[source] serde_json::Error),
}

impl Error {
    /// Sorts a decoding failure into [`Error::NotJson`] or [`Error::NotAnEvent`].
    pub(crate) fn from_json(e: serde_json::Error) -> Error {
        match e.classify() {
            serde_json::error::Category::Data => Error::NotAnEvent(e),
            _ => Error::NotJson(e),
        }
    }
}
