//! `MemoryDedup`: leases and memories expire on its clock, and it never holds more than its
//! capacity. (The claim/complete/release contract, shared with `RedisDedup`, is tested for both
//! stores in `tests/tests/webhook_dedup.rs`.)

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use polar_webhooks::dedup::{Claim, Dedup, Lease, MemoryDedup};

/// A clock the test moves by hand.
#[derive(Clone)]
struct Clock {
    start: Instant,
    millis: Arc<AtomicU64>,
}

impl Clock {
    fn new() -> Clock {
        Clock {
            start: Instant::now(),
            millis: Arc::default(),
        }
    }

    fn advance(&self, by: Duration) {
        self.millis
            .fetch_add(by.as_millis() as u64, Ordering::SeqCst);
    }

    fn store(&self, capacity: usize) -> MemoryDedup {
        let clock = self.clone();
        MemoryDedup::new(capacity)
            .lease(Duration::from_secs(60))
            .remember(Duration::from_secs(3600))
            .clock(move || clock.start + Duration::from_millis(clock.millis.load(Ordering::SeqCst)))
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

fn claim(store: &MemoryDedup, id: &str) -> Claim {
    block_on(store.claim(id)).unwrap()
}

fn lease(claim: Claim) -> Lease {
    match claim {
        Claim::New(lease) => lease,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_lease_expires_so_a_crashed_processing_is_retried() {
    let clock = Clock::new();
    let store = clock.store(100);
    let _crashed = lease(claim(&store, "msg_1"));
    clock.advance(Duration::from_secs(59));
    assert_eq!(claim(&store, "msg_1"), Claim::InProgress);
    clock.advance(Duration::from_secs(1));
    let retried = lease(claim(&store, "msg_1"));
    block_on(store.complete("msg_1", &retried)).unwrap();
    assert_eq!(claim(&store, "msg_1"), Claim::Done);
}

#[test]
fn a_processed_id_is_remembered_for_its_time_then_forgotten() {
    let clock = Clock::new();
    let store = clock.store(100);
    let l = lease(claim(&store, "msg_1"));
    block_on(store.complete("msg_1", &l)).unwrap();
    clock.advance(Duration::from_secs(3599));
    assert_eq!(claim(&store, "msg_1"), Claim::Done);
    clock.advance(Duration::from_secs(1));
    assert!(matches!(claim(&store, "msg_1"), Claim::New(_)));
    // Expired entries are pruned as claims go by: the store does not grow with old ids.
    clock.advance(Duration::from_secs(3600));
    for i in 0..50 {
        let l = lease(claim(&store, &format!("later_{i}")));
        block_on(store.complete(&format!("later_{i}"), &l)).unwrap();
        clock.advance(Duration::from_secs(3601));
    }
    assert!(store.len() <= 2, "{}", store.len());
}

#[test]
fn the_store_never_holds_more_than_its_capacity_and_forgets_the_oldest_first() {
    let clock = Clock::new();
    let store = clock.store(3);
    for id in ["a", "b", "c", "d"] {
        let l = lease(claim(&store, id));
        block_on(store.complete(id, &l)).unwrap();
        clock.advance(Duration::from_millis(1));
    }
    assert_eq!(store.len(), 3);
    // "a" was forgotten (a copy of it would be processed again); the others are remembered.
    assert!(matches!(claim(&store, "a"), Claim::New(_)));
    assert_eq!(store.len(), 3);
    assert!(
        matches!(claim(&store, "b"), Claim::New(_)),
        "b was the oldest left"
    );
    assert_eq!(claim(&store, "d"), Claim::Done);
    // Many changes to few ids keep the bookkeeping bounded too.
    for _ in 0..10_000 {
        let l = lease(claim(&store, "d_retry"));
        block_on(store.release("d_retry", &l)).unwrap();
    }
    assert!(store.len() <= 3);
    let shown = format!("{store:?}");
    assert!(shown.contains("capacity: 3"), "{shown}");
}

#[test]
fn a_lease_and_a_memory_as_long_as_a_duration_gets_never_expire_and_never_panic() {
    // `Duration::MAX` past now is no `Instant`: it means "never", not an overflow.
    let clock = Clock::new();
    let store = clock
        .store(100)
        .lease(Duration::MAX)
        .remember(Duration::MAX);
    let held = lease(claim(&store, "msg_1"));
    clock.advance(Duration::from_secs(10 * 365 * 24 * 60 * 60));
    assert_eq!(claim(&store, "msg_1"), Claim::InProgress);
    block_on(store.complete("msg_1", &held)).unwrap();
    clock.advance(Duration::from_secs(10 * 365 * 24 * 60 * 60));
    assert_eq!(claim(&store, "msg_1"), Claim::Done);
}

#[test]
fn a_release_drops_only_the_lease_it_names() {
    let clock = Clock::new();
    let store = clock.store(100);
    let first = lease(claim(&store, "msg_1"));
    block_on(store.release("msg_1", &first)).unwrap();
    let second = lease(claim(&store, "msg_1"));
    assert_ne!(first, second);
    // The first lease (and a token no store made) leave the second in place.
    for stale in [first, Lease::new("not a number"), Lease::new("")] {
        block_on(store.release("msg_1", &stale)).unwrap();
        assert_eq!(claim(&store, "msg_1"), Claim::InProgress, "{stale:?}");
    }
    block_on(store.release("msg_1", &second)).unwrap();
    assert!(matches!(claim(&store, "msg_1"), Claim::New(_)));
}
