#![no_main]
//! Deriving the keys of any secret, then verifying and decoding a delivery from arbitrary
//! headers and body, never panics; and a delivery signed with either key of the secret is
//! accepted.
//!
//! Input: `secret \0 id \0 timestamp \0 signature \0 body` (a part left out is a missing
//! header). The body is also signed with each key the secret has (standard: the base64 decoding
//! of what follows `whsec_`; legacy: the whole secret), so that both derivations and decoding are
//! reached whatever the fuzzer cannot forge: then only a body that is not JSON or not an event
//! may fail, and a decoded event re-encodes to the same event.

use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use polar_webhooks::{Error, Event, Scheme, Signer, Webhook};

const NOW: u64 = 1_796_032_800;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(5, |b| *b == 0);
    let secret = parts.next().unwrap_or_default();
    let (id, ts, sig) = (parts.next(), parts.next(), parts.next());
    let body = parts.next().unwrap_or_default();
    let webhook = match Webhook::new(secret) {
        Ok(w) => w.clock(|| UNIX_EPOCH + Duration::from_secs(NOW)),
        Err(Error::EmptySecret) => return assert!(secret.is_empty()),
        Err(Error::SecretIsOnlyPrefix) => return assert_eq!(secret, b"whsec_"),
        Err(e) => panic!("a secret was refused: {e}"),
    };
    let mut headers = http::HeaderMap::new();
    for (name, value) in [
        ("webhook-id", id),
        ("webhook-timestamp", ts),
        ("webhook-signature", sig),
    ] {
        if let Some(v) = value.and_then(|v| http::HeaderValue::from_bytes(v).ok()) {
            headers.insert(name, v);
        }
    }
    let _ = webhook.verify(&headers, body);

    let id = id
        .and_then(|v| std::str::from_utf8(v).ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or("msg_1");
    let ts = NOW.to_string();
    let mut signed = 0;
    for scheme in [Scheme::Standard, Scheme::Legacy] {
        let signer = match Signer::new(secret, scheme) {
            Ok(signer) => signer,
            // Only the standard key may be missing (what follows `whsec_` is not base64).
            Err(Error::NoStandardKey) if scheme == Scheme::Standard => continue,
            Err(e) => panic!("no {scheme:?} key: {e}"),
        };
        signed += 1;
        let signature = signer.sign(id, NOW as i64, body);
        // Accepted by a verifier of either key, and by one told this scheme.
        let bound = webhook.clone().scheme(scheme).expect("the signer's scheme exists");
        for verifier in [&webhook, &bound] {
            match verifier.verify_parts(id, &ts, &signature, body) {
                Ok(event) => {
                    let encoded = serde_json::to_vec(&event).expect("an event encodes");
                    let again: Event = serde_json::from_slice(&encoded).unwrap_or_else(|e| {
                        panic!(
                            "re-encoded event does not decode: {e}\n{}",
                            String::from_utf8_lossy(&encoded)
                        )
                    });
                    assert_eq!(again, event);
                }
                Err(Error::NotJson(_) | Error::NotAnEvent(_)) => {}
                Err(e) => panic!("a delivery signed with the {scheme:?} key was refused: {e}"),
            }
        }
    }
    assert!(signed >= 1, "every secret has its legacy key");
});
