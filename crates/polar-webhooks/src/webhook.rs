//! Checking a delivery's signature and time, then decoding it.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::Mac;
use http::HeaderMap;
use jiff::Timestamp;

use crate::keys::{Key, Keys, Scheme};
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

/// Verifies the deliveries of one webhook endpoint.
///
/// Built from the endpoint's secret exactly as Polar shows it. Polar signs with one of two keys
/// derived from it (see [`Scheme`]); [`Webhook::new`] derives both once and accepts a delivery
/// signed with either, as Polar's official SDKs do, so the same code works for an endpoint
/// created today (standard key) and for one created before 2026-09-08 or with a secret of your
/// choosing (legacy key). If you know your endpoint's scheme, [`scheme`](Self::scheme) keeps
/// only its key.
///
/// Only the keyed HMAC states are kept; `Debug` shows neither the secret nor a key.
#[derive(Clone)]
pub struct Webhook {
    keys: Keys,
    tolerance: Duration,
    clock: Clock,
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let schemes: Vec<Scheme> = [
            self.keys.legacy.as_ref().map(|_| Scheme::Legacy),
            self.keys.standard.as_ref().map(|_| Scheme::Standard),
        ]
        .into_iter()
        .flatten()
        .collect();
        f.debug_struct("Webhook")
            .field("secret", &"<redacted>")
            .field("schemes", &schemes)
            .field("tolerance", &self.tolerance)
            .finish_non_exhaustive()
    }
}

/// One verified delivery: its `webhook-id`, the time Polar signed this attempt, and the event.
///
/// What [`Webhook::verify_delivery`] returns and what a `Receiver` (feature `receiver`) hands to
/// your handler.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Delivery {
    /// The `webhook-id` header: the event's id at Polar, the same on every retry and
    /// redelivery of the event, so the key to deduplicate on.
    pub webhook_id: String,
    /// The `webhook-timestamp` header: when Polar signed this attempt (each retry is signed
    /// anew; [`Event::timestamp`] is when the event happened).
    pub signed_at: Timestamp,
    /// The decoded event.
    pub event: Event,
}

impl Delivery {
    /// A delivery from its parts, for testing your handler without signing anything.
    pub fn new(webhook_id: impl Into<String>, signed_at: Timestamp, event: Event) -> Delivery {
        Delivery {
            webhook_id: webhook_id.into(),
            signed_at,
            event,
        }
    }
}

impl Webhook {
    /// A verifier for the endpoint whose secret is `secret` (as Polar shows it, `whsec_...`, or
    /// as you supplied it), accepting either of its keys, with the default tolerance (five
    /// minutes) and the system clock.
    ///
    /// # Errors
    /// [`Error::EmptySecret`] for an empty secret (often an unset environment variable),
    /// [`Error::SecretIsOnlyPrefix`] for `whsec_` alone.
    pub fn new(secret: impl AsRef<[u8]>) -> Result<Webhook, Error> {
        Ok(Webhook {
            keys: Keys::derive(secret.as_ref())?,
            tolerance: DEFAULT_TOLERANCE,
            clock: Arc::new(SystemTime::now),
        })
    }

    /// Accepts only deliveries signed with the key of `scheme` (both by default). For when you
    /// know your endpoint's scheme: its `uses_standard_webhook_signature` field in Polar's API.
    ///
    /// ```
    /// use polar_webhooks::{Error, Scheme, Webhook};
    ///
    /// let secret = polar_webhooks::generate_secret()?;
    /// let webhook = Webhook::new(&secret)?.scheme(Scheme::Standard)?;
    /// # drop(webhook);
    /// // A secret whose rest is not base64 has no standard key.
    /// let err = Webhook::new("whsec_not-base64!").and_then(|w| w.scheme(Scheme::Standard));
    /// assert!(matches!(err, Err(Error::NoStandardKey)));
    /// # Ok::<(), polar_webhooks::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::NoStandardKey`] for [`Scheme::Standard`] when the secret has no standard key
    /// (what follows `whsec_` is not base64).
    pub fn scheme(mut self, scheme: Scheme) -> Result<Webhook, Error> {
        self.keys = self.keys.only(scheme)?;
        Ok(self)
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
        self.verify_delivery(headers, body).map(|d| d.event)
    }

    /// [`verify`](Self::verify), keeping the delivery's `webhook-id` (to deduplicate on) and
    /// signing time next to the event.
    ///
    /// # Errors
    /// As [`verify`](Self::verify).
    pub fn verify_delivery(&self, headers: &HeaderMap, body: &[u8]) -> Result<Delivery, Error> {
        let header = |name: &'static str| match headers.get(name) {
            None => Err(Error::MissingHeader(name)),
            Some(v) => v.to_str().map_err(|_| Error::HeaderNotText(name)),
        };
        let id = header(WEBHOOK_ID)?;
        let signed_at = self.check(
            id,
            header(WEBHOOK_TIMESTAMP)?,
            header(WEBHOOK_SIGNATURE)?,
            body,
        )?;
        Ok(Delivery {
            webhook_id: id.to_owned(),
            signed_at,
            event: serde_json::from_slice(body).map_err(Error::from_json)?,
        })
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

    /// The checks of [`verify_parts`](Self::verify_parts), without decoding the body; the
    /// signing time when they pass.
    fn check(
        &self,
        id: &str,
        timestamp: &str,
        signature: &str,
        body: &[u8],
    ) -> Result<Timestamp, Error> {
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
        // one valid `v1` signature under one of the keys is enough (a rotated secret signs
        // twice, possibly once per scheme).
        let signatures: Vec<Vec<u8>> = signature
            .split_ascii_whitespace()
            .filter_map(|entry| entry.split_once(','))
            .filter(|(version, _)| *version == "v1")
            .filter_map(|(_, sig)| BASE64.decode(sig).ok())
            .collect();
        if signatures.is_empty() {
            return Err(Error::MalformedSignature);
        }
        let matched = self.keys.candidates().any(|key| {
            let mac = signed_content(key, id, signed_at, body);
            // `verify_slice` compares in constant time.
            signatures
                .iter()
                .any(|sig| mac.clone().verify_slice(sig).is_ok())
        });
        if !matched {
            return Err(Error::NoMatchingSignature);
        }
        Timestamp::from_second(signed_at).map_err(|_| Error::MalformedTimestamp)
    }
}

/// The HMAC of `{id}.{timestamp}.{body}` under `key`, not yet finalized.
pub(crate) fn signed_content(key: &Key, id: &str, timestamp: i64, body: &[u8]) -> Key {
    let mut mac = key.clone();
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
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
