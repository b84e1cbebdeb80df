#![no_main]
//! Decoding Polar's error bodies from arbitrary bytes never panics and round-trips.

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    common::round_trip::<polar_types::HttpValidationError>(data);
    common::round_trip::<polar_types::ResourceNotFound>(data);
});
