//! Checking a delivery's signature and time, and signing bodies the same way.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use http::HeaderMap;
use sha2::Sha256;

use crate::{Error, Event};

/// The header holding the delivery's id (the same on every retry of one event).
pub const WEBHOOK_ID: &str = "webhook-id";
/// The header holding the time of the delivery attempt, in Unix seconds.
pub const WEBHOOK_TIMESTAMP: &str = "webhook-timestamp";
/// The header holding one or more space-separated `v1,<base64>` signatures.
pub const WEBHOOK_SIGNATURE: &str = "webhook-signature";

/// How far `webhook-timestamp` may be from now, either way, unless told otherwise.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);

type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// Verifies (and signs) the deliveries of one webhook endpoint.
///
/// Built from the endpoint's secret exactly as Polar shows it (`whsec_...`): Polar keys its
/// HMAC-SHA256 with the secret's UTF-8 bytes, prefix included (it base64-encodes the secret
/// before handing it to its Standard Webhooks signer, which decodes it again). A generic Standard
/// Webhooks library given Polar's secret as is would instead base64-decode what follows `whsec_`
/// and never match.
///
/// The secret is kept only as the keyed HMAC state; `Debug` does not show it.
#[derive(Clone)]
pub struct Webhook {
    mac: Hmac<Sha256>,
    tolerance: Duration,
    clock: Clock,
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("secret", &"<redacted>")
            .field("tolerance", &self.tolerance)
            .finish_non_exhaustive()
    }
}

impl Webhook {
    /// A verifier for the endpoint whose secret is `secret`, with the default tolerance (five
    /// minutes) and the system clock.
    ///
    /// # Errors
    /// [`Error::EmptySecret`] for an empty secret (often an unset environment variable).
    pub fn new(secret: impl AsRef<[u8]>) -> Result<Webhook, Error> {
        let secret = secret.as_ref();
        if secret.is_empty() {
            return Err(Error::EmptySecret);
        }
        let mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| Error::EmptySecret)?;
        Ok(Webhook {
            mac,
            tolerance: DEFAULT_TOLERANCE,
            clock: Arc::new(SystemTime::now),
        })
    }

    /// How far `webhook-timestamp` may be from now, in the past or the future (five minutes by
    /// default). Wider accepts older replays; narrower needs well-synchronised clocks.
    pub fn tolerance(mut self, tolerance: Duration) -> Webhook {
        self.tolerance = tolerance;
        self
    }

    /// The clock the tolerance is measured against (the system clock by default); tests set a
    /// fixed time here.
    pub fn clock(mut self, now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Webhook {
        self.clock = Arc::new(now);
        self
    }

    /// Verifies a delivery from its headers and its body exactly as received, then decodes the
    /// event.
    ///
    /// # Errors
    /// One [`Error`] variant per failed check: a missing header, a malformed timestamp or
    /// signature, a time outside the tolerance, no matching signature, or a body that is not an
    /// event.
    pub fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<Event, Error> {
        let header = |name: &'static str| match headers.get(name) {
            None => Err(Error::MissingHeader(name)),
            Some(v) => v.to_str().map_err(|_| Error::HeaderNotText(name)),
        };
        self.verify_parts(
            header(WEBHOOK_ID)?,
            header(WEBHOOK_TIMESTAMP)?,
            header(WEBHOOK_SIGNATURE)?,
            body,
        )
    }

    /// [`verify`](Self::verify) from the three header values (`webhook-id`,
    /// `webhook-timestamp`, `webhook-signature`), for frameworks that hand them out one by one.
    ///
    /// # Errors
    /// As [`verify`](Self::verify).
    pub fn verify_parts(
        &self,
        id: &str,
        timestamp: &str,
        signature: &str,
        body: &[u8],
    ) -> Result<Event, Error> {
        self.check(id, timestamp, signature, body)?;
        serde_json::from_slice(body).map_err(Error::from_json)
    }

    /// The checks of [`verify_parts`](Self::verify_parts), without decoding the body.
    fn check(&self, id: &str, timestamp: &str, signature: &str, body: &[u8]) -> Result<(), Error> {
        for (name, value) in [
            (WEBHOOK_ID, id),
            (WEBHOOK_TIMESTAMP, timestamp),
            (WEBHOOK_SIGNATURE, signature),
        ] {
            if value.trim().is_empty() {
                return Err(Error::MissingHeader(name));
            }
        }
        let signed_at: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| Error::MalformedTimestamp)?;
        let now = unix_seconds((self.clock)());
        if signed_at.abs_diff(now) > self.tolerance.as_secs() {
            return Err(Error::TimestampOutsideTolerance {
                signed_at,
                now,
                tolerance: self.tolerance,
            });
        }
        // Entries in other versions (or ones we cannot read) are skipped, as the scheme asks;
        // one valid `v1` signature is enough (a rotated secret signs twice).
        let candidates: Vec<Vec<u8>> = signature
            .split_ascii_whitespace()
            .filter_map(|entry| entry.split_once(','))
            .filter(|(version, _)| *version == "v1")
            .filter_map(|(_, sig)| BASE64.decode(sig).ok())
            .collect();
        if candidates.is_empty() {
            return Err(Error::MalformedSignature);
        }
        let mac = self.keyed(id, signed_at, body);
        // `verify_slice` compares in constant time.
        if candidates
            .iter()
            .any(|sig| mac.clone().verify_slice(sig).is_ok())
        {
            Ok(())
        } else {
            Err(Error::NoMatchingSignature)
        }
    }

    /// Signs a body as Polar does: `v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`.
    ///
    /// For tests of your receiver (and the fake Polar). Several signatures go in one
    /// `webhook-signature` header separated by spaces.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = self.keyed(id, timestamp, body).finalize().into_bytes();
        format!("v1,{}", BASE64.encode(tag))
    }

    fn keyed(&self, id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
        let mut mac = self.mac.clone();
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }
}

/// Whole seconds since the Unix epoch (negative before it), rounded down.
fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => {
            let d = e.duration();
            let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            if d.subsec_nanos() > 0 {
                -secs - 1
            } else {
                -secs
            }
        }
    }
}
