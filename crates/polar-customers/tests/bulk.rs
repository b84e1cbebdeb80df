//! Bulk operations: every input gets exactly one result, concurrency is bounded, the limiter
//! paces the batch, a 429 pauses it without losing the item, nothing that may have reached
//! the server is sent twice, and every send of an item counts against the client's own retry
//! policy and budget.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::Full;
mod fixtures;
use fixtures::customer_json;
use http::{HeaderMap, Method, StatusCode};
use polar_customers::{Body, Client, Error, RateLimitConfig, RetryConfig};
use polar_transport::BoxError;
use polar_transport::retry::{Classification, Classify, DefaultClassifier};
use tokio::time::Instant;

/// What the server saw: each create's email and when it arrived.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<(String, Instant)>>>);

impl Seen {
    fn emails(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|(e, _)| e.clone())
            .collect()
    }
    fn times(&self) -> Vec<Instant> {
        self.0.lock().unwrap().iter().map(|(_, t)| *t).collect()
    }
}

type Svc = tower::util::BoxCloneSyncService<
    http::Request<Body>,
    http::Response<Full<Bytes>>,
    std::convert::Infallible,
>;

/// An in-process Polar for creates: `answer(n, email)` picks the status of the n-th create
/// (from 0) and how long the answer takes; 201 creates the customer, anything else is an error
/// answer (a 429 says `Retry-After: 2`). `peak` records the most requests in flight at once.
fn server(
    answer: impl Fn(usize, &str) -> (u16, Duration) + Send + Sync + 'static,
) -> (Svc, Seen, Arc<AtomicUsize>) {
    let seen = Seen::default();
    let count = Arc::new(AtomicUsize::new(0));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let answer = Arc::new(answer);
    let (log, top) = (seen.clone(), peak.clone());
    let svc = tower::service_fn(move |req: http::Request<Body>| {
        let (log, count, in_flight, top, answer) = (
            log.clone(),
            count.clone(),
            in_flight.clone(),
            top.clone(),
            answer.clone(),
        );
        async move {
            let body = http_body_util::BodyExt::collect(req.into_body())
                .await
                .unwrap()
                .to_bytes();
            let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
            let email = json["email"].as_str().unwrap().to_owned();
            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            top.fetch_max(now, Ordering::SeqCst);
            log.0.lock().unwrap().push((email.clone(), Instant::now()));
            let n = count.fetch_add(1, Ordering::SeqCst);
            let (status, latency) = answer(n, &email);
            tokio::time::sleep(latency).await;
            in_flight.fetch_sub(1, Ordering::SeqCst);
            let mut res = http::Response::builder().status(status);
            let body = if status == 201 {
                let id = uuid::Uuid::new_v4().to_string();
                serde_json::to_vec(&customer_json(&id, &email, None)).unwrap()
            } else {
                if status == 429 {
                    res = res.header("retry-after", "2");
                }
                br#"{"detail":"no"}"#.to_vec()
            };
            Ok::<_, std::convert::Infallible>(res.body(Full::new(Bytes::from(body))).unwrap())
        }
    });
    (Svc::new(svc), seen, peak)
}

fn emails(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("c{i}@example.com")).collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn client(svc: Svc, limit: Option<RateLimitConfig>, retry: RetryConfig) -> Client {
    let builder = Client::builder().token("polar_oat_test").retry(retry);
    match limit {
        Some(limit) => builder.rate_limit(limit),
        None => builder.disable_rate_limit(),
    }
    .build_with(svc)
    .unwrap()
}

/// A client without a rate limiter whose calls may last `call` each.
fn call_timeout_client(svc: Svc, retry: RetryConfig, call: Duration) -> Client {
    Client::builder()
        .token("polar_oat_test")
        .retry(retry)
        .disable_rate_limit()
        .call_timeout(call)
        .build_with(svc)
        .unwrap()
}

const MS: Duration = Duration::from_millis(1);

#[tokio::test(start_paused = true)]
async fn every_input_gets_one_result_in_input_order_with_bounded_concurrency() {
    // Later inputs answer faster, so completion order is not input order.
    let (svc, seen, peak) = server(|n, _| (201, MS * (50 - n as u32)));
    let client = client(svc, None, RetryConfig::default());
    let inputs = emails(50);
    let results: Vec<_> = client
        .customers()
        .bulk(inputs.clone(), |c, email| c.create().email(email))
        .concurrency(5)
        .collect()
        .await;
    let indices: Vec<_> = results.iter().map(|(i, _)| *i).collect();
    assert_eq!(indices, (0..50).collect::<Vec<_>>());
    for (i, result) in &results {
        assert_eq!(result.as_ref().unwrap().email(), Some(inputs[*i].as_str()));
    }
    assert_eq!(
        sorted(seen.emails()),
        sorted(inputs),
        "each input sent once"
    );
    assert_eq!(peak.load(Ordering::SeqCst), 5);
}

#[tokio::test(start_paused = true)]
async fn unordered_results_come_as_they_complete() {
    let (svc, _, _) = server(|_, email| {
        let slow = email.starts_with("slow");
        (201, if slow { MS * 500 } else { MS })
    });
    let client = client(svc, None, RetryConfig::default());
    let inputs = ["slow@example.com", "b@example.com", "c@example.com"];
    let order: Vec<_> = client
        .customers()
        .bulk(inputs, |c, email| c.create().email(email))
        .unordered()
        .map(|(i, r)| {
            assert_eq!(r.unwrap().email(), Some(inputs[i]));
            i
        })
        .collect()
        .await;
    assert_eq!(order.len(), 3);
    assert_eq!(order[2], 0, "the slow first input comes last: {order:?}");
}

#[tokio::test(start_paused = true)]
async fn the_shared_limiter_paces_the_batch() {
    // Five requests a second: twenty creates, even at concurrency 20, need three seconds
    // beyond the first five.
    let (svc, seen, _) = server(|_, _| (201, Duration::ZERO));
    let client = client(
        svc,
        Some(RateLimitConfig::new(5, Duration::from_secs(1))),
        RetryConfig::default(),
    );
    let start = Instant::now();
    let results: Vec<_> = client
        .customers()
        .bulk(emails(20), |c, email| c.create().email(email))
        .concurrency(20)
        .collect()
        .await;
    assert!(results.iter().all(|(_, r)| r.is_ok()));
    assert_eq!(start.elapsed(), Duration::from_secs(3));
    let times = seen.times();
    for w in times.windows(6) {
        assert!(
            w[5] - w[0] >= Duration::from_secs(1),
            "six requests within a second"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_429_pauses_the_batch_and_the_item_is_sent_again() {
    // The fourth input is refused once, at 5 ms, with `Retry-After: 2` (others answer in 10
    // ms); each call may last 1 s, so the retry layer gives the 429 back and the batch itself
    // must send it again, after the wait.
    let refused = Arc::new(Mutex::new(false));
    let (svc, seen, _) = server(move |_, email| {
        let mut refused = refused.lock().unwrap();
        if email == "c3@example.com" && !*refused {
            *refused = true;
            (429, MS * 5)
        } else {
            (201, MS * 10)
        }
    });
    let client = call_timeout_client(svc, RetryConfig::default(), Duration::from_secs(1));
    let inputs = emails(12);
    let start = Instant::now();
    let results: Vec<_> = client
        .customers()
        .bulk(inputs.clone(), |c, email| c.create().email(email))
        .concurrency(4)
        .collect()
        .await;
    assert_eq!(results.len(), 12);
    for (i, result) in &results {
        assert_eq!(result.as_ref().unwrap().email(), Some(inputs[*i].as_str()));
    }
    let sent = seen.emails();
    assert_eq!(sent.len(), 13, "twelve creates and one resend");
    assert_eq!(sent.iter().filter(|e| **e == inputs[3]).count(), 2);
    // Nothing was sent in the two seconds after the 429, and the refused item went first.
    let times = seen.times();
    let after: Vec<_> = times[4..].iter().map(|t| *t - start).collect();
    assert!(
        after.iter().all(|d| *d >= MS * 5 + Duration::from_secs(2)),
        "{after:?}"
    );
    assert_eq!(sent[4], inputs[3]);
}

#[tokio::test(start_paused = true)]
async fn a_post_that_may_have_reached_the_server_is_not_sent_again() {
    // A 500 and a 503 to creates: the work may have been done, so neither the retry layer nor
    // the batch sends them again; they are the items' results.
    let (svc, seen, _) = server(|n, _| {
        let status = match n {
            2 => 500,
            5 => 503,
            _ => 201,
        };
        (status, MS)
    });
    let client = client(svc, None, RetryConfig::default());
    let inputs = emails(8);
    let results: HashMap<_, _> = client
        .customers()
        .bulk(inputs.clone(), |c, email| c.create().email(email))
        .concurrency(1)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect();
    assert_eq!(results.len(), 8);
    let failed: Vec<_> = (0..8)
        .filter(|i| matches!(results[i], Err(Error::Api(_))))
        .collect();
    assert_eq!(failed, vec![2, 5]);
    assert_eq!(seen.emails(), inputs, "each create sent exactly once");
}

#[tokio::test(start_paused = true)]
async fn a_stream_of_inputs_is_read_only_as_fast_as_the_batch_has_room() {
    let pulled = Arc::new(AtomicUsize::new(0));
    let counter = pulled.clone();
    let inputs = futures_util::stream::iter(0..).map(move |i| {
        counter.fetch_add(1, Ordering::SeqCst);
        format!("s{i}@example.com")
    });
    let (svc, _, _) = server(|_, _| (201, MS));
    let client = client(svc, None, RetryConfig::default());
    let mut batch = client
        .customers()
        .bulk_stream(inputs, |c, email| c.create().email(email))
        .concurrency(3);
    for expected in 0..10 {
        let (i, r) = batch.next().await.unwrap();
        assert_eq!(i, expected);
        r.unwrap();
    }
    // Ten results out, at most three more started.
    assert!(pulled.load(Ordering::SeqCst) <= 13);
}

// ---------------------------------------------------------------------------------------------
// Issue 22: the batch asks the client's own retry policy, and one budget counts every send

/// The default policy, except that a 429 is never retried.
struct NoRetryOn429;

impl Classify for NoRetryOn429 {
    fn classify_response(
        &self,
        method: &Method,
        status: StatusCode,
        headers: &HeaderMap,
    ) -> Classification {
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Classification::Forbid;
        }
        DefaultClassifier.classify_response(method, status, headers)
    }

    fn classify_error(&self, method: &Method, error: &BoxError) -> Classification {
        DefaultClassifier.classify_error(method, error)
    }
}

#[tokio::test(start_paused = true)]
async fn the_clients_own_classifier_decides_what_the_batch_sends_again() {
    // The second input is refused once; the client's policy says a 429 is not to be retried.
    let (svc, seen, _) = server(|n, _| (if n == 1 { 429 } else { 201 }, MS));
    let client = client(svc, None, RetryConfig::default().classifier(NoRetryOn429));
    let inputs = emails(3);
    let results: Vec<_> = client
        .customers()
        .bulk(inputs.clone(), |c, email| c.create().email(email))
        .concurrency(1)
        .collect()
        .await;
    let err = results[1].1.as_ref().unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::TOO_MANY_REQUESTS));
    assert!(results[0].1.is_ok() && results[2].1.is_ok());
    assert_eq!(seen.emails(), inputs, "each input sent once");
}

#[tokio::test(start_paused = true)]
async fn one_budget_counts_the_retry_layers_sends_and_the_batchs() {
    // Refused every time with `Retry-After: 2`, which fits in the call: the retry layer makes
    // the item's three attempts, and the batch adds none.
    let (svc, seen, _) = server(|_, _| (429, MS));
    let client = client(svc, None, RetryConfig::default().max_attempts(3));
    let results: Vec<_> = client
        .customers()
        .bulk(["a@example.com"], |c, email| c.create().email(email))
        .collect()
        .await;
    let err = results[0].1.as_ref().unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::TOO_MANY_REQUESTS));
    assert_eq!(
        seen.emails().len(),
        3,
        "the client's three attempts, no more"
    );
}

#[tokio::test(start_paused = true)]
async fn sends_made_past_the_call_deadline_count_against_the_same_budget() {
    // `Retry-After: 2` does not fit in a call of 1 s: the retry layer gives each 429 back and the
    // batch sends again after the wait, until the item has had its three attempts.
    let (svc, seen, _) = server(|_, _| (429, MS));
    let client = call_timeout_client(
        svc,
        RetryConfig::default().max_attempts(3),
        Duration::from_secs(1),
    );
    let start = Instant::now();
    let results: Vec<_> = client
        .customers()
        .bulk(["a@example.com"], |c, email| c.create().email(email))
        .collect()
        .await;
    assert_eq!(results.len(), 1, "no hang");
    let err = results[0].1.as_ref().unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::TOO_MANY_REQUESTS));
    let sent: Vec<_> = seen.times().iter().map(|t| *t - start).collect();
    assert_eq!(
        sent,
        [
            Duration::ZERO,
            MS + Duration::from_secs(2),
            MS * 2 + Duration::from_secs(4)
        ],
        "three sends, each after the server's wait"
    );
}

/// A DELETE whose first answer is lost, whose second is a 429 asking for more than the call has
/// left, and whose third (sent by the batch) finds the customer gone.
#[tokio::test(start_paused = true)]
async fn a_delete_sent_again_by_the_batch_remembers_an_earlier_lost_answer() {
    let sent = Arc::new(AtomicUsize::new(0));
    let count = sent.clone();
    let svc = tower::service_fn(move |_req: http::Request<Body>| {
        let n = count.fetch_add(1, Ordering::SeqCst);
        async move {
            let res = match n {
                0 => {
                    return Err::<http::Response<Full<Bytes>>, BoxError>(
                        polar_transport::Error::new(polar_transport::ErrorKind::Io).into(),
                    );
                }
                1 => http::Response::builder()
                    .status(429)
                    .header("retry-after", "5")
                    .body(Full::new(Bytes::from_static(b"{}"))),
                _ => http::Response::builder()
                    .status(404)
                    .body(Full::new(Bytes::from_static(
                        br#"{"error":"ResourceNotFound","detail":"Not found"}"#,
                    ))),
            };
            Ok(res.unwrap())
        }
    });
    let client = Client::builder()
        .token("polar_oat_test")
        .retry(RetryConfig::default().max_attempts(3))
        .disable_rate_limit()
        .call_timeout(Duration::from_secs(2))
        .build_with(svc)
        .unwrap();
    let id = "5d7a9e3c-58a1-4a52-9a3b-0d1c5e6f7a8b".parse().unwrap();
    let results: Vec<_> = client
        .customers()
        .bulk([id], |c, id| c.delete(id))
        .collect()
        .await;
    assert_eq!(sent.load(Ordering::SeqCst), 3);
    results[0]
        .1
        .as_ref()
        .expect("the first attempt may have deleted it");
}

#[tokio::test(start_paused = true)]
async fn items_the_limiter_holds_past_their_call_are_sent_after_the_cooldown() {
    // Two requests per 500 ms and 1 s per call. The first input is refused once, at 5 ms, with
    // `Retry-After: 2`: the limiter holds every caller back for 2 s, the two items already
    // waiting in it included, longer than their calls may last. They were never sent: the
    // batch sends them after the cooldown like the refused one, and every item ends well.
    let refused = Arc::new(Mutex::new(false));
    let (svc, seen, _) = server(move |_, email| {
        let mut refused = refused.lock().unwrap();
        if email == "c0@example.com" && !*refused {
            *refused = true;
            (429, MS * 5)
        } else {
            (201, MS * 10)
        }
    });
    let client = Client::builder()
        .token("polar_oat_test")
        .rate_limit(RateLimitConfig::new(2, MS * 500))
        .call_timeout(Duration::from_secs(1))
        .build_with(svc)
        .unwrap();
    let inputs = emails(6);
    let results: Vec<_> = client
        .customers()
        .bulk(inputs.clone(), |c, email| c.create().email(email))
        .concurrency(4)
        .collect()
        .await;
    assert_eq!(results.len(), 6);
    for (i, result) in &results {
        match result {
            Ok(customer) => assert_eq!(customer.email(), Some(inputs[*i].as_str())),
            Err(err) => panic!("item {i}: {err}"),
        }
    }
    let sent = seen.emails();
    assert_eq!(sent.len(), 7, "six creates and one resend: {sent:?}");
}

#[tokio::test(start_paused = true)]
async fn one_call_can_take_the_offer_to_go_on_later_as_bulk_does() {
    // What a batch does, done by hand on one call through the public API: a 429 whose
    // `Retry-After: 2` does not fit in the call's 1 s gives `Error::retry_later`; the same
    // request sent after its wait with the offer in `RequestOptions::resume` goes on with the
    // same call and its attempt budget.
    let (svc, seen, _) = server(|n, _| {
        if n == 0 {
            (429, MS * 5)
        } else {
            (201, MS * 10)
        }
    });
    let client = call_timeout_client(svc, RetryConfig::default(), Duration::from_secs(1));
    let err = client
        .customers()
        .create()
        .email("c0@example.com")
        .await
        .unwrap_err();
    let later = err
        .retry_later()
        .expect("a 429 that did not fit offers to go on later");
    assert!(later.wait() >= Duration::from_secs(2), "{later:?}");
    tokio::time::sleep(later.wait()).await;
    let mut options = polar_customers::transport::RequestOptions::default();
    options.resume = Some(later);
    let created = client
        .customers()
        .create()
        .email("c0@example.com")
        .request_options(options)
        .await
        .unwrap();
    assert_eq!(created.email(), Some("c0@example.com"));
    assert_eq!(seen.emails().len(), 2, "the 429 and the resumed attempt");
}
