//! One process of the fleet test (`tests/tests/fleet.rs`): creates customers as fast as its
//! rate limiter lets it, then prints what happened as one JSON line: how many were created, when
//! each create ended, and each failure with its status (if the server answered).
//!
//! `fleet_worker <base url> <token> <count> <email prefix> <redis url | local> <key> <rate> <period ms>`

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use polar_customers::{Client, RateLimitConfig, RateLimiter};
use polar_transport::redis_store::RedisStore;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [base, token, count, prefix, store, key, rate, period_ms] = &args[..] else {
        eprintln!(
            "usage: fleet_worker <base url> <token> <count> <prefix> <redis url|local> <key> <rate> <period ms>"
        );
        std::process::exit(2);
    };
    let count: usize = count.parse().expect("count");
    let config = RateLimitConfig::new(
        rate.parse().expect("rate"),
        Duration::from_millis(period_ms.parse().expect("period")),
    );
    let limiter = if store == "local" {
        RateLimiter::new(config)
    } else {
        RateLimiter::from_store(Arc::new(
            RedisStore::new(store, key, config).expect("redis url"),
        ))
    };
    let client = Client::builder()
        .token(token)
        .base_url(base)
        .allow_http(true)
        .rate_limiter(limiter)
        .build()
        .expect("client");
    let mut ends_ms = Vec::with_capacity(count);
    let mut failed = Vec::new();
    let prefix = prefix.clone();
    let mut results = client
        .customers()
        .bulk(0..count, move |c, i| {
            c.create().email(format!("{prefix}-{i}@polar.sh"))
        })
        .concurrency(4)
        .unordered();
    while let Some((i, result)) = results.next().await {
        match result {
            Ok(_) => {
                let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
                ends_ms.push(now.as_secs_f64() * 1000.0);
            }
            Err(err) => failed.push(serde_json::json!({
                "index": i,
                "status": err.status().map(|s| s.as_u16()),
                "error": err.to_string(),
            })),
        }
    }
    let report = serde_json::json!({ "ok": ends_ms.len(), "failed": failed, "ends_ms": ends_ms });
    println!("{report}");
}
