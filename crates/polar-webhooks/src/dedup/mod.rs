//! Processing each delivery once, although Polar delivers at least once.
//!
//! Polar retries a delivery until it gets a 2xx answer (up to 10 attempts), and a merchant can
//! redeliver an event from the dashboard; every copy carries the same `webhook-id`. A [`Dedup`]
//! store remembers, per `webhook-id`, whether a delivery is being processed or was processed:
//!
//! 1. [`claim`](Dedup::claim) before processing: [`Claim::New`] with a [`Lease`] for the first
//!    copy, [`Claim::InProgress`] while another copy holds a live lease, [`Claim::Done`] once a
//!    copy was processed;
//! 2. [`complete`](Dedup::complete) once processing **succeeded**: the id counts as done (for
//!    [`MemoryDedup::remember`] or `RedisDedup::remember`, 24 hours by default);
//! 3. [`release`](Dedup::release) when processing failed: the lease is dropped, so Polar's next
//!    retry is processed again.
//!
//! A process that dies midway neither completes nor releases: its lease expires (60 s by
//! default) and the next retry after that is processed again. Nothing is lost; what a store
//! cannot promise is that a handler which crashed (or whose `complete` was lost) ran only once, so
//! handlers should still be safe to run twice for the same event where that matters.
//!
//! `Receiver` (feature `receiver`) does all of this for you, with a [`MemoryDedup`] unless told
//! otherwise. For several processes behind one endpoint, give each the same `RedisDedup`
//! (feature `redis`).
//!
//! ```
//! use polar_webhooks::dedup::{Claim, Dedup, MemoryDedup};
//!
//! # block_on(async {
//! let store = MemoryDedup::new(10_000);
//! let Claim::New(lease) = store.claim("msg_1").await? else { unreachable!() };
//! assert_eq!(store.claim("msg_1").await?, Claim::InProgress); // a copy while we work
//! // ... process the event ...
//! store.complete("msg_1", &lease).await?;
//! assert_eq!(store.claim("msg_1").await?, Claim::Done); // a later copy: acknowledge, skip
//! # Ok::<(), polar_webhooks::dedup::DedupError>(())
//! # }).unwrap();
//! # fn block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
//! # }
//! ```

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;

mod memory;
#[cfg(feature = "redis")]
mod redis;

pub use memory::MemoryDedup;
#[cfg(feature = "redis")]
pub use redis::RedisDedup;

/// How long a claim holds a `webhook-id` when its process neither completes nor releases it,
/// unless told otherwise (longer than Polar waits for an answer, 10 s).
pub const DEFAULT_LEASE: std::time::Duration = std::time::Duration::from_secs(60);

/// How long a processed `webhook-id` is remembered, unless told otherwise: far longer than
/// Polar's automatic retries (10 attempts, at most about 35 minutes apart in all).
pub const DEFAULT_REMEMBER: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// The future a [`Dedup`] method returns.
pub type DedupFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, DedupError>> + Send + 'a>>;

/// Where the state of each `webhook-id` is kept; see the [module docs](self).
///
/// Implement it to keep the state in your own database: `claim` must be atomic (two concurrent
/// claims of one id: one gets [`Claim::New`]).
pub trait Dedup: Send + Sync + 'static {
    /// Takes the id for processing, or says why not.
    fn claim<'a>(&'a self, webhook_id: &'a str) -> DedupFuture<'a, Claim>;
    /// Marks the id processed: later copies get [`Claim::Done`].
    fn complete<'a>(&'a self, webhook_id: &'a str, lease: &'a Lease) -> DedupFuture<'a, ()>;
    /// Gives the id up after failed processing, if `lease` still holds it: the next copy gets
    /// [`Claim::New`].
    fn release<'a>(&'a self, webhook_id: &'a str, lease: &'a Lease) -> DedupFuture<'a, ()>;
}

/// What [`Dedup::claim`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// Nobody holds the id: process it, then [`complete`](Dedup::complete) or
    /// [`release`](Dedup::release) with this lease.
    New(Lease),
    /// Another copy is being processed (its lease is live): answer so that Polar retries.
    InProgress,
    /// A copy was processed: acknowledge without processing.
    Done,
}

/// Proof of a claim: it lets only its holder release the id. Its token is no secret (it names
/// the claim, it grants nothing), so `Debug` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease(String);

impl Lease {
    /// A lease with the store's token for it (unique per claim).
    pub fn new(token: impl Into<String>) -> Lease {
        Lease(token.into())
    }

    /// The store's token.
    pub fn token(&self) -> &str {
        &self.0
    }
}

/// A store that could not answer (Redis unreachable, a timeout, ...).
#[derive(Debug)]
pub struct DedupError(Box<dyn StdError + Send + Sync>);

impl DedupError {
    /// Wraps the store's own error.
    pub fn new(source: impl Into<Box<dyn StdError + Send + Sync>>) -> DedupError {
        DedupError(source.into())
    }
}

impl fmt::Display for DedupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the deduplication store did not answer: {}", self.0)
    }
}

impl StdError for DedupError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&*self.0)
    }
}

impl<T: Dedup + ?Sized> Dedup for std::sync::Arc<T> {
    fn claim<'a>(&'a self, webhook_id: &'a str) -> DedupFuture<'a, Claim> {
        (**self).claim(webhook_id)
    }

    fn complete<'a>(&'a self, webhook_id: &'a str, lease: &'a Lease) -> DedupFuture<'a, ()> {
        (**self).complete(webhook_id, lease)
    }

    fn release<'a>(&'a self, webhook_id: &'a str, lease: &'a Lease) -> DedupFuture<'a, ()> {
        (**self).release(webhook_id, lease)
    }
}
