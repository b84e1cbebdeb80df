#![no_main]
//! Any status and body from the server becomes a value or a classified error, never a panic;
//! an error keeps the status it came with.

use std::sync::{Arc, Mutex};

use libfuzzer_sys::fuzz_target;

#[path = "sdk.rs"]
mod sdk;

const STATUSES: [u16; 12] = [200, 201, 400, 401, 403, 404, 409, 410, 422, 429, 500, 503];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let status = STATUSES[usize::from(pick) % STATUSES.len()];
    let content_type = if pick & 0x80 == 0 { "application/json" } else { "text/html" };
    let client = sdk::client(status, content_type, sdk::chunked(rest), Arc::new(Mutex::new(Vec::new())));
    let id = polar_customers::CustomerId::new_v4();
    let rt = sdk::runtime();
    match rt.block_on(client.customers().get(id).send()) {
        Ok(customer) => assert!(status < 300, "a {status} answer was taken as success: {customer:?}"),
        Err(e) => {
            let _ = e.to_string();
            if status >= 400 {
                assert_eq!(e.status().map(|s| s.as_u16()), Some(status), "{e}");
            }
        }
    }
    // The list decoder and the delete path (which expects no body) see the same bytes.
    let _ = rt.block_on(client.customers().list().send());
    let _ = rt.block_on(client.customers().delete(id).send());
});
