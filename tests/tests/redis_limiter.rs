//! The rate-limit budget kept in Redis (`polar_transport::redis_store`), against a real
//! `redis-server` started by each test: one budget for every store on the same key, an atomic
//! check-and-take, a shared 429 cooldown, and calls that go on while Redis is down.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use polar_e2e::redis_server::{RedisServer, redis_url};
use polar_e2e::{Harness, Transport};
use polar_fake::FakePolar;
use polar_transport::ratelimit::{RateLimitConfig, RateLimitStore, RateLimiter, Slot};
use polar_transport::redis_store::RedisStore;

fn key() -> String {
    format!("polar-test:{}", uuid::Uuid::new_v4())
}

/// One "process": its own store on the shared key, driven as the rate-limit layer drives it
/// (through the public `RateLimitStore` trait).
fn limiter(url: &str, key: &str, config: RateLimitConfig) -> (Arc<RedisStore>, Limiter) {
    let store = Arc::new(RedisStore::new(url, key, config).unwrap());
    (store.clone(), Limiter(store))
}

#[derive(Clone)]
struct Limiter(Arc<RedisStore>);

/// A granted slot; dropping it ends its request, as the layer's permit does.
struct Permit(Arc<RedisStore>, Option<Slot>);

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(slot) = self.1.take() {
            self.0.finished(slot);
        }
    }
}

impl Limiter {
    async fn acquire(&self) -> Permit {
        let slot = self.0.acquire().await;
        Permit(self.0.clone(), Some(slot))
    }

    fn cool_down(&self, wait: Duration) {
        self.0.cool_down(wait);
    }
}

/// Permits granted within `wait` (each released at once).
async fn grants_within(limiter: &Limiter, wait: Duration) -> bool {
    tokio::time::timeout(wait, limiter.acquire()).await.is_ok()
}

#[tokio::test]
async fn stores_on_one_key_share_one_budget() {
    let Some((url, _server)) = redis_url() else {
        return;
    };
    let config = RateLimitConfig::new(10, Duration::from_secs(60));
    let key = key();
    let (_, a) = limiter(&url, &key, config);
    let (_, b) = limiter(&url, &key, config);
    for _ in 0..5 {
        drop(a.acquire().await);
        drop(b.acquire().await);
    }
    // Ten permits between them: neither gets an eleventh, as each would if it paced alone.
    assert!(!grants_within(&a, Duration::from_millis(300)).await);
    assert!(!grants_within(&b, Duration::from_millis(300)).await);
    // Another organization's key has its own budget.
    let (_, other) = limiter(&url, &self::key(), config);
    assert!(grants_within(&other, Duration::from_secs(5)).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_and_take_is_atomic_under_contention() {
    let Some((url, _server)) = redis_url() else {
        return;
    };
    // Four "processes", 25 callers each, race for 30 slots of a long window.
    let config = RateLimitConfig::new(30, Duration::from_secs(60));
    let key = key();
    let granted = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (_, limiter) = limiter(&url, &key, config);
        for _ in 0..25 {
            let (limiter, granted) = (limiter.clone(), granted.clone());
            tasks.push(tokio::spawn(async move {
                if grants_within(&limiter, Duration::from_secs(2)).await {
                    granted.fetch_add(1, Ordering::SeqCst);
                }
            }));
        }
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(granted.load(Ordering::SeqCst), 30);
}

#[tokio::test]
async fn a_permit_counts_from_when_its_request_ended() {
    let Some((url, _server)) = redis_url() else {
        return;
    };
    let key = key();
    let (_, a) = limiter(
        &url,
        &key,
        RateLimitConfig::new(1, Duration::from_millis(300)),
    );
    let permit = a.acquire().await;
    // Held (the request is in flight) far longer than the window: no second permit.
    assert!(!grants_within(&a, Duration::from_millis(800)).await);
    drop(permit);
    assert!(grants_within(&a, Duration::from_secs(5)).await);
}

#[tokio::test]
async fn a_429_seen_by_one_process_pauses_all() {
    let Some((url, _server)) = redis_url() else {
        return;
    };
    let config = RateLimitConfig::new(100, Duration::from_secs(60));
    let key = key();
    let (_, a) = limiter(&url, &key, config);
    let (_, b) = limiter(&url, &key, config);
    a.cool_down(Duration::from_secs(3));
    // The cooldown reaches Redis in the background: wait until it is there.
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let cooldown_key = format!("{key}:cooldown");
    for _ in 0..100 {
        let ttl: i64 = redis::cmd("PTTL")
            .arg(&cooldown_key)
            .query_async(&mut conn)
            .await
            .unwrap();
        if ttl > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        !grants_within(&b, Duration::from_millis(1500)).await,
        "b paused by a's 429"
    );
    assert!(
        grants_within(&b, Duration::from_secs(5)).await,
        "and free after it"
    );
}

/// Collects what the tests log (the fallback's warning).
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn count(&self, needle: &str) -> usize {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .matches(needle)
            .count()
    }
}

#[tokio::test]
async fn calls_go_on_while_redis_is_down_and_the_limiter_rejoins() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::INFO)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let key = key();
    let store = Arc::new(
        RedisStore::builder(
            &server.url(),
            &key,
            RateLimitConfig::new(10_000, Duration::from_secs(60)),
        )
        .reconnect_interval(Duration::from_millis(200))
        .build()
        .unwrap(),
    );
    let h = Harness::start(Transport::InProcess, FakePolar::new()).await;
    let client = h.build(
        h.builder()
            .rate_limiter(RateLimiter::from_store(store.clone())),
    );
    let url = server.url();
    let entries = || {
        let url = url.clone();
        let key = key.clone();
        async move {
            let client = redis::Client::open(url.as_str()).unwrap();
            let mut conn = client.get_multiplexed_async_connection().await.unwrap();
            redis::cmd("ZCARD")
                .arg(&key)
                .query_async::<i64>(&mut conn)
                .await
                .unwrap()
        }
    };

    let mut created = 0usize;
    let mut create = |n: usize| {
        let from = created;
        created += n;
        client
            .customers()
            .bulk(from..from + n, |c, i| {
                c.create().email(format!("f{i}@polar.sh"))
            })
            .concurrency(4)
            .map(|(_, r)| r.expect("no call fails because of Redis"))
            .count()
    };

    assert_eq!(create(50).await, 50);
    assert!(store.is_shared());
    assert_eq!(entries().await, 50, "the budget is kept in Redis");

    server.kill();
    assert_eq!(create(50).await, 50, "calls go on without Redis");
    assert!(!store.is_shared());
    assert_eq!(create(50).await, 50);

    server.restart();
    // The store tries Redis again every 200 ms: calls made meanwhile rejoin it.
    let mut rounds = 0;
    while !store.is_shared() {
        assert_eq!(create(5).await, 5);
        tokio::time::sleep(Duration::from_millis(20)).await;
        rounds += 1;
        assert!(rounds < 500, "the limiter never rejoined Redis");
    }
    assert!(create(20).await == 20);
    assert!(entries().await >= 20, "the budget is kept in Redis again");

    assert_eq!(
        h.fake.customer_count(),
        created,
        "nothing lost, nothing twice"
    );
    assert_eq!(
        logs.count("Redis is unreachable"),
        1,
        "one warning per outage"
    );
    assert_eq!(logs.count("Redis is back"), 1);
}

// ---------------------------------------------------------------------------------------------
// Issue 22: each permit ends its own slot, cancellation leaves nothing taken, no time overflow,
// settings fixed before the store is shared

#[tokio::test]
async fn a_fallback_permit_that_ends_first_frees_its_own_slot() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    // One request per 300 ms.
    let (store, limiter) = limiter(
        &server.url(),
        &key(),
        RateLimitConfig::new(1, Duration::from_millis(300)),
    );
    let through_redis = limiter.acquire().await;
    assert!(store.is_shared());
    server.kill();
    let through_fallback = limiter.acquire().await;
    assert!(!store.is_shared(), "granted by the in-process fallback");
    // The fallback's request ends first; the one granted through Redis is still in flight.
    drop(through_fallback);
    // The fallback's slot is free again 300 ms after its request ended. Ending the Redis
    // permit instead would leave the fallback's slot taken until the other request ends.
    assert!(
        grants_within(&limiter, Duration::from_secs(3)).await,
        "the fallback's slot was not given back"
    );
    drop(through_redis);
}

/// A store of two slots a minute, one already used, and Redis paused for 400 ms (a slow Redis
/// the store does not give up on): an acquire given up 100 ms into its round trip.
async fn abandon_during_round_trip(url: &str, key: &str) -> (Arc<RedisStore>, Limiter) {
    let store = Arc::new(
        RedisStore::builder(url, key, RateLimitConfig::new(2, Duration::from_secs(60)))
            .command_timeout(Duration::from_secs(10))
            .build()
            .unwrap(),
    );
    let limiter = Limiter(store.clone());
    drop(limiter.acquire().await);
    let () = redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(400)
        .arg("ALL")
        .query_async(&mut connection(url).await)
        .await
        .unwrap();
    assert!(
        !grants_within(&limiter, Duration::from_millis(100)).await,
        "Redis is paused"
    );
    (store, limiter)
}

async fn connection(url: &str) -> redis::aio::MultiplexedConnection {
    let client = redis::Client::open(url).unwrap();
    client.get_multiplexed_async_connection().await.unwrap()
}

#[tokio::test]
async fn an_acquire_dropped_during_the_redis_round_trip_leaves_no_slot_taken() {
    let Some((url, _server)) = redis_url() else {
        return;
    };
    let key = key();
    let (store, limiter) = abandon_during_round_trip(&url, &key).await;
    // The next caller of the same process gets the second slot.
    assert!(
        grants_within(&limiter, Duration::from_secs(5)).await,
        "the abandoned acquire kept its slot"
    );
    assert!(store.is_shared(), "granted through Redis, not the fallback");
}

#[tokio::test]
async fn an_abandoned_entry_is_removed_for_other_processes_too() {
    let Some((url, _server)) = redis_url() else {
        return;
    };
    let key = key();
    let (_store, _limiter) = abandon_during_round_trip(&url, &key).await;
    // Nothing more from this process: the entry Redis added for the caller who gave up is
    // removed in the background, so other processes see one slot used, not two.
    let mut conn = connection(&url).await;
    let mut entries = 0;
    for _ in 0..250 {
        entries = redis::cmd("ZCARD")
            .arg(&key)
            .query_async::<i64>(&mut conn)
            .await
            .unwrap();
        if entries == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(entries, 1, "the abandoned entry is still counted");
}

#[tokio::test]
async fn huge_waits_and_intervals_never_panic() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let config = RateLimitConfig::new(5, Duration::from_secs(1)).max_cooldown(Duration::MAX);
    let store = Arc::new(
        RedisStore::builder(&server.url(), key(), config)
            .reconnect_interval(Duration::MAX)
            .build()
            .unwrap(),
    );
    let limiter = Limiter(store.clone());
    drop(limiter.acquire().await);
    // An outage whose next try is "never".
    server.kill();
    drop(limiter.acquire().await);
    assert!(!store.is_shared());
    // A 429 whose `Retry-After` is as long as a `Duration` gets: it holds every caller back.
    limiter.cool_down(Duration::MAX);
    assert!(!grants_within(&limiter, Duration::from_millis(200)).await);
}

/// Settings are made on the builder, before the store is shared (a built store has no setters:
/// see the `compile_fail` example in `redis_store`'s docs), and the store runs with them.
#[tokio::test]
async fn the_builders_settings_are_the_ones_the_store_runs_with() {
    let Some((url, _server)) = redis_url() else {
        return;
    };
    // One slot per 200 ms; an entry whose end is never reported stops counting as in flight
    // after 300 ms (instead of the default 120 s).
    let store = Arc::new(
        RedisStore::builder(
            &url,
            key(),
            RateLimitConfig::new(1, Duration::from_millis(200)),
        )
        .lease(Duration::from_millis(300))
        .build()
        .unwrap(),
    );
    let limiter = Limiter(store.clone());
    // A process that dies with its request in flight: its end is never reported.
    std::mem::forget(limiter.acquire().await);
    assert!(
        grants_within(&limiter, Duration::from_secs(5)).await,
        "the lease set on the builder ends the lost entry"
    );
    assert!(store.is_shared());
}

/// A TCP proxy in front of Redis that can hold the bytes going either way, then cut every
/// connection it holds (what it held is never delivered).
struct Proxy {
    url: String,
    state: Arc<Mutex<ProxyState>>,
}

#[derive(Default)]
struct ProxyState {
    hold_to_redis: bool,
    hold_to_client: bool,
    /// Bumped by a cut: connections of an earlier generation close.
    generation: u64,
}

impl Proxy {
    async fn start(redis_url: &str) -> Proxy {
        let upstream = redis_url.trim_start_matches("redis://").to_owned();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("redis://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(ProxyState::default()));
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else {
                    continue;
                };
                let generation = shared.lock().unwrap().generation;
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                tokio::spawn(Self::pump(
                    client_read,
                    server_write,
                    shared.clone(),
                    generation,
                    |s| s.hold_to_redis,
                ));
                tokio::spawn(Self::pump(
                    server_read,
                    client_write,
                    shared.clone(),
                    generation,
                    |s| s.hold_to_client,
                ));
            }
        });
        Proxy { url, state }
    }

    async fn pump(
        mut from: tokio::net::tcp::OwnedReadHalf,
        mut to: tokio::net::tcp::OwnedWriteHalf,
        state: Arc<Mutex<ProxyState>>,
        generation: u64,
        held: fn(&ProxyState) -> bool,
    ) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut buf = vec![0; 64 * 1024];
        loop {
            let n = match from.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            loop {
                {
                    let s = state.lock().unwrap();
                    if s.generation != generation {
                        return;
                    }
                    if !held(&s) {
                        break;
                    }
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            if to.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    }

    fn hold_to_client(&self) {
        self.state.lock().unwrap().hold_to_client = true;
    }

    fn hold_to_redis(&self) {
        self.state.lock().unwrap().hold_to_redis = true;
    }

    /// Closes every connection made so far, dropping what it held; new ones pass freely.
    fn cut(&self) {
        let mut s = self.state.lock().unwrap();
        s.generation += 1;
        s.hold_to_client = false;
        s.hold_to_redis = false;
    }
}

/// Entries in the budget's sorted set, once it holds `expected` (or after five seconds).
async fn entries_settle_at(url: &str, key: &str, expected: i64) -> i64 {
    let mut conn = connection(url).await;
    let mut entries = 0;
    for _ in 0..250 {
        entries = redis::cmd("ZCARD")
            .arg(key)
            .query_async::<i64>(&mut conn)
            .await
            .unwrap();
        if entries == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    entries
}

/// An acquire given up during its round trip while it carries the abandoned entries of an
/// earlier one to remove: those entries are still removed later (they were the only record of
/// an entry Redis holds in flight, which would otherwise shrink the budget for a lease).
#[tokio::test]
async fn abandoned_entries_carried_by_an_acquire_given_up_on_the_way_are_still_removed() {
    let Some((url, _server)) = redis_url() else {
        return;
    };
    let key = key();
    let proxy = Proxy::start(&url).await;
    let store = Arc::new(
        RedisStore::builder(
            &proxy.url,
            &key,
            RateLimitConfig::new(10, Duration::from_secs(60)),
        )
        .command_timeout(Duration::from_secs(10))
        .reconnect_interval(Duration::from_millis(20))
        .build()
        .unwrap(),
    );
    let limiter = Limiter(store.clone());
    drop(limiter.acquire().await);
    assert_eq!(entries_settle_at(&url, &key, 1).await, 1);

    // A: its script runs in Redis (entry A in flight), its answer never comes back.
    proxy.hold_to_client();
    let a = tokio::spawn({
        let limiter = limiter.clone();
        async move { grants_within(&limiter, Duration::from_millis(300)).await }
    });
    assert_eq!(
        entries_settle_at(&url, &key, 2).await,
        2,
        "A's entry is in Redis"
    );
    // B: queued behind A; when A gives up, B carries A's entry to remove, but its script
    // never reaches Redis, and B gives up too.
    proxy.hold_to_redis();
    let b = tokio::spawn({
        let limiter = limiter.clone();
        async move { grants_within(&limiter, Duration::from_millis(600)).await }
    });
    assert!(!a.await.unwrap());
    assert!(!b.await.unwrap());
    proxy.cut();

    // Once the store is back on Redis, A's entry is gone: the first entry and one new one.
    let mut shared = false;
    for _ in 0..250 {
        drop(limiter.acquire().await);
        if store.is_shared() {
            shared = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(shared, "the store never went back to Redis");
    assert_eq!(
        entries_settle_at(&url, &key, 2).await,
        2,
        "the abandoned entry is still counted"
    );
}

/// The link's command timeout is the only one: a command Redis answers after 1.2 s is not an
/// outage when the link waits up to 5 s. (The redis crate gives each connection its own 500 ms
/// response timeout unless told otherwise, which cut every longer setting short.)
#[tokio::test]
async fn a_command_answered_within_the_links_timeout_is_no_outage() {
    use polar_transport::redis_link::RedisLink;

    let Some((url, _server)) = redis_url() else {
        return;
    };
    let link = RedisLink::new(
        redis::Client::open(url.as_str()).unwrap(),
        Duration::from_secs(5),
        Duration::from_secs(60),
        "slow-answer",
        |_, _| {},
    );
    let mut conn = link.connection().await.expect("Redis is up");
    let () = redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(1200)
        .arg("ALL")
        .query_async(&mut connection(&url).await)
        .await
        .unwrap();
    let pong: Option<String> = link
        .bounded(redis::cmd("PING").query_async(&mut conn))
        .await;
    assert_eq!(pong.as_deref(), Some("PONG"), "answered after the pause");
    assert!(
        !link.is_down(),
        "a slow answer within the timeout is no outage"
    );
}
