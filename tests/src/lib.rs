//! Shared harness of the end-to-end tests: one fake Polar, reached either over real loopback HTTP
//! or in-process, always through the SDK's full default transport stack.
//!
//! ```
//! use polar_e2e::{Harness, Transport};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let h = Harness::start(Transport::InProcess, polar_fake::FakePolar::new()).await;
//! let page = h.client().customers().list().await.unwrap();
//! assert_eq!(page.pagination.total_count, 0);
//! # }
//! ```
#![deny(missing_docs)]

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use polar_customers::{Client, ClientBuilder};
use polar_fake::{FakePolar, ServeHandle};
use polar_transport::{Body, BoxError, HttpService, ResponseBody};

pub mod redis_server;

/// How the client reaches the fake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// The fake served on `127.0.0.1:<free port>`, the client on the network transport (hyper).
    Served,
    /// The fake as the innermost `tower::Service` of the client's stack: no socket.
    InProcess,
}

/// A fake Polar and the means to build clients of it.
#[derive(Debug)]
pub struct Harness {
    /// The fake (shared with the server, if any).
    pub fake: FakePolar,
    /// How clients reach it.
    pub transport: Transport,
    server: Option<ServeHandle>,
}

impl Harness {
    /// Starts `fake` for `transport` (binds a loopback port for [`Transport::Served`]).
    ///
    /// # Panics
    /// When no loopback port can be bound (a broken test machine).
    pub async fn start(transport: Transport, fake: FakePolar) -> Harness {
        let server = match transport {
            Transport::Served => Some(fake.serve("127.0.0.1:0").await.expect("bind 127.0.0.1:0")),
            Transport::InProcess => None,
        };
        Harness {
            fake,
            transport,
            server,
        }
    }

    /// The served fake's base URL (`None` in-process).
    pub fn url(&self) -> Option<String> {
        self.server.as_ref().map(ServeHandle::url)
    }

    /// A client builder with the fake's token (the client-side rate limiter stays on, as it is
    /// by default).
    pub fn builder(&self) -> ClientBuilder {
        Client::builder().token(self.fake.token())
    }

    /// Builds a client from `builder` for this harness's transport.
    ///
    /// # Panics
    /// When the builder is refused (a bug in the test).
    pub fn build(&self, builder: ClientBuilder) -> Client {
        match &self.server {
            Some(server) => builder.base_url(&server.url()).allow_http(true).build(),
            None => builder.build_with(self.fake.clone()),
        }
        .expect("client builds")
    }

    /// A client with the default stack and the fake's token.
    pub fn client(&self) -> Client {
        self.build(self.builder())
    }

    /// A client with another token.
    pub fn client_with_token(&self, token: &str) -> Client {
        self.build(Client::builder().token(token))
    }
}

/// The statuses of every attempt that went through it, as a transport layer.
///
/// Add it with `ClientBuilder::configure_transport(|t| t.layer(log.clone()))`; it then sees each
/// attempt (retries included) just above the network.
#[derive(Clone, Debug, Default)]
pub struct StatusLog {
    seen: Arc<Mutex<Vec<u16>>>,
}

impl StatusLog {
    /// A new, empty log.
    pub fn new() -> Self {
        StatusLog::default()
    }

    /// Takes the statuses recorded since the last call.
    pub fn take(&self) -> Vec<u16> {
        std::mem::take(&mut *self.seen.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl tower::Layer<HttpService> for StatusLog {
    type Service = Recording;

    fn layer(&self, inner: HttpService) -> Recording {
        Recording {
            inner,
            seen: self.seen.clone(),
        }
    }
}

/// The service a [`StatusLog`] wraps around the transport.
#[derive(Clone)]
pub struct Recording {
    inner: HttpService,
    seen: Arc<Mutex<Vec<u16>>>,
}

impl std::fmt::Debug for Recording {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recording").finish_non_exhaustive()
    }
}

type Res = http::Response<ResponseBody>;

impl tower::Service<http::Request<Body>> for Recording {
    type Response = Res;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Res, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        let fut = self.inner.call(req);
        let seen = self.seen.clone();
        Box::pin(async move {
            let res = fut.await?;
            seen.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(res.status().as_u16());
            Ok(res)
        })
    }
}

/// The guides in `docs/` and the crates' READMEs, compiled and run as doctests so that their
/// examples stay true.
#[cfg(doctest)]
mod guides {
    #[doc = include_str!("../../docs/getting-started.md")]
    struct GettingStarted;
    #[doc = include_str!("../../docs/testing.md")]
    struct Testing;
    #[doc = include_str!("../../docs/middleware.md")]
    struct Middleware;
    #[doc = include_str!("../../docs/errors.md")]
    struct Errors;
    #[doc = include_str!("../../docs/scaling.md")]
    struct Scaling;
    #[doc = include_str!("../../docs/webhooks.md")]
    struct Webhooks;
    #[doc = include_str!("../../docs/entitlements.md")]
    struct Entitlements;
    #[doc = include_str!("../../crates/polar-types/README.md")]
    struct ReadmeTypes;
    #[doc = include_str!("../../crates/polar-customers/README.md")]
    struct ReadmeCustomers;
    #[doc = include_str!("../../crates/polar-fake/README.md")]
    struct ReadmeFake;
    #[doc = include_str!("../../crates/polar-webhooks/README.md")]
    struct ReadmeWebhooks;
    #[doc = include_str!("../../crates/polar-entitlements/README.md")]
    struct ReadmeEntitlements;
}

/// Runs each listed `async fn(Transport)` of the calling module twice, as tests: over real
/// loopback HTTP (module `served`) and in-process (module `in_process`).
#[macro_export]
macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        mod served {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Transport::Served).await;
                }
            )*
        }
        mod in_process {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Transport::InProcess).await;
                }
            )*
        }
    };
}
