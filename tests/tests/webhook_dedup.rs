//! The deduplication contract of `polar_webhooks::dedup`, for the in-process store and for the
//! Redis store against a real `redis-server` started by each test: one claim wins, a failed
//! processing is processed again, an expired lease is taken over without the late holder
//! dropping it, and a fleet of stores on one Redis shares every id.

use std::sync::Arc;
use std::time::Duration;

use polar_e2e::redis_server::RedisServer;
use polar_webhooks::dedup::{Claim, Dedup, Lease, MemoryDedup, RedisDedup};

const LEASE: Duration = Duration::from_millis(300);

fn lease(claim: Claim) -> Lease {
    match claim {
        Claim::New(lease) => lease,
        other => panic!("expected a new claim, got {other:?}"),
    }
}

fn id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The contract, for two handles on one store (two processes of a fleet for Redis; the same
/// store twice in memory).
async fn contract(a: Arc<dyn Dedup>, b: Arc<dyn Dedup>) {
    // The first copy is claimed; a copy meanwhile is in progress; once completed, done.
    let msg = id();
    let first = lease(a.claim(&msg).await.unwrap());
    assert_eq!(b.claim(&msg).await.unwrap(), Claim::InProgress);
    a.complete(&msg, &first).await.unwrap();
    assert_eq!(b.claim(&msg).await.unwrap(), Claim::Done);
    assert_eq!(a.claim(&msg).await.unwrap(), Claim::Done);

    // A failed processing releases the id: the retry is processed again.
    let msg = id();
    let failed = lease(a.claim(&msg).await.unwrap());
    a.release(&msg, &failed).await.unwrap();
    let retry = lease(b.claim(&msg).await.unwrap());
    assert_ne!(retry, failed);
    // A release with a lease that no longer holds the id changes nothing.
    a.release(&msg, &failed).await.unwrap();
    assert_eq!(a.claim(&msg).await.unwrap(), Claim::InProgress);
    b.complete(&msg, &retry).await.unwrap();
    a.release(&msg, &failed).await.unwrap();
    assert_eq!(a.claim(&msg).await.unwrap(), Claim::Done);

    // A holder that died: its lease expires and a retry takes the id over; the late holder's
    // release does not drop the new lease, and its completion still counts (it did finish).
    let msg = id();
    let dead = lease(a.claim(&msg).await.unwrap());
    tokio::time::sleep(LEASE + Duration::from_millis(100)).await;
    let taken = lease(b.claim(&msg).await.unwrap());
    a.release(&msg, &dead).await.unwrap();
    assert_eq!(a.claim(&msg).await.unwrap(), Claim::InProgress);
    b.complete(&msg, &taken).await.unwrap();
    assert_eq!(a.claim(&msg).await.unwrap(), Claim::Done);

    // Many copies at once: exactly one claim wins.
    let msg = id();
    let claims = (0..32).map(|i| {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        let msg = msg.clone();
        tokio::spawn(async move { store.claim(&msg).await.unwrap() })
    });
    let mut won = 0;
    for claim in claims {
        match claim.await.unwrap() {
            Claim::New(_) => won += 1,
            Claim::InProgress => {}
            Claim::Done => panic!("nobody completed"),
        }
    }
    assert_eq!(won, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_memory_store_keeps_the_contract() {
    let store: Arc<dyn Dedup> = Arc::new(MemoryDedup::new(1000).lease(LEASE));
    contract(store.clone(), store).await;
}

fn redis_store(url: &str) -> RedisDedup {
    RedisDedup::new(url).unwrap().lease(LEASE)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_redis_stores_on_one_server_keep_the_contract_together() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let (a, b) = (redis_store(&server.url()), redis_store(&server.url()));
    contract(Arc::new(a), Arc::new(b)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_keeps_one_key_per_id_that_expires_on_its_own() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let store = RedisDedup::new(&server.url())
        .unwrap()
        .key_prefix("test:hooks:")
        .remember(Duration::from_secs(120));
    let client = redis::Client::open(server.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let msg = id();
    let key = store.key(&msg);
    assert_eq!(key, format!("test:hooks:{msg}"));

    let held = lease(store.claim(&msg).await.unwrap());
    let value: String = redis::cmd("GET")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(value, held.token());
    let ttl: i64 = redis::cmd("PTTL")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!((50_000..=60_000).contains(&ttl), "lease ttl {ttl} ms");

    store.complete(&msg, &held).await.unwrap();
    let value: String = redis::cmd("GET")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(value, "done");
    let ttl: i64 = redis::cmd("PTTL")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!((110_000..=120_000).contains(&ttl), "done ttl {ttl} ms");
    // Nothing else was written.
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(keys, [key]);
    // The URL (which may hold a password) stays out of Debug.
    let shown = format!("{store:?}");
    assert!(!shown.contains("127.0.0.1"), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_is_an_error_within_the_timeout_and_recovers() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let store = RedisDedup::new(&server.url())
        .unwrap()
        .command_timeout(Duration::from_millis(500));
    let msg = id();
    let held = lease(store.claim(&msg).await.unwrap());
    server.kill();
    let started = std::time::Instant::now();
    let err = store.claim(&id()).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(err.to_string().contains("deduplication store"), "{err}");
    assert!(store.complete(&msg, &held).await.is_err());
    // Back (empty): the store reconnects on its own.
    server.restart();
    let again = lease(store.claim(&msg).await.unwrap());
    store.complete(&msg, &again).await.unwrap();
    assert_eq!(store.claim(&msg).await.unwrap(), Claim::Done);
}
