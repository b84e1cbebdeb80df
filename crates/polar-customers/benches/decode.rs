//! Typed decoding (what the SDK does with a response body) against `serde_json::Value`,
//! side by side in one run: a page of 100 customers and a rich customer state.
//!
//! `cargo bench -p polar-customers --bench decode`

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use polar_customers::__doc::{customer_json, decode, page_json, state_json};
use polar_customers::{Customer, CustomerState, ListResource};
use serde_json::Value;
use std::hint::black_box;

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

fn state_bytes() -> Vec<u8> {
    let mut state = state_json("3b6a1a2e-8d1c-4f5e-9a47-0c2d6f1e8b90");
    // Make it rich: 20 subscriptions, 40 grants, 20 meters.
    for key in ["active_subscriptions", "granted_benefits", "active_meters"] {
        let arr = state[key].as_array().unwrap().clone();
        let times = 20;
        let mut out = Vec::new();
        for _ in 0..times {
            out.extend(arr.iter().cloned());
        }
        state[key] = Value::Array(out);
    }
    serde_json::to_vec(&state).unwrap()
}

fn bench(c: &mut Criterion) {
    let cases: [(&str, Vec<u8>); 2] = [
        ("page_100_customers", page_bytes()),
        ("customer_state", state_bytes()),
    ];
    for (name, bytes) in &cases {
        let mut group = c.benchmark_group(*name);
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        if *name == "page_100_customers" {
            group.bench_with_input(
                BenchmarkId::new("typed_sdk", bytes.len()),
                bytes,
                |b, bytes| b.iter(|| decode::<ListResource<Customer>>(black_box(bytes)).unwrap()),
            );
        } else {
            group.bench_with_input(
                BenchmarkId::new("typed_sdk", bytes.len()),
                bytes,
                |b, bytes| b.iter(|| decode::<CustomerState>(black_box(bytes)).unwrap()),
            );
        }
        group.bench_with_input(
            BenchmarkId::new("serde_json_value", bytes.len()),
            bytes,
            |b, bytes| b.iter(|| serde_json::from_slice::<Value>(black_box(bytes)).unwrap()),
        );
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
