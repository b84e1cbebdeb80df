//! Three OS processes of one organization create customers as fast as they can against one
//! served fake Polar with a budget of 300 requests per 2-second window: sharing their budget
//! through Redis they meet no 429 and run at the budget; each pacing itself alone, they meet
//! 429s.
//!
//! The workers are `src/bin/fleet_worker.rs`. `cargo test -p polar-e2e --test fleet --
//! --nocapture` prints the figures.

use std::collections::HashSet;
use std::process::Command;
use std::time::Duration;

use polar_e2e::redis_server::redis_url;
use polar_fake::FakePolar;

const PROCESSES: usize = 3;
const PER_PROCESS: usize = 400;
const BUDGET: u32 = 300;
const WINDOW: Duration = Duration::from_secs(2);

struct Run {
    /// Completion times of every create, in ms since the epoch, sorted.
    ends_ms: Vec<f64>,
    rate_limited: u64,
    elapsed: Duration,
}

/// Runs the fleet against a fresh fake; `store` is a Redis URL or `local`.
async fn fleet(store: &str, tag: &str) -> Run {
    let fake = FakePolar::builder().rate_limit(BUDGET, WINDOW).build();
    let server = fake.serve("127.0.0.1:0").await.unwrap();
    let key = format!(
        "polar:ratelimit:{}:{tag}:{}",
        fake.organization_id(),
        uuid::Uuid::new_v4()
    );
    let start = std::time::Instant::now();
    let children: Vec<_> = (0..PROCESSES)
        .map(|p| {
            Command::new(env!("CARGO_BIN_EXE_fleet_worker"))
                .args([
                    server.url(),
                    fake.token().to_owned(),
                    PER_PROCESS.to_string(),
                    format!("{tag}-p{p}"),
                    store.to_owned(),
                    key.clone(),
                    BUDGET.to_string(),
                    WINDOW.as_millis().to_string(),
                ])
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("start a worker")
        })
        .collect();
    let outputs = tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    let elapsed = start.elapsed();
    let mut ends_ms = Vec::new();
    for out in outputs {
        assert!(out.status.success(), "a worker failed: {out:?}");
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            report["failed"],
            serde_json::json!([]),
            "{tag}: every create succeeds"
        );
        assert_eq!(report["ok"], PER_PROCESS);
        ends_ms.extend(
            report["ends_ms"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap()),
        );
    }
    ends_ms.sort_by(f64::total_cmp);

    // Every customer exactly once.
    let total = PROCESSES * PER_PROCESS;
    assert_eq!(fake.customer_count(), total, "{tag}");
    let emails: HashSet<_> = fake
        .customers_json()
        .iter()
        .map(|c| c["email"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(emails.len(), total, "{tag}: each customer created once");
    Run {
        ends_ms,
        rate_limited: fake.stats().rate_limited,
        elapsed,
    }
}

/// The achieved rate over full windows, as a share of the budget: for every create, the time
/// until the create `BUDGET` later ended is one full window's worth of the fleet's work; the
/// rate is `BUDGET` over the mean of those times. (From the first end to the last would count
/// the spread of the last window's burst without its requests.)
fn achieved(run: &Run) -> f64 {
    let b = BUDGET as usize;
    let windows: Vec<f64> = (0..run.ends_ms.len() - b)
        .map(|i| run.ends_ms[i + b] - run.ends_ms[i])
        .collect();
    let mean_s = windows.iter().sum::<f64>() / windows.len() as f64 / 1000.0;
    (f64::from(BUDGET) / mean_s) / (f64::from(BUDGET) / WINDOW.as_secs_f64())
}

fn report(label: &str, run: &Run) {
    println!(
        "{label}: {} creates in {:.2} s, {} 429s, achieved rate / budget = {:.3}",
        run.ends_ms.len(),
        run.elapsed.as_secs_f64(),
        run.rate_limited,
        achieved(run)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_sharing_redis_runs_at_the_budget_without_a_429() {
    let Some((redis_url, _server)) = redis_url() else {
        return;
    };
    let shared = fleet(&redis_url, "shared").await;
    let alone = fleet("local", "alone").await;
    report("shared through Redis", &shared);
    report("each process alone  ", &alone);
    assert_eq!(shared.rate_limited, 0, "no 429 with the shared budget");
    assert!(
        achieved(&shared) >= 0.9,
        "the fleet runs at the budget: {:.3}",
        achieved(&shared)
    );
    assert!(
        alone.rate_limited > 0,
        "per-process limiters overrun the budget"
    );
}
