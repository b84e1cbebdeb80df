//! The body of `POST /v1/customer-sessions/`: a customer by ID or by external ID
//! (server/polar/customer_session/schemas.py), told apart as pydantic's smart union does.

use serde_json::{Map, Value};
use uuid::Uuid;

use super::Field;
use super::fields::raw_string;
use crate::issue::{Issue, at, missing, not_an_object, parse_uuid4, root};

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
    pub return_url: Option<String>,
}

const BY_ID: &str = "CustomerSessionCustomerIDCreate";
const BY_EXTERNAL: &str = "CustomerSessionCustomerExternalIDCreate";
const URL_MAX: usize = 2083;

/// pydantic's `HttpUrl`: an absolute `http`/`https` URL of at most 2083 characters.
fn check_url(url: &str, loc: Vec<Value>, errs: &mut Vec<Issue>) {
    let scheme_end = url.find("://");
    let host = scheme_end.map(|i| &url[i + 3..]).unwrap_or_default();
    if url.chars().count() > URL_MAX {
        errs.push(
            Issue::new(
                "url_too_long",
                loc,
                format!("URL should have at most {URL_MAX} characters"),
                url,
            )
            .with_ctx(serde_json::json!({ "max_length": URL_MAX })),
        );
    } else if scheme_end.is_none() || host.is_empty() || host.starts_with('/') {
        errs.push(
            Issue::new(
                "url_parsing",
                loc,
                "Input should be a valid URL, relative URL without a base",
                url,
            )
            .with_ctx(serde_json::json!({ "error": "relative URL without a base" })),
        );
    } else if !(url.starts_with("http://") || url.starts_with("https://")) {
        errs.push(
            Issue::new(
                "url_scheme",
                loc,
                "URL scheme should be 'http' or 'https'",
                url,
            )
            .with_ctx(serde_json::json!({ "expected_schemes": "'http' or 'https'" })),
        );
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
    let return_url = raw_string(obj, "return_url", base, errs)
        .into_option()
        .flatten();
    if let Some(url) = &return_url {
        check_url(url, at(base, "return_url"), errs);
    }
    (member_id, external_member_id, return_url)
}

fn by_id(obj: &Map<String, Value>, body: &Value) -> Result<SessionInput, Vec<Issue>> {
    let base = at(&root("body"), BY_ID);
    let mut errs = Vec::new();
    let customer = match raw_string(obj, "customer_id", &base, &mut errs) {
        Field::Value(v) => parse_uuid4(at(&base, "customer_id"), &v, &mut errs),
        Field::Absent if !obj.contains_key("customer_id") => {
            errs.push(missing(at(&base, "customer_id"), body.clone()));
            None
        }
        _ => None,
    };
    let (member_id, external_member_id, return_url) = common(obj, &base, &mut errs);
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
    let (member_id, external_member_id, return_url) = common(obj, &base, &mut errs);
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
