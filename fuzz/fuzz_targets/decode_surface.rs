#![no_main]
//! Decoding the answers and bodies of the calls around customers (payment methods with their
//! fallback variant, members, customer meters, customer sessions and their request body told
//! apart by key) from arbitrary bytes never panics and round-trips.

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    common::round_trip::<polar_types::PaymentMethod>(data);
    common::round_trip::<polar_types::ListResource<polar_types::PaymentMethod>>(data);
    common::round_trip::<polar_types::Member>(data);
    common::round_trip::<polar_types::CustomerMeter>(data);
    common::round_trip::<polar_types::CustomerSession>(data);
    common::round_trip::<polar_types::CustomerSessionCreate>(data);
});
