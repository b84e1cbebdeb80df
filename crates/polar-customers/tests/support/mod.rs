//! Shared helpers of the integration tests: a hyper server on 127.0.0.1 and a plain client.
#![allow(dead_code)]

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use percent_encoding::percent_decode_str;
use polar_customers::Client;

/// The body type handlers answer with.
pub type ServerBody = BoxBody<Bytes, Infallible>;

/// A full body.
pub fn full(bytes: impl Into<Bytes>) -> ServerBody {
    Full::new(bytes.into()).boxed()
}

/// A JSON response.
pub fn json_response(status: u16, value: &serde_json::Value) -> Response<ServerBody> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(full(serde_json::to_vec(value).unwrap()))
        .unwrap()
}

/// Serves `handler` on a fresh loopback port until the test's runtime ends.
pub async fn serve<F, Fut>(handler: F) -> SocketAddr
where
    F: Fn(Request<Incoming>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response<ServerBody>> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let handler = Arc::new(handler);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let handler = handler.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let fut = handler(req);
                    async move { Ok::<_, Infallible>(fut.await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// A client that sends every request to `addr` over plain HTTP with a bare hyper client
/// (no auth, retry or headers layers: what the SDK sends is what the server sees).
pub fn plain_client(addr: SocketAddr) -> Client {
    let hyper_client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let service =
        tower::ServiceExt::map_request(hyper_client, move |mut req: Request<Full<Bytes>>| {
            let pq = req
                .uri()
                .path_and_query()
                .map(|pq| pq.as_str().to_owned())
                .unwrap_or_else(|| "/".into());
            *req.uri_mut() = format!("http://{addr}{pq}").parse().unwrap();
            req
        });
    Client::from_service(service)
}

/// A client over the SDK's default network stack (auth, headers, retry, timeouts) that sends to
/// `addr` over plain HTTP, without a rate limit.
pub fn stack_client(addr: SocketAddr, token: &str) -> Client {
    Client::builder()
        .token(token)
        .base_url(&format!("http://{addr}"))
        .allow_http(true)
        .disable_rate_limit()
        .build()
        .unwrap()
}

/// External IDs that would break a path if sent raw: separators, dot-segments, escapes,
/// unicode, and 1 KiB ones.
pub fn corpus() -> Vec<String> {
    let mut ids: Vec<String> = [
        "a/b",
        "x?y=1",
        "user#1",
        "..",
        ".",
        "%2F",
        "é",
        "a b",
        "a+b",
        "a;b=c",
        "a&b",
        "../../admin",
        "./x",
        "\\",
        "a%",
        "%",
        "?",
        "#",
        "/",
        "//",
        "~user",
        "日本語",
        "emoji🙂",
        "tab\tx",
        "\"quoted\"",
        "<script>",
        "null",
        "a:b@c",
        "[::1]",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    ids.push("k/é?#.".repeat(1024 / 6 + 1)[..1024].to_string());
    ids.push("x".repeat(1024));
    ids
}

/// Splits the raw path the server received and percent-decodes each segment.
pub fn decoded_segments(raw_path: &str) -> Vec<String> {
    raw_path
        .strip_prefix('/')
        .unwrap()
        .split('/')
        .map(|seg| percent_decode_str(seg).decode_utf8().unwrap().into_owned())
        .collect()
}
