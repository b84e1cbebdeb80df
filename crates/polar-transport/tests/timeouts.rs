//! Per-attempt vs whole-call timeouts, against a loopback server that stalls, and the deadline on
//! reading the response body (a raw TCP server that sends the head, then drips the body).

mod common;

use std::time::Duration;

use common::{InstantTimer, Reply, empty, serve};
use http::Request;
use http_body_util::BodyExt;
use polar_transport::mock::{MockResponse, MockTransport};
use polar_transport::{Error, ErrorKind, RequestOptions, RetryConfig, TransportBuilder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

fn kind_and_attempts(err: &polar_transport::BoxError) -> (ErrorKind, u32) {
    let e = err.downcast_ref::<Error>().expect("a transport error");
    (e.kind(), e.attempts())
}

#[tokio::test]
async fn attempt_timeout_ends_each_attempt_and_is_retried() {
    let server = serve(|_, _| Reply::Stall).await;
    let svc = TransportBuilder::new()
        .token("polar_oat_timeout_test")
        .base_url(&server.url())
        .allow_http(true)
        .attempt_timeout(Duration::from_millis(100))
        .call_timeout(Duration::from_secs(60))
        .retry(
            RetryConfig::default()
                .max_attempts(3)
                .timer(InstantTimer::default()),
        )
        .build()
        .unwrap();
    let err = svc
        .oneshot(Request::get("/v1/customers/").body(empty()).unwrap())
        .await
        .unwrap_err();
    assert_eq!(kind_and_attempts(&err), (ErrorKind::AttemptTimeout, 3));
    assert_eq!(server.hits(), 3);
}

#[tokio::test]
async fn call_timeout_ends_the_whole_call() {
    let server = serve(|_, _| Reply::Stall).await;
    let svc = TransportBuilder::new()
        .token("polar_oat_timeout_test")
        .base_url(&server.url())
        .allow_http(true)
        .attempt_timeout(Duration::from_secs(60))
        .call_timeout(Duration::from_millis(200))
        .retry(
            RetryConfig::default()
                .max_attempts(3)
                .timer(InstantTimer::default()),
        )
        .build()
        .unwrap();
    let err = svc
        .oneshot(Request::get("/v1/customers/").body(empty()).unwrap())
        .await
        .unwrap_err();
    assert_eq!(kind_and_attempts(&err), (ErrorKind::CallTimeout, 1));
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn request_option_overrides_the_call_timeout() {
    let server = serve(|_, _| Reply::Stall).await;
    let svc = TransportBuilder::new()
        .token("polar_oat_timeout_test")
        .base_url(&server.url())
        .allow_http(true)
        .attempt_timeout(Duration::from_secs(60))
        .call_timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let mut req = Request::get("/v1/customers/").body(empty()).unwrap();
    let mut opts = RequestOptions::default();
    opts.timeout = Some(Duration::from_millis(150));
    req.extensions_mut().insert(opts);
    let err = svc.oneshot(req).await.unwrap_err();
    assert_eq!(kind_and_attempts(&err).0, ErrorKind::CallTimeout);
}

#[tokio::test(start_paused = true)]
async fn call_timeout_covers_rate_limit_waits() {
    let mock = MockTransport::new();
    mock.respond_with(|_| Ok(MockResponse::new(200)));
    let svc = TransportBuilder::new()
        .token("polar_oat_timeout_test")
        .rate_limit(polar_transport::RateLimitConfig::new(
            1,
            Duration::from_secs(60),
        ))
        .call_timeout(Duration::from_secs(5))
        .build_with(mock.clone())
        .unwrap();
    let req = || Request::get("/v1/customers/").body(empty()).unwrap();
    svc.clone().oneshot(req()).await.unwrap();
    // The limiter knows the slot frees in 60 s, past the deadline: it gives the request back
    // at once, unsent, instead of waiting for the deadline.
    let start = tokio::time::Instant::now();
    let err = svc.oneshot(req()).await.unwrap_err();
    assert_eq!(kind_and_attempts(&err).0, ErrorKind::CallTimeout);
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(mock.request_count(), 1);
}

#[tokio::test(start_paused = true)]
async fn call_timeout_covers_rate_limit_waits_of_unknown_length() {
    // One slot, held by a request the server never answers: the second caller cannot know how
    // long it will wait, waits in line until its deadline, and is given back unsent.
    let inner = tower::service_fn(|_req: Request<polar_transport::Body>| async {
        std::future::pending::<()>().await;
        Ok::<_, polar_transport::BoxError>(http::Response::new(empty()))
    });
    let svc = TransportBuilder::new()
        .token("polar_oat_timeout_test")
        .rate_limit(polar_transport::RateLimitConfig::new(
            1,
            Duration::from_secs(60),
        ))
        .call_timeout(Duration::from_secs(5))
        .build_with(inner)
        .unwrap();
    let req = || Request::get("/v1/customers/").body(empty()).unwrap();
    let start = tokio::time::Instant::now();
    let first = tokio::spawn(svc.clone().oneshot(req()));
    tokio::task::yield_now().await;
    let err = svc.oneshot(req()).await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_secs(5));
    assert_eq!(kind_and_attempts(&err).0, ErrorKind::CallTimeout);
    let later = err.downcast_ref::<Error>().unwrap().retry_later();
    assert_eq!(
        later.map(|l| l.attempts()),
        Some(0),
        "never sent: may be sent again"
    );
    let first = first.await.unwrap().unwrap_err();
    let first = first.downcast_ref::<Error>().unwrap();
    assert_eq!(first.kind(), ErrorKind::CallTimeout);
    assert_eq!(
        first.retry_later(),
        None,
        "sent: it may have been carried out"
    );
}

#[test]
fn zero_timeouts_are_refused() {
    let err = TransportBuilder::new()
        .token("polar_oat_timeout_test")
        .call_timeout(Duration::ZERO)
        .build_with(MockTransport::new())
        .unwrap_err();
    assert!(matches!(err, polar_transport::BuildError::InvalidConfig(_)));
}

#[tokio::test]
async fn connect_timeout_is_its_own_kind() {
    // A listener that never accepts, with its accept queue filled: further SYNs are dropped, so
    // a new connection hangs in the handshake until the connect timeout.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..8 {
        match tokio::time::timeout(
            Duration::from_millis(100),
            tokio::net::TcpStream::connect(addr),
        )
        .await
        {
            Ok(Ok(s)) => fillers.push(s),
            _ => break,
        }
    }
    let svc = TransportBuilder::new()
        .token("polar_oat_timeout_test")
        .base_url(&format!("http://{addr}"))
        .allow_http(true)
        .connect_timeout(Duration::from_millis(150))
        .retry(
            RetryConfig::default()
                .max_attempts(2)
                .timer(InstantTimer::default()),
        )
        .build()
        .unwrap();
    let err = svc
        .oneshot(Request::post("/v1/customers/").body(empty()).unwrap())
        .await
        .unwrap_err();
    // Never sent, so even a POST was tried twice.
    assert_eq!(kind_and_attempts(&err), (ErrorKind::ConnectTimeout, 2));
    drop(listener);
}

// ---------------------------------------------------------------------------------------------
// The response body

/// How the raw server sends a body once the head (status 200, `connection: close`) is out.
#[derive(Clone, Copy, Debug)]
enum Drip {
    /// `content-length` far larger than what comes: one byte every 20 ms, forever.
    Trickle,
    /// `chunks` chunks of `CHUNK` bytes, one every `every`, then the end (a finite body).
    Steady { chunks: usize, every: Duration },
    /// A first chunk, then silence with the connection open.
    Stall,
}

const CHUNK: usize = 512;
/// Guard around every body test: far above any timeout they use, so only a hang reaches it.
const GUARD: Duration = Duration::from_secs(10);

/// Serves every connection with `drip`; returns the base URL.
async fn drip_server(drip: Drip) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                // Read the request head (GETs here carry no body).
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let length = match drip {
                    Drip::Steady { chunks, .. } => chunks * CHUNK,
                    Drip::Trickle | Drip::Stall => 100_000_000,
                };
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {length}\r\nconnection: close\r\n\r\n"
                );
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                match drip {
                    Drip::Trickle => loop {
                        if stream.write_all(b" ").await.is_err() {
                            return;
                        }
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    },
                    Drip::Steady { chunks, every } => {
                        for _ in 0..chunks {
                            if stream.write_all(&[b'x'; CHUNK]).await.is_err() {
                                return;
                            }
                            tokio::time::sleep(every).await;
                        }
                    }
                    Drip::Stall => {
                        let _ = stream.write_all(&[b'x'; CHUNK]).await;
                        // Keep the connection open until the client leaves.
                        let _ = stream.read(&mut buf).await;
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

fn body_test_client(url: &str, call: Duration, idle: Duration) -> polar_transport::HttpService {
    TransportBuilder::new()
        .token("polar_oat_timeout_test")
        .base_url(url)
        .allow_http(true)
        .disable_rate_limit()
        .attempt_timeout(Duration::from_secs(5))
        .call_timeout(call)
        .body_idle_timeout(idle)
        .retry(RetryConfig::disabled())
        .build()
        .unwrap()
}

fn get(streaming: bool) -> Request<polar_transport::Body> {
    let mut req = Request::get("/v1/customers/").body(empty()).unwrap();
    if streaming {
        let mut opts = RequestOptions::default();
        opts.streaming_body = true;
        req.extensions_mut().insert(opts);
    }
    req
}

/// Sends `req` and reads the whole body, under the outer guard.
async fn fetch(
    svc: polar_transport::HttpService,
    req: Request<polar_transport::Body>,
) -> Result<bytes::Bytes, polar_transport::BoxError> {
    tokio::time::timeout(GUARD, async move {
        let res = svc.oneshot(req).await?;
        assert_eq!(res.status(), 200, "the head must arrive");
        Ok(res.into_body().collect().await?.to_bytes())
    })
    .await
    .expect("the call hung past every timeout")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trickling_json_body_ends_at_the_call_timeout() {
    let url = drip_server(Drip::Trickle).await;
    let svc = body_test_client(&url, Duration::from_millis(300), Duration::from_secs(5));
    let err = fetch(svc, get(false)).await.unwrap_err();
    assert_eq!(kind_and_attempts(&err), (ErrorKind::CallTimeout, 1));
    assert!(err.downcast_ref::<Error>().unwrap().is_timeout());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steady_body_longer_than_the_call_deadline_is_cut() {
    // 40 chunks 25 ms apart: about a second of steady data against a 200 ms call timeout.
    let url = drip_server(Drip::Steady {
        chunks: 40,
        every: Duration::from_millis(25),
    })
    .await;
    let svc = body_test_client(&url, Duration::from_millis(200), Duration::from_secs(5));
    let err = fetch(svc, get(false)).await.unwrap_err();
    assert_eq!(kind_and_attempts(&err), (ErrorKind::CallTimeout, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_request_outlives_the_call_deadline_while_data_flows() {
    // The same body, but the request is marked as a stream: it is read to its end although it
    // takes several call timeouts, since no gap comes near the idle limit.
    let url = drip_server(Drip::Steady {
        chunks: 40,
        every: Duration::from_millis(25),
    })
    .await;
    let svc = body_test_client(&url, Duration::from_millis(200), Duration::from_secs(2));
    let body = fetch(svc, get(true)).await.expect("the stream completes");
    assert_eq!(body.len(), 40 * CHUNK);
    assert!(body.iter().all(|&b| b == b'x'));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_request_whose_body_stalls_fails_with_the_idle_timeout() {
    let url = drip_server(Drip::Stall).await;
    // The call timeout is long: only the idle limit can end this read.
    let svc = body_test_client(&url, Duration::from_secs(60), Duration::from_millis(200));
    let err = fetch(svc, get(true)).await.unwrap_err();
    let e = err.downcast_ref::<Error>().expect("a transport error");
    assert_eq!(e.kind(), ErrorKind::BodyIdleTimeout);
    assert_eq!(e.attempts(), 1);
    assert!(e.is_timeout());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_that_arrives_in_time_is_untouched() {
    let url = drip_server(Drip::Steady {
        chunks: 4,
        every: Duration::from_millis(1),
    })
    .await;
    let svc = body_test_client(&url, Duration::from_secs(5), Duration::from_secs(5));
    let body = fetch(svc, get(false)).await.expect("a complete body");
    assert_eq!(body.len(), 4 * CHUNK);
}

#[tokio::test(start_paused = true)]
async fn request_timeout_option_also_bounds_the_body() {
    // In-memory: the head comes at once, the body never does. The request's own timeout (2 s)
    // replaces the client's (60 s) for the body too.
    let mock = MockTransport::new();
    mock.respond_with(|_| Ok(MockResponse::new(200)));
    let svc = TransportBuilder::new()
        .token("polar_oat_timeout_test")
        .disable_rate_limit()
        .call_timeout(Duration::from_secs(60))
        .layer(tower::layer::layer_fn(
            |inner: polar_transport::HttpService| {
                inner.map_response(|res| res.map(|_| stalled_body()))
            },
        ))
        .build_with(mock)
        .unwrap();
    let mut req = get(false);
    let mut opts = RequestOptions::default();
    opts.timeout = Some(Duration::from_secs(2));
    req.extensions_mut().insert(opts);
    let start = tokio::time::Instant::now();
    let res = svc.oneshot(req).await.unwrap();
    let read = tokio::time::timeout(GUARD, res.into_body().collect()).await;
    let err = read.expect("the body read hung").unwrap_err();
    assert_eq!(kind_and_attempts(&err), (ErrorKind::CallTimeout, 1));
    assert_eq!(start.elapsed(), Duration::from_secs(2));
}

/// A response body whose data never comes.
fn stalled_body() -> polar_transport::ResponseBody {
    struct Stalled;
    impl http_body::Body for Stalled {
        type Data = bytes::Bytes;
        type Error = polar_transport::BoxError;
        fn poll_frame(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, Self::Error>>> {
            std::task::Poll::Pending
        }
    }
    Stalled.boxed_unsync()
}

/// A transport whose answer takes `delay` (under paused time: no real waiting).
fn slow_answer(
    delay: Duration,
) -> impl tower::Service<
    Request<polar_transport::Body>,
    Response = http::Response<polar_transport::Body>,
    Error = std::convert::Infallible,
    Future = impl Future<
        Output = Result<http::Response<polar_transport::Body>, std::convert::Infallible>,
    > + Send,
> + Clone
+ Send
+ Sync
+ 'static {
    tower::service_fn(move |_req: Request<polar_transport::Body>| async move {
        tokio::time::sleep(delay).await;
        Ok(http::Response::new(empty()))
    })
}

fn stack_over<S, B>(call_timeout: Duration, inner: S) -> polar_transport::HttpService
where
    S: tower::Service<Request<polar_transport::Body>, Response = http::Response<B>>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
    S::Error: Into<polar_transport::BoxError>,
    B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<polar_transport::BoxError>,
{
    TransportBuilder::new()
        .token("polar_oat_timeout_test")
        .disable_rate_limit()
        .call_timeout(call_timeout)
        .build_with(inner)
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_call_deadline_does_not_outlive_its_call() {
    // A call with a 1 s deadline ends well within it...
    let svc = stack_over(
        Duration::from_secs(1),
        slow_answer(Duration::from_millis(10)),
    );
    let req = || Request::get("/v1/customers/").body(empty()).unwrap();
    svc.oneshot(req()).await.unwrap();
    // ...and a later attempt timeout on the same thread, with no call around it and no limit
    // of its own, must not inherit that deadline: a 5 s answer is fine.
    let bare = tower::ServiceBuilder::new()
        .layer(polar_transport::timeout::TimeoutLayer::attempt(None))
        .service(slow_answer(Duration::from_secs(5)));
    let start = tokio::time::Instant::now();
    bare.oneshot(req()).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn nested_stacks_each_keep_their_own_deadline() {
    let req = || Request::get("/v1/customers/").body(empty()).unwrap();

    // The inner stack's deadline (1 s) is the shorter: the inner call ends at 1 s and the outer
    // call (10 s) returns that error.
    let inner = stack_over(Duration::from_secs(1), slow_answer(Duration::from_secs(3)));
    let outer = stack_over(Duration::from_secs(10), inner);
    let start = tokio::time::Instant::now();
    let err = outer.oneshot(req()).await.unwrap_err();
    assert_eq!(kind_and_attempts(&err), (ErrorKind::CallTimeout, 1));
    assert_eq!(start.elapsed(), Duration::from_secs(1));

    // The outer deadline (1 s) is the shorter: the inner call's own (10 s) must not replace it.
    let inner = stack_over(Duration::from_secs(10), slow_answer(Duration::from_secs(3)));
    let outer = stack_over(Duration::from_secs(1), inner);
    let start = tokio::time::Instant::now();
    let err = outer.oneshot(req()).await.unwrap_err();
    assert_eq!(kind_and_attempts(&err), (ErrorKind::CallTimeout, 1));
    assert_eq!(start.elapsed(), Duration::from_secs(1));
}

/// A transport that is never ready (for example a concurrency limit that never frees up).
#[derive(Clone)]
struct NeverReady;

impl tower::Service<Request<polar_transport::Body>> for NeverReady {
    type Response = http::Response<polar_transport::Body>;
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Self::Response, Self::Error>>;

    fn poll_ready(
        &mut self,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Pending
    }

    fn call(&mut self, _req: Request<polar_transport::Body>) -> Self::Future {
        unreachable!("never ready, so never called")
    }
}

#[tokio::test(start_paused = true)]
async fn the_call_timeout_bounds_waiting_for_a_transport_that_is_not_ready() {
    let svc = stack_over(Duration::from_secs(2), NeverReady);
    let start = tokio::time::Instant::now();
    let outcome = tokio::time::timeout(
        Duration::from_secs(60),
        svc.oneshot(Request::get("/v1/customers/").body(empty()).unwrap()),
    )
    .await
    .expect("the call ends by its own deadline");
    let err = outcome.unwrap_err();
    assert_eq!(kind_and_attempts(&err), (ErrorKind::CallTimeout, 1));
    assert_eq!(start.elapsed(), Duration::from_secs(2));
}

/// Issue 12: the call and attempt timeouts can be turned off; a per-request timeout still applies.
#[tokio::test(start_paused = true)]
async fn call_and_attempt_timeouts_can_be_turned_off() {
    let slow = || {
        let mock = MockTransport::new();
        mock.respond_with(|_| Ok(MockResponse::new(200)));
        // Wrapped so the answer comes after ten minutes.
        tower::service_fn(move |req: Request<polar_transport::Body>| {
            let mock = mock.clone();
            async move {
                tokio::time::sleep(Duration::from_secs(600)).await;
                mock.oneshot(req).await
            }
        })
    };
    let svc = TransportBuilder::new()
        .token("polar_oat_timeout_test")
        .disable_rate_limit()
        .no_call_timeout()
        .no_attempt_timeout()
        .build_with(slow())
        .unwrap();
    let start = tokio::time::Instant::now();
    let res = svc
        .clone()
        .oneshot(Request::get("/v1/customers/").body(empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(start.elapsed(), Duration::from_secs(600));

    let mut req = Request::get("/v1/customers/").body(empty()).unwrap();
    let mut options = RequestOptions::default();
    options.timeout = Some(Duration::from_secs(5));
    req.extensions_mut().insert(options);
    let err = svc.oneshot(req).await.unwrap_err();
    assert_eq!(kind_and_attempts(&err).0, ErrorKind::CallTimeout);
}
