//! Every event type Polar documents decodes: the customer ones typed, the others as `Other`.

use polar_webhooks::{Customer, CustomerState, Event};
use serde_json::{Value, json};

/// The spec subset the SDK is generated from (`cargo xtask codegen` derives it from Polar's
/// OpenAPI document; `codegen --check` keeps it in step).
const SPEC: &str = include_str!("../../../spec/polar-openapi-subset.json");

/// Every event type Polar documents: the keys of the spec's `webhooks` section, which is also
/// the list of `WebhookEventType` in server/polar/models/webhook_endpoint.py.
fn spec_event_types() -> Vec<String> {
    let spec: Value = serde_json::from_str(SPEC).unwrap();
    spec["webhooks"]
        .as_object()
        .expect("the spec lists the webhook events")
        .keys()
        .cloned()
        .collect()
}

/// The four customer events this crate types are events Polar documents, among the others.
#[test]
fn the_typed_events_are_in_the_specs_list() {
    let listed = spec_event_types();
    for typed in [
        "customer.created",
        "customer.updated",
        "customer.deleted",
        "customer.state_changed",
    ] {
        assert!(
            listed.iter().any(|t| t == typed),
            "{typed} not in {listed:?}"
        );
    }
    assert!(listed.len() > 4, "{listed:?}");
}

fn customer() -> Value {
    json!({
        "id": "6b0e4c5e-3f8e-4a57-9d2e-1f4a2b3c4d5e",
        "created_at": "2026-01-02T03:04:05.123456Z",
        "modified_at": null,
        "metadata": {"plan": "pro"},
        "external_id": "usr_1",
        "email": "ada@example.com",
        "email_verified": true,
        "type": "individual",
        "name": "Ada",
        "billing_name": null,
        "billing_address": null,
        "tax_id": null,
        "locale": null,
        "organization_id": "1dbfc517-0bbf-4301-9ba8-555ca42b9737",
        "default_payment_method_id": null,
        "deleted_at": null,
        "first_user_event_at": null,
        "avatar_url": null
    })
}

fn state() -> Value {
    let mut state = customer();
    state["active_subscriptions"] = json!([]);
    state["active_meters"] = json!([]);
    state["granted_benefits"] = json!([{
        "id": "5e0c9d7a-1b2c-4d3e-8f4a-5b6c7d8e9f01",
        "created_at": "2026-01-02T03:04:05Z",
        "modified_at": null,
        "granted_at": "2026-01-02T03:04:05Z",
        "benefit_id": "6f1d0e8b-2c3d-4e5f-9a0b-6c7d8e9f0a12",
        "benefit_type": "license_keys",
        "benefit_metadata": {},
        "properties": {"user_provided_key": null, "license_key_id": "lk_1", "display_key": "****-1"}
    }]);
    state
}

fn body(event_type: &str, data: &Value, data_first: bool) -> String {
    let (t, ts) = (
        Value::from(event_type),
        Value::from("2026-11-29T10:00:00.000000Z"),
    );
    if data_first {
        format!(r#"{{"data":{data},"timestamp":{ts},"type":{t}}}"#)
    } else {
        format!(r#"{{"type":{t},"timestamp":{ts},"data":{data}}}"#)
    }
}

#[test]
fn every_documented_event_type_decodes() {
    let customer_v = customer();
    let state_v = state();
    let typed_customer: Customer = serde_json::from_value(customer_v.clone()).unwrap();
    let typed_state: CustomerState = serde_json::from_value(state_v.clone()).unwrap();
    let other = json!({"id": "0b6a3c52-1d2e-4f5a-8b9c-0d1e2f3a4b5c", "anything": [1, 2]});
    for event_type in spec_event_types() {
        let event_type = event_type.as_str();
        for data_first in [false, true] {
            let data = match event_type {
                "customer.state_changed" => &state_v,
                t if t.starts_with("customer.") => &customer_v,
                _ => &other,
            };
            let text = body(event_type, data, data_first);
            let event: Event = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{event_type} (data first: {data_first}): {e}"));
            assert_eq!(event.event_type(), event_type);
            assert_eq!(
                event.timestamp(),
                "2026-11-29T10:00:00Z".parse::<jiff::Timestamp>().unwrap()
            );
            match (&event, event_type) {
                (Event::CustomerCreated { data, .. }, "customer.created")
                | (Event::CustomerUpdated { data, .. }, "customer.updated")
                | (Event::CustomerDeleted { data, .. }, "customer.deleted") => {
                    assert_eq!(data, &typed_customer)
                }
                (Event::CustomerStateChanged { data, .. }, "customer.state_changed") => {
                    assert_eq!(data, &typed_state)
                }
                (Event::Other { r#type, data, .. }, t) if !t.starts_with("customer.") => {
                    assert_eq!(r#type, t);
                    assert_eq!(data, &other);
                }
                (event, t) => panic!("{t} decoded as {event:?}"),
            }
            // And back: the same body (keys in Polar's order).
            if !data_first {
                let again: Event =
                    serde_json::from_str(&serde_json::to_string(&event).unwrap()).unwrap();
                assert_eq!(again, event);
            }
        }
    }
}

#[test]
fn an_unknown_event_type_is_other_never_an_error() {
    let text = body(
        "invoice.finalized",
        &json!({"total": 12, "lines": []}),
        false,
    );
    let event: Event = serde_json::from_str(&text).unwrap();
    assert_eq!(
        event,
        Event::Other {
            r#type: "invoice.finalized".into(),
            timestamp: "2026-11-29T10:00:00Z".parse().unwrap(),
            data: json!({"total": 12, "lines": []}),
        }
    );
    // Fields Polar may add to the envelope are ignored.
    let text = r#"{"type":"order.paid","timestamp":"2026-11-29T10:00:00Z","data":null,"v":2}"#;
    assert!(matches!(
        serde_json::from_str::<Event>(text).unwrap(),
        Event::Other { .. }
    ));
    // A customer of a kind this SDK does not know is still a customer event.
    let mut unknown_kind = customer();
    unknown_kind["type"] = json!("organization");
    let text = body("customer.updated", &unknown_kind, true);
    match serde_json::from_str::<Event>(&text).unwrap() {
        Event::CustomerUpdated {
            data: Customer::Unknown(v),
            ..
        } => {
            assert_eq!(v.raw(), &unknown_kind);
            assert_eq!(v.type_name(), "organization");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_envelope_missing_a_part_is_refused_with_its_name() {
    for (text, missing) in [
        (r#"{"timestamp":"2026-11-29T10:00:00Z","data":{}}"#, "type"),
        (r#"{"type":"order.paid","data":{}}"#, "timestamp"),
        (
            r#"{"type":"order.paid","timestamp":"2026-11-29T10:00:00Z"}"#,
            "data",
        ),
    ] {
        let err = serde_json::from_str::<Event>(text).unwrap_err().to_string();
        assert!(err.contains(&format!("missing field `{missing}`")), "{err}");
    }
    let err = serde_json::from_str::<Event>(&body(
        "customer.created",
        &json!({"type": "individual"}),
        true,
    ))
    .unwrap_err()
    .to_string();
    assert!(err.starts_with("data: "), "{err}");
}
