//! Request handling, in the server's order: `Polar-Version`, body size, rate limit,
//! authentication, routing, scope, body, then the operation.

// Early answers (401, 404, 422 ...) travel as `Err(Response)`; they are the cold path, so the size
// of `http::Response` in a `Result` does not matter here.
#![allow(clippy::result_large_err)]

mod auth;
mod body;
mod members;
mod meters;
mod payment_methods;
mod routing;
mod sessions;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderValue, Method, Request, StatusCode, header};
use serde_json::Value;
use uuid::Uuid;

use crate::body::FakeBody;
use crate::control::{Counters, Fault};
use crate::input;
use crate::issue::{Issue, at, parse_uuid4, root};
use crate::response::{self as resp, Res};
use crate::state::Shared;
use crate::store::{Access, Key, Refusal, Store};
use crate::sync::lock;
use crate::{FakeError, FakePolar, Route};

use routing::{Routed, decoded_path, location, route};

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<B> tower_service::Service<Request<B>> for FakePolar
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Res;
    type Error = FakeError;
    type Future = Pin<Box<dyn Future<Output = Result<Res, FakeError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), FakeError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let shared = self.shared.clone();
        Box::pin(async move { handle(shared, req).await })
    }
}

async fn handle<B>(shared: Arc<Shared>, req: Request<B>) -> Result<Res, FakeError>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    Counters::bump(&shared.counters.requests);
    let (latency, fault) = lock(&shared.faults).take();
    if let Some(d) = latency {
        tokio::time::sleep(d).await;
    }
    let mut res = match fault {
        Fault::Drop => {
            Counters::bump(&shared.counters.dropped);
            return Err(FakeError::dropped());
        }
        // A proxy's page in front of the API: not one of Polar's answers.
        Fault::Fail(status) => {
            Counters::bump(&shared.counters.injected);
            resp::injected(status)
        }
        Fault::None => {
            let mut res = dispatch(&shared, req).await?;
            res.headers_mut()
                .entry(header::CACHE_CONTROL)
                .or_insert(HeaderValue::from_static("private, no-store"));
            res
        }
    };
    shared.counters.status(res.status());
    let headers = res.headers_mut();
    if shared.config.sandbox {
        headers.insert("x-polar-sandbox", HeaderValue::from_static("1"));
    }
    Ok(res)
}

/// Polar's body size rule: POST, PUT and PATCH need a length (411), at most the limit (413).
/// In-process, a body whose exact size is known counts as having a `Content-Length`, since an
/// HTTP client would send one for it.
fn body_size_refusal<B: http_body::Body>(
    parts: &http::request::Parts,
    body: &B,
    max: usize,
) -> Option<Res> {
    let declared = match parts.headers.get(header::CONTENT_LENGTH) {
        Some(v) => v.to_str().ok().and_then(|v| v.trim().parse::<u64>().ok()),
        None => body.size_hint().exact(),
    };
    match declared {
        None if parts.headers.get(header::CONTENT_LENGTH).is_none()
            && matches!(parts.method, Method::POST | Method::PUT | Method::PATCH) =>
        {
            Some(resp::length_required())
        }
        Some(n) if n > max as u64 => Some(resp::too_large(max)),
        _ => None,
    }
}

pub(crate) fn path_id(raw: &str) -> Result<Uuid, Vec<Issue>> {
    let mut errs = Vec::new();
    parse_uuid4(at(&root("path"), "id"), raw, &mut errs).ok_or(errs)
}

pub(crate) fn refusal(r: Refusal) -> Res {
    match r {
        Refusal::NotFound => resp::resource_not_found(),
        Refusal::Invalid(issues) => resp::invalid(&issues, true),
    }
}

/// Like FastAPI, reports the issues of every parameter at once: the path's first, then the
/// body's, or a second path parameter's (`solve_dependencies` in fastapi/dependencies/utils.py).
/// Routes with query parameters read them through `Params` (input/params.rs), which keeps it.
fn both<A, B>(a: Result<A, Vec<Issue>>, b: Result<B, Vec<Issue>>) -> Result<(A, B), Res> {
    all(a, b).map_err(|issues| resp::invalid(&issues, false))
}

/// [`both`]'s issues, for a caller that has more to add after them.
fn all<A, B>(a: Result<A, Vec<Issue>>, b: Result<B, Vec<Issue>>) -> Result<(A, B), Vec<Issue>> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (a, b) => {
            let mut issues = a.err().unwrap_or_default();
            issues.extend(b.err().unwrap_or_default());
            Err(issues)
        }
    }
}

async fn dispatch<B>(shared: &Arc<Shared>, req: Request<B>) -> Result<Res, FakeError>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let (parts, body) = req.into_parts();
    // `Polar-Version` is checked first, by the outermost layer: an unknown one is 404 whatever
    // else the request holds. An empty one counts as absent.
    let requested = parts
        .headers
        .get("polar-version")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_owned())
        .filter(|v| !v.is_empty());
    let version = requested
        .clone()
        .unwrap_or_else(|| shared.config.default_version.clone());
    if requested
        .as_ref()
        .is_some_and(|v| !shared.config.versions.contains(v))
    {
        return Ok(resp::route_not_found());
    }
    let with_version = |mut res: Res| {
        if let Ok(v) = HeaderValue::from_str(&version) {
            res.headers_mut().insert("polar-version", v);
        }
        res
    };
    if let Some(res) = body_size_refusal(&parts, &body, shared.config.max_body_bytes) {
        return Ok(with_version(res));
    }
    let raw_path = parts.uri.path();
    if let Some(limiter) = &shared.limiter
        && (raw_path == "/v1" || raw_path.starts_with("/v1/"))
    {
        let key = auth::rate_limit_key(&shared.tokens(), &parts.headers);
        if let Err(retry_after) = limiter.check(&key) {
            Counters::bump(&shared.counters.rate_limited);
            return Ok(with_version(resp::rate_limited(retry_after)));
        }
    }
    let path = decoded_path(raw_path);
    let routed = route(&parts.method, &path);
    if let Routed::Found(op, _) = &routed {
        Counters::bump(&shared.counters.operations[*op as usize]);
    }
    // Authentication runs before routing: a bad token is 401 whatever the path.
    let token = match auth::authenticate(&shared.tokens(), &parts.headers) {
        Ok(t) => t,
        Err(res) => return Ok(with_version(res)),
    };
    let (op, params) = match routed {
        Routed::Found(op, params) => (op, params.into_iter().map(str::to_owned).collect()),
        Routed::MethodNotAllowed(allow) => {
            return Ok(with_version(resp::method_not_allowed(&allow)));
        }
        Routed::Redirect(to) => return Ok(with_version(resp::redirect(&location(&parts, &to)))),
        Routed::NotFound => return Ok(with_version(resp::route_not_found())),
    };
    let write = write_scope(op);
    let json_body = if matches!(op.method(), Method::POST | Method::PATCH) {
        match body::read_json(&parts.headers, body, shared.config.max_body_bytes).await? {
            body::ReadBody::Json(v) => Ok(v),
            body::ReadBody::Refused(res) => return Ok(with_version(res)),
            body::ReadBody::Invalid(res) => Err(res),
        }
    } else {
        drop(body);
        Ok(Value::Null)
    };
    let access = match auth::authorize(token, write) {
        Ok(a) => a,
        Err(res) => return Ok(with_version(res)),
    };
    let json_body = match json_body {
        Ok(v) => Some(v),
        Err(res) => return Ok(with_version(res)),
    };
    let pairs = input::query_pairs(parts.uri.query());
    Ok(with_version(operation(
        shared, op, params, json_body, &pairs, &access,
    )))
}

/// The scope a write needs (the 403 names it); `None` for a read.
fn write_scope(route: Route) -> Option<&'static str> {
    if route.method() == Method::GET {
        None
    } else if route.template().starts_with("/v1/customer-sessions/") {
        Some("customer_sessions:write")
    } else if route.template().contains("/members") {
        Some("members:write")
    } else {
        Some("customers:write")
    }
}

/// Whether the route finds its customer by external ID (its first path parameter).
pub(crate) fn by_external_id(route: Route) -> bool {
    route.template().contains("{external_id}")
}

/// The customer a route's first path parameter names.
pub(crate) fn customer_key(route: Route, param: &str) -> Result<Key<'_>, Vec<Issue>> {
    if by_external_id(route) {
        Ok(Key::External(param))
    } else {
        path_id(param).map(Key::Id)
    }
}

fn operation(
    shared: &Arc<Shared>,
    op: Route,
    params: Vec<String>,
    body: Option<Value>,
    pairs: &[(String, String)],
    access: &Access,
) -> Res {
    let rules = &shared.config.deliverability;
    let param = params.first().cloned().unwrap_or_default();
    let key = || customer_key(op, &param);
    let body = body.unwrap_or(Value::Null);
    let result: Result<Res, Res> = (|| match op {
        Route::CustomersList => {
            let q = input::parse_list(pairs).map_err(|e| resp::invalid(&e, false))?;
            let page = shared.store().list(access, &q);
            Ok(resp::json(StatusCode::OK, &page))
        }
        Route::CustomersCreate => {
            let input = input::parse_create(&body, rules).map_err(|e| resp::invalid(&e, false))?;
            let created = shared.store().create(access, input).map_err(refusal)?;
            crate::events::customer_changed(shared, "customer.created", &created);
            Ok(resp::json(StatusCode::CREATED, &created))
        }
        Route::CustomersExport => {
            let filter = input::parse_export(pairs).map_err(|e| resp::invalid(&e, false))?;
            let orgs = Store::export_orgs(access, &filter);
            let mut res = resp::with_body(
                StatusCode::OK,
                "text/csv; charset=utf-8",
                FakeBody::csv(shared.clone(), orgs),
            );
            res.headers_mut().insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"polar-customers.csv\""),
            );
            Ok(res)
        }
        Route::CustomersGet | Route::CustomersGetExternal => {
            let k = key().map_err(|e| resp::invalid(&e, false))?;
            let c = shared.store().get(access, k).map_err(refusal)?;
            Ok(resp::json(StatusCode::OK, &c))
        }
        Route::CustomersGetState | Route::CustomersGetStateExternal => {
            let k = key().map_err(|e| resp::invalid(&e, false))?;
            let c = shared.store().state(access, k).map_err(refusal)?;
            Ok(resp::json(StatusCode::OK, &c))
        }
        Route::CustomersUpdate | Route::CustomersUpdateExternal => {
            let by_ext = by_external_id(op);
            let (k, input) = both(key(), input::parse_update(&body, by_ext, rules))?;
            let c = shared.store().update(access, k, input).map_err(refusal)?;
            crate::events::customer_changed(shared, "customer.updated", &c);
            Ok(resp::json(StatusCode::OK, &c))
        }
        Route::CustomersDelete | Route::CustomersDeleteExternal => {
            let (k, anonymize) =
                input::parse_delete(pairs, key()).map_err(|e| resp::invalid(&e, false))?;
            let before = shared.store().get(access, k).ok(); // for the webhook
            shared
                .store()
                .delete(access, k, anonymize)
                .map_err(refusal)?;
            crate::events::customer_deleted(shared, before);
            Ok(resp::empty(StatusCode::NO_CONTENT))
        }
        Route::CustomersListPaymentMethods | Route::CustomersListPaymentMethodsExternal => {
            payment_methods::list(shared, op, &param, pairs, access)
        }
        Route::CustomersMembersCreate | Route::CustomersMembersCreateExternal => {
            members::create(shared, op, &params, &body, access)
        }
        Route::CustomersMembersGet | Route::CustomersMembersGetExternal => {
            members::get(shared, op, &params, access)
        }
        Route::CustomersMembersUpdate | Route::CustomersMembersUpdateExternal => {
            members::update(shared, op, &params, &body, access)
        }
        Route::CustomersMembersDelete | Route::CustomersMembersDeleteExternal => {
            members::delete(shared, op, &params, access)
        }
        Route::CustomersMembersList | Route::CustomersMembersListExternal => {
            members::list(shared, op, &param, pairs, access)
        }
        Route::CustomerSessionsCreate => sessions::create(shared, &body, access),
        Route::CustomerMetersList => meters::list(shared, pairs, access),
        Route::CustomerMetersGet => meters::get(shared, &param, access),
    })();
    result.unwrap_or_else(|res| res)
}
