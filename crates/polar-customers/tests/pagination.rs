//! The list stream: where it stops, what it does on errors, that it requests no page before it
//! is asked for, and how far ahead it runs when the caller opts in.

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
mod fixtures;
use fixtures::{customer_json, page_json};
use polar_customers::{Client, Error};
use support::{json_response, serve};
use tokio::sync::mpsc;

/// Queries of the requests a server received, in order.
type Log = Arc<Mutex<Vec<Vec<(String, String)>>>>;

fn query_map(req: &http::Request<hyper::body::Incoming>) -> Vec<(String, String)> {
    req.uri()
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|s| !s.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            let d = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8()
                    .unwrap()
                    .into_owned()
            };
            (d(k), d(v))
        })
        .collect()
}

fn page_of(req: &http::Request<hyper::body::Incoming>) -> i64 {
    query_map(req)
        .into_iter()
        .find(|(k, _)| k == "page")
        .map(|(_, v)| v.parse().unwrap())
        .unwrap_or(1)
}

fn customers_page(page: i64, n: usize) -> Vec<serde_json::Value> {
    (0..n)
        .map(|i| {
            customer_json(
                &uuid::Uuid::new_v4().to_string(),
                &format!("p{page}-{i}@example.com"),
                Some(&format!("p{page}-{i}")),
            )
        })
        .collect()
}

/// A server that answers `page` with `answer(page)` and records the pages requested.
async fn paged_server<F>(answer: F) -> (Client, Log)
where
    F: Fn(i64) -> http::Response<support::ServerBody> + Send + Sync + 'static,
{
    let seen: Log = Arc::default();
    let log = seen.clone();
    let answer = Arc::new(answer);
    let addr = serve(move |req| {
        log.lock().unwrap().push(query_map(&req));
        let res = answer(page_of(&req));
        async move { res }
    })
    .await;
    (support::plain_client(addr), seen)
}

fn pages_requested(seen: &Log) -> Vec<i64> {
    seen.lock()
        .unwrap()
        .iter()
        .map(|q| {
            q.iter()
                .find(|(k, _)| k == "page")
                .unwrap()
                .1
                .parse()
                .unwrap()
        })
        .collect()
}

#[tokio::test]
async fn stream_stops_at_max_page() {
    // The server would answer any page with items: only max_page can stop the walk.
    let (client, seen) =
        paged_server(|page| json_response(200, &page_json(customers_page(page, 10), 30, 3))).await;
    let all: Vec<_> = client
        .customers()
        .list()
        .limit(10)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 30);
    assert_eq!(pages_requested(&seen), vec![1, 2, 3]);
}

#[tokio::test]
async fn stream_stops_on_empty_page() {
    let (client, seen) = paged_server(|page| {
        let items = if page >= 3 {
            vec![]
        } else {
            customers_page(page, 2)
        };
        json_response(200, &page_json(items, 100, 50))
    })
    .await;
    let all: Vec<_> = client
        .customers()
        .list()
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 4);
    assert_eq!(pages_requested(&seen), vec![1, 2, 3]);
}

#[tokio::test]
async fn empty_first_page_ends_immediately() {
    let (client, seen) = paged_server(|_| json_response(200, &page_json(vec![], 0, 0))).await;
    let mut stream = client.customers().list().stream();
    assert!(stream.next().await.is_none());
    assert!(stream.next().await.is_none());
    assert_eq!(pages_requested(&seen), vec![1]);
}

#[tokio::test]
async fn stream_surfaces_an_error_and_stops() {
    let (client, seen) = paged_server(|page| {
        if page == 2 {
            json_response(500, &serde_json::json!({"detail": "boom"}))
        } else {
            json_response(200, &page_json(customers_page(page, 3), 9, 3))
        }
    })
    .await;
    let mut stream = client.customers().list().stream();
    for _ in 0..3 {
        stream.next().await.unwrap().unwrap();
    }
    let err = stream.next().await.unwrap().unwrap_err();
    assert_eq!(err.status(), Some(http::StatusCode::INTERNAL_SERVER_ERROR));
    assert!(stream.next().await.is_none());
    assert!(stream.next().await.is_none());
    assert_eq!(
        pages_requested(&seen),
        vec![1, 2],
        "no request after the error"
    );
}

#[tokio::test]
async fn every_page_keeps_the_filters_and_starts_where_asked() {
    let (client, seen) =
        paged_server(|page| json_response(200, &page_json(customers_page(page, 1), 5, 5))).await;
    let org = uuid::Uuid::new_v4();
    let pages: Vec<_> = client
        .customers()
        .list()
        .page(3)
        .limit(1)
        .organization_id(org.to_string().parse().unwrap())
        .metadata("plan", "pro")
        .metadata("plan", "team")
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 3);
    assert_eq!(pages_requested(&seen), vec![3, 4, 5]);
    for query in seen.lock().unwrap().iter() {
        let mut counts: HashMap<&str, Vec<&str>> = HashMap::new();
        for (k, v) in query {
            counts.entry(k).or_default().push(v);
        }
        assert_eq!(counts["limit"], vec!["1"]);
        assert_eq!(counts["organization_id"], vec![org.to_string().as_str()]);
        assert_eq!(counts["metadata[plan]"], vec!["pro", "team"]);
    }
}

#[tokio::test]
async fn invalid_page_is_refused_without_a_request() {
    let (client, seen) = paged_server(|_| json_response(200, &page_json(vec![], 0, 0))).await;
    let err = client
        .customers()
        .list()
        .page(0)
        .stream()
        .next()
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidInput(ref e) if e.field == "page"),
        "{err:?}"
    );
    assert!(pages_requested(&seen).is_empty());
}

fn assert_send_unpin_static<T: Send + Unpin + 'static>(_: &T) {}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_concurrency_1_the_next_page_is_requested_while_the_current_one_is_consumed() {
    // The server reports each page request on a channel and counts requests in flight.
    let (arrived_tx, mut arrived) = mpsc::unbounded_channel::<i64>();
    let in_flight = Arc::new(AtomicUsize::new(0));
    let max_in_flight = Arc::new(AtomicUsize::new(0));
    let (flight, peak) = (in_flight.clone(), max_in_flight.clone());
    let addr = serve(move |req| {
        let page = page_of(&req);
        let now = flight.fetch_add(1, Ordering::SeqCst) + 1;
        peak.fetch_max(now, Ordering::SeqCst);
        arrived_tx.send(page).unwrap();
        let flight = flight.clone();
        async move {
            // Hold the request open a moment so overlapping requests would be seen.
            tokio::task::yield_now().await;
            tokio::time::sleep(Duration::from_millis(5)).await;
            flight.fetch_sub(1, Ordering::SeqCst);
            json_response(200, &page_json(customers_page(page, 5), 20, 4))
        }
    })
    .await;
    let client = support::plain_client(addr);

    let mut stream = client.customers().list().limit(5).stream().concurrency(1);
    assert_send_unpin_static(&stream);

    for page in 1..=4 {
        // The first item of page `page`...
        stream.next().await.unwrap().unwrap();
        if page == 1 {
            assert_eq!(arrived.recv().await, Some(1));
        }
        if page < 4 {
            // ...and, while the stream is not polled, the next page's request reaches the server.
            // (The timeout only guards against a hang; it asserts nothing about speed.)
            let next = tokio::time::timeout(Duration::from_secs(60), arrived.recv())
                .await
                .expect("the next page was not prefetched");
            assert_eq!(next, Some(page + 1));
        }
        for _ in 1..5 {
            stream.next().await.unwrap().unwrap();
        }
    }
    assert!(stream.next().await.is_none());
    assert!(arrived.try_recv().is_err(), "no page after max_page");
    assert_eq!(
        max_in_flight.load(Ordering::SeqCst),
        1,
        "look-ahead is one page, never more"
    );
}

/// A server of `pages` pages of `per_page` customers that holds each request `hold` and
/// records the pages asked for and the peak number of requests in flight.
async fn slow_pages(
    pages: i64,
    per_page: usize,
    hold: Duration,
) -> (Client, Log, Arc<AtomicUsize>) {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (flight, top) = (in_flight.clone(), peak.clone());
    let seen: Log = Arc::default();
    let log = seen.clone();
    let addr = serve(move |req| {
        log.lock().unwrap().push(query_map(&req));
        let page = page_of(&req);
        let now = flight.fetch_add(1, Ordering::SeqCst) + 1;
        top.fetch_max(now, Ordering::SeqCst);
        let flight = flight.clone();
        async move {
            tokio::time::sleep(hold).await;
            flight.fetch_sub(1, Ordering::SeqCst);
            let total = pages * per_page as i64;
            json_response(
                200,
                &page_json(customers_page(page, per_page), total, pages),
            )
        }
    })
    .await;
    (support::plain_client(addr), seen, peak)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_walk_keeps_order_and_bounds_requests_in_flight() {
    let (client, seen, peak) = slow_pages(12, 4, Duration::from_millis(30)).await;
    let all: Vec<_> = client
        .customers()
        .list()
        .limit(4)
        .stream()
        .concurrency(3)
        .try_collect()
        .await
        .unwrap();
    let emails: Vec<_> = all.iter().map(|c| c.email().unwrap().to_owned()).collect();
    let expected: Vec<_> = (1..=12)
        .flat_map(|p| (0..4).map(move |i| format!("p{p}-{i}@example.com")))
        .collect();
    assert_eq!(emails, expected, "items in page order, each once");
    let mut requested = pages_requested(&seen);
    requested.sort();
    assert_eq!(
        requested,
        (1..=12).collect::<Vec<_>>(),
        "no page past max_page"
    );
    assert_eq!(
        peak.load(Ordering::SeqCst),
        3,
        "three requests in flight, never more"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_walk_asks_for_no_page_past_max_page() {
    let (client, seen, peak) = slow_pages(3, 2, Duration::from_millis(5)).await;
    let pages: Vec<_> = client
        .customers()
        .list()
        .pages()
        .concurrency(8)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 3);
    let mut requested = pages_requested(&seen);
    requested.sort();
    assert_eq!(requested, vec![1, 2, 3]);
    assert!(
        peak.load(Ordering::SeqCst) <= 2,
        "page 1 alone, then pages 2 and 3"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_walk_stops_at_the_first_error_in_page_order() {
    let (client, seen) = paged_server(|page| {
        if page == 3 {
            json_response(500, &serde_json::json!({"detail": "boom"}))
        } else {
            json_response(200, &page_json(customers_page(page, 2), 20, 10))
        }
    })
    .await;
    let mut stream = client.customers().list().stream().concurrency(4);
    for _ in 0..4 {
        stream.next().await.unwrap().unwrap();
    }
    let err = stream.next().await.unwrap().unwrap_err();
    assert_eq!(err.status(), Some(http::StatusCode::INTERNAL_SERVER_ERROR));
    assert!(stream.next().await.is_none());
    let requested = pages_requested(&seen);
    assert!(
        requested.iter().all(|p| *p <= 6),
        "at most four pages ahead of the last one read: {requested:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn concurrent_walk_stays_within_the_rate_limiter() {
    // Two requests per second: eight pages at concurrency 8 still take three seconds of the
    // limiter's time (the first two at once, then two more each second).
    let pages = 8;
    let fake_page = move |page: i64| page_json(customers_page(page, 1), pages, pages);
    let service = tower::service_fn(move |req: http::Request<polar_customers::Body>| {
        let page = req
            .uri()
            .query()
            .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("page=")))
            .map(|v| v.parse::<i64>().unwrap())
            .unwrap_or(1);
        let body = serde_json::to_vec(&fake_page(page)).unwrap();
        async move {
            Ok::<_, std::convert::Infallible>(http::Response::new(http_body_util::Full::new(
                bytes::Bytes::from(body),
            )))
        }
    });
    let client = Client::builder()
        .token("polar_oat_test")
        .rate_limit(polar_customers::RateLimitConfig::new(
            2,
            Duration::from_secs(1),
        ))
        .build_with(service)
        .unwrap();
    let start = tokio::time::Instant::now();
    let all: Vec<_> = client
        .customers()
        .list()
        .stream()
        .concurrency(8)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 8);
    assert_eq!(start.elapsed(), Duration::from_secs(3));
}

/// A fake holding `n` customers and a client of it (in process: with the clock paused, every
/// request the stream starts has reached the fake before the clock moves).
async fn fake_of(n: usize) -> (polar_fake::FakePolar, Client) {
    let fake = polar_fake::FakePolar::new();
    let client = Client::builder()
        .token(fake.token())
        .build_with(fake.clone())
        .unwrap();
    for i in 0..n {
        client
            .customers()
            .create()
            .email(format!("c{i}@polar.sh"))
            .await
            .unwrap();
    }
    fake.reset_stats();
    (fake, client)
}

fn lists_sent(fake: &polar_fake::FakePolar) -> u64 {
    fake.stats().operation(polar_fake::Route::CustomersList)
}

#[tokio::test(start_paused = true)]
async fn the_first_item_of_a_stream_costs_one_request() {
    let (fake, client) = fake_of(3).await;
    let mut stream = client.customers().list().limit(1).stream();
    stream.next().await.unwrap().unwrap();
    // Anything the stream started on its own has run by the time the paused clock moves.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        lists_sent(&fake),
        1,
        "a page nobody asked for was requested"
    );

    // The next page is requested when its first item is asked for, and only then.
    stream.next().await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(lists_sent(&fake), 2);
}

#[tokio::test(start_paused = true)]
async fn the_first_page_of_a_page_walk_costs_one_request() {
    let (fake, client) = fake_of(3).await;
    let mut pages = client.customers().list().limit(1).pages();
    pages.next().await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(lists_sent(&fake), 1);
}

#[tokio::test(start_paused = true)]
async fn look_ahead_is_what_the_caller_asks_for() {
    let (fake, client) = fake_of(5).await;
    // One page ahead: while page 1 is read, page 2 is on its way.
    let mut stream = client.customers().list().limit(1).stream().concurrency(1);
    stream.next().await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(lists_sent(&fake), 2);

    // Three ahead: pages 2, 3 and 4 while page 1 is read.
    fake.reset_stats();
    let mut stream = client.customers().list().limit(1).stream().concurrency(3);
    stream.next().await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(lists_sent(&fake), 4);
}
