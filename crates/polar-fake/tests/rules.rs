//! The fake's rules, checked through its `tower::Service` face (the same code path the served
//! face uses), plus a few served checks over real loopback TCP.

use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use polar_fake::{FakePolar, Route, Scopes, samples};
use polar_types::{BenefitType, CustomerId, SubscriptionStatus};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower_service::Service;

mod common;
use common::Answer;

struct Api {
    fake: FakePolar,
    token: String,
}

impl Api {
    fn new() -> Self {
        let fake = FakePolar::new();
        let token = fake.token().to_owned();
        Api { fake, token }
    }

    fn with(fake: FakePolar) -> Self {
        let token = fake.token().to_owned();
        Api { fake, token }
    }

    async fn raw(&self, req: Request<Full<Bytes>>) -> Answer {
        common::send(&self.fake, req).await
    }

    fn request(&self, method: Method, path: &str, body: Option<Value>) -> Request<Full<Bytes>> {
        common::request(&self.token, method, path, body.as_ref())
            .header("polar-version", "2026-10")
            .body(common::body_bytes(body.as_ref()))
            .unwrap()
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        self.raw(self.request(method, path, body)).await
    }

    async fn create(&self, body: Value) -> Value {
        let a = self.call(Method::POST, "/v1/customers/", Some(body)).await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
        a.json()
    }

    async fn list(&self, query: &str) -> Value {
        let a = self
            .call(Method::GET, &format!("/v1/customers/?{query}"), None)
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text());
        a.json()
    }
}

fn locs(v: &Value) -> Vec<Value> {
    v["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["loc"].clone())
        .collect()
}

#[tokio::test]
async fn create_answers_201_with_a_customer_the_types_decode() {
    let api = Api::new();
    let c = api
        .create(json!({"email": "Jane@Polar.sh", "name": "Jane", "external_id": "u-1", "metadata": {"plan": "pro", "seats": 3}}))
        .await;
    assert_eq!(c["type"], "individual");
    assert_eq!(
        c["email"], "Jane@polar.sh",
        "domain lower-cased like the validator does"
    );
    assert_eq!(c["email_verified"], false);
    assert_eq!(c["modified_at"], Value::Null);
    assert_eq!(c["deleted_at"], Value::Null);
    assert_eq!(c["organization_id"], api.fake.organization_id().to_string());
    let id: uuid::Uuid = c["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(id.get_version_num(), 4);
    let created: jiff::Timestamp = c["created_at"].as_str().unwrap().parse().unwrap();
    assert!(created <= jiff::Timestamp::now());
    let typed: polar_types::Customer = serde_json::from_value(c.clone()).unwrap();
    assert_eq!(typed.external_id(), Some("u-1"));
    assert!(matches!(typed, polar_types::Customer::Individual(_)));
}

#[tokio::test]
async fn every_read_finds_the_customer_by_id_and_external_id() {
    let api = Api::new();
    let c = api
        .create(json!({"email": "a@polar.sh", "external_id": "a b ?#é"}))
        .await;
    let id = c["id"].as_str().unwrap();
    let got = api
        .call(Method::GET, &format!("/v1/customers/{id}"), None)
        .await;
    assert_eq!(got.status, 200);
    assert_eq!(got.json(), c);
    assert_eq!(got.headers["polar-version"], "2026-10");
    let ext = "a%20b%20%3F%23%C3%A9";
    let got = api
        .call(Method::GET, &format!("/v1/customers/external/{ext}"), None)
        .await;
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(got.json()["id"], id);
    for path in [
        format!("/v1/customers/{id}/state"),
        format!("/v1/customers/external/{ext}/state"),
    ] {
        let st = api.call(Method::GET, &path, None).await;
        assert_eq!(st.status, 200);
        let v = st.json();
        assert_eq!(v["active_subscriptions"], json!([]));
        assert_eq!(v["granted_benefits"], json!([]));
        assert_eq!(v["active_meters"], json!([]));
        let _: polar_types::CustomerState = serde_json::from_value(v).unwrap();
    }
}

#[tokio::test]
async fn duplicates_get_polars_422_both_at_once_and_email_ignores_case() {
    let api = Api::new();
    api.create(json!({"email": "dup@polar.sh", "external_id": "x1"}))
        .await;
    let a = api
        .call(
            Method::POST,
            "/v1/customers/",
            Some(json!({"email": "DUP@polar.sh", "external_id": "x1"})),
        )
        .await;
    assert_eq!(a.status, 422);
    let v = a.json();
    assert_eq!(v["error"], "PolarRequestValidationError");
    assert_eq!(
        v["detail"],
        json!([
            {"type": "value_error", "loc": ["body", "email"], "msg": "A customer with this email address already exists.", "input": "DUP@polar.sh"},
            {"type": "value_error", "loc": ["body", "external_id"], "msg": "A customer with this external ID already exists.", "input": "x1"},
        ])
    );
    let only_ext = api
        .call(
            Method::POST,
            "/v1/customers/",
            Some(json!({"email": "other@polar.sh", "external_id": "x1"})),
        )
        .await;
    assert_eq!(locs(&only_ext.json()), vec![json!(["body", "external_id"])]);
}

#[tokio::test]
async fn uniqueness_is_per_organization() {
    let fake = FakePolar::new();
    let (_, other_token) = fake.add_organization();
    let a = Api::with(fake.clone());
    let b = Api {
        fake,
        token: other_token,
    };
    a.create(json!({"email": "same@polar.sh", "external_id": "e"}))
        .await;
    b.create(json!({"email": "same@polar.sh", "external_id": "e"}))
        .await;
    assert_eq!(a.list("").await["pagination"]["total_count"], 1);
    assert_eq!(b.list("").await["pagination"]["total_count"], 1);
}

#[tokio::test]
async fn delete_is_soft_frees_email_and_external_id_and_keeps_the_old_external_id() {
    let api = Api::new();
    let c = api
        .create(json!({"email": "gone@polar.sh", "external_id": "g-1"}))
        .await;
    let id = c["id"].as_str().unwrap().to_owned();
    let del = api
        .call(Method::DELETE, &format!("/v1/customers/{id}"), None)
        .await;
    assert_eq!(del.status, StatusCode::NO_CONTENT);
    assert!(del.body.is_empty());
    for path in [
        format!("/v1/customers/{id}"),
        format!("/v1/customers/{id}/state"),
        "/v1/customers/external/g-1".to_owned(),
    ] {
        let a = api.call(Method::GET, &path, None).await;
        assert_eq!(a.status, 404, "{path}");
        assert_eq!(
            a.json(),
            json!({"error": "ResourceNotFound", "detail": "Not found"})
        );
    }
    let again = api
        .call(Method::DELETE, &format!("/v1/customers/{id}"), None)
        .await;
    assert_eq!(again.status, 404);
    let patch = api
        .call(
            Method::PATCH,
            &format!("/v1/customers/{id}"),
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(patch.status, 404);
    assert_eq!(api.list("").await["pagination"]["total_count"], 0);
    let stored = api.fake.customer_json(id.parse().unwrap()).unwrap();
    assert_eq!(
        stored["external_id"], "g-1",
        "a deleted customer reads its saved external id"
    );
    assert_eq!(stored["metadata"]["__external_id"], "g-1");
    assert!(stored["deleted_at"].is_string());
    // Email and external id are free again.
    let again = api
        .create(json!({"email": "gone@polar.sh", "external_id": "g-1"}))
        .await;
    assert_ne!(again["id"], c["id"]);
}

#[tokio::test]
async fn delete_by_external_id_with_anonymize() {
    let api = Api::new();
    let c = api
        .create(json!({"email": "anon@polar.sh", "name": "Real Name", "external_id": "an-1", "billing_address": {"country": "FR", "city": "Paris"}}))
        .await;
    let del = api
        .call(
            Method::DELETE,
            "/v1/customers/external/an-1?anonymize=true",
            None,
        )
        .await;
    assert_eq!(del.status, 204);
    let stored = api
        .fake
        .customer_json(c["id"].as_str().unwrap().parse().unwrap())
        .unwrap();
    assert_ne!(stored["email"], "anon@polar.sh");
    assert_ne!(stored["name"], "Real Name");
    assert_eq!(stored["billing_address"], Value::Null);
    assert!(stored["metadata"]["__anonymized_at"].is_string());
    assert_eq!(stored["metadata"]["__external_id"], "an-1");
    let bad = api
        .call(
            Method::DELETE,
            "/v1/customers/external/nope?anonymize=maybe",
            None,
        )
        .await;
    assert_eq!(bad.status, 422);
}

#[tokio::test]
async fn malformed_ids_are_422_at_path_id_not_404() {
    let api = Api::new();
    for bad in ["not-a-uuid", "01890a5d-ac96-774b-bcce-b302099a8057"] {
        let a = api
            .call(Method::GET, &format!("/v1/customers/{bad}"), None)
            .await;
        assert_eq!(a.status, 422, "{bad}");
        assert_eq!(locs(&a.json()), vec![json!(["path", "id"])]);
        assert_eq!(a.json()["error"], "RequestValidationError");
    }
    let unknown = api
        .call(
            Method::GET,
            &format!("/v1/customers/{}", CustomerId::new_v4()),
            None,
        )
        .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["error"], "ResourceNotFound");
}

#[tokio::test]
async fn external_id_is_set_once_and_teams_stay_teams() {
    let api = Api::new();
    let c = api.create(json!({"email": "once@polar.sh"})).await;
    let path = format!("/v1/customers/{}", c["id"].as_str().unwrap());
    let set = api
        .call(Method::PATCH, &path, Some(json!({"external_id": "first"})))
        .await;
    assert_eq!(set.status, 200);
    assert_eq!(set.json()["external_id"], "first");
    assert!(set.json()["modified_at"].is_string());
    let same = api
        .call(Method::PATCH, &path, Some(json!({"external_id": "first"})))
        .await;
    assert_eq!(same.status, 200);
    for change in [
        json!({"external_id": "second"}),
        json!({"external_id": null}),
        json!({"external_id": ""}),
    ] {
        let a = api.call(Method::PATCH, &path, Some(change.clone())).await;
        assert_eq!(a.status, 422, "{change}");
        assert_eq!(locs(&a.json()), vec![json!(["body", "external_id"])]);
        assert_eq!(a.json()["error"], "PolarRequestValidationError");
    }
    let team = api
        .call(Method::PATCH, &path, Some(json!({"type": "team"})))
        .await;
    assert_eq!(team.status, 200);
    assert_eq!(team.json()["type"], "team");
    let back = api
        .call(Method::PATCH, &path, Some(json!({"type": "individual"})))
        .await;
    assert_eq!(back.status, 422);
    assert_eq!(locs(&back.json()), vec![json!(["body", "type"])]);
}

#[tokio::test]
async fn update_rules() {
    let api = Api::new();
    api.create(json!({"email": "taken@polar.sh"})).await;
    let c = api
        .create(json!({"email": "u@polar.sh", "name": "N", "external_id": "u", "locale": "en", "billing_address": {"country": "DE"}}))
        .await;
    let path = format!("/v1/customers/{}", c["id"].as_str().unwrap());
    let null_addr = api
        .call(Method::PATCH, &path, Some(json!({"billing_address": null})))
        .await;
    assert_eq!(null_addr.status, 422);
    assert_eq!(
        locs(&null_addr.json()),
        vec![json!(["body", "billing_address"])]
    );
    let dup = api
        .call(
            Method::PATCH,
            &path,
            Some(json!({"email": "TAKEN@polar.sh"})),
        )
        .await;
    assert_eq!(dup.status, 422);
    let ok = api
        .call(Method::PATCH, &path, Some(json!({"name": null, "locale": null, "metadata": {"k": "v"}, "email": "new@polar.sh", "tax_id": "DE136695976"})))
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    let v = ok.json();
    assert_eq!(v["name"], Value::Null);
    assert_eq!(v["locale"], Value::Null);
    assert_eq!(v["metadata"], json!({"k": "v"}));
    assert_eq!(v["email"], "new@polar.sh");
    assert_eq!(v["tax_id"], json!(["DE136695976", "eu_vat"]));
    assert_eq!(v["external_id"], "u", "absent fields are left alone");
    assert_eq!(v["billing_address"]["country"], "DE");
    // The old email is free now.
    api.create(json!({"email": "u@polar.sh"})).await;
    let meta_null = api
        .call(Method::PATCH, &path, Some(json!({"metadata": null})))
        .await;
    assert_eq!(meta_null.status, 422);
    let by_ext = api
        .call(
            Method::PATCH,
            "/v1/customers/external/u",
            Some(json!({"external_id": "z", "type": "team"})),
        )
        .await;
    assert_eq!(
        by_ext.status, 200,
        "update by external id ignores external_id and type"
    );
    assert_eq!(by_ext.json()["external_id"], "u");
    assert_eq!(by_ext.json()["type"], "individual");
    let by_ext = api
        .call(
            Method::PATCH,
            "/v1/customers/external/u",
            Some(json!({"name": "Via Ext"})),
        )
        .await;
    assert_eq!(by_ext.status, 200);
    assert_eq!(by_ext.json()["name"], "Via Ext");
    let ind_email_null = api
        .call(Method::PATCH, &path, Some(json!({"email": null})))
        .await;
    assert_eq!(ind_email_null.status, 200, "email: null is ignored");
    assert_eq!(ind_email_null.json()["email"], "new@polar.sh");
}

#[tokio::test]
async fn create_rules() {
    let api = Api::new();
    let c = api
        .create(json!({"email": "e@polar.sh", "name": "", "external_id": "", "tax_id": ""}))
        .await;
    assert_eq!(
        (
            c["name"].clone(),
            c["external_id"].clone(),
            c["tax_id"].clone()
        ),
        (Value::Null, Value::Null, Value::Null)
    );
    let team = api
        .create(json!({"type": "team", "owner": {"email": "owner@polar.sh"}, "name": "Acme"}))
        .await;
    assert_eq!(team["type"], "team");
    assert_eq!(team["email"], Value::Null);
    let no_email = api
        .call(
            Method::POST,
            "/v1/customers/",
            Some(json!({"type": "team", "name": "x"})),
        )
        .await;
    assert_eq!(no_email.status, 422);
    let tax_without_country = api
        .call(
            Method::POST,
            "/v1/customers/",
            Some(json!({"email": "t@polar.sh", "tax_id": "FR61954506077"})),
        )
        .await;
    assert_eq!(tax_without_country.status, 422);
    assert_eq!(
        locs(&tax_without_country.json()),
        vec![json!(["body", "billing_address"])]
    );
    assert_eq!(tax_without_country.json()["detail"][0]["type"], "missing");
    let bad_tax = api
        .call(Method::POST, "/v1/customers/", Some(json!({"email": "t@polar.sh", "tax_id": "12", "billing_address": {"country": "US"}})))
        .await;
    assert_eq!(locs(&bad_tax.json()), vec![json!(["body", "tax_id"])]);
    assert_eq!(bad_tax.json()["detail"][0]["type"], "invalid");
    let long = api
        .call(
            Method::POST,
            "/v1/customers/",
            Some(json!({"email": "l@polar.sh", "name": "x".repeat(257)})),
        )
        .await;
    assert_eq!(long.json()["detail"][0]["type"], "string_too_long");
    let bad_email = api
        .call(
            Method::POST,
            "/v1/customers/",
            Some(json!({"email": "nobody@example.com"})),
        )
        .await;
    assert_eq!(bad_email.status, 422);
    assert_eq!(
        locs(&bad_email.json()),
        vec![json!(["body", "individual", "email"])]
    );
    let relaxed = Api::with(FakePolar::builder().check_email_domains(false).build());
    relaxed
        .create(json!({"email": "somebody@example.com"}))
        .await;
}

#[tokio::test]
async fn list_filters_sorting_and_pagination() {
    let api = Api::new();
    let mut ids = Vec::new();
    for (i, (email, name)) in [
        ("b@polar.sh", "Bob"),
        ("a@polar.sh", "alice"),
        ("c@polar.sh", "Carol"),
        ("d@polar.sh", ""),
    ]
    .iter()
    .enumerate()
    {
        let c = api
            .create(json!({"email": email, "name": name, "external_id": format!("ext-{i}"), "metadata": {"tier": if i % 2 == 0 { "gold" } else { "free" }, "n": i}}))
            .await;
        ids.push(c["id"].as_str().unwrap().to_owned());
    }
    let page = api.list("").await;
    assert_eq!(page["pagination"], json!({"total_count": 4, "max_page": 1}));
    let order: Vec<_> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(order, newest_first, "default sorting is -created_at");

    let emails = |v: &Value| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["email"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        emails(&api.list("sorting=email").await),
        ["a@polar.sh", "b@polar.sh", "c@polar.sh", "d@polar.sh"]
    );
    assert_eq!(
        emails(&api.list("sorting=-email").await),
        ["d@polar.sh", "c@polar.sh", "b@polar.sh", "a@polar.sh"]
    );
    assert_eq!(
        emails(&api.list("sorting=name").await),
        ["b@polar.sh", "c@polar.sh", "a@polar.sh", "d@polar.sh"],
        "null names last"
    );
    assert_eq!(
        emails(&api.list("sorting=-name").await)[0],
        "d@polar.sh",
        "null names first when descending"
    );
    assert_eq!(
        emails(&api.list("sorting=created_at&limit=2&page=2").await),
        ["c@polar.sh", "d@polar.sh"]
    );

    assert_eq!(
        api.list("email=A@POLAR.SH").await["pagination"]["total_count"],
        1
    );
    assert_eq!(api.list("query=CAR").await["pagination"]["total_count"], 1);
    assert_eq!(
        api.list("query=ext-").await["pagination"]["total_count"],
        4,
        "prefix of external id"
    );
    assert_eq!(
        api.list("query=xt-").await["pagination"]["total_count"],
        0,
        "only a prefix of external id"
    );
    assert_eq!(
        api.list("metadata%5Btier%5D=gold").await["pagination"]["total_count"],
        2
    );
    assert_eq!(
        api.list("metadata[tier]=gold&metadata[tier]=free").await["pagination"]["total_count"],
        4
    );
    assert_eq!(
        api.list("metadata[tier]=gold&metadata[n]=2").await["pagination"]["total_count"],
        1
    );
    assert_eq!(
        api.list(&format!("organization_id={}", api.fake.organization_id()))
            .await["pagination"]["total_count"],
        4
    );
    assert_eq!(
        api.list(&format!("organization_id={}", uuid::Uuid::new_v4()))
            .await["pagination"]["total_count"],
        0
    );

    let p = api.list("limit=3&page=2").await;
    assert_eq!(p["pagination"], json!({"total_count": 4, "max_page": 2}));
    assert_eq!(p["items"].as_array().unwrap().len(), 1);
    let past = api.list("limit=3&page=9").await;
    assert_eq!(past["items"], json!([]));
    let capped = api.list("limit=1000").await;
    assert_eq!(
        capped["pagination"]["max_page"], 1,
        "limit above 100 is cut to 100"
    );

    let bad = api
        .call(Method::GET, "/v1/customers/?sorting=age", None)
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(locs(&bad.json()), vec![json!(["query", "sorting", 0])]);
    for q in ["limit=0", "page=0", "page=-1", "limit=x", "active=perhaps"] {
        let a = api
            .call(Method::GET, &format!("/v1/customers/?{q}"), None)
            .await;
        assert_eq!(a.status, 422, "{q}");
    }
    let empty = Api::new();
    assert_eq!(
        empty.list("").await["pagination"],
        json!({"total_count": 0, "max_page": 0})
    );
}

#[tokio::test]
async fn state_shows_seeded_subscriptions_benefits_and_meters() {
    let api = Api::new();
    let a = api.create(json!({"email": "s1@polar.sh"})).await;
    let b = api.create(json!({"email": "s2@polar.sh"})).await;
    let a_id: CustomerId = a["id"].as_str().unwrap().parse().unwrap();
    let b_id: CustomerId = b["id"].as_str().unwrap().parse().unwrap();
    assert!(api.fake.add_subscription(
        a_id,
        &samples::subscription(SubscriptionStatus::Active, 1900)
    ));
    assert!(api.fake.add_subscription(
        a_id,
        &samples::subscription(SubscriptionStatus::Unknown("canceled".into()), 500)
    ));
    assert!(api.fake.add_subscription(
        b_id,
        &samples::subscription(SubscriptionStatus::Unknown("past_due".into()), 500)
    ));
    assert!(
        api.fake
            .add_benefit_grant(a_id, &samples::benefit_grant(BenefitType::Custom))
    );
    assert!(api.fake.add_meter(a_id, &samples::meter(2.5, 10)));
    let st = api
        .call(Method::GET, &format!("/v1/customers/{a_id}/state"), None)
        .await
        .json();
    assert_eq!(
        st["active_subscriptions"].as_array().unwrap().len(),
        1,
        "canceled is not shown"
    );
    assert_eq!(st["active_subscriptions"][0]["amount"], 1900);
    assert_eq!(st["granted_benefits"][0]["benefit_type"], "custom");
    assert_eq!(st["active_meters"][0]["balance"], 7.5);
    let typed: polar_types::CustomerState = serde_json::from_value(st).unwrap();
    assert!(matches!(typed, polar_types::CustomerState::Individual(_)));
    let st_b = api
        .call(Method::GET, &format!("/v1/customers/{b_id}/state"), None)
        .await
        .json();
    assert_eq!(st_b["active_subscriptions"], json!([]));
    assert_eq!(
        api.list("active=true").await["pagination"]["total_count"],
        2,
        "active and past_due count"
    );
    assert_eq!(
        api.list("active=false").await["pagination"]["total_count"],
        0
    );
}

#[tokio::test]
async fn export_is_csv_with_the_servers_columns_streamed_in_chunks() {
    let api = Api::new();
    api.create(json!({
        "email": "q@polar.sh", "name": "Doe, \"Jo\"", "external_id": "x",
        "billing_address": {"line1": "1 Rue", "line2": "Apt\n2", "city": "Paris", "postal_code": "75001", "state": null, "country": "FR"},
        "tax_id": "FR61954506077", "metadata": {"a": 1, "b": "é"}
    }))
    .await;
    for i in 0..250 {
        api.create(json!({"email": format!("bulk{i}@polar.sh")}))
            .await;
    }
    let gone = api.create(json!({"email": "deleted@polar.sh"})).await;
    api.call(
        Method::DELETE,
        &format!("/v1/customers/{}", gone["id"].as_str().unwrap()),
        None,
    )
    .await;

    let res = api
        .fake
        .clone()
        .call(api.request(Method::GET, "/v1/customers/export", None))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        res.headers()["content-disposition"],
        "attachment; filename=\"polar-customers.csv\""
    );
    let mut body = res.into_body();
    let mut frames = 0;
    let mut largest = 0;
    let mut text = String::new();
    while let Some(frame) = body.frame().await {
        let data = frame.unwrap().into_data().unwrap();
        frames += 1;
        largest = largest.max(data.len());
        text.push_str(std::str::from_utf8(&data).unwrap());
    }
    assert!(frames >= 3, "251 rows come in several chunks, got {frames}");
    assert!(
        largest < 32 * 1024,
        "a chunk holds at most 100 rows, got {largest} bytes"
    );
    assert!(text.starts_with("ID,External ID,Created At,Email,Name,Tax ID,Billing Address Line 1,Billing Address Line 2,Billing Address City,Billing Address State,Billing Address Zip,Billing Address Country,Metadata\r\n"));
    assert!(text.ends_with("\r\n"));
    assert!(!text.contains("deleted@polar.sh"));
    let first_row = text.split("\r\n").nth(1).unwrap();
    assert!(first_row.contains(",x,"), "{first_row}");
    assert!(
        first_row.contains(",q@polar.sh,\"Doe, \"\"Jo\"\"\",\"('FR61954506077', <TaxIDFormat.eu_vat: 'eu_vat'>)\",1 Rue,"),
        "{first_row}"
    );
    assert!(
        text.contains(
            "\"Apt\n2\",Paris,,75001,FR,\"{\"\"a\"\": 1, \"\"b\"\": \"\"\\u00e9\"\"}\"\r\n"
        ),
        "{text:.600}"
    );
    let created_at = first_row.split(',').nth(2).unwrap();
    assert!(created_at.ends_with("+00:00"), "{created_at}");
    // Rows = the list's total (the quoted newline inside one field does not end a row).
    let list_total = api.list("limit=1").await["pagination"]["total_count"]
        .as_u64()
        .unwrap();
    let rows = text.matches("\r\n").count() - 1;
    assert_eq!(rows as u64, list_total);
    assert_eq!(list_total, 251);
}

#[tokio::test]
async fn auth_failures() {
    let api = Api::new();
    let mut req = api.request(Method::GET, "/v1/customers/", None);
    req.headers_mut().remove("authorization");
    let a = api.raw(req).await;
    assert_eq!(a.status, 401);
    assert_eq!(
        a.json(),
        json!({"error": "Unauthorized", "detail": "Unauthorized"})
    );
    assert!(
        a.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer realm=")
    );
    let wrong = Api {
        fake: api.fake.clone(),
        token: "polar_oat_wrong".into(),
    };
    let a = wrong.call(Method::GET, "/v1/customers/", None).await;
    assert_eq!(a.status, 401);
    assert_eq!(
        a.headers["polar-version"], "2026-10",
        "every answer echoes the version"
    );
    assert_eq!(a.json()["error"], "invalid_token");
    assert!(a.headers.contains_key("www-authenticate"));
    let ro = api
        .fake
        .add_token(&[api.fake.organization_id()], Scopes::ReadOnly);
    let ro = Api {
        fake: api.fake.clone(),
        token: ro,
    };
    assert_eq!(
        ro.call(Method::GET, "/v1/customers/", None).await.status,
        200
    );
    let denied = ro
        .call(
            Method::POST,
            "/v1/customers/",
            Some(json!({"email": "r@polar.sh"})),
        )
        .await;
    assert_eq!(denied.status, 403);
    assert_eq!(denied.json()["error"], "insufficient_scope");
    api.fake.revoke_token(&api.token);
    assert_eq!(
        api.call(Method::GET, "/v1/customers/", None).await.status,
        401
    );
}

#[tokio::test]
async fn tokens_reaching_several_organizations() {
    let fake = FakePolar::new();
    let (org2, _) = fake.add_organization();
    let user = fake.add_token(&[fake.organization_id(), org2], Scopes::ReadWrite);
    let api = Api {
        fake: fake.clone(),
        token: user,
    };
    let missing = api
        .call(
            Method::POST,
            "/v1/customers/",
            Some(json!({"email": "m@polar.sh"})),
        )
        .await;
    assert_eq!(missing.status, 422);
    assert_eq!(
        locs(&missing.json()),
        vec![json!(["body", "organization_id"])]
    );
    let c = api
        .create(json!({"email": "m@polar.sh", "organization_id": org2.to_string()}))
        .await;
    assert_eq!(c["organization_id"], org2.to_string());
    api.create(
        json!({"email": "h@polar.sh", "organization_id": fake.organization_id().to_string()}),
    )
    .await;
    assert_eq!(api.list("").await["pagination"]["total_count"], 2);
    assert_eq!(
        api.list(&format!("organization_id={org2}")).await["pagination"]["total_count"],
        1
    );
    // The first organization's token sees only its own customer.
    let own = Api::with(fake.clone());
    assert_eq!(own.list("").await["pagination"]["total_count"], 1);
    let other = own
        .call(
            Method::GET,
            &format!("/v1/customers/{}", c["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(other.status, 404);
}

#[tokio::test]
async fn routes_versions_and_redirects() {
    let api = Api::new();
    let a = api.call(Method::GET, "/v1/customers", None).await;
    assert_eq!(a.status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(a.headers["location"], "/v1/customers/");
    let mut req = api.request(Method::GET, "http://fake.local/v1/customers?limit=2", None);
    *req.uri_mut() = "http://fake.local/v1/customers?limit=2".parse().unwrap();
    let a = api.raw(req).await;
    assert_eq!(
        a.headers["location"],
        "http://fake.local/v1/customers/?limit=2"
    );
    let id = CustomerId::new_v4();
    let a = api
        .call(Method::GET, &format!("/v1/customers/{id}/"), None)
        .await;
    assert_eq!(a.status, 307);
    assert_eq!(a.headers["location"], format!("/v1/customers/{id}"));
    for path in [
        "/v1/products/",
        "/v1/customers/x/subscriptions",
        "/",
        "/v2/customers/",
    ] {
        let a = api.call(Method::GET, path, None).await;
        assert_eq!(a.status, 404, "{path}");
        assert_eq!(a.json(), json!({"detail": "Not Found"}));
    }
    let a = api.call(Method::PUT, "/v1/customers/", None).await;
    assert_eq!(a.status, 405);
    // The first route the server registers for the path (`list`, customer/endpoints.py).
    assert_eq!(a.headers["allow"], "GET");
    let mut req = api.request(Method::GET, "/v1/customers/", None);
    req.headers_mut()
        .insert("polar-version", "2027-01".parse().unwrap());
    let a = api.raw(req).await;
    assert_eq!(a.status, 404);
    assert_eq!(a.json(), json!({"detail": "Not Found"}));
    let mut req = api.request(Method::GET, "/v1/customers/", None);
    req.headers_mut().remove("polar-version");
    let a = api.raw(req).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.headers["polar-version"], "2026-04");
}

#[tokio::test]
async fn bad_bodies_never_panic_and_get_4xx() {
    let api = Api::with(FakePolar::builder().max_body_bytes(4096).build());
    let cases: Vec<(Option<&str>, Bytes, u16)> = vec![
        (
            Some("application/json"),
            Bytes::from_static(b"{not json"),
            422,
        ),
        (
            Some("application/json"),
            Bytes::from_static(b"\xff\xfe\x00"),
            422,
        ),
        (Some("application/json"), Bytes::new(), 422),
        (Some("application/json"), Bytes::from_static(b"[]"), 422),
        (Some("application/json"), Bytes::from_static(b"null"), 422),
        (
            Some("application/json"),
            Bytes::from_static(b"\"str\""),
            422,
        ),
        (
            Some("text/plain"),
            Bytes::from_static(b"{\"email\":\"a@polar.sh\"}"),
            422,
        ),
        (None, Bytes::from_static(b"{\"email\":\"a@polar.sh\"}"), 201),
        (Some("application/json"), Bytes::from(vec![b' '; 5000]), 413),
        (
            Some("application/json"),
            Bytes::from_static(
                b"{\"email\": 5, \"metadata\": [], \"owner\": 3, \"billing_address\": \"x\"}",
            ),
            422,
        ),
        (
            Some("application/json"),
            Bytes::from_static(b"{\"type\": 7}"),
            422,
        ),
    ];
    for (ct, body, want) in cases {
        let mut b = Request::post("/v1/customers/")
            .header("authorization", format!("Bearer {}", api.token));
        if let Some(ct) = ct {
            b = b.header("content-type", ct);
        }
        let a = api.raw(b.body(Full::new(body.clone())).unwrap()).await;
        assert_eq!(a.status.as_u16(), want, "{body:?} -> {}", a.text());
        if want == 422 {
            let v = a.json();
            assert_eq!(v["error"], "RequestValidationError", "{v}");
            assert!(v["detail"][0]["loc"][0] == "body", "{v}");
        }
    }
    let bad_json = api.call(Method::POST, "/v1/customers/", None).await;
    assert_eq!(locs(&bad_json.json()), vec![json!(["body"])]);
    // Odd paths, methods and headers.
    for path in [
        "/v1/customers/%ff%fe",
        "/v1/customers/external/%ff",
        "/v1/customers/external/%ff/state",
        "/v1/customers/%2F/state",
    ] {
        let a = api.call(Method::GET, path, None).await;
        assert!(a.status.is_client_error(), "{path}: {}", a.status);
    }
}

#[tokio::test(start_paused = true)]
async fn rate_limit_answers_429_with_retry_after() {
    let api = Api::with(
        FakePolar::builder()
            .rate_limit(3, Duration::from_secs(60))
            .build(),
    );
    for _ in 0..3 {
        assert_eq!(
            api.call(Method::GET, "/v1/customers/", None).await.status,
            200
        );
    }
    let a = api.call(Method::GET, "/v1/customers/", None).await;
    assert_eq!(a.status, 429);
    assert_eq!(a.headers["retry-after"], "60");
    tokio::time::advance(Duration::from_secs(60)).await;
    assert_eq!(
        api.call(Method::GET, "/v1/customers/", None).await.status,
        200
    );
    assert_eq!(api.fake.stats().rate_limited, 1);
}

#[tokio::test]
async fn injected_failures_latency_and_counters() {
    let api = Api::new();
    api.fake.fail_next(2, StatusCode::SERVICE_UNAVAILABLE);
    let a = api
        .call(
            Method::POST,
            "/v1/customers/",
            Some(json!({"email": "f@polar.sh"})),
        )
        .await;
    assert_eq!(a.status, 503);
    assert!(a.text().contains("<html>"));
    assert_eq!(
        api.fake.customer_count(),
        0,
        "a failed request never reaches the store"
    );
    assert_eq!(
        api.call(Method::GET, "/v1/customers/", None).await.status,
        503
    );
    assert_eq!(
        api.call(Method::GET, "/v1/customers/", None).await.status,
        200
    );
    api.fake.drop_next(1);
    let err = api
        .fake
        .clone()
        .call(api.request(Method::GET, "/v1/customers/", None))
        .await
        .unwrap_err();
    assert!(err.is_dropped());
    let s = api.fake.stats();
    assert_eq!(s.requests, 4);
    assert_eq!(s.injected_failures, 2);
    assert_eq!(s.dropped_connections, 1);
    assert_eq!(s.operation(Route::CustomersList), 1);
    assert_eq!(s.status(503), 2);
    assert_eq!(s.status(200), 1);
    api.fake.reset_stats();
    assert_eq!(api.fake.stats(), polar_fake::Stats::default());
}

#[tokio::test(start_paused = true)]
async fn latency_uses_tokios_clock() {
    let api = Api::with(FakePolar::builder().latency(Duration::from_secs(5)).build());
    let start = tokio::time::Instant::now();
    assert_eq!(
        api.call(Method::GET, "/v1/customers/", None).await.status,
        200
    );
    assert!(start.elapsed() >= Duration::from_secs(5));
    api.fake.set_latency(None);
    let start = tokio::time::Instant::now();
    api.call(Method::GET, "/v1/customers/", None).await;
    assert_eq!(start.elapsed(), Duration::ZERO);
}

async fn raw_http(addr: std::net::SocketAddr, request: &str) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn served_over_loopback_with_dropped_connections() {
    let fake = FakePolar::builder().sandbox(true).build();
    let server = fake.serve("127.0.0.1:0").await.unwrap();
    let token = fake.token();
    let body = r#"{"email":"served@polar.sh"}"#;
    let req = format!(
        "POST /v1/customers/ HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        server.addr(),
        body.len()
    );
    let answer = raw_http(server.addr(), &req).await;
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("x-polar-sandbox: 1"));
    let redirect = raw_http(
        server.addr(),
        &format!(
            "GET /v1/customers?page=1 HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n",
            server.addr()
        ),
    )
    .await;
    assert!(redirect.starts_with("HTTP/1.1 307"), "{redirect}");
    assert!(
        redirect.contains(&format!(
            "location: http://{}/v1/customers/?page=1",
            server.addr()
        )),
        "{redirect}"
    );
    fake.drop_next(1);
    let dropped = raw_http(
        server.addr(),
        &format!("GET /v1/customers/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n"),
    )
    .await;
    assert_eq!(dropped, "", "the connection closes without an answer");
    let garbage = raw_http(server.addr(), "\u{0}\u{1}garbage\r\n\r\n").await;
    assert!(
        garbage.is_empty() || garbage.starts_with("HTTP/1.1 400"),
        "{garbage}"
    );
    assert_eq!(fake.customer_count(), 1);
    let addr = server.addr();
    server.shutdown().await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no longer listening"
    );
}

#[tokio::test]
async fn concurrent_creates_keep_emails_unique() {
    let api = std::sync::Arc::new(Api::new());
    let mut tasks = Vec::new();
    for i in 0..64 {
        let api = api.clone();
        tasks.push(tokio::spawn(async move {
            let a = api
                .call(
                    Method::POST,
                    "/v1/customers/",
                    Some(json!({"email": format!("c{}@polar.sh", i % 8)})),
                )
                .await;
            a.status.as_u16()
        }));
    }
    let mut created = 0;
    for t in tasks {
        match t.await.unwrap() {
            201 => created += 1,
            422 => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(created, 8);
    assert_eq!(api.fake.customer_count(), 8);
}

#[tokio::test]
async fn email_verified_is_unset_by_an_email_change() {
    let api = Api::new();
    let c = api.create(json!({"email": "v@polar.sh"})).await;
    let id: CustomerId = c["id"].as_str().unwrap().parse().unwrap();
    assert!(api.fake.set_email_verified(id, true));
    let path = format!("/v1/customers/{id}");
    let same = api
        .call(Method::PATCH, &path, Some(json!({"name": "V"})))
        .await
        .json();
    assert_eq!(same["email_verified"], true, "other changes keep it");
    let same_email = api
        .call(Method::PATCH, &path, Some(json!({"email": "v@polar.sh"})))
        .await
        .json();
    assert_eq!(
        same_email["email_verified"], true,
        "the same email is no change"
    );
    let changed = api
        .call(Method::PATCH, &path, Some(json!({"email": "w@polar.sh"})))
        .await
        .json();
    assert_eq!(changed["email_verified"], false);
}

/// A small deterministic generator for the robustness test.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.next(items.len())]
    }

    fn value(&mut self, depth: usize) -> Value {
        const KEYS: [&str; 14] = [
            "email",
            "name",
            "type",
            "external_id",
            "metadata",
            "billing_address",
            "country",
            "tax_id",
            "locale",
            "owner",
            "organization_id",
            "line1",
            "",
            "k\u{0}",
        ];
        const STRINGS: [&str; 16] = [
            "",
            "a@polar.sh",
            "A@POLAR.SH",
            "team",
            "individual",
            "DE",
            "US",
            "FR61954506077",
            "en-US",
            "x\u{0}y",
            "é",
            "9f1c0a2e-6b1d-4c4e-8f3a-2b5c7d9e1f00",
            "not-a-uuid",
            "a@example.com",
            " ",
            "ü@ü.de",
        ];
        match if depth > 2 {
            self.next(5)
        } else {
            self.next(8)
        } {
            0 => Value::Null,
            1 => Value::Bool(self.next(2) == 0),
            2 => json!(self.next(1000) as i64 - 500),
            3 => json!(self.next(1000) as f64 / 7.0),
            4 => Value::String(self.pick(&STRINGS).repeat(1 + self.next(3))),
            5 => Value::Array((0..self.next(3)).map(|_| self.value(depth + 1)).collect()),
            _ => {
                let mut m = serde_json::Map::new();
                for _ in 0..self.next(6) {
                    let k = self.pick(&KEYS).to_owned();
                    let v = self.value(depth + 1);
                    m.insert(k, v);
                }
                Value::Object(m)
            }
        }
    }
}

#[tokio::test]
async fn random_requests_never_panic_nor_answer_5xx() {
    let api = Api::with(FakePolar::builder().max_body_bytes(2048).build());
    let seeded = api
        .create(json!({"email": "seed@polar.sh", "external_id": "seed"}))
        .await;
    let seeded_id = seeded["id"].as_str().unwrap().to_owned();
    let segments = [
        "",
        "customers",
        "export",
        "external",
        "state",
        "seed",
        "%2F",
        "%ff",
        "..",
        "%C3%A9",
        "%00",
        "a%20b",
        "x",
        seeded_id.as_str(),
        "01890a5d-ac96-774b-bcce-b302099a8057",
        "payment-methods",
    ];
    let queries = [
        "",
        "page=0",
        "page=2",
        "limit=101",
        "limit=-1",
        "sorting=-name",
        "sorting=bogus",
        "email=SEED@polar.sh",
        "query=se",
        "active=yes",
        "active=2",
        "metadata[k]=v",
        "metadata%5Bk%5D",
        "organization_id=x",
        "anonymize=true",
        "page=99999999999999999999999",
        "%ff=%fe",
        "&&==",
    ];
    let methods = [
        Method::GET,
        Method::POST,
        Method::PATCH,
        Method::DELETE,
        Method::PUT,
        Method::HEAD,
        Method::OPTIONS,
    ];
    let versions = ["2026-10", "2026-04", "2027-01", "garbage", ""];
    let mut rng = Lcg(7);
    let mut answered = 0;
    for _ in 0..3000 {
        let mut path = String::from("/v1/customers");
        if rng.next(2) == 0 {
            // A real route with a chosen or odd parameter.
            let ids = [
                seeded_id.as_str(),
                "seed",
                "not-a-uuid",
                "9f1c0a2e-6b1d-4c4e-8f3a-2b5c7d9e1f00",
                "%2Fx",
            ];
            let id = rng.pick(&ids);
            let route = match rng.next(6) {
                0 => "/".to_owned(),
                1 => "/export".to_owned(),
                2 => format!("/{id}"),
                3 => format!("/{id}/state"),
                4 => format!("/external/{id}"),
                _ => format!("/external/{id}/state"),
            };
            path.push_str(&route);
        } else {
            for _ in 0..rng.next(4) {
                path.push('/');
                path.push_str(segments[rng.next(segments.len())]);
            }
            if rng.next(4) == 0 {
                path.push('/');
            }
        }
        let query: Vec<&str> = (0..rng.next(3)).map(|_| rng.pick(&queries)).collect();
        if !query.is_empty() {
            path.push('?');
            path.push_str(&query.join("&"));
        }
        let method = methods[rng.next(methods.len())].clone();
        let body = match rng.next(4) {
            0 => Bytes::new(),
            1 => Bytes::from(
                (0..rng.next(64))
                    .map(|_| rng.next(256) as u8)
                    .collect::<Vec<u8>>(),
            ),
            _ => Bytes::from(rng.value(0).to_string()),
        };
        let mut b = Request::builder().method(method).uri(path.as_str());
        match rng.next(4) {
            0 => {}
            1 => b = b.header("authorization", "Bearer wrong"),
            _ => b = b.header("authorization", format!("Bearer {}", api.token)),
        }
        if rng.next(6) == 0 {
            b = b.header("polar-version", rng.pick(&versions));
        }
        if rng.next(3) == 0 {
            b = b.header(
                "content-type",
                rng.pick(&[
                    "application/json",
                    "text/plain",
                    "application/x+json; charset=utf-8",
                ]),
            );
        }
        let Ok(req) = b.body(Full::new(body)) else {
            continue;
        };
        let a = api.raw(req).await;
        answered += 1;
        assert!(a.status.as_u16() < 500, "{path}: {} {}", a.status, a.text());
        if a.headers
            .get("content-type")
            .is_some_and(|c| c == "application/json")
        {
            assert!(
                serde_json::from_slice::<Value>(&a.body).is_ok(),
                "{path}: {}",
                a.text()
            );
        }
    }
    assert!(answered > 2500);
    let stats = api.fake.stats();
    for status in [200, 307, 401, 404, 405, 422] {
        assert!(stats.status(status) > 10, "too few {status}: {stats:?}");
    }
    // Whatever happened, the store still answers consistently.
    let page = api.list("limit=100").await;
    let total = page["pagination"]["total_count"].as_u64().unwrap();
    assert_eq!(total as usize, api.fake.customer_count());
}

#[test]
fn the_fake_and_its_body_fit_the_transport_bound() {
    fn service<S: Clone + Send + Sync + 'static>(_: &S) {}
    fn body<B: http_body::Body<Data = Bytes> + Send + Unpin + 'static>()
    where
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
    }
    service(&FakePolar::new());
    body::<polar_fake::FakeBody>();
}

#[tokio::test]
async fn served_speaks_http2_with_prior_knowledge() {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    let fake = FakePolar::new();
    let server = fake.serve("127.0.0.1:0").await.unwrap();
    let stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let (mut send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    let req = Request::get(format!("http://{}/v1/customers/", server.addr()))
        .header("authorization", format!("Bearer {}", fake.token()))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let res = send.send_request(req).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.version(), http::Version::HTTP_2);
    server.shutdown().await;
}

#[test]
fn tokens_never_show_in_debug_output() {
    let builder = FakePolar::builder().token("polar_oat_secret_value");
    assert!(!format!("{builder:?}").contains("secret_value"));
    let fake = builder.build();
    let extra = fake.add_token(&[fake.organization_id()], Scopes::ReadOnly);
    let shown = format!("{fake:?} {:?}", fake.stats());
    assert!(
        !shown.contains("secret_value") && !shown.contains(&extra),
        "{shown}"
    );
}

#[tokio::test]
async fn the_binary_prints_its_url_and_token_and_serves() {
    use std::io::BufRead;
    /// Stops the child process however the test ends.
    struct Child(std::process::Child);
    impl Drop for Child {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Child(
        std::process::Command::new(env!("CARGO_BIN_EXE_polar-fake"))
            .args(["--port", "0", "--token", "polar_oat_cli"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let mut url = None;
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(u) = line.strip_prefix("export POLAR_BASE_URL=") {
            url = Some(u.to_owned());
        }
        if line == "export POLAR_ACCESS_TOKEN=polar_oat_cli" {
            break;
        }
    }
    let url = url.expect("the URL is printed");
    let addr: std::net::SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    let answer = raw_http(
        addr,
        "GET /v1/customers/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer polar_oat_cli\r\nConnection: close\r\n\r\n",
    )
    .await;
    drop(child);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""total_count":0"#), "{answer}");
}

#[tokio::test]
async fn faults_can_be_set_up_by_the_builder() {
    let api = Api::with(
        FakePolar::builder()
            .drop_first(1)
            .fail_first(1, StatusCode::BAD_GATEWAY)
            .build(),
    );
    let err = api
        .fake
        .clone()
        .call(api.request(Method::GET, "/v1/customers/", None))
        .await
        .unwrap_err();
    assert!(err.is_dropped());
    assert_eq!(
        api.call(Method::GET, "/v1/customers/", None).await.status,
        502
    );
    assert_eq!(
        api.call(Method::GET, "/v1/customers/", None).await.status,
        200
    );
}
