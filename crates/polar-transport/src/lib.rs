//! The transport half of the Polar SDK: a `tower` stack over `hyper`.
//!
//! [`TransportBuilder`] assembles the default stack — tracing, call timeout, retry, rate limit,
//! attempt timeout, standard headers, bearer auth and base URL — over the network client
//! (`network::HyperTransport`: `hyper-util` + `rustls`, with a TLS [feature](#features)) or over any `tower::Service` you give
//! it ([`TransportBuilder::build_with`]). The result is one type-erased, cheap-to-clone
//! [`HttpService`].
//!
//! Each layer lives in its own module and can be used on its own. Failures that come from this
//! crate are [`Error`]s inside the [`BoxError`]; see the [`error`] module.
//!
//! ```
//! use polar_transport::{Body, TransportBuilder};
//! use tower::ServiceExt;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), polar_transport::BoxError> {
//! # #[cfg(feature = "mock")] {
//! use polar_transport::mock::{MockResponse, MockTransport};
//! let mock = MockTransport::new();
//! mock.push(MockResponse::json(200, &serde_json::json!({"items": [], "pagination": {"total_count": 0, "max_page": 0}})));
//! let service = TransportBuilder::new().token("polar_oat_example").build_with(mock.clone())?;
//! let res = service.oneshot(http::Request::get("/v1/customers/").body(Body::default())?).await?;
//! assert_eq!(res.status(), 200);
//! assert_eq!(mock.requests()[0].uri().to_string(), "https://api.polar.sh/v1/customers/");
//! # }
//! # Ok(())
//! # }
//! ```
//!
//! # Features
//!
//! TLS is chosen the way `hyper-rustls` users expect; the defaults are `rustls-ring` and
//! `webpki-roots`.
//!
//! | feature | what it brings |
//! |---|---|
//! | `rustls-ring` (default) | the network transport ([`TransportBuilder::build`], the `network` module) over rustls with the `ring` crypto provider |
//! | `rustls-aws-lc` | the same with the `aws-lc-rs` provider (it wins when both are enabled; its build compiles C code, so it needs a C compiler) |
//! | `webpki-roots` (default) | trust the root certificates bundled by `webpki-roots` |
//! | `native-roots` | trust the operating system's root certificates (it wins over `webpki-roots`) |
//! | `mock` | a scripted in-memory transport for tests (the `mock` module) |
//!
//! With `default-features = false` and no TLS feature, the crate compiles no TLS, `hyper` or
//! `hyper-util` at all: the stack runs over a service of yours with
//! [`TransportBuilder::build_with`], and `build` does not exist. A roots feature without a
//! crypto provider is refused at compile time, with a message saying so; a provider without a
//! roots feature compiles, and `build` then needs
//! [`TransportBuilder::tls_config`](TransportBuilder) (otherwise it fails with
//! [`BuildError::Tls`] saying which feature to enable).
#![deny(missing_docs)]
// The docs link to the network transport, absent without a TLS feature.
#![cfg_attr(
    not(any(feature = "rustls-ring", feature = "rustls-aws-lc")),
    allow(rustdoc::broken_intra_doc_links)
)]

// Root certificates without a crypto provider would be compiled for nothing: say what to fix.
#[cfg(all(
    any(feature = "webpki-roots", feature = "native-roots"),
    not(any(feature = "rustls-ring", feature = "rustls-aws-lc"))
))]
compile_error!(
    "polar-transport: `webpki-roots` / `native-roots` choose the root certificates of the network \
     transport, which needs a crypto provider: enable `rustls-ring` or `rustls-aws-lc` too, or \
     neither (no TLS at all, for `TransportBuilder::build_with` over your own service)"
);

mod body;
mod builder;
mod options;

pub mod auth;
pub mod base_uri;
pub mod error;
pub mod headers;
#[cfg(feature = "mock")]
pub mod mock;
#[cfg(any(feature = "rustls-ring", feature = "rustls-aws-lc"))]
pub mod network;
pub mod ratelimit;
// Hidden: the connection that the SDK's Redis-backed parts (the rate limiter's store here, the
// entitlements cache's shared level) keep through outages; shared between our crates, not part
// of this crate's stable API.
#[cfg(feature = "redis")]
#[doc(hidden)]
pub mod redis_link;
#[cfg(feature = "redis")]
pub mod redis_store;
pub mod retry;
pub mod timeout;
pub mod trace;

pub use body::{Body, BoxError, HttpService, ResponseBody, into_http_service};
pub use builder::{Server, TransportBuilder};
pub use error::{BuildError, Error, ErrorKind};
pub use options::{
    Attempts, EarlierAttemptMayHaveBeenProcessed, RequestOptions, RetryLater, RouteTemplate,
};
pub use ratelimit::{RateLimitConfig, RateLimiter};
pub use retry::{Backoff, RetryConfig};
