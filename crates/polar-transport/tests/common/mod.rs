//! A small hyper server on 127.0.0.1 for the tests, plus helpers.
#![allow(dead_code)]

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, Uri, Version};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use polar_transport::retry::Timer;
use tokio::net::TcpListener;

/// What the server saw of one request.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: Method,
    pub uri: Uri,
    pub version: Version,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// How the server answers one request.
pub enum Reply {
    /// Send this response.
    Respond(Response<Full<Bytes>>),
    /// Never answer (the connection stays open).
    Stall,
    /// Close the connection without answering.
    Close,
}

impl Reply {
    pub fn status(code: u16) -> Reply {
        Reply::Respond(
            Response::builder()
                .status(code)
                .body(Full::new(Bytes::from_static(b"{}")))
                .unwrap(),
        )
    }

    pub fn with_header(code: u16, name: &str, value: &str) -> Reply {
        Reply::Respond(
            Response::builder()
                .status(code)
                .header(name, value)
                .body(Full::new(Bytes::from_static(b"{}")))
                .unwrap(),
        )
    }

    pub fn json(code: u16, body: &'static str) -> Reply {
        Reply::Respond(
            Response::builder()
                .status(code)
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from_static(body.as_bytes())))
                .unwrap(),
        )
    }
}

type Handler = Arc<dyn Fn(&Seen, usize) -> Reply + Send + Sync>;

/// A running test server.
#[derive(Clone)]
pub struct TestServer {
    pub addr: SocketAddr,
    hits: Arc<AtomicUsize>,
    connections: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl TestServer {
    /// Requests received so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// All requests received.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Starts a plain HTTP/1.1 + HTTP/2 (prior knowledge) server answering with `handler`.
pub async fn serve(handler: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static) -> TestServer {
    serve_with(handler, None).await
}

/// Like [`serve`], over TLS when an acceptor is given.
pub async fn serve_with(
    handler: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static,
    tls: Option<tokio_rustls::TlsAcceptor>,
) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = TestServer {
        addr: listener.local_addr().unwrap(),
        hits: Arc::default(),
        connections: Arc::default(),
        seen: Arc::default(),
    };
    let handler: Handler = Arc::new(handler);
    let state = server.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            state.connections.fetch_add(1, Ordering::SeqCst);
            let state = state.clone();
            let handler = handler.clone();
            let tls = tls.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let state = state.clone();
                    let handler = handler.clone();
                    async move {
                        let (parts, body) = req.into_parts();
                        let body = body
                            .collect()
                            .await
                            .map(|c| c.to_bytes())
                            .unwrap_or_default();
                        let seen = Seen {
                            method: parts.method,
                            uri: parts.uri,
                            version: parts.version,
                            headers: parts.headers,
                            body,
                        };
                        let n = state.hits.fetch_add(1, Ordering::SeqCst);
                        state.seen.lock().unwrap().push(seen.clone());
                        match handler(&seen, n) {
                            Reply::Respond(res) => Ok(res),
                            Reply::Stall => {
                                std::future::pending::<()>().await;
                                unreachable!()
                            }
                            Reply::Close => Err(std::io::Error::other("closing on purpose")),
                        }
                    }
                });
                let builder = auto::Builder::new(TokioExecutor::new());
                match tls {
                    Some(acceptor) => {
                        if let Ok(stream) = acceptor.accept(stream).await {
                            let _ = builder.serve_connection(TokioIo::new(stream), svc).await;
                        }
                    }
                    None => {
                        let _ = builder.serve_connection(TokioIo::new(stream), svc).await;
                    }
                }
            });
        }
    });
    server
}

/// An address where nothing listens (connection refused): a port bound without listening. The
/// socket is kept for the rest of the test run, so the port cannot be handed to a server of a
/// test running at the same time (which a port closed after binding could be).
pub async fn refused_addr() -> SocketAddr {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = socket.local_addr().unwrap();
    std::mem::forget(socket);
    addr
}

/// A retry timer that does not wait at all and records the waits it was asked for.
#[derive(Clone, Default)]
pub struct InstantTimer {
    pub waits: Arc<Mutex<Vec<Duration>>>,
}

impl InstantTimer {
    pub fn waits(&self) -> Vec<Duration> {
        self.waits.lock().unwrap().clone()
    }
}

impl Timer for InstantTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        self.waits.lock().unwrap().push(duration);
        Box::pin(std::future::ready(()))
    }
}

/// `Infallible` helper for service_fn closures.
pub fn ok<T>(t: T) -> Result<T, Infallible> {
    Ok(t)
}

/// Empty request body.
pub fn empty() -> polar_transport::Body {
    polar_transport::Body::default()
}

/// Collects a response body.
pub async fn body_bytes(res: Response<polar_transport::ResponseBody>) -> Bytes {
    res.into_body().collect().await.unwrap().to_bytes()
}
