//! The fake's rules for the calls around customers, each asserting the status and body Polar's
//! server gives (server/polar/member/, server/polar/customer_session/,
//! server/polar/customer_meter/, server/polar/customer/endpoints.py), through the fake's
//! `tower::Service` face.

use http::Method;
use polar_fake::{FakePolar, Scopes, samples};
use serde_json::{Value, json};

mod common;

async fn call(
    fake: &FakePolar,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let a = common::call(fake, token, method, path, body).await;
    (a.status.as_u16(), a.json())
}

async fn ok(fake: &FakePolar, method: Method, path: &str, body: Option<Value>) -> Value {
    let (status, v) = call(fake, fake.token(), method, path, body).await;
    assert!(status < 300, "{status} {v}");
    v
}

async fn team(fake: &FakePolar, email: &str, ext: &str) -> String {
    let c = ok(
        fake,
        Method::POST,
        "/v1/customers/",
        Some(json!({"type": "team", "email": email, "external_id": ext})),
    )
    .await;
    c["id"].as_str().unwrap().to_owned()
}

fn issue(kind: &str, loc: Value, msg: &str) -> (Value, Value, Value) {
    (json!(kind), loc, json!(msg))
}

/// The `loc` of every issue of a 422 body, in order.
fn locs(v: &Value) -> Vec<&Value> {
    v["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["loc"])
        .collect()
}

fn first_issue(v: &Value) -> (Value, Value, Value) {
    let d = &v["detail"][0];
    (d["type"].clone(), d["loc"].clone(), d["msg"].clone())
}

#[tokio::test]
async fn a_customer_comes_with_its_owner_member() {
    let fake = FakePolar::new();
    let id = team(&fake, "boss@polar.sh", "acme").await;
    let owner = ok(
        &fake,
        Method::GET,
        "/v1/customers/external/acme/members/acme",
        None,
    )
    .await;
    assert_eq!(owner["role"], "owner");
    assert_eq!(owner["email"], "boss@polar.sh");
    assert_eq!(owner["customer_id"], json!(id));
    // With `owner`, the owner is that person.
    let c = ok(
        &fake,
        Method::POST,
        "/v1/customers/",
        Some(json!({"type": "team", "owner": {"email": "o@polar.sh", "name": "O", "external_id": "o1"}})),
    )
    .await;
    let id2: polar_fake::CustomerId = c["id"].as_str().unwrap().parse().unwrap();
    let members = fake.members_json(id2);
    assert_eq!(members.len(), 1);
    assert_eq!(
        (&members[0]["email"], &members[0]["external_id"]),
        (&json!("o@polar.sh"), &json!("o1"))
    );
    // Member management off: no owner.
    fake.set_member_management(false);
    let c = ok(
        &fake,
        Method::POST,
        "/v1/customers/",
        Some(json!({"email": "x@polar.sh"})),
    )
    .await;
    assert!(
        fake.members_json(c["id"].as_str().unwrap().parse().unwrap())
            .is_empty()
    );
}

#[tokio::test]
async fn member_create_rules() {
    let fake = FakePolar::new();
    let id = team(&fake, "boss@polar.sh", "acme").await;
    let path = format!("/v1/customers/{id}/members");
    let (s, v) = call(
        &fake,
        fake.token(),
        Method::POST,
        &path,
        Some(json!({"email": "a@polar.sh", "role": "owner"})),
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(v["error"], "RequestValidationError");
    assert_eq!(
        first_issue(&v),
        issue(
            "literal_error",
            json!(["body", "role"]),
            "Input should be <MemberRole.member: 'member'> or <MemberRole.billing_manager: 'billing_manager'>"
        )
    );
    let (s, v) = call(
        &fake,
        fake.token(),
        Method::POST,
        &path,
        Some(json!({"name": "x"})),
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(first_issue(&v).1, json!(["body", "email"]));
    let a = ok(
        &fake,
        Method::POST,
        &path,
        Some(json!({"email": "a@polar.sh", "external_id": " a1 "})),
    )
    .await;
    assert_eq!(
        (&a["role"], &a["external_id"]),
        (&json!("member"), &json!("a1"))
    );
    // The same email in another case answers the member already there, still 201.
    let (s, again) = call(
        &fake,
        fake.token(),
        Method::POST,
        &path,
        Some(json!({"email": "A@Polar.sh"})),
    )
    .await;
    assert_eq!((s, &again["id"]), (201, &a["id"]));
    // The same external ID is a unique index the server does not catch: 500.
    let (s, _) = call(
        &fake,
        fake.token(),
        Method::POST,
        &path,
        Some(json!({"email": "b@polar.sh", "external_id": "a1"})),
    )
    .await;
    assert_eq!(s, 500);

    // An individual has its owner only.
    let solo = ok(
        &fake,
        Method::POST,
        "/v1/customers/",
        Some(json!({"email": "solo@polar.sh"})),
    )
    .await;
    let (s, v) = call(
        &fake,
        fake.token(),
        Method::POST,
        &format!("/v1/customers/{}/members", solo["id"].as_str().unwrap()),
        Some(json!({"email": "b@polar.sh"})),
    )
    .await;
    assert_eq!(s, 403);
    assert_eq!(
        v,
        json!({"error": "NotPermitted", "detail": "Individual customers can only have one member (the owner). Upgrade to a team customer to add more members."})
    );
    // Unknown customer.
    let (s, v) = call(
        &fake,
        fake.token(),
        Method::POST,
        &format!("/v1/customers/{}/members", uuid::Uuid::new_v4()),
        Some(json!({"email": "b@polar.sh"})),
    )
    .await;
    assert_eq!(
        (s, v),
        (
            404,
            json!({"error": "ResourceNotFound", "detail": "Customer not found"})
        )
    );
    // A read-only token cannot write members.
    let ro = fake.add_token(&[fake.organization_id()], Scopes::ReadOnly);
    let (s, v) = call(
        &fake,
        &ro,
        Method::POST,
        &path,
        Some(json!({"email": "c@polar.sh"})),
    )
    .await;
    assert_eq!(s, 403);
    assert!(v.to_string().contains("members:write"), "{v}");
}

#[tokio::test]
async fn member_update_and_delete_rules() {
    let fake = FakePolar::new();
    let id = team(&fake, "boss@polar.sh", "acme").await;
    let owner = ok(
        &fake,
        Method::GET,
        "/v1/customers/external/acme/members/acme",
        None,
    )
    .await;
    let owner_path = format!(
        "/v1/customers/{id}/members/{}",
        owner["id"].as_str().unwrap()
    );
    let m = ok(
        &fake,
        Method::POST,
        &format!("/v1/customers/{id}/members"),
        Some(json!({"email": "m@polar.sh"})),
    )
    .await;
    let m_path = format!("/v1/customers/{id}/members/{}", m["id"].as_str().unwrap());

    // `null` and `{}` change nothing (modified_at stays null).
    let same = ok(
        &fake,
        Method::PATCH,
        &m_path,
        Some(json!({"name": null, "email": null, "role": null})),
    )
    .await;
    assert_eq!(same, m);
    let (s, v) = call(
        &fake,
        fake.token(),
        Method::PATCH,
        &owner_path,
        Some(json!({"role": "member"})),
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(v["error"], "PolarRequestValidationError");
    assert_eq!(
        first_issue(&v),
        issue(
            "value_error",
            json!(["body", "role"]),
            "Cannot change role. Customer must have exactly one owner."
        )
    );
    let (s, v) = call(
        &fake,
        fake.token(),
        Method::PATCH,
        &m_path,
        Some(json!({"email": "BOSS@polar.sh"})),
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(
        first_issue(&v).2,
        json!("A member with this email already exists for this customer.")
    );
    let (s, v) = call(
        &fake,
        fake.token(),
        Method::PATCH,
        &m_path,
        Some(json!({"role": "admin"})),
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(
        first_issue(&v),
        issue(
            "enum",
            json!(["body", "role"]),
            "Input should be 'owner', 'billing_manager' or 'member'"
        )
    );
    let (s, v) = call(&fake, fake.token(), Method::DELETE, &owner_path, None).await;
    assert_eq!(s, 422);
    assert_eq!(
        first_issue(&v),
        issue(
            "value_error",
            json!(["body"]),
            "Cannot delete the only owner. Transfer ownership first."
        )
    );

    // Ownership moves; then the old owner can go.
    let promoted = ok(
        &fake,
        Method::PATCH,
        &m_path,
        Some(json!({"role": "owner"})),
    )
    .await;
    assert_eq!(promoted["role"], "owner");
    assert!(promoted["modified_at"].is_string());
    let old = ok(&fake, Method::GET, &owner_path, None).await;
    assert_eq!(old["role"], "billing_manager");
    let (s, _) = call(&fake, fake.token(), Method::DELETE, &owner_path, None).await;
    assert_eq!(s, 204);
    let (s, v) = call(&fake, fake.token(), Method::GET, &owner_path, None).await;
    assert_eq!(
        (s, v),
        (
            404,
            json!({"error": "ResourceNotFound", "detail": "Member not found"})
        )
    );

    // An individual's owner keeps the customer's email.
    let solo = ok(
        &fake,
        Method::POST,
        "/v1/customers/",
        Some(json!({"email": "solo@polar.sh", "external_id": "solo"})),
    )
    .await;
    let (s, v) = call(
        &fake,
        fake.token(),
        Method::PATCH,
        "/v1/customers/external/solo/members/solo",
        Some(json!({"email": "new@polar.sh"})),
    )
    .await;
    assert_eq!(s, 422, "{v} {solo}");
    assert_eq!(first_issue(&v).1, json!(["body", "email"]));
    // Malformed IDs: both path parameters reported at once.
    let (s, v) = call(
        &fake,
        fake.token(),
        Method::GET,
        "/v1/customers/nope/members/nope",
        None,
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(
        locs(&v),
        [&json!(["path", "id"]), &json!(["path", "member_id"])]
    );
}

/// A team with external ID `shared` in the fake's organization (owner `a@polar.sh`) and in a
/// second one (owner `b@polar.sh`); answers the second organization's token and a user token
/// reaching both.
async fn shared_external_id(fake: &FakePolar) -> (String, String) {
    let (second, second_token) = fake.add_organization();
    team(fake, "a@polar.sh", "shared").await;
    let (s, _) = call(
        fake,
        &second_token,
        Method::POST,
        "/v1/customers/",
        Some(json!({"type": "team", "email": "b@polar.sh", "external_id": "shared"})),
    )
    .await;
    assert_eq!(s, 201);
    let both = fake.add_user_token(&[fake.organization_id(), second], Scopes::ReadWrite);
    (second_token, both)
}

#[tokio::test]
async fn an_external_customer_id_in_two_organizations_is_ambiguous() {
    let fake = FakePolar::new();
    let (_, both) = shared_external_id(&fake).await;
    let (s, v) = call(
        &fake,
        &both,
        Method::GET,
        "/v1/customers/external/shared/members/shared",
        None,
    )
    .await;
    assert_eq!(s, 409);
    assert_eq!(v["error"], "AmbiguousExternalCustomerID");
    // One organization's token sees one customer.
    let (s, _) = call(
        &fake,
        fake.token(),
        Method::GET,
        "/v1/customers/external/shared/members/shared",
        None,
    )
    .await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn payment_methods_newest_first_with_the_default_marked() {
    let fake = FakePolar::new();
    let c = ok(
        &fake,
        Method::POST,
        "/v1/customers/",
        Some(json!({"email": "p@polar.sh"})),
    )
    .await;
    let id: polar_fake::CustomerId = c["id"].as_str().unwrap().parse().unwrap();
    assert!(fake.add_payment_method(id, &samples::card("visa", "4242"), false));
    assert!(fake.add_payment_method(id, &samples::card("amex", "0005"), true));
    assert!(fake.add_payment_method(id, &samples::payment_method("us_bank_account"), false));
    let page = ok(
        &fake,
        Method::GET,
        &format!("/v1/customers/{id}/payment-methods?limit=2"),
        None,
    )
    .await;
    assert_eq!(page["pagination"], json!({"total_count": 3, "max_page": 2}));
    assert_eq!(page["items"][0]["type"], "us_bank_account");
    assert_eq!(page["items"][1]["method_metadata"]["brand"], "amex");
    assert_eq!(page["items"][1]["is_default"], true);
    assert_eq!(page["items"][0]["is_default"], false);
    assert_eq!(page["items"][1]["customer_id"], json!(id.to_string()));
    let customer = ok(&fake, Method::GET, &format!("/v1/customers/{id}"), None).await;
    assert_eq!(
        customer["default_payment_method_id"],
        page["items"][1]["id"]
    );
    let (s, v) = call(
        &fake,
        fake.token(),
        Method::GET,
        &format!("/v1/customers/{id}/payment-methods?page=0"),
        None,
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(first_issue(&v).1, json!(["query", "page"]));
    let (s, _) = call(
        &fake,
        fake.token(),
        Method::GET,
        "/v1/customers/external/nobody/payment-methods",
        None,
    )
    .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn customer_session_rules() {
    let fake = FakePolar::new();
    let solo = ok(
        &fake,
        Method::POST,
        "/v1/customers/",
        Some(json!({"email": "s@polar.sh", "external_id": "s"})),
    )
    .await;
    let (s, v) = call(
        &fake,
        fake.token(),
        Method::POST,
        "/v1/customer-sessions/",
        Some(json!({})),
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(
        locs(&v),
        [
            &json!(["body", "CustomerSessionCustomerIDCreate", "customer_id"]),
            &json!([
                "body",
                "CustomerSessionCustomerExternalIDCreate",
                "external_customer_id"
            ])
        ]
    );
    let (s, v) = call(
        &fake,
        fake.token(),
        Method::POST,
        "/v1/customer-sessions/",
        Some(json!({"external_customer_id": "nobody"})),
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(
        first_issue(&v),
        issue(
            "value_error",
            json!(["body", "external_customer_id"]),
            "Customer does not exist."
        )
    );
    let (s, v) = call(
        &fake,
        fake.token(),
        Method::POST,
        "/v1/customer-sessions/",
        Some(json!({"customer_id": solo["id"], "return_url": "ftp://x"})),
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(first_issue(&v).0, json!("url_scheme"));

    let session = ok(
        &fake,
        Method::POST,
        "/v1/customer-sessions/",
        Some(json!({"customer_external_id": "s"})),
    )
    .await;
    assert_eq!(session["customer_id"], solo["id"]);
    assert_eq!(session["customer"], solo);
    let token = session["token"].as_str().unwrap();
    assert!(token.starts_with("polar_mst_") && token.len() == "polar_mst_".len() + 43);
    assert!(
        session["customer_portal_url"]
            .as_str()
            .unwrap()
            .contains(token)
    );

    let id = team(&fake, "t@polar.sh", "t").await;
    let (s, v) = call(
        &fake,
        fake.token(),
        Method::POST,
        "/v1/customer-sessions/",
        Some(json!({"customer_id": id})),
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(
        first_issue(&v).2,
        json!("member_id is required for team customers.")
    );
    let (s, v) = call(
        &fake,
        fake.token(),
        Method::POST,
        "/v1/customer-sessions/",
        Some(json!({"customer_id": id, "external_member_id": "nobody"})),
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(
        first_issue(&v),
        issue(
            "value_error",
            json!(["body", "external_member_id"]),
            "Member does not exist for this customer."
        )
    );
    let s_ok = ok(
        &fake,
        Method::POST,
        "/v1/customer-sessions/",
        Some(json!({"customer_id": id, "external_member_id": "t"})),
    )
    .await;
    assert!(
        s_ok["customer_portal_url"]
            .as_str()
            .unwrap()
            .contains("email=t%40polar.sh")
    );

    fake.set_member_management(false);
    let plain = ok(
        &fake,
        Method::POST,
        "/v1/customer-sessions/",
        Some(json!({"customer_id": id})),
    )
    .await;
    assert!(plain["token"].as_str().unwrap().starts_with("polar_cst_"));
}

#[tokio::test]
async fn customer_meters_follow_the_seeded_state() {
    let fake = FakePolar::new();
    let a = ok(
        &fake,
        Method::POST,
        "/v1/customers/",
        Some(json!({"email": "a@polar.sh", "name": "Zed"})),
    )
    .await;
    let b = ok(
        &fake,
        Method::POST,
        "/v1/customers/",
        Some(json!({"email": "b@polar.sh", "name": "Amy", "external_id": "b"})),
    )
    .await;
    let id = |c: &Value| -> polar_fake::CustomerId { c["id"].as_str().unwrap().parse().unwrap() };
    let (m1, m2, m3) = (
        samples::meter(1.0, 10),
        samples::meter(5.0, 10),
        samples::meter(9.0, 10),
    );
    assert!(fake.add_meter(id(&a), &m1));
    assert!(fake.add_meter(id(&a), &m2));
    assert!(fake.add_meter(id(&b), &m3));
    let page = ok(
        &fake,
        Method::GET,
        "/v1/customer-meters/?sorting=customer_name&sorting=-balance",
        None,
    )
    .await;
    let ids: Vec<&Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["id"])
        .collect();
    assert_eq!(
        ids,
        [
            &json!(m3.id.to_string()),
            &json!(m1.id.to_string()),
            &json!(m2.id.to_string())
        ]
    );
    assert_eq!(page["items"][0]["customer"], b);
    assert_eq!(
        page["items"][0]["meter"]["id"],
        json!(m3.meter_id.to_string())
    );
    let page = ok(
        &fake,
        Method::GET,
        "/v1/customer-meters/?external_customer_id=b",
        None,
    )
    .await;
    assert_eq!(page["pagination"]["total_count"], 1);
    let page = ok(
        &fake,
        Method::GET,
        &format!("/v1/customer-meters/?meter_id={}&limit=1", m1.meter_id),
        None,
    )
    .await;
    assert_eq!(page["pagination"], json!({"total_count": 1, "max_page": 1}));
    let one = ok(
        &fake,
        Method::GET,
        &format!("/v1/customer-meters/{}", m2.id),
        None,
    )
    .await;
    assert_eq!(one["balance"], 5.0);
    let (s, v) = call(
        &fake,
        fake.token(),
        Method::GET,
        "/v1/customer-meters/?sorting=age",
        None,
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(first_issue(&v).1, json!(["query", "sorting", 0]));
    let (s, _) = call(
        &fake,
        fake.token(),
        Method::GET,
        &format!("/v1/customer-meters/{}", uuid::Uuid::new_v4()),
        None,
    )
    .await;
    assert_eq!(s, 404);
    // A deleted customer's meters stay (server/polar/customer_meter/repository.py).
    let (s, _) = call(
        &fake,
        fake.token(),
        Method::DELETE,
        &format!("/v1/customers/{}", id(&b)),
        None,
    )
    .await;
    assert_eq!(s, 204);
    let page = ok(&fake, Method::GET, "/v1/customer-meters/", None).await;
    assert_eq!(page["pagination"]["total_count"], 3);
}

fn emails(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_customers_members_are_listed_newest_first() {
    let fake = FakePolar::new();
    let id = team(&fake, "boss@polar.sh", "acme").await;
    for (email, role) in [
        ("ada@polar.sh", "member"),
        ("grace@polar.sh", "billing_manager"),
        ("alan@polar.sh", "member"),
    ] {
        ok(
            &fake,
            Method::POST,
            &format!("/v1/customers/{id}/members"),
            Some(json!({"email": email, "role": role})),
        )
        .await;
    }
    // Another customer's members are not listed.
    let other = team(&fake, "other@polar.sh", "other").await;
    ok(
        &fake,
        Method::POST,
        &format!("/v1/customers/{other}/members"),
        Some(json!({"email": "x@polar.sh"})),
    )
    .await;

    // `-created_at` by default (server/polar/member/sorting.py), in Polar's envelope.
    let page = ok(
        &fake,
        Method::GET,
        &format!("/v1/customers/{id}/members"),
        None,
    )
    .await;
    assert_eq!(
        emails(&page),
        [
            "alan@polar.sh",
            "grace@polar.sh",
            "ada@polar.sh",
            "boss@polar.sh"
        ]
    );
    assert_eq!(page["pagination"], json!({"total_count": 4, "max_page": 1}));
    assert_eq!(page["items"][3]["role"], "owner");
    assert_eq!(page["items"][0]["customer_id"], json!(id));

    // The same by external ID, oldest first, a page at a time.
    let page = ok(
        &fake,
        Method::GET,
        "/v1/customers/external/acme/members?sorting=created_at&limit=3&page=2",
        None,
    )
    .await;
    assert_eq!(emails(&page), ["alan@polar.sh"]);
    assert_eq!(page["pagination"], json!({"total_count": 4, "max_page": 2}));

    // One role.
    let page = ok(
        &fake,
        Method::GET,
        &format!("/v1/customers/{id}/members?role=member"),
        None,
    )
    .await;
    assert_eq!(emails(&page), ["alan@polar.sh", "ada@polar.sh"]);

    // A removed member is gone from the list.
    let ada = ok(
        &fake,
        Method::GET,
        &format!("/v1/customers/{id}/members?role=member&sorting=created_at&limit=1"),
        None,
    )
    .await;
    let ada = ada["items"][0]["id"].as_str().unwrap().to_owned();
    let (s, _) = call(
        &fake,
        fake.token(),
        Method::DELETE,
        &format!("/v1/customers/{id}/members/{ada}"),
        None,
    )
    .await;
    assert_eq!(s, 204);
    let page = ok(
        &fake,
        Method::GET,
        &format!("/v1/customers/{id}/members"),
        None,
    )
    .await;
    assert_eq!(page["pagination"]["total_count"], 3);

    // An individual lists its owner.
    let ind = ok(
        &fake,
        Method::POST,
        "/v1/customers/",
        Some(json!({"email": "solo@polar.sh"})),
    )
    .await;
    let page = ok(
        &fake,
        Method::GET,
        &format!("/v1/customers/{}/members", ind["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(emails(&page), ["solo@polar.sh"]);
}

#[tokio::test]
async fn a_member_list_refuses_as_polar_does() {
    let fake = FakePolar::new();
    let id = team(&fake, "boss@polar.sh", "acme").await;
    let not_found = json!({"error": "ResourceNotFound", "detail": "Customer not found"});

    // An unknown customer, by ID and by external ID: 404.
    let unknown = uuid::Uuid::new_v4();
    let (s, v) = call(
        &fake,
        fake.token(),
        Method::GET,
        &format!("/v1/customers/{unknown}/members"),
        None,
    )
    .await;
    assert_eq!((s, v), (404, not_found.clone()));
    let (s, v) = call(
        &fake,
        fake.token(),
        Method::GET,
        "/v1/customers/external/nobody/members",
        None,
    )
    .await;
    assert_eq!((s, v), (404, not_found.clone()));

    // A deleted customer: 404.
    let (s, _) = call(
        &fake,
        fake.token(),
        Method::DELETE,
        &format!("/v1/customers/{id}"),
        None,
    )
    .await;
    assert_eq!(s, 204);
    let (s, v) = call(
        &fake,
        fake.token(),
        Method::GET,
        &format!("/v1/customers/{id}/members"),
        None,
    )
    .await;
    assert_eq!((s, v), (404, not_found));

    // A role that is none, and a sort key that is none: pydantic's `enum` errors.
    let id = team(&fake, "b2@polar.sh", "acme2").await;
    let (s, v) = call(
        &fake,
        fake.token(),
        Method::GET,
        &format!("/v1/customers/{id}/members?role=boss&sorting=age"),
        None,
    )
    .await;
    assert_eq!(s, 422);
    // The sorting dependency's issue comes before the query parameter's, as FastAPI solves
    // dependencies first.
    assert_eq!(
        v,
        json!({"error": "RequestValidationError", "detail": [
            {"type": "enum", "loc": ["query", "sorting", 0],
             "msg": "Input should be 'created_at' or '-created_at'", "input": "age",
             "ctx": {"expected": "'created_at' or '-created_at'"}},
            {"type": "enum", "loc": ["query", "role"],
             "msg": "Input should be 'owner', 'billing_manager' or 'member'", "input": "boss",
             "ctx": {"expected": "'owner', 'billing_manager' or 'member'"}}
        ]})
    );
    // A malformed customer ID is the path's 422, after the pagination dependency's.
    let (s, v) = call(
        &fake,
        fake.token(),
        Method::GET,
        "/v1/customers/not-a-uuid/members?limit=0",
        None,
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(
        locs(&v),
        [&json!(["query", "limit"]), &json!(["path", "id"])]
    );
}

#[tokio::test]
async fn a_member_list_by_an_external_id_two_organizations_share_is_ambiguous() {
    let fake = FakePolar::new();
    let (second_token, both) = shared_external_id(&fake).await;
    let path = "/v1/customers/external/shared/members";
    let (s, v) = call(&fake, &both, Method::GET, path, None).await;
    assert_eq!(s, 409);
    assert_eq!(v["error"], "AmbiguousExternalCustomerID");
    // Each organization's own token sees its customer's members.
    let (s, v) = call(&fake, &second_token, Method::GET, path, None).await;
    assert_eq!(s, 200);
    assert_eq!(emails(&v), ["b@polar.sh"]);
    // A read-only token may list.
    let reader = fake.add_token(&[fake.organization_id()], Scopes::ReadOnly);
    let (s, v) = call(&fake, &reader, Method::GET, path, None).await;
    assert_eq!(s, 200);
    assert_eq!(emails(&v), ["a@polar.sh"]);
}
