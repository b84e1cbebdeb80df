//! The in-memory customer store and the server's business rules.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::input::{CreateInput, Field, ListQuery, OwnerInput, SortKey, UpdateInput};
use crate::issue::{Issue, at, missing, root};
use crate::rules::{self, Address, Kind};

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

impl Record {
    pub(crate) fn is_live(&self) -> bool {
        self.deleted_at.is_none()
    }

    /// The customer as the API answers it (`CustomerIndividual` / `CustomerTeam`).
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "id": self.id.to_string(),
            "created_at": rules::fmt_json_ts(self.created_at),
            "modified_at": ts(self.modified_at),
            "metadata": self.metadata,
            "external_id": self.external_id,
            "email": self.email,
            "email_verified": self.email_verified,
            "type": self.kind.as_str(),
            "name": self.name,
            "billing_name": self.billing_name,
            "billing_address": self.billing_address.as_ref().map(Address::to_json),
            "tax_id": self.tax_id.as_ref().map(|(v, f)| json!([v, f])),
            "locale": self.locale,
            "organization_id": self.org.to_string(),
            "default_payment_method_id": Value::Null,
            "deleted_at": ts(self.deleted_at),
            "first_user_event_at": Value::Null,
            "avatar_url": Value::Null,
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
    fn is_active(&self) -> bool {
        self.subscriptions
            .iter()
            .any(|s| matches!(status(s), Some("active" | "trialing" | "past_due")))
    }
}

fn status(sub: &Value) -> Option<&str> {
    sub.get("status").and_then(Value::as_str)
}

/// How a customer is addressed in a path.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Key<'a> {
    Id(Uuid),
    External(&'a str),
}

/// What the caller's token may see.
#[derive(Clone, Debug)]
pub(crate) struct Access {
    /// Organizations visible to this request (after `Polar-Organization`).
    pub orgs: Vec<Uuid>,
}

/// A rule broken: 404 or a 422 `PolarRequestValidationError`.
#[derive(Debug, PartialEq)]
pub(crate) enum Refusal {
    NotFound,
    Invalid(Vec<Issue>),
}

/// The kinds of state a test can seed onto a customer.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Seed {
    Subscription,
    BenefitGrant,
    Meter,
}

/// All customers of all organizations.
#[derive(Debug, Default)]
pub(crate) struct Store {
    next_seq: u64,
    last_ts: Option<Timestamp>,
    records: BTreeMap<u64, Record>,
    by_id: HashMap<Uuid, u64>,
    /// (organization, lower-cased email) of live customers.
    emails: HashMap<(Uuid, String), u64>,
    /// (organization, external id) of live customers.
    externals: HashMap<(Uuid, String), u64>,
}

fn body(key: &str) -> Vec<Value> {
    at(&root("body"), key)
}

fn duplicate_email(email: &str) -> Issue {
    Issue::new(
        "value_error",
        body("email"),
        "A customer with this email address already exists.",
        email,
    )
}

fn duplicate_external_id(external_id: &str) -> Issue {
    Issue::new(
        "value_error",
        body("external_id"),
        "A customer with this external ID already exists.",
        external_id,
    )
}

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
    /// A creation time: now, truncated to microseconds, strictly after the previous one so that
    /// `created_at` order is insertion order.
    fn now(&mut self) -> Timestamp {
        let mut t = rules::to_micros(Timestamp::now());
        if let Some(last) = self.last_ts
            && t <= last
        {
            t = last
                .checked_add(SignedDuration::from_micros(1))
                .unwrap_or(last);
        }
        self.last_ts = Some(t);
        t
    }

    fn find(&self, access: &Access, key: Key<'_>) -> Result<u64, Refusal> {
        let seq = match key {
            Key::Id(id) => self.by_id.get(&id).copied(),
            Key::External(ext) => access
                .orgs
                .iter()
                .find_map(|org| self.externals.get(&(*org, ext.to_owned())).copied()),
        };
        let seq = seq.ok_or(Refusal::NotFound)?;
        match self.records.get(&seq) {
            Some(r) if r.is_live() && access.orgs.contains(&r.org) => Ok(seq),
            _ => Err(Refusal::NotFound),
        }
    }

    fn tax_id_for(
        raw: &str,
        address: Option<&Address>,
        errs: &mut Vec<Issue>,
    ) -> Option<(String, &'static str)> {
        let Some(address) = address else {
            errs.push(Issue::new(
                "missing",
                body("billing_address"),
                "Country is required to validate tax ID.",
                Value::Null,
            ));
            return None;
        };
        match rules::validate_tax_id(raw, &address.country) {
            Ok(t) => Some(t),
            Err(msg) => {
                errs.push(Issue::new("invalid", body("tax_id"), msg, raw));
                None
            }
        }
    }

    /// `POST /v1/customers/`.
    pub(crate) fn create(&mut self, access: &Access, input: CreateInput) -> Result<Value, Refusal> {
        let org = match input.organization_id {
            Some(o) if access.orgs.contains(&o) => o,
            Some(o) => {
                return Err(Refusal::Invalid(vec![Issue::new(
                    "value_error",
                    body("organization_id"),
                    "Organization not found.",
                    o.to_string(),
                )]));
            }
            None if access.orgs.len() == 1 => access.orgs[0],
            None => {
                return Err(Refusal::Invalid(vec![Issue::new(
                    "missing",
                    body("organization_id"),
                    "organization_id is required.",
                    Value::Null,
                )]));
            }
        };
        let mut errs = Vec::new();
        if input.kind == Kind::Team && input.email.is_none() && input.owner.is_none() {
            errs.push(missing(body("email"), Value::Null));
        }
        let tax_id = input
            .tax_id
            .as_deref()
            .and_then(|t| Self::tax_id_for(t, input.billing_address.as_ref(), &mut errs));
        if let Some(email) = &input.email
            && self.emails.contains_key(&(org, email.to_lowercase()))
        {
            errs.push(duplicate_email(email));
        }
        if let Some(ext) = &input.external_id
            && self.externals.contains_key(&(org, ext.clone()))
        {
            errs.push(duplicate_external_id(ext));
        }
        if !errs.is_empty() {
            return Err(Refusal::Invalid(errs));
        }
        let owner = match input.owner {
            Some(OwnerInput {
                email,
                name,
                external_id,
            }) => Some(Member {
                email: Some(email),
                name,
                external_id,
            }),
            None => input.email.as_ref().map(|e| Member {
                email: Some(e.clone()),
                name: input.name.clone(),
                external_id: None,
            }),
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        let id = Uuid::new_v4();
        let record = Record {
            seq,
            id,
            org,
            created_at: self.now(),
            modified_at: None,
            deleted_at: None,
            kind: input.kind,
            email: input.email,
            email_verified: false,
            external_id: input.external_id,
            name: input.name,
            billing_name: None,
            billing_address: input.billing_address,
            tax_id,
            locale: input.locale,
            metadata: input.metadata,
            owner,
            subscriptions: Vec::new(),
            benefit_grants: Vec::new(),
            meters: Vec::new(),
        };
        self.index(&record);
        let out = record.to_json();
        self.by_id.insert(id, seq);
        self.records.insert(seq, record);
        Ok(out)
    }

    fn index(&mut self, r: &Record) {
        if let Some(e) = &r.email {
            self.emails.insert((r.org, e.to_lowercase()), r.seq);
        }
        if let Some(x) = &r.external_id {
            self.externals.insert((r.org, x.clone()), r.seq);
        }
    }

    fn unindex(&mut self, r: &Record) {
        if let Some(e) = &r.email {
            let k = (r.org, e.to_lowercase());
            if self.emails.get(&k) == Some(&r.seq) {
                self.emails.remove(&k);
            }
        }
        if let Some(x) = &r.external_id {
            let k = (r.org, x.clone());
            if self.externals.get(&k) == Some(&r.seq) {
                self.externals.remove(&k);
            }
        }
    }

    /// `GET /v1/customers/{id}` and by external id.
    pub(crate) fn get(&self, access: &Access, key: Key<'_>) -> Result<Value, Refusal> {
        let seq = self.find(access, key)?;
        Ok(self.records[&seq].to_json())
    }

    /// `GET /v1/customers/{id}/state` and by external id.
    pub(crate) fn state(&self, access: &Access, key: Key<'_>) -> Result<Value, Refusal> {
        let seq = self.find(access, key)?;
        Ok(self.records[&seq].state_json())
    }

    /// `PATCH /v1/customers/{id}` and by external id.
    pub(crate) fn update(
        &mut self,
        access: &Access,
        key: Key<'_>,
        input: UpdateInput,
    ) -> Result<Value, Refusal> {
        let seq = self.find(access, key)?;
        let current = &self.records[&seq];
        let org = current.org;
        let mut errs = Vec::new();
        if input.billing_address == Field::Null {
            errs.push(Issue::new(
                "value_error",
                body("billing_address"),
                "Billing address cannot be reset to null once set.",
                Value::Null,
            ));
        }
        match (&current.external_id, &input.external_id) {
            (_, Field::Absent) => {}
            (Some(cur), Field::Value(new)) if cur == new => {}
            (Some(_), new) => errs.push(Issue::new(
                "value_error",
                body("external_id"),
                "Customer external ID cannot be updated.",
                match new {
                    Field::Value(v) => Value::String(v.clone()),
                    _ => Value::Null,
                },
            )),
            (None, Field::Value(new)) => {
                if self
                    .externals
                    .get(&(org, new.clone()))
                    .is_some_and(|s| *s != seq)
                {
                    errs.push(duplicate_external_id(new));
                }
            }
            (None, Field::Null) => {}
        }
        let kind = match input.kind {
            Field::Value(Kind::Individual) if current.kind == Kind::Team => {
                errs.push(Issue::new(
                    "value_error",
                    body("type"),
                    "Customer type cannot be changed from team to individual.",
                    "individual",
                ));
                current.kind
            }
            Field::Value(k) => k,
            _ => current.kind,
        };
        match &input.email {
            Field::Null if kind == Kind::Individual => errs.push(Issue::new(
                "value_error",
                body("email"),
                "An individual customer must have an email address.",
                Value::Null,
            )),
            Field::Value(e)
                if self
                    .emails
                    .get(&(org, e.to_lowercase()))
                    .is_some_and(|s| *s != seq) =>
            {
                errs.push(duplicate_email(e));
            }
            _ => {}
        }
        let tax_id = match &input.tax_id {
            Field::Value(t) => {
                let address = match &input.billing_address {
                    Field::Value(a) => Some(a),
                    _ => current.billing_address.as_ref(),
                };
                Some(Self::tax_id_for(t, address, &mut errs))
            }
            Field::Null => Some(None),
            Field::Absent => None,
        };
        if !errs.is_empty() {
            return Err(Refusal::Invalid(errs));
        }
        let now = self.now();
        let mut record = self.records[&seq].clone();
        self.unindex(&record);
        if let Some(m) = input.metadata {
            record.metadata = m;
        }
        match input.email {
            Field::Value(e) => {
                if record.email.as_deref() != Some(e.as_str()) {
                    record.email = Some(e);
                    record.email_verified = false;
                }
            }
            Field::Null => {
                record.email = None;
                record.email_verified = false;
            }
            Field::Absent => {}
        }
        if let Some(name) = input.name.into_option() {
            record.name = name;
        }
        if let Field::Value(a) = input.billing_address {
            record.billing_address = Some(a);
        }
        if let Some(t) = tax_id {
            record.tax_id = t;
        }
        if let Some(locale) = input.locale.into_option() {
            record.locale = locale;
        }
        if let (None, Field::Value(x)) = (&record.external_id, input.external_id) {
            record.external_id = Some(x);
        }
        record.kind = kind;
        record.modified_at = Some(now);
        self.index(&record);
        let out = record.to_json();
        self.records.insert(seq, record);
        Ok(out)
    }

    /// `DELETE /v1/customers/{id}` and by external id: a soft delete.
    pub(crate) fn delete(
        &mut self,
        access: &Access,
        key: Key<'_>,
        anonymize: bool,
    ) -> Result<(), Refusal> {
        let seq = self.find(access, key)?;
        let now = self.now();
        let mut record = self.records[&seq].clone();
        self.unindex(&record);
        if let Some(ext) = record.external_id.take() {
            record
                .metadata
                .insert("__external_id".into(), Value::String(ext));
        }
        if anonymize {
            if let Some(e) = &record.email {
                record.email = Some(format!(
                    "{}@anonymized.invalid",
                    rules::digest(&e.to_lowercase())
                ));
            }
            record.name = record.name.as_deref().map(rules::digest);
            record.billing_name = record.billing_name.as_deref().map(rules::digest);
            record.billing_address = None;
            record.tax_id = None;
            record.metadata.insert(
                "__anonymized_at".into(),
                Value::String(rules::fmt_json_ts(now)),
            );
        }
        // Subscriptions are cancelled and benefits revoked when a customer goes.
        for sub in &mut record.subscriptions {
            if let Value::Object(m) = sub {
                m.insert("status".into(), Value::String("canceled".into()));
            }
        }
        record.benefit_grants.clear();
        record.deleted_at = Some(now);
        record.modified_at = Some(now);
        self.records.insert(seq, record);
        Ok(())
    }

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

    /// A customer by id, live or deleted (for tests' inspection).
    pub(crate) fn inspect(&self, id: Uuid) -> Option<&Record> {
        self.by_id.get(&id).and_then(|s| self.records.get(s))
    }

    /// Live customers across all organizations.
    pub(crate) fn live(&self) -> impl Iterator<Item = &Record> {
        self.records.values().filter(|r| r.is_live())
    }

    /// Sets `email_verified` of a live customer (the server sets it when the customer confirms
    /// their email). `false` when there is no such live customer.
    pub(crate) fn set_email_verified(&mut self, id: Uuid, verified: bool) -> bool {
        let Some(seq) = self.by_id.get(&id).copied() else {
            return false;
        };
        match self
            .records
            .get_mut(&seq)
            .filter(|r| r.is_live() && r.email.is_some())
        {
            Some(r) => {
                r.email_verified = verified;
                true
            }
            None => false,
        }
    }

    /// Attaches seeded state to a live customer. `false` when there is no such live customer.
    pub(crate) fn seed(&mut self, id: Uuid, what: Seed, value: Value) -> bool {
        let Some(seq) = self.by_id.get(&id).copied() else {
            return false;
        };
        let Some(r) = self.records.get_mut(&seq).filter(|r| r.is_live()) else {
            return false;
        };
        match what {
            Seed::Subscription => r.subscriptions.push(value),
            Seed::BenefitGrant => r.benefit_grants.push(value),
            Seed::Meter => r.meters.push(value),
        }
        true
    }
}

/// Renders metadata as Python's `json.dumps` does (`", "` and `": "` separators, ASCII only).
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
    for (i, (k, v)) in map.iter().enumerate() {
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
