//! Overhead of the default stack over a bare `hyper-util` client, side by side, against the
//! same loopback hyper server: GET with a small JSON answer, at concurrency 1 and 64.
//!
//! Three clients hit the server:
//! - `bare_hyper_same_headers`: a `hyper-util` legacy client sending the request the stack
//!   sends — the same four headers (`User-Agent`, `Accept`, `Polar-Version`, `Authorization`),
//!   so the same bytes on the wire. This is the baseline for the stack's cost: any client of
//!   Polar has to send those headers.
//! - `bare_hyper`: the same client sending a GET with no headers at all, for context. The gap
//!   between the two baselines is the price of the headers themselves, paid on both sides: in
//!   this benchmark the server shares the machine, so parsing them is counted too.
//! - `polar_stack`: `TransportBuilder::build()` with the rate limiter disabled (at these rates
//!   the default limit of 500 requests a minute would be the only thing measured).
//!
//! Criterion reports each; then alternating paired rounds (the order rotates every round, so
//! all three see the same machine load) print the throughput ratio against each baseline
//! (median of the rounds), and the ratio of CPU time used by the process (client and server
//! threads) per request, which is what bounds throughput on a busy machine.
//!
//! Requests are issued from a task on the runtime's worker thread, as an application would.
//!
//! The `in_memory_overhead` group measures the stack's own CPU cost per call over an answer
//! from memory; with `POLAR_BENCH_LAYERS=1`, `layer_by_layer` adds the layers one at a time.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use polar_transport::{Body, HttpService, TransportBuilder};
use tower::ServiceExt;

const JSON: &str = r#"{"id":"1dbfc517-0bbf-4301-9ba8-555ca42b9737","email":"ada@example.com","name":"Ada","metadata":{},"created_at":"2026-11-25T10:00:00Z"}"#;
const PATH: &str = "/v1/customers/1dbfc517-0bbf-4301-9ba8-555ca42b9737";
const TOKEN: &str = "polar_oat_bench_token";

fn start_server() -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                stream.set_nodelay(true).unwrap();
                tokio::spawn(async move {
                    let svc =
                        hyper::service::service_fn(|_req: Request<hyper::body::Incoming>| async {
                            Ok::<_, Infallible>(
                                Response::builder()
                                    .header("content-type", "application/json")
                                    .body(Full::new(Bytes::from_static(JSON.as_bytes())))
                                    .unwrap(),
                            )
                        });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
    });
    rx.recv().unwrap()
}

/// One GET through a clone of `svc`, as the SDK makes it; returns the body.
async fn get_through(svc: &HttpService) -> Bytes {
    let req = Request::get(PATH).body(Body::default()).unwrap();
    let res = svc.clone().oneshot(req).await.unwrap();
    assert!(res.status().is_success());
    res.into_body().collect().await.unwrap().to_bytes()
}

#[derive(Clone)]
enum Target {
    Bare(Box<Client<HttpConnector, Body>>, String, bool),
    Stack(HttpService),
}

impl Target {
    async fn get(&self) {
        let bytes = match self {
            Target::Bare(client, url, same_headers) => {
                let mut req = Request::get(url.as_str());
                if *same_headers {
                    req = req
                        .header("user-agent", "polar-rs/0.1.0")
                        .header("accept", "application/json")
                        .header("polar-version", "2026-10")
                        .header("authorization", "Bearer polar_oat_bench_token");
                }
                let res = client
                    .request(req.body(Body::default()).unwrap())
                    .await
                    .unwrap();
                assert!(res.status().is_success());
                res.into_body().collect().await.unwrap().to_bytes()
            }
            Target::Stack(svc) => get_through(svc).await,
        };
        assert_eq!(bytes.len(), JSON.len());
    }

    /// Runs `iters` rounds of `concurrency` requests from a task on the runtime's worker.
    async fn run(&self, iters: u64, concurrency: usize) -> Duration {
        let this = self.clone();
        tokio::spawn(async move { this.run_here(iters, concurrency).await })
            .await
            .unwrap()
    }

    async fn run_here(&self, iters: u64, concurrency: usize) -> Duration {
        let start = Instant::now();
        for _ in 0..iters {
            if concurrency == 1 {
                self.get().await;
            } else {
                let mut set = tokio::task::JoinSet::new();
                for _ in 0..concurrency {
                    let t = self.clone();
                    set.spawn(async move { t.get().await });
                }
                while let Some(r) = set.join_next().await {
                    r.unwrap();
                }
            }
        }
        start.elapsed()
    }
}

fn targets(addr: SocketAddr) -> [(&'static str, Target); 3] {
    let bare = || {
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        Box::new(Client::builder(TokioExecutor::new()).build(http))
    };
    let url = format!("http://{addr}{PATH}");
    let stack = TransportBuilder::new()
        .token(TOKEN)
        .base_url(&format!("http://{addr}"))
        .allow_http(true)
        .disable_rate_limit()
        .build()
        .unwrap();
    [
        ("bare_hyper", Target::Bare(bare(), url.clone(), false)),
        ("bare_hyper_same_headers", Target::Bare(bare(), url, true)),
        ("polar_stack", Target::Stack(stack)),
    ]
}

/// CPU time used so far by all threads of this process, in nanoseconds (Linux; 0 elsewhere).
fn cpu_ns() -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| std::fs::read_to_string(e.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn bench(c: &mut Criterion) {
    let addr = start_server();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let targets = targets(addr);

    // For profiling (perf, strace): POLAR_BENCH_ONLY=<target>,<concurrency> runs one target alone.
    if let Ok(only) = std::env::var("POLAR_BENCH_ONLY") {
        let (name, conc) = only.split_once(',').unwrap_or((only.as_str(), "1"));
        let conc: usize = conc.parse().unwrap_or(1);
        let target = &targets
            .iter()
            .find(|t| t.0 == name)
            .expect("unknown target")
            .1;
        let iters = if conc == 1 { 20_000 } else { 300 };
        let d = rt.block_on(target.run(iters, conc));
        println!(
            "{name} c{conc}: {:?} per request",
            d / (iters as u32 * conc as u32)
        );
        return;
    }

    for concurrency in [1usize, 64] {
        let mut group = c.benchmark_group(format!("get_small_json/c{concurrency}"));
        group.throughput(Throughput::Elements(concurrency as u64));
        for (name, target) in &targets {
            group.bench_function(BenchmarkId::from_parameter(name), |b| {
                b.to_async(&rt)
                    .iter_custom(|iters| async move { target.run(iters, concurrency).await })
            });
        }
        group.finish();
    }

    // The stack's own CPU cost per call, without a network: the same answer from memory.
    let answer = tower::service_fn(|_req: Request<Body>| async {
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(
            JSON.as_bytes(),
        ))))
    });
    let in_memory = TransportBuilder::new()
        .token(TOKEN)
        .disable_rate_limit()
        .build_with(answer)
        .unwrap();
    let mut group = c.benchmark_group("in_memory_overhead");
    group.bench_function("bare_service", |b| {
        b.to_async(&rt).iter(|| async {
            let req = Request::get(PATH).body(Body::default()).unwrap();
            let res = answer.oneshot(req).await.unwrap();
            res.into_body().collect().await.unwrap().to_bytes()
        })
    });
    group.bench_function("polar_stack", |b| {
        b.to_async(&rt).iter(|| get_through(&in_memory))
    });
    group.finish();
    if std::env::var_os("POLAR_BENCH_LAYERS").is_some() {
        layer_by_layer(c, &rt, answer);
    }
    if std::env::var_os("POLAR_BENCH_IN_MEMORY_ONLY").is_some() {
        return;
    }

    println!(
        "\n== polar_stack throughput relative to a bare hyper-util client (1.00 = no overhead) =="
    );
    for concurrency in [1usize, 64] {
        let iters = if concurrency == 1 { 1500 } else { 25 };
        let rounds = 21;
        // wall[i]: per-round throughput of target i relative to `bare_hyper_same_headers`.
        let mut wall = vec![Vec::new(); 3];
        let mut cpu = [0u64; 3];
        rt.block_on(async {
            for round in 0..rounds {
                let mut t = [0f64; 3];
                for k in 0..3 {
                    let i = (k + round) % 3;
                    let c0 = cpu_ns();
                    t[i] = targets[i].1.run(iters, concurrency).await.as_secs_f64();
                    cpu[i] += cpu_ns() - c0;
                }
                for i in 0..3 {
                    wall[i].push(t[1] / t[i]);
                }
            }
        });
        let vs_headerless: Vec<f64> = wall[2].iter().zip(&wall[0]).map(|(s, b)| s / b).collect();
        println!(
            "concurrency {concurrency:>2}: stack / bare (same request) {:.3} (rounds {:.3}..{:.3}), CPU per request {:.3}; \
             stack / bare (no headers) {:.3}, CPU per request {:.3}",
            median(wall[2].clone()),
            wall[2].iter().cloned().fold(f64::INFINITY, f64::min),
            wall[2].iter().cloned().fold(0.0, f64::max),
            cpu[1] as f64 / cpu[2] as f64,
            median(vs_headerless),
            cpu[0] as f64 / cpu[2] as f64,
        );
    }
}

/// `POLAR_BENCH_LAYERS=1`: the in-memory call with the layers added one at a time, innermost
/// first, to see what each costs. The call timeout here keeps its own timer (the standalone
/// form); inside the builder's stack it has none.
fn layer_by_layer<S>(c: &mut Criterion, rt: &tokio::runtime::Runtime, answer: S)
where
    S: tower::Service<Request<Body>, Response = Response<Full<Bytes>>, Error = Infallible>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    use polar_transport::{
        auth, base_uri, headers, into_http_service, ratelimit, retry, timeout, trace,
    };
    use tower::ServiceBuilder;

    let base: http::Uri = "https://api.polar.sh".parse().unwrap();
    let token = secrecy::SecretString::from(TOKEN.to_owned());
    let base_uri = base_uri::BaseUriLayer::new(base.clone()).unwrap();
    let auth = auth::AuthLayer::new(token, &base).unwrap();
    let headers = headers::HeadersLayer::new("polar-rs/0.1.0", "2026-10").unwrap();
    let attempt = timeout::TimeoutLayer::attempt(Some(Duration::from_secs(30)));
    // A budget that never makes a caller wait (a million per millisecond), so the step shows
    // the bookkeeping of a permit: taking it, and counting it when the request has ended.
    let rate_limit = ratelimit::RateLimitLayer::new(ratelimit::RateLimiter::new(
        ratelimit::RateLimitConfig::new(1_000_000, Duration::from_millis(1)),
    ));
    let retry = retry::RetryLayer::new(polar_transport::RetryConfig::default());
    let call = timeout::CallTimeoutLayer::new(Some(Duration::from_secs(120)));
    let tracing = trace::TraceLayer::new();
    // The given layers, outermost first, over the in-memory answer.
    macro_rules! stack {
        ($($layer:expr),*) => {
            into_http_service(ServiceBuilder::new()$(.layer($layer.clone()))*.service(answer.clone()))
        };
    }
    let steps: [(&str, HttpService); 9] = [
        ("0_boxed", stack!()),
        ("1_base_uri", stack!(base_uri)),
        ("2_auth", stack!(auth, base_uri)),
        ("3_headers", stack!(headers, auth, base_uri)),
        (
            "4_attempt_timeout",
            stack!(attempt, headers, auth, base_uri),
        ),
        ("5_retry", stack!(retry, attempt, headers, auth, base_uri)),
        (
            "5b_retry_and_rate_limit",
            stack!(retry, rate_limit, attempt, headers, auth, base_uri),
        ),
        (
            "6_call_timeout",
            stack!(call, retry, attempt, headers, auth, base_uri),
        ),
        (
            "7_trace",
            stack!(tracing, call, retry, attempt, headers, auth, base_uri),
        ),
    ];
    let mut group = c.benchmark_group("layer_by_layer");
    for (name, svc) in steps {
        group.bench_function(name, |b| b.to_async(rt).iter(|| get_through(&svc)));
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .sample_size(30)
}

criterion_group! { name = benches; config = config(); targets = bench }
criterion_main!(benches);
