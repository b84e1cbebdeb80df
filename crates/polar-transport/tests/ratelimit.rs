//! Rate limiting under paused tokio time over the in-memory mock (no I/O, no real sleeping).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::Request;
use polar_transport::mock::{MockResponse, MockTransport};
use polar_transport::ratelimit::{RateLimitConfig, RateLimiter};
use polar_transport::{Body, HttpService, RetryConfig, Server, TransportBuilder};
use tokio::time::Instant;
use tower::ServiceExt;

fn get() -> Request<Body> {
    Request::get("/v1/customers/")
        .body(Body::default())
        .unwrap()
}

fn recording_mock(
    reply: impl Fn(usize) -> MockResponse + Send + Sync + 'static,
) -> (MockTransport, Arc<Mutex<Vec<Instant>>>) {
    let mock = MockTransport::new();
    let times = Arc::new(Mutex::new(Vec::new()));
    let t = times.clone();
    mock.respond_with(move |_| {
        let mut t = t.lock().unwrap();
        t.push(Instant::now());
        Ok(reply(t.len() - 1))
    });
    (mock, times)
}

fn limited(mock: &MockTransport, rate: u32, period: Duration, retry: RetryConfig) -> HttpService {
    TransportBuilder::new()
        .token("polar_oat_rate_test")
        .rate_limit(RateLimitConfig::new(rate, period))
        .retry(retry)
        .call_timeout(Duration::from_secs(3600))
        .build_with(mock.clone())
        .unwrap()
}

/// The largest number of instants inside any half-open window `[t, t + period)`.
fn max_in_window(times: &[Instant], period: Duration) -> usize {
    let mut sorted = times.to_vec();
    sorted.sort();
    (0..sorted.len())
        .map(|i| {
            sorted[i..]
                .iter()
                .take_while(|t| **t < sorted[i] + period)
                .count()
        })
        .max()
        .unwrap_or(0)
}

#[tokio::test(start_paused = true)]
async fn window_never_exceeds_the_rate_under_concurrency() {
    let (mock, times) = recording_mock(|_| MockResponse::new(200));
    let period = Duration::from_secs(1);
    let svc = limited(&mock, 10, period, RetryConfig::disabled());
    let start = Instant::now();
    let tasks: Vec<_> = (0..45)
        .map(|_| {
            let svc = svc.clone();
            tokio::spawn(async move { svc.oneshot(get()).await.unwrap().status() })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    let times = times.lock().unwrap().clone();
    assert_eq!(times.len(), 45);
    assert!(max_in_window(&times, period) <= 10);
    // Not slower than needed either: 45 requests at 10/s end during the fifth second.
    assert_eq!(
        times.iter().max().unwrap().duration_since(start),
        Duration::from_secs(4)
    );
}

#[tokio::test(start_paused = true)]
async fn clones_and_their_clones_share_one_budget() {
    let (mock, times) = recording_mock(|_| MockResponse::new(200));
    let period = Duration::from_secs(60);
    let a = limited(&mock, 5, period, RetryConfig::disabled());
    let b = a.clone();
    let start = Instant::now();
    let run = |svc: HttpService| async move {
        for _ in 0..5 {
            svc.clone().oneshot(get()).await.unwrap();
        }
    };
    tokio::join!(run(a), run(b));
    let times = times.lock().unwrap().clone();
    assert_eq!(times.len(), 10);
    // Five went at once; the other five had to wait a whole minute.
    assert_eq!(times.iter().filter(|t| **t == start).count(), 5);
    assert!(
        times
            .iter()
            .filter(|t| **t != start)
            .all(|t| *t >= start + period)
    );
    assert!(max_in_window(&times, period) <= 5);
}

#[tokio::test(start_paused = true)]
async fn a_429_with_retry_after_pauses_every_caller() {
    // The first request is refused with Retry-After: 10; everything after succeeds.
    let (mock, times) = recording_mock(|n| {
        if n == 0 {
            MockResponse::new(429).with_header("retry-after", "10")
        } else {
            MockResponse::new(200)
        }
    });
    let svc = limited(&mock, 100, Duration::from_secs(1), RetryConfig::disabled());
    let start = Instant::now();
    let first = svc.clone().oneshot(get()).await.unwrap();
    assert_eq!(first.status(), 429);
    // Five concurrent callers start after the 429, one second later.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let tasks: Vec<_> = (0..5)
        .map(|_| {
            let svc = svc.clone();
            tokio::spawn(async move { svc.oneshot(get()).await.unwrap().status() })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    let times = times.lock().unwrap().clone();
    assert_eq!(times.len(), 6);
    assert!(
        times[1..]
            .iter()
            .all(|t| *t == start + Duration::from_secs(10)),
        "{:?}",
        times.iter().map(|t| *t - start).collect::<Vec<_>>()
    );
}

#[tokio::test(start_paused = true)]
async fn callers_already_queued_also_wait_for_the_cooldown() {
    // One request per second; the first gets a 429 with Retry-After: 30.
    let (mock, times) = recording_mock(|n| {
        if n == 0 {
            MockResponse::new(429).with_header("retry-after", "30")
        } else {
            MockResponse::new(200)
        }
    });
    let svc = limited(&mock, 1, Duration::from_secs(1), RetryConfig::disabled());
    let start = Instant::now();
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let svc = svc.clone();
            tokio::spawn(async move { svc.oneshot(get()).await.unwrap().status() })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap().as_u16());
    }
    statuses.sort();
    assert_eq!(statuses, vec![200, 200, 200, 429]);
    let times = times.lock().unwrap().clone();
    assert_eq!(times[0], start);
    // The three queued callers had slots at 1, 2, 3 s, but waited for the cooldown.
    assert!(
        times[1..]
            .iter()
            .all(|t| *t >= start + Duration::from_secs(30))
    );
}

#[tokio::test(start_paused = true)]
async fn cooldown_is_capped_and_the_retry_waits_it_out() {
    let (mock, times) = recording_mock(|n| {
        if n == 0 {
            MockResponse::new(429).with_header("retry-after", "20")
        } else {
            MockResponse::new(200)
        }
    });
    let svc = limited(&mock, 100, Duration::from_secs(1), RetryConfig::default());
    let start = Instant::now();
    let res = svc.oneshot(get()).await.unwrap();
    assert_eq!(res.status(), 200);
    let times = times.lock().unwrap().clone();
    assert_eq!(times, vec![start, start + Duration::from_secs(20)]);

    let limiter = RateLimiter::new(
        RateLimitConfig::new(10, Duration::from_secs(1)).max_cooldown(Duration::from_secs(5)),
    );
    limiter.cool_down_until(Instant::now() + Duration::from_secs(5));
    let t0 = Instant::now();
    limiter.acquire().await;
    assert_eq!(t0.elapsed(), Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn disabled_rate_limit_never_waits() {
    let (mock, times) = recording_mock(|_| MockResponse::new(200));
    let svc = TransportBuilder::new()
        .token("polar_oat_rate_test")
        .server(Server::Sandbox)
        .disable_rate_limit()
        .build_with(mock.clone())
        .unwrap();
    let start = Instant::now();
    for _ in 0..300 {
        svc.clone().oneshot(get()).await.unwrap();
    }
    assert!(times.lock().unwrap().iter().all(|t| *t == start));
}

#[tokio::test(start_paused = true)]
async fn sandbox_default_is_100_per_minute() {
    let (mock, times) = recording_mock(|_| MockResponse::new(200));
    let svc = TransportBuilder::new()
        .token("polar_oat_rate_test")
        .server(Server::Sandbox)
        .call_timeout(Duration::from_secs(3600))
        .build_with(mock.clone())
        .unwrap();
    let start = Instant::now();
    for _ in 0..101 {
        svc.clone().oneshot(get()).await.unwrap();
    }
    let times = times.lock().unwrap().clone();
    assert_eq!(times[99], start);
    assert_eq!(times[100], start + Duration::from_secs(60));
    assert_eq!(Server::Production.default_rate_limit().rate(), 500);
}
