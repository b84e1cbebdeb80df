//! Rust client for Polar's Customers API.
#![deny(missing_docs)]

mod client;
mod customers;
mod doc_support;
mod error;
mod export;
mod pagination;
mod path;
mod request;
mod transport_compat;

pub use polar_types as types;

pub use client::{Client, ClientBuilder, DEFAULT_MAX_RESPONSE_BYTES};
pub use customers::*;
pub use error::{ApiError, ApiErrorKind, DecodeError, Error, RAW_EXCERPT_LIMIT};
pub use export::{EXPORT_COLUMNS, ExportRow, ExportRows, ExportStream, MAX_RECORD_BYTES};
pub use pagination::{Items, Pages};
pub use polar_transport::{
    BuildError, HttpService, RateLimitConfig, RequestOptions, RetryConfig, Server, TransportBuilder,
};
pub use request::ResponseFuture;
pub use types::{
    AddressInput, CountryCode, Customer, CustomerCreate, CustomerId, CustomerSortProperty,
    CustomerState, CustomerType, CustomerUpdate, CustomerUpdateExternalId, InputError,
    ListResource, MemberOwnerCreate, Metadata, MetadataValue, Nullable, OrganizationId, Pagination,
    ValidationError,
};

#[doc(hidden)]
pub mod __doc {
    //! Support for the documentation examples; not part of the API.
    pub use crate::doc_support::*;
}
