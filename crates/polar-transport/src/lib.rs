//! The transport half of the Polar SDK: a `tower` stack over `hyper`.
#![deny(missing_docs)]

mod body;
mod options;

pub use body::{Body, BoxError, HttpService, ResponseBody, into_http_service};
pub use options::{Attempts, RequestOptions, RouteTemplate};
