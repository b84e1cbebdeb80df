//! One test per point of the fidelity passes (issue 11, then issue 22's fifth point at the end):
//! each asserts the status and body Polar's server gives, through the fake's `tower::Service`
//! face.

use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use polar_fake::{FakePolar, Scopes};
use serde_json::{Value, json};
use tower_service::Service;

mod common;
use common::{Answer, call, request, send};

async fn create(fake: &FakePolar, body: Value) -> Value {
    let a = call(
        fake,
        fake.token(),
        Method::POST,
        "/v1/customers/",
        Some(body),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.text());
    a.json()
}

fn detail(a: &Answer) -> Value {
    a.json()["detail"].clone()
}

#[tokio::test]
async fn organization_and_user_tokens_and_no_organization_header() {
    let fake = FakePolar::new();
    let org = fake.organization_id().to_string();
    let a = call(
        &fake,
        fake.token(),
        Method::POST,
        "/v1/customers/",
        Some(json!({"email": "a@polar.sh", "organization_id": org})),
    )
    .await;
    assert_eq!(a.status, 422);
    assert_eq!(
        a.json(),
        json!({"error": "PolarRequestValidationError", "detail": [{"type": "organization_token", "loc": ["body", "organization_id"], "msg": "Setting organization_id is disallowed when using an organization token.", "input": org}]})
    );
    let (org2, _) = fake.add_organization();
    let user = fake.add_user_token(&[fake.organization_id(), org2], Scopes::ReadWrite);
    let a = call(
        &fake,
        &user,
        Method::POST,
        "/v1/customers/",
        Some(json!({"email": "a@polar.sh"})),
    )
    .await;
    assert_eq!(
        a.json(),
        json!({"error": "PolarRequestValidationError", "detail": [{"type": "missing", "loc": ["body", "organization_id"], "msg": "organization_id is required.", "input": null}]})
    );
    let scoped = fake.add_down_scoped_user_token(org2, Scopes::ReadWrite);
    let a = call(
        &fake,
        &scoped,
        Method::POST,
        "/v1/customers/",
        Some(json!({"email": "s@polar.sh"})),
    )
    .await;
    assert_eq!(
        (a.status, a.json()["organization_id"].clone()),
        (StatusCode::CREATED, json!(org2.to_string()))
    );
    let a = call(
        &fake,
        &scoped,
        Method::POST,
        "/v1/customers/",
        Some(json!({"email": "n@polar.sh", "organization_id": fake.organization_id().to_string()})),
    )
    .await;
    assert_eq!(detail(&a)[0]["msg"], "Organization not found.");
    // The header is not read: no 403, no narrowing.
    let req = request(
        fake.token(),
        Method::POST,
        "/v1/customers/",
        Some(&json!({})),
    )
    .header("polar-organization", org2.to_string())
    .body(Full::new(Bytes::from(r#"{"email":"h@polar.sh"}"#)))
    .unwrap();
    let a = send(&fake, req).await;
    assert_eq!(a.status, 201);
    assert_eq!(
        a.json()["organization_id"],
        fake.organization_id().to_string()
    );
}

#[tokio::test]
async fn external_ids_with_a_slash_route_on_the_decoded_path() {
    let fake = FakePolar::new();
    create(&fake, json!({"email": "a@polar.sh", "external_id": "a"})).await;
    create(&fake, json!({"email": "ab@polar.sh", "external_id": "a/b"})).await;
    let a = call(
        &fake,
        fake.token(),
        Method::GET,
        "/v1/customers/external/a%2Fb",
        None,
    )
    .await;
    assert_eq!(
        (a.status, a.json()),
        (StatusCode::NOT_FOUND, json!({"detail": "Not Found"}))
    );
    let a = call(
        &fake,
        fake.token(),
        Method::GET,
        "/v1/customers/external/a%2Fstate",
        None,
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.json()["external_id"], "a");
    assert!(
        a.json()["active_subscriptions"].is_array(),
        "the state route answered"
    );
}

#[tokio::test]
async fn update_ignores_email_null_case_changes_empty_bodies_and_by_external_id_extras() {
    let fake = FakePolar::new();
    let c = create(&fake, json!({"email": "Jane@polar.sh", "external_id": "j"})).await;
    let path = format!("/v1/customers/{}", c["id"].as_str().unwrap());
    for body in [
        json!({}),
        json!({"email": null}),
        json!({"email": "JANE@POLAR.SH"}),
    ] {
        let a = call(
            &fake,
            fake.token(),
            Method::PATCH,
            &path,
            Some(body.clone()),
        )
        .await;
        assert_eq!(a.status, 200, "{body}");
        assert_eq!(a.json(), c, "{body} changes nothing, not even modified_at");
    }
    let a = call(
        &fake,
        fake.token(),
        Method::PATCH,
        "/v1/customers/external/j",
        Some(json!({"external_id": "k", "type": "team", "name": "J"})),
    )
    .await;
    assert_eq!(a.status, 200);
    let v = a.json();
    assert_eq!(
        (
            v["external_id"].clone(),
            v["type"].clone(),
            v["name"].clone()
        ),
        (json!("j"), json!("individual"), json!("J"))
    );
    assert!(v["modified_at"].is_string());
}

#[tokio::test]
async fn inputs_are_normalised_like_polar() {
    let fake = FakePolar::new();
    let c = create(&fake, json!({"email": "n@polar.sh", "name": "  Jo  ", "external_id": " e-1 ", "tax_id": "   ", "locale": "en_US",
        "billing_address": {"country": "us", "state": "NY", "line1": "  1 Main St ", "line2": "   ", "city": "NYC"}})).await;
    assert_eq!(c["name"], "Jo");
    assert_eq!(c["external_id"], "e-1");
    assert_eq!(c["tax_id"], Value::Null);
    assert_eq!(c["locale"], "en-US");
    assert_eq!(
        c["billing_address"],
        json!({"line1": "1 Main St", "line2": null, "postal_code": null, "city": "NYC", "state": "US-NY", "country": "US"})
    );
    let a = call(
        &fake,
        fake.token(),
        Method::POST,
        "/v1/customers/",
        Some(json!({"email": "l@polar.sh", "locale": "not a tag"})),
    )
    .await;
    assert_eq!(
        detail(&a),
        json!([{"type": "value_error", "loc": ["body", "individual", "locale"], "msg": "Value error, Invalid IETF BCP 47 language tag", "input": "not a tag", "ctx": {"error": {}}}])
    );
    let address = json!({"country": "US", "state": "XX"});
    let a = call(
        &fake,
        fake.token(),
        Method::POST,
        "/v1/customers/",
        Some(json!({"email": "s@polar.sh", "billing_address": address})),
    )
    .await;
    assert_eq!(
        detail(&a),
        json!([{"type": "value_error", "loc": ["body", "individual", "billing_address"], "msg": "Value error, Invalid US state", "input": address, "ctx": {"error": {}}}])
    );
}

#[tokio::test]
async fn emails_syntax_reserved_names_and_undeliverable_domains() {
    let fake = FakePolar::builder()
        .undeliverable_domain("acme-test.com")
        .build();
    let c = create(&fake, json!({"email": " Jane Doe <Jane@Polar.SH> "})).await;
    assert_eq!(c["email"], "Jane@polar.sh");
    let a = call(
        &fake,
        fake.token(),
        Method::POST,
        "/v1/customers/",
        Some(json!({"email": "ops@acme-test.com"})),
    )
    .await;
    assert_eq!(
        a.json(),
        json!({"error": "RequestValidationError", "detail": [{"type": "value_error", "loc": ["body", "individual", "email"],
            "msg": "ops@acme-test.com is not a valid email address: The domain name acme-test.com does not exist.", "input": "ops@acme-test.com",
            "ctx": {"email": "ops@acme-test.com", "reason": "The domain name acme-test.com does not exist."}}]})
    );
    let a = call(
        &fake,
        fake.token(),
        Method::POST,
        "/v1/customers/",
        Some(json!({"email": "a@host.test"})),
    )
    .await;
    let reason = "The part after the @-sign is a special-use or reserved name that cannot be used with email.";
    assert_eq!(
        detail(&a),
        json!([{"type": "value_error", "loc": ["body", "individual", "email"], "msg": format!("value is not a valid email address: {reason}"), "input": "a@host.test", "ctx": {"reason": reason}}])
    );
    let a = call(
        &fake,
        fake.token(),
        Method::POST,
        "/v1/customers/",
        Some(json!({"email": "nope"})),
    )
    .await;
    assert_eq!(
        detail(&a)[0]["msg"],
        "value is not a valid email address: An email address must have an @-sign."
    );
}

#[tokio::test]
async fn tax_ids_are_checksummed() {
    let fake = FakePolar::new();
    let a = call(&fake, fake.token(), Method::POST, "/v1/customers/", Some(json!({"email": "t@polar.sh", "tax_id": "DE123456789", "billing_address": {"country": "DE"}}))).await;
    assert_eq!(
        a.json(),
        json!({"error": "PolarRequestValidationError", "detail": [{"type": "invalid", "loc": ["body", "tax_id"], "msg": "Invalid tax ID.", "input": "DE123456789"}]})
    );
    let a = call(
        &fake,
        fake.token(),
        Method::POST,
        "/v1/customers/",
        Some(json!({"email": "t@polar.sh", "tax_id": "123", "billing_address": {"country": "AQ"}})),
    )
    .await;
    assert_eq!(
        detail(&a)[0]["msg"],
        "Invalid tax ID.",
        "no country-specific message"
    );
    let c = create(&fake, json!({"email": "t@polar.sh", "tax_id": "DE 136 695 976", "billing_address": {"country": "DE"}})).await;
    assert_eq!(c["tax_id"], json!(["DE136695976", "eu_vat"]));
}

#[tokio::test]
async fn derived_fields_and_anonymize() {
    let fake = FakePolar::new();
    let c = create(
        &fake,
        json!({"email": "Jane@polar.sh", "name": "Jane", "external_id": "x"}),
    )
    .await;
    assert_eq!(c["billing_name"], "Jane");
    let gravatar = |email: &str| {
        use sha2::Digest;
        let hash: String = sha2::Sha256::digest(email.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("https://www.gravatar.com/avatar/{hash}?d=404")
    };
    assert_eq!(c["avatar_url"], gravatar("jane@polar.sh"));
    let team = create(
        &fake,
        json!({"type": "team", "owner": {"email": "Owner@polar.sh"}}),
    )
    .await;
    assert_eq!(team["email"], Value::Null);
    assert_eq!(
        team["avatar_url"],
        gravatar("owner@polar.sh"),
        "a team's avatar comes from its owner"
    );
    let id = c["id"].as_str().unwrap();
    let a = call(
        &fake,
        fake.token(),
        Method::DELETE,
        &format!("/v1/customers/{id}?anonymize=true"),
        None,
    )
    .await;
    assert_eq!(a.status, 204);
    let gone = fake.customer_json(id.parse().unwrap()).unwrap();
    assert_eq!(gone["external_id"], "x");
    let email = gone["email"].as_str().unwrap();
    assert!(
        email.ends_with("@anonymized.polar.sh") && email.len() == 64 + "@anonymized.polar.sh".len(),
        "{email}"
    );
    assert_eq!(gone["name"].as_str().unwrap().len(), 64);
    assert_eq!(gone["email_verified"], false);
    assert!(
        gone["metadata"]["__anonymized_at"]
            .as_str()
            .unwrap()
            .ends_with("+00:00")
    );
}

#[tokio::test]
async fn validation_errors_carry_polars_details() {
    let fake = FakePolar::new();
    let post = |body: Value| {
        call(
            &fake,
            fake.token(),
            Method::POST,
            "/v1/customers/",
            Some(body),
        )
    };
    let a = post(json!({"type": "team"})).await;
    assert_eq!(
        detail(&a),
        json!([{"type": "value_error", "loc": ["body", "team"], "msg": "Value error, An owner with an email address is required when creating a team customer without an email.", "input": {"type": "team"}, "ctx": {"error": {}}}])
    );
    let a = post(json!({"email": "m@polar.sh", "metadata": {"k": null}})).await;
    assert_eq!(
        detail(&a),
        json!([
            {"type": "string_type", "loc": ["body", "individual", "metadata", "k", "constrained-str"], "msg": "Input should be a valid string", "input": null},
            {"type": "int_type", "loc": ["body", "individual", "metadata", "k", "int"], "msg": "Input should be a valid integer", "input": null},
            {"type": "float_type", "loc": ["body", "individual", "metadata", "k", "float"], "msg": "Input should be a valid number", "input": null},
            {"type": "bool_type", "loc": ["body", "individual", "metadata", "k", "bool"], "msg": "Input should be a valid boolean", "input": null},
        ])
    );
    let a = post(json!({"email": "m@polar.sh", "name": "a\u{0}b"})).await;
    assert_eq!(
        detail(&a),
        json!([{"type": "value_error", "loc": ["body", "individual", "name"], "msg": "Value error, This value contains invalid characters", "input": "a\u{0}b", "ctx": {"error": {}}}])
    );
    let a = post(json!({"type": null, "email": "m@polar.sh"})).await;
    assert_eq!(detail(&a)[0]["type"], "union_tag_invalid");
    let a = call(
        &fake,
        fake.token(),
        Method::GET,
        "/v1/customers/?sorting=name&sorting=age",
        None,
    )
    .await;
    assert_eq!(detail(&a)[0]["loc"], json!(["query", "sorting", 1]));
    let c = create(
        &fake,
        json!({"type": "team", "email": "t@polar.sh", "billing_address": {"country": "FR"}}),
    )
    .await;
    let path = format!("/v1/customers/{}", c["id"].as_str().unwrap());
    let a = call(
        &fake,
        fake.token(),
        Method::PATCH,
        &path,
        Some(json!({"billing_address": null, "type": null})),
    )
    .await;
    assert_eq!(
        detail(&a),
        json!([
            {"type": "value_error", "loc": ["body", "billing_address"], "msg": "Customer billing address cannot be reset to null once set.", "input": null},
            {"type": "value_error", "loc": ["body", "type"], "msg": "Customer type cannot be downgraded from 'team' to 'individual'.", "input": null},
        ])
    );
}

#[tokio::test]
async fn authentication_comes_before_routing_and_bodies() {
    let fake = FakePolar::new();
    for (method, path, body) in [
        (Method::GET, "/v1/nowhere", None),
        (Method::GET, "/v1/customers", None),
        (Method::POST, "/v1/customers/", Some(json!("not an object"))),
    ] {
        let a = call(&fake, "polar_oat_unknown", method, path, body).await;
        assert_eq!(a.status, 401, "{path}");
        assert_eq!(a.json()["error"], "invalid_token");
    }
    // A read-only token: a body that is not JSON is refused while reading (before the scope
    // check, as FastAPI does), a well-formed one meets the scope check first.
    let reader = fake.add_token(&[fake.organization_id()], Scopes::ReadOnly);
    let req = request(&reader, Method::POST, "/v1/customers/", Some(&json!({})))
        .body(Full::new(Bytes::from_static(b"{not json")))
        .unwrap();
    assert_eq!(
        send(&fake, req).await.json()["detail"][0]["type"],
        "json_invalid"
    );
    let a = call(
        &fake,
        &reader,
        Method::POST,
        "/v1/customers/",
        Some(json!({"email": 5})),
    )
    .await;
    assert_eq!(
        (a.status, a.json()["error"].clone()),
        (StatusCode::FORBIDDEN, json!("insufficient_scope"))
    );
    // Only an unknown `Polar-Version` comes first (the outermost layer).
    let req = request("polar_oat_unknown", Method::GET, "/v1/customers/", None)
        .header("polar-version", "1999-01")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let a = send(&fake, req).await;
    assert_eq!(
        (a.status, a.json()),
        (StatusCode::NOT_FOUND, json!({"detail": "Not Found"}))
    );
}

#[tokio::test]
async fn body_length_versions_and_cache_control() {
    let fake = FakePolar::builder().max_body_bytes(16).build();
    let big = json!({"email": "a-long-address@polar.sh"});
    let a = call(
        &fake,
        fake.token(),
        Method::POST,
        "/v1/customers/",
        Some(big),
    )
    .await;
    assert_eq!(
        (a.status, a.json()),
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            json!({"error": "RequestBodyTooLarge", "detail": "Request body exceeded the maximum allowed size of 16 bytes."})
        )
    );
    assert_eq!(a.headers["cache-control"], "private, no-store");
    // A streamed body without a length: 411.
    let stream = http_body_util::StreamBody::new(futures_stream());
    let req = Request::post("/v1/customers/")
        .header("authorization", format!("Bearer {}", fake.token()))
        .body(stream)
        .unwrap();
    let res = fake.clone().call(req).await.unwrap();
    assert_eq!(res.status(), 411);
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap(),
        json!({"error": "LengthRequired", "detail": "A Content-Length header is required."})
    );
    let req = request(fake.token(), Method::GET, "/v1/customers/", None)
        .header("polar-version", "")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let a = send(&fake, req).await;
    assert_eq!(a.status, 200, "an empty Polar-Version counts as absent");
    assert_eq!(a.headers["cache-control"], "private, no-store");
}

fn futures_stream()
-> impl futures_core::Stream<Item = Result<http_body::Frame<Bytes>, std::convert::Infallible>>
+ Send
+ 'static {
    struct Once(Option<Bytes>);
    impl futures_core::Stream for Once {
        type Item = Result<http_body::Frame<Bytes>, std::convert::Infallible>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            std::task::Poll::Ready(self.0.take().map(|b| Ok(http_body::Frame::data(b))))
        }
    }
    Once(Some(Bytes::from_static(b"{}")))
}

#[tokio::test(start_paused = true)]
async fn rate_limit_is_a_fixed_window_per_organization() {
    let fake = FakePolar::builder()
        .rate_limit(2, Duration::from_secs(60))
        .build();
    let second = fake.add_token(&[fake.organization_id()], Scopes::ReadWrite);
    let list = |t: String| {
        let fake = fake.clone();
        async move {
            let req = request(&t, Method::GET, "/v1/customers/", None)
                .header("polar-version", "2026-10")
                .body(Full::new(Bytes::new()))
                .unwrap();
            send(&fake, req).await
        }
    };
    assert_eq!(list(fake.token().to_owned()).await.status, 200);
    assert_eq!(list(second.clone()).await.status, 200);
    let a = list(second.clone()).await;
    assert_eq!(a.status, 429, "both organization tokens share one bucket");
    assert_eq!(a.headers["retry-after"], "60");
    assert_eq!(a.headers["polar-version"], "2026-10");
    assert!(a.body.is_empty());
    tokio::time::advance(Duration::from_secs(60)).await;
    assert_eq!(
        list(fake.token().to_owned()).await.status,
        200,
        "a new window"
    );
}

#[tokio::test]
async fn export_writes_tax_ids_filenames_and_metadata_as_polar() {
    let fake = FakePolar::new();
    let c = create(&fake, json!({"email": "e@polar.sh", "tax_id": "FR61954506077", "billing_address": {"country": "FR"}, "metadata": {"bb": 1, "a": "x", "ab": true}})).await;
    let a = call(
        &fake,
        fake.token(),
        Method::GET,
        &format!("/v1/customers/{}", c["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert!(
        a.text()
            .contains(r#""metadata":{"a":"x","ab":true,"bb":1}"#),
        "{}",
        a.text()
    );
    let a = call(
        &fake,
        fake.token(),
        Method::GET,
        "/v1/customers/export",
        None,
    )
    .await;
    assert_eq!(
        a.headers["content-disposition"],
        "attachment; filename=\"polar-customers.csv\""
    );
    let text = a.text();
    assert!(
        text.contains(r#""('FR61954506077', <TaxIDFormat.eu_vat: 'eu_vat'>)""#),
        "{text}"
    );
    assert!(
        text.contains(r#""{""a"": ""x"", ""ab"": true, ""bb"": 1}""#),
        "{text}"
    );
}

// Issue 22, point 5: where the fake disagreed with Polar's server.

/// `method path` with the fake's own token, and `body` as JSON when there is one.
async fn ask(fake: &FakePolar, method: Method, path: &str, body: Option<Value>) -> Answer {
    call(fake, fake.token(), method, path, body).await
}

/// The ID of a customer or member as the API answered it.
fn id_of(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

/// `server/polar/member/schemas.py`: `MemberCreateFromCustomer.role` is
/// `Literal[MemberRole.member, MemberRole.billing_manager]`, a literal of enum members, so
/// pydantic's `literal_error` names them by their repr (checked with pydantic 2.13.4).
#[tokio::test]
async fn member_create_refuses_owner_in_pydantics_literal_wording() {
    let fake = FakePolar::new();
    let c = create(&fake, json!({"type": "team", "email": "boss@polar.sh"})).await;
    let path = format!("/v1/customers/{}/members", id_of(&c));
    let expected =
        "<MemberRole.member: 'member'> or <MemberRole.billing_manager: 'billing_manager'>";
    for role in [json!("owner"), json!("MEMBER"), json!(null), json!(5)] {
        let body = json!({"email": "a@polar.sh", "role": role});
        let a = ask(&fake, Method::POST, &path, Some(body)).await;
        assert_eq!(a.status, 422);
        assert_eq!(
            a.json(),
            json!({"error": "RequestValidationError", "detail": [{
                "type": "literal_error",
                "loc": ["body", "role"],
                "msg": format!("Input should be {expected}"),
                "input": role,
                "ctx": {"expected": expected},
            }]})
        );
    }
}

/// `server/polar/customer/service.py::update` calls `member/service.py::sync_owner_email` when
/// the email changed (not only in case): an individual's owner member takes the customer's new
/// email, whatever the member management setting is now; a team's members keep theirs, and so
/// does the owner of an individual that the same update makes a team.
#[tokio::test]
async fn an_individuals_new_email_moves_to_its_owner_member() {
    let fake = FakePolar::new();
    let owner_of = |customer: &Value| -> Value {
        let members = fake.members_json(id_of(customer).parse().unwrap());
        assert_eq!(members.len(), 1, "{members:?}");
        members[0].clone()
    };
    let patch = async |path: &str, body: Value| ask(&fake, Method::PATCH, path, Some(body)).await;
    let solo = create(
        &fake,
        json!({"email": "old@polar.sh", "external_id": "solo"}),
    )
    .await;
    let by_id = format!("/v1/customers/{}", id_of(&solo));
    let before = owner_of(&solo);
    assert_eq!(before["modified_at"], Value::Null);
    let a = patch(&by_id, json!({"email": "New@Polar.sh"})).await;
    assert_eq!(a.status, 200, "{}", a.text());
    let owner = owner_of(&solo);
    assert_eq!(
        (&owner["id"], &owner["email"], &owner["role"]),
        (&before["id"], &json!("New@polar.sh"), &json!("owner"))
    );
    assert_ne!(owner["modified_at"], Value::Null);
    // The portal link of the owner's session carries the new address.
    let body = json!({"customer_id": solo["id"]});
    let a = ask(&fake, Method::POST, "/v1/customer-sessions/", Some(body)).await;
    assert_eq!(a.status, 201, "{}", a.text());
    let link = a.json()["customer_portal_url"].as_str().unwrap().to_owned();
    assert!(link.ends_with("&email=New%40polar.sh"), "{link}");
    // A change of case only is no change: the owner keeps its spelling.
    let by_ext = "/v1/customers/external/solo";
    assert_eq!(
        patch(by_ext, json!({"email": "new@polar.sh"})).await.status,
        200
    );
    assert_eq!(owner_of(&solo)["email"], "New@polar.sh");
    // By external ID, and with member management turned off since: still synced.
    fake.set_member_management(false);
    assert_eq!(
        patch(by_ext, json!({"email": "third@polar.sh"}))
            .await
            .status,
        200
    );
    assert_eq!(owner_of(&solo)["email"], "third@polar.sh");
    fake.set_member_management(true);

    // A team's owner keeps its own email.
    let team = create(&fake, json!({"type": "team", "email": "team@polar.sh"})).await;
    let path = format!("/v1/customers/{}", id_of(&team));
    assert_eq!(
        patch(&path, json!({"email": "team-new@polar.sh"}))
            .await
            .status,
        200
    );
    assert_eq!(owner_of(&team)["email"], "team@polar.sh");
    // Synced only after the update: an individual made a team in the same call is a team.
    let up = create(&fake, json!({"email": "up@polar.sh"})).await;
    let path = format!("/v1/customers/{}", id_of(&up));
    let a = patch(&path, json!({"email": "up-new@polar.sh", "type": "team"})).await;
    assert_eq!(
        (a.status, &a.json()["type"]),
        (StatusCode::OK, &json!("team"))
    );
    assert_eq!(owner_of(&up)["email"], "up@polar.sh");
    // A refused update changes no member.
    assert_eq!(
        patch(&by_id, json!({"email": "team-new@polar.sh"}))
            .await
            .status,
        422
    );
    assert_eq!(owner_of(&solo)["email"], "third@polar.sh");
}

/// `server/polar/customer_meter/service.py` lists and gets through
/// `repository.py::get_statement_by_org_ids`, which joins the customer without asking whether
/// it was deleted: a deleted customer's meters stay, with the customer as it is now. The
/// `external_customer_id` filter reads the customer's column, which the soft delete cleared
/// (`customer/repository.py::soft_delete`).
#[tokio::test]
async fn a_deleted_customers_meters_stay_in_customer_meters() {
    let fake = FakePolar::new();
    let gone = create(
        &fake,
        json!({"email": "gone@polar.sh", "external_id": "gone"}),
    )
    .await;
    let kept = create(&fake, json!({"email": "kept@polar.sh"})).await;
    let meter = polar_fake::samples::meter(3.0, 10);
    assert!(fake.add_meter(id_of(&gone).parse().unwrap(), &meter));
    let other = polar_fake::samples::meter(1.0, 1);
    assert!(fake.add_meter(id_of(&kept).parse().unwrap(), &other));
    let path = format!("/v1/customers/{}", id_of(&gone));
    assert_eq!(ask(&fake, Method::DELETE, &path, None).await.status, 204);
    let get = async |path: &str| {
        let a = ask(&fake, Method::GET, path, None).await;
        assert_eq!(a.status, 200, "{path}: {}", a.text());
        a.json()
    };
    let page = get("/v1/customer-meters/").await;
    assert_eq!(page["pagination"]["total_count"], 2);
    let one = get(&format!("/v1/customer-meters/{}", meter.id)).await;
    assert_eq!(one["customer_id"], gone["id"]);
    assert_ne!(one["customer"]["deleted_at"], Value::Null);
    assert_eq!(one["consumed_units"], 3.0);
    let by_id = get(&format!(
        "/v1/customer-meters/?customer_id={}",
        id_of(&gone)
    ))
    .await;
    assert_eq!(by_id["items"][0]["id"], json!(meter.id.to_string()));
    let by_ext = get("/v1/customer-meters/?external_customer_id=gone").await;
    assert_eq!(by_ext["pagination"]["total_count"], 0);
}

/// `server/polar/customer_session/schemas.py` types `return_url` as pydantic's `HttpUrl`, and
/// `service.py` stores `str(return_url)`: the URL as pydantic-core's parser (the `url` crate)
/// writes it back. Errors are pydantic's, field by field in the schema's order (the shared
/// fields before `customer_id` / `external_customer_id`). Expected answers from pydantic 2.13.4.
#[tokio::test]
async fn session_return_urls_come_back_as_pydantic_writes_them() {
    let fake = FakePolar::new();
    let c = create(&fake, json!({"email": "s@polar.sh", "external_id": "s"})).await;
    let id = id_of(&c);
    let session =
        async |body: Value| ask(&fake, Method::POST, "/v1/customer-sessions/", Some(body)).await;
    for (sent, answered) in [
        ("https://example.com", "https://example.com/"),
        ("HTTP://Example.COM:80/A?B#C", "http://example.com/A?B#C"),
        ("http://example.com:8080", "http://example.com:8080/"),
        ("https://bücher.de", "https://xn--bcher-kva.de/"),
        ("https:example.com", "https://example.com/"),
        (
            " https://example.com/a/../b c ",
            "https://example.com/b%20c",
        ),
        (
            "https://example.com/ünïcode?ä=ö#ü",
            "https://example.com/%C3%BCn%C3%AFcode?%C3%A4=%C3%B6#%C3%BC",
        ),
        ("http://0x7f.1/", "http://127.0.0.1/"),
    ] {
        let a = session(json!({"customer_id": id, "return_url": sent})).await;
        assert_eq!(a.status, 201, "{sent:?}: {}", a.text());
        assert_eq!(a.json()["return_url"], answered, "{sent:?}");
    }

    let refused = async |body: Value| {
        let a = session(body).await;
        assert_eq!(a.status, 422, "{}", a.text());
        assert_eq!(a.json()["error"], "RequestValidationError");
        detail(&a)
    };
    let by_id = "CustomerSessionCustomerIDCreate";
    let by_ext = "CustomerSessionCustomerExternalIDCreate";
    let body = json!({"external_customer_id": "s", "return_url": "https://"});
    let empty_host = |shape: &str| json!({"type": "url_parsing", "loc": ["body", shape, "return_url"], "msg": "Input should be a valid URL, empty host", "input": "https://", "ctx": {"error": "empty host"}});
    assert_eq!(
        refused(body.clone()).await,
        json!([
            empty_host(by_id),
            {"type": "missing", "loc": ["body", by_id, "customer_id"], "msg": "Field required", "input": body},
            empty_host(by_ext),
        ])
    );
    let body = json!({"customer_id": id, "return_url": 5});
    assert_eq!(
        refused(body.clone()).await,
        json!([
            {"type": "url_type", "loc": ["body", by_id, "return_url"], "msg": "URL input should be a string or URL", "input": 5},
            {"type": "url_type", "loc": ["body", by_ext, "return_url"], "msg": "URL input should be a string or URL", "input": 5},
            {"type": "missing", "loc": ["body", by_ext, "external_customer_id"], "msg": "Field required", "input": body},
        ])
    );
    let first = async |url: String| {
        let d = refused(json!({"customer_id": id, "return_url": url})).await;
        (
            d[0]["type"].clone(),
            d[0]["msg"].clone(),
            d[0]["ctx"].clone(),
        )
    };
    // The limit counts bytes: 1 052 characters, 2 084 bytes.
    assert_eq!(
        first(format!("https://example.com/{}", "é".repeat(1032))).await,
        (
            json!("url_too_long"),
            json!("URL should have at most 2083 characters"),
            json!({"max_length": 2083})
        )
    );
    assert_eq!(
        first("http://example.com:99999".to_owned()).await,
        (
            json!("url_parsing"),
            json!("Input should be a valid URL, invalid port number"),
            json!({"error": "invalid port number"})
        )
    );
}

// The 422s of the list routes' query strings.

/// pydantic's label for the list branch of `MultipleQueryFilter`'s union (its `Sequence[Q]`
/// schema), which names that branch in an item's `loc`.
const SEQUENCE: &str = "json-or-python[json=list[uuid],python=chain[is-instance[Sequence],function-wrap[sequence_validator()]]]";

/// `server/polar/kit/schemas.py`: a repeatable filter is `MultipleQueryFilter[UUID4]`, a union of
/// one UUID and a sequence of them. FastAPI hands it every value as a list, so the scalar branch
/// always fails (`uuid_type`, the whole list as input) and the sequence branch fails item by
/// item, under the branch's label. Expected answer from FastAPI 0.136.3 and pydantic 2.13.4,
/// the versions of server/uv.lock.
#[tokio::test]
async fn a_bad_uuid_filter_fails_both_branches_of_its_union() {
    let fake = FakePolar::new();
    let v4 = "7b0e8f5c-3f0a-4c53-9d0e-1f2a3b4c5d6e";
    let v7 = "01890a5d-ac96-774b-bcce-b302099a8057";
    let path = format!("/v1/customers/export?organization_id={v4}&organization_id={v7}");
    let a = ask(&fake, Method::GET, &path, None).await;
    assert_eq!(a.status, 422);
    assert_eq!(
        a.json(),
        json!({"error": "RequestValidationError", "detail": [
            {"type": "uuid_type", "loc": ["query", "organization_id", "uuid"], "msg": "UUID input should be a string, bytes or UUID object", "input": [v4, v7]},
            {"type": "uuid_version", "loc": ["query", "organization_id", SEQUENCE, 1], "msg": "UUID version 4 expected", "input": v7, "ctx": {"expected_version": 4}},
        ]})
    );
    // One good value passes.
    let a = ask(
        &fake,
        Method::GET,
        &format!("/v1/customers/export?organization_id={v4}"),
        None,
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text());
}

/// A version 7 UUID, refused where Polar asks for version 4.
const V7: &str = "01890a5d-ac96-774b-bcce-b302099a8057";

/// pydantic's `gt=0` refusal of `page` or `limit`.
fn not_positive(key: &str, input: &str) -> Value {
    json!({"type": "greater_than", "loc": ["query", key], "msg": "Input should be greater than 0", "input": input, "ctx": {"gt": 0}})
}

/// The refusal of sort value `i`, `input`, among `expected` (pydantic's `enum` wording).
fn bad_sort(i: usize, input: &str, expected: &str) -> Value {
    json!({"type": "enum", "loc": ["query", "sorting", i], "msg": format!("Input should be {expected}"), "input": input, "ctx": {"expected": expected}})
}

/// A repeatable UUID filter given `V7` once: both branches of its union.
fn v7_filter(key: &str) -> [Value; 2] {
    [
        json!({"type": "uuid_type", "loc": ["query", key, "uuid"], "msg": "UUID input should be a string, bytes or UUID object", "input": [V7]}),
        json!({"type": "uuid_version", "loc": ["query", key, SEQUENCE, 0], "msg": "UUID version 4 expected", "input": V7, "ctx": {"expected_version": 4}}),
    ]
}

/// `V7` as a customer ID in a path.
fn v7_path_id() -> Value {
    json!({"type": "uuid_version", "loc": ["path", "id"], "msg": "UUID version 4 expected", "input": V7, "ctx": {"expected_version": 4}})
}

/// The `detail` of a 422 `RequestValidationError`.
async fn refused_query(fake: &FakePolar, path: &str) -> Value {
    let a = ask(fake, Method::GET, path, None).await;
    assert_eq!(a.status, 422, "{path}: {}", a.text());
    assert_eq!(a.json()["error"], "RequestValidationError");
    detail(&a)
}

/// `server/polar/customer/endpoints.py` `list` takes pagination (`PaginationParamsQuery`,
/// kit/pagination.py) and sorting (`ListSorting`, kit/sorting.py) as dependencies, and
/// `organization_id`, `email`, `query`, `active` as its own query parameters. FastAPI's
/// `solve_dependencies` (fastapi/dependencies/utils.py) reports the dependencies' issues first,
/// in their order, then the endpoint's, whatever order the query string has. Expected answer
/// from FastAPI 0.136.3 and pydantic 2.13.4 (server/uv.lock) with the endpoint's signature.
#[tokio::test]
async fn the_customer_list_reports_pagination_and_sorting_before_its_filters() {
    let fake = FakePolar::new();
    let path = format!(
        "/v1/customers/?active=maybe&organization_id={V7}&email=x&sorting=-name&sorting=bogus&limit=0&page=0"
    );
    let sorts = "'created_at', '-created_at', 'email', '-email', 'name' or '-name'";
    let [org_type, org_item] = v7_filter("organization_id");
    assert_eq!(
        refused_query(&fake, &path).await,
        json!([
            not_positive("page", "0"),
            not_positive("limit", "0"),
            bad_sort(1, "bogus", sorts),
            org_type,
            org_item,
            {"type": "bool_parsing", "loc": ["query", "active"], "msg": "Input should be a valid boolean, unable to interpret input", "input": "maybe"},
        ])
    );
}

/// `list_payment_methods` (and `…_external`) in server/polar/customer/endpoints.py: the path's
/// customer ID, then the pagination dependency. FastAPI reports the dependency's issues before
/// the path's.
#[tokio::test]
async fn the_payment_method_lists_report_pagination_before_the_path() {
    let fake = FakePolar::new();
    let paging = [
        not_positive("page", "0"),
        json!({"type": "int_parsing", "loc": ["query", "limit"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "x"}),
    ];
    let path = format!("/v1/customers/{V7}/payment-methods?limit=x&page=0");
    assert_eq!(
        refused_query(&fake, &path).await,
        json!([paging[0], paging[1], v7_path_id()])
    );
    let path = "/v1/customers/external/abc/payment-methods?limit=x&page=0";
    assert_eq!(refused_query(&fake, path).await, json!(paging));
}

/// `list` in server/polar/customer_meter/endpoints.py: pagination and sorting
/// (customer_meter/sorting.py) as dependencies, then the filters `organization_id`,
/// `customer_id`, `external_customer_id`, `meter_id` in that order.
#[tokio::test]
async fn the_customer_meter_list_reports_pagination_and_sorting_before_its_filters() {
    let fake = FakePolar::new();
    let path = format!(
        "/v1/customer-meters/?meter_id={V7}&external_customer_id=a&customer_id={V7}&organization_id={V7}&sorting=-balance&sorting=bogus&limit=0&page=0"
    );
    let sorts = "'created_at', '-created_at', 'modified_at', '-modified_at', 'customer_id', '-customer_id', 'customer_name', '-customer_name', 'meter_id', '-meter_id', 'meter_name', '-meter_name', 'consumed_units', '-consumed_units', 'credited_units', '-credited_units', 'balance' or '-balance'";
    let mut expected = vec![
        not_positive("page", "0"),
        not_positive("limit", "0"),
        bad_sort(1, "bogus", sorts),
    ];
    for key in ["organization_id", "customer_id", "meter_id"] {
        expected.extend(v7_filter(key));
    }
    assert_eq!(refused_query(&fake, &path).await, json!(expected));
}

/// A customer's member list: the shape of `list_members` (server/polar/member/endpoints.py:
/// pagination, sorting from member/sorting.py, `role`) with the customer in the path, as the
/// routes newer than the server code at hand take it. Dependencies, then path, then query.
#[tokio::test]
async fn the_member_lists_report_pagination_and_sorting_before_the_path_and_role() {
    let fake = FakePolar::new();
    let query = "role=boss&sorting=bogus&limit=0&page=0";
    let head = [
        not_positive("page", "0"),
        not_positive("limit", "0"),
        bad_sort(0, "bogus", "'created_at' or '-created_at'"),
    ];
    let role = json!({"type": "enum", "loc": ["query", "role"], "msg": "Input should be 'owner', 'billing_manager' or 'member'", "input": "boss", "ctx": {"expected": "'owner', 'billing_manager' or 'member'"}});
    let path = format!("/v1/customers/{V7}/members?{query}");
    assert_eq!(
        refused_query(&fake, &path).await,
        json!([head[0], head[1], head[2], v7_path_id(), role])
    );
    let path = format!("/v1/customers/external/abc/members?{query}");
    assert_eq!(
        refused_query(&fake, &path).await,
        json!([head[0], head[1], head[2], role])
    );
}

/// pydantic-core 2.46.4 (server/uv.lock) parses UUIDs with the `uuid` crate 1.23.0 and puts that
/// crate's reason in the message: character positions count from 1, a hyphen-less input of the
/// wrong length says "expected length 32 for simple format", and only a lower-case `urn:uuid:`
/// prefix is known. Expected answers from FastAPI 0.136.3 and pydantic 2.13.4.
#[tokio::test]
async fn malformed_uuids_are_explained_in_pydantic_cores_words() {
    let fake = FakePolar::new();
    let parsing = |loc: Value, input: &str, reason: &str| json!({"type": "uuid_parsing", "loc": loc, "msg": format!("Input should be a valid UUID, {reason}"), "input": input, "ctx": {"error": reason}});
    for (sent, input, reason) in [
        ("nope", "nope", "invalid character: found `n` at 1"),
        (
            "URN:UUID:7b0e8f5c-3f0a-4c53-9d0e-1f2a3b4c5d6e",
            "URN:UUID:7b0e8f5c-3f0a-4c53-9d0e-1f2a3b4c5d6e",
            "invalid character: found `U` at 1",
        ),
        (
            "%7B7b0e8f5c-3f0a-4c53-9d0e-1f2a3b4c5d6%7D",
            "{7b0e8f5c-3f0a-4c53-9d0e-1f2a3b4c5d6}",
            "invalid group length in group 4: expected 12, found 13",
        ),
    ] {
        let a = ask(&fake, Method::GET, &format!("/v1/customers/{sent}"), None).await;
        assert_eq!(a.status, 422, "{sent}: {}", a.text());
        assert_eq!(
            detail(&a),
            json!([parsing(json!(["path", "id"]), input, reason)])
        );
    }
    let odd = "7b0e8f5c-3f0a-4c53-9d0e-1f2a3b4c5d6\u{e9}";
    let path = "/v1/customers/export?organization_id=1234&organization_id=7b0e8f5c-3f0a-4c53-9d0e-1f2a3b4c5d6%C3%A9";
    let item = |i: usize| json!(["query", "organization_id", SEQUENCE, i]);
    assert_eq!(
        refused_query(&fake, path).await,
        json!([
            {"type": "uuid_type", "loc": ["query", "organization_id", "uuid"], "msg": "UUID input should be a string, bytes or UUID object", "input": ["1234", odd]},
            parsing(item(0), "1234", "invalid length: expected length 32 for simple format, found 4"),
            parsing(item(1), odd, "invalid character: found `\u{e9}` at 36"),
        ])
    );
}

/// FastAPI's `solve_dependencies` (fastapi/dependencies/utils.py) reports the path parameters'
/// errors and then the body's, in one 422: a member update with a bad customer ID, a bad member
/// ID and a bad body names all three (`server/polar/member/endpoints.py`, `update`).
#[tokio::test]
async fn a_member_update_reports_path_and_body_issues_together() {
    let fake = FakePolar::new();
    let bad_path = "/v1/customers/not-a-uuid/members/nor-this";
    let good_path = format!(
        "/v1/customers/{}/members/{}",
        uuid::Uuid::new_v4(),
        uuid::Uuid::new_v4()
    );
    let bad_body = json!({"role": 5});
    let path_only = ask(&fake, Method::PATCH, bad_path, Some(json!({}))).await;
    let body_only = ask(&fake, Method::PATCH, &good_path, Some(bad_body.clone())).await;
    let both = ask(&fake, Method::PATCH, bad_path, Some(bad_body)).await;
    assert_eq!(path_only.status, 422);
    assert_eq!(body_only.status, 422);
    let mut expected = path_only.json()["detail"].as_array().unwrap().clone();
    assert_eq!(expected.len(), 2, "{expected:?}");
    expected.extend(body_only.json()["detail"].as_array().unwrap().clone());
    assert_eq!(both.status, 422);
    assert_eq!(
        both.json(),
        json!({"error": "RequestValidationError", "detail": expected})
    );
}
