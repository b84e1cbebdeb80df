//! One stored customer and how the API shows it.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use jiff::Timestamp;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::rules::{self, Address, Kind};

/// Metadata key under which a deleted customer's external ID is kept.
pub(crate) const EXTERNAL_ID_KEY: &str = "__external_id";

/// The member created with a customer (from `owner`, else from the customer's email and name).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Member {
    pub email: Option<String>,
    pub name: Option<String>,
    pub external_id: Option<String>,
}

/// One customer as stored, live or soft-deleted.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Record {
    pub seq: u64,
    pub id: Uuid,
    pub org: Uuid,
    pub created_at: Timestamp,
    pub modified_at: Option<Timestamp>,
    pub deleted_at: Option<Timestamp>,
    pub kind: Kind,
    pub email: Option<String>,
    pub email_verified: bool,
    pub external_id: Option<String>,
    pub name: Option<String>,
    /// The billing name as set (the API shows `name` when it is unset).
    pub billing_name: Option<String>,
    pub billing_address: Option<Address>,
    pub tax_id: Option<(String, &'static str)>,
    pub locale: Option<String>,
    pub metadata: BTreeMap<String, Value>,
    pub owner: Option<Member>,
    pub subscriptions: Vec<Value>,
    pub benefit_grants: Vec<Value>,
    pub meters: Vec<Value>,
}

fn ts(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| Value::String(rules::fmt_json_ts(t)))
}

/// PostgreSQL's JSONB key order: shorter keys first, then byte-wise.
pub(crate) fn jsonb_key_order(a: &str, b: &str) -> Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

/// The metadata keys in the order Polar's JSONB column gives them back.
pub(crate) fn jsonb_ordered(map: &BTreeMap<String, Value>) -> Vec<(&String, &Value)> {
    let mut v: Vec<_> = map.iter().collect();
    v.sort_by(|a, b| jsonb_key_order(a.0, b.0));
    v
}

impl Record {
    pub(crate) fn is_live(&self) -> bool {
        self.deleted_at.is_none()
    }

    /// `external_id` as the API shows it: a deleted customer's reads the saved one.
    pub(crate) fn shown_external_id(&self) -> Option<&str> {
        self.external_id
            .as_deref()
            .or_else(|| self.metadata.get(EXTERNAL_ID_KEY).and_then(Value::as_str))
    }

    /// The customer as the API answers it (`CustomerIndividual` / `CustomerTeam`).
    pub(crate) fn to_json(&self) -> Value {
        let avatar_email = self
            .email
            .as_deref()
            .or_else(|| self.owner.as_ref().and_then(|o| o.email.as_deref()));
        json!({
            "id": self.id.to_string(),
            "created_at": rules::fmt_json_ts(self.created_at),
            "modified_at": ts(self.modified_at),
            "metadata": self.metadata,
            "external_id": self.shown_external_id(),
            "email": self.email,
            "email_verified": self.email_verified,
            "type": self.kind.as_str(),
            "name": self.name,
            "billing_name": self.billing_name.as_ref().or(self.name.as_ref()),
            "billing_address": self.billing_address.as_ref().map(Address::to_json),
            "tax_id": self.tax_id.as_ref().map(|(v, f)| json!([v, f])),
            "locale": self.locale,
            "organization_id": self.org.to_string(),
            "default_payment_method_id": Value::Null,
            "deleted_at": ts(self.deleted_at),
            "first_user_event_at": Value::Null,
            "avatar_url": avatar_email.map(rules::avatar_url),
        })
    }

    /// The customer state (`CustomerStateIndividual` / `CustomerStateTeam`).
    pub(crate) fn state_json(&self) -> Value {
        let mut v = self.to_json();
        if let Value::Object(m) = &mut v {
            let subs: Vec<Value> = self
                .subscriptions
                .iter()
                .filter(|s| matches!(status(s), Some("active" | "trialing")))
                .cloned()
                .collect();
            m.insert("active_subscriptions".into(), Value::Array(subs));
            m.insert(
                "granted_benefits".into(),
                Value::Array(self.benefit_grants.clone()),
            );
            m.insert("active_meters".into(), Value::Array(self.meters.clone()));
        }
        v
    }

    /// Has an active, trialing or past-due subscription (the list's `active` filter).
    pub(crate) fn is_active(&self) -> bool {
        self.subscriptions
            .iter()
            .any(|s| matches!(status(s), Some("active" | "trialing" | "past_due")))
    }
}

fn status(sub: &Value) -> Option<&str> {
    sub.get("status").and_then(Value::as_str)
}

/// Serializes an answer; objects under a `metadata` key list their keys in JSONB order.
pub(crate) fn to_body(v: &Value) -> String {
    fn write(v: &Value, jsonb: bool, out: &mut String) {
        match v {
            Value::Object(m) => {
                let mut entries: Vec<(&String, &Value)> = m.iter().collect();
                if jsonb {
                    entries.sort_by(|a, b| jsonb_key_order(a.0, b.0));
                }
                out.push('{');
                for (i, (k, v)) in entries.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push(':');
                    write(v, k == "metadata" || k == "benefit_metadata", out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(item, false, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    write(v, false, &mut out);
    out
}

/// Renders metadata as Python's `json.dumps` does (`", "` and `": "` separators, ASCII only),
/// keys in JSONB order.
pub(crate) fn python_json(map: &BTreeMap<String, Value>) -> String {
    fn string(s: &str, out: &mut String) {
        out.push('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                    let mut buf = [0u16; 2];
                    for unit in c.encode_utf16(&mut buf) {
                        out.push_str(&format!("\\u{unit:04x}"));
                    }
                }
                c => out.push(c),
            }
        }
        out.push('"');
    }
    let mut out = String::from("{");
    for (i, (k, v)) in jsonb_ordered(map).into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        string(k, &mut out);
        out.push_str(": ");
        match v {
            Value::String(s) => string(s, &mut out),
            Value::Bool(true) => out.push_str("true"),
            Value::Bool(false) => out.push_str("false"),
            Value::Null => out.push_str("null"),
            other => out.push_str(&other.to_string()),
        }
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_keys_in_jsonb_order() {
        let m: BTreeMap<String, Value> = [("bb", 1), ("a", 2), ("ab", 3), ("c", 4)]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), json!(v)))
            .collect();
        assert_eq!(python_json(&m), r#"{"a": 2, "c": 4, "ab": 3, "bb": 1}"#);
        let body = to_body(&json!({"metadata": m, "z": {"bb": 1, "a": 2}}));
        assert_eq!(
            body,
            r#"{"metadata":{"a":2,"c":4,"ab":3,"bb":1},"z":{"a":2,"bb":1}}"#
        );
    }
}
