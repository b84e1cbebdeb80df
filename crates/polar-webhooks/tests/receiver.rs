//! `Receiver` over real HTTP on loopback (served by hyper, and by axum): one test per row of
//! the status table in docs/webhooks.md, and what reaches the handler.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use polar_webhooks::dedup::{MemoryDedup, RedisDedup};
use polar_webhooks::{Delivery, Event, Handler, HandlerFuture, Receiver, Scheme, Signer, Webhook};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

const CUSTOMER_DELETED: &str = r#"{"type":"customer.deleted","timestamp":"2026-11-29T10:00:00.000000Z","data":{"id":"6b0e4c5e-3f8e-4a57-9d2e-1f4a2b3c4d5e","type":"household","metadata":{},"organization_id":"1dbfc517-0bbf-4301-9ba8-555ca42b9737"}}"#;
const ORDER_PAID: &str = r#"{"type":"order.paid","timestamp":"2026-11-29T10:00:00Z","data":{"id":"o_1","total_amount":1500}}"#;

/// One endpoint's secret, its signer, and what its handler saw.
struct Setup {
    secret: String,
    signer: Signer,
    seen: Arc<Mutex<Vec<Delivery>>>,
}

impl Setup {
    fn new() -> Setup {
        let secret = polar_webhooks::generate_secret().unwrap();
        Setup {
            signer: Signer::new(&secret, Scheme::Standard).unwrap(),
            secret,
            seen: Arc::default(),
        }
    }

    /// A receiver whose handler records each delivery and answers `outcome(delivery)`.
    fn receiver(
        &self,
        outcome: impl Fn(&Delivery) -> Result<(), std::io::Error> + Send + Sync + 'static,
    ) -> Receiver {
        let seen = self.seen.clone();
        let outcome = Arc::new(outcome);
        Receiver::new(
            Webhook::new(&self.secret).unwrap(),
            move |delivery: Delivery| {
                let (seen, outcome) = (seen.clone(), outcome.clone());
                async move {
                    let result = outcome(&delivery);
                    seen.lock().unwrap().push(delivery);
                    result
                }
            },
        )
    }

    /// A delivery as Polar would send it now: method, headers and body.
    fn request(&self, id: &str, body: &str) -> String {
        let ts = jiff::Timestamp::now().as_second();
        let signature = self.signer.sign(id, ts, body.as_bytes());
        post(id, &ts.to_string(), &signature, body)
    }

    fn seen(&self) -> Vec<Delivery> {
        self.seen.lock().unwrap().clone()
    }
}

fn post(id: &str, ts: &str, signature: &str, body: &str) -> String {
    format!(
        "POST /webhooks/polar HTTP/1.1\r\nHost: x\r\nuser-agent: polar.sh webhooks\r\n\
         content-type: application/json\r\nwebhook-id: {id}\r\nwebhook-timestamp: {ts}\r\n\
         webhook-signature: {signature}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Serves `receiver` on loopback with hyper, as a plain hyper server would.
async fn serve_hyper(receiver: Receiver) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let receiver = receiver.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let receiver = receiver.clone();
                    async move { Ok::<_, Infallible>(receiver.receive(req).await) }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// Sends raw HTTP and returns the status and body.
async fn send(addr: SocketAddr, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text[9..12].parse().unwrap();
    let body = text.split_once("\r\n\r\n").unwrap().1.to_owned();
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_is_processed_once_and_its_copies_acknowledged() {
    let setup = Setup::new();
    let addr = serve_hyper(setup.receiver(|_| Ok(()))).await;
    let request = setup.request("msg_1", CUSTOMER_DELETED);
    assert_eq!(send(addr, &request).await, (200, "processed".into()));
    // Polar's retry (re-signed later) and a plain replay of the same request.
    assert_eq!(
        send(addr, &setup.request("msg_1", CUSTOMER_DELETED)).await,
        (200, "already processed".into())
    );
    assert_eq!(send(addr, &request).await.0, 200);
    let seen = setup.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].webhook_id, "msg_1");
    assert!(matches!(seen[0].event, Event::CustomerDeleted { .. }));
    let age = jiff::Timestamp::now().as_second() - seen[0].signed_at.as_second();
    assert!((0..5).contains(&age), "{age}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_event_type_reaches_the_handler_and_is_acknowledged() {
    let setup = Setup::new();
    let addr = serve_hyper(setup.receiver(|_| Ok(()))).await;
    let request = setup.request("msg_2", ORDER_PAID);
    assert_eq!(send(addr, &request).await.0, 200);
    match &setup.seen()[0].event {
        Event::Other { r#type, data, .. } => {
            assert_eq!(r#type, "order.paid");
            assert_eq!(data["total_amount"], 1500);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_damaged_or_stale_deliveries_are_401_and_never_reach_the_handler() {
    let setup = Setup::new();
    let addr = serve_hyper(setup.receiver(|_| Ok(()))).await;
    let now = jiff::Timestamp::now().as_second();
    let body = CUSTOMER_DELETED;
    let sign = |ts: i64| setup.signer.sign("msg_3", ts, body.as_bytes());
    let other = Signer::new(polar_webhooks::generate_secret().unwrap(), Scheme::Standard).unwrap();
    for (request, says) in [
        (post("msg_3", &now.to_string(), &other.sign("msg_3", now, body.as_bytes()), body), "no signature matches"),
        (post("msg_3", &(now - 301).to_string(), &sign(now - 301), body), "older than"),
        (post("msg_3", &(now + 301).to_string(), &sign(now + 301), body), "newer than"),
        (post("msg_3", "soon", &sign(now), body), "Unix time"),
        (post("msg_3", &now.to_string(), "v1,!!", body), "no `v1,<base64>`"),
        (post("msg_3", &now.to_string(), &sign(now), &body.replace("household", "houseboat")), "no signature matches"),
        (
            "POST /webhooks/polar HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}".to_owned(),
            "`webhook-id` header is missing",
        ),
    ] {
        let (status, text) = send(addr, &request).await;
        assert_eq!(status, 401, "{text}");
        assert!(text.contains(says), "{text}");
        assert!(!text.contains(&setup.secret[6..]), "{text}");
    }
    assert!(setup.seen().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_body_that_is_not_an_event_is_400() {
    let setup = Setup::new();
    let addr = serve_hyper(setup.receiver(|_| Ok(()))).await;
    for body in ["not json", r#"{"hello":"world"}"#] {
        let (status, text) = send(addr, &setup.request("msg_4", body)).await;
        assert_eq!(status, 400, "{text}");
    }
    assert!(setup.seen().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_or_panicking_handler_is_500_and_the_retry_is_processed_again() {
    let setup = Setup::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let addr = serve_hyper(
        setup.receiver(move |_| match counter.fetch_add(1, Ordering::SeqCst) {
            0 => Err(std::io::Error::other("database down")),
            1 => panic!("a bug in the handler"),
            _ => Ok(()),
        }),
    )
    .await;
    let (status, text) = send(addr, &setup.request("msg_5", CUSTOMER_DELETED)).await;
    assert_eq!(
        (status, text.as_str()),
        (500, "processing failed; retry later")
    );
    // The handler's error stays in the logs, not in the answer to Polar.
    assert!(!text.contains("database"));
    assert_eq!(
        send(addr, &setup.request("msg_5", CUSTOMER_DELETED))
            .await
            .0,
        500
    );
    assert_eq!(
        send(addr, &setup.request("msg_5", CUSTOMER_DELETED)).await,
        (200, "processed".into())
    );
    assert_eq!(
        send(addr, &setup.request("msg_5", CUSTOMER_DELETED)).await,
        (200, "already processed".into())
    );
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

/// A handler (a type, used as `Arc<dyn Handler>`) that holds each delivery until released.
struct Gate {
    entered: Notify,
    release: Notify,
    calls: AtomicUsize,
}

impl Handler for Gate {
    fn handle(&self, _delivery: Delivery) -> HandlerFuture<'_> {
        Box::pin(async move {
            self.calls.fetch_add(1, Ordering::SeqCst);
            self.entered.notify_one();
            self.release.notified().await;
            Ok(())
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_arriving_while_the_first_is_processed_is_409_so_polar_retries_it() {
    let setup = Setup::new();
    let gate = Arc::new(Gate {
        entered: Notify::new(),
        release: Notify::new(),
        calls: AtomicUsize::new(0),
    });
    let handler: Arc<dyn Handler> = gate.clone();
    let receiver = Receiver::new(Webhook::new(&setup.secret).unwrap(), handler);
    let addr = serve_hyper(receiver).await;
    let first = tokio::spawn({
        let request = setup.request("msg_6", CUSTOMER_DELETED);
        async move { send(addr, &request).await }
    });
    gate.entered.notified().await;
    let (status, text) = send(addr, &setup.request("msg_6", CUSTOMER_DELETED)).await;
    assert_eq!(status, 409, "{text}");
    gate.release.notify_one();
    assert_eq!(first.await.unwrap(), (200, "processed".into()));
    assert_eq!(
        send(addr, &setup.request("msg_6", CUSTOMER_DELETED))
            .await
            .0,
        200
    );
    assert_eq!(gate.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_the_cap_are_413_with_or_without_a_length() {
    let setup = Setup::new();
    let addr = serve_hyper(setup.receiver(|_| Ok(())).max_body(100)).await;
    assert!(CUSTOMER_DELETED.len() > 100);
    let (status, text) = send(addr, &setup.request("msg_7", CUSTOMER_DELETED)).await;
    assert_eq!(
        (status, text.as_str()),
        (413, "the body is larger than 100 bytes")
    );
    // Chunked, so the size shows only while reading.
    let chunked = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{CUSTOMER_DELETED}\r\n0\r\n\r\n",
        CUSTOMER_DELETED.len()
    );
    assert_eq!(send(addr, &chunked).await.0, 413);
    // At the cap it is read (an event padded with trailing JSON whitespace to exactly 100 bytes).
    let at_cap = format!(
        "{:<100}",
        r#"{"type":"x.y","timestamp":"2026-11-29T10:00:00Z","data":{}}"#
    );
    assert_eq!(at_cap.len(), 100);
    assert_eq!(send(addr, &setup.request("msg_8", &at_cap)).await.0, 200);
    assert_eq!(setup.seen().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anything_but_post_is_405() {
    let setup = Setup::new();
    let addr = serve_hyper(setup.receiver(|_| Ok(()))).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /webhooks/polar HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).await.unwrap();
    assert!(out.starts_with("HTTP/1.1 405"), "{out}");
    assert!(out.to_ascii_lowercase().contains("allow: post"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_dedup_store_is_503_and_nothing_is_processed() {
    // A port nobody listens on: every claim fails to connect.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let setup = Setup::new();
    let store = RedisDedup::new(&format!("redis://127.0.0.1:{port}")).unwrap();
    let addr = serve_hyper(setup.receiver(|_| Ok(())).dedup(store)).await;
    let (status, text) = send(addr, &setup.request("msg_9", CUSTOMER_DELETED)).await;
    assert_eq!(status, 503, "{text}");
    assert!(setup.seen().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_dedup_every_copy_reaches_the_handler() {
    let setup = Setup::new();
    let addr = serve_hyper(setup.receiver(|_| Ok(())).without_dedup()).await;
    for _ in 0..2 {
        assert_eq!(
            send(addr, &setup.request("msg_10", CUSTOMER_DELETED))
                .await
                .0,
            200
        );
    }
    assert_eq!(setup.seen().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_receivers_sharing_one_store_process_a_delivery_once() {
    let setup = Setup::new();
    let store = Arc::new(MemoryDedup::default());
    let a = serve_hyper(setup.receiver(|_| Ok(())).dedup(store.clone())).await;
    let b = serve_hyper(setup.receiver(|_| Ok(())).dedup(store)).await;
    assert_eq!(
        send(a, &setup.request("msg_11", CUSTOMER_DELETED)).await.1,
        "processed"
    );
    assert_eq!(
        send(b, &setup.request("msg_11", CUSTOMER_DELETED)).await.1,
        "already processed"
    );
    assert_eq!(setup.seen().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_receiver_is_an_axum_route() {
    let setup = Setup::new();
    let app = axum::Router::new().route_service("/webhooks/polar", setup.receiver(|_| Ok(())));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let (status, text) = send(addr, &setup.request("msg_12", CUSTOMER_DELETED)).await;
    assert_eq!((status, text.as_str()), (200, "processed"));
    let forged = post("msg_13", "1", "v1,AAAA", CUSTOMER_DELETED);
    assert_eq!(send(addr, &forged).await.0, 401);
    assert_eq!(setup.seen().len(), 1);
    // Also as a tower service called directly.
    use tower::ServiceExt as _;
    let response = setup
        .receiver(|_| Ok(()))
        .oneshot(http::Request::get("/").body(String::new()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
}
