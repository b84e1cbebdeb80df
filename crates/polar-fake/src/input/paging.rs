//! Page-number queries of the payment-method, member and customer-meter lists, and the
//! `sorting` parameter every list shares.

use serde_json::{Value, json};
use uuid::Uuid;

use super::query::{last, parse_sorting, query_loc, uuid_filter};
use crate::issue::{Issue, parse_positive};
use crate::rules;

/// `page` and `limit` (`limit` cut to 100, as for customers).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Page {
    pub page: u64,
    pub limit: u64,
}

impl Page {
    /// Cuts a sorted list to this page and wraps it in Polar's envelope.
    pub(crate) fn envelope(self, items: Vec<Value>) -> Value {
        let total = items.len() as u64;
        let limit = self.limit.max(1);
        let offset = self.page.saturating_sub(1).saturating_mul(limit);
        let page: Vec<Value> = items
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect();
        json!({
            "items": page,
            "pagination": {"total_count": total, "max_page": total.div_ceil(limit)}
        })
    }
}

pub(super) fn page(pairs: &[(String, String)], errs: &mut Vec<Issue>) -> Page {
    let page = match last(pairs, "page") {
        Some(v) => parse_positive(query_loc("page"), v, errs).unwrap_or(1),
        None => 1,
    };
    let limit = match last(pairs, "limit") {
        Some(v) => parse_positive(query_loc("limit"), v, errs).unwrap_or(10),
        None => 10,
    }
    .min(rules::LIST_LIMIT_MAX);
    Page { page, limit }
}

/// `page` and `limit` alone (the payment-method lists).
pub(crate) fn parse_page(pairs: &[(String, String)]) -> Result<Page, Vec<Issue>> {
    let mut errs = Vec::new();
    let p = page(pairs, &mut errs);
    if errs.is_empty() { Ok(p) } else { Err(errs) }
}

/// A sort key of the customer-meter list (server/polar/customer_meter/sorting.py).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MeterSort {
    CreatedAt,
    ModifiedAt,
    CustomerId,
    CustomerName,
    MeterId,
    MeterName,
    ConsumedUnits,
    CreditedUnits,
    Balance,
}

const METER_SORTS: [(&str, MeterSort); 9] = [
    ("created_at", MeterSort::CreatedAt),
    ("modified_at", MeterSort::ModifiedAt),
    ("customer_id", MeterSort::CustomerId),
    ("customer_name", MeterSort::CustomerName),
    ("meter_id", MeterSort::MeterId),
    ("meter_name", MeterSort::MeterName),
    ("consumed_units", MeterSort::ConsumedUnits),
    ("credited_units", MeterSort::CreditedUnits),
    ("balance", MeterSort::Balance),
];

/// The checked query of `GET /v1/customer-meters/`.
#[derive(Clone, Debug)]
pub(crate) struct MeterQuery {
    pub organization_id: Vec<Uuid>,
    pub customer_id: Vec<Uuid>,
    pub external_customer_id: Vec<String>,
    pub meter_id: Vec<Uuid>,
    pub page: Page,
    /// (key, descending), applied in order; `-modified_at` when none is given.
    pub sorting: Vec<(MeterSort, bool)>,
}

/// Decodes the customer-meter list query.
pub(crate) fn parse_meter_list(pairs: &[(String, String)]) -> Result<MeterQuery, Vec<Issue>> {
    let mut errs = Vec::new();
    let organization_id = uuid_filter(pairs, "organization_id", &mut errs);
    let customer_id = uuid_filter(pairs, "customer_id", &mut errs);
    let external_customer_id = pairs
        .iter()
        .filter(|(k, _)| k == "external_customer_id")
        .map(|(_, v)| v.clone())
        .collect();
    let meter_id = uuid_filter(pairs, "meter_id", &mut errs);
    let page = page(pairs, &mut errs);
    let sorting = parse_sorting(
        pairs,
        &METER_SORTS,
        (MeterSort::ModifiedAt, true),
        &mut errs,
    );
    if !errs.is_empty() {
        return Err(errs);
    }
    Ok(MeterQuery {
        organization_id,
        customer_id,
        external_customer_id,
        meter_id,
        page,
        sorting,
    })
}
