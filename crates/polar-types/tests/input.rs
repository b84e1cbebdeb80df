//! Tri-state update bodies and the input checks that run before any request is built.

use polar_types::*;
use serde_json::json;

#[test]
fn update_bodies_keep_absent_null_and_value_apart() {
    let keep = CustomerUpdate::default();
    assert_eq!(serde_json::to_value(&keep).unwrap(), json!({}));
    let clear = CustomerUpdate::default().clear_name();
    assert_eq!(serde_json::to_string(&clear).unwrap(), r#"{"name":null}"#);
    let set = CustomerUpdate::default().name("x");
    assert_eq!(serde_json::to_string(&set).unwrap(), r#"{"name":"x"}"#);

    // And the three decode back to what they were.
    for (text, expected) in [
        ("{}", Nullable::Absent),
        (r#"{"name":null}"#, Nullable::Null),
        (r#"{"name":"x"}"#, Nullable::Value("x".to_owned())),
    ] {
        let u: CustomerUpdate = serde_json::from_str(text).unwrap();
        assert_eq!(u.name, expected, "{text}");
    }

    let to_team = CustomerUpdate::default()
        .r#type(CustomerType::Team)
        .metadata(Metadata::new());
    assert_eq!(
        serde_json::to_value(&to_team).unwrap(),
        json!({"type": "team", "metadata": {}})
    );
}

fn metadata(n: usize) -> Metadata {
    (0..n)
        .map(|i| (format!("k{i}"), MetadataValue::from(i as i64)))
        .collect()
}

#[test]
fn metadata_limits_are_checked() {
    let ok = CustomerUpdate::default().metadata(metadata(50));
    assert_eq!(ok.validate(), Ok(()));

    let too_many = CustomerUpdate::default().metadata(metadata(51));
    let e = too_many.validate().unwrap_err();
    assert_eq!(e.field, "metadata");
    assert!(e.message.contains("at most 50 keys"), "{e}");

    let long_key: Metadata = [("k".repeat(41), MetadataValue::from(true))]
        .into_iter()
        .collect();
    let e = CustomerUpdate::default()
        .metadata(long_key)
        .validate()
        .unwrap_err();
    assert_eq!(e.field, "metadata");
    assert!(e.message.contains("at most 40 characters"), "{e}");

    let empty_key: Metadata = [(String::new(), MetadataValue::from(true))]
        .into_iter()
        .collect();
    assert!(
        CustomerUpdate::default()
            .metadata(empty_key)
            .validate()
            .is_err()
    );

    let long_value: Metadata = [("note".to_owned(), MetadataValue::from("v".repeat(501)))]
        .into_iter()
        .collect();
    let e = CustomerUpdate::default()
        .metadata(long_value)
        .validate()
        .unwrap_err();
    assert_eq!(e.field, "metadata.note");
    assert!(
        e.to_string().contains("at most 500 characters, got 501")
            || e.to_string().contains("got 501"),
        "{e}"
    );

    let max_value: Metadata = [("note".to_owned(), MetadataValue::from("v".repeat(500)))]
        .into_iter()
        .collect();
    assert_eq!(
        CustomerUpdate::default().metadata(max_value).validate(),
        Ok(())
    );
}

#[test]
fn name_and_email_are_checked() {
    let mut create = CustomerIndividualCreate::new("ada@example.com");
    create.name = Nullable::Value("n".repeat(256));
    assert_eq!(create.validate(), Ok(()));
    create.name = Nullable::Value("n".repeat(257));
    let e = CustomerCreate::from(create).validate().unwrap_err();
    assert_eq!(e.field, "name");
    assert_eq!(
        e.to_string(),
        "invalid `name`: at most 256 characters allowed, got 257"
    );

    let e = CustomerIndividualCreate::new("").validate().unwrap_err();
    assert_eq!(e.field, "email");
    assert!(e.message.contains("empty"), "{e}");
    for bad in [
        "no-at-sign",
        "@example.com",
        "a@",
        "a b@example.com",
        "a@b@c",
    ] {
        let e = CustomerIndividualCreate::new(bad).validate().unwrap_err();
        assert_eq!(e.field, "email", "{bad}");
    }

    let team = CustomerTeamCreate::default().owner(MemberOwnerCreate::new("not-an-email"));
    let e = team.validate().unwrap_err();
    assert_eq!(e.field, "owner.email");

    let e = CustomerUpdate::default()
        .email("bad")
        .validate()
        .unwrap_err();
    assert_eq!(e.field, "email");

    let nul = CustomerUpdate::default().locale("en\0");
    assert_eq!(nul.validate().unwrap_err().field, "locale");
}

#[test]
fn params_are_checked() {
    let list = CustomersListParams {
        page: Some(0),
        ..Default::default()
    };
    assert_eq!(list.validate().unwrap_err().field, "page");
    let list = CustomersListParams {
        limit: Some(0),
        ..Default::default()
    };
    assert_eq!(list.validate().unwrap_err().field, "limit");
    let list = CustomersListParams {
        metadata: vec![(String::new(), "x".into())],
        ..Default::default()
    };
    assert_eq!(list.validate().unwrap_err().field, "metadata");
    let get = CustomersGetExternalParams {
        external_id: String::new(),
    };
    assert_eq!(get.validate().unwrap_err().field, "external_id");
    let update = CustomersUpdateParams {
        id: CustomerId::new_v4(),
        body: CustomerUpdate::default().name("x".repeat(300)),
    };
    assert_eq!(update.validate().unwrap_err().field, "name");
}

#[test]
fn query_pairs_repeat_arrays_and_skip_unset() {
    let org = OrganizationId::new_v4();
    let params = CustomersListParams {
        organization_id: vec![org, org],
        sorting: vec![
            CustomerSortProperty::NameDesc,
            CustomerSortProperty::CreatedAt,
        ],
        metadata: vec![
            ("plan".into(), "pro".into()),
            ("plan".into(), "team".into()),
        ],
        active: Some(false),
        ..Default::default()
    };
    let pairs = params.query_pairs();
    let expect: Vec<(String, String)> = vec![
        ("organization_id".into(), org.to_string()),
        ("organization_id".into(), org.to_string()),
        ("active".into(), "false".into()),
        ("sorting".into(), "-name".into()),
        ("sorting".into(), "created_at".into()),
        ("metadata[plan]".into(), "pro".into()),
        ("metadata[plan]".into(), "team".into()),
    ];
    assert_eq!(pairs, expect);
    assert!(CustomersListParams::default().query_pairs().is_empty());
    assert_eq!(
        CustomersDeleteParams {
            id: CustomerId::new_v4(),
            anonymize: Some(true)
        }
        .query_pairs(),
        vec![("anonymize".to_owned(), "true".to_owned())]
    );
}
