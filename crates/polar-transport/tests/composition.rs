//! The public layers composed by hand: the call's deadline travels with the request (a
//! `CallDeadline` in its extensions), so a `Buffer` in between keeps it, and a request made on
//! the side inside a layer of yours does not inherit it.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use common::empty;
use http::{Request, Response};
use polar_transport::mock::{MockResponse, MockTransport};
use polar_transport::retry::{RetryConfig, RetryLayer};
use polar_transport::timeout::{CallDeadline, CallTimeoutLayer, TimeoutLayer};
use polar_transport::{
    Attempts, Body, BoxError, Error, ErrorKind, HttpService, TransportBuilder, into_http_service,
};
use tokio::time::Instant;
use tower::buffer::BufferLayer;
use tower::{Layer, Service, ServiceBuilder, ServiceExt};

fn get() -> Request<Body> {
    Request::get("https://api.polar.sh/v1/customers/")
        .body(empty())
        .unwrap()
}

fn kind(err: &BoxError) -> ErrorKind {
    err.downcast_ref::<Error>()
        .expect("a transport error")
        .kind()
}

/// A 503 asking for a retry in 5 s: the retry layer must not start that wait when the call's
/// deadline (2 s) comes first, but return the 503 at once.
#[tokio::test(start_paused = true)]
async fn a_buffer_between_the_call_timeout_and_the_retry_layer_keeps_the_deadline() {
    let mock = MockTransport::new();
    mock.respond_with(|_| Ok(MockResponse::new(503).with_header("retry-after", "5")));
    let svc = ServiceBuilder::new()
        .layer(CallTimeoutLayer::new(Some(Duration::from_secs(2))))
        .layer(BufferLayer::new(8))
        .layer(RetryLayer::new(RetryConfig::default().max_attempts(3)))
        .layer(TimeoutLayer::attempt(None))
        .service(mock.clone());
    let start = Instant::now();
    let res = svc.oneshot(get()).await.expect("the 503, not a timeout");
    assert_eq!(res.status(), 503);
    assert_eq!(res.extensions().get::<Attempts>(), Some(&Attempts(1)));
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(mock.request_count(), 1);
}

/// Behind a `Buffer`, an attempt that outlasts the call's deadline ends at the deadline as a
/// call timeout (not as an attempt timeout that the retry layer would try again).
#[tokio::test(start_paused = true)]
async fn behind_a_buffer_the_attempt_timeout_stops_at_the_call_deadline() {
    let svc = ServiceBuilder::new()
        .layer(BufferLayer::new(8))
        .layer(CallTimeoutLayer::new(Some(Duration::from_secs(1))))
        .layer(BufferLayer::new(8))
        .layer(TimeoutLayer::attempt(Some(Duration::from_secs(30))))
        .service(tower::service_fn(|_req: Request<Body>| async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok::<_, BoxError>(Response::new(empty()))
        }));
    let start = Instant::now();
    let err = svc.oneshot(get()).await.unwrap_err();
    assert_eq!(kind(&err), ErrorKind::CallTimeout);
    assert_eq!(start.elapsed(), Duration::from_secs(1));
}

/// The outcome of a side request: its error kind (or `None` for an answer) and when it ended.
type SideOutcome = Arc<Mutex<Option<(Option<ErrorKind>, Duration)>>>;

/// A user layer that, on each call, sends a request on the side through `side` (spawned, so the
/// main call does not wait for it), optionally with the main request's extensions.
#[derive(Clone)]
struct SideRequest {
    side: HttpService,
    copy_extensions: bool,
    outcome: SideOutcome,
}

impl<S> Layer<S> for SideRequest {
    type Service = SideRequestService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        SideRequestService {
            inner,
            layer: self.clone(),
        }
    }
}

#[derive(Clone)]
struct SideRequestService<S> {
    inner: S,
    layer: SideRequest,
}

impl<S> Service<Request<Body>> for SideRequestService<S>
where
    S: Service<Request<Body>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        let mut side_req = get();
        if self.layer.copy_extensions {
            *side_req.extensions_mut() = req.extensions().clone();
        }
        // Called here, inside the main call; only its waiting happens in another task.
        let mut side = self.layer.side.clone();
        let ready = side.poll_ready(&mut Context::from_waker(Waker::noop()));
        assert!(ready.is_ready(), "the side service is always ready");
        let side: Pin<Box<dyn Future<Output = Result<_, BoxError>> + Send>> =
            Box::pin(side.call(side_req));
        let outcome = self.layer.outcome.clone();
        let start = Instant::now();
        tokio::spawn(async move {
            let kind = side.await.err().map(|e| kind(&e));
            *outcome.lock().unwrap() = Some((kind, start.elapsed()));
        });
        self.inner.call(req)
    }
}

/// The side service: an attempt timeout of 2 s (no call timeout of its own) over an answer that
/// never comes.
fn side_service() -> HttpService {
    into_http_service(
        ServiceBuilder::new()
            .layer(TimeoutLayer::attempt(Some(Duration::from_secs(2))))
            .service(tower::service_fn(|_req: Request<Body>| async {
                std::future::pending::<()>().await;
                Ok::<_, BoxError>(Response::new(empty()))
            })),
    )
}

/// Runs one main call (1 s call timeout, answered at once) through `stack`, then waits for the
/// side request started inside it.
async fn side_outcome(
    stack: impl FnOnce(SideRequest, MockTransport) -> HttpService,
    copy_extensions: bool,
) -> (Option<ErrorKind>, Duration) {
    let outcome = SideOutcome::default();
    let layer = SideRequest {
        side: side_service(),
        copy_extensions,
        outcome: outcome.clone(),
    };
    let mock = MockTransport::new();
    mock.respond_with(|_| Ok(MockResponse::new(200)));
    let res = stack(layer, mock).oneshot(get()).await.unwrap();
    assert_eq!(res.status(), 200);
    tokio::time::sleep(Duration::from_secs(10)).await;
    let got = outcome.lock().unwrap().take();
    got.expect("the side request ended")
}

fn hand_composed(layer: SideRequest, mock: MockTransport) -> HttpService {
    into_http_service(
        ServiceBuilder::new()
            .layer(CallTimeoutLayer::new(Some(Duration::from_secs(1))))
            .layer(RetryLayer::new(RetryConfig::default()))
            .layer(layer)
            .layer(TimeoutLayer::attempt(None))
            .service(mock),
    )
}

fn built(layer: SideRequest, mock: MockTransport) -> HttpService {
    TransportBuilder::new()
        .token("polar_oat_composition_test")
        .disable_rate_limit()
        .call_timeout(Duration::from_secs(1))
        .layer(layer)
        .build_with(mock)
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_side_request_inside_a_user_layer_does_not_inherit_the_call_deadline() {
    // Its own 2 s attempt timeout ends it, not the main call's 1 s deadline.
    let expected = (Some(ErrorKind::AttemptTimeout), Duration::from_secs(2));
    assert_eq!(side_outcome(hand_composed, false).await, expected);
    assert_eq!(side_outcome(built, false).await, expected);
}

#[tokio::test(start_paused = true)]
async fn a_side_request_that_copies_the_extensions_carries_the_deadline_on_purpose() {
    let expected = (Some(ErrorKind::CallTimeout), Duration::from_secs(1));
    assert_eq!(side_outcome(hand_composed, true).await, expected);
    assert_eq!(side_outcome(built, true).await, expected);
}

/// The deadline a layer below sees is the call's: now + the call timeout, the earlier of two
/// nested call timeouts, and none at all without a call timeout.
#[tokio::test(start_paused = true)]
async fn layers_below_see_the_call_deadline_in_the_request() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = {
        let seen = seen.clone();
        tower::service_fn(move |req: Request<Body>| {
            let deadline = req.extensions().get::<CallDeadline>().copied();
            seen.lock()
                .unwrap()
                .push(deadline.map(CallDeadline::instant));
            async { Ok::<_, BoxError>(Response::new(empty())) }
        })
    };
    let start = Instant::now();
    let nested = ServiceBuilder::new()
        .layer(CallTimeoutLayer::new(Some(Duration::from_secs(3))))
        .layer(CallTimeoutLayer::new(Some(Duration::from_secs(7))))
        .service(record.clone());
    nested.oneshot(get()).await.unwrap();
    let inner_first = ServiceBuilder::new()
        .layer(CallTimeoutLayer::new(Some(Duration::from_secs(7))))
        .layer(CallTimeoutLayer::new(Some(Duration::from_secs(3))))
        .service(record.clone());
    inner_first.oneshot(get()).await.unwrap();
    record.oneshot(get()).await.unwrap();
    let three = Some(start + Duration::from_secs(3));
    assert_eq!(*seen.lock().unwrap(), vec![three, three, None]);
}
