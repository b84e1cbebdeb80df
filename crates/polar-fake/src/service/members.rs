//! The ten member routes under `/v1/customers/…/members` (server/polar/member/endpoints.py,
//! `customer_members_router`; the two lists as Polar's SDKs of November 2026 call them).

use std::sync::Arc;

use http::StatusCode;
use serde_json::{Value, json};

use super::{Shared, all, both, by_external_id, customer_key};
use crate::Route;
use crate::input::{parse_member_create, parse_member_list, parse_member_update};
use crate::issue::{Issue, at, parse_uuid, root};
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
    let mut errs = Vec::new();
    parse_uuid(at(&root("path"), "member_id"), raw, &mut errs).ok_or(errs)
}

/// The customer and member a route's path names (`params`: both path parameters, in order);
/// the issues of both at once, as FastAPI reports them.
fn keys<'p>(route: Route, params: &'p [String]) -> Result<(Key<'p>, MemberKey<'p>), Vec<Issue>> {
    let customer = params.first().map(String::as_str).unwrap_or_default();
    let member = params.get(1).map(String::as_str).unwrap_or_default();
    let member = if by_external_id(route) {
        Ok(MemberKey::External(member))
    } else {
        member_id(member).map(MemberKey::Id)
    };
    all(customer_key(route, customer), member)
}

/// [`keys`] for a route without a body: its issues as the 422.
fn keys_only<'p>(route: Route, params: &'p [String]) -> Result<(Key<'p>, MemberKey<'p>), Res> {
    keys(route, params).map_err(|issues| resp::invalid(&issues, false))
}

/// `POST …/members`.
pub(super) fn create(
    shared: &Arc<Shared>,
    route: Route,
    params: &[String],
    body: &Value,
    access: &Access,
) -> Result<Res, Res> {
    let rules = &shared.config.deliverability;
    let customer = params.first().map(String::as_str).unwrap_or_default();
    let (k, input) = both(
        customer_key(route, customer),
        parse_member_create(body, rules),
    )?;
    let created = shared
        .store()
        .create_member(access, k, input)
        .map_err(refusal)?;
    Ok(resp::json(StatusCode::CREATED, &created))
}

/// `GET …/members/{member}`.
pub(super) fn get(
    shared: &Arc<Shared>,
    route: Route,
    params: &[String],
    access: &Access,
) -> Result<Res, Res> {
    let (k, m) = keys_only(route, params)?;
    let found = shared.store().get_member(access, k, m).map_err(refusal)?;
    Ok(resp::json(StatusCode::OK, &found))
}

/// `PATCH …/members/{member}`: path issues first, then the body's.
pub(super) fn update(
    shared: &Arc<Shared>,
    route: Route,
    params: &[String],
    body: &Value,
    access: &Access,
) -> Result<Res, Res> {
    let rules = &shared.config.deliverability;
    let ((k, m), input) = both(keys(route, params), parse_member_update(body, rules))?;
    let updated = shared
        .store()
        .update_member(access, k, m, input)
        .map_err(refusal)?;
    Ok(resp::json(StatusCode::OK, &updated))
}

/// `DELETE …/members/{member}`.
pub(super) fn delete(
    shared: &Arc<Shared>,
    route: Route,
    params: &[String],
    access: &Access,
) -> Result<Res, Res> {
    let (k, m) = keys_only(route, params)?;
    shared
        .store()
        .delete_member(access, k, m)
        .map_err(refusal)?;
    Ok(resp::empty(StatusCode::NO_CONTENT))
}

/// `GET …/members`: one page of the customer's members, `-created_at` first unless sorted
/// otherwise, optionally of one role.
pub(super) fn list(
    shared: &Arc<Shared>,
    route: Route,
    customer: &str,
    pairs: &[(String, String)],
    access: &Access,
) -> Result<Res, Res> {
    let (k, query) = parse_member_list(pairs, customer_key(route, customer))
        .map_err(|issues| resp::invalid(&issues, false))?;
    let members = shared
        .store()
        .list_members(access, k, &query)
        .map_err(refusal)?;
    Ok(resp::json(StatusCode::OK, &query.page.envelope(members)))
}
