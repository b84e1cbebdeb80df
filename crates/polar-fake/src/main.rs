//! `polar-fake`: serves the fake Polar Customers API on loopback.
//!
//! ```text
//! cargo run -p polar-fake -- [--port 8080] [--token VALUE] [--rate-limit N-PER-MINUTE] [--sandbox]
//!     [--undeliverable-domain DOMAIN]... [--webhook URL]... [--webhook-legacy | --webhook-secret SECRET]
//! ```
//!
//! Each `--webhook URL` registers an endpoint for the customer events; its secret is printed at
//! start. It is a new-style secret signed with the standard key unless `--webhook-legacy` (an
//! old-style secret, legacy key) or `--webhook-secret SECRET` (your secret, legacy key, as Polar
//! signs secrets merchants supply).

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage: polar-fake [--port PORT] [--token TOKEN] [--rate-limit N_PER_MINUTE] [--sandbox] [--undeliverable-domain DOMAIN]... [--webhook URL]... [--webhook-legacy | --webhook-secret SECRET]";

struct Args {
    port: u16,
    token: Option<String>,
    rate_limit: Option<u32>,
    sandbox: bool,
    undeliverable: Vec<String>,
    webhooks: Vec<String>,
    webhook_legacy: bool,
    webhook_secret: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        port: 8080,
        token: None,
        rate_limit: None,
        sandbox: false,
        undeliverable: Vec::new(),
        webhooks: Vec::new(),
        webhook_legacy: false,
        webhook_secret: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f.to_owned(), Some(v.to_owned())),
            None => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or(format!("{name} needs a value"))
        };
        match flag.as_str() {
            "--port" | "-p" => {
                args.port = value("--port")?
                    .parse()
                    .map_err(|e| format!("bad --port: {e}"))?
            }
            "--token" => args.token = Some(value("--token")?),
            "--rate-limit" => {
                args.rate_limit = Some(
                    value("--rate-limit")?
                        .parse()
                        .map_err(|e| format!("bad --rate-limit: {e}"))?,
                )
            }
            "--sandbox" => args.sandbox = true,
            "--undeliverable-domain" => args.undeliverable.push(value("--undeliverable-domain")?),
            "--webhook" => args.webhooks.push(value("--webhook")?),
            "--webhook-legacy" => args.webhook_legacy = true,
            "--webhook-secret" => args.webhook_secret = Some(value("--webhook-secret")?),
            "--help" | "-h" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.webhook_legacy && args.webhook_secret.is_some() {
        return Err("--webhook-legacy and --webhook-secret exclude each other".into());
    }
    if args.webhooks.is_empty() && (args.webhook_legacy || args.webhook_secret.is_some()) {
        return Err("--webhook-legacy and --webhook-secret need a --webhook URL".into());
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("{msg}");
            }
            eprintln!("{USAGE}");
            return if msg.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    let mut builder = polar_fake::FakePolar::builder().sandbox(args.sandbox);
    if let Some(t) = args.token {
        builder = builder.token(t);
    }
    if let Some(n) = args.rate_limit {
        builder = builder.rate_limit(n, Duration::from_secs(60));
    }
    for domain in args.undeliverable {
        builder = builder.undeliverable_domain(domain);
    }
    let fake = builder.build();
    let mut endpoints = String::new();
    for url in &args.webhooks {
        let endpoint =
            polar_fake::WebhookEndpoint::new(url, polar_fake::CUSTOMER_EVENTS).and_then(|e| {
                match &args.webhook_secret {
                    Some(secret) => e.with_secret(secret),
                    None if args.webhook_legacy => Ok(e.with_legacy_secret()),
                    None => Ok(e),
                }
            });
        let endpoint = match endpoint {
            Ok(e) => e,
            Err(e) => {
                eprintln!("polar-fake: {e}");
                return ExitCode::from(2);
            }
        };
        let key = match endpoint.scheme() {
            polar_webhooks::Scheme::Standard => "standard key",
            polar_webhooks::Scheme::Legacy => "legacy key",
        };
        // The fake's own test secret, printed like the token: the receiver needs it.
        endpoints.push_str(&format!(
            "webhook endpoint: {url}\nexport POLAR_WEBHOOK_SECRET={} # {key}\n",
            endpoint.secret()
        ));
        fake.add_webhook_endpoint(endpoint);
    }
    if !endpoints.is_empty() {
        endpoints.push('\n');
    }
    let server = match fake.serve(("127.0.0.1", args.port)).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("polar-fake: cannot listen on 127.0.0.1:{}: {e}", args.port);
            return ExitCode::FAILURE;
        }
    };
    let banner = format!(
        "polar-fake listening on {url}\norganization: {org}\n\n\
         export POLAR_BASE_URL={url}\nexport POLAR_ACCESS_TOKEN={token}\n\n{endpoints}\
         Press Ctrl-C to stop.\n",
        url = server.url(),
        org = fake.organization_id(),
        token = fake.token(),
    );
    // A reader that stops listening (`| head`, a test that has what it needs) must not take the
    // server down: write errors on stdout are ignored, where `println!` would panic.
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(banner.as_bytes()).and_then(|()| out.flush());
    drop(out);
    // Runs until the process is interrupted.
    std::future::pending::<()>().await;
    ExitCode::SUCCESS
}
