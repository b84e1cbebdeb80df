//! Issue 12 on the SDK side: a retried DELETE that finds nothing, decode errors that keep the
//! token out, bodies that are not customers, one `Retry-After` reading, and the span and panics
//! of page requests. Each case runs over real HTTP on loopback unless it is about the SDK alone.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::TryStreamExt;
mod fixtures;
use fixtures::{CUSTOMER_ID, ORGANIZATION_ID, customer_json, page_json};
use polar_customers::{Client, Customer, Error, RetryConfig};
use polar_transport::Backoff;
use serde_json::json;
use support::{full, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

// ---------------------------------------------------------------------------------------------
// A retried DELETE that finds nothing succeeded

/// A raw loopback server: connection `n` gets `answers[n]` once its request head is read, or is
/// closed without an answer when that is `None` (the answer to the DELETE was lost).
async fn lossy_server(answers: Vec<Option<&'static str>>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let n = count.fetch_add(1, Ordering::SeqCst);
            let answer = answers.get(n).copied().flatten();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(k) => head.extend_from_slice(&buf[..k]),
                    }
                }
                if let Some(answer) = answer {
                    let _ = stream.write_all(answer.as_bytes()).await;
                }
                let _ = stream.shutdown().await;
            });
        }
    });
    (url, seen)
}

const NOT_FOUND: &str = "HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: 49\r\nconnection: close\r\n\r\n{\"error\":\"ResourceNotFound\",\"detail\":\"Not found\"}";

fn retrying_client(url: &str) -> Client {
    Client::builder()
        .token("polar_oat_reliability")
        .base_url(url)
        .allow_http(true)
        .retry(RetryConfig::default().max_attempts(3).backoff(Backoff {
            initial: Duration::from_millis(5),
            max: Duration::from_millis(10),
        }))
        .build()
        .unwrap()
}

/// A DELETE through a client that retries, against [`lossy_server`] with `answers`: its result
/// and the number of requests the server saw.
async fn delete_against(answers: Vec<Option<&'static str>>) -> (Result<(), Error>, usize) {
    let (url, seen) = lossy_server(answers).await;
    let result = retrying_client(&url)
        .customers()
        .delete(CUSTOMER_ID.parse().unwrap())
        .await;
    (result, seen.load(Ordering::SeqCst))
}

/// An error answer with this status line, asking for no wait.
fn error_answer(status: &str) -> &'static str {
    let body = r#"{"detail":"try again"}"#;
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\nretry-after: 0\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    Box::leak(head.into_boxed_str())
}

#[tokio::test]
async fn a_retried_delete_that_finds_nothing_has_succeeded() {
    // The first answer is lost (the connection closes), the retry finds the customer gone.
    let (result, seen) = delete_against(vec![None, Some(NOT_FOUND)]).await;
    result.expect("the first attempt deleted it");
    assert_eq!(seen, 2);
}

#[tokio::test]
async fn a_delete_answered_404_at_once_is_not_found() {
    let (result, seen) = delete_against(vec![Some(NOT_FOUND)]).await;
    let err = result.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(seen, 1);
}

#[tokio::test]
async fn a_delete_refused_with_429_then_404_is_not_found() {
    // A wrong ID met the rate limit first: Polar refuses a request over its budget before
    // running it, so no attempt did anything and the 404 is the answer.
    let refused = error_answer("429 Too Many Requests");
    let (result, seen) = delete_against(vec![Some(refused), Some(NOT_FOUND)]).await;
    let err = result.expect_err("nothing was deleted");
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(seen, 2);
}

#[tokio::test]
async fn a_delete_refused_with_503_then_404_is_not_found() {
    let refused = error_answer("503 Service Unavailable");
    let (result, seen) = delete_against(vec![Some(refused), Some(NOT_FOUND)]).await;
    let err = result.expect_err("nothing was deleted");
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(seen, 2);
}

#[tokio::test]
async fn a_delete_that_met_a_gateway_timeout_then_404_has_succeeded() {
    // A 504 from a proxy says nothing of what Polar did behind it: the DELETE may have run.
    let gateway = error_answer("504 Gateway Timeout");
    let (result, seen) = delete_against(vec![Some(gateway), Some(NOT_FOUND)]).await;
    result.expect("the first attempt may have deleted it");
    assert_eq!(seen, 2);
}

#[tokio::test]
async fn a_delete_lost_then_refused_then_404_has_succeeded() {
    // What an earlier attempt may have done is not forgotten by a 429 in between.
    let refused = error_answer("429 Too Many Requests");
    let (result, seen) = delete_against(vec![None, Some(refused), Some(NOT_FOUND)]).await;
    result.expect("the first attempt may have deleted it");
    assert_eq!(seen, 3);
}

// ---------------------------------------------------------------------------------------------
// Decode errors of 2xx answers never show the token; the client keeps one copy of it

const TOKEN: &str = "polar_oat_decode_secret_1";

/// A server that answers 200 with `make(authorization header)` as the body.
async fn echoing_client(
    make: fn(&str) -> String,
    configure: impl FnOnce(polar_customers::ClientBuilder) -> polar_customers::ClientBuilder,
) -> Client {
    let addr = serve(move |req| {
        let auth = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        async move {
            http::Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .body(full(make(&auth).into_bytes()))
                .unwrap()
        }
    })
    .await;
    configure(
        Client::builder()
            .base_url(&format!("http://{addr}"))
            .allow_http(true),
    )
    .build()
    .unwrap()
}

fn assert_hidden(err: &Error, secret: &str) {
    let Error::Decode(decode) = err else {
        panic!("expected a decode error, got {err:?}")
    };
    let chain: String = polar_transport::error::chain(err)
        .map(|e| e.to_string())
        .collect();
    for shown in [
        format!("{err}"),
        format!("{err:?}"),
        decode.excerpt().to_owned(),
        decode.path().to_owned(),
        chain,
    ] {
        assert!(!shown.contains(secret), "the token shows in: {shown}");
        assert!(
            !shown.contains(&secret[..12]),
            "part of the token shows in: {shown}"
        );
    }
}

#[tokio::test]
async fn decode_errors_of_2xx_answers_never_show_the_token() {
    let bodies: [fn(&str) -> String; 3] = [
        // A proxy's echo page.
        |auth| format!("<html><pre>Authorization: {auth}</pre></html>"),
        // The token where a customer's field should be: it lands in serde's message.
        |auth| json!({"id": CUSTOMER_ID, "type": "individual", "email": [auth]}).to_string(),
        // The token as a key: it lands in the error's path.
        |auth| {
            let mut c = customer_json(CUSTOMER_ID, "a@example.com", None);
            c["metadata"] = json!({ auth: [1, 2] });
            c.to_string()
        },
    ];
    for body in bodies {
        let client = echoing_client(body, |b| b.token(TOKEN)).await;
        let err = client
            .customers()
            .get(CUSTOMER_ID.parse().unwrap())
            .await
            .unwrap_err();
        assert_hidden(&err, TOKEN);
    }
}

#[tokio::test]
async fn the_token_set_through_configure_transport_is_the_one_redacted() {
    const REAL: &str = "polar_oat_configured_later_2";
    let client = echoing_client(
        |auth| format!("<html>{auth}</html>"),
        |b| {
            b.token("polar_oat_first_value_0")
                .configure_transport(|t| t.token(REAL))
        },
    )
    .await;
    let err = client
        .customers()
        .get(CUSTOMER_ID.parse().unwrap())
        .await
        .unwrap_err();
    assert_hidden(&err, REAL);
}

// ---------------------------------------------------------------------------------------------
// A body that is not a customer is a decode error; an unknown type stays `Unknown`

async fn client_with_body(body: serde_json::Value) -> Client {
    let addr = serve(move |_req| {
        let body = body.clone();
        async move { support::json_response(200, &body) }
    })
    .await;
    support::plain_client(addr)
}

#[tokio::test]
async fn a_body_without_id_and_type_is_not_a_customer() {
    for body in [
        json!({}),
        json!({"type": "robot"}),
        json!({"id": CUSTOMER_ID}),
        json!({"id": 7, "type": "robot"}),
        json!({"detail": "ok"}),
    ] {
        let client = client_with_body(body.clone()).await;
        let err = client
            .customers()
            .get(CUSTOMER_ID.parse().unwrap())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Decode(_)), "{body} gave {err:?}");
        let err = client
            .customers()
            .get_state(CUSTOMER_ID.parse().unwrap())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Decode(_)), "state {body} gave {err:?}");
    }
    // In a page, the error names the item.
    let page = page_json(
        vec![customer_json(CUSTOMER_ID, "a@example.com", None), json!({})],
        2,
        1,
    );
    let err = client_with_body(page)
        .await
        .customers()
        .list()
        .await
        .unwrap_err();
    let Error::Decode(decode) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(decode.path(), "items[1]");
}

#[tokio::test]
async fn an_unknown_type_value_stays_unknown() {
    let client = client_with_body(json!({
        "id": CUSTOMER_ID,
        "type": "robot",
        "organization_id": ORGANIZATION_ID,
        "metadata": {},
        "beeps": 3
    }))
    .await;
    let customer = client
        .customers()
        .get(CUSTOMER_ID.parse().unwrap())
        .await
        .unwrap();
    let Customer::Unknown(unknown) = &customer else {
        panic!("{customer:?}")
    };
    assert_eq!(unknown.raw()["beeps"], 3);
    assert_eq!(customer.type_name(), "robot");
}

// ---------------------------------------------------------------------------------------------
// One `Retry-After` reading: the transport's

async fn retry_after_of(value: &'static str) -> Option<Duration> {
    let addr = serve(move |_req| async move {
        http::Response::builder()
            .status(429)
            .header("retry-after", value)
            .body(full(Vec::new()))
            .unwrap()
    })
    .await;
    let err = support::plain_client(addr)
        .customers()
        .get(CUSTOMER_ID.parse().unwrap())
        .await
        .unwrap_err();
    err.as_api().expect("an API error").retry_after()
}

#[tokio::test]
async fn retry_after_is_read_as_the_transport_reads_it() {
    use polar_transport::retry::parse_retry_after;
    let now = std::time::SystemTime::now();
    for value in [
        "7",
        "+7",
        "-1",
        " 12 ",
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
        "soon",
    ] {
        let transport = parse_retry_after(&http::HeaderValue::from_static(value), now);
        assert_eq!(retry_after_of(value).await, transport, "`{value}`");
    }
}

// ---------------------------------------------------------------------------------------------
// Pages, asked for or fetched ahead: the caller's span, panics resumed

/// A transport answering pages 1..=3 (one customer each), calling `on_page` first.
fn paged_client(on_page: impl Fn(i64) + Send + Sync + 'static) -> Client {
    let on_page = Arc::new(on_page);
    Client::from_service(tower::service_fn(
        move |req: http::Request<polar_customers::Body>| {
            let page: i64 = req
                .uri()
                .query()
                .unwrap_or("")
                .split('&')
                .find_map(|kv| kv.strip_prefix("page="))
                .and_then(|p| p.parse().ok())
                .unwrap_or(1);
            on_page(page);
            let body = page_json(
                vec![customer_json(CUSTOMER_ID, "a@example.com", None)],
                3,
                3,
            );
            async move {
                Ok::<_, std::convert::Infallible>(http::Response::new(http_body_util::Full::new(
                    bytes::Bytes::from(body.to_string()),
                )))
            }
        },
    ))
}

#[tokio::test]
async fn every_page_is_requested_in_the_callers_span() {
    use tracing::Instrument;
    let _subscriber = tracing::subscriber::set_default(tracing_subscriber::registry());
    let spans: Arc<Mutex<Vec<Option<&'static str>>>> = Arc::default();
    let log = spans.clone();
    let client = paged_client(move |_| {
        log.lock()
            .unwrap()
            .push(tracing::Span::current().metadata().map(|m| m.name()));
    });
    // On demand (polled by the caller), then one page ahead (on a task).
    for ahead in [0, 1] {
        let all: Vec<Customer> = client
            .customers()
            .list()
            .stream()
            .concurrency(ahead)
            .try_collect()
            .instrument(tracing::info_span!("export_job"))
            .await
            .unwrap();
        assert_eq!(all.len(), 3);
    }
    assert_eq!(*spans.lock().unwrap(), vec![Some("export_job"); 6]);
}

#[tokio::test]
async fn a_panic_while_fetching_a_page_is_resumed_in_the_caller() {
    let client = paged_client(|page| {
        if page == 2 {
            panic!("page two exploded");
        }
    });
    // Page two is fetched ahead, on a task of its own.
    let consumer = tokio::spawn(async move {
        client
            .customers()
            .list()
            .stream()
            .concurrency(1)
            .try_collect::<Vec<Customer>>()
            .await
    });
    let err = consumer.await.expect_err("the panic reaches the caller");
    assert!(err.is_panic(), "{err:?}");
    let payload = err.into_panic();
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or(payload.downcast_ref::<String>().map(String::as_str));
    assert_eq!(message, Some("page two exploded"));
}
