//! The in-memory customer store and the server's business rules.
//!
//! Every change goes through one of four functions, so that whatever must follow a change
//! (webhooks) has one place to hook into: [`Store::create`], [`Store::update`],
//! [`Store::delete`] and [`Store::seed`] (a state change).

mod list;
mod members;
mod meters;
mod payment_methods;
mod record;
mod state_changes;

use std::collections::{BTreeMap, HashMap};

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use uuid::Uuid;

use crate::input::{CreateInput, Field, OwnerInput, UpdateInput};
use crate::issue::{Issue, at, root};
use crate::rules::tax_id::{INVALID_TAX_ID, validate_tax_id};
use crate::rules::{self, Address, Kind};

pub(crate) use members::{MemberKey, MemberRefusal, MemberTable};
pub(crate) use payment_methods::PaymentMethods;
pub(crate) use record::{EXTERNAL_ID_KEY, Member, Record, python_json, to_body};

/// How a customer is addressed in a path.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Key<'a> {
    Id(Uuid),
    External(&'a str),
}

/// The kinds of token Polar tells apart when a customer is created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// An organization access token, bound to its one organization.
    Organization,
    /// A user (OAuth) token reaching the organizations its user is a member of.
    User,
    /// A user token down-scoped to exactly one organization.
    DownScopedUser,
}

/// What the caller's token may see, and what kind of token it is.
#[derive(Clone, Debug)]
pub(crate) struct Access {
    /// Organizations the token reaches.
    pub orgs: Vec<Uuid>,
    pub kind: TokenKind,
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
    /// Members of customers (the owner is added when a customer is created).
    pub(crate) members: MemberTable,
    /// Payment methods seeded by tests, per customer.
    pub(crate) payment_methods: PaymentMethods,
}

fn body(key: &str) -> Vec<Value> {
    at(&root("body"), key)
}

fn invalid(kind: &str, key: &str, msg: &str, input: impl Into<Value>) -> Refusal {
    Refusal::Invalid(vec![Issue::new(kind, body(key), msg, input)])
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

/// Checks a tax ID against the billing address' country, as create and update do.
fn check_tax_id(raw: &str, address: Option<&Address>) -> Result<(String, &'static str), Refusal> {
    let Some(address) = address else {
        return Err(invalid(
            "missing",
            "billing_address",
            "Country is required to validate tax ID.",
            Value::Null,
        ));
    };
    validate_tax_id(raw, &address.country)
        .map_err(|_| invalid("invalid", "tax_id", INVALID_TAX_ID, raw))
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

    /// The organization a create lands in (`get_payload_organization` on the server).
    fn payload_organization(access: &Access, requested: Option<Uuid>) -> Result<Uuid, Refusal> {
        let org_token = access.kind == TokenKind::Organization;
        match requested {
            Some(o) if org_token => Err(invalid(
                "organization_token",
                "organization_id",
                "Setting organization_id is disallowed when using an organization token.",
                o.to_string(),
            )),
            // A down-scoped credential resolves its one organization, as an organization token.
            None if org_token
                || (access.kind == TokenKind::DownScopedUser && access.orgs.len() == 1) =>
            {
                Ok(access.orgs[0])
            }
            None => Err(invalid(
                "missing",
                "organization_id",
                "organization_id is required.",
                Value::Null,
            )),
            Some(o) if access.orgs.contains(&o) => Ok(o),
            Some(o) => Err(invalid(
                "value_error",
                "organization_id",
                "Organization not found.",
                o.to_string(),
            )),
        }
    }

    /// `POST /v1/customers/`.
    pub(crate) fn create(&mut self, access: &Access, input: CreateInput) -> Result<Value, Refusal> {
        let org = Self::payload_organization(access, input.organization_id)?;
        let mut errs = Vec::new();
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
        let tax_id = match &input.tax_id {
            Some(t) => Some(check_tax_id(t, input.billing_address.as_ref())?),
            None => None,
        };
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
        let record = Record {
            seq,
            id: Uuid::new_v4(),
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
            default_payment_method: None,
        };
        let out = record.to_json();
        self.by_id.insert(record.id, seq);
        self.members.add_owner(&record);
        self.put(record);
        Ok(out)
    }

    /// Stores a record in place of the one with its `seq`, keeping the unique indexes right.
    fn put(&mut self, record: Record) {
        if let Some(old) = self.records.get(&record.seq).cloned() {
            self.unindex(&old);
        }
        if record.is_live() {
            self.index(&record);
        }
        self.records.insert(record.seq, record);
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
        let before = self.records[&seq].clone();
        let org = before.org;
        let mut record = before.clone();
        let mut errs = Vec::new();
        let mut email_changed = false;
        if let Field::Value(e) = &input.email
            && record
                .email
                .as_deref()
                .is_none_or(|cur| cur.to_lowercase() != e.to_lowercase())
        {
            if self.emails.contains_key(&(org, e.to_lowercase())) {
                errs.push(duplicate_email(e));
            }
            record.email = Some(e.clone());
            record.email_verified = false;
            email_changed = true;
        }
        if input.billing_address == Field::Null {
            errs.push(Issue::new(
                "value_error",
                body("billing_address"),
                "Customer billing address cannot be reset to null once set.",
                Value::Null,
            ));
        }
        let new_external = match &input.external_id {
            Field::Absent => None,
            Field::Null => Some(None),
            Field::Value(v) => Some(Some(v.clone())),
        };
        if let Some(new) = &new_external
            && *new != record.external_id
        {
            if record.external_id.is_some() {
                errs.push(Issue::new(
                    "value_error",
                    body("external_id"),
                    "Customer external ID cannot be updated.",
                    new.clone().map_or(Value::Null, Value::String),
                ));
            } else if let Some(v) = new
                && self.externals.contains_key(&(org, v.clone()))
            {
                errs.push(duplicate_external_id(v));
            }
        }
        let downgrade = match &input.kind {
            Field::Absent | Field::Value(Kind::Team) => None,
            Field::Null => Some(Value::Null),
            Field::Value(Kind::Individual) => Some(Value::String("individual".into())),
        };
        if let Some(input_type) = downgrade.filter(|_| record.kind == Kind::Team) {
            errs.push(Issue::new(
                "value_error",
                body("type"),
                "Customer type cannot be downgraded from 'team' to 'individual'.",
                input_type,
            ));
        }
        if !errs.is_empty() {
            return Err(Refusal::Invalid(errs));
        }
        let address_for_tax = match &input.billing_address {
            Field::Value(a) => Some(a),
            _ => record.billing_address.as_ref(),
        };
        match &input.tax_id {
            Field::Null => record.tax_id = None,
            Field::Value(t) => record.tax_id = Some(check_tax_id(t, address_for_tax)?),
            Field::Absent => {
                if let (Field::Value(_), Some((current, _))) =
                    (&input.billing_address, &record.tax_id)
                {
                    // A new address re-checks the tax ID already on file.
                    let current = current.clone();
                    record.tax_id = Some(check_tax_id(&current, address_for_tax)?);
                }
            }
        }
        if let Some(m) = input.metadata {
            record.metadata = m;
        }
        if let Some(name) = input.name.into_option() {
            record.name = name;
        }
        if let Field::Value(a) = input.billing_address {
            record.billing_address = Some(a);
        }
        if let Some(locale) = input.locale.into_option() {
            record.locale = locale;
        }
        if let Some(Some(x)) = new_external {
            record.external_id = Some(x);
        }
        if input.kind == Field::Value(Kind::Team) {
            record.kind = Kind::Team;
        }
        // Only a real change is written, so only a real change moves `modified_at`.
        if record != before {
            let now = self.now();
            record.modified_at = Some(now);
            self.put(record.clone());
            // After the write, so a customer this update made a team is a team here.
            if email_changed {
                self.members.sync_owner_email(&record, now);
            }
        }
        Ok(record.to_json())
    }

    /// `DELETE /v1/customers/{id}` and by external id: a soft delete, then the anonymization.
    pub(crate) fn delete(
        &mut self,
        access: &Access,
        key: Key<'_>,
        anonymize: bool,
    ) -> Result<(), Refusal> {
        let seq = self.find(access, key)?;
        let now = self.now();
        let mut record = self.records[&seq].clone();
        if let Some(ext) = record.external_id.take() {
            record
                .metadata
                .insert(EXTERNAL_ID_KEY.into(), Value::String(ext));
        }
        if anonymize && !record.metadata.contains_key("__anonymized_at") {
            let created = record.created_at;
            if let Some(e) = &record.email {
                record.email = Some(format!(
                    "{}@anonymized.polar.sh",
                    rules::anonymized(e, created)
                ));
            }
            record.email_verified = false;
            // A customer with a tax ID is a business: its name is kept.
            if record.tax_id.is_none() {
                record.name = record
                    .name
                    .as_deref()
                    .filter(|n| !n.is_empty())
                    .map(|n| rules::anonymized(n, created));
            }
            record.billing_name = record
                .billing_name
                .as_deref()
                .map(|n| rules::anonymized(n, created));
            record.billing_address = None;
            record.metadata.insert(
                "__anonymized_at".into(),
                Value::String(rules::fmt_iso_ts(now)),
            );
        }
        // Subscriptions are cancelled and benefits revoked when a customer goes.
        for sub in &mut record.subscriptions {
            if let Value::Object(m) = sub {
                m.insert("status".into(), Value::String("canceled".into()));
            }
        }
        record.benefit_grants.clear();
        // Its members go with it (server/polar/member/service.py, `delete_by_customer`).
        self.members.remove_customer(record.id, now);
        record.deleted_at = Some(now);
        record.modified_at = Some(now);
        self.put(record);
        Ok(())
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
