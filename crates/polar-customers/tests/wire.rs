//! What goes on the wire for every operation, recorded by polar-transport's mock: directly
//! (what the SDK itself builds) and under the full default stack (auth, headers, base URL).

use std::time::Duration;

use http::Method;
mod fixtures;
use fixtures::{CUSTOMER_ID, ORGANIZATION_ID, customer_json, page_json, state_json};
use polar_customers::types::{CustomerSortProperty, CustomerType, Nullable};
use polar_customers::{
    AddressInput, Client, CountryCode, CustomerId, Error, MemberOwnerCreate, OrganizationId,
    RequestOptions,
};
use polar_transport::RouteTemplate;
use polar_transport::mock::{MockResponse, MockTransport, RecordedRequest};
use serde_json::json;

const TOKEN: &str = "polar_oat_wire_test_secret";

fn id() -> CustomerId {
    CUSTOMER_ID.parse().unwrap()
}

fn org() -> OrganizationId {
    ORGANIZATION_ID.parse().unwrap()
}

/// The SDK straight onto the mock: requests exactly as the SDK builds them.
fn raw(mock: &MockTransport) -> Client {
    Client::from_service(mock.clone())
}

/// The SDK over the default stack over the mock.
fn stacked(mock: &MockTransport) -> Client {
    Client::builder()
        .token(TOKEN)
        .disable_rate_limit()
        .build_with(mock.clone())
        .unwrap()
}

fn customer() -> MockResponse {
    MockResponse::json(
        200,
        &customer_json(CUSTOMER_ID, "ada@example.com", Some("user_42")),
    )
}

fn assert_json_headers(req: &RecordedRequest, with_body: bool) {
    req.assert_header("accept", "application/json");
    if with_body {
        req.assert_header("content-type", "application/json");
    } else {
        assert_eq!(req.header("content-type"), None);
        assert!(req.body().is_empty());
    }
}

fn assert_route(req: &RecordedRequest, route: &str) {
    assert_eq!(
        req.extensions().get::<RouteTemplate>(),
        Some(&RouteTemplate(Box::leak(route.to_owned().into_boxed_str())))
    );
}

#[tokio::test]
async fn list_sends_every_filter() {
    let mock = MockTransport::new();
    mock.push(MockResponse::json(200, &page_json(vec![], 0, 0)));
    let org2: OrganizationId = "11111111-2222-4333-8444-555555555555".parse().unwrap();
    let page = raw(&mock)
        .customers()
        .list()
        .organization_id(org())
        .organization_id(org2)
        .email("ada@example.com")
        .query("ada lo")
        .active(true)
        .page(2)
        .limit(100)
        .sorting([
            CustomerSortProperty::CreatedAtDesc,
            CustomerSortProperty::Name,
        ])
        .metadata("plan", "pro")
        .metadata("plan", "team")
        .metadata("tier", 3)
        .metadata("beta", true)
        .await
        .unwrap();
    assert_eq!(page.pagination.total_count, 0);
    let req = mock.single_request();
    req.assert_method(Method::GET)
        .assert_path("/v1/customers/")
        .assert_query(&[
            ("organization_id", ORGANIZATION_ID),
            ("organization_id", "11111111-2222-4333-8444-555555555555"),
            ("email", "ada@example.com"),
            ("query", "ada lo"),
            ("active", "true"),
            ("page", "2"),
            ("limit", "100"),
            ("sorting", "-created_at"),
            ("sorting", "name"),
            ("metadata[plan]", "pro"),
            ("metadata[plan]", "team"),
            ("metadata[tier]", "3"),
            ("metadata[beta]", "true"),
        ]);
    assert_json_headers(&req, false);
    assert_route(&req, "/v1/customers/");
}

#[tokio::test]
async fn list_without_filters_sends_no_query() {
    let mock = MockTransport::new();
    mock.push(MockResponse::json(
        200,
        &page_json(vec![customer_json(CUSTOMER_ID, "a@b.co", None)], 1, 1),
    ));
    let page = raw(&mock).customers().list().await.unwrap();
    assert_eq!(page.items.len(), 1);
    let req = mock.single_request();
    assert_eq!(req.uri().to_string(), "/v1/customers/");
}

#[tokio::test]
async fn create_individual_body() {
    let mock = MockTransport::new();
    mock.push(MockResponse::json(
        201,
        &customer_json(CUSTOMER_ID, "ada@example.com", Some("user_42")),
    ));
    let created = raw(&mock)
        .customers()
        .create()
        .email("ada@example.com")
        .name("Ada Lovelace")
        .external_id("user_42")
        .metadata("plan", "pro")
        .metadata("seats", 3)
        .metadata("beta", true)
        .organization_id(org())
        .locale("en-GB")
        .tax_id("DE123456789")
        .billing_address(AddressInput::new(CountryCode::De))
        .await
        .unwrap();
    assert_eq!(created.id(), id());
    let req = mock.single_request();
    req.assert_method(Method::POST)
        .assert_path("/v1/customers/")
        .assert_query(&[])
        .assert_json(&json!({
            "type": "individual",
            "email": "ada@example.com",
            "name": "Ada Lovelace",
            "external_id": "user_42",
            "metadata": {"plan": "pro", "seats": 3, "beta": true},
            "organization_id": ORGANIZATION_ID,
            "locale": "en-GB",
            "tax_id": "DE123456789",
            "billing_address": {"country": "DE"}
        }));
    assert_json_headers(&req, true);
    assert_route(&req, "/v1/customers/");
}

#[tokio::test]
async fn create_team_with_owner() {
    let mock = MockTransport::new();
    mock.push(MockResponse::json(
        201,
        &customer_json(CUSTOMER_ID, "team@example.com", None),
    ));
    let owner = MemberOwnerCreate::new("owner@example.com");
    raw(&mock)
        .customers()
        .create()
        .name("Acme")
        .team()
        .owner(owner)
        .await
        .unwrap();
    mock.single_request().assert_json(&json!({
        "type": "team",
        "name": "Acme",
        "owner": {"email": "owner@example.com"}
    }));
}

#[tokio::test]
async fn create_is_validated_before_sending() {
    let mock = MockTransport::new();
    let customers = raw(&mock).customers();

    let err = customers.create().name("no email").await.unwrap_err();
    assert!(
        matches!(err, Error::InvalidInput(ref e) if e.field == "email"),
        "{err}"
    );

    let mut too_many = customers.create().email("a@example.com");
    for i in 0..51 {
        too_many = too_many.metadata(format!("k{i}"), "v");
    }
    let err = too_many.await.unwrap_err();
    assert!(
        matches!(err, Error::InvalidInput(ref e) if e.field.starts_with("metadata")),
        "{err}"
    );

    let err = customers
        .create()
        .email("a@example.com")
        .name("x".repeat(257))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidInput(ref e) if e.field == "name"),
        "{err}"
    );
    assert!(err.to_string().contains("name"), "{err}");

    let err = customers.create().email("not-an-email").await.unwrap_err();
    assert!(
        matches!(err, Error::InvalidInput(ref e) if e.field == "email"),
        "{err}"
    );

    let err = customers
        .update(id())
        .name("x".repeat(257))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidInput(ref e) if e.field == "name"),
        "{err}"
    );

    let err = customers
        .update_external("u")
        .metadata("", "v")
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidInput(ref e) if e.field.starts_with("metadata")),
        "{err}"
    );

    assert_eq!(mock.request_count(), 0, "nothing invalid is sent");
}

#[tokio::test]
async fn get_and_get_external() {
    let mock = MockTransport::new();
    mock.push(customer()).push(customer());
    let customers = raw(&mock).customers();
    customers.get(id()).await.unwrap();
    let c = customers.get_external("user_42").await.unwrap();
    assert_eq!(c.external_id(), Some("user_42"));
    let reqs = mock.requests();
    reqs[0]
        .assert_method(Method::GET)
        .assert_path(&format!("/v1/customers/{CUSTOMER_ID}"))
        .assert_query(&[]);
    assert_json_headers(&reqs[0], false);
    assert_route(&reqs[0], "/v1/customers/{id}");
    reqs[1]
        .assert_method(Method::GET)
        .assert_path("/v1/customers/external/user_42");
    assert_json_headers(&reqs[1], false);
    assert_route(&reqs[1], "/v1/customers/external/{external_id}");
}

#[tokio::test]
async fn update_tri_state_bodies() {
    let mock = MockTransport::new();
    mock.respond_with(|_| Ok(customer()));
    let customers = raw(&mock).customers();

    customers.update(id()).await.unwrap();
    customers.update(id()).clear_name().await.unwrap();
    customers.update(id()).name("x").await.unwrap();
    customers
        .update(id())
        .name_patch(Nullable::Absent)
        .await
        .unwrap();
    customers
        .update(id())
        .clear_metadata()
        .clear_tax_id()
        .clear_locale()
        .email("new@example.com")
        .external_id("user_43")
        .customer_type(CustomerType::Team)
        .await
        .unwrap();
    customers
        .update(id())
        .metadata("plan", "team")
        .billing_address(AddressInput::new(CountryCode::Fr))
        .await
        .unwrap();

    let expected = [
        json!({}),
        json!({"name": null}),
        json!({"name": "x"}),
        json!({}),
        json!({"metadata": {}, "tax_id": null, "locale": null, "email": "new@example.com",
               "external_id": "user_43", "type": "team"}),
        json!({"metadata": {"plan": "team"}, "billing_address": {"country": "FR"}}),
    ];
    let reqs = mock.requests();
    assert_eq!(reqs.len(), expected.len());
    for (req, body) in reqs.iter().zip(&expected) {
        req.assert_method(Method::PATCH)
            .assert_path(&format!("/v1/customers/{CUSTOMER_ID}"))
            .assert_query(&[])
            .assert_json(body);
        assert_json_headers(req, true);
        assert_route(req, "/v1/customers/{id}");
    }
}

#[tokio::test]
async fn update_external_tri_state_bodies() {
    let mock = MockTransport::new();
    mock.respond_with(|_| Ok(customer()));
    let customers = raw(&mock).customers();
    customers.update_external("user/42").await.unwrap();
    customers
        .update_external("user/42")
        .clear_name()
        .await
        .unwrap();
    customers
        .update_external("user/42")
        .name("x")
        .await
        .unwrap();
    let expected = [json!({}), json!({"name": null}), json!({"name": "x"})];
    for (req, body) in mock.requests().iter().zip(&expected) {
        req.assert_method(Method::PATCH)
            .assert_path("/v1/customers/external/user%2F42")
            .assert_json(body);
        assert_json_headers(req, true);
        assert_route(req, "/v1/customers/external/{external_id}");
    }
}

#[tokio::test]
async fn delete_with_and_without_anonymize() {
    let mock = MockTransport::new();
    mock.respond_with(|_| Ok(MockResponse::new(204)));
    let customers = raw(&mock).customers();
    customers.delete(id()).await.unwrap();
    customers.delete(id()).anonymize(true).await.unwrap();
    customers.delete(id()).anonymize(false).await.unwrap();
    customers
        .delete_external("user_42")
        .anonymize(true)
        .await
        .unwrap();
    customers.delete_external("user_42").await.unwrap();
    let reqs = mock.requests();
    let path = format!("/v1/customers/{CUSTOMER_ID}");
    reqs[0]
        .assert_method(Method::DELETE)
        .assert_path(&path)
        .assert_query(&[]);
    reqs[1]
        .assert_method(Method::DELETE)
        .assert_path(&path)
        .assert_query(&[("anonymize", "true")]);
    reqs[2]
        .assert_method(Method::DELETE)
        .assert_path(&path)
        .assert_query(&[("anonymize", "false")]);
    reqs[3]
        .assert_method(Method::DELETE)
        .assert_path("/v1/customers/external/user_42")
        .assert_query(&[("anonymize", "true")]);
    reqs[4]
        .assert_path("/v1/customers/external/user_42")
        .assert_query(&[]);
    for req in &reqs {
        assert_json_headers(req, false);
    }
    assert_route(&reqs[0], "/v1/customers/{id}");
    assert_route(&reqs[3], "/v1/customers/external/{external_id}");
}

#[tokio::test]
async fn get_state_and_get_state_external() {
    let mock = MockTransport::new();
    mock.respond_with(|_| Ok(MockResponse::json(200, &state_json(CUSTOMER_ID))));
    let customers = raw(&mock).customers();
    customers.get_state(id()).await.unwrap();
    customers.get_state_external("user 42").await.unwrap();
    let reqs = mock.requests();
    reqs[0]
        .assert_method(Method::GET)
        .assert_path(&format!("/v1/customers/{CUSTOMER_ID}/state"));
    assert_route(&reqs[0], "/v1/customers/{id}/state");
    reqs[1]
        .assert_method(Method::GET)
        .assert_path("/v1/customers/external/user%2042/state");
    assert_route(&reqs[1], "/v1/customers/external/{external_id}/state");
    for req in &reqs {
        assert_json_headers(req, false);
    }
}

#[tokio::test]
async fn export_asks_for_csv() {
    let mock = MockTransport::new();
    mock.push(
        MockResponse::new(200)
            .with_header("content-type", "text/csv")
            .with_body(fixtures::csv_header()),
    );
    let mut sink = Vec::new();
    raw(&mock)
        .customers()
        .export()
        .organization_id(org())
        .await
        .unwrap()
        .write_to(&mut sink)
        .await
        .unwrap();
    assert_eq!(sink, fixtures::csv_header().into_bytes());
    let req = mock.single_request();
    req.assert_method(Method::GET)
        .assert_path("/v1/customers/export")
        .assert_query(&[("organization_id", ORGANIZATION_ID)])
        .assert_header("accept", "text/csv");
    assert!(req.body().is_empty());
    assert_route(&req, "/v1/customers/export");
}

#[tokio::test]
async fn default_stack_adds_auth_version_and_base_url() {
    let mock = MockTransport::new();
    mock.respond_with(|req| {
        Ok(match (req.method().as_str(), req.path()) {
            ("DELETE", _) => MockResponse::new(204),
            (_, p) if p.ends_with("/state") => MockResponse::json(200, &state_json(CUSTOMER_ID)),
            (_, "/v1/customers/") if req.method() == Method::GET => {
                MockResponse::json(200, &page_json(vec![], 0, 0))
            }
            (_, "/v1/customers/export") => MockResponse::new(200).with_body(fixtures::csv_header()),
            ("POST", _) => {
                MockResponse::json(201, &customer_json(CUSTOMER_ID, "a@example.com", None))
            }
            _ => MockResponse::json(200, &customer_json(CUSTOMER_ID, "a@example.com", None)),
        })
    });
    let customers = stacked(&mock).customers();
    customers.list().limit(1).await.unwrap();
    customers.create().email("a@example.com").await.unwrap();
    customers.get(id()).await.unwrap();
    customers.get_external("e").await.unwrap();
    customers.update(id()).clear_name().await.unwrap();
    customers.update_external("e").name("x").await.unwrap();
    customers.delete(id()).anonymize(true).await.unwrap();
    customers.delete_external("e").await.unwrap();
    customers.get_state(id()).await.unwrap();
    customers.get_state_external("e").await.unwrap();
    customers
        .export()
        .await
        .unwrap()
        .write_to(&mut Vec::new())
        .await
        .unwrap();

    let reqs = mock.requests();
    assert_eq!(reqs.len(), 11);
    for req in &reqs {
        assert_eq!(
            req.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert_eq!(req.header("polar-version"), Some("2026-10"));
        assert_eq!(req.uri().scheme_str(), Some("https"));
        assert_eq!(req.uri().host(), Some("api.polar.sh"));
        assert!(
            req.header("user-agent")
                .is_some_and(|ua| ua.starts_with("polar-rs/"))
        );
        assert!(
            !format!("{req:?}").contains(TOKEN),
            "the token must not appear in Debug"
        );
    }
    let accept: Vec<_> = reqs.iter().map(|r| r.header("accept").unwrap()).collect();
    assert_eq!(accept[..10], ["application/json"; 10]);
    assert_eq!(accept[10], "text/csv");
    assert_eq!(
        reqs[0].uri().to_string(),
        "https://api.polar.sh/v1/customers/?limit=1"
    );
    reqs[1]
        .assert_header("content-type", "application/json")
        .assert_json(&json!({"type": "individual", "email": "a@example.com"}));
    reqs[4].assert_json(&json!({"name": null}));
    reqs[5].assert_json(&json!({"name": "x"}));
    reqs[6].assert_query(&[("anonymize", "true")]);
}

#[tokio::test]
async fn per_request_options_reach_the_transport() {
    let mock = MockTransport::new();
    mock.respond_with(|_| Ok(customer()));
    let client = stacked(&mock);
    client
        .customers()
        .get(id())
        .token("polar_oat_other")
        .timeout(Duration::from_secs(7))
        .max_attempts(1)
        .header("x-trace", "abc")
        .header("polar-version", "2027-01")
        .await
        .unwrap();
    let req = mock.single_request();
    req.assert_header("authorization", "Bearer polar_oat_other")
        .assert_header("x-trace", "abc")
        .assert_header("polar-version", "2027-01");

    // Straight onto the mock, the options ride in the extensions.
    let mock = MockTransport::new();
    mock.respond_with(|_| Ok(customer()));
    let mut options = RequestOptions::default();
    options.max_attempts = Some(5);
    raw(&mock)
        .customers()
        .get(id())
        .timeout(Duration::from_secs(3))
        .request_options(options)
        .await
        .unwrap();
    let req = mock.single_request();
    let got = req
        .extensions()
        .get::<RequestOptions>()
        .expect("options set");
    assert_eq!(got.timeout, Some(Duration::from_secs(3)));
    assert_eq!(got.max_attempts, Some(5));
    assert!(got.token.is_none());

    // The builder counts as the transport does: attempts, the first included.
    raw(&mock)
        .customers()
        .get(id())
        .max_attempts(2)
        .await
        .unwrap();
    let req = mock.requests().pop().expect("a request");
    let got = req
        .extensions()
        .get::<RequestOptions>()
        .expect("options set");
    assert_eq!(got.max_attempts, Some(2));

    // A call with no overrides adds none: the client's settings apply as they are.
    raw(&mock).customers().get(id()).await.unwrap();
    let plain = mock.requests().pop().expect("a second request");
    assert!(plain.extensions().get::<RequestOptions>().is_none());

    let err = raw(&mock)
        .customers()
        .get(id())
        .header("bad header", "x")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
}

#[tokio::test]
async fn transport_failures_keep_their_kind() {
    use polar_transport::ErrorKind;
    let mock = MockTransport::new();
    mock.push_error(ErrorKind::CallTimeout);
    mock.push_error(ErrorKind::Connect);
    let customers = raw(&mock).customers();

    let err = customers.get(id()).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(
        err.transport_error().unwrap().kind(),
        ErrorKind::CallTimeout
    );

    let err = customers.get(id()).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(err.transport_error().unwrap().kind(), ErrorKind::Connect);
}

#[tokio::test]
async fn secrets_stay_out_of_debug_and_errors() {
    let builder = Client::builder().token(TOKEN);
    assert!(!format!("{builder:?}").contains(TOKEN));
    let mock = MockTransport::new();
    mock.push(MockResponse::json(
        401,
        &json!({"error": "invalid_token", "error_description": "bad"}),
    ));
    let client = stacked(&mock);
    assert!(!format!("{client:?}").contains(TOKEN));
    let err = client.customers().get(id()).await.unwrap_err();
    assert_eq!(err.status(), Some(http::StatusCode::UNAUTHORIZED));
    assert!(!format!("{err:?}").contains(TOKEN));
    assert!(!err.to_string().contains(TOKEN));

    let err = client
        .customers()
        .get(id())
        .token("polar_oat_override_secret")
        .header("x", "\n")
        .await
        .unwrap_err();
    assert!(!format!("{err:?}").contains("polar_oat_override_secret"));
}

#[test]
fn client_is_send_sync_and_futures_are_send_static() {
    fn send_sync<T: Send + Sync + Clone + 'static>() {}
    fn send_static<T: Send + 'static>(_: T) {}
    send_sync::<Client>();
    let client = Client::from_service(MockTransport::new());
    let c = client.customers();
    send_static(c.list().send());
    send_static(c.create().send());
    send_static(c.get(id()).send());
    send_static(std::future::IntoFuture::into_future(c.get_external("x")));
    send_static(c.update(id()).send());
    send_static(c.update_external("x").send());
    send_static(c.delete(id()).send());
    send_static(c.delete_external("x").send());
    send_static(c.get_state(id()).send());
    send_static(c.get_state_external("x").send());
    send_static(c.export().send());
    send_static(c.list().stream());
    send_static(c.list().pages());
}

#[tokio::test(start_paused = true)]
async fn a_request_that_never_answers_times_out() {
    // A transport that accepts the request and never answers; time is paused, so the timeout
    // fires as soon as the runtime is idle.
    let never = tower::service_fn(|_req: http::Request<polar_customers::Body>| {
        std::future::pending::<
            Result<http::Response<http_body_util::Full<bytes::Bytes>>, std::convert::Infallible>,
        >()
    });
    let client = Client::builder()
        .token(TOKEN)
        .disable_rate_limit()
        .build_with(never)
        .unwrap();
    let err = client
        .customers()
        .get(id())
        .timeout(Duration::from_secs(5))
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(
        err.transport_error().is_some_and(|e| e.is_timeout()),
        "{err:?}"
    );
}
