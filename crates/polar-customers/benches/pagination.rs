//! Walking 100 pages from a loopback server that waits a fixed time before each answer, while
//! the caller spends a fixed time on each page: the page walk fetching one page ahead
//! (`.concurrency(1)`), the walk by default (each page when asked for) and a sequential loop,
//! against the server's time alone as the baseline.
//!
//! `cargo bench -p polar-customers --bench pagination`

use std::convert::Infallible;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use futures_util::StreamExt;
use http_body_util::Full;
use hyper_util::rt::{TokioExecutor, TokioIo};
#[path = "../tests/fixtures/mod.rs"]
mod fixtures;
use fixtures::{customer_json, page_json};
use polar_customers::Client;

const PAGES: i64 = 100;
const PER_PAGE: usize = 10;
/// What the server takes per page.
const SERVER_DELAY: Duration = Duration::from_millis(4);
/// What the caller spends on each page (less than the server's time).
const WORK_PER_PAGE: Duration = Duration::from_millis(3);

async fn start_server() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let items: Vec<_> = (0..PER_PAGE)
        .map(|i| {
            customer_json(
                &format!("3b6a1a2e-8d1c-4f5e-9a47-{i:012x}"),
                &format!("c{i}@example.com"),
                None,
            )
        })
        .collect();
    let body =
        Bytes::from(serde_json::to_vec(&page_json(items, PAGES * PER_PAGE as i64, PAGES)).unwrap());
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let body = body.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |_req| {
                    let body = body.clone();
                    async move {
                        tokio::time::sleep(SERVER_DELAY).await;
                        Ok::<_, Infallible>(
                            http::Response::builder()
                                .header("content-type", "application/json")
                                .body(Full::new(body))
                                .unwrap(),
                        )
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    addr
}

fn client(addr: std::net::SocketAddr) -> Client {
    let hyper_client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let svc =
        tower::ServiceExt::map_request(hyper_client, move |mut req: http::Request<Full<Bytes>>| {
            let pq = req.uri().path_and_query().unwrap().as_str().to_owned();
            *req.uri_mut() = format!("http://{addr}{pq}").parse().unwrap();
            req
        });
    Client::from_service(svc)
}

async fn work() {
    tokio::time::sleep(WORK_PER_PAGE).await;
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let addr = rt.block_on(start_server());
    let client = client(addr);

    let mut group = c.benchmark_group("walk_100_pages");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));

    // Baseline: the server's delay alone, 100 times in a row (no client, no work).
    group.bench_function("server_time_alone", |b| {
        b.to_async(&rt).iter(|| async {
            for _ in 0..PAGES {
                tokio::time::sleep(SERVER_DELAY).await;
            }
        })
    });

    group.bench_function("sequential_loop", |b| {
        b.to_async(&rt).iter(|| {
            let client = client.clone();
            async move {
                let mut seen = 0;
                for page in 1..=PAGES as u32 {
                    let p = client
                        .customers()
                        .list()
                        .page(page)
                        .limit(PER_PAGE as u32)
                        .await
                        .unwrap();
                    seen += p.items.len();
                    work().await;
                }
                assert_eq!(seen, PAGES as usize * PER_PAGE);
            }
        })
    });

    // `None`: the default, each page requested when asked for; `Some(1)`: one page ahead.
    for (name, ahead) in [("prefetch_stream", Some(1)), ("on_demand_stream", None)] {
        group.bench_function(name, |b| {
            b.to_async(&rt).iter(|| {
                let client = client.clone();
                async move {
                    let mut pages = client.customers().list().limit(PER_PAGE as u32).pages();
                    if let Some(n) = ahead {
                        pages = pages.concurrency(n);
                    }
                    let mut seen = 0;
                    while let Some(p) = pages.next().await {
                        seen += p.unwrap().items.len();
                        work().await;
                    }
                    assert_eq!(seen, PAGES as usize * PER_PAGE);
                }
            })
        });
    }
    group.finish();

    // A one-off print of wall time per variant, for the ratios in the report.
    rt.block_on(async {
        let start = Instant::now();
        let mut s = client.customers().list().limit(PER_PAGE as u32).stream();
        let mut n = 0;
        while let Some(c) = s.next().await {
            c.unwrap();
            n += 1;
        }
        eprintln!(
            "item stream without work: {n} items in {:?}",
            start.elapsed()
        );
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
