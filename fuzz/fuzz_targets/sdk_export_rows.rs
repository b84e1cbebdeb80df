#![no_main]
//! The streaming CSV parser accepts any bytes split at any boundary without panicking, and
//! never holds more than one record plus one chunk.

use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use libfuzzer_sys::fuzz_target;

#[path = "sdk.rs"]
mod sdk;

const HEADER: &str = "ID,External ID,Created At,Email,Name,Tax ID,Billing Address Line 1,Billing Address Line 2,Billing Address City,Billing Address State,Billing Address Zip,Billing Address Country,Metadata\r\n";

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    // Half the inputs start with a valid header so the fuzzer reaches the row parser.
    let mut body = Vec::new();
    if mode & 1 == 1 {
        body.extend_from_slice(HEADER.as_bytes());
    }
    body.extend_from_slice(rest);
    let mut framed = vec![mode];
    framed.extend_from_slice(&body);
    let client = sdk::client(200, "text/csv", sdk::chunked(&framed), Arc::new(Mutex::new(Vec::new())));
    sdk::runtime().block_on(async {
        let Ok(export) = client.customers().export().send().await else { return };
        let mut rows = export.rows();
        while let Some(row) = rows.next().await {
            if row.is_err() {
                break;
            }
        }
        // The parser's own measure, shown in its Debug output only (it is no API).
        let debug = format!("{rows:?}");
        let peak: usize = debug
            .split_once("peak_buffered_bytes: ")
            .map(|(_, after)| after.chars().take_while(char::is_ascii_digit).collect::<String>())
            .and_then(|digits| digits.parse().ok())
            .expect("ExportRows' Debug shows its peak");
        // One chunk (`sdk::chunked` cuts at most 64 bytes), the record buffer (at most
        // MAX_RECORD_BYTES) and the field ends (at most 4096 fields: more is refused). The
        // parser notes its size at each chunk and each buffer growth.
        let bound = 64 + polar_customers::MAX_RECORD_BYTES + 4096 * std::mem::size_of::<usize>();
        assert!(peak <= bound, "the parser held {peak} bytes, over {bound}");
    });
});
