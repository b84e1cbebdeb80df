//! End to end: the SDK (`polar-customers`) over its full default transport stack
//! (`polar-transport`: auth, headers, retry, rate limit, timeouts) against the fake Polar.
//!
//! One suite, two transports: every test below is an `async fn(Transport)` and the
//! [`polar_e2e::suite!`] macro runs it once over real loopback HTTP (the fake served on 127.0.0.1)
//! and once in-process (the fake as the innermost `tower::Service`).

use std::collections::BTreeSet;
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use http::StatusCode;
use polar_customers::{ApiErrorKind, Client, CustomerType, Error};
use polar_e2e::{Harness, StatusLog, Transport};
use polar_fake::{FakePolar, Route, samples};
use polar_types::{CustomerId, LocItem, SubscriptionStatus};

polar_e2e::suite!(
    every_operation_succeeds,
    external_ids_stay_one_path_segment,
    not_found_after_delete,
    duplicate_email_and_external_id_are_422,
    changing_external_id_and_downgrading_a_team_are_422,
    bad_token_is_401,
    rate_limit_429_is_retried_by_the_client,
    injected_503_is_retried_for_get_but_not_for_post,
    export_row_count_equals_list_total,
    list_stream_walks_every_page,
    state_shows_seeded_subscriptions,
    organization_id_field_selects_the_organization,
    unknown_api_version_is_404_everywhere,
    read_only_token_is_403_on_writes,
    malformed_and_v7_ids_are_refused,
);

fn api_error(err: &Error) -> &polar_customers::ApiError {
    err.as_api()
        .unwrap_or_else(|| panic!("expected an API error, got {err:?}"))
}

fn locs(err: &Error) -> Vec<Vec<String>> {
    api_error(err)
        .validation_errors()
        .iter()
        .map(|v| {
            v.loc
                .iter()
                .map(|l| match l {
                    LocItem::String(s) => s.clone(),
                    LocItem::Integer(i) => i.to_string(),
                })
                .collect()
        })
        .collect()
}

fn loc(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| (*s).to_owned()).collect()
}

async fn every_operation_succeeds(t: Transport) {
    let h = Harness::start(t, FakePolar::new()).await;
    let log = StatusLog::new();
    let client = h.build(h.builder().configure_transport(|b| b.layer(log.clone())));
    let customers = client.customers();

    let created = customers
        .create()
        .email("ada@polar.sh")
        .name("Ada")
        .external_id("ada-1")
        .metadata("plan", "pro")
        .await
        .unwrap();
    let id = created.id();
    assert_eq!(created.email(), Some("ada@polar.sh"));
    assert_eq!(log.take(), [201]);

    let got = customers.get(id).await.unwrap();
    assert_eq!(got, created);
    let got = customers.get_external("ada-1").await.unwrap();
    assert_eq!(got.id(), id);

    let updated = customers
        .update(id)
        .name("Ada L.")
        .metadata("plan", "team")
        .await
        .unwrap();
    assert_eq!(updated.name(), Some("Ada L."));
    let updated = customers
        .update_external("ada-1")
        .locale("en-GB")
        .await
        .unwrap();
    assert_eq!(updated.name(), Some("Ada L."), "absent fields stay");

    let state = customers.get_state(id).await.unwrap();
    assert_eq!(state.id(), id);
    let state = customers.get_state_external("ada-1").await.unwrap();
    assert_eq!(state.email(), Some("ada@polar.sh"));

    let page = customers.list().email("ADA@polar.sh").await.unwrap();
    assert_eq!(page.pagination.total_count, 1);
    assert_eq!(page.items[0].id(), id);

    let rows: Vec<_> = customers
        .export()
        .rows()
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].id, id);
    assert_eq!(rows[0].external_id.as_deref(), Some("ada-1"));

    let second = customers
        .create()
        .email("bob@polar.sh")
        .external_id("bob-1")
        .await
        .unwrap();
    customers.delete(id).await.unwrap();
    customers
        .delete_external("bob-1")
        .anonymize(true)
        .await
        .unwrap();
    assert_eq!(h.fake.customer_count(), 0);
    let bob = h.fake.customer_json(second.id()).unwrap();
    assert!(bob["metadata"]["__anonymized_at"].is_string());

    assert_eq!(
        log.take(),
        [200, 200, 200, 200, 200, 200, 200, 200, 201, 204, 204]
    );
    let stats = h.fake.stats();
    // The eleven Customers operations (the calls around them are in e2e_surface.rs).
    for op in &Route::ALL[..11] {
        let op = *op;
        let want = if op == Route::CustomersCreate { 2 } else { 1 };
        assert_eq!(stats.operation(op), want, "{op:?}");
    }
    assert_eq!(stats.requests, 12);
}

async fn external_ids_stay_one_path_segment(t: Transport) {
    let h = Harness::start(t, FakePolar::new()).await;
    let customers = h.client().customers();
    let odd = "a b ?c#d%2F é..";
    let created = customers
        .create()
        .email("odd@polar.sh")
        .external_id(odd)
        .await
        .unwrap();
    let got = customers.get_external(odd).await.unwrap();
    assert_eq!(got.id(), created.id());
    assert_eq!(got.external_id(), Some(odd));
    customers.get_state_external(odd).await.unwrap();
    customers.update_external(odd).name("Odd").await.unwrap();
    customers.delete_external(odd).await.unwrap();
    assert!(
        customers
            .get_external(odd)
            .await
            .unwrap_err()
            .is_not_found()
    );
    // Polar routes on the decoded path: an id with `/` is only reachable through list/export.
    let slash = customers
        .create()
        .email("slash@polar.sh")
        .external_id("a/b")
        .await
        .unwrap();
    assert!(
        customers
            .get_external("a/b")
            .await
            .unwrap_err()
            .is_not_found()
    );
    let listed = customers.list().query("a/b").await.unwrap();
    assert_eq!(listed.items[0].id(), slash.id());
}

async fn not_found_after_delete(t: Transport) {
    let h = Harness::start(t, FakePolar::new()).await;
    let customers = h.client().customers();
    let c = customers
        .create()
        .email("gone@polar.sh")
        .external_id("gone")
        .await
        .unwrap();
    let id = c.id();
    customers.delete(id).await.unwrap();
    for err in [
        customers.get(id).await.unwrap_err(),
        customers.get_external("gone").await.unwrap_err(),
        customers.get_state(id).await.unwrap_err(),
        customers.update(id).name("x").await.unwrap_err(),
        customers.delete(id).await.unwrap_err(),
    ] {
        assert!(err.is_not_found(), "{err:?}");
        assert_eq!(api_error(&err).code(), Some("ResourceNotFound"));
    }
    let unknown = customers.get(CustomerId::new_v4()).await.unwrap_err();
    assert_eq!(unknown.status(), Some(StatusCode::NOT_FOUND));
    // The email and external id are free again.
    customers
        .create()
        .email("gone@polar.sh")
        .external_id("gone")
        .await
        .unwrap();
}

async fn duplicate_email_and_external_id_are_422(t: Transport) {
    let h = Harness::start(t, FakePolar::new()).await;
    let customers = h.client().customers();
    customers
        .create()
        .email("dup@polar.sh")
        .external_id("dup")
        .await
        .unwrap();
    let err = customers
        .create()
        .email("DUP@polar.sh")
        .external_id("other")
        .await
        .unwrap_err();
    assert_eq!(api_error(&err).kind(), ApiErrorKind::Validation);
    assert_eq!(locs(&err), [loc(&["body", "email"])]);
    assert_eq!(
        api_error(&err).validation_errors()[0].msg,
        "A customer with this email address already exists."
    );
    let err = customers
        .create()
        .email("new@polar.sh")
        .external_id("dup")
        .await
        .unwrap_err();
    assert_eq!(locs(&err), [loc(&["body", "external_id"])]);
    let err = customers
        .create()
        .email("dup@polar.sh")
        .external_id("dup")
        .await
        .unwrap_err();
    assert_eq!(
        locs(&err),
        [loc(&["body", "email"]), loc(&["body", "external_id"])]
    );
    assert_eq!(h.fake.customer_count(), 1);
}

async fn changing_external_id_and_downgrading_a_team_are_422(t: Transport) {
    let h = Harness::start(t, FakePolar::new()).await;
    let customers = h.client().customers();
    let c = customers
        .create()
        .email("set@polar.sh")
        .external_id("first")
        .await
        .unwrap();
    let id = c.id();
    let err = customers
        .update(id)
        .external_id("second")
        .await
        .unwrap_err();
    assert_eq!(api_error(&err).kind(), ApiErrorKind::Validation);
    assert_eq!(locs(&err), [loc(&["body", "external_id"])]);
    let team = customers
        .update(id)
        .customer_type(CustomerType::Team)
        .await
        .unwrap();
    assert!(matches!(team, polar_types::Customer::Team(_)));
    let err = customers
        .update(id)
        .customer_type(CustomerType::Individual)
        .await
        .unwrap_err();
    assert_eq!(locs(&err), [loc(&["body", "type"])]);
    assert_eq!(
        customers.get(id).await.unwrap().external_id(),
        Some("first")
    );
}

async fn bad_token_is_401(t: Transport) {
    let h = Harness::start(t, FakePolar::new()).await;
    let err = h
        .client_with_token("polar_oat_not_a_real_token")
        .customers()
        .list()
        .await
        .unwrap_err();
    let api = api_error(&err);
    assert_eq!(api.kind(), ApiErrorKind::Unauthorized);
    assert_eq!(api.code(), Some("invalid_token"));
    assert!(
        !format!("{err:?} {err}").contains("polar_oat_not_a_real_token"),
        "no token in errors"
    );
    let revoked = h
        .fake
        .add_token(&[h.fake.organization_id()], polar_fake::Scopes::ReadWrite);
    let client = h.client_with_token(&revoked);
    client.customers().list().await.unwrap();
    h.fake.revoke_token(&revoked);
    assert_eq!(
        client.customers().list().await.unwrap_err().status(),
        Some(StatusCode::UNAUTHORIZED)
    );
}

async fn rate_limit_429_is_retried_by_the_client(t: Transport) {
    let fake = FakePolar::builder()
        .rate_limit(2, Duration::from_secs(1))
        .build();
    let h = Harness::start(t, fake).await;
    let log = StatusLog::new();
    let client = h.build(h.builder().configure_transport(|b| b.layer(log.clone())));
    for _ in 0..3 {
        client.customers().list().await.unwrap();
    }
    let stats = h.fake.stats();
    assert_eq!(stats.rate_limited, 1, "{stats:?}");
    assert_eq!(stats.operation(Route::CustomersList), 3);
    assert_eq!(
        log.take(),
        [200, 200, 429, 200],
        "the third call waited Retry-After and retried"
    );
}

async fn injected_503_is_retried_for_get_but_not_for_post(t: Transport) {
    let h = Harness::start(t, FakePolar::new()).await;
    let client = h.client();
    let c = client
        .customers()
        .create()
        .email("r@polar.sh")
        .await
        .unwrap();
    h.fake.fail_next(1, StatusCode::SERVICE_UNAVAILABLE);
    let got = client.customers().get(c.id()).await.unwrap();
    assert_eq!(got.id(), c.id());
    assert_eq!(h.fake.stats().injected_failures, 1);

    h.fake.fail_next(1, StatusCode::SERVICE_UNAVAILABLE);
    let err = client
        .customers()
        .create()
        .email("s@polar.sh")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(api_error(&err).kind(), ApiErrorKind::Server);
    let stats = h.fake.stats();
    assert_eq!(stats.injected_failures, 2);
    assert_eq!(
        stats.operation(Route::CustomersCreate),
        1,
        "a POST is not sent twice"
    );
    assert_eq!(h.fake.customer_count(), 1);
}

async fn export_row_count_equals_list_total(t: Transport) {
    let h = Harness::start(t, FakePolar::new()).await;
    let customers = h.client().customers();
    let mut ids = Vec::new();
    for i in 0..130 {
        let mut b = customers
            .create()
            .email(format!("row{i}@polar.sh"))
            .metadata("i", i as i64);
        if i % 3 == 0 {
            b = b.external_id(format!("r,{i}\"x"));
        }
        ids.push(b.await.unwrap().id());
    }
    for id in ids.iter().step_by(7) {
        customers.delete(*id).await.unwrap();
    }
    let total = customers
        .list()
        .limit(1)
        .await
        .unwrap()
        .pagination
        .total_count;
    let rows: Vec<_> = customers
        .export()
        .rows()
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rows.len() as i64, total);
    assert_eq!(total, 130 - ids.iter().step_by(7).count() as i64);
    let listed: BTreeSet<_> = customers
        .list()
        .limit(100)
        .stream()
        .map(|c| c.unwrap().id())
        .collect()
        .await;
    let exported: BTreeSet<_> = rows.iter().map(|r| r.id).collect();
    assert_eq!(listed, exported);
    assert!(
        rows.iter()
            .any(|r| r.external_id.as_deref() == Some("r,3\"x")),
        "quoted fields survive"
    );
}

async fn list_stream_walks_every_page(t: Transport) {
    let h = Harness::start(t, FakePolar::new()).await;
    let customers = h.client().customers();
    for i in 0..25 {
        customers
            .create()
            .email(format!("p{i:02}@polar.sh"))
            .await
            .unwrap();
    }
    h.fake.reset_stats();
    let all: Vec<_> = customers
        .list()
        .limit(10)
        .sorting([polar_types::CustomerSortProperty::Email])
        .stream()
        .try_collect()
        .await
        .unwrap();
    let emails: Vec<_> = all.iter().map(|c| c.email().unwrap().to_owned()).collect();
    let mut sorted = emails.clone();
    sorted.sort();
    assert_eq!(emails, sorted);
    assert_eq!(emails.len(), 25);
    assert_eq!(
        h.fake.stats().operation(Route::CustomersList),
        3,
        "stops at max_page"
    );
}

async fn state_shows_seeded_subscriptions(t: Transport) {
    let h = Harness::start(t, FakePolar::new()).await;
    let client: Client = h.client();
    let c = client
        .customers()
        .create()
        .email("st@polar.sh")
        .external_id("st")
        .await
        .unwrap();
    let id = c.id();
    assert!(
        h.fake
            .add_subscription(id, &samples::subscription(SubscriptionStatus::Active, 1000))
    );
    assert!(
        h.fake
            .add_subscription(id, &samples::subscription(SubscriptionStatus::Trialing, 0))
    );
    assert!(h.fake.add_meter(id, &samples::meter(1.0, 5)));
    let state = client.customers().get_state_external("st").await.unwrap();
    let polar_types::CustomerState::Individual(s) = state else {
        panic!("individual expected");
    };
    assert_eq!(s.active_subscriptions.len(), 2);
    assert_eq!(s.active_meters[0].balance, 4.0);
    let active = client.customers().list().active(true).await.unwrap();
    assert_eq!(active.pagination.total_count, 1);
}

async fn organization_id_field_selects_the_organization(t: Transport) {
    let h = Harness::start(t, FakePolar::new()).await;
    let (org2, _) = h.fake.add_organization();
    let user = h.fake.add_token(
        &[h.fake.organization_id(), org2],
        polar_fake::Scopes::ReadWrite,
    );
    let any_org = h.build(Client::builder().token(&user));
    let err = any_org
        .customers()
        .create()
        .email("u@polar.sh")
        .await
        .unwrap_err();
    assert_eq!(
        locs(&err),
        [loc(&["body", "organization_id"])],
        "a user token must name the organization"
    );
    let in_body = any_org
        .customers()
        .create()
        .email("b@polar.sh")
        .organization_id(org2)
        .await
        .unwrap();
    assert_eq!(in_body.organization_id(), org2);
    // Polar has no organization header: each operation names the organization itself.
    let c = any_org
        .customers()
        .create()
        .email("h@polar.sh")
        .organization_id(org2)
        .await
        .unwrap();
    assert_eq!(c.organization_id(), org2);
    assert_eq!(
        any_org
            .customers()
            .list()
            .organization_id(org2)
            .await
            .unwrap()
            .pagination
            .total_count,
        2
    );
    assert_eq!(
        h.client()
            .customers()
            .list()
            .await
            .unwrap()
            .pagination
            .total_count,
        0
    );
}

async fn unknown_api_version_is_404_everywhere(t: Transport) {
    let h = Harness::start(t, FakePolar::new()).await;
    let client = h.build(h.builder().api_version("2027-01"));
    let err = client.customers().list().await.unwrap_err();
    assert_eq!(api_error(&err).kind(), ApiErrorKind::NotFound);
    assert_eq!(api_error(&err).detail(), Some("Not Found"));
    let err = client
        .customers()
        .create()
        .email("v@polar.sh")
        .await
        .unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(h.fake.customer_count(), 0);
    let current = h.build(h.builder().api_version("2026-04"));
    current.customers().list().await.unwrap();
}

async fn read_only_token_is_403_on_writes(t: Transport) {
    let h = Harness::start(t, FakePolar::new()).await;
    let ro = h
        .fake
        .add_token(&[h.fake.organization_id()], polar_fake::Scopes::ReadOnly);
    let client = h.client_with_token(&ro);
    client.customers().list().await.unwrap();
    client.customers().export().rows().await.unwrap();
    let err = client
        .customers()
        .create()
        .email("w@polar.sh")
        .await
        .unwrap_err();
    assert_eq!(api_error(&err).kind(), ApiErrorKind::Forbidden);
    assert_eq!(api_error(&err).code(), Some("insufficient_scope"));
}

async fn malformed_and_v7_ids_are_refused(t: Transport) {
    let h = Harness::start(t, FakePolar::new()).await;
    let v7: CustomerId = "01890a5d-ac96-774b-bcce-b302099a8057".parse().unwrap();
    let err = h.client().customers().get(v7).await.unwrap_err();
    assert_eq!(api_error(&err).kind(), ApiErrorKind::Validation);
    assert_eq!(locs(&err), [loc(&["path", "id"])]);
}

/// Served only: a connection dropped before any answer is retried for a GET.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn served_dropped_connection_is_retried_for_get() {
    let h = Harness::start(Transport::Served, FakePolar::new()).await;
    let client = h.client();
    let c = client
        .customers()
        .create()
        .email("drop@polar.sh")
        .await
        .unwrap();
    h.fake.drop_next(1);
    let got = client.customers().get(c.id()).await.unwrap();
    assert_eq!(got.id(), c.id());
    let stats = h.fake.stats();
    assert_eq!(stats.dropped_connections, 1);
    assert_eq!(
        stats.operation(Route::CustomersGet),
        1,
        "the dropped attempt never reached the store"
    );
}

/// In-process with paused time (no socket, no real waiting): the client's default limiter
/// (Polar's production numbers) keeps a burst under the fake's limit of the same numbers.
#[tokio::test(start_paused = true)]
async fn in_process_client_limiter_stays_under_polars_production_limit() {
    let fake = FakePolar::builder().polar_rate_limit().build();
    let h = Harness::start(Transport::InProcess, fake).await;
    let client = h.client();
    let start = tokio::time::Instant::now();
    for _ in 0..1_100 {
        client.customers().list().limit(1).await.unwrap();
    }
    let stats = h.fake.stats();
    assert_eq!(stats.rate_limited, 0, "{stats:?}");
    assert_eq!(stats.requests, 1_100);
    assert!(
        start.elapsed() >= Duration::from_secs(120),
        "1 100 calls need three windows of 500"
    );
}

/// In-process with paused time: a server stricter than the client (sandbox's 100/minute against
/// the client's production default) answers 429s, and the client's cooldown and retries still
/// get every call through.
#[tokio::test(start_paused = true)]
async fn in_process_429s_from_a_stricter_server_are_absorbed() {
    let fake = FakePolar::builder()
        .sandbox(true)
        .polar_rate_limit()
        .build();
    let h = Harness::start(Transport::InProcess, fake).await;
    let client = h.client();
    for _ in 0..250 {
        client.customers().list().limit(1).await.unwrap();
    }
    let stats = h.fake.stats();
    assert!(stats.rate_limited >= 1, "{stats:?}");
    assert_eq!(stats.operation(Route::CustomersList), 250);
}
