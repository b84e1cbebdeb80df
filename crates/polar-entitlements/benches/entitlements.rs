//! How much a cached check costs against asking Polar, and how many calls a Zipf-like mix of
//! checks makes with and without webhooks.
//!
//! `cargo bench -p polar-entitlements --bench entitlements`
//!
//! - `checks/*`: checks per second, on 1 and 16 tasks: cached `has_benefit` (warm handle)
//!   against the uncached path, `get_state` on the fake served over loopback. The summary
//!   prints cached/uncached ratios measured in the same run.
//! - then, not timed: API calls made by 100 000 checks over 1 000 customers (Zipf-like,
//!   s = 1), under paused time with 10 ms between checks, without webhooks (60 s lifetime)
//!   and with them (changes applied as events; 1 h lifetime).

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group};
use polar_customers::types::{BenefitId, BenefitType};
use polar_customers::{Client, CustomerId};
use polar_entitlements::Entitlements;
use polar_fake::{FakePolar, samples};
use polar_webhooks::Event;

const TASKS: [usize; 2] = [1, 16];

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn in_process(fake: &FakePolar) -> Client {
    Client::builder()
        .token(fake.token())
        .disable_rate_limit()
        .build_with(fake.clone())
        .unwrap()
}

async fn customer_with_grant(fake: &FakePolar, n: usize) -> (CustomerId, BenefitId) {
    let id = in_process(fake)
        .customers()
        .create()
        .email(format!("bench{n}@polar.sh"))
        .await
        .unwrap()
        .id();
    let grant = samples::benefit_grant(BenefitType::FeatureFlag);
    fake.add_benefit_grant(id, &grant);
    (id, grant.benefit_id)
}

/// Runs `total` operations split over `tasks` tasks; answers the wall time.
async fn spread<F, Fut>(tasks: usize, total: u64, op: F) -> Duration
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let op = Arc::new(op);
    let per_task = total.div_ceil(tasks as u64);
    let start = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let op = op.clone();
            tokio::spawn(async move {
                for _ in 0..per_task {
                    op().await;
                }
            })
        })
        .collect();
    for h in handles {
        h.await.unwrap();
    }
    start.elapsed()
}

fn checks(c: &mut Criterion) -> Vec<(usize, f64, f64)> {
    let rt = runtime();
    let fake = FakePolar::new();
    let server = rt.block_on(fake.serve("127.0.0.1:0")).unwrap();
    let (id, benefit) = rt.block_on(customer_with_grant(&fake, 0));
    let ent = Entitlements::new(in_process(&fake), fake.organization_id());
    assert!(rt.block_on(ent.has_benefit(id, benefit)).unwrap());
    let loopback = Client::builder()
        .token(fake.token())
        .base_url(&server.url())
        .allow_http(true)
        .disable_rate_limit()
        .build()
        .unwrap();

    let mut group = c.benchmark_group("checks");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
    let mut rates = Vec::new();
    for tasks in TASKS {
        group.throughput(Throughput::Elements(1));
        let e = ent.clone();
        group.bench_function(format!("cached_has_benefit/{tasks}_tasks"), |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let e = e.clone();
                async move {
                    spread(tasks, iters, move || {
                        let e = e.clone();
                        async move {
                            assert!(e.has_benefit(id, benefit).await.unwrap());
                        }
                    })
                    .await
                }
            })
        });
        let l = loopback.clone();
        group.bench_function(format!("uncached_get_state_loopback/{tasks}_tasks"), |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let l = l.clone();
                async move {
                    spread(tasks, iters, move || {
                        let l = l.clone();
                        async move {
                            l.customers().get_state(id).await.unwrap();
                        }
                    })
                    .await
                }
            })
        });
        // Paired figures for the summary, measured back to back.
        let cached = rt.block_on(rate(tasks, 2_000_000, {
            let e = ent.clone();
            move || {
                let e = e.clone();
                async move {
                    assert!(e.has_benefit(id, benefit).await.unwrap());
                }
            }
        }));
        let uncached = rt.block_on(rate(tasks, 2_000, {
            let l = loopback.clone();
            move || {
                let l = l.clone();
                async move {
                    l.customers().get_state(id).await.unwrap();
                }
            }
        }));
        rates.push((tasks, cached, uncached));
    }
    group.finish();
    drop(server);
    rates
}

async fn rate<F, Fut>(tasks: usize, n: u64, op: F) -> f64
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    n as f64 / spread(tasks, n, op).await.as_secs_f64()
}

/// A Zipf-like pick among `n` ranks (s = 1) from a precomputed distribution.
struct Zipf(Vec<f64>);

impl Zipf {
    fn new(n: usize) -> Zipf {
        let mut acc = 0.0;
        let cdf = (1..=n)
            .map(|r| {
                acc += 1.0 / r as f64;
                acc
            })
            .collect::<Vec<_>>();
        let total = acc;
        Zipf(cdf.into_iter().map(|x| x / total).collect())
    }

    fn pick(&self) -> usize {
        let u = fastrand::f64();
        self.0.partition_point(|&x| x < u).min(self.0.len() - 1)
    }
}

struct MixResult {
    calls: u64,
    customers_touched: usize,
    windows_touched: u64,
    calls_after_warm_up: u64,
}

/// 100 000 checks over 1 000 customers, 10 ms of paused time apart.
fn zipf_mix(with_webhooks: bool) -> MixResult {
    const CUSTOMERS: usize = 1_000;
    const CHECKS: usize = 100_000;
    const STEP: Duration = Duration::from_millis(10);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(async {
        fastrand::seed(20);
        let fake = FakePolar::new();
        let mut customers = Vec::with_capacity(CUSTOMERS);
        for n in 0..CUSTOMERS {
            customers.push(customer_with_grant(&fake, n).await);
        }
        let ttl = if with_webhooks {
            Duration::from_secs(3600)
        } else {
            Duration::from_secs(60)
        };
        let ent = Entitlements::builder(in_process(&fake), fake.organization_id())
            .ttl(ttl)
            .build();
        let reader = in_process(&fake);
        let zipf = Zipf::new(CUSTOMERS);
        let start = tokio::time::Instant::now();
        let mut touched = std::collections::HashSet::new();
        let mut windows = std::collections::HashSet::new();
        let mut warm_calls = None;
        for i in 0..CHECKS {
            let (id, benefit) = customers[zipf.pick()];
            ent.has_benefit(id, benefit).await.unwrap();
            touched.insert(id);
            let window = start.elapsed().as_secs() / ttl.as_secs();
            windows.insert((id, window));
            if touched.len() == CUSTOMERS && warm_calls.is_none() {
                warm_calls = Some(ent.stats().api_fetches);
            }
            // Every 100 checks Polar changes one customer's state.
            if with_webhooks && i % 100 == 0 {
                let (id, _) = customers[fastrand::usize(..CUSTOMERS)];
                fake.add_benefit_grant(id, &samples::benefit_grant(BenefitType::Custom));
                let state = reader.customers().get_state(id).await.unwrap();
                let event = Event::CustomerStateChanged {
                    timestamp: jiff::Timestamp::now(),
                    data: state,
                };
                ent.apply(&event).await;
            }
            tokio::time::advance(STEP).await;
        }
        let calls = ent.stats().api_fetches;
        MixResult {
            calls,
            customers_touched: touched.len(),
            windows_touched: windows.len() as u64,
            calls_after_warm_up: warm_calls.map_or(0, |w| calls - w),
        }
    })
}

criterion_group!(benches, run);

fn run(c: &mut Criterion) {
    let rates = checks(c);
    println!("\nsummary (paired, same run):");
    for (tasks, cached, uncached) in rates {
        println!(
            "  {tasks:>2} task(s): cached has_benefit {:>12.0}/s, uncached get_state over loopback {:>8.0}/s, ratio {:.0}x",
            cached,
            uncached,
            cached / uncached
        );
    }
    for with_webhooks in [false, true] {
        let r = zipf_mix(with_webhooks);
        println!(
            "  100 000 Zipf checks over 1 000 customers, {}: {} API calls, {} customers touched, {} (customer, lifetime) windows touched, {} calls after every customer was seen once",
            if with_webhooks {
                "with webhooks (1 h lifetime)"
            } else {
                "without webhooks (60 s lifetime)"
            },
            r.calls,
            r.customers_touched,
            r.windows_touched,
            r.calls_after_warm_up,
        );
    }
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
