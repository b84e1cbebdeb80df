//! The eight member routes under `/v1/customers/…/members` (server/polar/member/endpoints.py,
//! `customer_members_router`).

use std::sync::Arc;

use http::StatusCode;
use serde_json::{Value, json};

use super::{Shared, both, path_id};
use crate::Operation;
use crate::input::{parse_member_create, parse_member_update};
use crate::issue::{Issue, at, root, uuid_issue};
use crate::response::{self as resp, Res};
use crate::store::{Access, Key, MemberKey, MemberRefusal};

const AMBIGUOUS: &str = "Several customers across your organizations share this external customer ID. Use an organization-scoped token, the Polar customer ID, or a unique external ID to disambiguate.";

fn refusal(r: MemberRefusal) -> Res {
    match r {
        MemberRefusal::NotFound(detail) => resp::json(
            StatusCode::NOT_FOUND,
            &json!({"error": "ResourceNotFound", "detail": detail}),
        ),
        MemberRefusal::NotPermitted(detail) => resp::json(
            StatusCode::FORBIDDEN,
            &json!({"error": "NotPermitted", "detail": detail}),
        ),
        MemberRefusal::Ambiguous => resp::json(
            StatusCode::CONFLICT,
            &json!({"error": "AmbiguousExternalCustomerID", "detail": AMBIGUOUS}),
        ),
        MemberRefusal::Invalid(issues) => resp::invalid(&issues, true),
        // The server lets the database's unique index fail the request.
        MemberRefusal::Conflict => resp::with_body(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain; charset=utf-8",
            "Internal Server Error".to_owned(),
        ),
    }
}

/// The member ID of a by-ID route: any UUID version (the path parameter is a plain `UUID`).
fn member_id(raw: &str) -> Result<uuid::Uuid, Vec<Issue>> {
    let loc = at(&root("path"), "member_id");
    match uuid::Uuid::parse_str(raw) {
        Ok(u) => Ok(u),
        Err(_) => Err(uuid_issue(loc, raw).into_iter().collect()),
    }
}

/// Answers one member route; `params` are the path parameters in order.
pub(super) fn handle(
    shared: &Arc<Shared>,
    op: Operation,
    params: &[String],
    body: &Value,
    access: &Access,
) -> Result<Res, Res> {
    let rules = &shared.config.deliverability;
    let customer = params.first().map(String::as_str).unwrap_or_default();
    let member = params.get(1).map(String::as_str).unwrap_or_default();
    let by_external = matches!(
        op,
        Operation::CreateMemberExternal
            | Operation::GetMemberExternal
            | Operation::UpdateMemberExternal
            | Operation::DeleteMemberExternal
    );
    let key = || -> Result<Key<'_>, Vec<Issue>> {
        if by_external {
            Ok(Key::External(customer))
        } else {
            path_id(customer).map(Key::Id)
        }
    };
    let member_key = || -> Result<MemberKey<'_>, Vec<Issue>> {
        if by_external {
            Ok(MemberKey::External(member))
        } else {
            member_id(member).map(MemberKey::Id)
        }
    };
    // Path issues of both parameters at once, as FastAPI reports them.
    let keys = || both(key(), member_key());
    match op {
        Operation::CreateMember | Operation::CreateMemberExternal => {
            let (k, input) = both(key(), parse_member_create(body, rules))?;
            let created = shared
                .store()
                .create_member(access, k, input)
                .map_err(refusal)?;
            Ok(resp::json(StatusCode::CREATED, &created))
        }
        Operation::GetMember | Operation::GetMemberExternal => {
            let (k, m) = keys()?;
            let found = shared.store().get_member(access, k, m).map_err(refusal)?;
            Ok(resp::json(StatusCode::OK, &found))
        }
        Operation::UpdateMember | Operation::UpdateMemberExternal => {
            let ((k, m), input) = match (keys(), parse_member_update(body, rules)) {
                (Ok(keys), Ok(input)) => (keys, input),
                (Err(res), _) => return Err(res),
                (Ok(_), Err(issues)) => return Err(resp::invalid(&issues, false)),
            };
            let updated = shared
                .store()
                .update_member(access, k, m, input)
                .map_err(refusal)?;
            Ok(resp::json(StatusCode::OK, &updated))
        }
        _ => {
            let (k, m) = keys()?;
            shared
                .store()
                .delete_member(access, k, m)
                .map_err(refusal)?;
            Ok(resp::empty(StatusCode::NO_CONTENT))
        }
    }
}
