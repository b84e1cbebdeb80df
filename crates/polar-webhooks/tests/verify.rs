//! Signature, header and time checks under both of Polar's keys, against signatures computed
//! outside this crate.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hmac::{Hmac, Mac};
use http::HeaderMap;
use polar_webhooks::{Error, Event, Scheme, Signer, Webhook};
use sha2::Sha256;

/// The Standard Webhooks scheme's own test vector, computed with its reference library for
/// Python (`pip download standardwebhooks==1.0.0`, unpacked, run with `PYTHONPATH=.`):
///
/// ```python
/// from datetime import datetime, timezone
/// from standardwebhooks.webhooks import Webhook
/// Webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").sign("msg_p5jXN8AQM9LWM0D4loKWxJek",
///     datetime.fromtimestamp(1614265330, tz=timezone.utc), '{"test": 2432232314}')
/// # -> v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
/// ```
const REFERENCE_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const REFERENCE_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

// Polar's deliveries below were signed with Python's `hmac` and `base64` modules alone (Python
// 3.11), with this script:
//
// ```python
// import base64, hmac, hashlib
// def sign(key: bytes, msg_id: str, ts: int, body: str) -> str:
//     msg = f"{msg_id}.{ts}.{body}".encode()
//     return "v1," + base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode()
// ID, TS, BODY = POLAR_ID, POLAR_TS, POLAR_BODY                       # as below
// NEW = "whsec_" + base64.b64encode(bytes(range(32))).decode()         # NEW_SECRET
// sign(base64.b64decode(NEW.removeprefix("whsec_")), ID, TS, BODY)     # NEW_STANDARD
// sign(NEW.encode(), ID, TS, BODY)                                     # NEW_LEGACY
// sign(OLD_SECRET.encode(), ID, TS, BODY)                              # OLD_LEGACY
// sign(BARE_SECRET.encode(), ID, TS, BODY)                             # BARE_LEGACY
// sign(base64.b64decode(BARE_SECRET), ID, TS, BODY)                    # BARE_DECODED
// ```
//
// and each pair was checked against Polar's official Python SDK (`pip install --target /tmp/sdk
// polar-sdk==1.0.2`, `polar/webhooks.py`, `_verify_signature` with `time.time` fixed at
// POLAR_TS): it accepts every pair the tests below accept and refuses NEW_STANDARD under
// OLD_SECRET, NEW_STANDARD under OTHER_NEW_SECRET and OLD_LEGACY under OTHER_OLD_SECRET.
const POLAR_ID: &str = "0b6a3c52-1d2e-4f5a-8b9c-0d1e2f3a4b5c";
const POLAR_TS: i64 = 1796032800;
// `data` is a customer (of a kind the SDK does not know, to keep it short): an event whose data
// is no customer does not decode.
const POLAR_BODY: &str = r#"{"type":"customer.deleted","timestamp":"2026-11-29T10:00:00.000000Z","data":{"id":"6b0e4c5e-3f8e-4a57-9d2e-1f4a2b3c4d5e","type":"household","metadata":{},"organization_id":"1dbfc517-0bbf-4301-9ba8-555ca42b9737"}}"#;

/// A secret in the form Polar generates since 2026-09-08 (`whsec_` + base64 of 32 bytes).
const NEW_SECRET: &str = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const NEW_STANDARD: &str = "v1,t1niQOrWvwZiV7pZUMeLlKsNSUsA7nAvSceqxp9tiWA=";
const NEW_LEGACY: &str = "v1,XqAy6f0GgCEOs2bvnRnen5wN8XxjEZCITQuqCv+s3s0=";
/// A `whsec_` secret whose rest is not base64 (`_`): it has the legacy key only.
const OLD_SECRET: &str = "whsec_polar_test_secret_0123456789";
const OLD_LEGACY: &str = "v1,yj2WhtjpWACwT6hFsaFLdHpj+HIUvJhx/qLkUorYKlY=";
/// A secret without prefix (as `polar listen` prints), whose text is also base64.
const BARE_SECRET: &str = "9b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e";
const BARE_LEGACY: &str = "v1,zjwYKfzA70mAudFxCSsuulcJh6Nc/x+PdX79lXYYElI=";
const BARE_DECODED: &str = "v1,fpfc7mxjT3EqgYJQKrMatDI79Qp7l1erh07jLo8AJtg=";
/// Someone else's secrets, one of each kind.
const OTHER_NEW_SECRET: &str = "whsec_ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM=";
const OTHER_OLD_SECRET: &str = "whsec_someone_else_entirely_000";

fn at(ts: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(ts as u64)
}

fn verifier(secret: &str) -> Webhook {
    Webhook::new(secret).unwrap().clock(|| at(POLAR_TS))
}

fn verify(webhook: &Webhook, signature: &str) -> Result<Event, Error> {
    webhook.verify_parts(
        POLAR_ID,
        &POLAR_TS.to_string(),
        signature,
        POLAR_BODY.as_bytes(),
    )
}

fn headers(id: &str, ts: &str, sig: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("webhook-id", id.parse().unwrap());
    h.insert("webhook-timestamp", ts.parse().unwrap());
    h.insert("webhook-signature", sig.parse().unwrap());
    h
}

fn sign(secret: &str, scheme: Scheme) -> String {
    Signer::new(secret, scheme)
        .unwrap()
        .sign(POLAR_ID, POLAR_TS, POLAR_BODY.as_bytes())
}

#[test]
fn the_standard_webhooks_reference_vector_is_the_standard_key() {
    let signer = Signer::new(REFERENCE_SECRET, Scheme::Standard).unwrap();
    let body = br#"{"test": 2432232314}"#;
    assert_eq!(
        signer.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
        REFERENCE_SIGNATURE
    );
    let webhook = Webhook::new(REFERENCE_SECRET)
        .unwrap()
        .clock(|| at(1614265330));
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
fn a_new_style_secret_signed_with_its_decoded_key_is_accepted() {
    assert_eq!(sign(NEW_SECRET, Scheme::Standard), NEW_STANDARD);
    let h = headers(POLAR_ID, &POLAR_TS.to_string(), NEW_STANDARD);
    let event = verifier(NEW_SECRET)
        .verify(&h, POLAR_BODY.as_bytes())
        .unwrap();
    assert!(matches!(event, Event::CustomerDeleted { .. }), "{event:?}");
    // And by a verifier that knows the scheme.
    let standard = verifier(NEW_SECRET).scheme(Scheme::Standard).unwrap();
    verify(&standard, NEW_STANDARD).unwrap();
}

#[test]
fn the_same_secret_signed_with_the_legacy_key_is_accepted_too() {
    assert_eq!(sign(NEW_SECRET, Scheme::Legacy), NEW_LEGACY);
    verify(&verifier(NEW_SECRET), NEW_LEGACY).unwrap();
    let legacy = verifier(NEW_SECRET).scheme(Scheme::Legacy).unwrap();
    verify(&legacy, NEW_LEGACY).unwrap();
    // A verifier told the scheme accepts that scheme only.
    let standard = verifier(NEW_SECRET).scheme(Scheme::Standard).unwrap();
    assert!(matches!(
        verify(&standard, NEW_LEGACY),
        Err(Error::NoMatchingSignature)
    ));
    assert!(matches!(
        verify(&legacy, NEW_STANDARD),
        Err(Error::NoMatchingSignature)
    ));
}

#[test]
fn a_whsec_secret_whose_rest_is_not_base64_has_the_legacy_key_only() {
    assert_eq!(sign(OLD_SECRET, Scheme::Legacy), OLD_LEGACY);
    let webhook = verifier(OLD_SECRET);
    let event = verify(&webhook, OLD_LEGACY).unwrap();
    assert_eq!(event.event_type(), "customer.deleted");
    assert!(matches!(
        Webhook::new(OLD_SECRET).unwrap().scheme(Scheme::Standard),
        Err(Error::NoStandardKey)
    ));
    assert!(matches!(
        Signer::new(OLD_SECRET, Scheme::Standard),
        Err(Error::NoStandardKey)
    ));
    // What a Standard Webhooks library would derive from it does not exist, so a signature
    // under any other key (here: the new secret's) is refused.
    assert!(matches!(
        verify(&webhook, NEW_STANDARD),
        Err(Error::NoMatchingSignature)
    ));
}

#[test]
fn a_secret_without_prefix_is_tried_whole_and_decoded() {
    // Both SDKs decode the whole text when there is no prefix (Python: `removeprefix`, a no-op;
    // TypeScript: `startsWith("whsec_") ? slice(6) : secret`).
    assert_eq!(sign(BARE_SECRET, Scheme::Legacy), BARE_LEGACY);
    assert_eq!(sign(BARE_SECRET, Scheme::Standard), BARE_DECODED);
    let webhook = verifier(BARE_SECRET);
    verify(&webhook, BARE_LEGACY).unwrap();
    verify(&webhook, BARE_DECODED).unwrap();
}

#[test]
fn rotation_with_one_signature_of_each_scheme() {
    // During a rotation the header lists a signature per secret: here the old one's (legacy)
    // and the new one's (standard). Either secret's verifier finds its own, in any order.
    for header in [
        format!("{OLD_LEGACY} {NEW_STANDARD}"),
        format!("{NEW_STANDARD} {OLD_LEGACY}"),
        // Other versions and unreadable entries are skipped.
        format!("v2,AAAA v1,%%% {OLD_LEGACY}  {NEW_STANDARD}"),
    ] {
        for secret in [OLD_SECRET, NEW_SECRET] {
            verify(&verifier(secret), &header).unwrap_or_else(|e| panic!("{secret} {header}: {e}"));
        }
        for secret in [OTHER_NEW_SECRET, OTHER_OLD_SECRET] {
            assert!(matches!(
                verify(&verifier(secret), &header),
                Err(Error::NoMatchingSignature)
            ));
        }
    }
    // A scheme-bound verifier still finds its signature among the others.
    let header = format!("{OLD_LEGACY} {NEW_STANDARD}");
    let standard = verifier(NEW_SECRET).scheme(Scheme::Standard).unwrap();
    verify(&standard, &header).unwrap();
    let legacy = verifier(OLD_SECRET).scheme(Scheme::Legacy).unwrap();
    verify(&legacy, &header).unwrap();
}

#[test]
fn a_wrong_secret_of_each_kind_is_refused() {
    for (secret, signature) in [
        (OTHER_NEW_SECRET, NEW_STANDARD),
        (OTHER_NEW_SECRET, NEW_LEGACY),
        (OTHER_OLD_SECRET, OLD_LEGACY),
        (OTHER_OLD_SECRET, NEW_STANDARD),
        (OLD_SECRET, NEW_STANDARD),
        (NEW_SECRET, OLD_LEGACY),
    ] {
        assert!(
            matches!(
                verify(&verifier(secret), signature),
                Err(Error::NoMatchingSignature)
            ),
            "{secret} accepted {signature}"
        );
    }
}

/// The key each secret's standard candidate should be, as `polar/webhooks.py` (polar-sdk 1.0.2,
/// `_signing_keys`) and `src/webhooks.ts` (@polar-sh/sdk 1.0.1, `hmacKeys`) derive it: printed
/// for each secret below with
/// `python3 -c "import sys; sys.path.insert(0, '/tmp/sdk'); from polar.webhooks import _signing_keys; print(_signing_keys(S))"`
/// and the same with the TypeScript function run on Node 20.
#[test]
fn the_standard_key_is_derived_as_the_sdks_derive_it() {
    let cases: [(&str, Option<&[u8]>); 11] = [
        ("whsec_ab", Some(b"i")),      // padding optional
        ("whsec_ab==", Some(b"i")),    // ... or present
        ("whsec_ab=", Some(b"i")),     // Python pads it; JS's atob refuses it
        ("whsec_abd", Some(b"i\xb7")), // stray low bits ignored by both
        ("AAAA", Some(b"\0\0\0")),     // no prefix: the whole text
        ("whsec_a", None),             // one character is no base64
        ("whsec_a-b_", None),          // the URL-safe alphabet is not read
        ("whsec_ab c", None),          // Python refuses whitespace (atob skips it)
        ("whsec_AAAA\n", None),        // so a secret read with its line break has none
        ("whsec_whsec_AAAA", None),    // one prefix is removed, not two
        ("whsec_abcd=", None),         // a lone `=` after a full group: atob refuses it
    ];
    for (secret, key) in cases {
        let signer = Signer::new(secret, Scheme::Standard);
        match key {
            Some(key) => {
                let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
                mac.update(format!("{POLAR_ID}.{POLAR_TS}.{POLAR_BODY}").as_bytes());
                let expected = format!(
                    "v1,{}",
                    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
                );
                let signer = signer.unwrap_or_else(|e| panic!("{secret:?}: {e}"));
                assert_eq!(
                    signer.sign(POLAR_ID, POLAR_TS, POLAR_BODY.as_bytes()),
                    expected,
                    "{secret:?}"
                );
                verify(&verifier(secret), &expected).unwrap();
            }
            None => assert!(
                matches!(signer, Err(Error::NoStandardKey)),
                "{secret:?} has a standard key"
            ),
        }
        // The legacy key always exists.
        let legacy = sign(secret, Scheme::Legacy);
        verify(&verifier(secret), &legacy).unwrap();
    }
}

#[test]
fn an_empty_secret_or_the_prefix_alone_is_a_clear_error() {
    assert!(matches!(Webhook::new(""), Err(Error::EmptySecret)));
    assert!(matches!(
        Webhook::new("whsec_"),
        Err(Error::SecretIsOnlyPrefix)
    ));
    assert!(matches!(
        Signer::new("whsec_", Scheme::Legacy),
        Err(Error::SecretIsOnlyPrefix)
    ));
    let text = Webhook::new("whsec_").unwrap_err().to_string();
    assert!(text.contains("copy the whole secret"), "{text}");
    let text = Webhook::new("").unwrap_err().to_string();
    assert!(text.contains("empty"), "{text}");
}

#[test]
fn a_generated_secret_is_polars_new_style() {
    let a = polar_webhooks::generate_secret().unwrap();
    let b = polar_webhooks::generate_secret().unwrap();
    assert_ne!(a, b);
    let rest = a.strip_prefix("whsec_").unwrap();
    let key = base64::engine::general_purpose::STANDARD
        .decode(rest)
        .unwrap();
    assert_eq!(key.len(), polar_webhooks::SECRET_KEY_BYTES);
    assert_eq!(key.len(), 32);
    // Signed with its standard key, verified by a default verifier and a standard-only one.
    let signature =
        Signer::new(&a, Scheme::Standard)
            .unwrap()
            .sign(POLAR_ID, POLAR_TS, POLAR_BODY.as_bytes());
    verify(&verifier(&a), &signature).unwrap();
    verify(&verifier(&a).scheme(Scheme::Standard).unwrap(), &signature).unwrap();
    assert!(matches!(
        verify(&verifier(&b), &signature),
        Err(Error::NoMatchingSignature)
    ));
}

#[test]
fn one_changed_byte_anywhere_fails_under_either_key() {
    let ts = POLAR_TS.to_string();
    let body = POLAR_BODY.as_bytes();
    for (secret, signature) in [(NEW_SECRET, NEW_STANDARD), (NEW_SECRET, NEW_LEGACY)] {
        let webhook = verifier(secret);
        for i in 0..body.len() {
            let mut changed = body.to_vec();
            changed[i] ^= 0x01;
            let err = webhook
                .verify_parts(POLAR_ID, &ts, signature, &changed)
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
            let err = webhook.verify_parts(&id, &ts, signature, body).unwrap_err();
            assert!(matches!(err, Error::NoMatchingSignature), "id byte {i}");
        }
        for ts in [POLAR_TS - 1, POLAR_TS + 1] {
            let err = webhook
                .verify_parts(POLAR_ID, &ts.to_string(), signature, body)
                .unwrap_err();
            assert!(matches!(err, Error::NoMatchingSignature), "ts {ts}");
        }
        // Another base64 character in the signature.
        let mut sig = signature.as_bytes().to_vec();
        sig[5] = if sig[5] == b'A' { b'B' } else { b'A' };
        let err = webhook
            .verify_parts(POLAR_ID, &ts, std::str::from_utf8(&sig).unwrap(), body)
            .unwrap_err();
        assert!(matches!(err, Error::NoMatchingSignature), "{err:?}");
    }
}

#[test]
fn the_tolerance_holds_both_ways_to_the_second() {
    let body = POLAR_BODY.as_bytes();
    let signer = Signer::new(NEW_SECRET, Scheme::Standard).unwrap();
    let check = |webhook: &Webhook, ts: i64| {
        let sig = signer.sign(POLAR_ID, ts, body);
        webhook.verify_parts(POLAR_ID, &ts.to_string(), &sig, body)
    };
    let webhook = verifier(NEW_SECRET);
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
    let narrow = verifier(NEW_SECRET).tolerance(Duration::from_secs(10));
    check(&narrow, POLAR_TS - 10).unwrap();
    check(&narrow, POLAR_TS + 10).unwrap();
    assert!(check(&narrow, POLAR_TS - 11).is_err());
    assert!(check(&narrow, POLAR_TS + 11).is_err());
}

#[test]
fn each_bad_header_has_its_own_error() {
    let webhook = verifier(OLD_SECRET);
    let body = POLAR_BODY.as_bytes();
    let ts = POLAR_TS.to_string();
    for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        let mut h = headers(POLAR_ID, &ts, OLD_LEGACY);
        h.remove(name);
        match webhook.verify(&h, body).unwrap_err() {
            Error::MissingHeader(missing) => assert_eq!(missing, name),
            other => panic!("{other:?}"),
        }
        let mut h = headers(POLAR_ID, &ts, OLD_LEGACY);
        h.insert(name, http::HeaderValue::from_bytes(b"caf\xe9").unwrap());
        match webhook.verify(&h, body).unwrap_err() {
            Error::HeaderNotText(bad) => assert_eq!(bad, name),
            other => panic!("{other:?}"),
        }
    }
    for bad in ["", "   "] {
        assert!(matches!(
            webhook.verify_parts(bad, &ts, OLD_LEGACY, body),
            Err(Error::MissingHeader("webhook-id"))
        ));
    }
    for bad in ["soon", "1796032800.5", "0x6b0e"] {
        assert!(matches!(
            webhook.verify_parts(POLAR_ID, bad, OLD_LEGACY, body),
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
fn verify_delivery_keeps_the_id_and_the_signing_time() {
    let h = headers(POLAR_ID, &POLAR_TS.to_string(), NEW_STANDARD);
    let delivery = verifier(NEW_SECRET)
        .verify_delivery(&h, POLAR_BODY.as_bytes())
        .unwrap();
    assert_eq!(delivery.webhook_id, POLAR_ID);
    assert_eq!(delivery.signed_at.as_second(), POLAR_TS);
    assert_eq!(delivery.event.event_type(), "customer.deleted");
}

#[test]
fn a_signed_body_that_is_not_an_event_is_refused() {
    let webhook = verifier(NEW_SECRET);
    let signer = Signer::new(NEW_SECRET, Scheme::Standard).unwrap();
    let ts = POLAR_TS.to_string();
    for (body, not_json) in [
        (&b"not json"[..], true),
        (b"{\"type\":", true),
        (b"[1,2]", false),
        (b"{\"foo\":1}", false),
        (b"{\"type\":\"customer.created\",\"timestamp\":\"2026-11-29T10:00:00Z\",\"data\":\"x\"}", false),
        (b"{\"type\":\"order.paid\",\"timestamp\":\"yesterday\",\"data\":{}}", false),
    ] {
        let sig = signer.sign(POLAR_ID, POLAR_TS, body);
        match webhook.verify_parts(POLAR_ID, &ts, &sig, body).unwrap_err() {
            Error::NotJson(_) => assert!(not_json, "{}", String::from_utf8_lossy(body)),
            Error::NotAnEvent(_) => assert!(!not_json, "{}", String::from_utf8_lossy(body)),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn neither_the_secret_nor_a_key_ever_shows() {
    let key_b64 = NEW_SECRET.strip_prefix("whsec_").unwrap();
    let key_hex: String = (0u8..32).map(|b| format!("{b:02x}")).collect();
    let shown = [
        format!("{:?}", verifier(NEW_SECRET)),
        format!("{:?}", verifier(OLD_SECRET)),
        format!("{:?}", Signer::new(NEW_SECRET, Scheme::Standard).unwrap()),
        format!("{:?}", Signer::new(OLD_SECRET, Scheme::Legacy).unwrap()),
    ];
    let webhook = verifier(NEW_SECRET);
    let ts = POLAR_TS.to_string();
    let body = POLAR_BODY.as_bytes();
    let errors = [
        webhook.verify_parts("", &ts, NEW_STANDARD, body),
        webhook.verify_parts(POLAR_ID, "x", NEW_STANDARD, body),
        webhook.verify_parts(POLAR_ID, "1", NEW_STANDARD, body),
        webhook.verify_parts(POLAR_ID, &ts, "x", body),
        webhook.verify_parts(POLAR_ID, &ts, "v1,AAAA", body),
        Webhook::new(OLD_SECRET)
            .and_then(|w| w.scheme(Scheme::Standard))
            .map(|_| unreachable!()),
    ];
    let texts = errors
        .into_iter()
        .map(|e| e.unwrap_err())
        .flat_map(|e| [format!("{e}"), format!("{e:?}")]);
    for text in shown.into_iter().chain(texts) {
        for secret in [key_b64, key_hex.as_str(), "polar_test_secret", "0102030405"] {
            assert!(!text.contains(secret), "{text}");
        }
        assert!(
            !text.contains("whsec_A") && !text.contains("whsec_p"),
            "{text}"
        );
    }
}
