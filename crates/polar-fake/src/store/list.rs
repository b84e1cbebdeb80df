//! List and export: filters, sorting, pagination and the CSV rows.

use std::cmp::Ordering;

use serde_json::{Value, json};
use uuid::Uuid;

use super::{Access, Record, Store};
use crate::input::{ListQuery, SortKey};

fn compare_nullable(a: Option<&str>, b: Option<&str>) -> Ordering {
    // PostgreSQL puts NULL after every value in ascending order.
    match (a, b) {
        (Some(a), Some(b)) => a.cmp(b),
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
    }
}

fn metadata_as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Store {
    fn matches(r: &Record, orgs: &[Uuid], q: &ListQuery) -> bool {
        if !r.is_live() || !orgs.contains(&r.org) {
            return false;
        }
        if let Some(email) = &q.email {
            let wanted = email.to_lowercase();
            if r.email
                .as_deref()
                .is_none_or(|e| e.to_lowercase() != wanted)
            {
                return false;
            }
        }
        if let Some(text) = &q.query {
            let needle = text.to_lowercase();
            let contains = |f: &Option<String>| {
                f.as_deref()
                    .is_some_and(|v| v.to_lowercase().contains(&needle))
            };
            let prefix = r
                .external_id
                .as_deref()
                .is_some_and(|v| v.to_lowercase().starts_with(&needle));
            if !(contains(&r.email) || contains(&r.name) || contains(&r.billing_name) || prefix) {
                return false;
            }
        }
        if let Some(active) = q.active
            && r.is_active() != active
        {
            return false;
        }
        q.metadata.iter().all(|(key, values)| {
            r.metadata
                .get(key)
                .is_some_and(|v| values.contains(&metadata_as_text(v)))
        })
    }

    fn visible_orgs(access: &Access, filter: &[Uuid]) -> Vec<Uuid> {
        if filter.is_empty() {
            access.orgs.clone()
        } else {
            access
                .orgs
                .iter()
                .filter(|o| filter.contains(o))
                .copied()
                .collect()
        }
    }

    /// `GET /v1/customers/`.
    pub(crate) fn list(&self, access: &Access, q: &ListQuery) -> Value {
        let orgs = Self::visible_orgs(access, &q.organization_id);
        let limit = q.limit.max(1);
        let offset = (q.page.saturating_sub(1)).saturating_mul(limit);
        let mut rows: Vec<&Record> = match &q.email {
            // Email is unique per organization: the index gives the candidates directly.
            Some(email) => {
                let wanted = email.to_lowercase();
                let mut rows: Vec<&Record> = orgs
                    .iter()
                    .filter_map(|org| self.emails.get(&(*org, wanted.clone())))
                    .filter_map(|seq| self.records.get(seq))
                    .filter(|r| Self::matches(r, &orgs, q))
                    .collect();
                rows.sort_by_key(|r| r.seq);
                rows
            }
            None => self
                .records
                .values()
                .filter(|r| Self::matches(r, &orgs, q))
                .collect(),
        };
        if q.sorting == [(SortKey::CreatedAt, true)] {
            // Insertion order is creation order: the default needs no sort.
            rows.reverse();
        } else {
            rows.sort_by(|a, b| {
                for (key, desc) in &q.sorting {
                    let o = match key {
                        SortKey::CreatedAt => a.seq.cmp(&b.seq),
                        SortKey::Email => compare_nullable(a.email.as_deref(), b.email.as_deref()),
                        SortKey::Name => compare_nullable(a.name.as_deref(), b.name.as_deref()),
                    };
                    let o = if *desc { o.reverse() } else { o };
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                a.seq.cmp(&b.seq)
            });
        }
        let total = rows.len() as u64;
        let items: Vec<Value> = rows
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(Record::to_json)
            .collect();
        let max_page = total.div_ceil(limit);
        json!({ "items": items, "pagination": { "total_count": total, "max_page": max_page } })
    }

    /// Appends the CSV rows of up to `max_rows` live customers of `orgs` with `seq >= from`,
    /// looking at no more than `max_scan` records. Answers where to go on from, or `None` at the end.
    pub(crate) fn export_rows(
        &self,
        orgs: &[Uuid],
        from: u64,
        max_rows: usize,
        max_scan: usize,
        out: &mut String,
    ) -> Option<u64> {
        let mut rows = 0;
        let mut next = from;
        for (seq, r) in self.records.range(from..).take(max_scan) {
            next = seq + 1;
            if r.is_live() && orgs.contains(&r.org) {
                crate::csv::write_row(r, out);
                rows += 1;
                if rows >= max_rows {
                    break;
                }
            }
        }
        (next < self.next_seq).then_some(next)
    }

    /// Organizations to export for a request.
    pub(crate) fn export_orgs(access: &Access, filter: &[Uuid]) -> Vec<Uuid> {
        Self::visible_orgs(access, filter)
    }
}
