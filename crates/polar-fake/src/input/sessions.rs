//! The body of `POST /v1/customer-sessions/`: a customer by ID or by external ID
//! (server/polar/customer_session/schemas.py), told apart as pydantic's smart union does.

use serde_json::{Map, Value};
use uuid::Uuid;

use super::Field;
use super::fields::raw_string;
use crate::issue::{Issue, at, missing, not_an_object, parse_uuid4, root};
use crate::rules::http_url::{UrlError, http_url};

/// Which customer the session is for.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum SessionTarget {
    Id(Uuid),
    External(String),
}

/// A checked session body.
#[derive(Clone, Debug)]
pub(crate) struct SessionInput {
    pub customer: SessionTarget,
    pub member_id: Option<Uuid>,
    pub external_member_id: Option<String>,
    /// As pydantic writes it back (`https://example.com` → `https://example.com/`).
    pub return_url: Option<String>,
}

const BY_ID: &str = "CustomerSessionCustomerIDCreate";
const BY_EXTERNAL: &str = "CustomerSessionCustomerExternalIDCreate";

/// `return_url`: pydantic's `HttpUrl | None`, kept as pydantic writes the URL back.
fn return_url(obj: &Map<String, Value>, loc: Vec<Value>, errs: &mut Vec<Issue>) -> Option<String> {
    let checked = match obj.get("return_url")? {
        Value::Null => return None,
        Value::String(raw) => http_url(raw),
        _ => Err(UrlError::not_a_string()),
    };
    match checked {
        Ok(url) => Some(url),
        Err(e) => {
            errs.push(Issue {
                ctx: e.ctx,
                ..Issue::new(e.kind, loc, e.msg, obj["return_url"].clone())
            });
            None
        }
    }
}

/// The fields both shapes share, under `base`.
fn common(
    obj: &Map<String, Value>,
    base: &[Value],
    errs: &mut Vec<Issue>,
) -> (Option<Uuid>, Option<String>, Option<String>) {
    let member_id = match raw_string(obj, "member_id", base, errs) {
        Field::Value(v) => parse_uuid4(at(base, "member_id"), &v, errs),
        _ => None,
    };
    let external_member_id = raw_string(obj, "external_member_id", base, errs)
        .into_option()
        .flatten();
    let return_url = return_url(obj, at(base, "return_url"), errs);
    (member_id, external_member_id, return_url)
}

fn by_id(obj: &Map<String, Value>, body: &Value) -> Result<SessionInput, Vec<Issue>> {
    let base = at(&root("body"), BY_ID);
    let mut errs = Vec::new();
    // pydantic reports fields in declaration order: the shared ones come first.
    let (member_id, external_member_id, return_url) = common(obj, &base, &mut errs);
    let customer = match raw_string(obj, "customer_id", &base, &mut errs) {
        Field::Value(v) => parse_uuid4(at(&base, "customer_id"), &v, &mut errs),
        Field::Absent if !obj.contains_key("customer_id") => {
            errs.push(missing(at(&base, "customer_id"), body.clone()));
            None
        }
        _ => None,
    };
    match customer {
        Some(id) if errs.is_empty() => Ok(SessionInput {
            customer: SessionTarget::Id(id),
            member_id,
            external_member_id,
            return_url,
        }),
        _ => Err(errs),
    }
}

fn by_external(obj: &Map<String, Value>, body: &Value) -> Result<SessionInput, Vec<Issue>> {
    let base = at(&root("body"), BY_EXTERNAL);
    let mut errs = Vec::new();
    let (member_id, external_member_id, return_url) = common(obj, &base, &mut errs);
    // `customer_external_id` is accepted as an alias.
    let key = ["external_customer_id", "customer_external_id"]
        .into_iter()
        .find(|k| obj.contains_key(*k));
    let customer = match key {
        Some(k) => raw_string(obj, k, &base, &mut errs).into_option().flatten(),
        None => {
            errs.push(missing(at(&base, "external_customer_id"), body.clone()));
            None
        }
    };
    match customer {
        Some(ext) if errs.is_empty() => Ok(SessionInput {
            customer: SessionTarget::External(ext),
            member_id,
            external_member_id,
            return_url,
        }),
        _ => Err(errs),
    }
}

/// Tries the by-ID shape, then the by-external-ID one; when neither fits, the issues of both,
/// each under its shape's name, as pydantic reports a failed union.
pub(crate) fn parse_session(body: &Value) -> Result<SessionInput, Vec<Issue>> {
    let Value::Object(obj) = body else {
        return Err(vec![
            not_an_object(at(&root("body"), BY_ID), body.clone()),
            not_an_object(at(&root("body"), BY_EXTERNAL), body.clone()),
        ]);
    };
    match by_id(obj, body) {
        Ok(input) => Ok(input),
        Err(mut first) => match by_external(obj, body) {
            Ok(input) => Ok(input),
            Err(second) => {
                first.extend(second);
                Err(first)
            }
        },
    }
}
