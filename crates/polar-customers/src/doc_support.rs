//! A canned in-process transport for the documentation examples and `examples/`.
//!
//! Not part of the API: it answers the SDK's routes with fixed data and nothing else.

use std::convert::Infallible;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use polar_transport::Body;
use serde_json::{Value, json};

use crate::Client;

/// The id of the canned customer.
pub const CUSTOMER_ID: &str = "3b6a1a2e-8d1c-4f5e-9a47-0c2d6f1e8b90";
/// The organization of the canned customer.
pub const ORGANIZATION_ID: &str = "9f0c3c52-6a5e-4d6b-8a0e-2b7f5d4c1a33";

/// The id of the canned team customer (for the member examples).
pub const TEAM_ID: &str = "5d2f7a10-3c4b-4e8f-9a6d-1b2c3d4e5f60";
/// The id of the canned member.
pub const MEMBER_ID: &str = "7e8f9a0b-1c2d-4e3f-8a5b-6c7d8e9f0a1b";
/// The id of the canned customer meter.
pub const CUSTOMER_METER_ID: &str = "2a3b4c5d-6e7f-4081-9a2b-3c4d5e6f7a8b";

/// A member as Polar returns it.
pub fn member_json(customer_id: &str, email: &str, external_id: Option<&str>) -> Value {
    json!({
        "id": MEMBER_ID,
        "created_at": "2026-11-02T09:31:00Z",
        "modified_at": null,
        "customer_id": customer_id,
        "email": email,
        "name": "Grace Hopper",
        "external_id": external_id,
        "role": "billing_manager"
    })
}

/// A saved card and a saved method of another kind, as Polar returns them.
pub fn payment_methods_json(customer_id: &str) -> Vec<Value> {
    let base = |id: &str, kind: &str, default: bool| {
        json!({
            "id": id,
            "created_at": "2026-11-02T09:32:00Z",
            "modified_at": null,
            "processor": "stripe",
            "customer_id": customer_id,
            "type": kind,
            "is_default": default
        })
    };
    let mut card = base("4c5d6e7f-8091-4a2b-bc3d-4e5f6a7b8c9d", "card", true);
    card["method_metadata"] = json!({"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2030, "wallet": null});
    vec![
        card,
        base("5d6e7f80-91a2-4b3c-8d4e-5f6a7b8c9d0e", "sepa_debit", false),
    ]
}

/// A customer meter as Polar returns it.
pub fn customer_meter_json(customer_id: &str) -> Value {
    json!({
        "id": CUSTOMER_METER_ID,
        "created_at": "2026-11-02T09:33:00Z",
        "modified_at": null,
        "customer_id": customer_id,
        "meter_id": "6e7f8091-a2b3-4c4d-9e5f-6a7b8c9d0e1f",
        "consumed_units": 25.0,
        "credited_units": 100,
        "balance": 75.0,
        "customer": customer_json(customer_id, "ada@example.com", Some("user_42")),
        "meter": {
            "id": "6e7f8091-a2b3-4c4d-9e5f-6a7b8c9d0e1f",
            "created_at": "2026-11-01T00:00:00Z",
            "modified_at": null,
            "metadata": {},
            "name": "API calls",
            "unit": "scalar",
            "custom_label": null,
            "custom_multiplier": null,
            "filter": {"conjunction": "and", "clauses": [{"property": "name", "operator": "eq", "value": "api_call"}]},
            "aggregation": {"func": "count"},
            "organization_id": ORGANIZATION_ID,
            "archived_at": null
        }
    })
}

/// A customer session as Polar returns it.
pub fn session_json(customer_id: &str) -> Value {
    json!({
        "id": "8091a2b3-c4d5-4e6f-8a7b-9c0d1e2f3a4b",
        "created_at": "2026-11-02T09:34:00Z",
        "modified_at": null,
        "token": "polar_cst_canned0000000000000000000000000000000",
        "expires_at": "2026-11-02T10:34:00Z",
        "return_url": "https://example.com/account",
        "customer_portal_url": "https://polar.sh/acme/portal?customer_session_token=polar_cst_canned0000000000000000000000000000000&email=ada%40example.com",
        "customer_id": customer_id,
        "customer": customer_json(customer_id, "ada@example.com", Some("user_42"))
    })
}

/// A customer as Polar returns it.
pub fn customer_json(id: &str, email: &str, external_id: Option<&str>) -> Value {
    json!({
        "id": id,
        "type": "individual",
        "created_at": "2026-11-02T09:30:00.123456Z",
        "modified_at": null,
        "metadata": {"plan": "pro", "seats": 3, "beta": true},
        "external_id": external_id,
        "email": email,
        "email_verified": true,
        "name": "Ada Lovelace",
        "billing_name": null,
        "billing_address": {"line1": "1 Analytical Way", "line2": null, "postal_code": "10115",
                            "city": "Berlin", "state": null, "country": "DE"},
        "tax_id": ["DE123456789", "eu_vat"],
        "locale": "en-GB",
        "organization_id": ORGANIZATION_ID,
        "default_payment_method_id": null,
        "deleted_at": null,
        "first_user_event_at": null,
        "avatar_url": "https://www.gravatar.com/avatar/00000000000000000000000000000000?d=404"
    })
}

/// A customer state with one subscription, two benefit grants and one meter.
pub fn state_json(id: &str) -> Value {
    let mut state = customer_json(id, "ada@example.com", Some("user_42"));
    let ts = "2026-11-02T09:30:00Z";
    let map = state.as_object_mut().expect("object");
    map.insert(
        "active_subscriptions".into(),
        json!([{
            "id": "5e0c9d7a-1b2c-4d3e-8f4a-5b6c7d8e9f01", "created_at": ts, "modified_at": ts,
            "metadata": {}, "custom_field_data": {}, "status": "active", "amount": 2500,
            "currency": "usd", "recurring_interval": "month",
            "current_period_start": ts, "current_period_end": "2026-12-02T09:30:00Z",
            "trial_start": null, "trial_end": null, "cancel_at_period_end": false,
            "canceled_at": null, "started_at": ts, "ends_at": null,
            "product_id": "6f1d0e8b-2c3d-4e5f-9a0b-6c7d8e9f0a12", "discount_id": null,
            "meters": [{"created_at": ts, "modified_at": null,
                        "id": "7a2e1f9c-3d4e-4f60-8b1c-7d8e9f0a1b23",
                        "consumed_units": 12.5, "credited_units": 100, "amount": 0,
                        "meter_id": "8b3f2a0d-4e5f-4071-9c2d-8e9f0a1b2c34"}],
            "seats": 3, "units": null
        }]),
    );
    map.insert(
        "granted_benefits".into(),
        json!([
            {"id": "9c4a3b1e-5f60-4182-8d3e-9f0a1b2c3d45", "created_at": ts, "modified_at": null,
             "granted_at": ts, "benefit_id": "0d5b4c2f-6071-4293-9e4f-0a1b2c3d4e56",
             "benefit_type": "license_keys", "benefit_metadata": {"tier": "gold"},
             "properties": {"user_provided_key": null, "license_key_id": "1e6c5d30-7182-43a4-8f50-1b2c3d4e5f67", "display_key": "****-ABCD"}},
            {"id": "2f7d6e41-8293-44b5-9061-2c3d4e5f6078", "created_at": ts, "modified_at": null,
             "granted_at": ts, "benefit_id": "3a8e7f52-93a4-45c6-8172-3d4e5f607189",
             "benefit_type": "discord", "benefit_metadata": {},
             "properties": {"account_id": "1234", "guild_id": "5678", "role_id": "9012"}}
        ]),
    );
    map.insert(
        "active_meters".into(),
        json!([{"id": "4b9f8063-a4b5-46d7-9283-4e5f60718293", "created_at": ts, "modified_at": null,
                "meter_id": "8b3f2a0d-4e5f-4071-9c2d-8e9f0a1b2c34", "consumed_units": 12.5,
                "credited_units": 100, "balance": 87.5}]),
    );
    state
}

/// A page of the list.
pub fn page_json(items: Vec<Value>, total_count: i64, max_page: i64) -> Value {
    json!({"items": items, "pagination": {"total_count": total_count, "max_page": max_page}})
}

/// The export's header line, CRLF-terminated.
pub fn csv_header() -> String {
    format!("{}\r\n", crate::EXPORT_COLUMNS.join(","))
}

/// One export line, CRLF-terminated, with Excel-dialect quoting.
pub fn csv_line(id: &str, email: &str, n: u64) -> String {
    format!(
        "{id},user_{n},2026-11-02T09:30:00.123456+00:00,{email},\"Lovelace, Ada\",,1 Analytical Way,,Berlin,,10115,DE,\"{{\"\"plan\"\": \"\"pro\"\"}}\"\r\n"
    )
}

fn respond(status: StatusCode, content_type: &str, body: Vec<u8>) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, content_type)
        .body(Full::new(Bytes::from(body)))
        .expect("valid response")
}

fn answer(req: &Request<Body>) -> Response<Full<Bytes>> {
    let path = req.uri().path();
    let json = |status, value: Value| {
        respond(
            status,
            "application/json",
            serde_json::to_vec(&value).expect("json"),
        )
    };
    let customer = || customer_json(CUSTOMER_ID, "ada@example.com", Some("user_42"));
    match (req.method().clone(), path) {
        (Method::GET, "/v1/customers/") => {
            let page: i64 = req
                .uri()
                .query()
                .unwrap_or("")
                .split('&')
                .find_map(|kv| kv.strip_prefix("page="))
                .and_then(|p| p.parse().ok())
                .unwrap_or(1);
            let items = if page <= 2 { vec![customer()] } else { vec![] };
            json(StatusCode::OK, page_json(items, 2, 2))
        }
        (Method::POST, "/v1/customers/") => json(StatusCode::CREATED, customer()),
        (Method::GET, "/v1/customers/export") => {
            let mut csv = csv_header();
            csv.push_str(&csv_line(CUSTOMER_ID, "ada@example.com", 42));
            respond(StatusCode::OK, "text/csv", csv.into_bytes())
        }
        (Method::DELETE, _) => respond(StatusCode::NO_CONTENT, "application/json", Vec::new()),
        (Method::POST, p) if p.ends_with("/members") => json(
            StatusCode::CREATED,
            member_json(TEAM_ID, "grace@example.com", Some("user_grace")),
        ),
        (_, p) if p.contains("/members/") => json(
            StatusCode::OK,
            member_json(TEAM_ID, "grace@example.com", Some("user_grace")),
        ),
        (Method::GET, p) if p.ends_with("/payment-methods") => json(
            StatusCode::OK,
            page_json(payment_methods_json(CUSTOMER_ID), 2, 1),
        ),
        (Method::POST, "/v1/customer-sessions/") => {
            json(StatusCode::CREATED, session_json(CUSTOMER_ID))
        }
        (Method::GET, "/v1/customer-meters/") => json(
            StatusCode::OK,
            page_json(vec![customer_meter_json(CUSTOMER_ID)], 1, 1),
        ),
        (Method::GET, p) if p.starts_with("/v1/customer-meters/") => {
            json(StatusCode::OK, customer_meter_json(CUSTOMER_ID))
        }
        (_, p) if p.ends_with("/state") => json(StatusCode::OK, state_json(CUSTOMER_ID)),
        (Method::GET | Method::PATCH, p) if p.starts_with("/v1/customers/") => {
            json(StatusCode::OK, customer())
        }
        _ => json(
            StatusCode::NOT_FOUND,
            json!({"error": "ResourceNotFound", "detail": "Not found"}),
        ),
    }
}

/// A client whose transport answers from the canned data above, in process.
pub fn client() -> Client {
    Client::from_service(tower::service_fn(|req: Request<Body>| async move {
        Ok::<_, Infallible>(answer(&req))
    }))
}

/// The SDK's decoding of a page of customers, as `list` uses it (for the benchmarks).
pub fn decode_page(body: &[u8]) -> Result<crate::ListResource<crate::Customer>, crate::Error> {
    crate::request::decode_json(StatusCode::OK, body)
}

/// The SDK's decoding of a customer state, as `get_state` uses it (for the benchmarks).
pub fn decode_state(body: &[u8]) -> Result<crate::CustomerState, crate::Error> {
    crate::request::decode_json(StatusCode::OK, body)
}
