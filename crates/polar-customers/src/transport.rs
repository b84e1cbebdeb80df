//! What you configure, extend or test the client's transport with, re-exported from
//! `polar-transport` so that depending on this crate alone is enough.
//!
//! - **Configuring** the default stack: [`TransportBuilder`] (reached from
//!   [`ClientBuilder::configure_transport`](crate::ClientBuilder::configure_transport)),
//!   [`Server`], [`retry::RetryConfig`], [`ratelimit::RateLimitConfig`], and per request
//!   [`RequestOptions`].
//! - **Adding a layer** with [`TransportBuilder::layer`], or **replacing the network** with
//!   [`ClientBuilder::build_with`](crate::ClientBuilder::build_with) or
//!   [`Client::from_service`](crate::Client::from_service): the request and response types
//!   ([`Body`], [`ResponseBody`], [`HttpService`], [`BoxError`]) and what the stack puts in a
//!   request's or response's extensions ([`RouteTemplate`], [`Attempts`],
//!   [`EarlierAttemptMayHaveBeenProcessed`], and [`RetryLater`], which a request sent again
//!   later carries in [`RequestOptions::resume`] to go on with the same call).
//! - **Deciding retries**: [`retry::Classify`] and its [`retry::Classification`], the
//!   [`retry::DefaultClassifier`] to defer to, [`retry::Backoff`], and [`retry::Timer`] to
//!   drive waits in tests.
//! - **Sharing the rate limit**: [`ratelimit::RateLimiter`] over a [`ratelimit::RateLimitStore`]
//!   (the in-process [`ratelimit::LocalStore`], `redis_store::RedisStore` with the `redis`
//!   feature, or a store of yours, which grants [`ratelimit::Slot`]s).
//! - **Reading failures**: [`Error`] and its [`ErrorKind`] (what
//!   [`crate::Error::transport_error`] returns), and [`BuildError`].
//! - **Testing**: the `mock` module (feature `mock`), a scripted transport that records what
//!   your code sent.
//!
//! The stack's individual middleware (`AuthLayer`, `RetryLayer`, …), the network client and the
//! helpers the SDK uses internally are not here: they are `polar-transport`'s own API, for
//! building a stack by hand. Keeping this module to what users of the client need lets either
//! crate change its insides without breaking code written against this one.
//!
//! ```
//! use polar_customers::Client;
//! use polar_customers::transport::retry::{Backoff, RetryConfig};
//!
//! let retry = RetryConfig::default().max_attempts(5).backoff(Backoff::default());
//! let client = Client::builder().token("polar_oat_example").retry(retry).build()?;
//! # let _ = client;
//! # Ok::<(), polar_customers::BuildError>(())
//! ```

pub use polar_transport::{
    Attempts, Body, BoxError, BuildError, EarlierAttemptMayHaveBeenProcessed, Error, ErrorKind,
    HttpService, RequestOptions, ResponseBody, RetryLater, RouteTemplate, Server, TransportBuilder,
};

/// Whether a request is retried (a classifier) and when (a backoff); see
/// [`RetryConfig`](retry::RetryConfig).
pub mod retry {
    pub use polar_transport::retry::{
        Backoff, Classification, Classify, DefaultClassifier, RetryConfig, Timer, TokioTimer,
    };
}

/// The client-side rate limiter and the stores that keep its budget.
pub mod ratelimit {
    pub use polar_transport::ratelimit::{
        LocalStore, RateLimitConfig, RateLimitStore, RateLimiter, Slot,
    };
}

/// A rate-limit budget shared by several processes through Redis (feature `redis`).
#[cfg(feature = "redis")]
pub mod redis_store {
    pub use polar_transport::redis_store::{RedisStore, RedisStoreBuilder};
}

/// A scripted in-memory transport for tests (feature `mock`).
#[cfg(feature = "mock")]
pub use polar_transport::mock;
