//! Rate limiting under paused tokio time over the in-memory mock (no I/O, no real sleeping).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::Request;
use polar_transport::mock::{MockResponse, MockTransport};
use polar_transport::ratelimit::{
    LocalStore, RateLimitConfig, RateLimitLayer, RateLimitStore, RateLimiter, Slot,
};
use polar_transport::{Body, BoxError, HttpService, RetryConfig, Server, TransportBuilder};
use tokio::time::Instant;
use tower::{ServiceBuilder, ServiceExt, service_fn};

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

    let store = LocalStore::new(
        RateLimitConfig::new(10, Duration::from_secs(1)).max_cooldown(Duration::from_secs(5)),
    );
    // A 429 asking for 20 s holds callers for the 5 s cap only.
    store.cool_down(Duration::from_secs(20));
    let t0 = Instant::now();
    assert!(store.try_acquire().is_none());
    let slot = store.acquire().await;
    assert_eq!(t0.elapsed(), Duration::from_secs(5));
    store.finished(slot);
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

/// Issue 12: callers that give up while queued (their call timeout fired) must not keep a slot.
/// A burst far larger than the budget, with call timeouts shorter than the backlog, is followed
/// by a steady load at 60 % of the limit: once the burst's callers have given up and a window
/// has passed, no steady call times out.
#[tokio::test(start_paused = true)]
async fn callers_that_give_up_while_queued_give_their_slots_back() {
    let (mock, times) = recording_mock(|_| MockResponse::new(200));
    let period = Duration::from_secs(60);
    let timeout = Duration::from_secs(120);
    let svc = TransportBuilder::new()
        .token("polar_oat_rate_test")
        .rate_limit(RateLimitConfig::new(10, period))
        .retry(RetryConfig::disabled())
        .call_timeout(timeout)
        .build_with(mock.clone())
        .unwrap();
    let start = Instant::now();
    // The burst: 100 calls at once, ten minutes of budget; most give up after 120 s.
    let burst: Vec<_> = (0..100)
        .map(|_| {
            let svc = svc.clone();
            tokio::spawn(async move { svc.oneshot(get()).await.is_ok() })
        })
        .collect();
    // The steady load: one call every 10 s (6 per minute) for ten minutes.
    let mut steady = Vec::new();
    for i in 0..60u64 {
        tokio::time::sleep_until(start + Duration::from_secs(10 * i)).await;
        let svc = svc.clone();
        steady.push((
            Duration::from_secs(10 * i),
            tokio::spawn(async move { svc.oneshot(get()).await.is_ok() }),
        ));
    }
    let burst_ok = futures_ok(burst).await;
    // Only what the window allowed before the burst's callers gave up went through.
    assert!(burst_ok <= 30, "{burst_ok}");
    // Once the burst's callers have given up (120 s) and a whole window has passed (60 s), the
    // steady load fits the budget: every call from then on succeeds.
    let settled = timeout + period;
    for (at, task) in steady {
        let ok = task.await.unwrap();
        if at >= settled {
            assert!(ok, "steady call started at {at:?} failed");
        }
    }
    let times = times.lock().unwrap().clone();
    assert!(max_in_window(&times, period) <= 10);
}

async fn futures_ok(tasks: Vec<tokio::task::JoinHandle<bool>>) -> usize {
    let mut ok = 0;
    for t in tasks {
        ok += usize::from(t.await.unwrap());
    }
    ok
}

/// Issue 12: Polar counts per organization, so clients built apart share a `RateLimiter` handle.
#[tokio::test(start_paused = true)]
async fn clients_built_apart_share_one_limiter_handle() {
    let (mock, times) = recording_mock(|_| MockResponse::new(200));
    let period = Duration::from_secs(60);
    let limiter = RateLimiter::new(RateLimitConfig::new(5, period));
    let build = || {
        TransportBuilder::new()
            .token("polar_oat_rate_test")
            .rate_limiter(limiter.clone())
            .call_timeout(Duration::from_secs(3600))
            .build_with(mock.clone())
            .unwrap()
    };
    let (a, b) = (build(), build());
    let start = Instant::now();
    for i in 0..10 {
        let svc = if i % 2 == 0 { a.clone() } else { b.clone() };
        svc.oneshot(get()).await.unwrap();
    }
    let times = times.lock().unwrap().clone();
    assert_eq!(times.iter().filter(|t| **t == start).count(), 5);
    assert!(max_in_window(&times, period) <= 5);
}

/// A store of one's own (the shape a cross-process store takes): the layer asks it for a slot,
/// hands that slot back when the request has ended and reports a 429's wait.
#[derive(Default)]
struct CountingStore {
    log: Mutex<Vec<String>>,
    granted: Mutex<u64>,
}

impl RateLimitStore for CountingStore {
    fn try_acquire(&self) -> Option<Slot> {
        self.log.lock().unwrap().push("try".into());
        None
    }

    fn acquire(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = Slot> + Send + '_>> {
        let mut granted = self.granted.lock().unwrap();
        *granted += 1;
        self.log.lock().unwrap().push(format!("acquire {granted}"));
        let slot = Slot::new(*granted);
        Box::pin(async move { slot })
    }

    fn finished(&self, slot: Slot) {
        self.log
            .lock()
            .unwrap()
            .push(format!("finished {}", slot.id()));
    }

    fn cool_down(&self, wait: Duration) {
        self.log
            .lock()
            .unwrap()
            .push(format!("cool down {}s", wait.as_secs()));
    }
}

#[tokio::test(start_paused = true)]
async fn a_store_of_ones_own_is_driven_through_the_trait() {
    let (mock, _) = recording_mock(|n| {
        if n == 0 {
            MockResponse::new(429).with_header("retry-after", "60")
        } else {
            MockResponse::new(200)
        }
    });
    let store = Arc::new(CountingStore::default());
    let svc = TransportBuilder::new()
        .token("polar_oat_rate_test")
        .rate_limiter(RateLimiter::from_store(store.clone()))
        .retry(RetryConfig::disabled())
        .build_with(mock.clone())
        .unwrap();
    assert_eq!(svc.clone().oneshot(get()).await.unwrap().status(), 429);
    assert_eq!(svc.oneshot(get()).await.unwrap().status(), 200);
    assert_eq!(
        *store.log.lock().unwrap(),
        [
            "try",
            "acquire 1",
            "finished 1",
            "cool down 60s",
            "try",
            "acquire 2",
            "finished 2"
        ]
    );
}

/// Issue 22: requests that end out of order each hand back the slot they were granted.
#[tokio::test(start_paused = true)]
async fn each_request_hands_back_its_own_slot() {
    let store = Arc::new(CountingStore::default());
    // The query says how long the answer takes, in ms.
    let svc = ServiceBuilder::new()
        .layer(RateLimitLayer::new(RateLimiter::from_store(store.clone())))
        .service(service_fn(|req: Request<Body>| async move {
            let ms: u64 = req.uri().query().unwrap().parse().unwrap();
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok::<_, BoxError>(http::Response::new(()))
        }));
    let call = |ms: u64| {
        svc.clone().oneshot(
            Request::get(format!("/v1/customers/?{ms}"))
                .body(Body::default())
                .unwrap(),
        )
    };
    let (slow, fast) = tokio::join!(call(300), call(100));
    slow.unwrap();
    fast.unwrap();
    assert_eq!(
        *store.log.lock().unwrap(),
        [
            "try",
            "acquire 1",
            "try",
            "acquire 2",
            "finished 2",
            "finished 1"
        ]
    );
}

/// Issue 22: a `Retry-After` as long as a `Duration` gets, with the cooldown cap lifted, neither
/// overflows the clock nor lets a request through.
#[tokio::test(start_paused = true)]
async fn a_huge_retry_after_saturates_instead_of_overflowing() {
    let (mock, times) = recording_mock(|n| {
        if n == 0 {
            MockResponse::new(429).with_header("retry-after", "99999999999999999999")
        } else {
            MockResponse::new(200)
        }
    });
    let svc = TransportBuilder::new()
        .token("polar_oat_rate_test")
        .rate_limit(RateLimitConfig::new(10, Duration::from_secs(1)).max_cooldown(Duration::MAX))
        .retry(RetryConfig::disabled())
        .call_timeout(Duration::from_secs(5))
        .build_with(mock.clone())
        .unwrap();
    assert_eq!(svc.clone().oneshot(get()).await.unwrap().status(), 429);
    let err = svc.oneshot(get()).await.unwrap_err();
    let err = err.downcast_ref::<polar_transport::Error>().unwrap();
    assert_eq!(err.kind(), polar_transport::ErrorKind::CallTimeout);
    assert_eq!(
        times.lock().unwrap().len(),
        1,
        "nothing sent during the cooldown"
    );
}

#[tokio::test(start_paused = true)]
async fn a_cooldown_longer_than_the_call_gives_the_request_back_unsent_at_once() {
    // The first request is refused with Retry-After: 10; calls may last 1 s.
    let (mock, times) = recording_mock(|n| {
        if n == 0 {
            MockResponse::new(429).with_header("retry-after", "10")
        } else {
            MockResponse::new(200)
        }
    });
    let svc = TransportBuilder::new()
        .token("polar_oat_rate_test")
        .rate_limit(RateLimitConfig::new(100, Duration::from_secs(1)))
        .call_timeout(Duration::from_secs(1))
        .build_with(mock.clone())
        .unwrap();
    assert_eq!(svc.clone().oneshot(get()).await.unwrap().status(), 429);
    // The next call would wait 10 s in the limiter: it fails at once, unsent, and says when to
    // send it again.
    let start = Instant::now();
    let err = svc.clone().oneshot(get()).await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::ZERO, "no wait for the deadline");
    let err = err.downcast_ref::<polar_transport::Error>().unwrap();
    assert_eq!(err.kind(), polar_transport::ErrorKind::CallTimeout);
    let later = err
        .retry_later()
        .expect("a request never sent may be sent again");
    assert_eq!(later.wait(), Duration::from_secs(10));
    assert_eq!(later.attempts(), 0, "the unsent attempt is not counted");
    assert_eq!(times.lock().unwrap().len(), 1, "nothing was sent");
    // Sent again after the wait, it goes through.
    tokio::time::sleep(later.wait()).await;
    let mut req = get();
    let mut options = polar_transport::RequestOptions::default();
    options.resume = Some(later);
    req.extensions_mut().insert(options);
    assert_eq!(svc.oneshot(req).await.unwrap().status(), 200);
    assert_eq!(times.lock().unwrap().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_window_that_frees_no_slot_within_the_call_gives_the_request_back_unsent() {
    // One request per 10 s, calls of 1 s: the second caller's slot frees 10 s after the first
    // request ended.
    let (mock, times) = recording_mock(|_| MockResponse::new(200));
    let svc = TransportBuilder::new()
        .token("polar_oat_rate_test")
        .rate_limit(RateLimitConfig::new(1, Duration::from_secs(10)))
        .call_timeout(Duration::from_secs(1))
        .build_with(mock.clone())
        .unwrap();
    assert_eq!(svc.clone().oneshot(get()).await.unwrap().status(), 200);
    let err = svc.clone().oneshot(get()).await.unwrap_err();
    let err = err.downcast_ref::<polar_transport::Error>().unwrap();
    assert_eq!(err.kind(), polar_transport::ErrorKind::CallTimeout);
    assert_eq!(times.lock().unwrap().len(), 1, "nothing was sent");
    let later = err
        .retry_later()
        .expect("a request never sent may be sent again");
    assert_eq!(later.wait(), Duration::from_secs(10));
    assert_eq!(later.attempts(), 0);
}
