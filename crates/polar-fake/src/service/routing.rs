//! The route table, matched the way Starlette does: on the percent-decoded path, so an encoded
//! `/` inside a parameter splits it.

use http::Method;

use crate::Operation;

/// The route table, in the order the server registers its routes.
const ROUTES: [(Method, &str, Operation); 11] = [
    (Method::GET, "/v1/customers/", Operation::List),
    (Method::POST, "/v1/customers/", Operation::Create),
    (Method::GET, "/v1/customers/export", Operation::Export),
    (
        Method::GET,
        "/v1/customers/external/{external_id}",
        Operation::GetExternal,
    ),
    (
        Method::PATCH,
        "/v1/customers/external/{external_id}",
        Operation::UpdateExternal,
    ),
    (
        Method::DELETE,
        "/v1/customers/external/{external_id}",
        Operation::DeleteExternal,
    ),
    (
        Method::GET,
        "/v1/customers/external/{external_id}/state",
        Operation::GetStateExternal,
    ),
    (Method::GET, "/v1/customers/{id}", Operation::Get),
    (Method::PATCH, "/v1/customers/{id}", Operation::Update),
    (Method::DELETE, "/v1/customers/{id}", Operation::Delete),
    (Method::GET, "/v1/customers/{id}/state", Operation::GetState),
];

/// Matches a decoded path against a pattern; answers the parameter.
fn match_path<'p>(pattern: &str, path: &'p str) -> Option<Option<&'p str>> {
    let mut param = None;
    let mut segs = path.split('/');
    for pat in pattern.split('/') {
        let seg = segs.next()?;
        if pat.starts_with('{') {
            if seg.is_empty() {
                return None;
            }
            param = Some(seg);
        } else if pat != seg {
            return None;
        }
    }
    segs.next().is_none().then_some(param)
}

/// Where a request goes.
pub(crate) enum Routed<'p> {
    Found(Operation, Option<&'p str>),
    MethodNotAllowed(String),
    Redirect(String),
    NotFound,
}

/// The percent-decoded path the server routes on.
pub(crate) fn decoded_path(raw: &str) -> String {
    percent_encoding::percent_decode_str(raw)
        .decode_utf8_lossy()
        .into_owned()
}

/// Routes a decoded path.
pub(crate) fn route<'p>(method: &Method, path: &'p str) -> Routed<'p> {
    let mut allowed: Vec<&str> = Vec::new();
    for (m, pattern, op) in &ROUTES {
        if let Some(param) = match_path(pattern, path) {
            if m == method {
                return Routed::Found(*op, param);
            }
            if !allowed.contains(&m.as_str()) {
                allowed.push(m.as_str());
            }
        }
    }
    if !allowed.is_empty() {
        return Routed::MethodNotAllowed(allowed.join(", "));
    }
    let other = match path.strip_suffix('/') {
        Some(p) if !p.is_empty() => p.to_owned(),
        Some(_) => return Routed::NotFound,
        None => format!("{path}/"),
    };
    if ROUTES
        .iter()
        .any(|(_, pattern, _)| match_path(pattern, &other).is_some())
    {
        Routed::Redirect(other)
    } else {
        Routed::NotFound
    }
}

/// Characters a decoded path must have encoded again to sit in a `Location` header.
const PATH: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'%');

/// The absolute URL for a redirect, built like the server does from the request.
pub(crate) fn location(parts: &http::request::Parts, path: &str) -> String {
    let query = parts
        .uri
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let origin = match (parts.uri.scheme_str(), parts.uri.authority()) {
        (Some(s), Some(a)) => format!("{s}://{a}"),
        _ => match parts
            .headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
        {
            Some(host) => format!("http://{host}"),
            None => String::new(),
        },
    };
    let path = percent_encoding::utf8_percent_encode(path, PATH);
    format!("{origin}{path}{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(method: Method, raw: &str) -> String {
        let path = decoded_path(raw);
        match route(&method, &path) {
            Routed::Found(op, p) => format!("{op:?} {}", p.unwrap_or("-")),
            Routed::MethodNotAllowed(a) => format!("405 {a}"),
            Routed::Redirect(to) => format!("307 {to}"),
            Routed::NotFound => "404".into(),
        }
    }

    #[test]
    fn routing_follows_the_server() {
        assert_eq!(at(Method::GET, "/v1/customers/"), "List -");
        assert_eq!(at(Method::POST, "/v1/customers/"), "Create -");
        assert_eq!(at(Method::GET, "/v1/customers/export"), "Export -");
        assert_eq!(at(Method::PATCH, "/v1/customers/export"), "Update export");
        assert_eq!(at(Method::GET, "/v1/customers/abc/state"), "GetState abc");
        assert_eq!(
            at(Method::GET, "/v1/customers/external/a%20b%3F"),
            "GetExternal a b?"
        );
        assert_eq!(at(Method::GET, "/v1/customers/external/a%2Fb"), "404");
        assert_eq!(
            at(Method::GET, "/v1/customers/external/a%2Fstate"),
            "GetStateExternal a"
        );
        assert_eq!(
            at(Method::DELETE, "/v1/customers/external/a%2Fstate"),
            "405 GET"
        );
        assert_eq!(
            at(Method::PUT, "/v1/customers/abc"),
            "405 GET, PATCH, DELETE"
        );
        assert_eq!(at(Method::GET, "/v1/customers"), "307 /v1/customers/");
        assert_eq!(
            at(Method::GET, "/v1/customers/abc/"),
            "307 /v1/customers/abc"
        );
        assert_eq!(at(Method::GET, "/v1/customers/abc/payment-methods"), "404");
        assert_eq!(at(Method::GET, "/v1/other"), "404");
        assert_eq!(at(Method::GET, "/"), "404");
        assert_eq!(at(Method::GET, "/v1/customers//state"), "404");
    }
}
