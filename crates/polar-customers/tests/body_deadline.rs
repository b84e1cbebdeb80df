//! Reading an answer is bounded too: a JSON body that trickles ends at the call timeout, while
//! the export, a long stream, may outlive it as long as data keeps coming.
//!
//! A loopback hyper server sends the head at once and then drips the body. Every test runs under
//! an outer guard far above its timeouts, so a hang fails the test instead of stalling the suite.

mod support;

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{TryStreamExt, stream};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
mod fixtures;
use fixtures::{csv_header, csv_line};
use polar_customers::{Client, CustomerId, Error, RetryConfig};
use polar_transport::ErrorKind;
use support::{ServerBody, serve};

const TOKEN: &str = "polar_oat_body_deadline_test";
const CUSTOMER_ID: &str = "5d7a9e3c-58a1-4a52-9a3b-0d1c5e6f7a8b";
const GUARD: Duration = Duration::from_secs(10);

fn row_id(n: u64) -> String {
    format!("00000000-0000-4000-8000-{n:012x}")
}

/// A body of `chunks`, the first sent at once and each next one `every` later; `None` after the
/// last chunk ends the body, `Some(forever)` keeps repeating the last one.
fn dripping(chunks: Vec<String>, every: Duration, forever: bool) -> ServerBody {
    let frames = stream::unfold(0usize, move |i| {
        let chunks = chunks.clone();
        async move {
            let chunk = match chunks.get(i) {
                Some(c) => c.clone(),
                None if forever => chunks.last().cloned().unwrap_or_default(),
                None => return None,
            };
            if i > 0 {
                tokio::time::sleep(every).await;
            }
            Some((Ok::<_, Infallible>(Frame::data(Bytes::from(chunk))), i + 1))
        }
    });
    StreamBody::new(frames).boxed()
}

async fn client_for(
    body: impl Fn() -> (&'static str, ServerBody) + Send + Sync + 'static,
    call: Duration,
) -> Client {
    let addr = serve(move |_req| {
        let (content_type, body) = body();
        async move {
            http::Response::builder()
                .header("content-type", content_type)
                .body(body)
                .unwrap()
        }
    })
    .await;
    Client::builder()
        .token(TOKEN)
        .base_url(&format!("http://{addr}"))
        .allow_http(true)
        .disable_rate_limit()
        .retry(RetryConfig::disabled())
        .attempt_timeout(Duration::from_secs(5))
        .call_timeout(call)
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_on_a_trickling_body_times_out_at_the_call_timeout() {
    // A valid start of a customer, then one space every 20 ms, forever.
    let client = client_for(
        || {
            let chunks = vec![format!("{{\"id\":\"{CUSTOMER_ID}\","), " ".to_owned()];
            (
                "application/json",
                dripping(chunks, Duration::from_millis(20), true),
            )
        },
        Duration::from_millis(300),
    )
    .await;
    let id: CustomerId = CUSTOMER_ID.parse().unwrap();
    let result = tokio::time::timeout(GUARD, client.customers().get(id))
        .await
        .expect("get hung past the call timeout");
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(err.is_timeout());
    let transport = err.transport_error().expect("the transport's error");
    assert_eq!(transport.kind(), ErrorKind::CallTimeout);
    assert_eq!(transport.attempts(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_of_a_slow_steady_body_outlives_the_call_timeout() {
    // 30 rows, one every 25 ms (about 750 ms), against a 150 ms call timeout.
    const ROWS: u64 = 30;
    let client = client_for(
        || {
            let mut chunks = vec![csv_header()];
            chunks
                .extend((1..=ROWS).map(|n| csv_line(&row_id(n), &format!("c{n}@example.com"), n)));
            (
                "text/csv",
                dripping(chunks, Duration::from_millis(25), false),
            )
        },
        Duration::from_millis(150),
    )
    .await;
    let rows = tokio::time::timeout(GUARD, async {
        client
            .customers()
            .export()
            .rows()
            .await?
            .try_collect::<Vec<_>>()
            .await
    })
    .await
    .expect("the export hung")
    .expect("the export completes");
    assert_eq!(rows.len() as u64, ROWS);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.id.to_string(), row_id(i as u64 + 1));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_that_stalls_fails_with_a_timeout() {
    // The header row, then nothing with the connection open: the body idle timeout ends it.
    let addr = serve(|_req| async {
        let header = Ok::<_, Infallible>(Frame::data(Bytes::from(csv_header())));
        let frames = futures_util::StreamExt::chain(stream::iter([header]), stream::pending());
        http::Response::builder()
            .header("content-type", "text/csv")
            .body(StreamBody::new(frames).boxed())
            .unwrap()
    })
    .await;
    let client = Client::builder()
        .token(TOKEN)
        .base_url(&format!("http://{addr}"))
        .allow_http(true)
        .disable_rate_limit()
        .retry(RetryConfig::disabled())
        .call_timeout(Duration::from_secs(60))
        .body_idle_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let result = tokio::time::timeout(GUARD, async {
        let mut out = Vec::new();
        client.customers().export().await?.write_to(&mut out).await
    })
    .await
    .expect("the export hung past the idle timeout");
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(
        err.transport_error().map(|e| e.kind()),
        Some(ErrorKind::BodyIdleTimeout)
    );
}
