//! [`WebhookEndpoint`]: where the fake delivers, and the secret and key it signs with.
//!
//! Polar picks the key by the secret's origin (pull requests #14117 and #14400;
//! `server/polar/webhook/constants.py`, `WEBHOOK_STANDARD_SIGNATURE_CUTOFF`):
//! - a secret Polar generates today is `whsec_` + the base64 of 32 random bytes, signed with
//!   the standard key (the decoded bytes): [`WebhookEndpoint::new`];
//! - a secret generated before 2026-09-08 is a `generate_token` token (`whsec_`, 37 random
//!   letters and digits, 6 of checksum; `server/polar/kit/crypto.py`), signed with the legacy key
//!   (the whole secret's bytes): [`WebhookEndpoint::with_legacy_secret`];
//! - a secret the merchant supplied is always signed with the legacy key:
//!   [`WebhookEndpoint::with_secret`].

use std::fmt;
use std::time::Duration;

use http::Uri;
use polar_webhooks::{Scheme, Signer};

/// A webhook endpoint to register with [`FakePolar::add_webhook_endpoint`](crate::FakePolar::add_webhook_endpoint).
#[derive(Clone)]
pub struct WebhookEndpoint {
    pub(super) url: Uri,
    secret: String,
    pub(super) signer: Signer,
    events: Vec<String>,
    pub(super) max_attempts: u32,
    pub(super) first_backoff: Duration,
    pub(super) max_backoff: Duration,
}

impl fmt::Debug for WebhookEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The secret stays out (the signer does not print it either).
        f.debug_struct("WebhookEndpoint")
            .field("url", &self.url)
            .field("scheme", &self.signer.scheme())
            .field("events", &self.events)
            .field("max_attempts", &self.max_attempts)
            .finish_non_exhaustive()
    }
}

/// Why an endpoint could not be registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEndpointError(String);

impl fmt::Display for WebhookEndpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for WebhookEndpointError {}

impl WebhookEndpoint {
    /// An endpoint at `url` (plain `http://`, as a test receiver on loopback is) receiving the
    /// event types listed in `events` (see [`CUSTOMER_EVENTS`](crate::CUSTOMER_EVENTS)), with a
    /// secret generated as Polar generates one today and signed with its standard key. Give
    /// [`secret`](Self::secret) to your receiver.
    ///
    /// ```
    /// use polar_fake::{CUSTOMER_EVENTS, WebhookEndpoint};
    /// use polar_webhooks::Scheme;
    ///
    /// let endpoint = WebhookEndpoint::new("http://127.0.0.1:8000/webhooks/polar", CUSTOMER_EVENTS)?;
    /// assert!(endpoint.secret().starts_with("whsec_"));
    /// assert_eq!(endpoint.scheme(), Scheme::Standard);
    /// let legacy = endpoint.clone().with_legacy_secret();
    /// assert_eq!(legacy.scheme(), Scheme::Legacy);
    /// let mine = endpoint.with_secret("whsec_a_secret_of_my_own_choosing")?;
    /// assert_eq!((mine.secret(), mine.scheme()), ("whsec_a_secret_of_my_own_choosing", Scheme::Legacy));
    /// # Ok::<(), polar_fake::WebhookEndpointError>(())
    /// ```
    ///
    /// # Errors
    /// When `url` is not an absolute `http://` URL, or the system has no randomness for the
    /// secret.
    pub fn new<I, S>(url: &str, events: I) -> Result<Self, WebhookEndpointError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let bad = |why: &str| WebhookEndpointError(format!("webhook endpoint `{url}`: {why}"));
        let parsed: Uri = url.parse().map_err(|e| bad(&format!("not a URL ({e})")))?;
        if parsed.scheme_str() != Some("http") || parsed.authority().is_none() {
            return Err(bad(
                "the fake delivers to absolute `http://host:port/path` URLs only",
            ));
        }
        let secret = polar_webhooks::generate_secret().map_err(|e| bad(&e.to_string()))?;
        let signer = Signer::new(&secret, Scheme::Standard).map_err(|e| bad(&e.to_string()))?;
        Ok(WebhookEndpoint {
            url: parsed,
            secret,
            signer,
            events: events.into_iter().map(Into::into).collect(),
            max_attempts: 10,
            first_backoff: Duration::from_millis(20),
            max_backoff: Duration::from_secs(1),
        })
    }

    /// The endpoint as one made before 2026-09-08: a new secret in Polar's old token form, signed
    /// with the legacy key (the whole secret's UTF-8 bytes).
    pub fn with_legacy_secret(mut self) -> Self {
        let secret = old_token();
        match Signer::new(&secret, Scheme::Legacy) {
            Ok(signer) => {
                self.secret = secret;
                self.signer = signer;
            }
            // A legacy key exists for every non-empty secret, and this one has 49 characters.
            Err(e) => unreachable!("the legacy key of a new secret: {e}"),
        }
        self
    }

    /// The endpoint with a secret of the test's choosing, signed with the legacy key as Polar
    /// signs every secret a merchant supplied (pull request #14400).
    ///
    /// # Errors
    /// When `secret` is empty or `whsec_` alone.
    pub fn with_secret(mut self, secret: &str) -> Result<Self, WebhookEndpointError> {
        self.signer = Signer::new(secret, Scheme::Legacy)
            .map_err(|e| WebhookEndpointError(format!("webhook endpoint `{}`: {e}", self.url)))?;
        self.secret = secret.to_owned();
        Ok(self)
    }

    /// Attempts per event before giving up (10 by default, as Polar), and the wait before the
    /// first retry, doubled on each further one up to one second (20 ms by default).
    pub fn retries(mut self, max_attempts: u32, first_backoff: Duration) -> Self {
        self.max_attempts = max_attempts.max(1);
        self.first_backoff = first_backoff;
        self
    }

    /// The endpoint's secret, as Polar's dashboard would show it: what the receiver verifies
    /// with.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// The key deliveries are signed with.
    pub fn scheme(&self) -> Scheme {
        self.signer.scheme()
    }

    /// The URL deliveries go to.
    pub fn url(&self) -> String {
        self.url.to_string()
    }

    pub(super) fn wants(&self, event_type: &str) -> bool {
        self.events.iter().any(|e| e == event_type)
    }
}

/// Letters and digits in the order of Polar's base-62 checksum (`_crc32_to_base62`).
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A token as Polar's `generate_token(prefix="whsec_")` makes one: 37 random letters and
/// digits, then their CRC-32 in base 62, padded to 6 characters.
fn old_token() -> String {
    let mut token = String::from("whsec_");
    // 248 = 4 × 62: taking only bytes below it keeps every character equally likely.
    let body: String = crate::builder::random_bytes()
        .filter(|b| *b < 248)
        .take(37)
        .map(|b| BASE62[usize::from(b % 62)] as char)
        .collect();
    let mut checksum = crc32(body.as_bytes());
    let mut digits = Vec::new();
    while checksum > 0 {
        digits.push(BASE62[(checksum % 62) as usize]);
        checksum /= 62;
    }
    while digits.len() < 6 {
        digits.push(b'0');
    }
    token.push_str(&body);
    token.extend(digits.iter().rev().map(|d| *d as char));
    token
}

/// CRC-32 (IEEE, as Python's `zlib.crc32`).
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for byte in data {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_zlib() {
        // python3 -c "import zlib; print(zlib.crc32(b'123456789'), zlib.crc32(b''))"
        assert_eq!(crc32(b"123456789"), 3_421_780_262);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn an_old_token_has_polars_shape() {
        let token = old_token();
        let rest = token.strip_prefix("whsec_").unwrap();
        assert_eq!(rest.len(), 43);
        assert!(rest.bytes().all(|b| b.is_ascii_alphanumeric()));
        let (body, checksum) = rest.split_at(37);
        let mut n = crc32(body.as_bytes());
        let mut expected = String::new();
        for _ in 0..6 {
            expected.insert(0, BASE62[(n % 62) as usize] as char);
            n /= 62;
        }
        assert_eq!(checksum, expected);
        assert_ne!(old_token(), token);
    }
}
