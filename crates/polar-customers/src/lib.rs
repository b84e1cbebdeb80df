//! Rust client for Polar's Customers API: create, look up, update, delete, list and export the
//! customers of a Polar organization; manage the members of team customers, list saved payment
//! methods, open customer-portal sessions and read customer meters.
//!
//! One dependency is enough: the schema types of `polar-types` are re-exported as [`types`]
//! (the common ones also at the root), and what you configure, extend or test the transport
//! with (`polar-transport`'s builder, errors, retry classifier, backoff, rate limiter and its
//! stores; `transport::mock` with the `mock` feature) as [`transport`], with the builder,
//! [`Server`] and [`RequestOptions`] also at the root.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
//! use futures_util::TryStreamExt;
//! use polar_customers::{Client, Server};
//!
//! // Over the network (nothing is sent until a request is awaited):
//! let client = Client::builder().token("polar_oat_...").server(Server::Sandbox).build()?;
//! # let fake = polar_fake::FakePolar::new();
//! # let client = Client::builder().token(fake.token()).build_with(fake.clone())?;
//!
//! let ada = client.customers().create().email("ada@polar.sh").name("Ada").await?;
//! let again = client.customers().get(ada.id()).await?;
//! assert_eq!(again.email(), Some("ada@polar.sh"));
//!
//! let mut all = client.customers().list().limit(100).stream();
//! while let Some(customer) = all.try_next().await? {
//!     println!("{:?}", customer.email());
//! }
//! # Ok(()) }
//! ```
//!
//! Every operation is a [`Request`] of its generated params type (`GetCustomer` is
//! `Request<CustomersGetParams>`, …; see [`Operation`]): set its parameters, then `.await` it (or
//! call `.send()` for the boxed `Send + 'static` future). Per-request options — another token, a
//! timeout, a retry budget, extra headers — are methods of every request, and every list has
//! `page`, `limit`, `pages()` and `stream()`. Failures are one [`Error`] type.
//!
//! The transport is any `tower::Service` over `http` types: the default network stack
//! ([`Client::builder`]), the same stack over your own service ([`ClientBuilder::build_with`]),
//! or a service used as is ([`Client::from_service`], [`Client::from_transport`]).
//!
//! # Features
//!
//! The TLS features are those of `polar-transport`, forwarded: `rustls-ring` (default) or
//! `rustls-aws-lc` picks the crypto provider of the network client ([`ClientBuilder::build`]),
//! `webpki-roots` (default) or `native-roots` its root certificates. With
//! `default-features = false` and none of them, no TLS is compiled at all and the client runs
//! over a service of yours ([`ClientBuilder::build_with`]):
//!
//! ```toml
//! polar-customers = { version = "0.1", default-features = false }
//! ```
#![deny(missing_docs)]
// The docs link to the network transport, absent without a TLS feature.
#![cfg_attr(
    not(any(feature = "rustls-ring", feature = "rustls-aws-lc")),
    allow(rustdoc::broken_intra_doc_links)
)]

/// Runs `$apply` on the value inside whichever of the listed variants `$value` is. The match is
/// exhaustive: a variant added to the enum is a compile error where this is used.
macro_rules! each_variant {
    ($value:expr, $($variant:path)|+ => |$b:ident| $apply:expr) => {
        match $value {
            $($variant($b) => $apply,)+
        }
    };
}

/// The same items on each of several request types: the setters twin requests share (by
/// Polar ID and by external ID), written once.
macro_rules! impl_each {
    ($request:ty => $items:tt) => {
        impl $request $items
    };
    ($request:ty, $($rest:ty),+ => $items:tt) => {
        impl_each!($request => $items);
        impl_each!($($rest),+ => $items);
    };
}

mod bulk;
mod client;
mod customers;
mod error;
mod export;
mod members;
mod meters;
mod operation;
mod pagination;
mod request;
mod sessions;
mod transport_compat;

pub mod transport;
pub use polar_types as types;

pub use bulk::{Bulk, BulkOperation, DEFAULT_BULK_CONCURRENCY};
pub use client::{Client, ClientBuilder, DEFAULT_MAX_RESPONSE_BYTES};
pub use customers::*;
pub use error::{ApiError, ApiErrorKind, DecodeError, Error, RAW_EXCERPT_LIMIT};
pub use export::{ExportColumn, ExportRow, ExportRows, ExportStream, MAX_RECORD_BYTES};
pub use members::{
    CreateMember, CreateMemberExternal, DeleteMember, DeleteMemberExternal, GetMember,
    GetMemberExternal, ListMembers, ListMembersExternal, Members, MembersExternal, UpdateMember,
    UpdateMemberExternal,
};
pub use meters::{CustomerMeters, GetCustomerMeter, ListCustomerMeters};
pub use operation::{ListOperation, Operation, Request, SortedList, WithBody};
pub use pagination::{Items, Pages};
/// The rate-limit store shared by several processes through Redis (feature `redis`).
#[cfg(feature = "redis")]
pub use polar_transport::redis_store::RedisStore;
pub use polar_transport::{
    Body, BuildError, HttpService, RateLimitConfig, RateLimiter, RequestOptions, RetryConfig,
    Server, TransportBuilder,
};
pub use request::ResponseFuture;
pub use sessions::{CreateCustomerSession, CustomerSessions};
pub use types::{
    AddressInput, CountryCode, Customer, CustomerCreate, CustomerId, CustomerMeter,
    CustomerMeterId, CustomerSession, CustomerSortProperty, CustomerState, CustomerType,
    CustomerUpdate, CustomerUpdateExternalId, InputError, ListResource, Member, MemberId,
    MemberOwnerCreate, MemberRole, MemberSortProperty, Metadata, MetadataValue, Nullable,
    OrganizationId, Pagination, PaymentMethod, SecretText, ValidationError,
};
