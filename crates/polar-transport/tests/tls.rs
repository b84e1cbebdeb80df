//! The rustls path: HTTP/2 over TLS to a loopback server with a self-signed certificate.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{InstantTimer, Reply, body_bytes, empty, serve_with};
use http::{Request, Version};
use polar_transport::{Error, ErrorKind, RetryConfig, TransportBuilder};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tower::ServiceExt;

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn self_signed() -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.key_pair.serialize_der()));
    (ck.cert.der().clone(), key)
}

fn acceptor(
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
) -> tokio_rustls::TlsAcceptor {
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

#[tokio::test]
async fn http2_over_tls_with_a_custom_root() {
    let (cert, key) = self_signed();
    let server = serve_with(
        |_, _| Reply::json(200, r#"{"ok":true}"#),
        Some(acceptor(cert.clone(), key)),
    )
    .await;

    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let tls = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let svc = TransportBuilder::new()
        .token("polar_oat_tls_test")
        .base_url(&format!("https://localhost:{}", server.addr.port()))
        .tls_config(tls)
        .build()
        .unwrap();
    for _ in 0..3 {
        let res = svc
            .clone()
            .oneshot(Request::get("/v1/customers/").body(empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.version(), Version::HTTP_2);
        assert_eq!(body_bytes(res).await, r#"{"ok":true}"#);
    }
    let seen = server.seen();
    assert!(seen.iter().all(|s| s.version == Version::HTTP_2));
    assert_eq!(
        seen[0].headers["authorization"],
        "Bearer polar_oat_tls_test"
    );
    // HTTP/2 multiplexes every request on one connection.
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn untrusted_certificate_is_a_certificate_error_never_retried() {
    let (cert, key) = self_signed();
    let server = serve_with(|_, _| Reply::status(200), Some(acceptor(cert, key))).await;
    // Default roots (webpki): the self-signed certificate is not trusted.
    let svc = TransportBuilder::new()
        .token("polar_oat_tls_test")
        .base_url(&format!("https://localhost:{}", server.addr.port()))
        .retry(
            RetryConfig::default()
                .max_attempts(2)
                .timer(InstantTimer::default()),
        )
        .build()
        .unwrap();
    let err = svc
        .oneshot(Request::post("/v1/customers/").body(empty()).unwrap())
        .await
        .unwrap_err();
    let err = err.downcast_ref::<Error>().unwrap();
    // Issue 12: a certificate that is refused will be refused again: never retried.
    assert_eq!(err.kind(), ErrorKind::Certificate);
    assert!(err.is_connect(), "the request never left");
    assert_eq!(err.attempts(), 1);
    assert_eq!(server.connections(), 1);
    assert_eq!(server.hits(), 0);
}

/// Issue 12: a server that accepts the TCP connection but never answers the TLS handshake. The
/// connect timeout bounds the handshake too, and the failure is a connect failure: the request
/// provably never left, so even a POST is retried.
#[tokio::test]
async fn a_stalled_tls_handshake_is_a_connect_timeout_and_is_retried() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            held.push(stream); // kept open, never read: the handshake stalls
        }
    });
    let svc = TransportBuilder::new()
        .token("polar_oat_tls_test")
        .base_url(&format!("https://localhost:{}", addr.port()))
        .connect_timeout(Duration::from_millis(200))
        .attempt_timeout(Duration::from_secs(20))
        .call_timeout(Duration::from_secs(30))
        .retry(
            RetryConfig::default()
                .max_attempts(2)
                .timer(InstantTimer::default()),
        )
        .build()
        .unwrap();
    let start = std::time::Instant::now();
    let err = svc
        .oneshot(Request::post("/v1/customers/").body(empty()).unwrap())
        .await
        .unwrap_err();
    let err = err.downcast_ref::<Error>().unwrap();
    assert_eq!((err.kind(), err.attempts()), (ErrorKind::ConnectTimeout, 2));
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn plain_http_is_refused_by_the_network_unless_allowed() {
    // Built with allow_http(false) the connector is https-only, even for an absolute http URI.
    let svc = TransportBuilder::new()
        .token("polar_oat_tls_test")
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    let err = svc
        .oneshot(
            Request::get("http://127.0.0.1:9/v1/customers/")
                .body(empty())
                .unwrap(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.downcast_ref::<Error>().unwrap().kind(),
        ErrorKind::Connect
    );
}
