//! A small HTTP service (hyper only) with one gated route and the webhook route that keeps the
//! cache fresh.
//!
//! - `GET /pro` with `x-user-id: <your user ID>` (the customer's external ID): 200 when the
//!   customer has the benefit, 403 when not, 503 when Polar cannot be asked and nothing recent
//!   is known (this app's choice: fail closed, and say so).
//! - `POST /webhooks/polar`: a `polar_webhooks::Receiver` whose handler is the entitlements
//!   handle (feature `receiver` of `polar-entitlements`): it verifies the delivery, skips a copy
//!   already processed, applies the event to the cache and answers 200 once that is done (also
//!   for event types the cache does not use, as Polar expects).
//!
//! In your `Cargo.toml`: `polar-entitlements = { version = "0.1", features = ["receiver"] }`
//! and `polar-webhooks = "0.1"`.
//!
//! `cargo run -p polar-entitlements --example gated_route` runs it against a local fake Polar
//! and sends it a few requests (and fails when an answer is not the expected one). With `POLAR_TOKEN`, `POLAR_ORGANIZATION_ID`,
//! `POLAR_WEBHOOK_SECRET` and `PRO_BENEFIT_ID` set, it serves on 127.0.0.1:3000 against Polar's
//! sandbox instead.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use polar_customers::types::BenefitId;
use polar_customers::{Client, Server};
use polar_entitlements::Entitlements;
use polar_webhooks::{Receiver, Webhook};
use tokio::net::TcpListener;

/// What every request needs.
#[derive(Clone)]
struct App {
    entitlements: Entitlements,
    /// The webhook route: verifies, deduplicates, calls `entitlements.apply`, answers.
    webhooks: Receiver,
    pro: BenefitId,
}

impl App {
    fn new(entitlements: Entitlements, webhook: Webhook, pro: BenefitId) -> App {
        App {
            webhooks: Receiver::new(webhook, entitlements.clone()),
            entitlements,
            pro,
        }
    }
}

fn answer(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response
}

async fn handle(app: App, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    match (req.method().as_str(), req.uri().path()) {
        // Every method: the receiver answers anything but POST with a 405.
        (_, "/webhooks/polar") => Ok(app.webhooks.receive(req).await),
        ("GET", "/pro") => {
            let Some(user) = req.headers().get("x-user-id").and_then(|v| v.to_str().ok()) else {
                return Ok(answer(StatusCode::UNAUTHORIZED, "who are you?\n"));
            };
            Ok(match app.entitlements.has_benefit(user, app.pro).await {
                Ok(true) => answer(StatusCode::OK, "welcome to the pro features\n"),
                Ok(false) => answer(StatusCode::FORBIDDEN, "this needs the pro plan\n"),
                Err(e) => {
                    eprintln!("entitlement check failed: {e}");
                    answer(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "cannot check your plan right now\n",
                    )
                }
            })
        }
        _ => Ok(answer(StatusCode::NOT_FOUND, "")),
    }
}

/// Serves `app` on `listener` until the process ends.
async fn serve(listener: TcpListener, app: App) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let app = app.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| handle(app.clone(), req));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if let Ok(token) = std::env::var("POLAR_TOKEN") {
        let client = Client::builder()
            .token(token)
            .server(Server::Sandbox)
            .build()?;
        let organization = std::env::var("POLAR_ORGANIZATION_ID")?.parse()?;
        let app = App::new(
            Entitlements::new(client, organization),
            Webhook::new(std::env::var("POLAR_WEBHOOK_SECRET")?)?,
            std::env::var("PRO_BENEFIT_ID")?.parse()?,
        );
        let listener = TcpListener::bind("127.0.0.1:3000").await?;
        println!(
            "serving on http://127.0.0.1:3000 (point a sandbox webhook endpoint at /webhooks/polar)"
        );
        serve(listener, app).await;
        return Ok(());
    }
    demo().await
}

/// The service against a local fake Polar that delivers its webhooks to it.
pub(crate) async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    use polar_customers::types::BenefitType;
    use polar_fake::{CUSTOMER_EVENTS, FakePolar, WebhookEndpoint, samples};

    let fake = FakePolar::new();
    let polar = fake.serve("127.0.0.1:0").await?;
    let client = Client::builder()
        .token(fake.token())
        .base_url(&polar.url())
        .allow_http(true)
        .build()?;
    let ada = client
        .customers()
        .ensure_external("user_42")
        .email("ada@polar.sh")
        .await?;
    let pro = samples::benefit_grant(BenefitType::FeatureFlag);

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    // The endpoint as Polar's dashboard makes it: a new secret, for the service to verify with.
    let endpoint = WebhookEndpoint::new(&format!("http://{addr}/webhooks/polar"), CUSTOMER_EVENTS)?;
    let entitlements = Entitlements::new(client, fake.organization_id());
    let app = App::new(
        entitlements.clone(),
        Webhook::new(endpoint.secret())?,
        pro.benefit_id,
    );
    tokio::spawn(serve(listener, app));
    fake.add_webhook_endpoint(endpoint);

    check(addr, "user_42, before the grant", "user_42", 403).await?;
    fake.add_benefit_grant(ada.id(), &pro);
    fake.webhooks_settled().await;
    check(addr, "user_42, after the webhook", "user_42", 200).await?;
    fake.revoke_benefit_grant(ada.id(), pro.id);
    fake.webhooks_settled().await;
    check(addr, "user_42, after the revocation", "user_42", 403).await?;
    check(addr, "nobody", "nobody", 403).await?;

    let stats = entitlements.stats();
    println!(
        "Polar was asked {} times; {} webhook updates; {} answers from memory",
        stats.api_fetches, stats.webhook_updates, stats.hits
    );
    let deliveries = fake.webhook_deliveries();
    let answers: Vec<String> = deliveries
        .iter()
        .map(|d| match d.status {
            Some(status) => format!("{} {status}", d.event_type),
            None => format!("{} (no answer)", d.event_type),
        })
        .collect();
    println!("webhook deliveries answered: {}", answers.join(", "));
    if !deliveries.iter().all(|d| d.succeeded()) {
        return Err("a webhook delivery was not acknowledged".into());
    }
    Ok(())
}

/// `GET /pro` as `user`: prints the answer, and fails the demo when its status is not `want`
/// (`tests/gated_route.rs` runs the demo under `cargo test`).
async fn check(
    addr: SocketAddr,
    who: &str,
    user: &str,
    want: u16,
) -> Result<(), Box<dyn std::error::Error>> {
    let answer = get_pro(addr, user).await?;
    println!("GET /pro as {:<30} {answer}", format!("{who}:"));
    if !answer.starts_with(&want.to_string()) {
        return Err(format!("expected {want} for {who}").into());
    }
    Ok(())
}

/// `GET /pro` as `user`, over a plain connection: the status line.
async fn get_pro(addr: SocketAddr, user: &str) -> Result<String, Box<dyn std::error::Error>> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let request = Request::get("/pro")
        .header("host", addr.to_string())
        .header("x-user-id", user)
        .body(Full::new(Bytes::new()))?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    Ok(format!(
        "{} {}",
        status.as_u16(),
        String::from_utf8_lossy(&body).trim()
    ))
}
