//! The entitlements cache shared through a real `redis-server`: two handles in one process,
//! two members receiving webhooks with their deduplication in the same Redis, then a fleet of
//! three OS processes (`src/bin/entitlements_worker.rs`) with Redis killed and
//! restarted mid-run.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use polar_customers::types::{BenefitId, BenefitType};
use polar_customers::{Client, CustomerId};
use polar_e2e::redis_server::RedisServer;
use polar_entitlements::redis::SharedCache;
use polar_entitlements::{Applied, Entitlements, EntitlementsBuilder, Error};
use polar_fake::{CUSTOMER_EVENTS, FakePolar, Route, WebhookEndpoint, samples};
use polar_webhooks::dedup::RedisDedup;
use polar_webhooks::{Event, Receiver, Webhook};

fn client(fake: &FakePolar) -> Client {
    Client::builder()
        .token(fake.token())
        .disable_rate_limit()
        .build_with(fake.clone())
        .unwrap()
}

/// A new customer of the fake, with an external ID.
async fn customer(fake: &FakePolar, email: &str, external_id: &str) -> CustomerId {
    client(fake)
        .customers()
        .create()
        .email(email)
        .external_id(external_id)
        .await
        .unwrap()
        .id()
}

fn state_calls(fake: &FakePolar) -> u64 {
    let s = fake.stats();
    s.operation(Route::CustomersGetState) + s.operation(Route::CustomersGetStateExternal)
}

/// `customer.state_changed` with the customer's state as the fake holds it now.
async fn state_event(fake: &FakePolar, id: CustomerId) -> Event {
    Event::CustomerStateChanged {
        timestamp: jiff::Timestamp::now(),
        data: client(fake).customers().get_state(id).await.unwrap(),
    }
}

fn prefix(fake: &FakePolar) -> String {
    format!(
        "polar:entitlements:{}:{}",
        fake.organization_id(),
        uuid::Uuid::new_v4()
    )
}

async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check().await {
        assert!(Instant::now() < deadline, "not within 10 s: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_handles_share_fetches_and_webhooks_through_redis() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let fake = FakePolar::new();
    let id = customer(&fake, "pair@polar.sh", "pair").await;
    let grant = samples::benefit_grant(BenefitType::FeatureFlag);
    fake.add_benefit_grant(id, &grant);
    let prefix = prefix(&fake);
    let handle = || {
        let shared = SharedCache::new(&redis.url(), prefix.clone()).unwrap();
        let handle = Entitlements::builder(client(&fake), fake.organization_id())
            .shared(shared.clone())
            .build();
        (handle, shared)
    };
    let ((a, shared_a), (b, shared_b)) = (handle(), handle());
    eventually("both subscribed", async || {
        shared_a.is_shared() && shared_b.is_shared()
    })
    .await;
    fake.reset_stats();

    assert!(a.has_benefit(id, grant.benefit_id).await.unwrap());
    assert!(b.has_benefit(id, grant.benefit_id).await.unwrap());
    assert!(b.has_benefit("pair", grant.benefit_id).await.unwrap());
    assert_eq!(
        state_calls(&fake),
        1,
        "the second handle learnt it through Redis"
    );
    assert_eq!(b.stats().api_fetches, 0);

    let unknown = CustomerId::new_v4();
    assert!(a.state(unknown).await.unwrap().is_none());
    assert!(b.state(unknown).await.unwrap().is_none());
    assert_eq!(
        state_calls(&fake),
        2,
        "the unknown customer was asked about once"
    );

    fake.revoke_benefit_grant(id, grant.id);
    let revoked = state_event(&fake, id).await;
    fake.reset_stats();
    assert_eq!(a.apply(&revoked).await, Applied::Updated);
    eventually("b sees a's webhook", async || {
        !b.has_benefit(id, grant.benefit_id).await.unwrap()
    })
    .await;
    assert_eq!(state_calls(&fake), 0);
}

/// One process of a fleet as `docs/entitlements.md` ("A fleet") sets it up: the shared cache
/// and the webhook receiver's deduplication in the same Redis.
fn fleet_member(fake: &FakePolar, redis_url: &str, prefix: &str, secret: &str) -> Member {
    let shared = SharedCache::new(redis_url, prefix).unwrap();
    let entitlements = Entitlements::builder(client(fake), fake.organization_id())
        .shared(shared.clone())
        .build();
    let dedup = RedisDedup::new(redis_url).unwrap();
    let webhooks = Receiver::new(Webhook::new(secret).unwrap(), entitlements.clone()).dedup(dedup);
    Member {
        entitlements,
        shared,
        webhooks,
    }
}

struct Member {
    entitlements: Entitlements,
    shared: SharedCache,
    webhooks: Receiver,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_applies_each_delivery_once_and_every_member_sees_it() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let fake = FakePolar::new();
    let id = customer(&fake, "hooks@polar.sh", "fleet_hooks").await;
    // Polar delivers to member `a`; `b` sits behind the same endpoint.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhooks/polar", listener.local_addr().unwrap());
    let endpoint = WebhookEndpoint::new(&url, CUSTOMER_EVENTS).unwrap();
    let prefix = prefix(&fake);
    let a = fleet_member(&fake, &redis.url(), &prefix, endpoint.secret());
    let b = fleet_member(&fake, &redis.url(), &prefix, endpoint.secret());
    let app = axum::Router::new().route_service("/webhooks/polar", a.webhooks.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    fake.add_webhook_endpoint(endpoint);
    // Built inside a runtime, each member subscribes to the broadcast at once; a first
    // question puts the customer in both memories.
    assert!(a.entitlements.state(id).await.unwrap().is_some());
    assert!(b.entitlements.state(id).await.unwrap().is_some());
    eventually("both subscribed", async || {
        a.shared.is_shared() && b.shared.is_shared()
    })
    .await;
    fake.reset_stats();

    let grant = samples::benefit_grant(BenefitType::FeatureFlag);
    fake.add_benefit_grant(id, &grant);
    tokio::time::timeout(Duration::from_secs(10), fake.webhooks_settled())
        .await
        .unwrap();
    let delivered = fake.webhook_deliveries().pop().unwrap();
    assert_eq!(
        (delivered.event_type.as_str(), delivered.status),
        ("customer.state_changed", Some(200))
    );
    assert!(
        a.entitlements
            .has_benefit(id, grant.benefit_id)
            .await
            .unwrap()
    );
    eventually("b sees the grant a received", async || {
        b.entitlements
            .has_benefit("fleet_hooks", grant.benefit_id)
            .await
            .unwrap()
    })
    .await;
    assert_eq!(state_calls(&fake), 0, "no member asked Polar");

    // Polar retries the delivery and the balancer sends it to `b`: acknowledged through the
    // shared deduplication, not applied again.
    let mut retry = http::Request::post("/webhooks/polar")
        .body(http_body_util::Full::new(delivered.body.clone()))
        .unwrap();
    *retry.headers_mut() = delivered.headers.clone();
    let answer = b.webhooks.receive(retry).await;
    assert_eq!(answer.status(), 200);
    let text = http_body_util::BodyExt::collect(answer.into_body())
        .await
        .unwrap()
        .to_bytes();
    assert_eq!(String::from_utf8_lossy(&text), "already processed");
    assert_eq!(b.entitlements.stats().webhook_updates, 0);
    assert_eq!(a.entitlements.stats().webhook_updates, 1);
}

/// Two handles of one organization sharing a cache under a new prefix, the cache's settings
/// made by `cache` and the handle's by `settings`; returned with their shared caches once both
/// are subscribed.
async fn pair(
    redis: &RedisServer,
    fake: &FakePolar,
    cache: impl Fn(SharedCache) -> SharedCache,
    settings: impl Fn(EntitlementsBuilder) -> EntitlementsBuilder,
) -> [(Entitlements, SharedCache); 2] {
    let prefix = prefix(fake);
    let member = || {
        let shared = cache(SharedCache::new(&redis.url(), prefix.clone()).unwrap());
        let builder = Entitlements::builder(client(fake), fake.organization_id());
        (settings(builder).shared(shared.clone()).build(), shared)
    };
    let pair = [member(), member()];
    eventually("both subscribed", async || {
        pair.iter().all(|(_, shared)| shared.is_shared())
    })
    .await;
    pair
}

/// Before `redis_link::millis` capped expiries, `max_staleness(Duration::MAX)` made Redis
/// refuse the expiry of every shared write, and each write counted as an outage.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_maximum_staleness_still_shares_webhooks() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let fake = FakePolar::new();
    let id = customer(&fake, "endless@polar.sh", "endless").await;
    let grant = samples::benefit_grant(BenefitType::FeatureFlag);
    let [(a, shared_a), (b, _)] = pair(
        &redis,
        &fake,
        |shared| shared,
        |builder| builder.max_staleness(Duration::MAX),
    )
    .await;
    assert!(!b.has_benefit(id, grant.benefit_id).await.unwrap());
    fake.add_benefit_grant(id, &grant);
    let granted = state_event(&fake, id).await;
    fake.reset_stats();

    assert_eq!(a.apply(&granted).await, Applied::Updated);
    assert!(shared_a.is_shared(), "the write counted no outage");
    eventually("b sees a's webhook", async || {
        b.has_benefit(id, grant.benefit_id).await.unwrap()
    })
    .await;
    assert_eq!(state_calls(&fake), 0);
}

/// A command timeout marks Redis away while the subscription stays up: the outage ends
/// without a resubscription, and what a webhook changed meanwhile is still written to Redis
/// and broadcast.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_kept_while_redis_stalled_reaches_the_fleet_when_it_answers_again() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let fake = FakePolar::new();
    let id = customer(&fake, "stall@polar.sh", "stall").await;
    let grant = samples::benefit_grant(BenefitType::FeatureFlag);
    fake.add_benefit_grant(id, &grant);
    let stalls = |shared: SharedCache| {
        shared
            .command_timeout(Duration::from_millis(100))
            .reconnect_interval(Duration::from_millis(100))
    };
    let [(a, shared_a), (b, _)] = pair(&redis, &fake, stalls, |builder| builder).await;
    assert!(a.has_benefit(id, grant.benefit_id).await.unwrap());
    assert!(b.has_benefit(id, grant.benefit_id).await.unwrap());
    fake.revoke_benefit_grant(id, grant.id);
    let revoked = state_event(&fake, id).await;
    fake.reset_stats();

    // Redis holds every write for 1.5 s (the subscriptions stay up): a's write of the
    // webhook times out and is kept.
    let mut admin = redis::Client::open(redis.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(1500)
        .arg("WRITE")
        .query_async::<()>(&mut admin)
        .await
        .unwrap();
    assert_eq!(a.apply(&revoked).await, Applied::Updated);
    assert!(!shared_a.is_shared(), "a took Redis as away");
    assert!(!a.has_benefit(id, grant.benefit_id).await.unwrap());

    // The pause ends on its own; b hears of the revocation only through Redis.
    eventually("b sees the revocation a kept", async || {
        !b.has_benefit(id, grant.benefit_id).await.unwrap()
    })
    .await;
    // b may hear the broadcast before a reads the script's answer that ends its outage.
    eventually("a's outage ended", async || shared_a.is_shared()).await;
    assert_eq!(b.stats().api_fetches, 0);
    assert_eq!(state_calls(&fake), 0, "nobody asked Polar");
}

/// A value in Redis that is not a state (a damaged entry, another version's format) is no
/// answer: Polar is asked, and its answer replaces it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_in_redis_that_cannot_be_read_is_asked_of_polar() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let fake = FakePolar::new();
    let id = customer(&fake, "damaged@polar.sh", "damaged").await;
    let prefix = prefix(&fake);
    let mut conn = redis::Client::open(redis.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let now_ms = jiff::Timestamp::now().as_millisecond();
    redis::cmd("HSET")
        .arg(format!("{prefix}:c:{id}"))
        .arg(&["o", "1"])
        .arg(&["k", &now_ms.to_string()])
        .arg(&["v", "{\"not\": \"a state\"}"])
        .query_async::<()>(&mut conn)
        .await
        .unwrap();
    let member = || {
        let shared = SharedCache::new(&redis.url(), prefix.clone()).unwrap();
        let handle = Entitlements::builder(client(&fake), fake.organization_id())
            .shared(shared.clone())
            .build();
        (handle, shared)
    };
    let (a, shared_a) = member();
    eventually("subscribed", async || shared_a.is_shared()).await;
    fake.reset_stats();

    let state = a.state(id).await.unwrap();
    assert_eq!(
        state.map(|s| s.state().id()),
        Some(id),
        "not taken as unknown"
    );
    assert_eq!(state_calls(&fake), 1);
    assert_eq!(a.stats().shared_hits, 0);

    // Polar's answer replaced the damaged value.
    let (b, _) = member();
    assert!(b.state(id).await.unwrap().is_some());
    assert_eq!(b.stats().shared_hits, 1);
    assert_eq!(state_calls(&fake), 1);
}

/// `refresh` asks Polar even when Redis holds the customer's state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_asks_polar_not_the_shared_level() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let fake = FakePolar::new();
    let id = customer(&fake, "refresh@polar.sh", "refresh").await;
    let grant = samples::benefit_grant(BenefitType::FeatureFlag);
    let [(a, _), (b, _)] = pair(&redis, &fake, |shared| shared, |builder| builder).await;
    assert!(!a.has_benefit(id, grant.benefit_id).await.unwrap());
    // Granted at Polar, with no webhook wired: Redis still holds the state without it.
    fake.add_benefit_grant(id, &grant);
    fake.reset_stats();

    let state = b.refresh(id).await.unwrap().unwrap();
    assert!(state.has_benefit(grant.benefit_id));
    assert_eq!(state_calls(&fake), 1);
    assert!(b.has_benefit(id, grant.benefit_id).await.unwrap());
    assert!(b.has_benefit("refresh", grant.benefit_id).await.unwrap());
}

/// When Polar cannot answer, a state another process learnt is served from Redis while it is
/// younger than the maximum staleness, even past this process's lifetime and with nothing of
/// the customer in its memory; older, the question fails. A negative record follows the same
/// rule as memory's, and a record that cannot be read is no answer (never "unknown").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_polar_cannot_answer_a_state_in_redis_serves_until_the_max_staleness() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let fake = FakePolar::new();
    let id = customer(&fake, "outage@polar.sh", "outage").await;
    let grant = samples::benefit_grant(BenefitType::FeatureFlag);
    fake.add_benefit_grant(id, &grant);
    let unknown = CustomerId::new_v4();
    let damaged = CustomerId::new_v4();
    let prefix = prefix(&fake);
    let member = |client: Client, settings: fn(EntitlementsBuilder) -> EntitlementsBuilder| {
        let shared = SharedCache::new(&redis.url(), prefix.clone()).unwrap();
        let builder = Entitlements::builder(client, fake.organization_id());
        (settings(builder).shared(shared.clone()).build(), shared)
    };

    // `a` learns the state and that `unknown` is unknown; Redis keeps both for a minute.
    let (a, _) = member(client(&fake), |b| {
        b.negative_ttl(Duration::from_secs(60))
            .max_staleness(Duration::from_secs(60))
    });
    assert!(a.has_benefit(id, grant.benefit_id).await.unwrap());
    assert!(a.state(unknown).await.unwrap().is_none());
    let mut conn = redis::Client::open(redis.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let now_ms = jiff::Timestamp::now().as_millisecond();
    redis::cmd("HSET")
        .arg(format!("{prefix}:c:{damaged}"))
        .arg(&["o", "1"])
        .arg(&["k", &now_ms.to_string()])
        .arg(&["v", "{\"not\": \"a state\"}"])
        .query_async::<()>(&mut conn)
        .await
        .unwrap();
    // Every record is now older than the lifetimes below (100 ms).
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Polar is down, for clients that do not retry.
    fake.fail_next(1_000, http::StatusCode::SERVICE_UNAVAILABLE);
    let down = || {
        Client::builder()
            .token(fake.token())
            .disable_rate_limit()
            .retry(polar_customers::RetryConfig::disabled())
            .build_with(fake.clone())
            .unwrap()
    };
    let (b, shared_b) = member(down(), |b| {
        b.ttl(Duration::from_millis(100))
            .negative_ttl(Duration::from_millis(100))
            .max_staleness(Duration::from_secs(60))
    });
    eventually("b subscribed", async || shared_b.is_shared()).await;
    assert!(
        b.has_benefit(id, grant.benefit_id).await.unwrap(),
        "the state a learnt, from Redis"
    );
    assert!(
        b.has_benefit("outage", grant.benefit_id).await.unwrap(),
        "by the external ID too"
    );
    assert!(
        b.state(unknown).await.unwrap().is_none(),
        "the negative record, as memory's"
    );
    let err = b.state(damaged).await.unwrap_err();
    assert!(matches!(err, Error::Polar { .. }), "{err:?}");
    let stats = b.stats();
    assert_eq!(
        stats.api_fetches, stats.fetch_errors,
        "Polar answered nothing"
    );
    assert_eq!(stats.stale_served, 3, "{stats:?}");
    assert_eq!(stats.shared_hits, 0, "nothing was within the lifetime");

    // A maximum staleness shorter than the records' age: an error, with the age it had.
    let (c, shared_c) = member(down(), |b| {
        b.ttl(Duration::from_millis(100))
            .negative_ttl(Duration::from_millis(100))
            .max_staleness(Duration::from_millis(200))
    });
    eventually("c subscribed", async || shared_c.is_shared()).await;
    let err = c.has_benefit(id, grant.benefit_id).await.unwrap_err();
    let Error::Polar { last_known_age, .. } = &err else {
        panic!("{err:?}");
    };
    assert!(last_known_age.is_some(), "{err}");
    assert!(c.state(unknown).await.is_err());
    assert_eq!(c.stats().stale_served, 0);
}

/// One worker process, asked one line at a time.
struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Worker {
    fn start(base: &str, fake: &FakePolar, redis_url: &str, prefix: &str) -> Worker {
        let mut child = Command::new(env!("CARGO_BIN_EXE_entitlements_worker"))
            .args([
                base,
                fake.token(),
                &fake.organization_id().to_string(),
                redis_url,
                prefix,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start a worker");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Worker {
            child,
            stdin,
            stdout,
        }
    }

    fn ask(&mut self, line: &str) -> String {
        writeln!(self.stdin, "{line}").unwrap();
        let mut answer = String::new();
        self.stdout.read_line(&mut answer).unwrap();
        answer.trim().to_owned()
    }

    fn has(&mut self, id: CustomerId, benefit: BenefitId) -> String {
        self.ask(&format!("has {id} {benefit}"))
    }

    fn apply(&mut self, event: &Event) -> String {
        self.ask(&format!("apply {}", serde_json::to_string(event).unwrap()))
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !check() {
        assert!(Instant::now() < deadline, "not within 15 s: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_fleet_of_three_processes_shares_one_cache_and_survives_a_redis_restart() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    // The fake runs on a runtime of its own; this thread talks to the workers.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let fake = FakePolar::new();
    let server = runtime.block_on(fake.serve("127.0.0.1:0")).unwrap();
    let (id, g1, g2, g3) = runtime.block_on(async {
        let id = client(&fake)
            .customers()
            .create()
            .email("fleet@polar.sh")
            .await
            .unwrap()
            .id();
        let [g1, g2, g3] = [(); 3].map(|_| samples::benefit_grant(BenefitType::Custom));
        fake.add_benefit_grant(id, &g1);
        (id, g1, g2, g3)
    });
    let prefix = prefix(&fake);
    let mut workers: Vec<Worker> = (0..3)
        .map(|_| Worker::start(&server.url(), &fake, &redis.url(), &prefix))
        .collect();
    for w in &mut workers {
        until("the worker subscribed", || w.ask("shared") == "true");
    }
    fake.reset_stats();

    // One fetch for the fleet.
    for w in &mut workers {
        assert_eq!(w.has(id, g1.benefit_id), "true");
    }
    assert_eq!(
        state_calls(&fake),
        1,
        "one process asked Polar, the others read Redis"
    );

    // A webhook applied by one process is seen by the other two.
    fake.add_benefit_grant(id, &g2);
    let granted = runtime.block_on(state_event(&fake, id));
    assert_eq!(workers[0].apply(&granted), "Updated");
    for w in &mut workers[1..] {
        let started = Instant::now();
        until("the broadcast reached the worker", || {
            w.has(id, g2.benefit_id) == "true"
        });
        eprintln!("broadcast seen after {} ms", started.elapsed().as_millis());
    }

    // Redis goes away; a revocation reaches one process meanwhile.
    redis.kill();
    fake.revoke_benefit_grant(id, g1.id);
    let revoked = runtime.block_on(state_event(&fake, id));
    assert_eq!(workers[0].apply(&revoked), "Updated");
    assert_eq!(
        workers[0].has(id, g1.benefit_id),
        "false",
        "its own memory has it"
    );
    for w in &mut workers {
        until("the worker noticed the outage", || {
            // A question makes the worker try Redis; the answer may still be the old state.
            let _ = w.has(id, g2.benefit_id);
            w.ask("shared") == "false"
        });
        assert_ne!(
            w.has(id, g2.benefit_id).split(' ').next(),
            Some("error"),
            "questions go on without Redis"
        );
    }

    // Redis comes back (empty). Nothing wrong is served after every process rejoined, and
    // the answers come from what worker 0 wrote back to Redis, not from Polar (which holds the
    // revoked state too, so asking it would hide a lost write-back).
    redis.restart();
    for w in &mut workers {
        until("the worker rejoined", || w.ask("shared") == "true");
    }
    fake.reset_stats();
    for w in &mut workers {
        assert_eq!(
            w.has(id, g1.benefit_id),
            "false",
            "the revocation is not lost"
        );
        assert_eq!(w.has(id, g2.benefit_id), "true");
    }
    assert_eq!(
        state_calls(&fake),
        0,
        "every worker read the revocation worker 0 wrote back to Redis"
    );

    // And the broadcast works again.
    fake.add_benefit_grant(id, &g3);
    let granted = runtime.block_on(state_event(&fake, id));
    assert_eq!(workers[2].apply(&granted), "Updated");
    for w in &mut workers[..2] {
        until("the broadcast after the restart", || {
            w.has(id, g3.benefit_id) == "true"
        });
    }
    drop(workers);
    drop(server);
}

/// A reconnect interval as long as a `Duration` gets means "never try again": the outage
/// starts, the questions go on to Polar, and nothing overflows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_reconnect_interval_leaves_the_cache_working_alone() {
    // A port nothing listens on: bound, then let go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let fake = FakePolar::new();
    let id = customer(&fake, "alone@polar.sh", "alone").await;
    let grant = samples::benefit_grant(BenefitType::FeatureFlag);
    fake.add_benefit_grant(id, &grant);
    let shared = SharedCache::new(&format!("redis://127.0.0.1:{port}"), prefix(&fake))
        .unwrap()
        .reconnect_interval(Duration::MAX);
    let handle = Entitlements::builder(client(&fake), fake.organization_id())
        .shared(shared.clone())
        .build();

    assert!(handle.has_benefit(id, grant.benefit_id).await.unwrap());
    assert!(handle.has_benefit("alone", grant.benefit_id).await.unwrap());
    assert!(!shared.is_shared());
    assert_eq!(handle.stats().shared_hits, 0);
}
