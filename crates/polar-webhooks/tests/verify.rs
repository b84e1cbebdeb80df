//! Signature, header and time checks, against signatures computed outside this crate.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use http::HeaderMap;
use polar_webhooks::{Error, Event, Webhook};

/// The vectors below were computed with the Standard Webhooks reference library for Python
/// (`pip download standardwebhooks==1.0.0`, unpacked, run with `PYTHONPATH=.`), and checked
/// again with Python's `hmac` module alone:
///
/// ```python
/// import base64, hmac, hashlib
/// from datetime import datetime, timezone
/// from standardwebhooks.webhooks import Webhook
/// # The scheme's own test vector: the key is the base64 text after `whsec_`, decoded.
/// Webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").sign("msg_p5jXN8AQM9LWM0D4loKWxJek",
///     datetime.fromtimestamp(1614265330, tz=timezone.utc), '{"test": 2432232314}')
/// # -> v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
/// # Polar's way (server/polar/webhook/tasks.py): base64 the secret, hand it to the signer.
/// b64 = base64.b64encode(POLAR_SECRET.encode("utf-8")).decode("utf-8")
/// Webhook(b64).sign(POLAR_ID, datetime.fromtimestamp(1796032800, tz=timezone.utc), POLAR_BODY)
/// # -> v1,rgyue4scrsWk+rY6e3WShfEozxiQhOFK+6O6FL4Sr9I=
/// msg = f"{POLAR_ID}.1796032800.{POLAR_BODY}".encode()
/// "v1," + base64.b64encode(hmac.new(POLAR_SECRET.encode(), msg, hashlib.sha256).digest()).decode()
/// # -> v1,rgyue4scrsWk+rY6e3WShfEozxiQhOFK+6O6FL4Sr9I=
/// ```
const REFERENCE_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
const POLAR_SECRET: &str = "whsec_polar_test_secret_0123456789";
const POLAR_ID: &str = "0b6a3c52-1d2e-4f5a-8b9c-0d1e2f3a4b5c";
const POLAR_TS: i64 = 1796032800;
const POLAR_BODY: &str =
    r#"{"type":"customer.deleted","timestamp":"2026-11-29T10:00:00.000000Z","data":{}}"#;
const POLAR_SIGNATURE: &str = "v1,rgyue4scrsWk+rY6e3WShfEozxiQhOFK+6O6FL4Sr9I=";

fn at(ts: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(ts as u64)
}

fn polar() -> Webhook {
    Webhook::new(POLAR_SECRET).unwrap().clock(|| at(POLAR_TS))
}

fn headers(id: &str, ts: &str, sig: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("webhook-id", id.parse().unwrap());
    h.insert("webhook-timestamp", ts.parse().unwrap());
    h.insert("webhook-signature", sig.parse().unwrap());
    h
}

#[test]
fn the_standard_webhooks_reference_vector() {
    let key = base64::engine::general_purpose::STANDARD
        .decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        .unwrap();
    let webhook = Webhook::new(key).unwrap().clock(|| at(1614265330));
    let body = br#"{"test": 2432232314}"#;
    assert_eq!(
        webhook.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
        REFERENCE_SIGNATURE
    );
    // The signature passes; the body is simply not an event.
    let err = webhook
        .verify_parts(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "1614265330",
            REFERENCE_SIGNATURE,
            body,
        )
        .unwrap_err();
    assert!(matches!(err, Error::NotAnEvent(_)), "{err:?}");
}

#[test]
fn polar_signs_with_the_secret_text_as_key() {
    let webhook = polar();
    assert_eq!(
        webhook.sign(POLAR_ID, POLAR_TS, POLAR_BODY.as_bytes()),
        POLAR_SIGNATURE
    );
    let h = headers(POLAR_ID, &POLAR_TS.to_string(), POLAR_SIGNATURE);
    let event = webhook.verify(&h, POLAR_BODY.as_bytes()).unwrap();
    assert_eq!(event.event_type(), "customer.deleted");
    assert!(matches!(event, Event::CustomerDeleted { .. }));
}

#[test]
fn one_changed_byte_anywhere_fails() {
    let webhook = polar();
    let ts = POLAR_TS.to_string();
    let body = POLAR_BODY.as_bytes();
    for i in 0..body.len() {
        let mut changed = body.to_vec();
        changed[i] ^= 0x01;
        let err = webhook
            .verify_parts(POLAR_ID, &ts, POLAR_SIGNATURE, &changed)
            .unwrap_err();
        assert!(
            matches!(err, Error::NoMatchingSignature),
            "byte {i}: {err:?}"
        );
    }
    for i in 0..POLAR_ID.len() {
        let mut id = POLAR_ID.as_bytes().to_vec();
        id[i] ^= 0x01;
        let id = String::from_utf8(id).unwrap();
        let err = webhook
            .verify_parts(&id, &ts, POLAR_SIGNATURE, body)
            .unwrap_err();
        assert!(matches!(err, Error::NoMatchingSignature), "id byte {i}");
    }
    for ts in [POLAR_TS - 1, POLAR_TS + 1] {
        let err = webhook
            .verify_parts(POLAR_ID, &ts.to_string(), POLAR_SIGNATURE, body)
            .unwrap_err();
        assert!(matches!(err, Error::NoMatchingSignature), "ts {ts}");
    }
    let mut sig = POLAR_SIGNATURE.as_bytes().to_vec();
    sig[5] ^= 0x01;
    let err = webhook
        .verify_parts(POLAR_ID, &ts, std::str::from_utf8(&sig).unwrap(), body)
        .unwrap_err();
    assert!(matches!(err, Error::NoMatchingSignature), "{err:?}");
    // Another secret.
    let other = Webhook::new("whsec_someone_else")
        .unwrap()
        .clock(|| at(POLAR_TS));
    let err = other
        .verify_parts(POLAR_ID, &ts, POLAR_SIGNATURE, body)
        .unwrap_err();
    assert!(matches!(err, Error::NoMatchingSignature));
}

#[test]
fn any_valid_signature_among_several_accepts() {
    let webhook = polar();
    let old = Webhook::new("whsec_old_secret").unwrap();
    let old_sig = old.sign(POLAR_ID, POLAR_TS, POLAR_BODY.as_bytes());
    let ts = POLAR_TS.to_string();
    let body = POLAR_BODY.as_bytes();
    for header in [
        format!("{old_sig} {POLAR_SIGNATURE}"),
        format!("{POLAR_SIGNATURE} {old_sig}"),
        // Other versions and unreadable entries are skipped.
        format!("v2,AAAA v1,%%% {POLAR_SIGNATURE}"),
    ] {
        webhook
            .verify_parts(POLAR_ID, &ts, &header, body)
            .unwrap_or_else(|e| panic!("{header}: {e}"));
    }
    // Signed only by the old secret: refused by the new one, accepted by the old one.
    let err = webhook
        .verify_parts(POLAR_ID, &ts, &old_sig, body)
        .unwrap_err();
    assert!(matches!(err, Error::NoMatchingSignature));
    old.clock(|| at(POLAR_TS))
        .verify_parts(POLAR_ID, &ts, &format!("{old_sig} {POLAR_SIGNATURE}"), body)
        .unwrap();
}

#[test]
fn the_tolerance_holds_both_ways_to_the_second() {
    let body = POLAR_BODY.as_bytes();
    let check = |webhook: &Webhook, ts: i64| {
        let sig = webhook.sign(POLAR_ID, ts, body);
        webhook.verify_parts(POLAR_ID, &ts.to_string(), &sig, body)
    };
    let webhook = polar();
    for ts in [POLAR_TS - 300, POLAR_TS, POLAR_TS + 300] {
        check(&webhook, ts).unwrap();
    }
    for (ts, older) in [(POLAR_TS - 301, true), (POLAR_TS + 301, false)] {
        match check(&webhook, ts).unwrap_err() {
            e @ Error::TimestampOutsideTolerance {
                signed_at,
                now,
                tolerance,
            } => {
                assert_eq!((signed_at, now), (ts, POLAR_TS));
                assert_eq!(tolerance, Duration::from_secs(300));
                let text = e.to_string();
                assert!(
                    text.contains(if older { "older" } else { "newer" }),
                    "{text}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
    let narrow = polar().tolerance(Duration::from_secs(10));
    check(&narrow, POLAR_TS - 10).unwrap();
    check(&narrow, POLAR_TS + 10).unwrap();
    assert!(check(&narrow, POLAR_TS - 11).is_err());
    assert!(check(&narrow, POLAR_TS + 11).is_err());
}

#[test]
fn each_bad_header_has_its_own_error() {
    let webhook = polar();
    let body = POLAR_BODY.as_bytes();
    let ts = POLAR_TS.to_string();
    for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        let mut h = headers(POLAR_ID, &ts, POLAR_SIGNATURE);
        h.remove(name);
        match webhook.verify(&h, body).unwrap_err() {
            Error::MissingHeader(missing) => assert_eq!(missing, name),
            other => panic!("{other:?}"),
        }
        let mut h = headers(POLAR_ID, &ts, POLAR_SIGNATURE);
        h.insert(name, http::HeaderValue::from_bytes(b"caf\xe9").unwrap());
        match webhook.verify(&h, body).unwrap_err() {
            Error::HeaderNotText(bad) => assert_eq!(bad, name),
            other => panic!("{other:?}"),
        }
    }
    for bad in ["", "   "] {
        assert!(matches!(
            webhook.verify_parts(bad, &ts, POLAR_SIGNATURE, body),
            Err(Error::MissingHeader("webhook-id"))
        ));
    }
    for bad in ["soon", "1796032800.5", "0x6b0e"] {
        assert!(matches!(
            webhook.verify_parts(POLAR_ID, bad, POLAR_SIGNATURE, body),
            Err(Error::MalformedTimestamp)
        ));
    }
    for bad in ["garbage", "v1", "v1,!!!", "v1a,AAAA", "v2,AAAA"] {
        assert!(
            matches!(
                webhook.verify_parts(POLAR_ID, &ts, bad, body),
                Err(Error::MalformedSignature)
            ),
            "{bad}"
        );
    }
}

#[test]
fn a_signed_body_that_is_not_an_event_is_refused() {
    let webhook = polar();
    let ts = POLAR_TS.to_string();
    for (body, not_json) in [
        (&b"not json"[..], true),
        (b"{\"type\":", true),
        (b"[1,2]", false),
        (b"{\"foo\":1}", false),
        (b"{\"type\":\"customer.created\",\"timestamp\":\"2026-11-29T10:00:00Z\",\"data\":\"x\"}", false),
        (b"{\"type\":\"order.paid\",\"timestamp\":\"yesterday\",\"data\":{}}", false),
    ] {
        let sig = webhook.sign(POLAR_ID, POLAR_TS, body);
        match webhook.verify_parts(POLAR_ID, &ts, &sig, body).unwrap_err() {
            Error::NotJson(_) => assert!(not_json, "{}", String::from_utf8_lossy(body)),
            Error::NotAnEvent(_) => assert!(!not_json, "{}", String::from_utf8_lossy(body)),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn the_secret_never_shows() {
    assert!(matches!(Webhook::new(""), Err(Error::EmptySecret)));
    let webhook = polar();
    let shown = format!("{webhook:?}");
    assert!(!shown.contains("polar_test_secret"), "{shown}");
    let ts = POLAR_TS.to_string();
    let body = POLAR_BODY.as_bytes();
    let errors = [
        webhook.verify_parts("", &ts, POLAR_SIGNATURE, body),
        webhook.verify_parts(POLAR_ID, "x", POLAR_SIGNATURE, body),
        webhook.verify_parts(POLAR_ID, "1", POLAR_SIGNATURE, body),
        webhook.verify_parts(POLAR_ID, &ts, "x", body),
        webhook.verify_parts(POLAR_ID, &ts, "v1,AAAA", body),
    ];
    for err in errors {
        let err = err.unwrap_err();
        for text in [format!("{err}"), format!("{err:?}")] {
            assert!(!text.contains("polar_test_secret"), "{text}");
            assert!(!text.contains("whsec_"), "{text}");
        }
    }
}
