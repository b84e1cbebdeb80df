//! What Polar may add later must not break decoding: new enum values, new customer types, new
//! benefit types, new fields.

use polar_types::*;
use serde_json::{Value, json};

fn individual() -> Value {
    json!({
        "type": "individual",
        "id": "6b0e4c5e-3f8e-4a57-9d2e-1f4a2b3c4d5e",
        "created_at": "2026-01-02T03:04:05Z",
        "modified_at": null,
        "metadata": {"plan": "pro", "seats": 3},
        "external_id": "usr_1",
        "email": "a@example.com",
        "email_verified": true,
        "name": "Ada",
        "billing_name": null,
        "billing_address": {"country": "US", "line1": null},
        "tax_id": ["12-3456789", "us_ein"],
        "organization_id": "1dbfc517-0bbf-4301-9ba8-555ca42b9737",
        "deleted_at": null,
        "first_user_event_at": null,
        "avatar_url": null
    })
}

#[test]
fn unknown_enum_values_decode_and_round_trip() {
    let mut v = individual();
    v["billing_address"]["country"] = json!("XK");
    v["tax_id"] = json!(["X1", "xk_vat"]);
    let c: Customer = serde_json::from_value(v.clone()).unwrap();
    let Customer::Individual(ind) = &c else {
        panic!("expected an individual, got {c:?}")
    };
    assert_eq!(
        ind.billing_address.as_ref().unwrap().country,
        CountryCode::Unknown("XK".into())
    );
    assert_eq!(
        ind.tax_id.as_ref().unwrap().1,
        TaxIdFormat::Unknown("xk_vat".into())
    );
    assert_eq!(serde_json::to_value(&c).unwrap(), v);

    let sort: CustomerSortProperty = serde_json::from_str("\"-last_seen\"").unwrap();
    assert_eq!(sort.as_str(), "-last_seen");
    assert_eq!(serde_json::to_string(&sort).unwrap(), "\"-last_seen\"");
    assert_eq!(
        "-email".parse::<CustomerSortProperty>().unwrap(),
        CustomerSortProperty::EmailDesc
    );
}

#[test]
fn unknown_customer_type_is_kept_as_raw_json() {
    let mut v = individual();
    v["type"] = json!("organization");
    v["seats"] = json!(12);
    let c: Customer = serde_json::from_value(v.clone()).unwrap();
    let Customer::Unknown(unknown) = &c else {
        panic!("got {c:?}")
    };
    assert_eq!(unknown.raw()["seats"], 12);
    // What every customer has stays typed.
    assert_eq!(c.type_name(), "organization");
    assert_eq!(c.email(), Some("a@example.com"));
    assert_eq!(c.id().to_string(), "6b0e4c5e-3f8e-4a57-9d2e-1f4a2b3c4d5e");
    assert_eq!(c.organization_id(), unknown.organization_id());
    assert_eq!(c.metadata()["plan"], MetadataValue::from("pro"));
    // Re-encodes exactly as received, new field included.
    assert_eq!(serde_json::to_value(&c).unwrap(), v);

    let page: ListResourceCustomer = serde_json::from_value(json!({
        "items": [individual(), v],
        "pagination": {"total_count": 2, "max_page": 1}
    }))
    .unwrap();
    assert!(matches!(page.items[0], Customer::Individual(_)));
    assert!(matches!(page.items[1], Customer::Unknown(_)));
}

#[test]
fn unknown_benefit_type_keeps_its_properties() {
    let grant = json!({
        "id": "00000000-0000-4000-8000-000000000001",
        "created_at": "2026-01-02T03:04:05Z",
        "modified_at": null,
        "granted_at": "2026-01-02T03:04:05Z",
        "benefit_id": "00000000-0000-4000-8000-000000000002",
        "benefit_type": "api_quota",
        "benefit_metadata": {},
        "properties": {"quota": 1000, "nested": {"a": [1, 2]}}
    });
    let g: CustomerStateBenefitGrant = serde_json::from_value(grant.clone()).unwrap();
    assert_eq!(g.benefit_type, BenefitType::Unknown("api_quota".into()));
    assert!(matches!(&g.properties, BenefitGrantProperties::Other(p) if p["quota"] == 1000));
    assert_eq!(serde_json::to_value(&g).unwrap(), grant);

    // A known type picks the typed shape from the sibling field.
    let mut discord = grant.clone();
    discord["benefit_type"] = json!("discord");
    discord["properties"] = json!({"guild_id": "g1", "role_id": "r1", "account_id": null});
    let g: CustomerStateBenefitGrant = serde_json::from_value(discord.clone()).unwrap();
    let BenefitGrantProperties::Discord(p) = &g.properties else {
        panic!("got {:?}", g.properties)
    };
    assert_eq!(p.guild_id.as_deref(), Some("g1"));
    assert!(p.account_id.is_null());
    assert_eq!(serde_json::to_value(&g).unwrap(), discord);
}

#[test]
fn extra_fields_everywhere_decode_and_re_encode_without_loss() {
    let mut v = individual();
    v["brand_new"] = json!({"deep": [1, 2, 3]});
    v["billing_address"]["plus_code"] = json!("8FVC9G8F+6X");
    let c: Customer = serde_json::from_value(v.clone()).unwrap();
    let Customer::Individual(ind) = &c else {
        panic!("got {c:?}")
    };
    assert_eq!(ind.extra["brand_new"], json!({"deep": [1, 2, 3]}));
    assert_eq!(
        ind.billing_address.as_ref().unwrap().extra["plus_code"],
        "8FVC9G8F+6X"
    );
    assert_eq!(serde_json::to_value(&c).unwrap(), v);

    let mut state = individual();
    state["active_subscriptions"] = json!([]);
    state["granted_benefits"] = json!([]);
    state["active_meters"] = json!([{
        "id": "00000000-0000-4000-8000-000000000001", "created_at": "2026-01-02T03:04:05Z",
        "modified_at": null, "meter_id": "00000000-0000-4000-8000-000000000002",
        "consumed_units": 1.5, "credited_units": 10, "balance": 8.5, "unit_label": "tokens"
    }]);
    state["lifetime_value"] = json!(1234);
    let s: CustomerState = serde_json::from_value(state.clone()).unwrap();
    assert_eq!(serde_json::to_value(&s).unwrap(), state);

    let page: ListResourceCustomer = serde_json::from_value(json!({
        "items": [v],
        "pagination": {"total_count": 1, "max_page": 1, "cursor": "abc"},
        "meta": true
    }))
    .unwrap();
    assert_eq!(page.pagination.total_count, 1);

    let err: HttpValidationError = serde_json::from_value(json!({
        "error": "PolarRequestValidationError",
        "detail": [{"type": "value_error", "loc": ["body", "email", 0], "msg": "bad", "input": "x", "url": "https://…"}]
    }))
    .unwrap();
    assert_eq!(err.extra["error"], "PolarRequestValidationError");
    let detail = &err.detail.unwrap()[0];
    assert_eq!(detail.extra["url"], "https://…");
    assert_eq!(
        detail.loc,
        vec![
            LocItem::String("body".into()),
            LocItem::String("email".into()),
            LocItem::Integer(0)
        ]
    );
}

#[test]
fn missing_collections_and_nullable_fields_read_as_empty() {
    let mut v = individual();
    let obj = v.as_object_mut().unwrap();
    for key in [
        "metadata",
        "avatar_url",
        "first_user_event_at",
        "deleted_at",
    ] {
        obj.remove(key);
    }
    let c: Customer = serde_json::from_value(v).unwrap();
    let Customer::Individual(ind) = c else {
        panic!()
    };
    assert!(ind.metadata.is_empty());
    assert!(ind.avatar_url.is_none());
}

#[test]
fn decode_errors_name_the_path_through_unions() {
    let mut bad = individual();
    bad["billing_address"]["country"] = json!(42);
    let page = json!({
        "items": [individual(), individual(), individual(), bad],
        "pagination": {"total_count": 4, "max_page": 1}
    });
    let text = page.to_string();
    let mut de = serde_json::Deserializer::from_str(&text);
    let err = serde_path_to_error::deserialize::<_, ListResourceCustomer>(&mut de).unwrap_err();
    assert_eq!(err.path().to_string(), "items[3]");
    let msg = err.inner().to_string();
    assert!(
        msg.starts_with("billing_address.country: invalid type"),
        "{msg}"
    );

    // A key given twice is refused, as serde's derive does.
    let dup = r#"{"total_count": 1, "total_count": 2, "max_page": 1}"#;
    let err = serde_json::from_str::<Pagination>(dup)
        .unwrap_err()
        .to_string();
    assert!(err.contains("duplicate field `total_count`"), "{err}");

    // A missing required field inside a known variant is an error, not an Unknown customer.
    let mut missing = individual();
    missing.as_object_mut().unwrap().remove("id");
    let err = serde_json::from_value::<Customer>(missing)
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing field `id`"), "{err}");
}

#[test]
fn create_body_without_type_is_an_individual() {
    let c: CustomerCreate = serde_json::from_value(json!({"email": "a@b.co"})).unwrap();
    assert!(matches!(c, CustomerCreate::Individual(_)));
    // The type is always written out.
    assert_eq!(
        serde_json::to_value(&c).unwrap(),
        json!({"type": "individual", "email": "a@b.co"})
    );
    let err = serde_json::from_value::<CustomerCreate>(json!({"type": "robot"}))
        .unwrap_err()
        .to_string();
    assert!(err.contains("robot"), "{err}");
}

#[test]
fn metadata_values_keep_their_json_type() {
    let m: Metadata = serde_json::from_str(
        r#"{"s":"x","i":-3,"u":18446744073709551615,"f":1.25,"b":false,"e":""}"#,
    )
    .unwrap();
    assert_eq!(m["s"], MetadataValue::String("x".into()));
    assert_eq!(m["i"], MetadataValue::Integer(-3));
    assert_eq!(m["u"], MetadataValue::Number(18446744073709551615.0));
    assert_eq!(m["f"], MetadataValue::Number(1.25));
    assert_eq!(m["b"], MetadataValue::Boolean(false));
    assert_eq!(m["e"], MetadataValue::String(String::new()));
    // Nesting is not metadata.
    let err = serde_json::from_str::<Metadata>(r#"{"n":{"a":1}}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("a string, a number or a boolean"), "{err}");
    assert!(serde_json::from_str::<Metadata>(r#"{"n":null}"#).is_err());
}

#[test]
fn a_benefit_type_and_the_properties_named_after_it_spell_github_alike() {
    assert_eq!(
        BenefitType::from("github_repository"),
        BenefitType::GitHubRepository
    );
    let props =
        |p: &BenefitGrantProperties| matches!(p, BenefitGrantProperties::GitHubRepository(_));
    let _ = props;
}

fn payment_method(kind: &str) -> Value {
    json!({
        "id": "0b9a1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d",
        "created_at": "2026-01-02T03:04:05Z",
        "modified_at": null,
        "processor": "stripe",
        "customer_id": "6b0e4c5e-3f8e-4a57-9d2e-1f4a2b3c4d5e",
        "type": kind,
        "method_metadata": {"brand": "visa", "last4": "4242", "exp_month": 4, "exp_year": 2030},
        "is_default": true
    })
}

#[test]
fn payment_methods_of_any_kind_decode_and_keep_their_type() {
    let card: PaymentMethod = serde_json::from_value(payment_method("card")).unwrap();
    let PaymentMethod::Card(c) = &card else {
        panic!("expected a card, got {card:?}")
    };
    assert_eq!(c.method_metadata.last4, "4242");
    assert_eq!(serde_json::to_value(&card).unwrap(), payment_method("card"));

    // A kind Polar adds later (or one it has that is no card) is the generic variant, with its
    // `type` and every field kept for re-encoding; a new processor is kept too.
    let mut v = payment_method("sepa_debit");
    v["processor"] = json!("adyen");
    let other: PaymentMethod = serde_json::from_slice(v.to_string().as_bytes()).unwrap();
    let PaymentMethod::Generic(g) = &other else {
        panic!("expected the generic variant, got {other:?}")
    };
    assert_eq!(g.r#type, "sepa_debit");
    assert_eq!(g.processor, PaymentProcessor::Unknown("adyen".into()));
    assert!(g.extra.contains_key("method_metadata"));
    assert_eq!(serde_json::to_value(&other).unwrap(), v);
}

#[test]
fn new_member_roles_are_kept() {
    let m: Member = serde_json::from_value(json!({
        "id": "0b9a1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d",
        "created_at": "2026-01-02T03:04:05Z",
        "modified_at": null,
        "customer_id": "6b0e4c5e-3f8e-4a57-9d2e-1f4a2b3c4d5e",
        "email": "m@example.com",
        "name": null,
        "external_id": null,
        "role": "auditor"
    }))
    .unwrap();
    assert_eq!(m.role, MemberRole::Unknown("auditor".into()));
    assert_eq!(serde_json::to_value(&m).unwrap()["role"], "auditor");
}
