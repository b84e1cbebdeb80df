//! Per-attempt vs whole-call timeouts, against a loopback server that stalls.

mod common;

use std::time::Duration;

use common::{InstantTimer, Reply, empty, serve};
use http::Request;
use polar_transport::mock::{MockResponse, MockTransport};
use polar_transport::{Error, ErrorKind, RequestOptions, RetryConfig, TransportBuilder};
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
async fn call_timeout_covers_backoff_waits_and_reports_attempts() {
    // Every attempt is a 503 asking for 5 s; the call may last 12 s: attempts at 0, 5, 10 s.
    let mock = MockTransport::new();
    mock.respond_with(|_| Ok(MockResponse::new(503).with_header("retry-after", "5")));
    let svc = TransportBuilder::new()
        .token("polar_oat_timeout_test")
        .disable_rate_limit()
        .call_timeout(Duration::from_secs(12))
        .retry(RetryConfig::default().max_attempts(10))
        .build_with(mock.clone())
        .unwrap();
    let start = tokio::time::Instant::now();
    let err = svc
        .oneshot(Request::get("/v1/customers/").body(empty()).unwrap())
        .await
        .unwrap_err();
    assert_eq!(kind_and_attempts(&err), (ErrorKind::CallTimeout, 3));
    assert_eq!(mock.request_count(), 3);
    assert_eq!(start.elapsed(), Duration::from_secs(12));
    assert!(err.downcast_ref::<Error>().unwrap().is_timeout());
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
    let err = svc.oneshot(req()).await.unwrap_err();
    assert_eq!(kind_and_attempts(&err).0, ErrorKind::CallTimeout);
    assert_eq!(mock.request_count(), 1);
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
