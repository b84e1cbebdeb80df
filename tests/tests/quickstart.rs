//! The quickstart (`cargo run --example quickstart`), compiled here from the same source and run
//! against fakes: its own (no token), a served fake given by `POLAR_BASE_URL`, and failing setups.

#[path = "../examples/quickstart.rs"]
#[allow(dead_code)]
mod quickstart;

use polar_fake::{FakePolar, Route};

fn env_of(pairs: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> {
    move |key| {
        pairs
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickstart_without_a_token_walks_every_operation_against_its_own_fake() {
    assert_eq!(quickstart::run(&|_| None).await, Ok(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickstart_runs_against_a_served_fake_given_by_base_url_and_cleans_up() {
    let fake = FakePolar::new();
    let server = fake.serve("127.0.0.1:0").await.unwrap();
    let env = env_of(vec![
        ("POLAR_BASE_URL", server.url()),
        ("POLAR_ACCESS_TOKEN", fake.token().to_owned()),
    ]);
    assert_eq!(quickstart::run(&env).await, Ok(0));
    let stats = fake.stats();
    // Every Customers operation, and one of each kind of call around customers (the other
    // forms of those are the same builders on another path; e2e_surface.rs covers them).
    let around = [
        Route::CustomersMembersCreateExternal,
        Route::CustomersMembersGetExternal,
        Route::CustomersMembersListExternal,
        Route::CustomersMembersUpdate,
        Route::CustomersMembersDeleteExternal,
        Route::CustomerSessionsCreate,
        Route::CustomersListPaymentMethods,
        Route::CustomerMetersList,
    ];
    for op in Route::ALL[..11].iter().chain(&around) {
        assert!(
            stats.operation(*op) >= 1,
            "{op:?} was not called: {stats:?}"
        );
    }
    assert_eq!(
        fake.customer_count(),
        0,
        "the quickstart deletes what it created"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickstart_reports_failed_steps_and_bad_settings() {
    let fake = FakePolar::new();
    let server = fake.serve("127.0.0.1:0").await.unwrap();
    let wrong_token = env_of(vec![
        ("POLAR_BASE_URL", server.url()),
        ("POLAR_ACCESS_TOKEN", "polar_oat_wrong".to_owned()),
    ]);
    let failed = quickstart::run(&wrong_token).await.unwrap();
    assert!(
        failed >= 11,
        "every step fails with a bad token, got {failed}"
    );

    let no_token = env_of(vec![("POLAR_BASE_URL", server.url())]);
    assert!(quickstart::run(&no_token).await.is_err());
    let bad_server = env_of(vec![
        ("POLAR_ACCESS_TOKEN", "t".to_owned()),
        ("POLAR_SERVER", "staging".to_owned()),
    ]);
    assert!(quickstart::run(&bad_server).await.is_err());
}

/// An organization without member management: Polar refuses to add a member (403
/// `NotPermitted`). The walk skips the member steps (not a failure), opens the portal session
/// for the team customer itself, and still cleans up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickstart_skips_the_member_steps_when_member_management_is_off() {
    let fake = FakePolar::new();
    fake.set_member_management(false);
    let server = fake.serve("127.0.0.1:0").await.unwrap();
    let env = env_of(vec![
        ("POLAR_BASE_URL", server.url()),
        ("POLAR_ACCESS_TOKEN", fake.token().to_owned()),
    ]);
    assert_eq!(quickstart::run(&env).await, Ok(0), "no step failed");
    let stats = fake.stats();
    assert_eq!(stats.operation(Route::CustomersMembersCreateExternal), 1);
    assert_eq!(stats.status(403), 1, "{stats:?}");
    for op in [
        Route::CustomersMembersGetExternal,
        Route::CustomersMembersListExternal,
        Route::CustomersMembersUpdate,
        Route::CustomersMembersDeleteExternal,
    ] {
        assert_eq!(stats.operation(op), 0, "{op:?} was called: {stats:?}");
    }
    assert_eq!(stats.operation(Route::CustomerSessionsCreate), 1);
    assert_eq!(stats.status(422), 0, "{stats:?}");
    assert_eq!(fake.customer_count(), 0);
}
