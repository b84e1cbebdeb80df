//! Retry policy over real loopback HTTP (counts of what the server saw) and backoff /
//! `Retry-After` timing under paused tokio time.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use common::{InstantTimer, Reply, refused_addr, serve};
use http::{Method, Request};
use polar_transport::mock::{MockResponse, MockTransport};
use polar_transport::retry::{Backoff, parse_retry_after};
use polar_transport::{
    Attempts, Body, EarlierAttemptMayHaveBeenProcessed, Error, ErrorKind, HttpService,
    RequestOptions, RetryConfig, RetryLater, TransportBuilder,
};
use tokio::time::Instant;
use tower::ServiceExt;

const MAX: u32 = 3;

#[derive(Clone, Copy, Debug)]
enum Outcome {
    ConnectRefused,
    ResetBeforeResponse,
    AttemptTimeout,
    Status(u16),
    StatusRetryAfter(u16, u32),
}

fn stack(url: &str, timer: InstantTimer) -> HttpService {
    TransportBuilder::new()
        .token("polar_oat_retry_test")
        .base_url(url)
        .allow_http(true)
        .disable_rate_limit()
        .attempt_timeout(Duration::from_millis(200))
        .call_timeout(Duration::from_secs(30))
        .retry(RetryConfig::default().max_attempts(MAX).timer(timer))
        .build()
        .unwrap()
}

fn request(method: &Method) -> Request<Body> {
    let body = if method == Method::GET || method == Method::DELETE {
        Body::default()
    } else {
        Body::from(r#"{"email":"a@b.c"}"#)
    };
    Request::builder()
        .method(method.clone())
        .uri("/v1/customers/?page=1")
        .body(body)
        .unwrap()
}

/// The attempts the policy must make for `method` facing `outcome` every time.
fn expected_attempts(method: &Method, outcome: Outcome) -> u32 {
    let idempotent = method != Method::POST;
    let retryable = match outcome {
        Outcome::ConnectRefused => true,
        Outcome::StatusRetryAfter(429, _) | Outcome::Status(429) => true,
        Outcome::ResetBeforeResponse | Outcome::AttemptTimeout => idempotent,
        Outcome::Status(408 | 500 | 502 | 503 | 504) => idempotent,
        _ => false,
    };
    if retryable { MAX } else { 1 }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_table_method_by_outcome() {
    let methods = [Method::GET, Method::POST, Method::DELETE, Method::PATCH];
    let outcomes = [
        Outcome::ConnectRefused,
        Outcome::ResetBeforeResponse,
        Outcome::AttemptTimeout,
        Outcome::Status(408),
        Outcome::Status(429),
        Outcome::StatusRetryAfter(429, 2),
        Outcome::Status(500),
        Outcome::Status(502),
        Outcome::Status(503),
        Outcome::Status(504),
        Outcome::Status(400),
        Outcome::Status(401),
        Outcome::Status(404),
        Outcome::Status(422),
    ];
    let mut failures = Vec::new();
    for outcome in outcomes {
        for method in &methods {
            let expected = expected_attempts(method, outcome);
            let timer = InstantTimer::default();
            let (url, server) = match outcome {
                Outcome::ConnectRefused => (format!("http://{}", refused_addr().await), None),
                _ => {
                    let server = serve(move |_, _| match outcome {
                        Outcome::ResetBeforeResponse => Reply::Close,
                        Outcome::AttemptTimeout => Reply::Stall,
                        Outcome::Status(code) => Reply::status(code),
                        Outcome::StatusRetryAfter(code, secs) => {
                            Reply::with_header(code, "retry-after", &secs.to_string())
                        }
                        Outcome::ConnectRefused => unreachable!(),
                    })
                    .await;
                    (server.url(), Some(server))
                }
            };
            let result = stack(&url, timer.clone()).oneshot(request(method)).await;
            let attempts = match &result {
                Ok(res) => res.extensions().get::<Attempts>().map(|a| a.0),
                Err(e) => e.downcast_ref::<Error>().map(Error::attempts),
            };
            // What the server saw must match the policy exactly (connect refused: nothing).
            let seen = server.as_ref().map_or(0, |s| s.hits() as u32);
            let want_seen = if matches!(outcome, Outcome::ConnectRefused) {
                0
            } else {
                expected
            };
            if attempts != Some(expected) || seen != want_seen {
                failures.push(format!(
                    "{method} {outcome:?}: attempts {attempts:?} (want {expected}), server saw {seen} (want {want_seen})"
                ));
            }
            // Error kinds match the outcome.
            match (outcome, &result) {
                (Outcome::ConnectRefused, Err(e)) => {
                    assert_eq!(
                        e.downcast_ref::<Error>().unwrap().kind(),
                        ErrorKind::Connect
                    )
                }
                (Outcome::ResetBeforeResponse, Err(e)) => {
                    assert_eq!(e.downcast_ref::<Error>().unwrap().kind(), ErrorKind::Io)
                }
                (Outcome::AttemptTimeout, Err(e)) => {
                    assert_eq!(
                        e.downcast_ref::<Error>().unwrap().kind(),
                        ErrorKind::AttemptTimeout
                    )
                }
                (Outcome::Status(code) | Outcome::StatusRetryAfter(code, _), Ok(res)) => {
                    assert_eq!(res.status().as_u16(), code)
                }
                (o, r) => panic!("{method} {o:?}: unexpected result {r:?}"),
            }
            // Retry-After replaces the backoff.
            if let Outcome::StatusRetryAfter(_, secs) = outcome {
                assert_eq!(
                    timer.waits(),
                    vec![Duration::from_secs(secs.into()); (expected - 1) as usize]
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "policy mismatches:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn retry_after_above_cap_returns_the_429_without_retrying() {
    let server = serve(|_, _| Reply::with_header(429, "retry-after", "120")).await;
    let timer = InstantTimer::default();
    let svc = TransportBuilder::new()
        .token("polar_oat_retry_test")
        .base_url(&server.url())
        .allow_http(true)
        .disable_rate_limit()
        .retry(
            RetryConfig::default()
                .max_attempts(5)
                .max_retry_after(Duration::from_secs(60))
                .timer(timer.clone()),
        )
        .build()
        .unwrap();
    let res = svc.oneshot(request(&Method::GET)).await.unwrap();
    assert_eq!(res.status(), 429);
    assert_eq!(res.extensions().get::<Attempts>(), Some(&Attempts(1)));
    assert_eq!(server.hits(), 1);
    assert!(timer.waits().is_empty());
}

#[tokio::test]
async fn per_request_retry_forbidden_and_max_attempts() {
    let server = serve(|_, _| Reply::status(503)).await;
    let svc = stack(&server.url(), InstantTimer::default());

    let mut req = request(&Method::GET);
    let mut opts = RequestOptions::default();
    opts.retry_forbidden = true;
    req.extensions_mut().insert(opts);
    let res = svc.clone().oneshot(req).await.unwrap();
    assert_eq!(res.extensions().get::<Attempts>(), Some(&Attempts(1)));
    assert_eq!(server.hits(), 1);

    let mut req = request(&Method::GET);
    let mut opts = RequestOptions::default();
    opts.max_attempts = Some(5);
    req.extensions_mut().insert(opts);
    let res = svc.oneshot(req).await.unwrap();
    assert_eq!(res.extensions().get::<Attempts>(), Some(&Attempts(5)));
    assert_eq!(server.hits(), 6);
}

#[tokio::test]
async fn retried_5xx_bodies_are_drained_and_the_connection_is_reused() {
    let server = serve(|_, n| {
        if n < 2 {
            Reply::json(502, r#"{"detail":"bad gateway"}"#)
        } else {
            Reply::status(200)
        }
    })
    .await;
    let svc = stack(&server.url(), InstantTimer::default());
    let res = svc.oneshot(request(&Method::GET)).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(server.hits(), 3);
    // The bodies of the two 502s were read to the end, so one pooled connection served all.
    assert_eq!(server.connections(), 1);
}

// ---- timing under paused tokio time, over the in-memory mock (no I/O, no real sleeping) ----

fn mock_stack(mock: &MockTransport, retry: RetryConfig) -> HttpService {
    TransportBuilder::new()
        .token("polar_oat_retry_test")
        .disable_rate_limit()
        .retry(retry)
        .build_with(mock.clone())
        .unwrap()
}

fn record_times(
    mock: &MockTransport,
    reply: impl Fn(usize) -> MockResponse + Send + Sync + 'static,
) -> Arc<Mutex<Vec<Instant>>> {
    let times = Arc::new(Mutex::new(Vec::new()));
    let t = times.clone();
    mock.respond_with(move |_| {
        let mut t = t.lock().unwrap();
        t.push(Instant::now());
        Ok(reply(t.len() - 1))
    });
    times
}

fn gaps(times: &[Instant]) -> Vec<Duration> {
    times.windows(2).map(|w| w[1] - w[0]).collect()
}

#[tokio::test(start_paused = true)]
async fn backoff_waits_stay_within_capped_exponential_bounds() {
    let backoff = Backoff {
        initial: Duration::from_millis(100),
        max: Duration::from_millis(500),
    };
    for _ in 0..20 {
        let mock = MockTransport::new();
        let times = record_times(&mock, |_| MockResponse::new(503));
        let svc = mock_stack(
            &mock,
            RetryConfig::default().max_attempts(6).backoff(backoff),
        );
        let res = svc.oneshot(request(&Method::GET)).await.unwrap();
        assert_eq!(res.status(), 503);
        let gaps = gaps(&times.lock().unwrap());
        assert_eq!(gaps.len(), 5);
        for (i, gap) in gaps.iter().enumerate() {
            // ceilings: 100, 200, 400, 500 (capped), 500 ms
            assert!(*gap <= backoff.ceiling(i as u32 + 1), "gap {i} = {gap:?}");
        }
    }
    assert_eq!(backoff.ceiling(1), Duration::from_millis(100));
    assert_eq!(backoff.ceiling(3), Duration::from_millis(400));
    assert_eq!(backoff.ceiling(4), Duration::from_millis(500));
    assert_eq!(backoff.ceiling(40), Duration::from_millis(500));
    assert_eq!(backoff.delay_with(2, 0.5), Duration::from_millis(100));
    assert_eq!(backoff.delay_with(2, 0.0), Duration::ZERO);
    assert_eq!(backoff.delay_with(2, f64::NAN), Duration::ZERO);
    let huge = Backoff {
        initial: Duration::MAX,
        max: Duration::MAX,
    };
    assert_eq!(huge.delay_with(40, 1.0), Duration::MAX);
    assert!(huge.delay(3) <= Duration::MAX);
}

#[tokio::test(start_paused = true)]
async fn retry_after_seconds_is_waited_exactly() {
    let mock = MockTransport::new();
    let times = record_times(&mock, |n| {
        if n == 0 {
            MockResponse::new(429).with_header("retry-after", "7")
        } else {
            MockResponse::new(200)
        }
    });
    let res = mock_stack(&mock, RetryConfig::default())
        .oneshot(request(&Method::POST))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(gaps(&times.lock().unwrap()), vec![Duration::from_secs(7)]);
}

#[tokio::test(start_paused = true)]
async fn retry_after_http_date_is_honoured() {
    let mock = MockTransport::new();
    let when = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(10));
    let times = record_times(&mock, move |n| {
        if n == 0 {
            MockResponse::new(503).with_header("retry-after", &when)
        } else {
            MockResponse::new(200)
        }
    });
    let res = mock_stack(&mock, RetryConfig::default())
        .oneshot(request(&Method::GET))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let gap = gaps(&times.lock().unwrap())[0];
    // HTTP-dates have whole seconds: the wait is 9-10 s.
    assert!(
        gap >= Duration::from_secs(8) && gap <= Duration::from_secs(10),
        "{gap:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_cap_applies_to_both_forms() {
    for value in [
        "61".to_owned(),
        httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3600)),
    ] {
        let mock = MockTransport::new();
        let v = value.clone();
        let times = record_times(&mock, move |_| {
            MockResponse::new(429).with_header("retry-after", &v)
        });
        let start = Instant::now();
        let res = mock_stack(
            &mock,
            RetryConfig::default().max_retry_after(Duration::from_secs(60)),
        )
        .oneshot(request(&Method::GET))
        .await
        .unwrap();
        assert_eq!(res.status(), 429);
        assert_eq!(times.lock().unwrap().len(), 1, "{value}");
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}

#[test]
fn retry_after_parsing() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let hv = |s: &str| http::HeaderValue::from_str(s).unwrap();
    assert_eq!(
        parse_retry_after(&hv("30"), now),
        Some(Duration::from_secs(30))
    );
    assert_eq!(parse_retry_after(&hv(" 0 "), now), Some(Duration::ZERO));
    let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
    assert_eq!(
        parse_retry_after(&hv(&later), now),
        Some(Duration::from_secs(90))
    );
    let past = httpdate::fmt_http_date(now - Duration::from_secs(90));
    assert_eq!(parse_retry_after(&hv(&past), now), Some(Duration::ZERO));
    assert_eq!(parse_retry_after(&hv("-5"), now), None);
    assert_eq!(parse_retry_after(&hv("soon"), now), None);
    assert_eq!(
        parse_retry_after(&hv("99999999999999999999999"), now),
        Some(Duration::from_secs(u64::MAX))
    );
}

#[tokio::test(start_paused = true)]
async fn errors_carry_the_number_of_attempts() {
    let mock = MockTransport::new();
    for _ in 0..3 {
        mock.push_error(ErrorKind::Connect);
    }
    let err = mock_stack(&mock, RetryConfig::default().max_attempts(3))
        .oneshot(request(&Method::POST))
        .await
        .unwrap_err();
    let err = err.downcast_ref::<Error>().unwrap();
    assert_eq!((err.kind(), err.attempts()), (ErrorKind::Connect, 3));
    assert_eq!(mock.request_count(), 3);
}

// ---- issue 12: a wait that does not fit the call's deadline is not started ----

fn deadline_stack(mock: &MockTransport, call: Duration) -> HttpService {
    TransportBuilder::new()
        .token("polar_oat_retry_test")
        .disable_rate_limit()
        .call_timeout(call)
        .retry(RetryConfig::default().max_attempts(5))
        .build_with(mock.clone())
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_past_the_deadline_returns_the_429_at_once() {
    let mock = MockTransport::new();
    mock.respond_with(|_| Ok(MockResponse::new(429).with_header("retry-after", "30")));
    let svc = deadline_stack(&mock, Duration::from_secs(10));
    let start = Instant::now();
    let res = svc.oneshot(request(&Method::GET)).await.unwrap();
    // The server's answer, with the wait it asked for, right away: not a timeout 10 s later.
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["retry-after"], "30");
    assert_eq!(res.extensions().get::<Attempts>(), Some(&Attempts(1)));
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(mock.request_count(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_backoff_past_the_deadline_returns_the_last_error_at_once() {
    // Connect errors with waits of up to 10 min against a 1 s call: a wait that does not fit
    // is not started, so the connect error itself comes back before the deadline (not a call
    // timeout at the deadline).
    let mock = MockTransport::new();
    mock.respond_with(|_| {
        Err(Error::with_source(ErrorKind::Connect, std::io::Error::other("refused")).into())
    });
    let svc = TransportBuilder::new()
        .token("polar_oat_retry_test")
        .disable_rate_limit()
        .call_timeout(Duration::from_secs(1))
        .retry(RetryConfig::default().max_attempts(5).backoff(Backoff {
            initial: Duration::from_secs(600),
            max: Duration::from_secs(600),
        }))
        .build_with(mock.clone())
        .unwrap();
    let start = Instant::now();
    let err = svc.oneshot(request(&Method::GET)).await.unwrap_err();
    let err = err.downcast_ref::<Error>().unwrap();
    assert_eq!(err.kind(), ErrorKind::Connect, "{err:?}");
    assert_eq!(err.attempts() as usize, mock.request_count());
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn a_503_whose_retry_after_does_not_fit_is_returned_at_once() {
    // Every attempt is a 503 asking for 5 s; the call may last 12 s: attempts at 0, 5, 10 s,
    // then the third 503 comes back at 10 s instead of a timeout at 12 s.
    let mock = MockTransport::new();
    mock.respond_with(|_| Ok(MockResponse::new(503).with_header("retry-after", "5")));
    let svc = deadline_stack(&mock, Duration::from_secs(12));
    let start = Instant::now();
    let res = svc.oneshot(request(&Method::GET)).await.unwrap();
    assert_eq!(res.status(), 503);
    assert_eq!(res.extensions().get::<Attempts>(), Some(&Attempts(3)));
    assert_eq!(start.elapsed(), Duration::from_secs(10));
    assert_eq!(mock.request_count(), 3);
}

// ---- issue 22: what an earlier attempt may have done is recorded for the caller ----

/// A DELETE whose first attempt ends in `first`, then a 404: is the 404 marked as following an
/// attempt the server may have carried out?
async fn marked_after(first: Result<u16, ErrorKind>) -> (bool, u32) {
    let mock = MockTransport::new();
    match first {
        Ok(status) => mock.push(MockResponse::new(status).with_header("retry-after", "0")),
        Err(kind) => mock.push_error(kind),
    };
    mock.push(MockResponse::new(404));
    let res = mock_stack(&mock, RetryConfig::default().max_attempts(2))
        .oneshot(request(&Method::DELETE))
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let attempts = res.extensions().get::<Attempts>().unwrap().0;
    let marked = res
        .extensions()
        .get::<EarlierAttemptMayHaveBeenProcessed>()
        .is_some();
    (marked, attempts)
}

#[tokio::test(start_paused = true)]
async fn only_an_attempt_that_may_have_been_carried_out_marks_the_answer() {
    let cases = [
        // Never left this machine.
        (Err(ErrorKind::Connect), false),
        (Err(ErrorKind::ConnectTimeout), false),
        // Sent, answer lost.
        (Err(ErrorKind::Io), true),
        (Err(ErrorKind::AttemptTimeout), true),
        // Refused before any work, or work undone.
        (Ok(408), false),
        (Ok(429), false),
        (Ok(500), false),
        (Ok(503), false),
        // A gateway that may have passed the request on.
        (Ok(502), true),
        (Ok(504), true),
    ];
    let mut wrong = Vec::new();
    for (first, want) in cases {
        let (marked, attempts) = marked_after(first).await;
        assert_eq!(attempts, 2, "{first:?} is retried");
        if marked != want {
            wrong.push(format!("{first:?}: marked {marked}, want {want}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test(start_paused = true)]
async fn the_mark_outlives_later_refusals_and_is_absent_without_a_retry() {
    // A lost answer, then a 429, then the 404: the first attempt may still have deleted it.
    let mock = MockTransport::new();
    mock.push_error(ErrorKind::Io);
    mock.push(MockResponse::new(429).with_header("retry-after", "0"));
    mock.push(MockResponse::new(404));
    let res = mock_stack(&mock, RetryConfig::default().max_attempts(3))
        .oneshot(request(&Method::DELETE))
        .await
        .unwrap();
    assert_eq!(res.extensions().get::<Attempts>(), Some(&Attempts(3)));
    assert!(
        res.extensions()
            .get::<EarlierAttemptMayHaveBeenProcessed>()
            .is_some()
    );

    // A 504 that is the last answer is not about an *earlier* attempt.
    let mock = MockTransport::new();
    mock.push(MockResponse::new(504));
    let res = mock_stack(&mock, RetryConfig::default().max_attempts(1))
        .oneshot(request(&Method::DELETE))
        .await
        .unwrap();
    assert_eq!(res.status(), 504);
    assert!(
        res.extensions()
            .get::<EarlierAttemptMayHaveBeenProcessed>()
            .is_none()
    );
}

// ---- issue 22: an answer the call had no time to retry says how to go on with the call ----

/// A request of `method` going on with the call `later` came from.
fn resumed(method: &Method, later: RetryLater) -> Request<Body> {
    let mut req = request(method);
    let mut options = RequestOptions::default();
    options.resume = Some(later);
    req.extensions_mut().insert(options);
    req
}

#[tokio::test(start_paused = true)]
async fn a_retry_that_does_not_fit_the_call_is_offered_for_later_within_the_same_budget() {
    // Every answer asks for 30 s; each call has 10 s; the budget is 3 attempts.
    let mock = MockTransport::new();
    mock.respond_with(|_| Ok(MockResponse::new(429).with_header("retry-after", "30")));
    let svc = TransportBuilder::new()
        .token("polar_oat_retry_test")
        .disable_rate_limit()
        .call_timeout(Duration::from_secs(10))
        .retry(RetryConfig::default().max_attempts(3))
        .build_with(mock.clone())
        .unwrap();

    let res = svc.clone().oneshot(request(&Method::GET)).await.unwrap();
    let later = *res.extensions().get::<RetryLater>().expect("offered");
    assert_eq!(later.wait(), Duration::from_secs(30));
    assert_eq!((later.attempts(), later.attempts_left()), (1, 2));

    // Going on with the call: its attempts count on.
    let res = svc
        .clone()
        .oneshot(resumed(&Method::GET, later))
        .await
        .unwrap();
    assert_eq!(res.extensions().get::<Attempts>(), Some(&Attempts(2)));
    let later = *res.extensions().get::<RetryLater>().expect("offered");
    assert_eq!((later.attempts(), later.attempts_left()), (2, 1));

    // The last attempt of the budget: nothing more is offered.
    let res = svc.oneshot(resumed(&Method::GET, later)).await.unwrap();
    assert_eq!(res.status(), 429);
    assert_eq!(res.extensions().get::<Attempts>(), Some(&Attempts(3)));
    assert!(res.extensions().get::<RetryLater>().is_none());
    assert_eq!(mock.request_count(), 3);
}

#[tokio::test(start_paused = true)]
async fn nothing_is_offered_past_max_retry_after_or_when_the_policy_says_no() {
    // A wait longer than the policy's cap.
    let mock = MockTransport::new();
    mock.push(MockResponse::new(429).with_header("retry-after", "120"));
    let res = mock_stack(&mock, RetryConfig::default())
        .oneshot(request(&Method::GET))
        .await
        .unwrap();
    assert!(res.extensions().get::<RetryLater>().is_none());

    // A 503 to a POST, which the policy does not retry, with a wait past the deadline.
    let mock = MockTransport::new();
    mock.push(MockResponse::new(503).with_header("retry-after", "30"));
    let res = deadline_stack(&mock, Duration::from_secs(10))
        .oneshot(request(&Method::POST))
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    assert!(res.extensions().get::<RetryLater>().is_none());
}

#[tokio::test(start_paused = true)]
async fn a_call_gone_on_with_keeps_what_its_earlier_attempts_may_have_done() {
    // A DELETE: the first answer is lost, the second asks for more time than the call has.
    let mock = MockTransport::new();
    mock.push_error(ErrorKind::Io);
    mock.push(MockResponse::new(429).with_header("retry-after", "30"));
    mock.push(MockResponse::new(404));
    let svc = deadline_stack(&mock, Duration::from_secs(10));
    let res = svc.clone().oneshot(request(&Method::DELETE)).await.unwrap();
    let later = *res.extensions().get::<RetryLater>().expect("offered");
    let res = svc.oneshot(resumed(&Method::DELETE, later)).await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.extensions().get::<Attempts>(), Some(&Attempts(3)));
    assert!(
        res.extensions()
            .get::<EarlierAttemptMayHaveBeenProcessed>()
            .is_some()
    );
}
