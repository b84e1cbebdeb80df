//! Request handling: faults, rate limit, version, routing, body, auth, then the operation.

// Early answers (401, 404, 422 ...) travel as `Err(Response)`; they are the cold path, so the size
// of `http::Response` in a `Result` does not matter here.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::Value;
use uuid::Uuid;

use crate::body::FakeBody;
use crate::control::{Counters, Fault, Faults, RateLimiter};
use crate::input;
use crate::issue::{Issue, at, missing, not_an_object, root, uuid_issue};
use crate::response::{self as resp, Res};
use crate::store::{Access, Key, Refusal, Store};
use crate::{FakeError, FakePolar, Operation};

/// Locks a mutex; a poisoned lock (a panic elsewhere) is taken over rather than propagated.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What a token may reach and do.
#[derive(Clone, Debug)]
pub(crate) struct TokenInfo {
    pub orgs: Vec<Uuid>,
    pub write: bool,
}

/// Settings fixed at build time.
#[derive(Debug)]
pub(crate) struct Config {
    pub versions: Vec<String>,
    pub default_version: String,
    pub sandbox: bool,
    pub max_body_bytes: usize,
    pub check_email_domains: bool,
}

/// Everything one fake holds; shared by its clones and by its server.
#[derive(Debug)]
pub(crate) struct Shared {
    pub store: Mutex<Store>,
    pub tokens: RwLock<HashMap<String, TokenInfo>>,
    pub organizations: RwLock<Vec<Uuid>>,
    pub config: Config,
    pub limiter: Option<RateLimiter>,
    pub faults: Mutex<Faults>,
    pub counters: Counters,
    pub webhooks: crate::webhooks::Webhooks,
}

impl Shared {
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<B> tower_service::Service<Request<B>> for FakePolar
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response<FakeBody>;
    type Error = FakeError;
    type Future = Pin<Box<dyn Future<Output = Result<Response<FakeBody>, FakeError>> + Send>>;

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
        Fault::Fail(status) => {
            Counters::bump(&shared.counters.injected);
            resp::injected(status)
        }
        Fault::None => dispatch(&shared, req).await?,
    };
    shared.counters.status(res.status());
    if shared.config.sandbox {
        res.headers_mut()
            .insert("x-polar-sandbox", HeaderValue::from_static("1"));
    }
    Ok(res)
}

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

/// Matches a raw path against a pattern; answers the (still percent-encoded) parameter.
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

enum Routed<'p> {
    Found(Operation, Option<&'p str>),
    MethodNotAllowed(String),
    Redirect(String),
    NotFound,
}

fn route<'p>(method: &Method, path: &'p str) -> Routed<'p> {
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

/// The absolute URL for a redirect, built like the server does from the request.
fn location(parts: &http::request::Parts, path: &str) -> String {
    let query = parts
        .uri
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let origin = match (parts.uri.scheme_str(), parts.uri.authority()) {
        (Some(s), Some(a)) => format!("{s}://{a}"),
        _ => match parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
        {
            Some(host) => format!("http://{host}"),
            None => String::new(),
        },
    };
    format!("{origin}{path}{query}")
}

fn decode_segment(seg: &str) -> String {
    percent_encoding::percent_decode_str(seg)
        .decode_utf8_lossy()
        .into_owned()
}

/// Reads the JSON body. `Ok(Err(res))` is an HTTP answer (413 or 422), `Err` a broken connection.
async fn read_json<B>(
    headers: &HeaderMap,
    body: B,
    max: usize,
) -> Result<Result<Value, Res>, FakeError>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Ok(Err(resp::too_large(max)));
    }
    let bytes = match Limited::new(body, max).collect().await {
        Ok(c) => c.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return Ok(Err(resp::too_large(max)));
        }
        Err(e) => return Err(FakeError::body(e)),
    };
    if bytes.is_empty() {
        return Ok(Err(resp::invalid(
            &[missing(root("body"), Value::Null)],
            false,
        )));
    }
    let is_json = match headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        None => true,
        Some(ct) => {
            let mime = ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            mime == "application/json" || mime.ends_with("+json")
        }
    };
    if !is_json {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        return Ok(Err(resp::invalid(
            &[not_an_object(root("body"), Value::String(text))],
            false,
        )));
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(v) => Ok(Ok(v)),
        Err(e) => {
            let pos = json_error_offset(&bytes, e.line(), e.column());
            let full = e.to_string();
            let msg = full.split(" at line ").next().unwrap_or(&full).to_owned();
            let issue = Issue::new(
                "json_invalid",
                at(&root("body"), pos),
                "JSON decode error",
                serde_json::json!({}),
            )
            .with_ctx(serde_json::json!({ "error": msg }));
            Ok(Err(resp::invalid(&[issue], false)))
        }
    }
}

fn json_error_offset(bytes: &[u8], line: usize, column: usize) -> u64 {
    let mut offset = 0usize;
    for (i, l) in bytes.split(|b| *b == b'\n').enumerate() {
        if i + 1 >= line {
            break;
        }
        offset += l.len() + 1;
    }
    (offset + column.saturating_sub(1)) as u64
}

/// Checks the bearer token and `Polar-Organization`; answers what the request may see.
fn authenticate(shared: &Shared, headers: &HeaderMap, write: bool) -> Result<Access, Res> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return Err(resp::unauthorized());
    };
    let info = shared
        .tokens
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(token)
        .cloned();
    let Some(info) = info else {
        return Err(resp::invalid_token());
    };
    if write && !info.write {
        return Err(resp::insufficient_scope("customers:write"));
    }
    let mut orgs = info.orgs;
    if let Some(raw) = headers.get("polar-organization") {
        let raw = String::from_utf8_lossy(raw.as_bytes()).into_owned();
        let loc = at(&root("header"), "polar-organization");
        if let Some(issue) = uuid_issue(loc, &raw) {
            return Err(resp::invalid(&[issue], false));
        }
        let Ok(org) = Uuid::parse_str(&raw) else {
            return Err(resp::not_permitted());
        };
        if !orgs.contains(&org) {
            return Err(resp::not_permitted());
        }
        orgs = vec![org];
    }
    Ok(Access { orgs })
}

fn refusal(r: Refusal) -> Res {
    match r {
        Refusal::NotFound => resp::resource_not_found(),
        Refusal::Invalid(issues) => resp::invalid(&issues, true),
    }
}

fn path_id(raw: &str) -> Result<Uuid, Vec<Issue>> {
    let decoded = decode_segment(raw);
    match uuid_issue(at(&root("path"), "id"), &decoded) {
        Some(issue) => Err(vec![issue]),
        None => Uuid::parse_str(&decoded).map_err(|_| Vec::new()),
    }
}

/// Like FastAPI, reports the issues of every parameter (path first, then query or body) at once.
fn both<A, B>(a: Result<A, Vec<Issue>>, b: Result<B, Vec<Issue>>) -> Result<(A, B), Res> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (a, b) => {
            let mut issues = a.err().unwrap_or_default();
            issues.extend(b.err().unwrap_or_default());
            Err(resp::invalid(&issues, false))
        }
    }
}

async fn dispatch<B>(shared: &Arc<Shared>, req: Request<B>) -> Result<Res, FakeError>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    if let Some(limiter) = &shared.limiter
        && (path == "/v1" || path.starts_with("/v1/"))
    {
        let key = parts
            .headers
            .get(header::AUTHORIZATION)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default();
        if let Err(secs) = limiter.check(&key) {
            Counters::bump(&shared.counters.rate_limited);
            return Ok(resp::rate_limited(secs));
        }
    }
    let version = match parts.headers.get("polar-version") {
        None => shared.config.default_version.clone(),
        Some(v) => {
            let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
            if !shared.config.versions.contains(&v) {
                return Ok(resp::route_not_found());
            }
            v
        }
    };
    let mut res = routed(shared, parts, body).await?;
    if let Ok(v) = HeaderValue::from_str(&version) {
        res.headers_mut().insert("polar-version", v);
    }
    Ok(res)
}

/// Everything after the version check; every answer from here carries `Polar-Version`.
async fn routed<B>(
    shared: &Arc<Shared>,
    parts: http::request::Parts,
    body: B,
) -> Result<Res, FakeError>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let path = parts.uri.path();
    let (op, param) = match route(&parts.method, path) {
        Routed::Found(op, param) => (op, param.map(decode_segment)),
        Routed::MethodNotAllowed(allow) => return Ok(resp::method_not_allowed(&allow)),
        Routed::Redirect(to) => return Ok(resp::redirect(&location(&parts, &to))),
        Routed::NotFound => return Ok(resp::route_not_found()),
    };
    Counters::bump(&shared.counters.operations[op.index()]);
    let json_body = if matches!(
        op,
        Operation::Create | Operation::Update | Operation::UpdateExternal
    ) {
        match read_json(&parts.headers, body, shared.config.max_body_bytes).await? {
            Ok(v) => Some(v),
            Err(res) => return Ok(res),
        }
    } else {
        drop(body);
        None
    };
    let write = matches!(
        op,
        Operation::Create
            | Operation::Update
            | Operation::UpdateExternal
            | Operation::Delete
            | Operation::DeleteExternal
    );
    let access = match authenticate(shared, &parts.headers, write) {
        Ok(a) => a,
        Err(res) => return Ok(res),
    };
    let pairs = input::query_pairs(parts.uri.query());
    Ok(operation(shared, op, param, json_body, &pairs, &access))
}

fn operation(
    shared: &Arc<Shared>,
    op: Operation,
    param: Option<String>,
    body: Option<Value>,
    pairs: &[(String, String)],
    access: &Access,
) -> Res {
    let check = shared.config.check_email_domains;
    let param = param.unwrap_or_default();
    let key = || -> Result<Key<'_>, Vec<Issue>> {
        match op {
            Operation::GetExternal
            | Operation::UpdateExternal
            | Operation::DeleteExternal
            | Operation::GetStateExternal => Ok(Key::External(param.as_str())),
            _ => path_id(&param).map(Key::Id),
        }
    };
    let body = body.unwrap_or(Value::Null);
    let result: Result<Res, Res> = (|| match op {
        Operation::List => {
            let q = input::parse_list(pairs).map_err(|e| resp::invalid(&e, false))?;
            let page = shared.store().list(access, &q);
            Ok(resp::json(StatusCode::OK, &page))
        }
        Operation::Create => {
            let input = input::parse_create(&body, check).map_err(|e| resp::invalid(&e, false))?;
            let created = shared.store().create(access, input).map_err(refusal)?;
            crate::webhooks::customer_changed(shared, "customer.created", &created);
            Ok(resp::json(StatusCode::CREATED, &created))
        }
        Operation::Export => {
            let filter = input::parse_export(pairs).map_err(|e| resp::invalid(&e, false))?;
            let orgs = Store::export_orgs(access, &filter);
            let mut res = resp::with_body(
                StatusCode::OK,
                "text/csv; charset=utf-8",
                FakeBody::csv(shared.clone(), orgs),
            );
            res.headers_mut().insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=polar-customers.csv"),
            );
            Ok(res)
        }
        Operation::Get | Operation::GetExternal => {
            let k = key().map_err(|e| resp::invalid(&e, false))?;
            let c = shared.store().get(access, k).map_err(refusal)?;
            Ok(resp::json(StatusCode::OK, &c))
        }
        Operation::GetState | Operation::GetStateExternal => {
            let k = key().map_err(|e| resp::invalid(&e, false))?;
            let c = shared.store().state(access, k).map_err(refusal)?;
            Ok(resp::json(StatusCode::OK, &c))
        }
        Operation::Update | Operation::UpdateExternal => {
            let by_ext = op == Operation::UpdateExternal;
            let (k, input) = both(key(), input::parse_update(&body, by_ext, check))?;
            let c = shared.store().update(access, k, input).map_err(refusal)?;
            crate::webhooks::customer_changed(shared, "customer.updated", &c);
            Ok(resp::json(StatusCode::OK, &c))
        }
        Operation::Delete | Operation::DeleteExternal => {
            let (k, anonymize) = both(key(), input::parse_delete(pairs))?;
            let before = shared.store().get(access, k).ok(); // for the webhook
            shared
                .store()
                .delete(access, k, anonymize)
                .map_err(refusal)?;
            crate::webhooks::customer_deleted(shared, before);
            Ok(resp::empty(StatusCode::NO_CONTENT))
        }
    })();
    result.unwrap_or_else(|res| res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing_follows_the_server() {
        assert!(matches!(
            route(&Method::GET, "/v1/customers/"),
            Routed::Found(Operation::List, None)
        ));
        assert!(matches!(
            route(&Method::POST, "/v1/customers/"),
            Routed::Found(Operation::Create, None)
        ));
        assert!(matches!(
            route(&Method::GET, "/v1/customers/export"),
            Routed::Found(Operation::Export, None)
        ));
        assert!(matches!(
            route(&Method::PATCH, "/v1/customers/export"),
            Routed::Found(Operation::Update, Some("export"))
        ));
        assert!(matches!(
            route(&Method::GET, "/v1/customers/abc"),
            Routed::Found(Operation::Get, Some("abc"))
        ));
        assert!(matches!(
            route(&Method::GET, "/v1/customers/abc/state"),
            Routed::Found(Operation::GetState, Some("abc"))
        ));
        assert!(matches!(
            route(&Method::DELETE, "/v1/customers/external/a%2Fb"),
            Routed::Found(Operation::DeleteExternal, Some("a%2Fb"))
        ));
        assert!(matches!(
            route(&Method::PUT, "/v1/customers/abc"),
            Routed::MethodNotAllowed(_)
        ));
        assert!(
            matches!(route(&Method::GET, "/v1/customers"), Routed::Redirect(p) if p == "/v1/customers/")
        );
        assert!(
            matches!(route(&Method::GET, "/v1/customers/abc/"), Routed::Redirect(p) if p == "/v1/customers/abc")
        );
        assert!(matches!(
            route(&Method::GET, "/v1/customers/abc/state/"),
            Routed::Redirect(_)
        ));
        assert!(matches!(
            route(&Method::GET, "/v1/customers/abc/payment-methods"),
            Routed::NotFound
        ));
        assert!(matches!(route(&Method::GET, "/v1/other"), Routed::NotFound));
        assert!(matches!(route(&Method::GET, "/"), Routed::NotFound));
        assert!(matches!(
            route(&Method::GET, "/v1/customers//state"),
            Routed::NotFound
        ));
    }

    #[test]
    fn json_offsets() {
        assert_eq!(json_error_offset(b"{\n  x", 2, 3), 4);
        assert_eq!(json_error_offset(b"{", 1, 1), 0);
    }
}
