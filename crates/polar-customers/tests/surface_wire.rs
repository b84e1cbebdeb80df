//! What goes on the wire for the members (their lists too), payment-method, customer-session and
//! customer-meter calls, recorded by polar-transport's mock: as the SDK builds them and under the full default
//! stack; and how each route's refusals come back.

use http::Method;
mod fixtures;
use fixtures::{
    CUSTOMER_ID, CUSTOMER_METER_ID, MEMBER_ID, ORGANIZATION_ID, TEAM_ID, customer_meter_json,
    member_json, page_json, payment_methods_json, session_json,
};
use polar_customers::types::{CustomerMeterSortProperty, MemberRole, PaymentMethod};
use polar_customers::{ApiErrorKind, Client, CustomerId, Error, MemberId};
use polar_transport::RouteTemplate;
use polar_transport::mock::{MockResponse, MockTransport, RecordedRequest};
use serde_json::json;

const TOKEN: &str = "polar_oat_surface_wire_secret";

fn team() -> CustomerId {
    TEAM_ID.parse().unwrap()
}

fn member_id() -> MemberId {
    MEMBER_ID.parse().unwrap()
}

/// The SDK straight onto the mock, and over the default stack onto the mock.
fn clients(mock: &MockTransport) -> [Client; 2] {
    [
        Client::from_service(mock.clone()),
        Client::builder()
            .token(TOKEN)
            .disable_rate_limit()
            .build_with(mock.clone())
            .unwrap(),
    ]
}

fn member() -> MockResponse {
    MockResponse::json(200, &member_json(TEAM_ID, "grace@example.com", Some("g/1")))
}

#[track_caller]
fn assert_route(req: &RecordedRequest, route: &'static str) {
    assert_eq!(
        req.extensions().get::<RouteTemplate>(),
        Some(&RouteTemplate(route))
    );
}

#[track_caller]
fn assert_no_body(req: &RecordedRequest) {
    assert_eq!(req.header("content-type"), None);
    assert!(req.body().is_empty());
}

/// Every request of the stacked client carries the token; the raw one none.
#[track_caller]
fn assert_auth(requests: &[RecordedRequest]) {
    assert_eq!(requests.len() % 2, 0);
    let half = requests.len() / 2;
    for r in &requests[..half] {
        assert_eq!(r.header("authorization"), None);
    }
    for r in &requests[half..] {
        r.assert_header("authorization", &format!("Bearer {TOKEN}"));
        r.assert_header("accept", "application/json");
    }
}

/// The field each error names; every one must be invalid input.
#[track_caller]
fn invalid_fields(errors: &[Error]) -> Vec<&str> {
    errors
        .iter()
        .map(|e| match e {
            Error::InvalidInput(i) => i.field.as_str(),
            other => panic!("expected invalid input, got {other:?}"),
        })
        .collect()
}

#[tokio::test]
async fn member_calls_by_polar_ids() {
    let mock = MockTransport::new();
    for client in clients(&mock) {
        mock.push(MockResponse::json(
            201,
            &member_json(TEAM_ID, "grace@example.com", None),
        ));
        mock.push(member())
            .push(member())
            .push(MockResponse::new(204));
        let members = client.customers().members(team());
        let created = members
            .create("grace@example.com")
            .name("Grace")
            .external_id("g/1")
            .role(MemberRole::BillingManager)
            .await
            .unwrap();
        assert_eq!(created.role, MemberRole::BillingManager);
        members.get(member_id()).await.unwrap();
        members
            .update(member_id())
            .role(MemberRole::Owner)
            .email("g@example.com")
            .await
            .unwrap();
        members.delete(member_id()).await.unwrap();
    }
    let requests = mock.requests();
    assert_auth(&requests);
    let base = format!("/v1/customers/{TEAM_ID}/members");
    let one = format!("{base}/{MEMBER_ID}");
    for r in requests.chunks(4) {
        r[0].assert_method(Method::POST)
            .assert_path(&base)
            .assert_header("content-type", "application/json")
            .assert_json(&json!({
                "email": "grace@example.com",
                "name": "Grace",
                "external_id": "g/1",
                "role": "billing_manager"
            }));
        assert_route(&r[0], "/v1/customers/{id}/members");
        r[1].assert_method(Method::GET).assert_path(&one);
        assert_no_body(&r[1]);
        assert_route(&r[1], "/v1/customers/{id}/members/{member_id}");
        r[2].assert_method(Method::PATCH)
            .assert_path(&one)
            .assert_json(&json!({"email": "g@example.com", "role": "owner"}));
        r[3].assert_method(Method::DELETE).assert_path(&one);
        assert_no_body(&r[3]);
        for req in r {
            assert_eq!(req.query(), None);
        }
    }
}

#[tokio::test]
async fn member_calls_by_external_ids_encode_each_id_as_one_segment() {
    let mock = MockTransport::new();
    for client in clients(&mock) {
        mock.push(MockResponse::json(
            201,
            &member_json(TEAM_ID, "a@example.com", None),
        ));
        mock.push(member())
            .push(member())
            .push(MockResponse::new(204));
        let members = client.customers().members_external("team/7?x");
        members.create("a@example.com").await.unwrap();
        members.get("../g 1").await.unwrap();
        members.update("../g 1").name("G").await.unwrap();
        members.delete("../g 1").await.unwrap();
    }
    let requests = mock.requests();
    assert_auth(&requests);
    let base = "/v1/customers/external/team%2F7%3Fx/members";
    let one = format!("{base}/%2E%2E%2Fg%201");
    for r in requests.chunks(4) {
        // The body holds only what was set: the role is Polar's default when left out.
        r[0].assert_method(Method::POST)
            .assert_json(&json!({"email": "a@example.com"}));
        assert_eq!(r[0].uri().path(), base);
        assert_route(&r[0], "/v1/customers/external/{external_id}/members");
        for (req, method) in r[1..]
            .iter()
            .zip([Method::GET, Method::PATCH, Method::DELETE])
        {
            req.assert_method(method);
            assert_eq!(req.uri().path(), one);
            assert_route(
                req,
                "/v1/customers/external/{external_id}/members/{member_external_id}",
            );
        }
        r[2].assert_json(&json!({"name": "G"}));
    }
}

#[tokio::test]
async fn member_lists_by_polar_id_and_by_external_id() {
    use polar_customers::types::MemberSortProperty;
    let mock = MockTransport::new();
    let listed = || {
        MockResponse::json(
            200,
            &page_json(
                vec![member_json(TEAM_ID, "grace@example.com", Some("g/1"))],
                1,
                1,
            ),
        )
    };
    for client in clients(&mock) {
        mock.push(listed()).push(listed());
        let page = client
            .customers()
            .members(team())
            .list()
            .role(MemberRole::BillingManager)
            .page(2)
            .limit(5)
            .sort_by(MemberSortProperty::CreatedAt)
            .await
            .unwrap();
        assert_eq!(page.items[0].email, "grace@example.com");
        assert_eq!(page.pagination.total_count, 1);
        client
            .customers()
            .members_external("team/7?x")
            .list()
            .await
            .unwrap();
    }
    let requests = mock.requests();
    assert_auth(&requests);
    for r in requests.chunks(2) {
        r[0].assert_method(Method::GET)
            .assert_path(&format!("/v1/customers/{TEAM_ID}/members"))
            .assert_query(&[
                ("role", "billing_manager"),
                ("page", "2"),
                ("limit", "5"),
                ("sorting", "created_at"),
            ]);
        assert_no_body(&r[0]);
        assert_route(&r[0], "/v1/customers/{id}/members");
        // Nothing set, nothing sent: Polar's defaults (page 1, 10, `-created_at`) apply.
        r[1].assert_method(Method::GET);
        assert_eq!(
            r[1].uri().path(),
            "/v1/customers/external/team%2F7%3Fx/members"
        );
        assert_eq!(r[1].query(), None);
        assert_route(&r[1], "/v1/customers/external/{external_id}/members");
    }
}

#[tokio::test]
async fn a_member_list_streams_every_page_and_refuses_bad_input_unsent() {
    use futures_util::{StreamExt, TryStreamExt};
    let mock = MockTransport::new();
    for email in ["a@example.com", "b@example.com"] {
        mock.push(MockResponse::json(
            200,
            &page_json(vec![member_json(TEAM_ID, email, None)], 2, 2),
        ));
    }
    let client = Client::from_service(mock.clone());
    let all: Vec<_> = client
        .customers()
        .members_external("team_7")
        .list()
        .limit(1)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let emails: Vec<_> = all.iter().map(|m| m.email.as_str()).collect();
    assert_eq!(emails, ["a@example.com", "b@example.com"]);
    let pages: Vec<_> = mock
        .requests()
        .iter()
        .map(|r| r.query().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(pages, ["page=1&limit=1", "page=2&limit=1"]);

    // Whole pages too.
    mock.push(MockResponse::json(
        200,
        &page_json(vec![member_json(TEAM_ID, "a@example.com", None)], 1, 1),
    ));
    let pages: Vec<_> = client
        .customers()
        .members(team())
        .list()
        .pages()
        .collect()
        .await;
    assert_eq!(pages.len(), 1);

    let errors = [
        client
            .customers()
            .members_external("")
            .list()
            .await
            .unwrap_err(),
        client
            .customers()
            .members(team())
            .list()
            .limit(0)
            .stream()
            .try_collect::<Vec<_>>()
            .await
            .unwrap_err(),
        client
            .customers()
            .members(team())
            .list()
            .page(0)
            .await
            .unwrap_err(),
    ];
    assert_eq!(invalid_fields(&errors), ["external_id", "limit", "page"]);
    assert_eq!(mock.request_count(), 3, "invalid input sends nothing");
}

#[tokio::test]
async fn empty_or_invalid_member_input_is_refused_before_sending() {
    let mock = MockTransport::new();
    let client = Client::from_service(mock.clone());
    let by_ext = client.customers().members_external("team_7");
    let errors = [
        client
            .customers()
            .members_external("")
            .get("m")
            .await
            .unwrap_err(),
        by_ext.get("").await.unwrap_err(),
        by_ext.update("").name("x").await.unwrap_err(),
        by_ext.delete("").await.unwrap_err(),
        client
            .customers()
            .members_external("")
            .create("a@example.com")
            .await
            .unwrap_err(),
        by_ext.create("not an email").await.unwrap_err(),
        by_ext
            .create("a@example.com")
            .name("n".repeat(257))
            .await
            .unwrap_err(),
    ];
    assert_eq!(
        invalid_fields(&errors),
        [
            "external_id",
            "member_external_id",
            "member_external_id",
            "member_external_id",
            "external_id",
            "email",
            "name"
        ]
    );
    assert_eq!(mock.request_count(), 0, "nothing may be sent");
}

#[tokio::test]
async fn payment_methods_are_paged_and_typed() {
    let mock = MockTransport::new();
    for client in clients(&mock) {
        mock.push(MockResponse::json(
            200,
            &page_json(payment_methods_json(CUSTOMER_ID), 2, 1),
        ));
        mock.push(MockResponse::json(200, &page_json(vec![], 0, 0)));
        let page = client
            .customers()
            .payment_methods(CUSTOMER_ID.parse().unwrap())
            .page(1)
            .limit(25)
            .await
            .unwrap();
        let PaymentMethod::Card(card) = &page.items[0] else {
            panic!("a card first: {:?}", page.items[0])
        };
        assert!(card.is_default);
        assert_eq!(card.method_metadata.last4, "4242");
        let PaymentMethod::Generic(other) = &page.items[1] else {
            panic!("then another kind: {:?}", page.items[1])
        };
        assert_eq!(other.r#type, "sepa_debit");
        client
            .customers()
            .payment_methods_external("u/1#")
            .await
            .unwrap();
    }
    let requests = mock.requests();
    assert_auth(&requests);
    for r in requests.chunks(2) {
        r[0].assert_method(Method::GET)
            .assert_path(&format!("/v1/customers/{CUSTOMER_ID}/payment-methods"))
            .assert_query(&[("page", "1"), ("limit", "25")]);
        assert_route(&r[0], "/v1/customers/{id}/payment-methods");
        assert_eq!(
            r[1].uri().path(),
            "/v1/customers/external/u%2F1%23/payment-methods"
        );
        assert_eq!(r[1].query(), None);
        assert_route(
            &r[1],
            "/v1/customers/external/{external_id}/payment-methods",
        );
    }
}

#[tokio::test]
async fn payment_methods_stream_walks_every_page() {
    use futures_util::TryStreamExt;
    let mock = MockTransport::new();
    let methods = payment_methods_json(CUSTOMER_ID);
    mock.push(MockResponse::json(
        200,
        &page_json(vec![methods[0].clone()], 2, 2),
    ));
    mock.push(MockResponse::json(
        200,
        &page_json(vec![methods[1].clone()], 2, 2),
    ));
    let client = Client::from_service(mock.clone());
    let all: Vec<PaymentMethod> = client
        .customers()
        .payment_methods_external("user_42")
        .limit(1)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    let pages: Vec<String> = mock
        .requests()
        .iter()
        .map(|r| r.query().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(pages, ["page=1&limit=1", "page=2&limit=1"]);

    let err = client
        .customers()
        .payment_methods(CUSTOMER_ID.parse().unwrap())
        .limit(0)
        .stream()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidInput(ref e) if e.field == "limit"),
        "{err:?}"
    );
    assert_eq!(mock.request_count(), 2, "an invalid limit sends nothing");
}

#[tokio::test]
async fn customer_session_bodies_by_id_and_by_external_id() {
    let mock = MockTransport::new();
    for client in clients(&mock) {
        mock.push(MockResponse::json(201, &session_json(CUSTOMER_ID)));
        mock.push(MockResponse::json(201, &session_json(CUSTOMER_ID)));
        let sessions = client.customer_sessions();
        let session = sessions
            .create(CUSTOMER_ID.parse().unwrap())
            .return_url("https://example.com/account")
            .member_id(member_id())
            .await
            .unwrap();
        assert!(session.token.expose().starts_with("polar_cst_"));
        assert!(
            session
                .customer_portal_url
                .expose()
                .contains(session.token.expose())
        );
        // The secrets stay out of Debug.
        let shown = format!("{session:?}");
        assert!(!shown.contains("polar_cst_"), "{shown}");
        sessions
            .create_external("user_42")
            .external_member_id("m_1")
            .await
            .unwrap();
    }
    let requests = mock.requests();
    assert_auth(&requests);
    for r in requests.chunks(2) {
        r[0].assert_method(Method::POST)
            .assert_path("/v1/customer-sessions/")
            .assert_header("content-type", "application/json")
            .assert_json(&json!({
                "customer_id": CUSTOMER_ID,
                "member_id": MEMBER_ID,
                "return_url": "https://example.com/account"
            }));
        assert_route(&r[0], "/v1/customer-sessions/");
        r[1].assert_json(&json!({"external_customer_id": "user_42", "external_member_id": "m_1"}));
    }
}

#[tokio::test]
async fn a_session_answer_that_does_not_decode_shows_none_of_its_secrets() {
    let mock = MockTransport::new();
    let mut body = session_json(CUSTOMER_ID);
    body["expires_at"] = json!("not a time");
    mock.push(MockResponse::json(201, &body));
    let err = Client::from_service(mock.clone())
        .customer_sessions()
        .create_external("user_42")
        .await
        .unwrap_err();
    let Error::Decode(decode) = &err else {
        panic!("expected a decode error, got {err:?}")
    };
    assert_eq!(decode.path(), "expires_at");
    assert_eq!(decode.excerpt(), "");
    for shown in [format!("{err}"), format!("{err:?}")] {
        assert!(!shown.contains("polar_cst_"), "{shown}");
    }
}

#[tokio::test]
async fn customer_meter_list_sends_every_filter_and_get_its_id() {
    let mock = MockTransport::new();
    let org = ORGANIZATION_ID;
    let meter = "6e7f8091-a2b3-4c4d-9e5f-6a7b8c9d0e1f";
    for client in clients(&mock) {
        mock.push(MockResponse::json(
            200,
            &page_json(vec![customer_meter_json(CUSTOMER_ID)], 1, 1),
        ));
        mock.push(MockResponse::json(200, &customer_meter_json(CUSTOMER_ID)));
        let page = client
            .customer_meters()
            .list()
            .organization_id(org.parse().unwrap())
            .customer_id(CUSTOMER_ID.parse().unwrap())
            .external_customer_id("u 1")
            .external_customer_id("u&2")
            .meter_id(meter.parse().unwrap())
            .page(3)
            .limit(50)
            .sorting([CustomerMeterSortProperty::BalanceDesc])
            .sort_by(CustomerMeterSortProperty::MeterName)
            .await
            .unwrap();
        assert_eq!(page.items[0].balance, 75.0);
        assert_eq!(page.items[0].meter.name, "API calls");
        let got = client
            .customer_meters()
            .get(CUSTOMER_METER_ID.parse().unwrap())
            .await
            .unwrap();
        assert_eq!(got.id.to_string(), CUSTOMER_METER_ID);
    }
    let requests = mock.requests();
    assert_auth(&requests);
    for r in requests.chunks(2) {
        r[0].assert_method(Method::GET)
            .assert_path("/v1/customer-meters/")
            .assert_query(&[
                ("organization_id", org),
                ("customer_id", CUSTOMER_ID),
                ("external_customer_id", "u 1"),
                ("external_customer_id", "u&2"),
                ("meter_id", meter),
                ("page", "3"),
                ("limit", "50"),
                ("sorting", "-balance"),
                ("sorting", "meter_name"),
            ]);
        assert_no_body(&r[0]);
        assert_route(&r[0], "/v1/customer-meters/");
        r[1].assert_method(Method::GET)
            .assert_path(&format!("/v1/customer-meters/{CUSTOMER_METER_ID}"));
        assert_route(&r[1], "/v1/customer-meters/{id}");
    }
}

// ------------------------------------------------------------------------------------ refusals

fn api(err: Error) -> polar_customers::ApiError {
    match err {
        Error::Api(api) => *api,
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn each_route_maps_its_refusals() {
    let mock = MockTransport::new();
    let client = Client::from_service(mock.clone());
    let not_found = || {
        MockResponse::json(
            404,
            &json!({"error": "ResourceNotFound", "detail": "Member not found"}),
        )
    };
    let unprocessable = |loc: serde_json::Value, msg: &str| {
        MockResponse::json(
            422,
            &json!({"error": "RequestValidationError", "detail": [
                {"loc": loc, "msg": msg, "type": "value_error", "input": null}
            ]}),
        )
    };

    // A member of another customer is not found.
    mock.push(not_found());
    let e = api(client
        .customers()
        .members(team())
        .get(member_id())
        .await
        .unwrap_err());
    assert_eq!(
        (e.kind(), e.code(), e.detail()),
        (
            ApiErrorKind::NotFound,
            Some("ResourceNotFound"),
            Some("Member not found")
        )
    );

    mock.push(not_found());
    let e = api(client
        .customers()
        .members_external("t")
        .update("m")
        .name("x")
        .await
        .unwrap_err());
    assert_eq!(e.kind(), ApiErrorKind::NotFound);

    // A first DELETE that finds nothing is an error (only a retry's 404 is success).
    mock.push(not_found());
    let e = api(client
        .customers()
        .members(team())
        .delete(member_id())
        .await
        .unwrap_err());
    assert_eq!(e.kind(), ApiErrorKind::NotFound);

    // Adding to an individual customer: 403 NotPermitted.
    mock.push(MockResponse::json(
        403,
        &json!({"error": "NotPermitted", "detail": "Members can only be added to team customers."}),
    ));
    let e = api(client
        .customers()
        .members(team())
        .create("a@example.com")
        .await
        .unwrap_err());
    assert_eq!(
        (e.kind(), e.code()),
        (ApiErrorKind::Forbidden, Some("NotPermitted"))
    );

    // An email already taken within the customer: 422 at body.email.
    mock.push(unprocessable(
        json!(["body", "email"]),
        "A member with this email already exists for this customer.",
    ));
    let e = api(client
        .customers()
        .members(team())
        .create("a@example.com")
        .await
        .unwrap_err());
    assert_eq!(e.kind(), ApiErrorKind::Validation);
    assert_eq!(
        e.validation_errors()[0].msg,
        "A member with this email already exists for this customer."
    );

    // An external customer ID shared by organizations: 409.
    mock.push(MockResponse::json(
        409,
        &json!({"error": "AmbiguousExternalCustomerID", "detail": "several"}),
    ));
    let e = api(client
        .customers()
        .members_external("t")
        .get("m")
        .await
        .unwrap_err());
    assert_eq!(
        (e.kind(), e.code()),
        (ApiErrorKind::Conflict, Some("AmbiguousExternalCustomerID"))
    );

    // The members of an unknown customer: 404, by ID and in a stream alike.
    mock.push(MockResponse::json(
        404,
        &json!({"error": "ResourceNotFound", "detail": "Customer not found"}),
    ));
    let e = api(client.customers().members(team()).list().await.unwrap_err());
    assert_eq!(
        (e.kind(), e.detail()),
        (ApiErrorKind::NotFound, Some("Customer not found"))
    );
    mock.push(MockResponse::json(
        409,
        &json!({"error": "AmbiguousExternalCustomerID", "detail": "several"}),
    ));
    let e = futures_util::TryStreamExt::try_collect::<Vec<_>>(
        client.customers().members_external("t").list().stream(),
    )
    .await
    .unwrap_err();
    assert_eq!(api(e).kind(), ApiErrorKind::Conflict);

    // Payment methods of an unknown customer: 404.
    mock.push(MockResponse::json(
        404,
        &json!({"error": "ResourceNotFound", "detail": "Not found"}),
    ));
    let e = api(client
        .customers()
        .payment_methods_external("nobody")
        .await
        .unwrap_err());
    assert_eq!(e.kind(), ApiErrorKind::NotFound);

    // A session for an unknown customer: 422 at body.customer_id, not 404.
    mock.push(unprocessable(
        json!(["body", "customer_id"]),
        "Customer does not exist.",
    ));
    let e = api(client
        .customer_sessions()
        .create(CUSTOMER_ID.parse().unwrap())
        .await
        .unwrap_err());
    assert_eq!(e.kind(), ApiErrorKind::Validation);
    assert_eq!(e.validation_errors()[0].msg, "Customer does not exist.");

    // Customer meters: an unknown sort key is 422; an unknown meter 404.
    mock.push(unprocessable(
        json!(["query", "sorting", 0]),
        "Input should be 'created_at', …",
    ));
    let e = api(client.customer_meters().list().await.unwrap_err());
    assert_eq!(e.kind(), ApiErrorKind::Validation);
    mock.push(MockResponse::json(
        404,
        &json!({"error": "ResourceNotFound", "detail": "Not found"}),
    ));
    let e = api(client
        .customer_meters()
        .get(CUSTOMER_METER_ID.parse().unwrap())
        .await
        .unwrap_err());
    assert_eq!(e.kind(), ApiErrorKind::NotFound);
    assert_eq!(mock.remaining(), 0);
}
