//! The route table, matched the way Starlette does: on the percent-decoded path, so an encoded
//! `/` inside a parameter splits it.

use http::Method;
use polar_types::Route;

/// Every route of the generated table, in the order the server registers them (Starlette tries
/// them in that order and takes the first that matches): the routers in the order
/// `server/polar/api.py` includes them — the customer router (`customer/endpoints.py`), then
/// the member routes it nests under `/customers` (`customer_members_router` in
/// `member/endpoints.py`), then sessions (`customer_session/endpoints.py`) and meters
/// (`customer_meter/endpoints.py`) — and within each router in the order of its
/// `@router.<method>` decorators. The member list routes are newer than the server code at
/// hand; they come after the other member routes, which matters only for a by-ID path whose
/// customer ID is literally `external`, and for the `Allow` of a 405 on `…/members`.
static ROUTES: [Route; Route::ALL.len()] = [
    // customer/endpoints.py
    Route::CustomersList,
    Route::CustomersExport,
    Route::CustomersGet,
    Route::CustomersGetExternal,
    Route::CustomersGetState,
    Route::CustomersGetStateExternal,
    Route::CustomersListPaymentMethods,
    Route::CustomersListPaymentMethodsExternal,
    Route::CustomersCreate,
    Route::CustomersUpdate,
    Route::CustomersUpdateExternal,
    Route::CustomersDelete,
    Route::CustomersDeleteExternal,
    // member/endpoints.py, customer_members_router
    Route::CustomersMembersCreate,
    Route::CustomersMembersCreateExternal,
    Route::CustomersMembersGet,
    Route::CustomersMembersGetExternal,
    Route::CustomersMembersUpdate,
    Route::CustomersMembersUpdateExternal,
    Route::CustomersMembersDelete,
    Route::CustomersMembersDeleteExternal,
    Route::CustomersMembersList,
    Route::CustomersMembersListExternal,
    // customer_session/endpoints.py
    Route::CustomerSessionsCreate,
    // customer_meter/endpoints.py
    Route::CustomerMetersList,
    Route::CustomerMetersGet,
];

/// Matches a decoded path against a pattern; answers the parameters, in order.
fn match_path<'p>(pattern: &str, path: &'p str) -> Option<Vec<&'p str>> {
    let mut params = Vec::new();
    let mut segs = path.split('/');
    for pat in pattern.split('/') {
        let seg = segs.next()?;
        if pat.starts_with('{') {
            if seg.is_empty() {
                return None;
            }
            params.push(seg);
        } else if pat != seg {
            return None;
        }
    }
    segs.next().is_none().then_some(params)
}

/// Where a request goes.
pub(crate) enum Routed<'p> {
    Found(Route, Vec<&'p str>),
    MethodNotAllowed(Method),
    Redirect(String),
    NotFound,
}

/// The percent-decoded path the server routes on.
pub(crate) fn decoded_path(raw: &str) -> String {
    percent_encoding::percent_decode_str(raw)
        .decode_utf8_lossy()
        .into_owned()
}

/// Routes a decoded path. A path some route matches under another method is a 405 whose
/// `Allow` is the method of the first such route: Starlette's `Router` keeps the first partial
/// match and its `Route.handle` answers `{"Allow": ", ".join(self.methods)}`, and a FastAPI
/// route has the one method of its decorator (no HEAD added, unlike Starlette's `Route`).
pub(crate) fn route<'p>(method: &Method, path: &'p str) -> Routed<'p> {
    let mut allowed: Option<Method> = None;
    for route in &ROUTES {
        if let Some(param) = match_path(route.template(), path) {
            let m = route.method();
            if m == method {
                return Routed::Found(*route, param);
            }
            allowed.get_or_insert(m);
        }
    }
    if let Some(allowed) = allowed {
        return Routed::MethodNotAllowed(allowed);
    }
    let other = match path.strip_suffix('/') {
        Some(p) if !p.is_empty() => p.to_owned(),
        Some(_) => return Routed::NotFound,
        None => format!("{path}/"),
    };
    if ROUTES
        .iter()
        .any(|route| match_path(route.template(), &other).is_some())
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
            Routed::Found(op, p) if p.is_empty() => format!("{op:?} -"),
            Routed::Found(op, p) => format!("{op:?} {}", p.join(" ")),
            Routed::MethodNotAllowed(a) => format!("405 {a}"),
            Routed::Redirect(to) => format!("307 {to}"),
            Routed::NotFound => "404".into(),
        }
    }

    #[test]
    fn routing_follows_the_server() {
        assert_eq!(at(Method::GET, "/v1/customers/"), "CustomersList -");
        assert_eq!(at(Method::POST, "/v1/customers/"), "CustomersCreate -");
        assert_eq!(at(Method::GET, "/v1/customers/export"), "CustomersExport -");
        assert_eq!(
            at(Method::PATCH, "/v1/customers/export"),
            "CustomersUpdate export"
        );
        assert_eq!(
            at(Method::GET, "/v1/customers/abc/state"),
            "CustomersGetState abc"
        );
        assert_eq!(
            at(Method::GET, "/v1/customers/external/a%20b%3F"),
            "CustomersGetExternal a b?"
        );
        assert_eq!(at(Method::GET, "/v1/customers/external/a%2Fb"), "404");
        assert_eq!(
            at(Method::GET, "/v1/customers/external/a%2Fstate"),
            "CustomersGetStateExternal a"
        );
        assert_eq!(
            at(Method::DELETE, "/v1/customers/external/a%2Fstate"),
            "405 GET"
        );
        // Starlette answers 405 with the methods of the first route whose path matches, and
        // FastAPI registers each `@router.get/patch/delete` as its own route (without HEAD).
        assert_eq!(at(Method::PUT, "/v1/customers/abc"), "405 GET");
        assert_eq!(at(Method::PUT, "/v1/customers/"), "405 GET");
        assert_eq!(at(Method::HEAD, "/v1/customers/abc"), "405 GET");
        assert_eq!(at(Method::PUT, "/v1/customers/external/a"), "405 GET");
        assert_eq!(at(Method::GET, "/v1/customers"), "307 /v1/customers/");
        assert_eq!(
            at(Method::GET, "/v1/customers/abc/"),
            "307 /v1/customers/abc"
        );
        assert_eq!(
            at(Method::GET, "/v1/customers/abc/payment-methods"),
            "CustomersListPaymentMethods abc"
        );
        assert_eq!(
            at(Method::PATCH, "/v1/customers/external/a%20b/members/m%3F1"),
            "CustomersMembersUpdateExternal a b m?1"
        );
        assert_eq!(
            at(Method::GET, "/v1/customers/external/a%2Fb/members/m"),
            "404"
        );
        assert_eq!(
            at(Method::GET, "/v1/customers/abc/members"),
            "CustomersMembersList abc"
        );
        assert_eq!(
            at(Method::GET, "/v1/customers/external/a%20b/members"),
            "CustomersMembersListExternal a b"
        );
        assert_eq!(at(Method::PUT, "/v1/customers/abc/members"), "405 POST");
        assert_eq!(at(Method::PUT, "/v1/customers/abc/members/m"), "405 GET");
        assert_eq!(
            at(Method::GET, "/v1/customer-meters"),
            "307 /v1/customer-meters/"
        );
        assert_eq!(at(Method::GET, "/v1/customer-sessions/"), "405 POST");
        assert_eq!(at(Method::GET, "/v1/customers/abc/other"), "404");
        assert_eq!(at(Method::GET, "/v1/other"), "404");
        assert_eq!(at(Method::GET, "/"), "404");
        assert_eq!(at(Method::GET, "/v1/customers//state"), "404");
    }

    #[test]
    fn the_customer_router_comes_before_the_member_routes() {
        // Both a payment-method list by external ID and a member of customer `external`: the
        // customer router, included first, answers (the generated table lists the member
        // routes first).
        assert_eq!(
            at(
                Method::GET,
                "/v1/customers/external/members/payment-methods"
            ),
            "CustomersListPaymentMethodsExternal members"
        );
    }

    #[test]
    fn every_route_is_served() {
        // ROUTES is written out by hand: each route of the table exactly once.
        let mut served: Vec<Route> = ROUTES.to_vec();
        served.sort();
        assert_eq!(served, Route::ALL);
        // The counters index routes by their place in the table.
        for (i, route) in Route::ALL.iter().enumerate() {
            assert_eq!(*route as usize, i);
        }
    }
}
