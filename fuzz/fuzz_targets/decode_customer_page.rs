#![no_main]
//! Decoding `ListResourceCustomer` from arbitrary bytes never panics and round-trips.

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| common::round_trip::<polar_types::ListResourceCustomer>(data));
