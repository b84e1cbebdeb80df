//! Security checks of the SDK over its full default stack and real loopback HTTP.
//!
//! - The token never shows in `Debug`/`Display` of the client, its builders, results and errors,
//!   nor in tracing output at TRACE level (a global subscriber writes into a shared buffer), for
//!   calls that succeed, get a 401, get a retried 500, time out, or cannot connect; a user layer
//!   that logs every request it sees (headers included) does not leak it either.
//! - `Authorization` is only sent to the configured origin: not to another port, not to another
//!   spelling of the host, and not along a redirect (which the SDK does not follow).
//! - A token with CR/LF (or other bytes not allowed in a header) is refused at build, and as a
//!   per-request override before anything is sent.
//! - `http://` is refused unless `allow_http(true)`.
//! - A per-request token replaces the client's for that request only, and never leaks either.
//!
//! Every token of this file is unique and contains `SECRET`, so one scan of the shared trace
//! buffer checks all tests at once.

use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use polar_customers::{ApiErrorKind, Body, BuildError, Client, ClientBuilder, Error};
use polar_transport::{ErrorKind, RequestOptions, TransportBuilder};
use polar_types::CustomerId;
use tower::ServiceExt;

const OK_ID: &str = "0b6f3a52-1c0e-4f43-9a0c-3f3e8d1c2a10";
const UNAUTH_ID: &str = "0b6f3a52-1c0e-4f43-9a0c-3f3e8d1c2a11";
const FAIL_ID: &str = "0b6f3a52-1c0e-4f43-9a0c-3f3e8d1c2a12";
const SLOW_ID: &str = "0b6f3a52-1c0e-4f43-9a0c-3f3e8d1c2a13";
const REDIRECT_ID: &str = "0b6f3a52-1c0e-4f43-9a0c-3f3e8d1c2a14";
/// Answers 200 with a page that repeats the request's `Authorization` (a misbehaving proxy).
const ECHO_ID: &str = "0b6f3a52-1c0e-4f43-9a0c-3f3e8d1c2a15";
const ORG_ID: &str = "1dbfc517-0bbf-4301-9ba8-555ca42b9737";

/// Outer bound on any call of this file, so nothing can hang the suite.
const GUARD: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------------------------
// Trace capture

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The process-wide TRACE subscriber's buffer (installed on first use).
fn traces() -> &'static Buffer {
    static BUFFER: OnceLock<Buffer> = OnceLock::new();
    BUFFER.get_or_init(|| {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("first subscriber");
        buffer
    })
}

fn trace_text() -> String {
    String::from_utf8_lossy(&traces().0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
}

/// Fails when `secret` appears in `text`, also as the full header value.
fn assert_clean(what: &str, text: &str, secret: &str) {
    assert!(
        !text.contains(secret),
        "{what} leaks the token {secret:?}:\n{text}"
    );
}

/// `Display` and `Debug` of an error and of every source in its chain.
fn error_texts(err: &(dyn std::error::Error + 'static)) -> String {
    polar_transport::error::chain(err)
        .map(|e| format!("{e}\n{e:?}\n"))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Loopback server

/// A hyper server that records the `Authorization` header of every request it gets.
struct Server {
    addr: SocketAddr,
    auth: Arc<Mutex<Vec<Option<String>>>>,
}

impl Server {
    async fn start(redirect_to: Option<SocketAddr>) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let auth = Arc::new(Mutex::new(Vec::new()));
        let seen = auth.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                        seen.lock().unwrap().push(
                            req.headers()
                                .get(http::header::AUTHORIZATION)
                                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
                        );
                        async move { Ok::<_, Infallible>(answer(req, redirect_to).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Server { addr, auth }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The `Authorization` values received so far (`None`: no header).
    fn seen(&self) -> Vec<Option<String>> {
        self.auth.lock().unwrap().clone()
    }
}

fn customer_json() -> String {
    format!(
        r#"{{"id":"{OK_ID}","created_at":"2026-11-01T10:00:00Z","modified_at":null,"metadata":{{}},"external_id":null,"email":"ada@example.com","email_verified":true,"name":"Ada","billing_name":null,"billing_address":null,"tax_id":null,"locale":null,"organization_id":"{ORG_ID}","deleted_at":null,"avatar_url":null,"type":"individual"}}"#
    )
}

fn json(status: u16, body: String) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}

async fn answer(req: Request<Incoming>, redirect_to: Option<SocketAddr>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    let id = path.strip_prefix("/v1/customers/").unwrap_or("");
    match id {
        "" => json(201, customer_json()),
        OK_ID => json(200, customer_json()),
        UNAUTH_ID => {
            let mut res = json(
                401,
                r#"{"error":"invalid_token","error_description":"The access token is invalid."}"#
                    .into(),
            );
            res.headers_mut().insert(
                "www-authenticate",
                http::HeaderValue::from_static("Bearer realm=\"polar\""),
            );
            res
        }
        FAIL_ID => json(500, r#"{"detail":"boom"}"#.into()),
        ECHO_ID => {
            let auth = req
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            json(
                200,
                format!(r#"{{"id":"{OK_ID}","type":"individual","email":["{auth}"]}}"#),
            )
        }
        SLOW_ID => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            json(200, customer_json())
        }
        REDIRECT_ID => {
            let target = redirect_to.map_or(String::from("/"), |a| {
                format!("http://{a}/v1/customers/{OK_ID}")
            });
            Response::builder()
                .status(307)
                .header("location", target)
                .body(Full::new(Bytes::new()))
                .unwrap()
        }
        _ => json(
            404,
            r#"{"error":"ResourceNotFound","detail":"Not found"}"#.into(),
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Clients

fn id(s: &str) -> CustomerId {
    s.parse().expect("uuid")
}

/// Logs every request the network is about to get, headers included, at TRACE: what a user's
/// own debugging layer would do.
fn log_request(req: Request<Body>) -> Request<Body> {
    tracing::trace!(request = ?req, "user layer saw a request");
    req
}

fn builder(url: &str, token: &str) -> ClientBuilder {
    Client::builder()
        .token(token)
        .base_url(url)
        .allow_http(true)
        .attempt_timeout(Duration::from_millis(300))
        .call_timeout(Duration::from_secs(5))
        .retry(
            polar_customers::RetryConfig::default().backoff(polar_transport::Backoff {
                initial: Duration::from_millis(5),
                max: Duration::from_millis(20),
            }),
        )
        .configure_transport(|t| {
            t.layer(tower::util::MapRequestLayer::new(
                log_request as fn(Request<Body>) -> Request<Body>,
            ))
        })
}

// ---------------------------------------------------------------------------------------------
// Tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_never_appears_in_debug_display_errors_or_traces() {
    traces();
    const TOKEN: &str = "polar_oat_SECRET_leakcheck_7f3a9c";
    let server = Server::start(None).await;
    let builder = builder(&server.url(), TOKEN);
    let mut texts = vec![format!("{builder:?}")];
    let client = builder.build().expect("client");
    texts.push(format!("{client:?}"));
    let customers = client.customers();
    texts.push(format!("{customers:?}"));
    texts.push(format!(
        "{:?}",
        customers.get(id(OK_ID)).header("x-trace", "1")
    ));

    // Success.
    let ok = tokio::time::timeout(GUARD, customers.get(id(OK_ID)))
        .await
        .expect("no hang")
        .expect("200");
    texts.push(format!("{ok:?}"));
    let created = tokio::time::timeout(GUARD, customers.create().email("ada@example.com"))
        .await
        .expect("no hang")
        .expect("201");
    texts.push(format!("{created:?}"));

    // 401.
    let err = tokio::time::timeout(GUARD, customers.get(id(UNAUTH_ID)))
        .await
        .expect("no hang")
        .unwrap_err();
    assert_eq!(
        err.as_api().map(|e| e.kind()),
        Some(ApiErrorKind::Unauthorized)
    );
    texts.push(error_texts(&err));

    // 500, retried until the budget is spent.
    let err = tokio::time::timeout(GUARD, customers.get(id(FAIL_ID)))
        .await
        .expect("no hang")
        .unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::INTERNAL_SERVER_ERROR));
    texts.push(error_texts(&err));

    // A 2xx whose body repeats the token and does not decode (issue 12).
    let err = tokio::time::timeout(GUARD, customers.get(id(ECHO_ID)))
        .await
        .expect("no hang")
        .unwrap_err();
    assert!(matches!(err, Error::Decode(_)), "{err:?}");
    texts.push(error_texts(&err));

    // Attempt timeouts, then the call's.
    let err = tokio::time::timeout(GUARD, customers.get(id(SLOW_ID)))
        .await
        .expect("no hang")
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    texts.push(error_texts(&err));

    // Connection refused.
    // Bound but not listening: refused, and the port stays ours while the test runs.
    let closed = tokio::net::TcpSocket::new_v4().unwrap();
    closed.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    let refused = self::builder(&dead, TOKEN).build().expect("client");
    let err = tokio::time::timeout(GUARD, refused.customers().get(id(OK_ID)))
        .await
        .expect("no hang")
        .unwrap_err();
    assert_eq!(
        err.transport_error().map(|e| e.kind()),
        Some(ErrorKind::Connect),
        "{err:?}"
    );
    texts.push(error_texts(&err));

    // The token did go to the server (so its absence elsewhere means something): once for each
    // success, once for the 401, three times for the 500, once per timed-out attempt.
    let seen = server.seen();
    assert!(seen.len() >= 6, "{seen:?}");
    let bearer = format!("Bearer {TOKEN}");
    assert!(seen.iter().all(|v| v.as_deref() == Some(bearer.as_str())));

    for text in &texts {
        assert_clean("Debug/Display", text, TOKEN);
    }
    let logs = trace_text();
    assert!(
        logs.contains("polar_call") && logs.contains("polar attempt"),
        "the stack's spans and events were captured:\n{logs}"
    );
    assert!(
        logs.contains("user layer saw a request") && logs.contains("authorization"),
        "the user layer logged the request with its headers:\n{logs}"
    );
    assert_clean("TRACE output", &logs, TOKEN);
    assert_clean("TRACE output", &logs, "SECRET");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_request_token_is_used_and_never_leaks() {
    traces();
    const CLIENT_TOKEN: &str = "polar_oat_SECRET_client_51c2";
    const OVERRIDE: &str = "polar_oat_SECRET_override_9d04";
    let server = Server::start(None).await;
    let client = builder(&server.url(), CLIENT_TOKEN).build().unwrap();

    let request = client.customers().get(id(OK_ID)).token(OVERRIDE);
    let debug_builder = format!("{request:?}");
    let ok = tokio::time::timeout(GUARD, request).await.unwrap();
    assert!(ok.is_ok(), "{ok:?}");
    let err = tokio::time::timeout(GUARD, client.customers().get(id(UNAUTH_ID)).token(OVERRIDE))
        .await
        .unwrap()
        .unwrap_err();
    let mut options = RequestOptions::default();
    options.token = Some(OVERRIDE.to_owned().into());
    let debug_options = format!("{options:?}");
    let via_options = tokio::time::timeout(
        GUARD,
        client
            .customers()
            .create()
            .email("ada@example.com")
            .request_options(options),
    )
    .await
    .unwrap();
    assert!(via_options.is_ok(), "{via_options:?}");
    let plain = tokio::time::timeout(GUARD, client.customers().get(id(OK_ID)))
        .await
        .unwrap();
    assert!(plain.is_ok(), "{plain:?}");

    let over = Some(format!("Bearer {OVERRIDE}"));
    let own = Some(format!("Bearer {CLIENT_TOKEN}"));
    assert_eq!(
        server.seen(),
        vec![over.clone(), over.clone(), over, own],
        "the override replaces the client's token for its request only"
    );
    for secret in [OVERRIDE, CLIENT_TOKEN] {
        assert_clean("builder Debug", &debug_builder, secret);
        assert_clean("RequestOptions Debug", &debug_options, secret);
        assert_clean("error", &error_texts(&err), secret);
        assert_clean("TRACE output", &trace_text(), secret);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_goes_to_the_configured_origin_only() {
    traces();
    const TOKEN: &str = "polar_oat_SECRET_origin_3b8e";
    let other = Server::start(None).await;
    let home = Server::start(Some(other.addr)).await;

    // A redirect to another port is not followed: the other server never hears of the token.
    let client = builder(&home.url(), TOKEN).build().unwrap();
    let err = tokio::time::timeout(GUARD, client.customers().get(id(REDIRECT_ID)))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(
        err.status(),
        Some(StatusCode::TEMPORARY_REDIRECT),
        "{err:?}"
    );
    assert!(other.seen().is_empty(), "{:?}", other.seen());

    // The transport itself, given absolute URIs: only the configured scheme, host and port get
    // the header.
    let service = TransportBuilder::new()
        .token(TOKEN)
        .base_url(&home.url())
        .allow_http(true)
        .build()
        .unwrap();
    let send = |uri: String| {
        let service = service.clone();
        async move {
            let req = Request::get(uri).body(Body::default()).unwrap();
            let res = tokio::time::timeout(GUARD, service.oneshot(req))
                .await
                .unwrap()
                .unwrap();
            res.status()
        }
    };
    let home_port = home.addr.port();
    assert_eq!(
        send(format!("{}/v1/customers/{OK_ID}", home.url())).await,
        200
    );
    assert_eq!(
        send(format!("{}/v1/customers/{OK_ID}", other.url())).await,
        200
    );
    assert_eq!(
        send(format!("http://localhost:{home_port}/v1/customers/{OK_ID}")).await,
        200
    );

    let bearer = Some(format!("Bearer {TOKEN}"));
    // Home: the redirect call and the same-origin request carried it; `localhost` did not.
    assert_eq!(home.seen(), vec![bearer.clone(), bearer, None]);
    // The other port got one request, without the header.
    assert_eq!(other.seen(), vec![None]);
    assert_clean("TRACE output", &trace_text(), TOKEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_with_cr_lf_or_control_bytes_is_refused() {
    let server = Server::start(None).await;
    for bad in [
        "polar_oat_SECRET_crlf\r\nX-Injected: 1",
        "polar_oat_SECRET_lf\nX-Injected: 1",
        "polar_oat_SECRET_cr\r",
        "polar_oat_SECRET_nul\0",
        "polar_oat_SECRET space",
    ] {
        let err = Client::builder()
            .token(bad)
            .base_url(&server.url())
            .allow_http(true)
            .build()
            .unwrap_err();
        assert!(matches!(err, BuildError::InvalidToken), "{bad:?}: {err:?}");
        assert_clean("build error", &error_texts(&err), "SECRET");
        // Converted by `?` into the SDK's error, it still holds no token.
        let err = Error::from(err);
        assert!(matches!(err, Error::Build { .. }), "{err:?}");
        assert_clean("build error as Error", &error_texts(&err), "SECRET");

        // The same bytes as a per-request token: refused before anything is sent.
        let client = builder(&server.url(), "polar_oat_fine").build().unwrap();
        let err = tokio::time::timeout(GUARD, client.customers().get(id(OK_ID)).token(bad))
            .await
            .unwrap()
            .unwrap_err();
        assert!(
            matches!(&err, Error::Transport { .. } | Error::InvalidInput(_)),
            "{bad:?}: {err:?}"
        );
        if let Some(t) = err.transport_error() {
            assert_eq!(t.kind(), ErrorKind::InvalidRequest, "{err:?}");
        }
        assert_clean("per-request token error", &error_texts(&err), "SECRET");
    }
    assert!(server.seen().is_empty(), "{:?}", server.seen());

    for empty in ["", "   "] {
        let err = Client::builder().token(empty).build().unwrap_err();
        assert!(matches!(err, BuildError::MissingToken), "{err:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_is_refused_unless_allowed() {
    let server = Server::start(None).await;
    let err = Client::builder()
        .token("polar_oat_x")
        .base_url(&server.url())
        .build()
        .unwrap_err();
    assert!(matches!(err, BuildError::InsecureBaseUrl), "{err:?}");
    // Explicitly not allowed is the same as the default.
    let err = Client::builder()
        .token("polar_oat_x")
        .base_url(&server.url())
        .allow_http(false)
        .build()
        .unwrap_err();
    assert!(matches!(err, BuildError::InsecureBaseUrl), "{err:?}");
    // HTTPS needs no opt-in; plain HTTP works once allowed.
    Client::builder()
        .token("polar_oat_x")
        .base_url("https://127.0.0.1:9")
        .build()
        .expect("https builds");
    let client = Client::builder()
        .token("polar_oat_x")
        .base_url(&server.url())
        .allow_http(true)
        .build()
        .expect("allowed");
    let ok = tokio::time::timeout(GUARD, client.customers().get(id(OK_ID))).await;
    assert!(matches!(ok, Ok(Ok(_))), "{ok:?}");
    assert!(server.seen().len() == 1);
}
