//! The caching rules, in-process against the fake: lifetimes under paused time, single flight,
//! negative entries, the last known state when Polar cannot answer, bounded memory.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use polar_customers::types::BenefitType;
use polar_customers::{Client, CustomerId};
use polar_entitlements::{CustomerKey, Entitlements, Error};
use polar_fake::{FakePolar, samples};

const TTL: Duration = Duration::from_secs(60);

fn handle(fake: &FakePolar) -> Entitlements {
    Entitlements::builder(in_process(fake), fake.organization_id())
        .ttl(TTL)
        .negative_ttl(Duration::from_secs(10))
        .max_staleness(Duration::from_secs(600))
        .build()
}

#[tokio::test(start_paused = true)]
async fn a_state_is_served_for_its_lifetime_then_fetched_again() {
    let fake = FakePolar::new();
    let id = customer(&fake, "ttl@polar.sh", "user_ttl").await;
    let grant = samples::benefit_grant(BenefitType::FeatureFlag);
    fake.add_benefit_grant(id, &grant);
    let ent = handle(&fake);

    assert!(ent.has_benefit(id, grant.benefit_id).await.unwrap());
    tokio::time::advance(TTL - Duration::from_secs(1)).await;
    assert!(ent.has_benefit(id, grant.benefit_id).await.unwrap());
    assert!(
        ent.has_benefit("user_ttl", grant.benefit_id).await.unwrap(),
        "the external ID is the same entry"
    );
    assert_eq!(state_calls(&fake), 1);

    // The grant goes at Polar; without webhooks the cache learns it when the lifetime ends.
    fake.revoke_benefit_grant(id, grant.id);
    assert!(
        ent.has_benefit(id, grant.benefit_id).await.unwrap(),
        "still within the lifetime"
    );
    tokio::time::advance(Duration::from_secs(2)).await;
    assert!(!ent.has_benefit(id, grant.benefit_id).await.unwrap());
    assert_eq!(state_calls(&fake), 2);
    let stats = ent.stats();
    assert_eq!((stats.api_fetches, stats.misses, stats.hits), (2, 2, 3));
}

#[tokio::test(start_paused = true)]
async fn stale_while_refresh_serves_the_old_state_once_and_refreshes_in_the_background() {
    let fake = FakePolar::new();
    let id = customer(&fake, "swr@polar.sh", "user_swr").await;
    let grant = samples::benefit_grant(BenefitType::Custom);
    fake.add_benefit_grant(id, &grant);
    let ent = Entitlements::builder(in_process(&fake), fake.organization_id())
        .ttl(TTL)
        .stale_while_refresh(Duration::from_secs(30))
        .build();
    assert!(ent.has_benefit(id, grant.benefit_id).await.unwrap());
    fake.revoke_benefit_grant(id, grant.id);
    tokio::time::advance(TTL + Duration::from_secs(1)).await;
    assert!(
        ent.has_benefit(id, grant.benefit_id).await.unwrap(),
        "inside the window the old state is served at once"
    );
    // The background fetch lands.
    for _ in 0..100 {
        if ent.stats().api_fetches == 2 && !ent.has_benefit(id, grant.benefit_id).await.unwrap() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert!(!ent.has_benefit(id, grant.benefit_id).await.unwrap());
    assert_eq!(state_calls(&fake), 2);
    // Past the window, a state is fetched before it is served.
    tokio::time::advance(TTL + Duration::from_secs(31)).await;
    assert!(!ent.has_benefit(id, grant.benefit_id).await.unwrap());
    assert_eq!(state_calls(&fake), 3);
}

async fn a_thousand_first_checks_make_one_call(client: Client, fake: FakePolar) {
    let id = customer(&fake, "crowd@polar.sh", "user_crowd").await;
    let grant = samples::benefit_grant(BenefitType::LicenseKeys);
    fake.add_benefit_grant(id, &grant);
    fake.reset_stats();
    // The answer takes a while, so every check arrives while the first fetch is in flight.
    fake.set_latency(Some(Duration::from_millis(200)));
    let ent = Entitlements::new(client, fake.organization_id());
    let barrier = Arc::new(tokio::sync::Barrier::new(1000));
    let checks: Vec<_> = (0..1000)
        .map(|_| {
            let (ent, barrier) = (ent.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                ent.has_benefit(id, grant.benefit_id).await
            })
        })
        .collect();
    for check in checks {
        assert!(check.await.unwrap().unwrap());
    }
    assert_eq!(state_calls(&fake), 1, "one request reached Polar");
    let stats = ent.stats();
    assert_eq!(stats.api_fetches, 1);
    assert_eq!(stats.coalesced + stats.hits, 999, "{stats:?}");
}

#[tokio::test(start_paused = true)]
async fn refresh_asks_polar_within_the_lifetime_and_its_answer_is_served() {
    let fake = FakePolar::new();
    let id = customer(&fake, "refresh@polar.sh", "user_refresh").await;
    let grant = samples::benefit_grant(BenefitType::FeatureFlag);
    let ent = handle(&fake);
    assert!(!ent.has_benefit(id, grant.benefit_id).await.unwrap());
    // Granted at Polar with no webhook: memory does not know it within the lifetime.
    fake.add_benefit_grant(id, &grant);
    assert!(!ent.has_benefit(id, grant.benefit_id).await.unwrap());
    assert_eq!(state_calls(&fake), 1);

    // By external ID, which memory maps to the customer's entry.
    let state = ent.refresh("user_refresh").await.unwrap().unwrap();
    assert!(state.has_benefit(grant.benefit_id));
    assert_eq!(state_calls(&fake), 2);
    assert!(ent.has_benefit(id, grant.benefit_id).await.unwrap());
    assert_eq!(
        state_calls(&fake),
        2,
        "the refreshed state is served from memory"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_first_checks_make_one_call_in_process() {
    let fake = FakePolar::new();
    a_thousand_first_checks_make_one_call(in_process(&fake), fake).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_first_checks_make_one_call_over_loopback() {
    let fake = FakePolar::new();
    let server = fake.serve("127.0.0.1:0").await.unwrap();
    a_thousand_first_checks_make_one_call(over_loopback(&server, fake.token()), fake).await;
}

#[tokio::test(start_paused = true)]
async fn an_unknown_customer_costs_one_call_per_negative_lifetime() {
    let fake = FakePolar::new();
    let ent = handle(&fake);
    let benefit = samples::benefit_grant(BenefitType::Custom).benefit_id;
    for _ in 0..50 {
        assert!(!ent.has_benefit("ghost", benefit).await.unwrap());
    }
    assert_eq!(
        fake.stats()
            .operation(polar_fake::Route::CustomersGetStateExternal),
        1
    );
    tokio::time::advance(Duration::from_secs(9)).await;
    assert!(!ent.has_benefit("ghost", benefit).await.unwrap());
    assert_eq!(
        fake.stats()
            .operation(polar_fake::Route::CustomersGetStateExternal),
        1
    );
    tokio::time::advance(Duration::from_secs(2)).await;
    assert!(!ent.has_benefit("ghost", benefit).await.unwrap());
    assert_eq!(
        fake.stats()
            .operation(polar_fake::Route::CustomersGetStateExternal),
        2
    );
}

#[tokio::test(start_paused = true)]
async fn customer_created_ends_the_negative_entry_at_once() {
    let fake = FakePolar::new();
    let ent = handle(&fake);
    assert!(ent.state("late_signup").await.unwrap().is_none());
    let id = customer(&fake, "late@polar.sh", "late_signup").await;
    let grant = samples::benefit_grant(BenefitType::Custom);
    fake.add_benefit_grant(id, &grant);
    // Still believed unknown until the event comes.
    assert!(ent.state("late_signup").await.unwrap().is_none());
    let created = polar_webhooks::Event::CustomerCreated {
        timestamp: jiff::Timestamp::now(),
        data: fake.customer(id).unwrap(),
    };
    assert_eq!(
        ent.apply(&created).await,
        polar_entitlements::Applied::Updated
    );
    assert!(
        ent.has_benefit("late_signup", grant.benefit_id)
            .await
            .unwrap()
    );
    assert_eq!(
        state_calls(&fake),
        2,
        "the negative answer, then the state by ID"
    );
}

#[tokio::test(start_paused = true)]
async fn when_polar_cannot_answer_the_last_known_state_serves_until_the_max_staleness() {
    let fake = FakePolar::new();
    let id = customer(&fake, "down@polar.sh", "user_down").await;
    let grant = samples::benefit_grant(BenefitType::Custom);
    fake.add_benefit_grant(id, &grant);
    let ent = handle(&fake);
    assert!(ent.has_benefit(id, grant.benefit_id).await.unwrap());

    fake.fail_next(1_000, http::StatusCode::SERVICE_UNAVAILABLE);
    tokio::time::advance(TTL + Duration::from_secs(1)).await;
    assert!(
        ent.has_benefit(id, grant.benefit_id).await.unwrap(),
        "the last known state"
    );
    assert_eq!(ent.stats().stale_served, 1);
    assert_eq!(ent.stats().fetch_errors, 1);

    tokio::time::advance(Duration::from_secs(600)).await;
    let err = ent.has_benefit(id, grant.benefit_id).await.unwrap_err();
    let Error::Polar { last_known_age, .. } = &err else {
        panic!("{err:?}");
    };
    assert!(last_known_age.unwrap() >= Duration::from_secs(600));
    assert_eq!(
        err.polar_error()
            .and_then(|e| e.status())
            .map(|s| s.as_u16()),
        Some(503)
    );
    assert!(
        err.to_string().contains("past the maximum staleness"),
        "{err}"
    );

    // Never known at all: an error, not a "no".
    let err = ent
        .has_benefit("never_seen", grant.benefit_id)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no state of it is known"), "{err}");
}

#[tokio::test]
async fn a_404_that_is_not_polars_unknown_customer_is_an_error_not_a_no() {
    let fake = FakePolar::new();
    let id = customer(&fake, "version@polar.sh", "user_version").await;
    // An API version the server does not know: every route answers 404 {"detail":"Not Found"}.
    let client = Client::builder()
        .token(fake.token())
        .api_version("2099-01")
        .disable_rate_limit()
        .build_with(fake.clone())
        .unwrap();
    let ent = Entitlements::new(client, fake.organization_id());
    let err = ent.state(id).await.unwrap_err();
    assert_eq!(
        err.polar_error()
            .and_then(|e| e.status())
            .map(|s| s.as_u16()),
        Some(404)
    );
}

#[tokio::test]
async fn memory_stays_within_the_bound_and_evictions_are_counted() {
    let fake = FakePolar::new();
    let ent = Entitlements::builder(in_process(&fake), fake.organization_id())
        .max_customers(20)
        .build();
    for n in 0..200 {
        let key = CustomerKey::from(format!("nobody_{n}"));
        assert!(ent.state(key).await.unwrap().is_none());
    }
    let evicted = ent.stats().evictions;
    assert!(evicted >= 150, "external-ID entries evicted: {evicted}");
    for _ in 0..200 {
        assert!(ent.state(CustomerId::new_v4()).await.unwrap().is_none());
    }
    let evicted = ent.stats().evictions - evicted;
    assert!(evicted >= 150, "entries by ID evicted: {evicted}");
}
