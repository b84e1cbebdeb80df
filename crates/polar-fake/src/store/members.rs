//! Members of customers and the rules of server/polar/member/service.py: an owner per customer
//! (created with it), one member at most for an individual, whose email follows the customer's,
//! a member's email unique (case-insensitively) and its external ID unique within its customer,
//! ownership moved rather than lost, and members removed with their customer.

use jiff::Timestamp;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Access, Key, Record, Store};
use crate::input::{MemberInput, MemberListQuery, MemberSort, MemberUpdateInput, Role};
use crate::issue::{Issue, at, root};
use crate::rules::{self, Kind};

/// One member, live or removed.
#[derive(Clone, Debug)]
struct Row {
    id: Uuid,
    customer: Uuid,
    created_at: Timestamp,
    modified_at: Option<Timestamp>,
    email: String,
    name: Option<String>,
    external_id: Option<String>,
    role: Role,
    deleted: bool,
}

impl Row {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id.to_string(),
            "created_at": rules::fmt_json_ts(self.created_at),
            "modified_at": self.modified_at.map(rules::fmt_json_ts),
            "customer_id": self.customer.to_string(),
            "email": self.email,
            "name": self.name,
            "external_id": self.external_id,
            "role": self.role.as_str(),
        })
    }
}

/// Every member of every customer, and whether member management is on.
#[derive(Debug, Default)]
pub(crate) struct MemberTable {
    rows: Vec<Row>,
    /// The organization setting (`member_model_enabled`) turned off: no owner is created and
    /// adding members is refused. On by default in the fake.
    pub(crate) disabled: bool,
}

/// How a member is addressed in a path (its customer comes from the [`Key`]).
#[derive(Clone, Copy, Debug)]
pub(crate) enum MemberKey<'a> {
    Id(Uuid),
    External(&'a str),
}

/// Why a member route refuses.
#[derive(Debug, PartialEq)]
pub(crate) enum MemberRefusal {
    /// 404 `ResourceNotFound` with this detail.
    NotFound(&'static str),
    /// 403 `NotPermitted` with this detail.
    NotPermitted(&'static str),
    /// 409: the external customer ID names customers in several organizations the token reaches.
    Ambiguous,
    /// 422 `PolarRequestValidationError`.
    Invalid(Vec<Issue>),
    /// A unique index broken where the server does not catch it: 500.
    Conflict,
}

const CUSTOMER_NOT_FOUND: &str = "Customer not found";
const MEMBER_NOT_FOUND: &str = "Member not found";

fn invalid(key: Option<&str>, msg: &str, input: impl Into<Value>) -> MemberRefusal {
    let loc = match key {
        Some(k) => at(&root("body"), k),
        None => root("body"),
    };
    MemberRefusal::Invalid(vec![Issue::new("value_error", loc, msg, input)])
}

impl MemberTable {
    /// The owner member of a new customer: from `owner`, else the customer's email, name and
    /// external ID (`create_owner_member`).
    pub(crate) fn add_owner(&mut self, customer: &Record) {
        if self.disabled {
            return;
        }
        let owner = customer.owner.as_ref();
        let Some(email) = owner
            .and_then(|o| o.email.clone())
            .or_else(|| customer.email.clone())
        else {
            return;
        };
        self.rows.push(Row {
            id: Uuid::new_v4(),
            customer: customer.id,
            created_at: customer.created_at,
            modified_at: None,
            email,
            name: owner
                .and_then(|o| o.name.clone())
                .or_else(|| customer.name.clone()),
            external_id: owner
                .and_then(|o| o.external_id.clone())
                .or_else(|| customer.external_id.clone()),
            role: Role::Owner,
            deleted: false,
        });
    }

    /// `sync_owner_email` (server/polar/member/service.py), run by a customer update whose email
    /// changed: an individual's owner takes the customer's email unless it already has it in
    /// some case. Teams are left alone, their members have their own addresses. It does not ask
    /// whether member management is on: an owner made while it was on is kept in step.
    pub(crate) fn sync_owner_email(&mut self, customer: &Record, now: Timestamp) {
        let Some(email) = customer
            .email
            .as_ref()
            .filter(|_| customer.kind == Kind::Individual)
        else {
            return;
        };
        let wanted = email.to_lowercase();
        if let Some(owner) = self
            .live_mut(customer.id)
            .find(|r| r.role == Role::Owner)
            .filter(|o| o.email.to_lowercase() != wanted)
        {
            owner.email = email.clone();
            owner.modified_at = Some(now);
        }
    }

    /// Removes every member of a deleted customer.
    pub(crate) fn remove_customer(&mut self, customer: Uuid, now: Timestamp) {
        for row in self.live_mut(customer) {
            row.deleted = true;
            row.modified_at = Some(now);
        }
    }

    fn live(&self, customer: Uuid) -> impl Iterator<Item = &Row> {
        self.rows
            .iter()
            .filter(move |r| !r.deleted && r.customer == customer)
    }

    fn live_mut(&mut self, customer: Uuid) -> impl Iterator<Item = &mut Row> {
        self.rows
            .iter_mut()
            .filter(move |r| !r.deleted && r.customer == customer)
    }

    fn owners(&self, customer: Uuid) -> usize {
        self.live(customer)
            .filter(|r| r.role == Role::Owner)
            .count()
    }

    fn position(&self, customer: Uuid, member: MemberKey<'_>) -> Option<usize> {
        self.rows.iter().position(|r| {
            !r.deleted
                && r.customer == customer
                && match member {
                    MemberKey::Id(id) => r.id == id,
                    MemberKey::External(ext) => r.external_id.as_deref() == Some(ext),
                }
        })
    }
}

impl Store {
    /// The customer of a member route. By external ID, one that several reachable
    /// organizations share is ambiguous (409).
    fn member_customer(&self, access: &Access, key: Key<'_>) -> Result<&Record, MemberRefusal> {
        if let Key::External(ext) = key {
            let matches = access
                .orgs
                .iter()
                .filter(|org| self.externals.contains_key(&(**org, ext.to_owned())))
                .count();
            if matches > 1 {
                return Err(MemberRefusal::Ambiguous);
            }
        }
        let seq = self
            .find(access, key)
            .map_err(|_| MemberRefusal::NotFound(CUSTOMER_NOT_FOUND))?;
        Ok(&self.records[&seq])
    }

    /// The row of a member of the customer at `key`; a member of another customer is not found.
    fn member_row(
        &self,
        access: &Access,
        key: Key<'_>,
        member: MemberKey<'_>,
    ) -> Result<usize, MemberRefusal> {
        let customer = match self.member_customer(access, key) {
            Ok(c) => c.id,
            Err(MemberRefusal::NotFound(_)) => {
                return Err(MemberRefusal::NotFound(MEMBER_NOT_FOUND));
            }
            Err(e) => return Err(e),
        };
        self.members
            .position(customer, member)
            .ok_or(MemberRefusal::NotFound(MEMBER_NOT_FOUND))
    }

    /// `POST …/members`: an existing member with the same email is answered as is.
    pub(crate) fn create_member(
        &mut self,
        access: &Access,
        key: Key<'_>,
        input: MemberInput,
    ) -> Result<Value, MemberRefusal> {
        let customer = self.member_customer(access, key)?;
        let (customer_id, kind) = (customer.id, customer.kind);
        if self.members.disabled {
            return Err(MemberRefusal::NotPermitted(
                "Member management is not enabled for this organization",
            ));
        }
        if kind == Kind::Individual && self.members.live(customer_id).next().is_some() {
            return Err(MemberRefusal::NotPermitted(
                "Individual customers can only have one member (the owner). Upgrade to a team customer to add more members.",
            ));
        }
        let wanted = input.email.to_lowercase();
        if let Some(existing) = self
            .members
            .live(customer_id)
            .find(|r| r.email.to_lowercase() == wanted)
        {
            return Ok(existing.to_json());
        }
        if let Some(ext) = &input.external_id
            && self
                .members
                .live(customer_id)
                .any(|r| r.external_id.as_ref() == Some(ext))
        {
            return Err(MemberRefusal::Conflict);
        }
        let row = Row {
            id: Uuid::new_v4(),
            customer: customer_id,
            created_at: self.now(),
            modified_at: None,
            email: input.email,
            name: input.name,
            external_id: input.external_id,
            role: input.role,
            deleted: false,
        };
        let out = row.to_json();
        self.members.rows.push(row);
        Ok(out)
    }

    /// `GET …/members`: the live members of the customer at `key` (404 for an unknown
    /// customer, 409 for an ambiguous external ID), of one role if asked, sorted as asked
    /// (member/service.py `list`, member/sorting.py); members created at the same instant keep
    /// the order they were added in.
    pub(crate) fn list_members(
        &self,
        access: &Access,
        key: Key<'_>,
        query: &MemberListQuery,
    ) -> Result<Vec<Value>, MemberRefusal> {
        let customer = self.member_customer(access, key)?.id;
        let mut rows: Vec<&Row> = self
            .members
            .live(customer)
            .filter(|r| query.role.is_none_or(|role| r.role == role))
            .collect();
        rows.sort_by(|a, b| {
            query
                .sorting
                .iter()
                .map(|(key, desc)| {
                    let order = match key {
                        MemberSort::CreatedAt => a.created_at.cmp(&b.created_at),
                    };
                    if *desc { order.reverse() } else { order }
                })
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        Ok(rows.into_iter().map(Row::to_json).collect())
    }

    /// `GET …/members/{member}`.
    pub(crate) fn get_member(
        &self,
        access: &Access,
        key: Key<'_>,
        member: MemberKey<'_>,
    ) -> Result<Value, MemberRefusal> {
        let i = self.member_row(access, key, member)?;
        Ok(self.members.rows[i].to_json())
    }

    /// `PATCH …/members/{member}`: a new owner takes the role from the current one (who becomes
    /// a billing manager); the last owner cannot step down; an email must stay unique and an
    /// individual's owner keeps the customer's email.
    pub(crate) fn update_member(
        &mut self,
        access: &Access,
        key: Key<'_>,
        member: MemberKey<'_>,
        input: MemberUpdateInput,
    ) -> Result<Value, MemberRefusal> {
        let i = self.member_row(access, key, member)?;
        let row = self.members.rows[i].clone();
        let kind = self.records[&self.by_id[&row.customer]].kind;
        let mut transfer = false;
        if let Some(role) = input.role.filter(|r| *r != row.role) {
            let owners = self.members.owners(row.customer);
            if role == Role::Owner && owners >= 1 {
                transfer = true;
            } else if row.role == Role::Owner && owners <= 1 {
                return Err(invalid(
                    Some("role"),
                    "Cannot change role. Customer must have exactly one owner.",
                    role.as_str(),
                ));
            }
        }
        let new_email = input.email.filter(|e| *e != row.email);
        if let Some(email) = &new_email {
            if kind == Kind::Individual {
                return Err(invalid(
                    Some("email"),
                    "Cannot change the email of an individual customer's owner. Update the customer's email instead.",
                    email.as_str(),
                ));
            }
            let wanted = email.to_lowercase();
            if self
                .members
                .live(row.customer)
                .any(|r| r.id != row.id && r.email.to_lowercase() == wanted)
            {
                return Err(invalid(
                    Some("email"),
                    "A member with this email already exists for this customer.",
                    email.as_str(),
                ));
            }
        }
        let changed = input.name.is_some()
            || input.role.is_some_and(|r| r != row.role)
            || new_email.is_some();
        if !changed {
            return Ok(row.to_json());
        }
        let now = self.now();
        if transfer
            && let Some(owner) = self
                .members
                .live_mut(row.customer)
                .find(|r| r.role == Role::Owner)
        {
            owner.role = Role::BillingManager;
            owner.modified_at = Some(now);
        }
        let target = &mut self.members.rows[i];
        if let Some(name) = input.name {
            target.name = Some(name);
        }
        if let Some(role) = input.role {
            target.role = role;
        }
        if let Some(email) = new_email {
            target.email = email;
        }
        target.modified_at = Some(now);
        Ok(target.to_json())
    }

    /// `DELETE …/members/{member}`: the only owner cannot go.
    pub(crate) fn delete_member(
        &mut self,
        access: &Access,
        key: Key<'_>,
        member: MemberKey<'_>,
    ) -> Result<(), MemberRefusal> {
        let i = self.member_row(access, key, member)?;
        let row = &self.members.rows[i];
        if row.role == Role::Owner && self.members.owners(row.customer) <= 1 {
            return Err(invalid(
                None,
                "Cannot delete the only owner. Transfer ownership first.",
                row.id.to_string(),
            ));
        }
        let now = self.now();
        let row = &mut self.members.rows[i];
        row.deleted = true;
        row.modified_at = Some(now);
        Ok(())
    }

    /// The live members of a customer, oldest first (for sessions and tests).
    pub(crate) fn members_json(&self, customer: Uuid) -> Vec<Value> {
        self.members.live(customer).map(Row::to_json).collect()
    }

    /// The member a customer session opens as (`_resolve_member` of
    /// server/polar/customer_session/service.py): by ID, by external ID, else the owner of an
    /// individual; a team needs one named.
    pub(crate) fn session_member(
        &self,
        customer: &Record,
        member_id: Option<Uuid>,
        external_member_id: Option<&str>,
    ) -> Result<Option<Value>, Vec<Issue>> {
        if self.members.disabled {
            return Ok(None);
        }
        let not_found = |key: &str, input: Value| {
            vec![Issue::new(
                "value_error",
                at(&root("body"), key),
                "Member does not exist for this customer.",
                input,
            )]
        };
        if let Some(id) = member_id {
            return match self.members.position(customer.id, MemberKey::Id(id)) {
                Some(i) => Ok(Some(self.members.rows[i].to_json())),
                None => Err(not_found("member_id", Value::String(id.to_string()))),
            };
        }
        if let Some(ext) = external_member_id {
            return match self.members.position(customer.id, MemberKey::External(ext)) {
                Some(i) => Ok(Some(self.members.rows[i].to_json())),
                None => Err(not_found(
                    "external_member_id",
                    Value::String(ext.to_owned()),
                )),
            };
        }
        if customer.kind == Kind::Team {
            return Err(vec![Issue::new(
                "value_error",
                at(&root("body"), "member_id"),
                "member_id is required for team customers.",
                Value::Null,
            )]);
        }
        match self
            .members
            .live(customer.id)
            .find(|r| r.role == Role::Owner)
        {
            Some(owner) => Ok(Some(owner.to_json())),
            None => Err(vec![Issue::new(
                "value_error",
                at(&root("body"), "customer_id"),
                "No owner member found for this customer.",
                Value::String(customer.id.to_string()),
            )]),
        }
    }
}
