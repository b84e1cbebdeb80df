//! Customer meters (`/v1/customer-meters/`): the meters seeded into customers' state, each with
//! its customer (deleted ones too) and a meter definition (server/polar/customer_meter/service.py).

use std::cmp::Ordering;

use serde_json::{Value, json};
use uuid::Uuid;

use super::{Access, Record, Refusal, Store};
use crate::input::{MeterQuery, MeterSort};

/// A meter's definition: the fake keeps none, so it answers a counting meter named after the
/// meter's ID (`Meter 1a2b3c4d`), created with the customer's meter.
fn meter_json(record: &Record, meter: &Value) -> Value {
    let meter_id = meter.get("meter_id").cloned().unwrap_or(Value::Null);
    let short: String = meter_id
        .as_str()
        .unwrap_or_default()
        .chars()
        .take(8)
        .collect();
    json!({
        "id": meter_id,
        "created_at": meter.get("created_at").cloned().unwrap_or(Value::Null),
        "modified_at": Value::Null,
        "metadata": {},
        "name": format!("Meter {short}"),
        "unit": "scalar",
        "custom_label": Value::Null,
        "custom_multiplier": Value::Null,
        "filter": {"conjunction": "and", "clauses": []},
        "aggregation": {"func": "count"},
        "organization_id": record.org.to_string(),
        "archived_at": Value::Null,
    })
}

/// One customer meter as the API answers it.
fn customer_meter_json(record: &Record, meter: &Value) -> Value {
    let mut out = meter.clone();
    if let Value::Object(m) = &mut out {
        m.insert("customer_id".into(), Value::String(record.id.to_string()));
        m.insert("customer".into(), record.to_json());
        m.insert("meter".into(), meter_json(record, meter));
    }
    out
}

fn text<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(*k))?.as_str()
}

fn number(v: &Value, key: &str) -> f64 {
    v.get(key).and_then(Value::as_f64).unwrap_or(0.0)
}

/// PostgreSQL's order: NULL after every value ascending, before every value descending.
fn nullable(a: Option<&str>, b: Option<&str>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.cmp(b),
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
    }
}

fn compare(a: &Value, b: &Value, key: MeterSort) -> Ordering {
    match key {
        MeterSort::CreatedAt => nullable(text(a, &["created_at"]), text(b, &["created_at"])),
        MeterSort::ModifiedAt => nullable(text(a, &["modified_at"]), text(b, &["modified_at"])),
        MeterSort::CustomerId => nullable(text(a, &["customer_id"]), text(b, &["customer_id"])),
        MeterSort::CustomerName => nullable(
            text(a, &["customer", "name"]),
            text(b, &["customer", "name"]),
        ),
        MeterSort::MeterId => nullable(text(a, &["meter_id"]), text(b, &["meter_id"])),
        MeterSort::MeterName => nullable(text(a, &["meter", "name"]), text(b, &["meter", "name"])),
        MeterSort::ConsumedUnits => {
            number(a, "consumed_units").total_cmp(&number(b, "consumed_units"))
        }
        MeterSort::CreditedUnits => {
            number(a, "credited_units").total_cmp(&number(b, "credited_units"))
        }
        MeterSort::Balance => number(a, "balance").total_cmp(&number(b, "balance")),
    }
}

impl Store {
    /// Every customer meter the token reaches, with its customer, deleted or not: the server
    /// joins the customer for its organization only (`get_statement_by_org_ids` in
    /// server/polar/customer_meter/repository.py), so a deleted customer's meters stay.
    fn customer_meters<'s>(
        &'s self,
        access: &'s Access,
    ) -> impl Iterator<Item = (&'s Record, &'s Value)> + 's {
        self.records
            .values()
            .filter(|r| access.orgs.contains(&r.org))
            .flat_map(|r| r.meters.iter().map(move |m| (r, m)))
    }

    /// `GET /v1/customer-meters/`: the filters read the customer's columns, so a deleted
    /// customer, whose external ID the soft delete cleared, no longer matches it.
    pub(crate) fn list_customer_meters(&self, access: &Access, q: &MeterQuery) -> Value {
        let wanted = |list: &[Uuid], v: Uuid| list.is_empty() || list.contains(&v);
        let mut rows: Vec<Value> = self
            .customer_meters(access)
            .filter(|(r, _)| wanted(&q.organization_id, r.org))
            .filter(|(r, _)| wanted(&q.customer_id, r.id))
            .filter(|(_, m)| {
                q.meter_id.is_empty()
                    || text(m, &["meter_id"])
                        .and_then(|s| Uuid::parse_str(s).ok())
                        .is_some_and(|u| q.meter_id.contains(&u))
            })
            .filter(|(r, _)| {
                q.external_customer_id.is_empty()
                    || r.external_id
                        .as_ref()
                        .is_some_and(|e| q.external_customer_id.contains(e))
            })
            .map(|(r, m)| customer_meter_json(r, m))
            .collect();
        rows.sort_by(|a, b| {
            for (key, desc) in &q.sorting {
                let o = compare(a, b, *key);
                let o = if *desc { o.reverse() } else { o };
                if o != Ordering::Equal {
                    return o;
                }
            }
            Ordering::Equal
        });
        q.page.envelope(rows)
    }

    /// `GET /v1/customer-meters/{id}`.
    pub(crate) fn get_customer_meter(&self, access: &Access, id: Uuid) -> Result<Value, Refusal> {
        let wanted = id.to_string();
        self.customer_meters(access)
            .find(|(_, m)| text(m, &["id"]) == Some(wanted.as_str()))
            .map(|(r, m)| customer_meter_json(r, m))
            .ok_or(Refusal::NotFound)
    }
}
