//! `POST /v1/customer-sessions/` (server/polar/customer_session/): a portal session for one
//! customer, or for one of its members when member management is on.

use std::sync::Arc;

use http::StatusCode;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use uuid::Uuid;

use super::Shared;
use crate::input::{SessionTarget, parse_session};
use crate::issue::{Issue, at, root};
use crate::response::{self as resp, Res};
use crate::rules;
use crate::store::{Access, Key};

/// How long a session lasts (`CUSTOMER_SESSION_TTL`).
const TTL: SignedDuration = SignedDuration::from_hours(1);

/// A random token after Polar's prefix, as long as Polar's (43 characters; Polar's end in a
/// checksum, the fake's are random hex from two v4 UUIDs).
fn token(prefix: &str) -> String {
    let random = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
    format!("{prefix}{}", &random[..43])
}

pub(super) fn create(shared: &Arc<Shared>, body: &Value, access: &Access) -> Result<Res, Res> {
    let input = parse_session(body).map_err(|e| resp::invalid(&e, false))?;
    let store = shared.store();
    let (key, field, raw) = match &input.customer {
        SessionTarget::Id(id) => (Key::Id(*id), "customer_id", id.to_string()),
        SessionTarget::External(ext) => (Key::External(ext), "external_customer_id", ext.clone()),
    };
    let customer = store.get(access, key).map_err(|_| {
        resp::invalid(
            &[Issue::new(
                "value_error",
                at(&root("body"), field),
                "Customer does not exist.",
                raw,
            )],
            true,
        )
    })?;
    let id = customer["id"]
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok());
    let record = id
        .and_then(|id| store.inspect(id))
        .ok_or_else(resp::resource_not_found)?;
    let member = store
        .session_member(record, input.member_id, input.external_member_id.as_deref())
        .map_err(|e| resp::invalid(&e, true))?;
    // A member session when member management is on; its portal link names the member.
    let (prefix, email) = match &member {
        Some(m) => ("polar_mst_", m["email"].as_str().map(str::to_owned)),
        None => ("polar_cst_", record.email.clone()),
    };
    let token = token(prefix);
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("customer_session_token", &token);
    if let Some(email) = &email {
        query.append_pair("email", email);
    }
    let host = if shared.config.sandbox {
        "https://sandbox.polar.sh"
    } else {
        "https://polar.sh"
    };
    let now = rules::to_micros(Timestamp::now());
    let expires = now.checked_add(TTL).unwrap_or(now);
    let session = json!({
        "id": Uuid::new_v4().to_string(),
        "created_at": rules::fmt_json_ts(now),
        "modified_at": Value::Null,
        "token": token,
        "expires_at": rules::fmt_json_ts(expires),
        "return_url": input.return_url,
        "customer_portal_url": format!("{host}/{}/portal?{}", record.org, query.finish()),
        "customer_id": record.id.to_string(),
        "customer": customer,
    });
    Ok(resp::json(StatusCode::CREATED, &session))
}
