//! A small HTTP service (hyper only) with one gated route and the webhook route that keeps the
//! cache fresh.
//!
//! - `GET /pro` with `x-user-id: <your user ID>` (the customer's external ID): 200 when the
//!   customer has the benefit, 403 when not, 503 when Polar cannot be asked and nothing recent
//!   is known (this app's choice: fail closed, and say so).
//! - `POST /webhooks/polar`: verifies the delivery, hands the event to the cache, answers 204
//!   (also to event types it does not use, as Polar expects).
//!
//! `cargo run -p polar-entitlements --example gated_route` runs it against a local fake Polar
//! and sends it a few requests. With `POLAR_TOKEN`, `POLAR_ORGANIZATION_ID`,
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
use polar_webhooks::Webhook;
use tokio::net::TcpListener;

/// What every request needs.
#[derive(Clone)]
struct App {
    entitlements: Entitlements,
    webhook: Webhook,
    pro: BenefitId,
}

fn answer(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response
}

async fn handle(app: App, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    match (req.method().as_str(), req.uri().path()) {
        ("POST", "/webhooks/polar") => {
            let (parts, body) = req.into_parts();
            let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
                return Ok(answer(StatusCode::BAD_REQUEST, "unreadable body\n"));
            };
            // Where the receiver of `polar-webhooks` is used, it hands over the same `Event`.
            match app.webhook.verify(&parts.headers, &body) {
                Ok(event) => {
                    app.entitlements.apply(&event).await;
                    Ok(answer(StatusCode::NO_CONTENT, ""))
                }
                Err(_) => Ok(answer(
                    StatusCode::BAD_REQUEST,
                    "not a valid Polar delivery\n",
                )),
            }
        }
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
        let app = App {
            entitlements: Entitlements::new(client, organization),
            webhook: Webhook::new(std::env::var("POLAR_WEBHOOK_SECRET")?)?,
            pro: std::env::var("PRO_BENEFIT_ID")?.parse()?,
        };
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
async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    use polar_customers::types::BenefitType;
    use polar_fake::{CUSTOMER_EVENTS, FakePolar, WebhookEndpoint, samples};

    const SECRET: &str = "whsec_demo_secret";
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
    let app = App {
        entitlements: Entitlements::new(client, fake.organization_id()),
        webhook: Webhook::new(SECRET)?,
        pro: pro.benefit_id,
    };
    let entitlements = app.entitlements.clone();
    tokio::spawn(serve(listener, app));
    let hooks = format!("http://{addr}/webhooks/polar");
    fake.add_webhook_endpoint(WebhookEndpoint::new(&hooks, CUSTOMER_EVENTS)?.with_secret(SECRET)?);

    println!(
        "GET /pro as user_42, before the grant:    {}",
        get_pro(addr, "user_42").await?
    );
    fake.add_benefit_grant(ada.id(), &pro);
    fake.webhooks_settled().await;
    println!(
        "GET /pro as user_42, after the webhook:    {}",
        get_pro(addr, "user_42").await?
    );
    fake.revoke_benefit_grant(ada.id(), pro.id);
    fake.webhooks_settled().await;
    println!(
        "GET /pro as user_42, after the revocation: {}",
        get_pro(addr, "user_42").await?
    );
    println!(
        "GET /pro as nobody:                        {}",
        get_pro(addr, "nobody").await?
    );
    let stats = entitlements.stats();
    println!(
        "Polar was asked {} times; {} webhook updates; {} answers from memory",
        stats.api_fetches, stats.webhook_updates, stats.hits
    );
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
