//! The answers the server gives, status and body.

use http::{HeaderValue, Response, StatusCode, header};
use serde_json::{Value, json};

use crate::body::FakeBody;
use crate::issue::Issue;

pub(crate) type Res = Response<FakeBody>;

pub(crate) fn with_body(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<FakeBody>,
) -> Res {
    let mut res = Response::new(body.into());
    *res.status_mut() = status;
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    res
}

pub(crate) fn json(status: StatusCode, value: &Value) -> Res {
    with_body(status, "application/json", crate::store::to_body(value))
}

pub(crate) fn empty(status: StatusCode) -> Res {
    let mut res = Response::new(FakeBody::empty());
    *res.status_mut() = status;
    res
}

/// 404 for an unknown route or API version.
pub(crate) fn route_not_found() -> Res {
    json(StatusCode::NOT_FOUND, &json!({ "detail": "Not Found" }))
}

/// 404 for an unknown or deleted customer.
pub(crate) fn resource_not_found() -> Res {
    json(
        StatusCode::NOT_FOUND,
        &json!({ "error": "ResourceNotFound", "detail": "Not found" }),
    )
}

/// 405 with the one method of the route that matched the path (`Allow`, as Starlette's
/// `Route.handle` sets it).
pub(crate) fn method_not_allowed(allow: &http::Method) -> Res {
    let mut res = json(
        StatusCode::METHOD_NOT_ALLOWED,
        &json!({ "detail": "Method Not Allowed" }),
    );
    if let Ok(v) = HeaderValue::from_str(allow.as_str()) {
        res.headers_mut().insert(header::ALLOW, v);
    }
    res
}

/// 422: `RequestValidationError` for schema issues, `PolarRequestValidationError` for business rules.
pub(crate) fn invalid(issues: &[Issue], business: bool) -> Res {
    let error = if business {
        "PolarRequestValidationError"
    } else {
        "RequestValidationError"
    };
    let detail: Vec<Value> = issues.iter().map(Issue::to_json).collect();
    json(
        StatusCode::UNPROCESSABLE_ENTITY,
        &json!({ "error": error, "detail": detail }),
    )
}

const REALM: &str = "Bearer realm=\"polar\"";

/// 401 without a token.
pub(crate) fn unauthorized() -> Res {
    let mut res = json(
        StatusCode::UNAUTHORIZED,
        &json!({ "error": "Unauthorized", "detail": "Unauthorized" }),
    );
    res.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(REALM));
    res
}

/// 401 with a token the server does not know (or revoked).
pub(crate) fn invalid_token() -> Res {
    let description =
        "The access token provided is expired, revoked, malformed, or invalid for other reasons.";
    let mut res = json(
        StatusCode::UNAUTHORIZED,
        &json!({ "error": "invalid_token", "error_description": description }),
    );
    res.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(
            "Bearer realm=\"polar\", error=\"invalid_token\", error_description=\"The access token provided is expired, revoked, malformed, or invalid for other reasons.\"",
        ),
    );
    res
}

/// 403 when the token lacks a scope.
pub(crate) fn insufficient_scope(scope: &str) -> Res {
    let description = format!(
        "The request requires higher privileges than provided by the access token. Required scope: {scope}."
    );
    let mut res = json(
        StatusCode::FORBIDDEN,
        &json!({ "error": "insufficient_scope", "error_description": description }),
    );
    res.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"polar\", error=\"insufficient_scope\""),
    );
    res
}

/// 411 for a POST, PUT or PATCH without `Content-Length`.
pub(crate) fn length_required() -> Res {
    json(
        StatusCode::LENGTH_REQUIRED,
        &json!({ "error": "LengthRequired", "detail": "A Content-Length header is required." }),
    )
}

/// 413 for a body over the limit.
pub(crate) fn too_large(max: usize) -> Res {
    json(
        StatusCode::PAYLOAD_TOO_LARGE,
        &json!({ "error": "RequestBodyTooLarge", "detail": format!("Request body exceeded the maximum allowed size of {max} bytes.") }),
    )
}

/// 429 from the rate limiter: `Retry-After` is the window length in seconds, no body.
pub(crate) fn rate_limited(retry_after_secs: u64) -> Res {
    let mut res = empty(StatusCode::TOO_MANY_REQUESTS);
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    res
}

/// An injected failure, the way a proxy in front of the API answers: a small HTML page.
pub(crate) fn injected(status: StatusCode) -> Res {
    let reason = status.canonical_reason().unwrap_or("Error");
    let code = status.as_u16();
    let page = format!(
        "<html><head><title>{code} {reason}</title></head><body><h1>{code} {reason}</h1><p>polar-fake injected this failure.</p></body></html>\n"
    );
    let mut res = with_body(status, "text/html", page);
    if status == StatusCode::TOO_MANY_REQUESTS {
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    res
}

pub(crate) fn redirect(location: &str) -> Res {
    let mut res = empty(StatusCode::TEMPORARY_REDIRECT);
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}
