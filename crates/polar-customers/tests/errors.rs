//! Non-2xx answers with Polar's real bodies map to `Error::Api` with the parsed parts.

mod support;

use std::time::Duration;

use http::StatusCode;
mod fixtures;
use fixtures::{CUSTOMER_ID, customer_json, page_json};
use polar_customers::{ApiErrorKind, Error};
use serde_json::json;
use support::{full, serve};

/// Answers every request with this status, headers and body, over loopback HTTP.
async fn client_answering(
    status: u16,
    headers: &'static [(&'static str, &'static str)],
    body: Vec<u8>,
) -> polar_customers::Client {
    let addr = serve(move |_req| {
        let body = body.clone();
        async move {
            let mut res = http::Response::builder().status(status);
            for (k, v) in headers {
                res = res.header(*k, *v);
            }
            res.body(full(body)).unwrap()
        }
    })
    .await;
    support::plain_client(addr)
}

async fn api_error(
    status: u16,
    headers: &'static [(&'static str, &'static str)],
    body: &str,
) -> polar_customers::ApiError {
    let client = client_answering(status, headers, body.as_bytes().to_vec()).await;
    let err = client
        .customers()
        .get(CUSTOMER_ID.parse().unwrap())
        .await
        .unwrap_err();
    match err {
        Error::Api(api) => *api,
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn unauthorized_without_token() {
    let e = api_error(
        401,
        &[("www-authenticate", "Bearer realm=\"polar\"")],
        r#"{"error":"Unauthorized","detail":"Unauthorized"}"#,
    )
    .await;
    assert_eq!(e.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(e.kind(), ApiErrorKind::Unauthorized);
    assert_eq!(e.code(), Some("Unauthorized"));
    assert_eq!(e.detail(), Some("Unauthorized"));
}

#[tokio::test]
async fn unauthorized_invalid_token() {
    let e = api_error(
        401,
        &[("www-authenticate", "Bearer realm=\"polar\", error=\"invalid_token\"")],
        r#"{"error":"invalid_token","error_description":"The access token provided is expired, revoked, malformed, or invalid for other reasons."}"#,
    )
    .await;
    assert_eq!(e.kind(), ApiErrorKind::Unauthorized);
    assert_eq!(e.code(), Some("invalid_token"));
    assert!(e.detail().unwrap().starts_with("The access token"));
}

/// The mistake Polar's support sees most: a token of the sandbox sent to production (the
/// client's default), or the other way round. Polar answers only "invalid token"; the message
/// says where to look.
#[tokio::test]
async fn an_invalid_token_says_to_check_sandbox_against_production() {
    let fake = polar_fake::FakePolar::new();
    let client = polar_customers::Client::builder()
        .token("polar_oat_made_in_the_other_environment")
        .build_with(fake)
        .unwrap();
    let err = client.customers().list().await.unwrap_err();
    assert_eq!(err.as_api().and_then(|e| e.code()), Some("invalid_token"));
    let text = err.to_string();
    assert!(
        text.contains("The access token provided is expired"),
        "Polar's own words stay: {text}"
    );
    for hint in ["sandbox", "production", "Server::Sandbox"] {
        assert!(text.contains(hint), "{hint:?} missing from {text:?}");
    }

    // Other refusals keep their message alone.
    for (status, body) in [
        (401, r#"{"error":"Unauthorized","detail":"Unauthorized"}"#),
        (
            403,
            r#"{"error":"insufficient_scope","error_description":"The request requires higher privileges than provided by the access token."}"#,
        ),
    ] {
        let text = api_error(status, &[], body).await.to_string();
        assert!(!text.contains("sandbox"), "{text}");
    }
}

#[tokio::test]
async fn forbidden_scope_and_permission() {
    let e = api_error(
        403,
        &[],
        r#"{"error":"insufficient_scope","error_description":"The request requires higher privileges than provided by the access token."}"#,
    )
    .await;
    assert_eq!(e.kind(), ApiErrorKind::Forbidden);
    assert_eq!(e.code(), Some("insufficient_scope"));

    let e = api_error(
        403,
        &[],
        r#"{"error":"NotPermitted","detail":"Not permitted"}"#,
    )
    .await;
    assert_eq!(e.kind(), ApiErrorKind::Forbidden);
    assert_eq!(e.code(), Some("NotPermitted"));
    assert_eq!(e.detail(), Some("Not permitted"));
}

#[tokio::test]
async fn not_found_resource_and_route() {
    let e = api_error(
        404,
        &[],
        r#"{"error":"ResourceNotFound","detail":"Not found"}"#,
    )
    .await;
    assert_eq!(e.kind(), ApiErrorKind::NotFound);
    assert_eq!(e.code(), Some("ResourceNotFound"));
    assert_eq!(e.detail(), Some("Not found"));
    assert!(e.request_id().is_none(), "Polar sets no request id");

    // Unknown route or unknown Polar-Version: no `error` key.
    let e = api_error(404, &[], r#"{"detail":"Not Found"}"#).await;
    assert_eq!(e.kind(), ApiErrorKind::NotFound);
    assert_eq!(e.code(), None);
    assert_eq!(e.detail(), Some("Not Found"));
}

#[tokio::test]
async fn conflict() {
    let e = api_error(
        409,
        &[("x-request-id", "req_123")],
        r#"{"error":"ResourceAlreadyExists","detail":"This resource already exists.","new_key":1}"#,
    )
    .await;
    assert_eq!(e.kind(), ApiErrorKind::Conflict);
    assert_eq!(e.code(), Some("ResourceAlreadyExists"));
    assert_eq!(e.request_id(), Some("req_123"));
}

#[tokio::test]
async fn validation_issues_keep_loc_msg_type() {
    let body = json!({
        "error": "PolarRequestValidationError",
        "detail": [
            {"type": "value_error", "loc": ["body", "email"], "msg": "A customer with this email address already exists.", "input": "ada@example.com"},
            {"type": "value_error", "loc": ["body", "external_id"], "msg": "A customer with this external ID already exists.", "input": "user_42", "ctx": {"error": {}}},
            {"type": "missing", "loc": ["body", "metadata", 0], "msg": "Field required", "input": null}
        ]
    });
    let e = api_error(422, &[], Box::leak(body.to_string().into_boxed_str())).await;
    assert_eq!(e.kind(), ApiErrorKind::Validation);
    assert_eq!(e.code(), Some("PolarRequestValidationError"));
    let issues = e.validation_errors();
    assert_eq!(issues.len(), 3);
    assert_eq!(
        issues[0].msg,
        "A customer with this email address already exists."
    );
    assert_eq!(issues[0].r#type, "value_error");
    let loc = serde_json::to_value(&issues[0].loc).unwrap();
    assert_eq!(loc, json!(["body", "email"]));
    let loc = serde_json::to_value(&issues[2].loc).unwrap();
    assert_eq!(loc, json!(["body", "metadata", 0]));
    let text = e.to_string();
    assert!(text.contains("body.email"), "{text}");
}

#[tokio::test]
async fn error_bodies_of_another_shape_still_give_an_api_error() {
    // New keys in an issue are kept; values of an unexpected type are ignored, not fatal.
    let body = r#"{"detail":[{"type":"t","loc":["body"],"msg":"m","hint":"new"}],"trace":1}"#;
    let e = api_error(422, &[], body).await;
    assert_eq!(e.validation_errors().len(), 1);
    assert_eq!(e.validation_errors()[0].extra["hint"], "new");
    for body in [
        r#"{"error":5,"detail":{"nested":true},"error_description":"try later"}"#,
        r#"[1,2,3]"#,
        r#"{"detail":[{"not":"an issue"}]}"#,
        r#"not json"#,
    ] {
        let e = api_error(400, &[], body).await;
        assert_eq!(e.code(), None, "{body}");
        assert!(e.validation_errors().is_empty(), "{body}");
        assert_eq!(e.raw_excerpt(), body);
        let expected = body.contains("error_description").then_some("try later");
        assert_eq!(e.detail(), expected, "{body}");
    }
}

#[tokio::test]
async fn rate_limited_with_retry_after() {
    let e = api_error(429, &[("retry-after", "17")], "").await;
    assert_eq!(e.kind(), ApiErrorKind::RateLimited);
    assert_eq!(e.retry_after(), Some(Duration::from_secs(17)));
    assert_eq!(e.raw_excerpt(), "");
}

#[tokio::test]
async fn server_errors_with_html_are_bounded() {
    let html = format!("<html><body>{}</body></html>", "Bad gateway ".repeat(1000));
    let e = api_error(
        500,
        &[("content-type", "text/html")],
        Box::leak(html.into_boxed_str()),
    )
    .await;
    assert_eq!(e.kind(), ApiErrorKind::Server);
    assert_eq!(e.code(), None);
    assert!(e.raw_excerpt().starts_with("<html>"));
    assert!(e.raw_excerpt().len() <= polar_customers::RAW_EXCERPT_LIMIT);
    assert!(e.is_body_truncated());

    let e = api_error(503, &[("retry-after", "3")], "Service Unavailable").await;
    assert_eq!(e.kind(), ApiErrorKind::Server);
    assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(e.retry_after(), Some(Duration::from_secs(3)));
    assert_eq!(e.raw_excerpt(), "Service Unavailable");
}

#[tokio::test]
async fn decode_failure_names_the_json_path() {
    let mut items: Vec<_> = (0..5)
        .map(|i| customer_json(CUSTOMER_ID, &format!("c{i}@example.com"), None))
        .collect();
    items[3]["created_at"] = json!("yesterday");
    let body = serde_json::to_vec(&page_json(items, 5, 1)).unwrap();
    let client = client_answering(200, &[("content-type", "application/json")], body).await;
    let err = client.customers().list().await.unwrap_err();
    let Error::Decode(decode) = &err else {
        panic!("expected a decode error, got {err:?}")
    };
    assert!(
        decode.path().starts_with("items[3]"),
        "path {}",
        decode.path()
    );
    assert!(err.to_string().contains("items[3]"), "{err}");
    assert!(std::error::Error::source(&**decode).is_some());
}

#[tokio::test]
async fn oversized_json_body_is_refused() {
    let items: Vec<_> = (0..100)
        .map(|i| customer_json(CUSTOMER_ID, &format!("c{i}@example.com"), None))
        .collect();
    let body = serde_json::to_vec(&page_json(items, 100, 1)).unwrap();
    let client = client_answering(200, &[], body)
        .await
        .with_max_response_bytes(10_000);
    let err = client.customers().list().await.unwrap_err();
    assert!(
        matches!(err, Error::BodyTooLarge { limit: 10_000 }),
        "{err:?}"
    );
}

#[tokio::test]
async fn connection_refused_is_a_transport_error_with_source() {
    // Bound but not listening: refused, and the port stays ours while the test runs.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = socket.local_addr().unwrap();
    let err = support::plain_client(addr)
        .customers()
        .get_external("x")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(std::error::Error::source(&err).is_some());
}

#[tokio::test]
async fn a_token_echoed_back_by_the_server_never_reaches_the_error() {
    const TOKEN: &str = "polar_oat_echoed_secret_1";
    const CALL_TOKEN: &str = "polar_oat_per_call_secret_2";
    // A server (or a proxy in front of it) that repeats the Authorization header it was sent.
    let addr = serve(|req| {
        let auth = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        async move {
            let body = json!({"error": "invalid_token", "detail": format!("rejected: {auth}")});
            http::Response::builder()
                .status(401)
                .header("content-type", "application/json")
                .body(full(body.to_string().into_bytes()))
                .unwrap()
        }
    })
    .await;
    let client = polar_customers::Client::builder()
        .token(TOKEN)
        .server(polar_customers::Server::Custom(format!("http://{addr}")))
        .allow_http(true)
        .build()
        .unwrap();

    let with_client_token = client
        .customers()
        .get(CUSTOMER_ID.parse().unwrap())
        .await
        .unwrap_err();
    let with_call_token = client
        .customers()
        .get(CUSTOMER_ID.parse().unwrap())
        .token(CALL_TOKEN)
        .await
        .unwrap_err();
    for err in [&with_client_token, &with_call_token] {
        let Error::Api(api) = err else {
            panic!("expected an API error, got {err:?}")
        };
        assert_eq!(api.detail(), Some("rejected: Bearer [redacted]"));
        for shown in [
            format!("{err}"),
            format!("{err:?}"),
            api.raw_excerpt().to_owned(),
        ] {
            assert!(!shown.contains("echoed_secret"), "{shown}");
            assert!(!shown.contains("per_call_secret"), "{shown}");
        }
        assert!(api.raw_excerpt().contains("[redacted]"));
    }
}
