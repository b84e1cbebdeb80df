//! Typed decoding (what the SDK does with a response body) against `serde_json::Value`,
//! side by side in one run: a page of 100 customers and a rich customer state. A third line
//! decodes the same types through polar-types' own `Deserialize` implementations.
//!
//! `cargo bench -p polar-customers --bench decode`

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use polar_customers::{Customer, CustomerState, ListResource};
use serde_json::Value;

#[path = "../tests/fixtures/mod.rs"]
mod fixtures;
use fixtures::{customer_json, page_json, state_json};

// The SDK decodes a 2xx body with `serde_json::from_slice` into the typed value (a failure is
// decoded again, with a path tracker, only to explain itself): these are its success paths.
fn decode_page(body: &[u8]) -> serde_json::Result<ListResource<Customer>> {
    serde_json::from_slice(body)
}

fn decode_state(body: &[u8]) -> serde_json::Result<CustomerState> {
    serde_json::from_slice(body)
}

fn page_bytes() -> Vec<u8> {
    let items = (0..100)
        .map(|i| {
            customer_json(
                &format!("3b6a1a2e-8d1c-4f5e-9a47-{i:012x}"),
                &format!("customer{i}@example.com"),
                Some(&format!("user_{i}")),
            )
        })
        .collect();
    serde_json::to_vec(&page_json(items, 1000, 10)).unwrap()
}

/// A state with 20 subscriptions, 40 benefit grants and 20 meters.
fn state_bytes() -> Vec<u8> {
    let mut state = state_json("3b6a1a2e-8d1c-4f5e-9a47-0c2d6f1e8b90");
    for key in ["active_subscriptions", "granted_benefits", "active_meters"] {
        let one = state[key].as_array().unwrap().clone();
        let many: Vec<Value> = (0..20).flat_map(|_| one.iter().cloned()).collect();
        state[key] = Value::Array(many);
    }
    serde_json::to_vec(&state).unwrap()
}

fn bench(c: &mut Criterion) {
    let page = page_bytes();
    let mut group = c.benchmark_group("page_100_customers");
    group.throughput(Throughput::Bytes(page.len() as u64));
    group.bench_with_input(
        BenchmarkId::new("typed_sdk", page.len()),
        &page,
        |b, bytes| b.iter(|| decode_page(black_box(bytes)).unwrap()),
    );
    group.bench_with_input(
        BenchmarkId::new("typed_polar_types_serde", page.len()),
        &page,
        |b, bytes| {
            b.iter(|| serde_json::from_slice::<ListResource<Customer>>(black_box(bytes)).unwrap())
        },
    );
    group.bench_with_input(
        BenchmarkId::new("serde_json_value", page.len()),
        &page,
        |b, bytes| b.iter(|| serde_json::from_slice::<Value>(black_box(bytes)).unwrap()),
    );
    group.finish();

    let state = state_bytes();
    let mut group = c.benchmark_group("customer_state");
    group.throughput(Throughput::Bytes(state.len() as u64));
    group.bench_with_input(
        BenchmarkId::new("typed_sdk", state.len()),
        &state,
        |b, bytes| b.iter(|| decode_state(black_box(bytes)).unwrap()),
    );
    group.bench_with_input(
        BenchmarkId::new("typed_polar_types_serde", state.len()),
        &state,
        |b, bytes| b.iter(|| serde_json::from_slice::<CustomerState>(black_box(bytes)).unwrap()),
    );
    group.bench_with_input(
        BenchmarkId::new("serde_json_value", state.len()),
        &state,
        |b, bytes| b.iter(|| serde_json::from_slice::<Value>(black_box(bytes)).unwrap()),
    );
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
