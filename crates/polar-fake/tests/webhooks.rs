//! The fake's webhook deliveries, seen from a receiver on loopback: signed like Polar's (the
//! standard key by default, the legacy key on request), retried with backoff on failure, in order
//! per endpoint, and sent again on request with the same `webhook-id`.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::io::BufRead as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use polar_fake::{CUSTOMER_EVENTS, FakePolar, Tamper, WebhookDelivery, WebhookEndpoint};
use polar_webhooks::{Event, Scheme, Signer, Webhook};
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

/// The smallest body a customer event can carry: a customer of a kind the SDK does not know,
/// with what every customer has.
fn customer(id: &str) -> serde_json::Value {
    json!({
        "id": id,
        "type": "household",
        "organization_id": "1dbfc517-0bbf-4301-9ba8-555ca42b9737",
        "metadata": {}
    })
}

/// What the receiver saw: (webhook-id, event type or the verification error, status answered).
type Seen = Arc<Mutex<Vec<(String, String, u16)>>>;

/// A loopback port and its URL, for an endpoint to be made before its receiver.
async fn bind() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    (listener, url)
}

/// A receiver on `listener` that verifies each request with `webhook` and answers the next
/// scripted status (200 when the script is empty; 401 when it does not verify).
fn receiver(listener: TcpListener, webhook: Webhook, script: Vec<u16>) -> Seen {
    let seen: Seen = Arc::default();
    let script = Arc::new(Mutex::new(VecDeque::from(script)));
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let (webhook, log, script) = (webhook.clone(), log.clone(), script.clone());
            tokio::spawn(async move {
                let service = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let (webhook, log, script) = (webhook.clone(), log.clone(), script.clone());
                    async move {
                        let (parts, body) = req.into_parts();
                        let body = body.collect().await.unwrap().to_bytes();
                        let id = parts.headers["webhook-id"].to_str().unwrap().to_owned();
                        let (what, mut status) = match webhook.verify(&parts.headers, &body) {
                            Ok(e) => (e.event_type().to_owned(), 200),
                            Err(e) => (format!("refused: {e}"), 401),
                        };
                        if status == 200 {
                            status = script.lock().unwrap().pop_front().unwrap_or(200);
                        }
                        log.lock().unwrap().push((id, what, status));
                        let mut res = http::Response::new(Full::new(Bytes::new()));
                        *res.status_mut() = http::StatusCode::from_u16(status).unwrap();
                        Ok::<_, Infallible>(res)
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    seen
}

async fn settled(fake: &FakePolar) {
    tokio::time::timeout(Duration::from_secs(20), fake.webhooks_settled())
        .await
        .expect("deliveries settle");
}

/// Registers `endpoint` and a receiver for it that accepts either scheme.
async fn with_receiver(
    fake: &FakePolar,
    listener: TcpListener,
    endpoint: WebhookEndpoint,
    script: Vec<u16>,
) -> Seen {
    let seen = receiver(listener, Webhook::new(endpoint.secret()).unwrap(), script);
    fake.add_webhook_endpoint(endpoint);
    seen
}

/// The key a delivery was signed with: the scheme whose key reproduces its signature.
fn scheme_of(secret: &str, d: &WebhookDelivery) -> Option<Scheme> {
    let ts: i64 = d.headers["webhook-timestamp"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let sig = d.headers["webhook-signature"].to_str().unwrap();
    [Scheme::Standard, Scheme::Legacy]
        .into_iter()
        .find(|s| Signer::new(secret, *s).is_ok_and(|k| k.sign(&d.webhook_id, ts, &d.body) == sig))
}

/// [`scheme_of`] checks deliveries with the fake's own `Signer`; these fixed vectors, computed
/// apart from it, pin what that `Signer` writes (Standard Webhooks: `v1,` and the base64 of
/// HMAC-SHA256 over `id.timestamp.body`, keyed by the secret's base64 part decoded, or by the
/// whole secret's UTF-8 bytes for the legacy key):
///
/// ```text
/// python3 -c "
/// import base64,hmac,hashlib
/// key=bytes(range(32)); secret='whsec_'+base64.b64encode(key).decode()
/// msg=b'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W.1700000000.{\"type\":\"customer.updated\"}'
/// print(secret); print('v1,'+base64.b64encode(hmac.new(key,msg,hashlib.sha256).digest()).decode())
/// lk=secret.encode(); print('v1,'+base64.b64encode(hmac.new(lk,msg,hashlib.sha256).digest()).decode())
/// "
/// ```
#[test]
fn the_signer_matches_known_answers() {
    let secret = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let (id, ts, body) = (
        "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
        1_700_000_000,
        br#"{"type":"customer.updated"}"#,
    );
    let sign = |scheme| Signer::new(secret, scheme).unwrap().sign(id, ts, body);
    assert_eq!(
        sign(Scheme::Standard),
        "v1,WqZi3Aq2ABGoIYEi1ga9ovRzzEG1IMGtppBHkXm4tzE="
    );
    assert_eq!(
        sign(Scheme::Legacy),
        "v1,CQg9aSrBjljqAN5WAxRPuyO/CjUl1ie5b74Fim29a+E="
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_retried_with_the_same_id_and_later_events_wait() {
    // The first event fails twice (a 500, then a 429) before it is accepted.
    let (listener, url) = bind().await;
    let fake = FakePolar::new();
    let endpoint = WebhookEndpoint::new(&url, CUSTOMER_EVENTS)
        .unwrap()
        .retries(10, Duration::from_millis(5));
    let seen = with_receiver(&fake, listener, endpoint, vec![500, 429]).await;
    fake.send_webhook(
        "customer.updated",
        &customer("0a000000-0000-4000-8000-000000000001"),
        Tamper::None,
    );
    fake.send_webhook(
        "customer.deleted",
        &customer("0b000000-0000-4000-8000-000000000002"),
        Tamper::None,
    );
    settled(&fake).await;

    let seen = seen.lock().unwrap().clone();
    let statuses: Vec<u16> = seen.iter().map(|s| s.2).collect();
    assert_eq!(statuses, [500, 429, 200, 200]);
    // The three attempts of the first event carry one id; the second event came after.
    assert_eq!(seen[0].0, seen[1].0);
    assert_eq!(seen[1].0, seen[2].0);
    assert_ne!(seen[2].0, seen[3].0);
    assert_eq!(seen[3].1, "customer.deleted");
    let deliveries = fake.webhook_deliveries();
    let attempts: Vec<(u32, bool)> = deliveries
        .iter()
        .map(|d| (d.attempt, d.succeeded()))
        .collect();
    assert_eq!(attempts, [(1, false), (2, false), (3, true), (1, true)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_that_never_accepts_is_given_up_after_its_attempts() {
    let (listener, url) = bind().await;
    let fake = FakePolar::new();
    let endpoint = WebhookEndpoint::new(&url, ["customer.updated"])
        .unwrap()
        .retries(3, Duration::from_millis(1));
    let seen = with_receiver(&fake, listener, endpoint, vec![503; 10]).await;
    fake.send_webhook(
        "customer.updated",
        &customer("0d000000-0000-4000-8000-000000000004"),
        Tamper::None,
    );
    // Not subscribed: never sent.
    fake.send_webhook(
        "customer.deleted",
        &customer("0d000000-0000-4000-8000-000000000004"),
        Tamper::None,
    );
    settled(&fake).await;
    assert_eq!(seen.lock().unwrap().len(), 3);
    assert!(
        fake.webhook_deliveries()
            .iter()
            .all(|d| d.status == Some(503))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_endpoint_is_recorded_not_fatal() {
    // A port nobody listens on (bound, then closed).
    let (listener, url) = bind().await;
    drop(listener);
    let fake = FakePolar::new();
    let endpoint = WebhookEndpoint::new(&url, CUSTOMER_EVENTS)
        .unwrap()
        .retries(2, Duration::from_millis(1));
    fake.add_webhook_endpoint(endpoint);
    fake.send_webhook(
        "customer.created",
        &customer("0d000000-0000-4000-8000-000000000004"),
        Tamper::None,
    );
    settled(&fake).await;
    let deliveries = fake.webhook_deliveries();
    assert_eq!(deliveries.len(), 2);
    assert!(
        deliveries[0]
            .error
            .as_deref()
            .unwrap()
            .contains("cannot connect")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_endpoint_gets_a_new_style_secret_and_the_standard_key() {
    let (listener, url) = bind().await;
    let fake = FakePolar::new();
    let endpoint = WebhookEndpoint::new(&url, CUSTOMER_EVENTS).unwrap();
    let secret = endpoint.secret().to_owned();
    assert_eq!(endpoint.scheme(), Scheme::Standard);
    let key = secret.strip_prefix("whsec_").unwrap();
    assert_eq!(key.len(), 44, "{secret}"); // base64 of 32 bytes
    // Two endpoints never share a secret.
    assert_ne!(
        WebhookEndpoint::new(&url, CUSTOMER_EVENTS)
            .unwrap()
            .secret(),
        secret
    );
    // The receiver accepts the standard key only: the deliveries must be signed with it.
    let standard_only = Webhook::new(&secret)
        .unwrap()
        .scheme(Scheme::Standard)
        .unwrap();
    let seen = receiver(listener, standard_only, vec![]);
    fake.add_webhook_endpoint(endpoint);
    let mut data = customer("0c000000-0000-4000-8000-000000000003");
    data["n"] = json!(1);
    fake.send_webhook("customer.state_changed", &data, Tamper::None);
    settled(&fake).await;
    assert_eq!(seen.lock().unwrap()[0].2, 200, "{:?}", seen.lock().unwrap());

    // Polar's body and headers.
    let d = &fake.webhook_deliveries()[0];
    let body = std::str::from_utf8(&d.body).unwrap();
    assert!(
        body.starts_with(r#"{"type":"customer.state_changed","timestamp":""#),
        "{body}"
    );
    assert!(body.ends_with(&format!(r#","data":{data}}}"#)), "{body}");
    assert_eq!(d.headers["user-agent"], "polar.sh webhooks");
    assert_eq!(d.headers["content-type"], "application/json");
    assert_eq!(d.headers["webhook-id"], d.webhook_id.as_str());
    assert_eq!(scheme_of(&secret, d), Some(Scheme::Standard));
    match Webhook::new(&secret).unwrap().verify(&d.headers, &d.body) {
        Ok(Event::CustomerStateChanged { .. }) => {}
        other => panic!("{other:?}"),
    }
    // A legacy-only verifier refuses it.
    let legacy = Webhook::new(&secret)
        .unwrap()
        .scheme(Scheme::Legacy)
        .unwrap();
    assert!(legacy.verify(&d.headers, &d.body).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_legacy_endpoint_is_signed_with_the_whole_secret() {
    let fake = FakePolar::new();
    // A secret made before the cutoff, and one the test supplies (not base64 after `whsec_`).
    for make in [
        |e: WebhookEndpoint| e.with_legacy_secret(),
        |e: WebhookEndpoint| e.with_secret("whsec_chosen_by_the_merchant_00000").unwrap(),
    ] {
        let (listener, url) = bind().await;
        let endpoint = make(WebhookEndpoint::new(&url, ["customer.updated"]).unwrap());
        let secret = endpoint.secret().to_owned();
        assert_eq!(endpoint.scheme(), Scheme::Legacy);
        // Polar's old token: `whsec_`, 37 letters or digits and a 6-character checksum.
        assert!(
            secret.len() == 6 + 43 || secret.contains("merchant"),
            "{secret}"
        );
        let legacy_only = Webhook::new(&secret)
            .unwrap()
            .scheme(Scheme::Legacy)
            .unwrap();
        let seen = receiver(listener, legacy_only, vec![]);
        fake.add_webhook_endpoint(endpoint);
        fake.send_webhook(
            "customer.updated",
            &customer("0e000000-0000-4000-8000-000000000005"),
            Tamper::None,
        );
        settled(&fake).await;
        assert_eq!(seen.lock().unwrap().last().unwrap().2, 200);
        let d = fake
            .webhook_deliveries()
            .into_iter()
            .rfind(|d| d.url == url)
            .unwrap();
        assert_eq!(scheme_of(&secret, &d), Some(Scheme::Legacy));
    }
    let err = WebhookEndpoint::new("http://127.0.0.1:9/", CUSTOMER_EVENTS)
        .unwrap()
        .with_secret("")
        .unwrap_err();
    assert!(err.to_string().contains("empty"), "{err}");
    assert!(WebhookEndpoint::new("https://example.com/", CUSTOMER_EVENTS).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_event_is_refused_under_either_scheme() {
    let fake = FakePolar::new();
    for legacy in [false, true] {
        let (listener, url) = bind().await;
        let mut endpoint = WebhookEndpoint::new(&url, ["customer.updated"]).unwrap();
        if legacy {
            endpoint = endpoint.with_legacy_secret();
        }
        let seen = with_receiver(&fake, listener, endpoint, vec![]).await;
        let data = customer("0f000000-0000-4000-8000-000000000006");
        fake.send_webhook("customer.updated", &data, Tamper::WrongSignature);
        fake.send_webhook(
            "customer.updated",
            &data,
            Tamper::StaleTimestamp(Duration::from_secs(600)),
        );
        settled(&fake).await;
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 2, "{seen:?}");
        assert!(seen[0].1.contains("no signature matches"), "{seen:?}");
        assert!(seen[1].1.contains("older than the tolerance"), "{seen:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redelivery_has_the_same_id_and_body_signed_anew() {
    let (listener, url) = bind().await;
    let fake = FakePolar::new();
    let endpoint = WebhookEndpoint::new(&url, CUSTOMER_EVENTS).unwrap();
    let secret = endpoint.secret().to_owned();
    let seen = with_receiver(&fake, listener, endpoint, vec![]).await;
    fake.send_webhook(
        "customer.created",
        &customer("10000000-0000-4000-8000-000000000007"),
        Tamper::None,
    );
    settled(&fake).await;
    let first = fake.webhook_deliveries().pop().unwrap();
    // A second later, so that the new signature covers a new timestamp.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(fake.redeliver_webhook(&first.webhook_id));
    assert!(!fake.redeliver_webhook("no-such-event"));
    settled(&fake).await;
    let deliveries = fake.webhook_deliveries();
    assert_eq!(deliveries.len(), 2);
    let again = &deliveries[1];
    assert_eq!(again.webhook_id, first.webhook_id);
    assert_eq!(again.body, first.body);
    assert_eq!(again.attempt, 1);
    assert_ne!(
        again.headers["webhook-timestamp"],
        first.headers["webhook-timestamp"]
    );
    assert_eq!(scheme_of(&secret, again), Some(Scheme::Standard));
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|s| s.0 == first.webhook_id && s.2 == 200));
}

/// Runs the `polar-fake` binary with `args` and reads its banner: the URL and the webhook
/// secrets it printed.
struct Binary(std::process::Child);

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run_binary(args: &[&str]) -> (Binary, String, Vec<String>) {
    let mut child = Binary(
        std::process::Command::new(env!("CARGO_BIN_EXE_polar-fake"))
            .args(["--port", "0", "--token", "polar_oat_cli"])
            .args(args)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let (mut url, mut secrets) = (None, Vec::new());
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(u) = line.strip_prefix("export POLAR_BASE_URL=") {
            url = Some(u.to_owned());
        }
        if let Some(s) = line.strip_prefix("export POLAR_WEBHOOK_SECRET=") {
            secrets.push(s.split(' ').next().unwrap().to_owned());
        }
        if line.starts_with("Press Ctrl-C") {
            break;
        }
    }
    (child, url.expect("the URL is printed"), secrets)
}

async fn create_customer(base: &str, email: &str) {
    let addr = base.trim_start_matches("http://");
    let body = format!(r#"{{"email":"{email}"}}"#);
    let request = format!(
        "POST /v1/customers/ HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer polar_oat_cli\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out).await;
    let answer = String::from_utf8_lossy(&out);
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_registers_webhook_endpoints_from_its_flags() {
    for (flags, scheme) in [
        (&[][..], Scheme::Standard),
        (&["--webhook-legacy"][..], Scheme::Legacy),
        (
            &["--webhook-secret", "whsec_cli_supplied_secret_000000000"][..],
            Scheme::Legacy,
        ),
    ] {
        let (listener, url) = bind().await;
        let mut args = vec!["--webhook", url.as_str()];
        args.extend(flags);
        let (_child, base, secrets) = run_binary(&args);
        assert_eq!(secrets.len(), 1, "{secrets:?}");
        let secret = &secrets[0];
        if flags.len() == 2 {
            assert_eq!(secret, "whsec_cli_supplied_secret_000000000");
        }
        let webhook = Webhook::new(secret).unwrap().scheme(scheme).unwrap();
        let seen = receiver(listener, webhook, vec![]);
        create_customer(&base, "cli@polar.sh").await;
        // customer.created, then customer.state_changed.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while seen.lock().unwrap().len() < 2 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let seen = seen.lock().unwrap().clone();
        let got: Vec<(&str, u16)> = seen.iter().map(|s| (s.1.as_str(), s.2)).collect();
        assert_eq!(
            got,
            [("customer.created", 200), ("customer.state_changed", 200)],
            "{flags:?}"
        );
    }
    // Bad combinations are refused with the usage.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_polar-fake"))
        .args(["--webhook-legacy"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("need a --webhook URL"));
}
