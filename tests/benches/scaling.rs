//! Throughput at Polar's limit (issue 15), against the fake Polar served on loopback; every
//! figure is a ratio against a baseline measured in the same run.
//!
//! - **walk**: 100 pages × 100 customers with 50 ms of latency per request: a sequential loop
//!   of `list().page(k)` calls (the baseline), `list().stream()` (each page requested when its
//!   first item is asked for) and `list().stream().concurrency(4)` (up to four pages requested
//!   ahead); the ratio is the baseline's time over each one's.
//! - **bulk**: 2 000 creates with `bulk(..)` at concurrency 16, the fake allowing 200 requests
//!   per 1-second window (Polar's 500 a minute scaled down so the run takes seconds) and the
//!   client's limiter set to the same budget, 20 ms of latency per request. The figure is the
//!   achieved rate over full windows (for every create, the time until the create one budget
//!   later ended is one window's worth of work) divided by the budget, and the 429s the fake
//!   sent.
//!
//! `cargo bench -p polar-e2e --bench scaling` (about a minute). Without `--bench` (as under
//! `cargo test --benches`) it runs once at a small size.

use std::time::{Duration, Instant};

use futures_util::{StreamExt, TryStreamExt};
use polar_customers::{Client, RateLimitConfig};
use polar_fake::FakePolar;

#[derive(Clone, Copy)]
struct Sizes {
    pages: usize,
    per_page: usize,
    rounds: usize,
    creates: usize,
    budget: u32,
}

const FULL: Sizes = Sizes {
    pages: 100,
    per_page: 100,
    rounds: 3,
    creates: 2000,
    budget: 200,
};

const SMOKE: Sizes = Sizes {
    pages: 5,
    per_page: 10,
    rounds: 1,
    creates: 60,
    budget: 20,
};

const WINDOW: Duration = Duration::from_secs(1);

/// A fake holding `n` customers, created through the SDK in-process.
async fn seeded(n: usize) -> FakePolar {
    let fake = FakePolar::new();
    let client = Client::builder()
        .token(fake.token())
        .disable_rate_limit()
        .build_with(fake.clone())
        .unwrap();
    let created = client
        .customers()
        .bulk(0..n, |c, i| c.create().email(format!("walk-{i}@polar.sh")))
        .concurrency(64)
        .unordered()
        .filter(|(_, r)| std::future::ready(r.is_ok()))
        .count()
        .await;
    assert_eq!(created, n);
    fake
}

fn served_client(url: &str, token: &str, limit: RateLimitConfig) -> Client {
    Client::builder()
        .token(token)
        .base_url(url)
        .allow_http(true)
        .rate_limit(limit)
        .build()
        .unwrap()
}

async fn walk(sizes: Sizes) {
    let fake = seeded(sizes.pages * sizes.per_page).await;
    fake.set_latency(Some(Duration::from_millis(50)));
    let server = fake.serve("127.0.0.1:0").await.unwrap();
    // The limiter is Polar's (500 a minute): a walk of 100 pages stays under it.
    let client = served_client(&server.url(), fake.token(), RateLimitConfig::production());
    let limit = sizes.per_page as u32;
    let total = sizes.pages * sizes.per_page;

    let mut times: [Vec<Duration>; 3] = Default::default();
    for _ in 0..sizes.rounds {
        let start = Instant::now();
        let mut n = 0;
        for page in 1..=sizes.pages as u32 {
            n += client
                .customers()
                .list()
                .limit(limit)
                .page(page)
                .await
                .unwrap()
                .items
                .len();
        }
        assert_eq!(n, total);
        times[0].push(start.elapsed());

        for (slot, ahead) in [(1, None), (2, Some(4))] {
            let start = Instant::now();
            let mut stream = client.customers().list().limit(limit).stream();
            if let Some(n) = ahead {
                stream = stream.concurrency(n);
            }
            let n = stream
                .try_fold(0usize, |n, _| async move { Ok(n + 1) })
                .await
                .unwrap();
            assert_eq!(n, total);
            times[slot].push(start.elapsed());
        }
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let [seq, one, four] = &mut times;
    let (seq, one, four) = (median(seq), median(one), median(four));
    println!(
        "walk of {} pages × {} customers, 50 ms per request (median of {} rounds):",
        sizes.pages, sizes.per_page, sizes.rounds
    );
    println!(
        "  sequential page loop          {:>8.2} s  1.00×",
        seq.as_secs_f64()
    );
    println!(
        "  stream()                      {:>8.2} s  {:.2}× faster",
        one.as_secs_f64(),
        seq.as_secs_f64() / one.as_secs_f64()
    );
    println!(
        "  stream().concurrency(4)       {:>8.2} s  {:.2}× faster",
        four.as_secs_f64(),
        seq.as_secs_f64() / four.as_secs_f64()
    );
}

async fn bulk(sizes: Sizes) {
    let fake = FakePolar::builder()
        .rate_limit(sizes.budget, WINDOW)
        .build();
    fake.set_latency(Some(Duration::from_millis(20)));
    let server = fake.serve("127.0.0.1:0").await.unwrap();
    let client = served_client(
        &server.url(),
        fake.token(),
        RateLimitConfig::new(sizes.budget, WINDOW),
    );
    let start = Instant::now();
    let mut ends = Vec::with_capacity(sizes.creates);
    let mut results = client
        .customers()
        .bulk(0..sizes.creates, |c, i| {
            c.create().email(format!("bulk-{i}@polar.sh"))
        })
        .concurrency(16)
        .unordered();
    while let Some((_, result)) = results.next().await {
        result.unwrap();
        ends.push(start.elapsed());
    }
    let elapsed = start.elapsed();
    ends.sort();
    // For every create, the time until the create `budget` later ended is one full window's
    // worth of work: the rate is the budget over the mean of those times.
    let b = sizes.budget as usize;
    let mean_window = (0..ends.len() - b)
        .map(|i| (ends[i + b] - ends[i]).as_secs_f64())
        .sum::<f64>()
        / (ends.len() - b) as f64;
    let rate = f64::from(sizes.budget) / mean_window;
    let budget = f64::from(sizes.budget) / WINDOW.as_secs_f64();
    println!(
        "bulk create of {} customers, budget {} per {} s, 20 ms per request, concurrency 16:",
        sizes.creates,
        sizes.budget,
        WINDOW.as_secs()
    );
    println!(
        "  {:.2} s, {:.1} creates/s over the full windows = {:.3} of the budget, {} 429s",
        elapsed.as_secs_f64(),
        rate,
        rate / budget,
        fake.stats().rate_limited
    );
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let sizes = if full { FULL } else { SMOKE };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        walk(sizes).await;
        bulk(sizes).await;
    });
}
