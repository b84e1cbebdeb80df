//! Signing deliveries as Polar does, for tests of receivers and for the fake Polar.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::Mac;

use crate::Error;
use crate::keys::{Key, Keys, Scheme};
use crate::webhook::signed_content;

/// Signs deliveries with one key of a secret, named by its [`Scheme`], as Polar signs an
/// endpoint's deliveries.
///
/// ```
/// use polar_webhooks::{Scheme, Signer, Webhook};
///
/// let secret = polar_webhooks::generate_secret()?;
/// let signer = Signer::new(&secret, Scheme::Standard)?;
/// let body = br#"{"type":"order.paid","timestamp":"2026-11-29T10:00:00Z","data":{}}"#;
/// let now = jiff::Timestamp::now().as_second();
/// let signature = signer.sign("msg_1", now, body);
/// let event = Webhook::new(&secret)?.verify_parts("msg_1", &now.to_string(), &signature, body)?;
/// assert_eq!(event.event_type(), "order.paid");
/// # Ok::<(), polar_webhooks::Error>(())
/// ```
#[derive(Clone)]
pub struct Signer {
    key: Key,
    scheme: Scheme,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("secret", &"<redacted>")
            .field("scheme", &self.scheme)
            .finish()
    }
}

impl Signer {
    /// A signer with the `scheme` key of `secret`.
    ///
    /// # Errors
    /// As [`Webhook::new`](crate::Webhook::new), and [`Error::NoStandardKey`] for
    /// [`Scheme::Standard`] when what follows `whsec_` is not base64.
    pub fn new(secret: impl AsRef<[u8]>, scheme: Scheme) -> Result<Signer, Error> {
        let key = Keys::derive(secret.as_ref())?.take(scheme)?;
        Ok(Signer { key, scheme })
    }

    /// The scheme this signer signs with.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The `webhook-signature` value for a delivery: `v1,` and the base64 HMAC-SHA256 of
    /// `{id}.{timestamp}.{body}`. Several signatures go in one header separated by spaces.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = signed_content(&self.key, id, timestamp, body)
            .finalize()
            .into_bytes();
        format!("v1,{}", BASE64.encode(tag))
    }
}
