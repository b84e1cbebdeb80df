//! The deduplication contract of `polar_webhooks::dedup`, for the in-process store and for the
//! Redis store against a real `redis-server` started by each test: one claim wins, a failed
//! processing is processed again, an expired lease is taken over without the late holder
//! dropping it, and a fleet of stores on one Redis shares every id.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use polar_e2e::redis_server::RedisServer;
use polar_webhooks::dedup::{Claim, Dedup, Lease, MemoryDedup, RedisDedup};

/// The lease of every store but the expiring holder's: far longer than any check takes, so an
/// `InProgress` never depends on how fast the machine is.
const LONG: Duration = Duration::from_secs(60);
/// The lease of a holder that dies, in the expiry section.
const SHORT: Duration = Duration::from_millis(300);

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
/// store twice in memory), both with long leases.
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

/// A holder that died: its lease (`dead`'s, short) expires once `expire` is done and a retry
/// takes the id over through `b` (long lease); the late holder's release does not drop the new
/// lease, and the new holder's completion counts.
async fn a_dead_holders_lease_expires(
    dead: &dyn Dedup,
    a: &dyn Dedup,
    b: &dyn Dedup,
    expire: impl Future<Output = ()>,
) {
    let msg = id();
    let gone = lease(dead.claim(&msg).await.unwrap());
    expire.await;
    let taken = lease(b.claim(&msg).await.unwrap());
    dead.release(&msg, &gone).await.unwrap();
    assert_eq!(a.claim(&msg).await.unwrap(), Claim::InProgress);
    b.complete(&msg, &taken).await.unwrap();
    assert_eq!(a.claim(&msg).await.unwrap(), Claim::Done);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_memory_store_keeps_the_contract() {
    let store: Arc<dyn Dedup> = Arc::new(MemoryDedup::new(1000).lease(LONG));
    contract(store.clone(), store).await;

    // Expiry on a clock moved by hand: it stands still while the checks run.
    let start = Instant::now();
    let millis = Arc::new(AtomicU64::new(0));
    let now = millis.clone();
    let store = MemoryDedup::new(1000)
        .lease(SHORT)
        .clock(move || start + Duration::from_millis(now.load(Ordering::SeqCst)));
    let expire = async {
        millis.fetch_add(SHORT.as_millis() as u64 + 100, Ordering::SeqCst);
    };
    a_dead_holders_lease_expires(&store, &store, &store, expire).await;
}

fn redis_store(url: &str) -> RedisDedup {
    RedisDedup::new(url).unwrap().lease(LONG)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_redis_stores_on_one_server_keep_the_contract_together() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let (a, b) = (redis_store(&server.url()), redis_store(&server.url()));
    let (a, b): (Arc<dyn Dedup>, Arc<dyn Dedup>) = (Arc::new(a), Arc::new(b));
    contract(a.clone(), b.clone()).await;

    // The dying holder is a third process, with a short lease; Redis expires it on its clock.
    let dead = RedisDedup::new(&server.url()).unwrap().lease(SHORT);
    let expire = async { tokio::time::sleep(SHORT + Duration::from_millis(100)).await };
    a_dead_holders_lease_expires(&dead, &*a, &*b, expire).await;
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
    let key = format!("test:hooks:{msg}");

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

async fn pause_redis(url: &str, pause: Duration) {
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let () = redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(pause.as_millis() as u64)
        .arg("ALL")
        .query_async(&mut conn)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stalled_or_down_is_an_error_and_the_store_recovers_after_its_reconnect_interval() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    // Tries Redis again on every call once it failed. Its command timeout leaves room for the
    // first call's connect on a machine busy with other tests (500 ms was cut short in CI).
    let eager = RedisDedup::new(&server.url())
        .unwrap()
        .command_timeout(Duration::from_secs(2))
        .reconnect_interval(Duration::ZERO);
    // Waits a minute before trying again: longer than this test.
    let patient = RedisDedup::new(&server.url())
        .unwrap()
        .command_timeout(Duration::from_secs(2))
        .reconnect_interval(Duration::from_secs(60));
    let msg = id();
    let held = lease(eager.claim(&msg).await.unwrap());
    assert_eq!(patient.claim(&msg).await.unwrap(), Claim::InProgress);

    // A stalled Redis (connected, answering nothing for 20 s): the claim ends with an error
    // well before Redis would answer it: the store's command timeout (2 s here) ends it.
    pause_redis(&server.url(), Duration::from_secs(20)).await;
    let stalled = tokio::time::timeout(Duration::from_secs(10), eager.claim(&id()))
        .await
        .expect("the claim waited for the stalled Redis instead of its command timeout");
    let err = stalled.unwrap_err();
    assert!(err.to_string().contains("deduplication store"), "{err}");

    // A Redis that is gone: the calls fail.
    server.kill();
    assert!(eager.complete(&msg, &held).await.is_err());
    assert!(patient.claim(&id()).await.is_err());

    // Back (empty): the eager store reconnects on its next call; the patient one is not tried
    // again within its reconnect interval, so it still fails.
    server.restart();
    let again = lease(eager.claim(&msg).await.unwrap());
    eager.complete(&msg, &again).await.unwrap();
    assert_eq!(eager.claim(&msg).await.unwrap(), Claim::Done);
    assert!(
        patient.claim(&msg).await.is_err(),
        "tried within its interval"
    );
}
