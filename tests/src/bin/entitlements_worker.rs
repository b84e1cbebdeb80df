//! One process of the entitlements fleet test (`tests/tests/entitlements_fleet.rs`): a handle
//! sharing its cache through Redis, driven line by line on stdin, answering one line each.
//!
//! `entitlements_worker <base url> <token> <organization id> <redis url> <prefix>`
//!
//! Commands: `has <customer id> <benefit id>` → `true` / `false` / `error <why>`;
//! `apply <event JSON>` → `Updated` / `Refused` / `Ignored`; `shared` → `true` / `false`;
//! `stats` → `<api fetches> <shared hits>`.

use std::io::BufRead;
use std::time::Duration;

use polar_customers::Client;
use polar_entitlements::Entitlements;
use polar_entitlements::redis::SharedCache;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [base, token, organization, redis_url, prefix] = &args[..] else {
        eprintln!(
            "usage: entitlements_worker <base url> <token> <organization id> <redis url> <prefix>"
        );
        std::process::exit(2);
    };
    let client = Client::builder()
        .token(token)
        .base_url(base)
        .allow_http(true)
        .disable_rate_limit()
        .build()
        .expect("client");
    let shared = SharedCache::new(redis_url, prefix.clone())
        .expect("redis url")
        .reconnect_interval(Duration::from_millis(200));
    let handle = Entitlements::builder(client, organization.parse().expect("organization id"))
        .ttl(Duration::from_secs(60))
        .shared(shared.clone())
        .build();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    while let Some(line) = rx.recv().await {
        let (command, rest) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        let answer = match command {
            "has" => {
                let (customer, benefit) = rest.split_once(' ').expect("has <customer> <benefit>");
                let customer: polar_customers::CustomerId = customer.parse().expect("customer id");
                match handle
                    .has_benefit(customer, benefit.parse().expect("benefit id"))
                    .await
                {
                    Ok(yes) => yes.to_string(),
                    Err(e) => format!("error {e}"),
                }
            }
            "apply" => {
                let event: polar_webhooks::Event = serde_json::from_str(rest).expect("an event");
                format!("{:?}", handle.apply(&event).await)
            }
            "shared" => shared.is_shared().to_string(),
            "stats" => {
                let stats = handle.stats();
                format!("{} {}", stats.api_fetches, stats.shared_hits)
            }
            "quit" => break,
            other => format!("error unknown command {other}"),
        };
        println!("{answer}");
    }
}
