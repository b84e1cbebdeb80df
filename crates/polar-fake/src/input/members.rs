//! Bodies of the member routes: `MemberCreateFromCustomer` and `MemberUpdate`
//! (server/polar/member/schemas.py).

use serde_json::Value;

use super::fields::{email, name, raw_string, text};
use super::params::{Page, Params, Sorts, query_loc};
use crate::issue::{Issue, at, missing, not_a_string, not_an_object, one_of, root};
use crate::rules::email::Deliverability;

/// A member's role within its customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Owner,
    BillingManager,
    Member,
}

impl Role {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::BillingManager => "billing_manager",
            Role::Member => "member",
        }
    }
}

/// Every role, in `MemberRole`'s order (server/polar/models/member.py).
const ROLES: [Role; 3] = [Role::Owner, Role::BillingManager, Role::Member];

/// A checked `MemberCreateFromCustomer`.
#[derive(Clone, Debug)]
pub(crate) struct MemberInput {
    pub email: String,
    pub name: Option<String>,
    pub external_id: Option<String>,
    pub role: Role,
}

/// A checked `MemberUpdate`: `None` (absent or `null`) leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub(crate) struct MemberUpdateInput {
    pub name: Option<String>,
    pub email: Option<String>,
    pub role: Option<Role>,
}

fn body_object(body: &Value) -> Result<&serde_json::Map<String, Value>, Vec<Issue>> {
    match body {
        Value::Object(obj) => Ok(obj),
        other => Err(vec![not_an_object(root("body"), other.clone())]),
    }
}

/// How the schema types a `role` field, which decides pydantic's error when a value is refused.
#[derive(Clone, Copy, Debug)]
enum RoleField {
    /// `Literal[MemberRole.member, …]`: a literal of enum members, so `literal_error` names each
    /// by its Python repr (`<MemberRole.member: 'member'>`).
    LiteralOfMembers,
    /// `MemberRole`: the whole enum, so `enum` names each by its value (`'member'`).
    Enum,
}

impl RoleField {
    fn kind(self) -> &'static str {
        match self {
            RoleField::LiteralOfMembers => "literal_error",
            RoleField::Enum => "enum",
        }
    }

    fn name(self, role: Role) -> String {
        match self {
            // Each member's Python name is its value (server/polar/models/member.py).
            RoleField::LiteralOfMembers => format!("<MemberRole.{0}: '{0}'>", role.as_str()),
            RoleField::Enum => format!("'{}'", role.as_str()),
        }
    }
}

/// A role from `allowed`, else pydantic's error for `field` at `loc` (`a, b or c`, as
/// pydantic-core joins the expected values).
fn role(
    value: &Value,
    allowed: &[Role],
    field: RoleField,
    loc: Vec<Value>,
    errs: &mut Vec<Issue>,
) -> Option<Role> {
    let found = allowed.iter().find(|r| value.as_str() == Some(r.as_str()));
    if found.is_none() {
        let names: Vec<String> = allowed.iter().map(|r| field.name(*r)).collect();
        errs.push(one_of(field.kind(), loc, &names, value.clone()));
    }
    found.copied()
}

/// `POST /v1/customers/{id}/members`: `email` required, `role` `member` (default) or
/// `billing_manager` (`owner` is refused: ownership is set at customer creation or moved by an
/// update).
pub(crate) fn parse_member_create(
    body: &Value,
    rules: &Deliverability,
) -> Result<MemberInput, Vec<Issue>> {
    let obj = body_object(body)?;
    let base = root("body");
    let mut errs = Vec::new();
    let loc = at(&base, "email");
    let address = match obj.get("email") {
        None => {
            errs.push(missing(loc, body.clone()));
            None
        }
        Some(Value::Null) => {
            errs.push(not_a_string(loc, Value::Null));
            None
        }
        Some(_) => email(
            raw_string(obj, "email", &base, &mut errs),
            loc,
            rules,
            &mut errs,
        )
        .into_option()
        .flatten(),
    };
    let name = name(obj, "name", &base, &mut errs);
    let external_id = text(obj, "external_id", &base, &mut errs);
    let role = match obj.get("role") {
        None => Some(Role::Member),
        Some(v) => role(
            v,
            &[Role::Member, Role::BillingManager],
            RoleField::LiteralOfMembers,
            at(&base, "role"),
            &mut errs,
        ),
    };
    match (address, role) {
        (Some(email), Some(role)) if errs.is_empty() => Ok(MemberInput {
            email,
            name: name.into_option().flatten(),
            external_id: external_id.into_option().flatten(),
            role,
        }),
        _ => Err(errs),
    }
}

/// `PATCH …/members/{member_id}`: every field optional; `null` changes nothing.
pub(crate) fn parse_member_update(
    body: &Value,
    rules: &Deliverability,
) -> Result<MemberUpdateInput, Vec<Issue>> {
    let obj = body_object(body)?;
    let base = root("body");
    let mut errs = Vec::new();
    let name = name(obj, "name", &base, &mut errs);
    let address = raw_string(obj, "email", &base, &mut errs);
    let address = email(address, at(&base, "email"), rules, &mut errs);
    let role = match obj.get("role") {
        None | Some(Value::Null) => None,
        Some(v) => role(v, &ROLES, RoleField::Enum, at(&base, "role"), &mut errs),
    };
    if !errs.is_empty() {
        return Err(errs);
    }
    Ok(MemberUpdateInput {
        name: name.into_option().flatten(),
        email: address.into_option().flatten(),
        role,
    })
}

/// The sort keys of a customer's member list (server/polar/member/sorting.py).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MemberSort {
    CreatedAt,
}

/// `MemberSortProperty`, default `-created_at`.
const MEMBER_SORTS: Sorts<MemberSort> = Sorts {
    keys: &[("created_at", MemberSort::CreatedAt)],
    default: (MemberSort::CreatedAt, true),
};

/// The checked query of `GET /v1/customers/{id}/members` and its by-external-ID twin.
#[derive(Clone, Debug)]
pub(crate) struct MemberListQuery {
    pub role: Option<Role>,
    pub page: Page,
    /// (key, descending), applied in order; `-created_at` when none is given.
    pub sorting: Vec<(MemberSort, bool)>,
}

/// Decodes a member list query, with `customer`, the path parameter already read: the shape of
/// `list_members` in server/polar/member/endpoints.py (the pagination and sorting
/// dependencies, then `role`, a `MemberRole | None`) with the customer in the path.
pub(crate) fn parse_member_list<K>(
    pairs: &[(String, String)],
    customer: Result<K, Vec<Issue>>,
) -> Result<(K, MemberListQuery), Vec<Issue>> {
    let mut p = Params::new(pairs);
    let page = p.page();
    let sorting = p.sorting(&MEMBER_SORTS);
    let customer = p.path(customer);
    let role = p.last("role").and_then(|v| {
        let loc = query_loc("role");
        role(&Value::from(v), &ROLES, RoleField::Enum, loc, p.query())
    });
    let query = MemberListQuery {
        role,
        page,
        sorting,
    };
    p.finish_path(customer, query)
}
