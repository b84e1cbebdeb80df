//! What the fake costs over a trivial server answering the same bytes, side by side in one run.
//!
//! - `get`: `GET /v1/customers/{id}` (auth, routing, lookup, JSON) against a service that returns
//!   the same JSON without looking at the request; in-process (a direct `Service::call`) and served
//!   (one HTTP/1.1 keep-alive connection over loopback, bare hyper client).
//! - `export`: the streamed CSV export of 10 000 customers, in-process, against walking the list
//!   of the same customers 100 a page (what a caller would do without the export).
//!
//! Criterion reports each case; then alternating paired rounds (the order flips every round so
//! both sides see the same machine load) print the median time ratio fake / baseline.
//!
//! Run with `cargo bench -p polar-fake`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use polar_fake::FakePolar;
use tower_service::Service;

const CUSTOMERS: usize = 10_000;

struct Setup {
    rt: tokio::runtime::Runtime,
    fake: FakePolar,
    id: String,
    json: Bytes,
    fake_addr: SocketAddr,
    trivial_addr: SocketAddr,
}

fn request(token: &str, path: &str) -> Request<Full<Bytes>> {
    Request::get(path)
        .header("authorization", format!("Bearer {token}"))
        .header("host", "127.0.0.1")
        .body(Full::new(Bytes::new()))
        .unwrap()
}

async fn call_fake(fake: &FakePolar, path: &str) -> Bytes {
    let res = fake
        .clone()
        .call(request(fake.token(), path))
        .await
        .unwrap();
    res.into_body().collect().await.unwrap().to_bytes()
}

fn setup() -> Setup {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let fake = FakePolar::new();
    let (id, json, fake_addr, trivial_addr) = rt.block_on(async {
        let mut id = String::new();
        for i in 0..CUSTOMERS {
            let body = format!(
                r#"{{"email":"bench{i}@polar.sh","name":"Bench {i}","external_id":"b-{i}","metadata":{{"plan":"pro","n":{i}}}}}"#
            );
            let req = Request::post("/v1/customers/")
                .header("authorization", format!("Bearer {}", fake.token()))
                .body(Full::new(Bytes::from(body)))
                .unwrap();
            let res = fake.clone().call(req).await.unwrap();
            let bytes = res.into_body().collect().await.unwrap().to_bytes();
            if i == CUSTOMERS / 2 {
                let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                id = v["id"].as_str().unwrap().to_owned();
            }
        }
        let json = call_fake(&fake, &format!("/v1/customers/{id}")).await;
        let served = fake.serve("127.0.0.1:0").await.unwrap();
        let fake_addr = served.addr();
        std::mem::forget(served); // serves until the process ends
        let trivial_addr = trivial_server(json.clone()).await;
        (id, json, fake_addr, trivial_addr)
    });
    Setup {
        rt,
        fake,
        id,
        json,
        fake_addr,
        trivial_addr,
    }
}

/// A server that answers every request with `json`, as fast as hyper can.
async fn trivial_server(json: Bytes) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let json = json.clone();
            tokio::spawn(async move {
                let svc =
                    hyper::service::service_fn(move |_req: Request<hyper::body::Incoming>| {
                        let json = json.clone();
                        async move {
                            Ok::<_, Infallible>(
                                Response::builder()
                                    .header("content-type", "application/json")
                                    .body(Full::new(json))
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

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(addr: SocketAddr) -> Sender {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    send
}

async fn get_over(send: &mut Sender, token: &str, path: &str) -> Bytes {
    send.ready().await.unwrap();
    let res = send.send_request(request(token, path)).await.unwrap();
    res.into_body().collect().await.unwrap().to_bytes()
}

/// Median over `rounds` of (time of `n` runs of `a`) / (time of `n` runs of `b`), alternating.
fn paired_ratio(rounds: usize, mut a: impl FnMut(), mut b: impl FnMut()) -> f64 {
    let mut ratios = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let time = |f: &mut dyn FnMut()| {
            let start = Instant::now();
            f();
            start.elapsed()
        };
        let (ta, tb) = if round % 2 == 0 {
            let ta = time(&mut a);
            (ta, time(&mut b))
        } else {
            let tb = time(&mut b);
            (time(&mut a), tb)
        };
        ratios.push(ta.as_secs_f64() / tb.as_secs_f64().max(1e-9));
    }
    ratios.sort_by(f64::total_cmp);
    ratios[ratios.len() / 2]
}

fn benches(c: &mut Criterion) {
    let s = setup();
    let path = format!("/v1/customers/{}", s.id);
    let token = s.fake.token().to_owned();
    let trivial = Trivial(s.json.clone());

    let mut g = c.benchmark_group("get");
    g.throughput(Throughput::Elements(1));
    g.bench_function("in_process/trivial", |b| {
        b.to_async(&s.rt).iter(|| trivial_call(trivial.clone()))
    });
    g.bench_function("in_process/fake", |b| {
        b.to_async(&s.rt).iter(|| call_fake(&s.fake, &path))
    });
    let mut fake_conn = s.rt.block_on(connect(s.fake_addr));
    let mut trivial_conn = s.rt.block_on(connect(s.trivial_addr));
    g.bench_function("served/trivial", |b| {
        b.iter(|| s.rt.block_on(get_over(&mut trivial_conn, &token, &path)))
    });
    g.bench_function("served/fake", |b| {
        b.iter(|| s.rt.block_on(get_over(&mut fake_conn, &token, &path)))
    });
    g.finish();

    let mut g = c.benchmark_group("export");
    g.throughput(Throughput::Elements(CUSTOMERS as u64));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("list_all_pages", |b| {
        b.to_async(&s.rt).iter(|| list_all(&s.fake))
    });
    g.bench_function("fake_streamed", |b| {
        b.to_async(&s.rt).iter(|| async {
            let res = s
                .fake
                .clone()
                .call(request(&token, "/v1/customers/export"))
                .await
                .unwrap();
            let mut body = res.into_body();
            let mut n = 0;
            while let Some(frame) = body.frame().await {
                n += frame.unwrap().into_data().map_or(0, |d| d.len());
            }
            n
        })
    });
    g.finish();

    const N: usize = 200;
    let in_process = paired_ratio(
        15,
        || {
            s.rt.block_on(async {
                for _ in 0..N {
                    call_fake(&s.fake, &path).await;
                }
            })
        },
        || {
            s.rt.block_on(async {
                for _ in 0..N {
                    trivial_call(trivial.clone()).await;
                }
            })
        },
    );
    let served = paired_ratio(
        15,
        || {
            s.rt.block_on(async {
                for _ in 0..N {
                    get_over(&mut fake_conn, &token, &path).await;
                }
            })
        },
        || {
            s.rt.block_on(async {
                for _ in 0..N {
                    get_over(&mut trivial_conn, &token, &path).await;
                }
            })
        },
    );
    let export = paired_ratio(
        9,
        || {
            s.rt.block_on(export_all(&s.fake));
        },
        || {
            s.rt.block_on(list_all(&s.fake));
        },
    );
    println!("ratio get in-process fake / trivial service: {in_process:.2}");
    println!("ratio get served fake / trivial hyper server: {served:.2}");
    println!("ratio export of {CUSTOMERS} (streamed CSV) / list of all pages of 100: {export:.2}");
}

/// Walks the whole list, 100 customers a page (the baseline of the export).
async fn list_all(fake: &FakePolar) -> usize {
    let mut n = 0;
    for page in 1..=CUSTOMERS.div_ceil(100) {
        n += call_fake(fake, &format!("/v1/customers/?limit=100&page={page}"))
            .await
            .len();
    }
    n
}

/// Reads the streamed export frame by frame.
async fn export_all(fake: &FakePolar) -> usize {
    let res = fake
        .clone()
        .call(request(fake.token(), "/v1/customers/export"))
        .await
        .unwrap();
    let mut body = res.into_body();
    let mut n = 0;
    while let Some(frame) = body.frame().await {
        n += frame.unwrap().into_data().map_or(0, |d| d.len());
    }
    n
}

/// The in-process baseline: hands out the same JSON without looking at any request.
#[derive(Clone)]
struct Trivial(Bytes);

async fn trivial_call(t: Trivial) -> Bytes {
    // The same work a caller does with the fake's answer: build a response, collect its body.
    let res: Response<Full<Bytes>> = Response::builder()
        .header("content-type", "application/json")
        .body(Full::new(t.0))
        .unwrap();
    res.into_body().collect().await.unwrap().to_bytes()
}

criterion_group!(fake_benches, benches);
criterion_main!(fake_benches);
