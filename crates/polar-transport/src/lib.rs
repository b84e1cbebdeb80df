//! The transport half of the Polar SDK: a `tower` stack over `hyper`.
//!
//! [`TransportBuilder`] assembles the default stack — tracing, call timeout, retry, rate limit,
//! attempt timeout, standard headers, bearer auth and base URL — over the network client
//! ([`network::HyperTransport`]: `hyper-util` + `rustls`) or over any `tower::Service` you give
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
#![deny(missing_docs)]

mod body;
mod builder;
mod options;

pub mod auth;
pub mod base_uri;
pub mod error;
pub mod headers;
#[cfg(feature = "mock")]
pub mod mock;
pub mod network;
pub mod ratelimit;
#[cfg(feature = "redis")]
pub mod redis_store;
pub mod retry;
pub mod timeout;
pub mod trace;

pub use body::{Body, BoxError, HttpService, ResponseBody, into_http_service};
pub use builder::{Server, TransportBuilder};
pub use error::{BuildError, Error, ErrorKind};
pub use options::{Attempts, RequestOptions, RouteTemplate};
pub use ratelimit::{RateLimitConfig, RateLimiter};
pub use retry::{Backoff, RetryConfig};
