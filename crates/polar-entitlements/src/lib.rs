//! "May this customer use this?" answered from memory in well under a microsecond, kept fresh
//! by Polar's webhooks, and (feature `redis`) shared by every process of a fleet.
//!
//! Polar's recommended integration reads a customer's **state** (active subscriptions, granted
//! benefits, meter balances) and keeps it fresh with the `customer.state_changed` webhook.
//! Asking Polar on every request of an application is not an option: the API allows about
//! eight requests a second per organization, and each costs a round trip. [`Entitlements`]
//! keeps the states in a bounded cache and answers from it.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use polar_entitlements::Entitlements;
//! # let fake = polar_fake::FakePolar::new();
//! # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
//! # let organization_id = fake.organization_id();
//! # let customer = client.customers().create().email("ada@polar.sh").external_id("user_42").await?;
//! # let grant = polar_fake::samples::benefit_grant(polar_customers::types::BenefitType::FeatureFlag);
//! # fake.add_benefit_grant(customer.id(), &grant);
//! # let pro_features = grant.benefit_id;
//!
//! // One handle per organization, cloned wherever it is needed.
//! let entitlements = Entitlements::new(client, organization_id);
//!
//! // By your own user ID (the customer's external ID) or by Polar's customer ID.
//! if entitlements.has_benefit("user_42", pro_features).await? {
//!     println!("welcome to the pro features");
//! }
//! assert_eq!(entitlements.stats().api_fetches, 1);
//! assert!(entitlements.has_benefit(customer.id(), pro_features).await?);
//! assert_eq!(entitlements.stats().api_fetches, 1, "one entry for both keys");
//! # Ok(()) }
//! ```
//!
//! # The caching rules
//!
//! | rule | default | setting |
//! |---|---|---|
//! | a state is served without asking Polar for | 5 minutes | [`ttl`](EntitlementsBuilder::ttl) |
//! | past that, served while one background fetch refreshes it | off | [`stale_while_refresh`](EntitlementsBuilder::stale_while_refresh) |
//! | "Polar does not know this customer" (404) is believed for | 30 s | [`negative_ttl`](EntitlementsBuilder::negative_ttl) |
//! | when Polar cannot be asked, the last known state is served while younger than | 15 minutes | [`max_staleness`](EntitlementsBuilder::max_staleness) |
//! | customers kept in memory | 100 000 | [`max_customers`](EntitlementsBuilder::max_customers) |
//! | clock difference allowed with Polar | 1 s | [`clock_skew`](EntitlementsBuilder::clock_skew) |
//!
//! - **Single flight.** However many tasks ask about one key while nothing fresh is in memory,
//!   one request is sent; the others wait for it ([`Stats::coalesced`]). The fetch runs on
//!   its own task, so a caller that gives up does not cancel it for the others.
//! - **One entry per customer.** A state is stored under Polar's ID; an external ID maps to
//!   it once a state or a `customer.created` / `customer.updated` event has shown the pair.
//! - **Unknown customers** (Polar's `404 ResourceNotFound`) are remembered for the negative
//!   lifetime, so an unknown user costs one request per lifetime, not one per check. A 404 of
//!   another shape (an unknown route or API version) is an error, never "unknown".
//! - **Bounded memory.** Entries live in a [`quick_cache`] cache bounded by the number of
//!   customers; evictions are counted ([`Stats::evictions`]).
//! - **When Polar cannot be reached** (a transport error, a timeout, a 429 or 5xx past the
//!   call's deadline, or any other refusal), the last known answer is served while it is
//!   younger than the maximum staleness, counted from when it was learnt
//!   ([`Stats::stale_served`]): from memory, else (feature `redis`) from the shared level,
//!   where another process may have learnt it. Otherwise the question fails with
//!   [`Error::Polar`]. The cache never silently allows or denies: the application decides.
//!
//! # Fresh by webhooks
//!
//! Hand every verified event to [`Entitlements::apply`]; it never calls Polar.
//! `customer.state_changed` replaces the entry with the state it carries, `customer.deleted`
//! records the customer as unknown, `customer.created` / `customer.updated` fix the external
//! ID mapping (and end an "unknown" entry). Events of another organization are ignored.
//!
//! With the `receiver` feature the handle is a `polar_webhooks::Handler`, so the whole webhook
//! endpoint is one line, `Receiver::new(Webhook::new(secret)?, entitlements.clone())`: the
//! receiver verifies, deduplicates by `webhook-id`, calls `apply` and answers 200 once it
//! returned (see the `Handler` implementation on [`Entitlements`]). The feature adds no crate
//! to the build.
//!
//! # Which state wins
//!
//! Every answer carries a [`Stamp`]: an instant on Polar's clock at which it was already true.
//!
//! - A **webhook**'s stamp is the event's `timestamp`. Polar reads the state it sends and then
//!   takes that time (`server/polar/customer/service.py`, `CustomerService.webhook`, then
//!   `server/polar/webhook/service.py`, `WebhookService.send`), so the state was true at it.
//! - A **fetch**'s stamp is the moment the request was sent, less the allowed clock skew.
//!   Polar answers the state endpoint from a cache that its `customer.state_changed` job
//!   refreshes *before* it stamps and sends the webhook (`CustomerService.state_changed` and
//!   `webhook` call `get_state(cache=False)`, which rewrites that cache). So a change whose
//!   webhook is stamped before the fetch was sent is in the fetched state, and a change whose
//!   webhook is stamped later is applied when that webhook arrives.
//!
//! An answer replaces the entry only when its stamp is at least as new as the entry's; a
//! webhook outranks a fetch of the same instant. Hence:
//!
//! - a retried or duplicated delivery changes nothing (same stamp, same state);
//! - an older event delivered late, to this process or another, is refused
//!   ([`Applied::Refused`], [`Stats::stale_refused`]);
//! - a fetch that was in flight while a webhook arrived loses to it: the webhook's state is
//!   kept, and the callers waiting for the fetch get the webhook's state;
//! - a deleted customer stays deleted: its state from before the deletion is older.
//!
//! The clock skew allowance (1 s by default) makes a fetch count as sent earlier than it was:
//! when this machine's clock runs ahead of Polar's by less than that, a fetch can never beat a
//! webhook emitted after it was sent. A larger allowance favours webhooks further; the price
//! is that a webhook stamped just before a fetch may briefly replace that fetch's (as new or
//! newer) state, until the next event of the customer (Polar delivers in order) or lifetime.
//!
//! # Across processes
//!
//! With the `redis` feature, `EntitlementsBuilder::shared` adds a second level in Redis
//! shared by every process: entries with their stamps and expiry, written under the same
//! ordering rule (a Lua script compares the stamps), and a broadcast of every update, so that
//! a webhook received by one process is seen by all within the broadcast's delay. See the
//! `redis` module (present with the feature) for what happens when Redis is away.
//!
//! # Observability
//!
//! [`Entitlements::stats`] reads the counters; every fetch from Polar runs in a
//! `polar_entitlements.fetch` span (with the customer ID, never the external ID, and the
//! outcome), inside which the client's own request span runs.
#![deny(missing_docs)]

mod apply;
mod builder;
mod config;
mod error;
mod handle;
mod key;
#[cfg(feature = "receiver")]
mod receiver;
#[cfg(feature = "redis")]
pub mod redis;
#[cfg(feature = "redis")]
mod sharing;
mod stamp;
mod state;
mod stats;
mod store;

pub use apply::Applied;
pub use builder::{
    DEFAULT_CLOCK_SKEW, DEFAULT_MAX_CUSTOMERS, DEFAULT_MAX_STALENESS, DEFAULT_NEGATIVE_TTL,
    DEFAULT_TTL, EntitlementsBuilder,
};
pub use error::Error;
pub use handle::Entitlements;
pub use key::CustomerKey;
pub use stamp::{Source, Stamp};
pub use state::CachedState;
pub use stats::Stats;
