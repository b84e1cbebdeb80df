//! The token never shows in Debug output, error messages or traces.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{InstantTimer, Reply, empty, refused_addr, serve};
use http::Request;
use polar_transport::auth::AuthLayer;
use polar_transport::mock::{MockResponse, MockTransport};
use polar_transport::{RetryConfig, RouteTemplate, TransportBuilder};
use tower::{Layer, ServiceExt};

const TOKEN: &str = "polar_oat_SUPERSECRET_4f9a";
const QUERY_VALUE: &str = "private-email-value";

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    polar_transport::error::chain(err)
        .map(|e| format!("{e} / {e:?}"))
        .collect::<Vec<_>>()
        .join(" / ")
}

#[tokio::test(flavor = "current_thread")]
async fn token_never_appears_in_debug_errors_or_traces() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = serve(|_, n| {
        if n == 0 {
            Reply::status(401)
        } else {
            Reply::Close
        }
    })
    .await;
    let builder = TransportBuilder::new()
        .token(TOKEN)
        .base_url(&server.url())
        .allow_http(true)
        .retry(RetryConfig::default().timer(InstantTimer::default()))
        .attempt_timeout(Duration::from_secs(5));
    let mut debug = format!("{builder:?}");
    let svc = builder.clone().build().unwrap();
    debug.push_str(&format!("{svc:?}"));

    // A 401, then a connection closed before the response (retried, then an error).
    let uri = format!("/v1/customers/?email={QUERY_VALUE}");
    let mut req = Request::get(&uri).body(empty()).unwrap();
    req.extensions_mut().insert(RouteTemplate("/v1/customers/"));
    let res = svc.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), 401);
    debug.push_str(&format!("{res:?}"));
    let err = svc
        .clone()
        .oneshot(Request::get(&uri).body(empty()).unwrap())
        .await
        .unwrap_err();
    debug.push_str(&error_chain(err.as_ref()));

    // A connect error on a refused port.
    let refused = TransportBuilder::new()
        .token(TOKEN)
        .base_url(&format!("http://{}", refused_addr().await))
        .allow_http(true)
        .retry(RetryConfig::default().timer(InstantTimer::default()))
        .build()
        .unwrap();
    let err = refused
        .oneshot(Request::get(&uri).body(empty()).unwrap())
        .await
        .unwrap_err();
    debug.push_str(&error_chain(err.as_ref()));

    // Layers and services on their own.
    let auth = AuthLayer::new(TOKEN.into(), &"https://api.polar.sh".parse().unwrap()).unwrap();
    debug.push_str(&format!("{auth:?}"));
    debug.push_str(&format!("{:?}", auth.layer(MockTransport::new())));
    debug.push_str(&format!("{:?}", RetryConfig::default()));

    // The mock's record of a request.
    let mock = MockTransport::new();
    mock.push(MockResponse::new(500));
    let msvc = builder.build_with(mock.clone()).unwrap();
    let _ = msvc
        .oneshot(Request::post(&uri).body(empty()).unwrap())
        .await;
    debug.push_str(&format!("{mock:?} {:?}", mock.requests()));
    assert!(
        mock.requests()[0]
            .header("authorization")
            .unwrap()
            .contains(TOKEN)
    );

    let traces = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(!debug.contains(TOKEN), "token in debug output: {debug}");
    assert!(!traces.contains(TOKEN), "token in traces: {traces}");
    assert!(
        !traces.contains(QUERY_VALUE),
        "query value in traces: {traces}"
    );
    // The traces do carry what they should.
    assert!(traces.contains("polar_call"), "{traces}");
    assert!(traces.contains("route=/v1/customers/"), "{traces}");
    assert!(traces.contains("status=401"), "{traces}");
    assert!(traces.contains("attempt=3"), "{traces}");
    assert!(traces.contains("Connect"), "{traces}");
}
