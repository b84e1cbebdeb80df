//! What verifying under both keys costs: a delivery verified by a `Webhook` that accepts either
//! key (the standard key is tried first, so a standard-signed delivery takes one HMAC and a
//! legacy-signed one two) against one told its scheme (one HMAC, for either scheme), with
//! decoding the body alone as the baseline. The body is a 2 KB event; group `signature_only_2kb`
//! isolates the signature check with a 2 KB body that is not JSON (refused at its first byte
//! once the signature matched).
//!
//! Measured 2026-12-01 on a shared, loaded 2-core machine, each ratio from one run: the
//! signature check alone (`-- signature_only`), either key against the one scheme, is 0.96x
//! for a standard-signed delivery (1.79 against 1.87 us) and 1.86x for a legacy-signed one
//! (3.51 against 1.88 us); with decoding (`-- verify_2kb`, 16 us of it) the difference is within
//! the noise (0.93x and 1.04x).
//!
//! `cargo bench -p polar-webhooks --bench verify`

use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use polar_webhooks::{Event, Scheme, Signer, Webhook};

const NOW: i64 = 1_796_032_800;

fn body() -> Vec<u8> {
    let items: Vec<String> = (0..40)
        .map(|i| {
            format!(
                r#"{{"id":"item_{i:04}","amount":{},"label":"a line of an order"}}"#,
                i * 100
            )
        })
        .collect();
    format!(
        r#"{{"type":"order.paid","timestamp":"2026-11-29T10:00:00Z","data":{{"id":"o_1","items":[{}]}}}}"#,
        items.join(",")
    )
    .into_bytes()
}

fn bench(c: &mut Criterion) {
    let secret = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let body = body();
    let either = Webhook::new(secret)
        .unwrap()
        .clock(|| UNIX_EPOCH + Duration::from_secs(NOW as u64));
    let standard_only = either.clone().scheme(Scheme::Standard).unwrap();
    let legacy_only = either.clone().scheme(Scheme::Legacy).unwrap();
    let sign = |scheme| {
        Signer::new(secret, scheme)
            .unwrap()
            .sign("msg_1", NOW, &body)
    };
    let (standard, legacy) = (sign(Scheme::Standard), sign(Scheme::Legacy));
    let ts = NOW.to_string();

    let mut group = c.benchmark_group("verify_2kb");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("decode_only", |b| {
        b.iter(|| serde_json::from_slice::<Event>(black_box(&body)).unwrap())
    });
    group.bench_function("standard_only_standard_signed", |b| {
        b.iter(|| {
            standard_only
                .verify_parts("msg_1", &ts, &standard, black_box(&body))
                .unwrap()
        })
    });
    group.bench_function("legacy_only_legacy_signed", |b| {
        b.iter(|| {
            legacy_only
                .verify_parts("msg_1", &ts, &legacy, black_box(&body))
                .unwrap()
        })
    });
    group.bench_function("either_legacy_signed", |b| {
        b.iter(|| {
            either
                .verify_parts("msg_1", &ts, &legacy, black_box(&body))
                .unwrap()
        })
    });
    group.bench_function("either_standard_signed", |b| {
        b.iter(|| {
            either
                .verify_parts("msg_1", &ts, &standard, black_box(&body))
                .unwrap()
        })
    });
    group.finish();

    let junk = vec![b'x'; body.len()];
    let sign = |scheme| {
        Signer::new(secret, scheme)
            .unwrap()
            .sign("msg_1", NOW, &junk)
    };
    let (standard, legacy) = (sign(Scheme::Standard), sign(Scheme::Legacy));
    let check = |webhook: &Webhook, signature: &str| {
        let err = webhook
            .verify_parts("msg_1", &ts, signature, black_box(&junk))
            .unwrap_err();
        assert!(matches!(err, polar_webhooks::Error::NotJson(_)));
    };
    let mut group = c.benchmark_group("signature_only_2kb");
    group.throughput(Throughput::Bytes(junk.len() as u64));
    group.bench_function("standard_only_standard_signed", |b| {
        b.iter(|| check(&standard_only, &standard))
    });
    group.bench_function("legacy_only_legacy_signed", |b| {
        b.iter(|| check(&legacy_only, &legacy))
    });
    group.bench_function("either_legacy_signed", |b| {
        b.iter(|| check(&either, &legacy))
    });
    group.bench_function("either_standard_signed", |b| {
        b.iter(|| check(&either, &standard))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
