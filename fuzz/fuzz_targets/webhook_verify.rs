#![no_main]
//! Verifying and decoding a webhook delivery from arbitrary headers and body never panics.
//!
//! Input: `id \0 timestamp \0 signature \0 body` (a part left out is a missing header). The
//! body is also checked with a valid signature, so that decoding is reached whatever the
//! fuzzer cannot forge: then only a body that is not JSON or not an event may fail, and a
//! decoded event re-encodes to the same event.

use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use polar_webhooks::{Error, Event, Webhook};

const NOW: u64 = 1_796_032_800;

fuzz_target!(|data: &[u8]| {
    let webhook = Webhook::new("whsec_fuzz")
        .unwrap()
        .clock(|| UNIX_EPOCH + Duration::from_secs(NOW));
    let mut parts = data.splitn(4, |b| *b == 0);
    let (id, ts, sig) = (parts.next(), parts.next(), parts.next());
    let body = parts.next().unwrap_or_default();
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
    let signature = webhook.sign(id, NOW as i64, body);
    match webhook.verify_parts(id, &NOW.to_string(), &signature, body) {
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
        Err(e) => panic!("a correctly signed delivery was refused: {e}"),
    }
});
