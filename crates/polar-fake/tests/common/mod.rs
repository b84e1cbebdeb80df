//! Talking to the fake through its `tower::Service` face, shared by the test files.
// Each test file uses the part it needs.
#![allow(dead_code)]

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use polar_fake::FakePolar;
use serde_json::Value;
use tower_service::Service;

/// A whole answer of the fake.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    /// The body as JSON (`null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `req` to the fake and reads the whole answer.
pub async fn send(fake: &FakePolar, req: Request<Full<Bytes>>) -> Answer {
    let res = fake.clone().call(req).await.expect("no fault injected");
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body,
    }
}

/// A request with `token`, and a JSON content type when it carries `body`.
pub fn request(
    token: &str,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> http::request::Builder {
    let b = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"));
    match body {
        Some(_) => b.header("content-type", "application/json"),
        None => b,
    }
}

/// `body` as the bytes of a request.
pub fn body_bytes(body: Option<&Value>) -> Full<Bytes> {
    Full::new(body.map(|v| Bytes::from(v.to_string())).unwrap_or_default())
}

/// Sends `method path` with `token` and `body` (JSON) and reads the whole answer.
pub async fn call(
    fake: &FakePolar,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Answer {
    let req = request(token, method, path, body.as_ref())
        .body(body_bytes(body.as_ref()))
        .unwrap();
    send(fake, req).await
}
