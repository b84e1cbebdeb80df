//! A scripted in-memory transport for tests (feature `mock`).
//!
//! [`MockTransport`] answers each request with the next queued reply (a [`MockResponse`], an
//! [`Error`] or a closure), or with a fallback closure when the queue is empty, and records every
//! request it sees. It is a plain `tower::Service`, so it works through
//! [`into_http_service`](crate::into_http_service) and under the whole default stack through
//! [`TransportBuilder::build_with`](crate::TransportBuilder::build_with). An empty queue without
//! a fallback is answered with an error, never a panic.
//!
//! `Debug` of a [`RecordedRequest`] masks `Authorization` and any header marked sensitive.
//!
//! ```
//! use http::Method;
//! use polar_transport::mock::{MockResponse, MockTransport};
//! use polar_transport::{Body, TransportBuilder};
//! use serde_json::json;
//! use tower::ServiceExt;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), polar_transport::BoxError> {
//! let mock = MockTransport::new();
//! mock.push(MockResponse::json(201, &json!({"id": "c1", "email": "a@b.c"})));
//!
//! let svc = TransportBuilder::new().token("polar_oat_secret").build_with(mock.clone())?;
//! let req = http::Request::post("/v1/customers/?b=2&a=1")
//!     .header("content-type", "application/json")
//!     .body(Body::from(r#"{"email":"a@b.c"}"#))?;
//! let res = svc.oneshot(req).await?;
//! assert_eq!(res.status(), 201);
//!
//! let sent = mock.single_request();
//! sent.assert_method(Method::POST).assert_path("/v1/customers/").assert_query(&[("a", "1"), ("b", "2")]);
//! assert_eq!(sent.header("authorization"), Some("Bearer polar_oat_secret"));
//! assert_eq!(sent.json_value()?, json!({"email": "a@b.c"}));
//! assert!(!format!("{sent:?}").contains("polar_oat_secret"));
//! # Ok(())
//! # }
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::pin::pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use bytes::{Bytes, BytesMut};
use http::header::{AUTHORIZATION, HeaderName};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Uri};
use http_body::Body as _;
use http_body_util::Full;
use tower_service::Service;

use crate::error::{Error, ErrorKind};
use crate::{Body, BoxError};

/// A canned response.
#[derive(Clone, Debug)]
pub struct MockResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl MockResponse {
    /// An empty response with the given status (an invalid code becomes 500).
    pub fn new(status: u16) -> Self {
        MockResponse {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    /// A response with a JSON body and `Content-Type: application/json`.
    pub fn json<T: serde::Serialize + ?Sized>(status: u16, body: &T) -> Self {
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        MockResponse::new(status)
            .with_header("content-type", "application/json")
            .with_body(bytes)
    }

    /// Adds a header (ignored if the name or value is invalid).
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            self.headers.append(n, v);
        }
        self
    }

    /// Sets the body bytes.
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    fn into_response(self) -> Response<Full<Bytes>> {
        let mut res = Response::new(Full::new(self.body));
        *res.status_mut() = self.status;
        *res.headers_mut() = self.headers;
        res
    }
}

type OnceResponder = dyn FnOnce(&RecordedRequest) -> Result<MockResponse, BoxError> + Send;
type Responder = dyn Fn(&RecordedRequest) -> Result<MockResponse, BoxError> + Send + Sync;

enum Reply {
    Response(MockResponse),
    Error(ErrorKind),
    Once(Box<OnceResponder>),
}

#[derive(Default)]
struct State {
    queue: VecDeque<Reply>,
    fallback: Option<Arc<Responder>>,
    requests: Vec<RecordedRequest>,
}

/// The scripted transport; see the [module docs](self). Clones share one script and record.
#[derive(Clone, Default)]
pub struct MockTransport {
    state: Arc<Mutex<State>>,
}

impl fmt::Debug for MockTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.lock();
        f.debug_struct("MockTransport")
            .field("queued", &st.queue.len())
            .field("has_fallback", &st.fallback.is_some())
            .field("requests", &st.requests)
            .finish()
    }
}

impl MockTransport {
    /// An empty mock.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues a response.
    pub fn push(&self, response: MockResponse) -> &Self {
        self.lock().queue.push_back(Reply::Response(response));
        self
    }

    /// Queues an error of the given kind (for example [`ErrorKind::Connect`]).
    pub fn push_error(&self, kind: ErrorKind) -> &Self {
        self.lock().queue.push_back(Reply::Error(kind));
        self
    }

    /// Queues a closure that builds the reply from the request.
    pub fn push_fn(
        &self,
        f: impl FnOnce(&RecordedRequest) -> Result<MockResponse, BoxError> + Send + 'static,
    ) -> &Self {
        self.lock().queue.push_back(Reply::Once(Box::new(f)));
        self
    }

    /// Answers every request with `f` once the queue is empty.
    pub fn respond_with(
        &self,
        f: impl Fn(&RecordedRequest) -> Result<MockResponse, BoxError> + Send + Sync + 'static,
    ) -> &Self {
        self.lock().fallback = Some(Arc::new(f));
        self
    }

    /// Every request seen so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// The number of requests seen so far.
    pub fn request_count(&self) -> usize {
        self.lock().requests.len()
    }

    /// The only request seen.
    ///
    /// # Panics
    /// When the mock saw no request or more than one (this is a test assertion).
    pub fn single_request(&self) -> RecordedRequest {
        let reqs = self.requests();
        assert_eq!(reqs.len(), 1, "expected exactly one request, got {reqs:?}");
        reqs.into_iter().next().expect("one request")
    }

    /// The number of queued replies not used yet.
    pub fn remaining(&self) -> usize {
        self.lock().queue.len()
    }

    fn answer(&self, req: Request<Body>) -> Result<Response<Full<Bytes>>, BoxError> {
        let recorded = RecordedRequest::from_request(req);
        let (reply, fallback) = {
            let mut st = self.lock();
            st.requests.push(recorded.clone());
            (st.queue.pop_front(), st.fallback.clone())
        };
        let response = match (reply, fallback) {
            (Some(Reply::Response(r)), _) => Ok(r),
            (Some(Reply::Error(kind)), _) => Err(Error::new(kind).into()),
            (Some(Reply::Once(f)), _) => f(&recorded),
            (None, Some(f)) => f(&recorded),
            (None, None) => Err(Error::with_source(
                ErrorKind::Other,
                format!(
                    "mock transport: no response queued for {} {}",
                    recorded.method,
                    recorded.uri.path()
                ),
            )
            .into()),
        };
        response.map(MockResponse::into_response)
    }
}

impl Service<Request<Body>> for MockTransport {
    type Response = Response<Full<Bytes>>;
    type Error = BoxError;
    type Future = std::future::Ready<Result<Self::Response, BoxError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        std::future::ready(self.answer(req))
    }
}

/// A request as the mock saw it.
#[derive(Clone)]
pub struct RecordedRequest {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    extensions: http::Extensions,
    body: Bytes,
}

fn full_bytes(body: Body) -> Bytes {
    let mut body = pin!(body);
    let mut cx = Context::from_waker(Waker::noop());
    let mut out = BytesMut::new();
    while let Poll::Ready(Some(Ok(frame))) = body.as_mut().poll_frame(&mut cx) {
        if let Ok(data) = frame.into_data() {
            out.extend_from_slice(&data);
        }
    }
    out.freeze()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len()
                && bytes[i + 1].is_ascii_hexdigit()
                && bytes[i + 2].is_ascii_hexdigit() =>
            {
                match u8::from_str_radix(&s[i + 1..i + 3], 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl RecordedRequest {
    fn from_request(req: Request<Body>) -> Self {
        let (parts, body) = req.into_parts();
        RecordedRequest {
            method: parts.method,
            uri: parts.uri,
            headers: parts.headers,
            extensions: parts.extensions,
            body: full_bytes(body),
        }
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The full URI as sent to the transport (absolute under the default stack).
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The path, without query.
    pub fn path(&self) -> &str {
        self.uri.path()
    }

    /// The raw query string, if any.
    pub fn query(&self) -> Option<&str> {
        self.uri.query()
    }

    /// The query as decoded `(key, value)` pairs, in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        self.query()
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (percent_decode(k), percent_decode(v))
            })
            .collect()
    }

    /// The headers (unmasked: assert on them directly).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The request's extensions (for example `RequestOptions`, `RouteTemplate`).
    pub fn extensions(&self) -> &http::Extensions {
        &self.extensions
    }

    /// One header's value as text, if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body bytes.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The body parsed as JSON into `T`.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    /// The body parsed as a JSON value.
    pub fn json_value(&self) -> Result<serde_json::Value, serde_json::Error> {
        self.json()
    }

    /// Asserts the method.
    ///
    /// # Panics
    /// When it differs (a test assertion).
    #[track_caller]
    pub fn assert_method(&self, method: Method) -> &Self {
        assert_eq!(self.method, method, "unexpected method in {self:?}");
        self
    }

    /// Asserts the path (without query).
    ///
    /// # Panics
    /// When it differs (a test assertion).
    #[track_caller]
    pub fn assert_path(&self, path: &str) -> &Self {
        assert_eq!(self.path(), path, "unexpected path in {self:?}");
        self
    }

    /// Asserts the decoded query pairs, ignoring order (repeated keys must match in number).
    ///
    /// # Panics
    /// When they differ (a test assertion).
    #[track_caller]
    pub fn assert_query(&self, expected: &[(&str, &str)]) -> &Self {
        let mut got = self.query_pairs();
        got.sort();
        let mut want: Vec<(String, String)> = expected
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        want.sort();
        assert_eq!(got, want, "unexpected query in {self:?}");
        self
    }

    /// Asserts a header's value.
    ///
    /// # Panics
    /// When it is missing or differs (a test assertion).
    #[track_caller]
    pub fn assert_header(&self, name: &str, value: &str) -> &Self {
        assert_eq!(
            self.header(name),
            Some(value),
            "unexpected header {name} in {self:?}"
        );
        self
    }

    /// Asserts the JSON body equals `expected`.
    ///
    /// # Panics
    /// When the body is not JSON or differs (a test assertion).
    #[track_caller]
    pub fn assert_json(&self, expected: &serde_json::Value) -> &Self {
        let got = self.json_value();
        assert!(
            got.as_ref().is_ok_and(|g| g == expected),
            "unexpected JSON body {got:?} in {self:?}"
        );
        self
    }
}

struct MaskedHeaders<'a>(&'a HeaderMap);

impl fmt::Debug for MaskedHeaders<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        for (name, value) in self.0 {
            if name == AUTHORIZATION || value.is_sensitive() {
                m.entry(name, &"[redacted]");
            } else {
                m.entry(name, value);
            }
        }
        m.finish()
    }
}

impl fmt::Debug for RecordedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordedRequest")
            .field("method", &self.method)
            .field("uri", &self.uri)
            .field("headers", &MaskedHeaders(&self.headers))
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
    }
}
