//! `customers().ensure_external(..)`: get by external ID, create on 404, get again when the
//! create lost a race. Against the fake, in-process and served over loopback.

mod support;

use std::time::Duration;

use polar_customers::Client;
use polar_fake::{FakePolar, Route};

fn in_process(fake: &FakePolar) -> Client {
    Client::builder()
        .token(fake.token())
        .disable_rate_limit()
        .build_with(fake.clone())
        .unwrap()
}

async fn served(fake: &FakePolar) -> (Client, polar_fake::ServeHandle) {
    let server = fake.serve("127.0.0.1:0").await.unwrap();
    (support::stack_client(server.addr(), fake.token()), server)
}

#[tokio::test]
async fn an_existing_customer_is_returned_without_a_create() {
    let fake = FakePolar::new();
    let client = in_process(&fake);
    let ada = client
        .customers()
        .create()
        .email("ada@polar.sh")
        .external_id("user_42")
        .await
        .unwrap();
    fake.reset_stats();
    let got = client
        .customers()
        .ensure_external("user_42")
        .email("someone-else@polar.sh")
        .await
        .unwrap();
    assert_eq!(got.id(), ada.id());
    assert_eq!(fake.stats().operation(Route::CustomersCreate), 0);
}

#[tokio::test]
async fn a_new_customer_is_created_with_the_fields_and_the_external_id() {
    let fake = FakePolar::new();
    let client = in_process(&fake);
    let created = client
        .customers()
        .ensure_external("user_7")
        .email("grace@polar.sh")
        // An external ID set here is overridden by the one being ensured.
        .create_with(|c| c.name("Grace").external_id("not_this_one"))
        .await
        .unwrap();
    assert_eq!(created.external_id(), Some("user_7"));
    assert_eq!(created.name(), Some("Grace"));
    assert_eq!(fake.stats().operation(Route::CustomersGetExternal), 1);
    assert_eq!(fake.stats().operation(Route::CustomersCreate), 1);
}

/// Both calls get 404, both create, one create gets Polar's 422, and that call gets the
/// winner's customer: one customer, two identical answers.
async fn two_concurrent_calls_end_with_one_customer(client: Client, fake: FakePolar) {
    // Each answer waits, so both gets are answered before either create arrives.
    fake.set_latency(Some(Duration::from_millis(100)));
    let call = |client: Client| async move {
        client
            .customers()
            .ensure_external("new_user")
            .email("new@polar.sh")
            .await
    };
    let (a, b) = tokio::join!(call(client.clone()), call(client.clone()));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.id(), b.id());
    assert_eq!(fake.customer_count(), 1);
    let stats = fake.stats();
    assert_eq!(
        stats.operation(Route::CustomersCreate),
        2,
        "both tried to create"
    );
    assert_eq!(stats.status(422), 1, "one create lost the race");
    assert_eq!(
        stats.operation(Route::CustomersGetExternal),
        3,
        "the loser got again"
    );
}

#[tokio::test]
async fn the_race_in_process() {
    let fake = FakePolar::new();
    two_concurrent_calls_end_with_one_customer(in_process(&fake), fake).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_race_over_loopback() {
    let fake = FakePolar::new();
    let (client, _server) = served(&fake).await;
    two_concurrent_calls_end_with_one_customer(client, fake).await;
}

#[tokio::test]
async fn an_email_taken_by_another_customer_is_an_error_not_a_loop() {
    let fake = FakePolar::new();
    let client = in_process(&fake);
    client
        .customers()
        .create()
        .email("taken@polar.sh")
        .external_id("someone")
        .await
        .unwrap();
    let err = client
        .customers()
        .ensure_external("user_9")
        .email("taken@polar.sh")
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(422));
    assert_eq!(
        fake.stats().operation(Route::CustomersCreate),
        2,
        "one try, no retry"
    );
}
