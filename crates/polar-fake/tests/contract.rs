//! Contract test: over a randomized run of every operation (the eleven Customers operations,
//! payment methods, members, customer sessions and customer meters), every JSON answer the fake
//! gives validates against the response schema the OpenAPI spec declares for that operation and
//! status, and every request body the spec's request schema refuses is refused by the fake (422).
//!
//! The spec is the subset of Polar's OpenAPI document the SDK covers, committed at
//! `spec/polar-openapi-subset.json` (derived by `cargo xtask codegen`; `codegen --check` keeps it
//! in step with the generator). Set `POLAR_CONTRACT_SEED` to replay a run.

use std::collections::HashMap;

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use polar_fake::{FakePolar, Route, samples};
use polar_types::{BenefitType, SubscriptionStatus};
use serde_json::{Value, json};
use tower_service::Service;

const SPEC: &str = include_str!("../../../spec/polar-openapi-subset.json");

fn spec() -> Value {
    serde_json::from_str(SPEC).expect("the spec subset is JSON")
}

/// Compiles a schema taken from the spec: its `$ref`s to `#/components/...` resolve because the
/// spec's `components` are put beside it at the document root.
fn compile(spec: &Value, schema: &Value) -> jsonschema::Validator {
    let mut doc = schema.clone();
    if let Value::Object(m) = &mut doc {
        m.insert("components".into(), spec["components"].clone());
    } else {
        doc = json!({ "allOf": [schema], "components": spec["components"] });
    }
    jsonschema::draft202012::new(&doc).expect("the spec's schema compiles")
}

struct Contract {
    /// (method, path template, status) -> response schema.
    responses: HashMap<(String, String, u16), jsonschema::Validator>,
    /// (method, path template) -> content types declared for each status.
    content: HashMap<(String, String, u16), Vec<String>>,
    /// (method, path template) -> request body schema.
    requests: HashMap<(String, String), jsonschema::Validator>,
}

impl Contract {
    fn load() -> Self {
        let spec = spec();
        let mut c = Contract {
            responses: HashMap::new(),
            content: HashMap::new(),
            requests: HashMap::new(),
        };
        for op in Route::ALL {
            let method = op.method().as_str().to_ascii_lowercase();
            let path = op.template().to_owned();
            let o = &spec["paths"][&path][&method];
            assert!(o.is_object(), "the spec has {method} {path}");
            for (status, r) in o["responses"].as_object().unwrap() {
                let status: u16 = status.parse().unwrap();
                let types: Vec<String> = r["content"]
                    .as_object()
                    .map(|m| m.keys().cloned().collect())
                    .unwrap_or_default();
                if let Some(schema) = r["content"]["application/json"].get("schema") {
                    c.responses.insert(
                        (method.clone(), path.clone(), status),
                        compile(&spec, schema),
                    );
                }
                c.content
                    .insert((method.clone(), path.clone(), status), types);
            }
            if let Some(schema) = o["requestBody"]["content"]["application/json"].get("schema") {
                c.requests
                    .insert((method.clone(), path.clone()), compile(&spec, schema));
            }
        }
        c
    }
}

fn pick<'a, T>(rng: &mut fastrand::Rng, xs: &'a [T]) -> &'a T {
    &xs[rng.usize(..xs.len())]
}

fn field_values(rng: &mut fastrand::Rng, key: &str, n: u64) -> Value {
    let long = "n".repeat(257);
    let valid = rng.u8(..10) < 9;
    let choices = match key {
        "email" => vec![
            json!(format!("c{n}@polar.sh")),
            json!(format!("C{n}@Polar.SH")),
            json!("nope"),
            json!(null),
            json!(5),
            json!("x@host.test"),
        ],
        "name" => vec![
            json!("Jane"),
            json!("  "),
            json!(null),
            json!(long),
            json!(["x"]),
            json!("a\u{0}b"),
        ],
        "external_id" => vec![
            json!(format!("e{n}")),
            json!("e1"),
            json!(""),
            json!(null),
            json!(7),
        ],
        "type" => vec![
            json!("individual"),
            json!("team"),
            json!("robot"),
            json!(null),
        ],
        "metadata" => vec![
            json!({"plan": "pro", "seats": 3, "ratio": 1.5, "ok": true}),
            json!({"k": ""}),
            json!({"k": {"n": 1}}),
            json!({}),
            json!("x"),
            json!({"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk": 1}),
        ],
        "billing_address" => vec![
            json!({"country": "DE", "city": "Berlin"}),
            json!({"country": "US", "state": "NY"}),
            json!({"country": "US", "state": "XX"}),
            json!({"city": "x"}),
            json!({"country": "ZZ"}),
            json!(null),
        ],
        "tax_id" => vec![
            json!(null),
            json!("DE136695976"),
            json!("DE123456789"),
            json!(""),
        ],
        "locale" => vec![json!("en_US"), json!("fr"), json!("not a tag"), json!(null)],
        "owner" => vec![
            json!({"email": format!("o{n}@polar.sh")}),
            json!({"name": "x"}),
            json!(null),
            json!("x"),
        ],
        "organization_id" => vec![
            json!(null),
            json!("nope"),
            json!(uuid::Uuid::new_v4().to_string()),
        ],
        "role" => vec![
            json!("billing_manager"),
            json!("member"),
            json!("owner"),
            json!("boss"),
            json!(null),
        ],
        "return_url" => vec![
            json!("https://example.com/account"),
            json!("not a url"),
            json!("ftp://example.com"),
            json!(null),
        ],
        _ => vec![Value::Null],
    };
    if valid {
        choices[0].clone()
    } else {
        pick(rng, &choices).clone()
    }
}

/// A member and its customer, by ID and external ID.
#[derive(Clone)]
struct KnownMember {
    customer: String,
    customer_ext: Option<String>,
    id: String,
    ext: Option<String>,
}

/// Creates a customer through the API; answers its id and external id.
async fn create_customer(fake: &FakePolar, body: Value) -> (String, Option<String>) {
    let req = Request::post("/v1/customers/")
        .header("authorization", format!("Bearer {}", fake.token()))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let res = fake.clone().call(req).await.unwrap();
    assert_eq!(res.status(), 201);
    let v: Value =
        serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
    (
        v["id"].as_str().unwrap().to_owned(),
        v["external_id"].as_str().map(str::to_owned),
    )
}

/// Remembers the members of a customer (its owner first).
fn learn_members(
    fake: &FakePolar,
    customer: &(String, Option<String>),
    out: &mut Vec<KnownMember>,
) {
    let id: polar_fake::CustomerId = customer.0.parse().unwrap();
    for m in fake.members_json(id) {
        let known = KnownMember {
            customer: customer.0.clone(),
            customer_ext: customer.1.clone(),
            id: m["id"].as_str().unwrap().to_owned(),
            ext: m["external_id"].as_str().map(str::to_owned),
        };
        if !out.iter().any(|k| k.id == known.id) {
            out.push(known);
        }
    }
}

fn body(rng: &mut fastrand::Rng, keys: &[&str], n: u64) -> Value {
    let mut m = serde_json::Map::new();
    for k in keys {
        if *k == "email" || rng.u8(..3) == 0 {
            m.insert((*k).to_owned(), field_values(rng, k, n));
        }
    }
    if rng.u8(..20) == 0 {
        return pick(rng, &[json!([1]), json!("text"), json!(null)]).clone();
    }
    Value::Object(m)
}

#[tokio::test]
async fn every_answer_matches_the_spec_and_invalid_requests_are_refused() {
    let contract = Contract::load();
    // A fixed seed by default, so CI's answer does not depend on luck (whether a random walk
    // happens to reach every refusal); `POLAR_CONTRACT_SEED=<n>` replays another walk and
    // `POLAR_CONTRACT_SEED=random` explores a fresh one (its seed is in any failure message).
    let seed = match std::env::var("POLAR_CONTRACT_SEED").ok().as_deref() {
        None => 1,
        Some("random") => fastrand::u64(..),
        Some(n) => n
            .parse()
            .expect("POLAR_CONTRACT_SEED is a whole number or `random`"),
    };
    let mut rng = fastrand::Rng::with_seed(seed);
    let fake = FakePolar::new();
    let token = fake.token().to_owned();
    let mut ids: Vec<(String, Option<String>)> = Vec::new();
    let mut members: Vec<KnownMember> = Vec::new();
    let mut meters: Vec<String> = Vec::new();
    // Team customers, which take members (an individual has its owner only).
    let mut teams = Vec::new();
    for t in 0..3 {
        let team = create_customer(
            &fake,
            json!({"type": "team", "email": format!("team{t}@polar.sh"), "external_id": format!("team {t}")}),
        )
        .await;
        // Two members besides the owner, with external IDs.
        for k in 0..2 {
            let req = Request::post(format!("/v1/customers/{}/members", team.0))
                .header("authorization", format!("Bearer {}", fake.token()))
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from(
                    json!({"email": format!("m{t}{k}@polar.sh"), "external_id": format!("m {t} {k}")})
                        .to_string(),
                )))
                .unwrap();
            assert_eq!(fake.clone().call(req).await.unwrap().status(), 201);
        }
        learn_members(&fake, &team, &mut members);
        // Kept out of `ids`, so no random delete removes them.
        teams.push(team);
    }
    let mut seen: HashMap<(Route, u16), u32> = HashMap::new();
    let mut failures = Vec::new();
    for n in 0..4000u64 {
        let op = *pick(&mut rng, &Route::ALL);
        let member_route = op.template().contains("/members");
        // Mostly members added to the teams (not owners), sometimes any member (owners too).
        let added: Vec<&KnownMember> = members
            .iter()
            .filter(|m| {
                members
                    .iter()
                    .find(|o| o.customer == m.customer)
                    .unwrap()
                    .id
                    != m.id
            })
            .collect();
        let known_member = match (member_route, rng.u8(..8)) {
            (false, _) | (true, 0) => None,
            (true, 1 | 2) => Some(members[rng.usize(..members.len())].clone()),
            (true, _) => Some(added[rng.usize(..added.len())].clone()),
        };
        let known = match &known_member {
            Some(m) if rng.u8(..8) != 0 => Some((m.customer.clone(), m.customer_ext.clone())),
            _ if member_route && rng.u8(..4) != 0 => Some(teams[rng.usize(..teams.len())].clone()),
            _ => (!ids.is_empty() && rng.u8(..4) != 0).then(|| ids[rng.usize(..ids.len())].clone()),
        };
        let id = match (&known, rng.u8(..6)) {
            (_, 0) => "not-a-uuid".to_owned(),
            _ if op == Route::CustomerMetersGet && !meters.is_empty() => {
                meters[rng.usize(..meters.len())].clone()
            }
            (Some((id, _)), _) => id.clone(),
            (None, _) => uuid::Uuid::new_v4().to_string(),
        };
        let (member_id, member_ext) = match (&known_member, rng.u8(..8)) {
            (_, 0) => ("not-a-uuid".to_owned(), format!("nobody {n}")),
            (Some(m), _) => (
                m.id.clone(),
                m.ext.clone().unwrap_or_else(|| format!("nobody {n}")),
            ),
            (None, _) => (uuid::Uuid::new_v4().to_string(), format!("nobody {n}")),
        };
        let ext = match &known {
            Some((_, Some(x))) if member_route || rng.bool() => x.clone(),
            _ => format!("missing {n}"),
        };
        let ext_enc =
            percent_encoding::utf8_percent_encode(&ext, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        let template = op.template();
        let mut path = template
            .replace("{id}", &id)
            .replace("{external_id}", &ext_enc)
            .replace("{member_id}", &member_id)
            .replace(
                "{member_external_id}",
                &percent_encoding::utf8_percent_encode(
                    &member_ext,
                    percent_encoding::NON_ALPHANUMERIC,
                )
                .to_string(),
            );
        let query = match op {
            Route::CustomersList => pick(
                &mut rng,
                &[
                    "",
                    "?limit=2&page=2",
                    "?sorting=-email&sorting=name",
                    "?sorting=age",
                    "?limit=0",
                    "?query=c&active=true",
                    "?metadata[plan]=pro",
                    "?organization_id=nope",
                ],
            )
            .to_string(),
            Route::CustomersDelete | Route::CustomersDeleteExternal => {
                pick(&mut rng, &["", "?anonymize=true", "?anonymize=perhaps"]).to_string()
            }
            Route::CustomersExport => pick(&mut rng, &["", "?organization_id=nope"]).to_string(),
            Route::CustomersListPaymentMethods | Route::CustomersListPaymentMethodsExternal => {
                pick(&mut rng, &["", "?limit=1&page=2", "?limit=0"]).to_string()
            }
            Route::CustomersMembersList | Route::CustomersMembersListExternal => pick(
                &mut rng,
                &[
                    "",
                    "?role=member",
                    "?sorting=created_at&limit=1&page=2",
                    "?role=boss",
                    "?sorting=age",
                    "?limit=0",
                ],
            )
            .to_string(),
            Route::CustomerMetersList => pick(
                &mut rng,
                &[
                    String::new(),
                    "?sorting=-balance&sorting=meter_name&limit=2".to_owned(),
                    format!("?customer_id={id}"),
                    "?external_customer_id=team%200".to_owned(),
                    "?sorting=age".to_owned(),
                    "?meter_id=nope".to_owned(),
                ],
            )
            .clone(),
            _ => String::new(),
        };
        path.push_str(&query);
        // Create takes every field; update by id all but `owner` and `organization_id`; update
        // by external id neither `external_id` nor `type` either.
        const FIELDS: [&str; 10] = [
            "email",
            "name",
            "metadata",
            "billing_address",
            "tax_id",
            "locale",
            "external_id",
            "type",
            "owner",
            "organization_id",
        ];
        let req_body = match op {
            Route::CustomersCreate => Some(body(&mut rng, &FIELDS, n)),
            Route::CustomersUpdate => Some(body(&mut rng, &FIELDS[..8], n)),
            Route::CustomersUpdateExternal => Some(body(&mut rng, &FIELDS[..6], n)),
            Route::CustomersMembersCreate | Route::CustomersMembersCreateExternal => {
                Some(body(&mut rng, &["email", "name", "external_id", "role"], n))
            }
            Route::CustomersMembersUpdate | Route::CustomersMembersUpdateExternal => {
                Some(body(&mut rng, &["name", "email", "role"], n))
            }
            Route::CustomerSessionsCreate => {
                let mut b = body(&mut rng, &["return_url"], n);
                if let Value::Object(m) = &mut b {
                    m.remove("email");
                    match rng.u8(..5) {
                        0 => {}
                        1 | 2 => {
                            m.insert("customer_id".into(), json!(id));
                        }
                        _ => {
                            m.insert("external_customer_id".into(), json!(ext));
                        }
                    }
                    if let Some(member) = &known_member {
                        m.insert("member_id".into(), json!(member.id));
                    }
                }
                Some(b)
            }
            _ => None,
        };
        let method: Method = op.method();
        let mut b = Request::builder()
            .method(method)
            .uri(&path)
            .header("authorization", format!("Bearer {token}"))
            .header("polar-version", "2026-10");
        if req_body.is_some() {
            b = b.header("content-type", "application/json");
        }
        let bytes = req_body
            .as_ref()
            .map(|v| Bytes::from(v.to_string()))
            .unwrap_or_default();
        let res = fake
            .clone()
            .call(b.body(Full::new(bytes)).unwrap())
            .await
            .unwrap();
        let status = res.status().as_u16();
        let content_type = res
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned());
        let answer = res.into_body().collect().await.unwrap().to_bytes();
        *seen.entry((op, status)).or_default() += 1;
        // A member external ID already taken in the customer breaks a unique index the server
        // does not catch (server/polar/member/service.py, `create`): 500, undeclared.
        if status == 500
            && matches!(
                op,
                Route::CustomersMembersCreate | Route::CustomersMembersCreateExternal
            )
        {
            continue;
        }
        let key = (
            op.method().as_str().to_ascii_lowercase(),
            template.to_owned(),
            status,
        );
        let Some(types) = contract.content.get(&key) else {
            failures.push(format!(
                "{op:?} {path}: status {status} is not declared by the spec"
            ));
            continue;
        };
        if let Some(ct) = &content_type {
            let mime = ct.split(';').next().unwrap().trim();
            if !types.iter().any(|t| t == mime) {
                failures.push(format!(
                    "{op:?} {path}: {status} answered {mime}, the spec declares {types:?}"
                ));
            }
        } else if !types.is_empty() {
            failures.push(format!(
                "{op:?} {path}: {status} has no content type, the spec declares {types:?}"
            ));
        }
        if let Some(validator) = contract.responses.get(&key) {
            let v: Value = serde_json::from_slice(&answer).unwrap();
            for e in validator.iter_errors(&v).take(3) {
                failures.push(format!(
                    "{op:?} {path}: {status} body at {}: {e}\n{v}",
                    e.instance_path()
                ));
            }
        }
        if let (Some(rb), Some(validator)) = (
            &req_body,
            contract.requests.get(&(
                op.method().as_str().to_ascii_lowercase(),
                template.to_owned(),
            )),
        ) && !validator.is_valid(rb)
            && status != 422
        {
            failures.push(format!(
                "{op:?} {path}: the spec refuses {rb} but the fake answered {status}"
            ));
        }
        if matches!(
            op,
            Route::CustomersMembersCreate | Route::CustomersMembersCreateExternal
        ) && status == 201
        {
            let v: Value = serde_json::from_slice(&answer).unwrap();
            let customer = ids
                .iter()
                .chain(&teams)
                .find(|(c, _)| v["customer_id"] == json!(c))
                .cloned()
                .unwrap();
            learn_members(&fake, &customer, &mut members);
        }
        if op == Route::CustomersCreate && status == 201 {
            let v: Value = serde_json::from_slice(&answer).unwrap();
            let id: polar_fake::CustomerId = v["id"].as_str().unwrap().parse().unwrap();
            // Seeded state, so the state answers carry subscriptions, grants and meters too.
            if rng.bool() {
                let status = pick(
                    &mut rng,
                    &[
                        SubscriptionStatus::Active,
                        SubscriptionStatus::Trialing,
                        SubscriptionStatus::Unknown("past_due".into()),
                    ],
                )
                .clone();
                assert!(fake.add_subscription(id, &samples::subscription(status, 1900)));
                assert!(fake.add_benefit_grant(id, &samples::benefit_grant(BenefitType::Custom)));
                let meter = samples::meter(2.5, 10);
                assert!(fake.add_meter(id, &meter));
                meters.push(meter.id.to_string());
                assert!(fake.add_payment_method(id, &samples::card("visa", "4242"), true));
                assert!(fake.add_payment_method(id, &samples::payment_method("sepa_debit"), false));
            }
            learn_members(
                &fake,
                &(
                    v["id"].as_str().unwrap().to_owned(),
                    v["external_id"].as_str().map(str::to_owned),
                ),
                &mut members,
            );
            ids.push((
                v["id"].as_str().unwrap().to_owned(),
                v["external_id"].as_str().map(str::to_owned),
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "seed {seed}: {} failures, first: {:#?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    for op in Route::ALL {
        assert!(
            seen.keys().any(|(o, s)| *o == op && *s < 300),
            "seed {seed}: {op:?} never succeeded: {seen:?}"
        );
        // Reads by external id take any string: they can only miss (404), never be invalid.
        let can_be_invalid = !matches!(
            op,
            Route::CustomersGetExternal
                | Route::CustomersGetStateExternal
                | Route::CustomersMembersGetExternal
        );
        assert!(
            !can_be_invalid || seen.keys().any(|(o, s)| *o == op && *s == 422),
            "seed {seed}: {op:?} never refused: {seen:?}"
        );
    }
}
