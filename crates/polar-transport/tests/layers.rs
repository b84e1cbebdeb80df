//! Auth, headers, base URI, pooling and user layers through real HTTP on loopback.

mod common;

use std::time::Duration;

use common::{Reply, body_bytes, empty, serve};
use http::Request;
use polar_transport::mock::{MockResponse, MockTransport};
use polar_transport::{BuildError, RequestOptions, Server, TransportBuilder, into_http_service};
use secrecy::SecretString;
use tower::ServiceExt;

const TOKEN: &str = "polar_oat_layers_test_token";

#[tokio::test]
async fn default_headers_auth_and_base_uri_with_prefix() {
    let server = serve(|_, _| Reply::json(200, r#"{"ok":true}"#)).await;
    let svc = TransportBuilder::new()
        .token(TOKEN)
        .base_url(&format!("{}/polar-proxy/", server.url()))
        .allow_http(true)
        .build()
        .unwrap();
    let res = svc
        .oneshot(
            Request::get("/v1/customers/?page=2&limit=5")
                .body(empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(body_bytes(res).await, r#"{"ok":true}"#);
    let seen = &server.seen()[0];
    assert_eq!(seen.uri.path(), "/polar-proxy/v1/customers/");
    assert_eq!(seen.uri.query(), Some("page=2&limit=5"));
    let h = &seen.headers;
    assert_eq!(h["authorization"], format!("Bearer {TOKEN}").as_str());
    assert_eq!(
        h["user-agent"],
        concat!("polar-rs/", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(h["accept"], "application/json");
    assert_eq!(h["polar-version"], "2026-10");
    // Polar has no organization header: organizations are chosen in the body or query.
    assert!(h.get("polar-organization").is_none());
    assert_eq!(h["host"], server.addr.to_string().as_str());
}

#[tokio::test]
async fn request_headers_win_and_configuration_overrides_apply() {
    let server = serve(|_, _| Reply::status(200)).await;
    let svc = TransportBuilder::new()
        .token(TOKEN)
        .base_url(&server.url())
        .allow_http(true)
        .api_version("2027-01")
        .user_agent("my-app/2.0")
        .build()
        .unwrap();
    // Export asks for CSV: the Accept it sets is kept.
    svc.clone()
        .oneshot(
            Request::get("/v1/customers/export")
                .header("accept", "text/csv")
                .body(empty())
                .unwrap(),
        )
        .await
        .unwrap();
    // A per-request token replaces the client's.
    let mut req = Request::get("/v1/customers/").body(empty()).unwrap();
    let mut opts = RequestOptions::default();
    opts.token = Some(SecretString::from("polar_oat_other_token"));
    req.extensions_mut().insert(opts);
    svc.oneshot(req).await.unwrap();

    let seen = server.seen();
    assert_eq!(seen[0].headers["accept"], "text/csv");
    assert_eq!(seen[0].headers["polar-version"], "2027-01");
    assert_eq!(seen[0].headers["user-agent"], "my-app/2.0");
    assert!(seen[0].headers.get("polar-organization").is_none());
    assert_eq!(
        seen[1].headers["authorization"],
        "Bearer polar_oat_other_token"
    );
}

#[tokio::test]
async fn token_is_not_sent_to_another_port_or_host() {
    let configured = serve(|_, _| Reply::status(200)).await;
    let other = serve(|_, _| Reply::status(200)).await;
    let svc = TransportBuilder::new()
        .token(TOKEN)
        .base_url(&configured.url())
        .allow_http(true)
        .build()
        .unwrap();
    // Same host, other port.
    svc.clone()
        .oneshot(
            Request::get(format!("{}/v1/customers/", other.url()))
                .body(empty())
                .unwrap(),
        )
        .await
        .unwrap();
    // Other host name for the same address.
    svc.clone()
        .oneshot(
            Request::get(format!(
                "http://localhost:{}/v1/customers/",
                configured.addr.port()
            ))
            .body(empty())
            .unwrap(),
        )
        .await
        .unwrap();
    // The configured origin, absolute: token attached.
    svc.oneshot(
        Request::get(format!("{}/v1/customers/", configured.url()))
            .body(empty())
            .unwrap(),
    )
    .await
    .unwrap();
    assert!(other.seen()[0].headers.get("authorization").is_none());
    let seen = configured.seen();
    assert!(
        seen[0].headers.get("authorization").is_none(),
        "sent to localhost"
    );
    assert!(seen[1].headers.get("authorization").is_some());
}

#[tokio::test]
async fn connections_are_pooled() {
    let server = serve(|_, _| Reply::json(200, r#"{"items":[]}"#)).await;
    let svc = TransportBuilder::new()
        .token(TOKEN)
        .base_url(&server.url())
        .allow_http(true)
        .build()
        .unwrap();
    for _ in 0..5 {
        let res = svc
            .clone()
            .oneshot(Request::get("/v1/customers/").body(empty()).unwrap())
            .await
            .unwrap();
        body_bytes(res).await;
    }
    assert_eq!(server.hits(), 5);
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn user_layers_run_per_attempt_inside_the_stack() {
    let server = serve(|_, n| {
        if n == 0 {
            Reply::status(503)
        } else {
            Reply::status(200)
        }
    })
    .await;
    let svc = TransportBuilder::new()
        .token(TOKEN)
        .base_url(&server.url())
        .allow_http(true)
        .retry(polar_transport::RetryConfig::default().timer(common::InstantTimer::default()))
        .layer(tower::util::MapRequestLayer::new(
            |mut req: Request<polar_transport::Body>| {
                // Sees the absolute URI and the auth header set by the layers above.
                assert!(req.uri().scheme().is_some());
                assert!(req.headers().contains_key("authorization"));
                req.headers_mut()
                    .insert("x-user-layer", http::HeaderValue::from_static("yes"));
                req
            },
        ))
        .build()
        .unwrap();
    let res = svc
        .oneshot(Request::get("/v1/customers/").body(empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        server
            .seen()
            .iter()
            .all(|s| s.headers["x-user-layer"] == "yes")
    );
    assert_eq!(server.hits(), 2);
}

#[test]
fn builder_refuses_bad_configuration() {
    let mock = MockTransport::new();
    let build = |b: TransportBuilder| b.build_with(mock.clone()).map(|_| ()).unwrap_err();
    assert!(matches!(
        build(TransportBuilder::new()),
        BuildError::MissingToken
    ));
    assert!(matches!(
        build(TransportBuilder::new().token("")),
        BuildError::MissingToken
    ));
    for bad in ["abc\r\nx-evil: 1", "abc\ndef", "tok en", "tøken", "abc\0"] {
        let err = build(TransportBuilder::new().token(bad));
        assert!(matches!(err, BuildError::InvalidToken), "{bad:?}: {err:?}");
        assert!(!err.to_string().contains(bad));
    }
    assert!(matches!(
        build(
            TransportBuilder::new()
                .token(TOKEN)
                .base_url("http://127.0.0.1:1")
        ),
        BuildError::InsecureBaseUrl
    ));
    assert!(matches!(
        build(TransportBuilder::new().token(TOKEN).base_url("not a url")),
        BuildError::InvalidBaseUrl(_)
    ));
    assert!(matches!(
        build(
            TransportBuilder::new()
                .token(TOKEN)
                .base_url("ftp://example.com")
        ),
        BuildError::InvalidBaseUrl(_)
    ));
    assert!(matches!(
        build(TransportBuilder::new().token(TOKEN).user_agent("a\nb")),
        BuildError::InvalidHeader(_)
    ));
    assert!(matches!(
        build(TransportBuilder::new().token(TOKEN).api_version("")),
        BuildError::InvalidHeader(_)
    ));
    assert!(
        TransportBuilder::new()
            .token(TOKEN)
            .base_url("http://127.0.0.1:1")
            .allow_http(true)
            .build_with(mock.clone())
            .is_ok()
    );
}

#[tokio::test]
async fn invalid_per_request_token_is_an_error_not_a_panic() {
    let mock = MockTransport::new();
    let svc = TransportBuilder::new()
        .token(TOKEN)
        .build_with(mock.clone())
        .unwrap();
    let mut req = Request::get("/v1/customers/").body(empty()).unwrap();
    let mut opts = RequestOptions::default();
    opts.token = Some(SecretString::from("bad\r\ntoken"));
    req.extensions_mut().insert(opts);
    let err = svc.oneshot(req).await.unwrap_err();
    let err = err.downcast_ref::<polar_transport::Error>().unwrap();
    assert_eq!(err.kind(), polar_transport::ErrorKind::InvalidRequest);
    assert_eq!(mock.request_count(), 0);
}

#[tokio::test]
async fn servers_have_the_documented_urls() {
    for (server, url) in [
        (Server::Production, "https://api.polar.sh/v1/customers/"),
        (
            Server::Sandbox,
            "https://sandbox-api.polar.sh/v1/customers/",
        ),
        (
            Server::Custom("https://proxy.example/base".into()),
            "https://proxy.example/base/v1/customers/",
        ),
    ] {
        let mock = MockTransport::new();
        mock.push(MockResponse::new(200));
        let svc = TransportBuilder::new()
            .token(TOKEN)
            .server(server)
            .build_with(mock.clone())
            .unwrap();
        svc.oneshot(Request::get("/v1/customers/").body(empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(mock.single_request().uri().to_string(), url);
    }
}

#[tokio::test]
async fn mock_works_bare_and_under_the_stack() {
    let mock = MockTransport::new();
    mock.push(MockResponse::json(200, &serde_json::json!({"id": "c1"})));
    mock.push_fn(|req| {
        assert_eq!(req.path(), "/v1/customers/c1");
        Ok(MockResponse::new(204))
    });
    // Bare, through into_http_service: nothing is added.
    let bare = into_http_service(mock.clone());
    let res = bare
        .oneshot(
            Request::get("/v1/customers/?b=1&a=x%20y&a=z")
                .body(empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(body_bytes(res).await, r#"{"id":"c1"}"#);
    let r = &mock.requests()[0];
    r.assert_query(&[("a", "z"), ("b", "1"), ("a", "x y")]);
    assert!(r.header("authorization").is_none());
    // Under the stack.
    let svc = TransportBuilder::new()
        .token(TOKEN)
        .build_with(mock.clone())
        .unwrap();
    let req = Request::delete("/v1/customers/c1").body(empty()).unwrap();
    assert_eq!(svc.clone().oneshot(req).await.unwrap().status(), 204);
    mock.requests()[1]
        .assert_method(http::Method::DELETE)
        .assert_header("authorization", &format!("Bearer {TOKEN}"));
    // Nothing queued: an error, not a panic.
    let err = svc
        .oneshot(Request::get("/x").body(empty()).unwrap())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("transport error"));
    let _ = Duration::ZERO;
}
