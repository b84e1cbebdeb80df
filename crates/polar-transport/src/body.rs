//! The body and service types every part of the SDK agrees on.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, combinators::UnsyncBoxBody};
use tower::{ServiceExt, util::BoxCloneSyncService};

/// The error type that crosses the transport boundary.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Request body: the whole payload in one cheap-to-clone buffer, so a retry can re-send it.
pub type Body = Full<Bytes>;

/// Response body: streamed, so large answers (CSV export) are never held in memory at once.
pub type ResponseBody = UnsyncBoxBody<Bytes, BoxError>;

/// The one type-erased service the SDK holds: cheap to clone, `Send + Sync`.
pub type HttpService =
    BoxCloneSyncService<http::Request<Body>, http::Response<ResponseBody>, BoxError>;

/// Erases any suitable `tower::Service` into an [`HttpService`].
///
/// This is the bound a transport must meet: the network client, the mock, the in-memory fake
/// or a user's own service.
pub fn into_http_service<S, B>(service: S) -> HttpService
where
    S: tower_service::Service<http::Request<Body>, Response = http::Response<B>>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    BoxCloneSyncService::new(
        service
            .map_err(Into::into)
            .map_response(|res: http::Response<B>| {
                res.map(|b| b.map_err(Into::into).boxed_unsync())
            }),
    )
}
