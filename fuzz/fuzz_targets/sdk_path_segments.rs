#![no_main]
//! Any external ID reaches the server as exactly one path segment that decodes back to it; one
//! Polar could never have stored (empty, or with a NUL character) is refused before anything is
//! sent.

use std::sync::{Arc, Mutex};

use libfuzzer_sys::fuzz_target;

#[path = "sdk.rs"]
mod sdk;

fuzz_target!(|id: &str| {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let client = sdk::client(404, "application/json", vec![r#"{"error":"ResourceNotFound","detail":"Not found"}"#.into()], seen.clone());
    let result = sdk::runtime().block_on(client.customers().get_state_external(id).send());
    let paths = seen.lock().unwrap();
    if id.is_empty() || id.contains('\0') {
        assert!(
            matches!(result, Err(polar_customers::Error::InvalidInput(_))),
            "an empty ID or one with NUL is invalid input: {result:?}"
        );
        assert!(paths.is_empty(), "an invalid ID must not be sent");
        return;
    }
    assert_eq!(paths.len(), 1, "one request per call");
    let rest = paths[0].strip_prefix("/v1/customers/external/").expect("route prefix");
    let segment = rest.strip_suffix("/state").expect("route suffix");
    assert!(!segment.contains('/'), "segment escaped its place: {segment}");
    assert!(segment != "." && segment != "..");
    let decoded = percent_decode(segment);
    assert_eq!(decoded, id.as_bytes(), "segment does not decode to the ID");
});

fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            // The encoder writes `%XX` only; anything else is a bug this target should report.
            let hex = std::str::from_utf8(b.get(i + 1..i + 3).expect("truncated escape")).unwrap();
            out.push(u8::from_str_radix(hex, 16).expect("bad escape"));
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}
