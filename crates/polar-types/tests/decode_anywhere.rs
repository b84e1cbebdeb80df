//! The unions (`Customer`, `CustomerState`, and a grant's `properties`) decode with any serde
//! deserializer, not only straight from JSON text: inside `#[serde(flatten)]`, untagged and
//! tagged envelopes (where serde buffers the input first), and from a `serde_json::Value`.
//! Each case is checked against the plain `serde_json::from_str` decoding of the same instance.

use polar_types::*;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

const INSTANCES: &str = include_str!("fixtures/spec-instances.json");

/// Every instance of `schema` in the fixture (keys sorted, so `type` comes last, and a grant's
/// `properties` before its `benefit_type`).
fn instances(schema: &str) -> Vec<Value> {
    let all: Value = serde_json::from_str(INSTANCES).unwrap();
    all[schema].as_array().unwrap().clone()
}

/// The same object with `type` moved to the front (the SDK's fast case) and in the middle.
fn reorderings(v: &Value) -> Vec<String> {
    let text = v.to_string();
    let map = v.as_object().unwrap();
    let mut out = vec![text];
    if let Some(tag) = map.get("type") {
        let rest: Vec<String> = map
            .iter()
            .filter(|(k, _)| *k != "type")
            .map(|(k, v)| format!("{}:{}", Value::from(k.as_str()), v))
            .collect();
        let tag = format!("\"type\":{tag}");
        out.push(format!("{{{tag},{}}}", rest.join(",")));
        let mid = rest.len() / 2;
        out.push(format!(
            "{{{},{tag},{}}}",
            rest[..mid].join(","),
            rest[mid..].join(",")
        ));
    }
    out
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", content = "data")]
enum Adjacent<T> {
    #[serde(rename = "event")]
    Event(T),
}

#[derive(Debug, Deserialize)]
#[serde(tag = "kind")]
enum Internal<T> {
    #[serde(rename = "one")]
    One(T),
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Untagged<T> {
    Number(u64),
    It(T),
}

#[derive(Debug, Deserialize)]
struct Flat<T> {
    envelope_id: String,
    #[serde(flatten)]
    inner: T,
}

fn check_everywhere<T: DeserializeOwned + PartialEq + std::fmt::Debug>(schema: &str) {
    let all = instances(schema);
    assert!(!all.is_empty());
    for value in all {
        let expected: T = serde_json::from_str(&value.to_string()).unwrap();
        for text in reorderings(&value) {
            let direct: T = serde_json::from_str(&text).unwrap();
            assert_eq!(direct, expected, "{text}");

            // Adjacently tagged, `data` before `type`: serde buffers `data` before it knows
            // the variant (Polar's webhook envelope, read in an unlucky order).
            let adjacent = format!(r#"{{"data":{text},"type":"event"}}"#);
            let Adjacent::Event(got) = serde_json::from_str::<Adjacent<T>>(&adjacent).unwrap();
            assert_eq!(got, expected);

            let mut with_kind: Value = serde_json::from_str(&text).unwrap();
            with_kind["kind"] = json!("one");
            let Internal::One(got) =
                serde_json::from_str::<Internal<T>>(&with_kind.to_string()).unwrap();
            assert_eq!(got, expected);

            match serde_json::from_str::<Untagged<T>>(&text).unwrap() {
                Untagged::It(got) => assert_eq!(got, expected),
                Untagged::Number(n) => panic!("decoded as a number: {n}"),
            }

            let mut flat: Value = serde_json::from_str(&text).unwrap();
            flat["envelope_id"] = json!("env_1");
            let got: Flat<T> = serde_json::from_str(&flat.to_string()).unwrap();
            assert_eq!(got.envelope_id, "env_1");
            assert_eq!(got.inner, expected);
        }

        // From a `Value`, owned and borrowed.
        assert_eq!(
            serde_json::from_value::<T>(value.clone()).unwrap(),
            expected
        );
        assert_eq!(T::deserialize(&value).unwrap(), expected);
    }
}

#[test]
fn customers_decode_with_any_deserializer() {
    check_everywhere::<Customer>("Customer");
}

#[test]
fn customer_states_decode_with_any_deserializer() {
    check_everywhere::<CustomerState>("CustomerState");
}

#[test]
fn grant_properties_decode_before_or_after_their_benefit_type() {
    for grant in instances("CustomerStateBenefitGrant") {
        let expected: CustomerStateBenefitGrant = serde_json::from_str(&grant.to_string()).unwrap();
        let map = grant.as_object().unwrap();
        // `benefit_type` first: `properties` is decoded as it is read.
        let mut text = format!("{{\"benefit_type\":{}", map["benefit_type"]);
        for (k, v) in map.iter().filter(|(k, _)| *k != "benefit_type") {
            text.push_str(&format!(",{}:{v}", Value::from(k.as_str())));
        }
        text.push('}');
        let got: CustomerStateBenefitGrant = serde_json::from_str(&text).unwrap();
        assert_eq!(got, expected);
        // Inside a buffering envelope, and from a `Value`.
        let Adjacent::Event(got) = serde_json::from_str::<Adjacent<CustomerStateBenefitGrant>>(
            &format!(r#"{{"data":{text},"type":"event"}}"#),
        )
        .unwrap();
        assert_eq!(got, expected);
        assert_eq!(
            serde_json::from_value::<CustomerStateBenefitGrant>(grant.clone()).unwrap(),
            expected
        );
        assert!(
            !matches!(expected.properties, BenefitGrantProperties::Other(_))
                || !matches!(
                    expected.benefit_type.as_str(),
                    "discord"
                        | "github_repository"
                        | "downloadables"
                        | "license_keys"
                        | "custom"
                        | "feature_flag"
                        | "slack_shared_channel"
                ),
            "a known benefit type decoded as Other: {expected:?}"
        );
    }
}

#[test]
fn an_unknown_customer_type_keeps_all_its_json_in_an_envelope() {
    let mut value = instances("Customer")[0].clone();
    value["type"] = json!("organization");
    value["seats"] = json!(12);
    let text = format!(r#"{{"data":{value},"type":"event"}}"#);
    let Adjacent::Event(got) = serde_json::from_str::<Adjacent<Customer>>(&text).unwrap();
    assert_eq!(got, Customer::Unknown(value.clone()));
    // A `null` or missing `type` is kept as it was.
    value["type"] = Value::Null;
    assert_eq!(
        serde_json::from_value::<Customer>(value.clone()).unwrap(),
        Customer::Unknown(value.clone())
    );
    value.as_object_mut().unwrap().remove("type");
    assert_eq!(
        serde_json::from_value::<Customer>(value.clone()).unwrap(),
        Customer::Unknown(value)
    );
}

#[test]
fn errors_name_the_field_whichever_side_of_the_tag_it_is() {
    let mut bad = instances("Customer")[0].clone();
    bad["billing_address"]["country"] = json!(42);
    for text in reorderings(&bad) {
        let mut de = serde_json::Deserializer::from_str(&text);
        let err = serde_path_to_error::deserialize::<_, Customer>(&mut de).unwrap_err();
        // Read after the tag, the path tracker follows the field; read before it, the message
        // names it.
        let full = format!("{}: {}", err.path(), err.inner());
        assert!(
            full.contains("billing_address.country: invalid type"),
            "{full}"
        );
    }
    let err = serde_json::from_value::<Customer>(json!({"type": 5})).unwrap_err();
    assert!(err.to_string().contains("cannot read `type`"), "{err}");
    let err = serde_json::from_str::<Customer>("[1]").unwrap_err();
    assert!(err.to_string().contains("an object with a `type`"), "{err}");
    let err = serde_json::from_value::<CustomerCreate>(json!({"type": "org"})).unwrap_err();
    assert!(
        err.to_string()
            .contains("unknown `type` `org`; expected `individual` or `team`"),
        "{err}"
    );
}
