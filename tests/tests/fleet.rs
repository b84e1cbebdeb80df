//! Three OS processes of one organization create customers as fast as they can against one
//! served fake Polar with a budget of 300 requests per 2-second window. Sharing their budget
//! through Redis they meet no 429 and create every customer exactly once. Each pacing itself
//! alone, they overrun the budget: the test prints their 429s next to the shared run's, and
//! checks only what must hold whatever the timing (nothing created twice, nothing lost).
//!
//! How close to the budget the fleet runs depends on the machine, so the achieved rate is
//! printed, not asserted: `cargo test -p polar-e2e --test fleet -- --nocapture` shows it.
//! The workers are `src/bin/fleet_worker.rs`.

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
    /// The statuses of the creates that failed (`None`: no answer).
    failed: Vec<Option<u64>>,
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
    let mut failed = Vec::new();
    for out in outputs {
        assert!(out.status.success(), "a worker failed: {out:?}");
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let fails = report["failed"].as_array().unwrap();
        assert_eq!(
            report["ok"].as_u64().unwrap() as usize + fails.len(),
            PER_PROCESS,
            "{tag}: one result per input"
        );
        failed.extend(fails.iter().map(|f| f["status"].as_u64()));
        ends_ms.extend(
            report["ends_ms"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap()),
        );
    }
    ends_ms.sort_by(f64::total_cmp);

    // No customer twice, and every create that succeeded is there.
    let emails: Vec<_> = fake
        .customers_json()
        .iter()
        .map(|c| c["email"].as_str().unwrap().to_owned())
        .collect();
    let distinct: HashSet<_> = emails.iter().collect();
    assert_eq!(
        distinct.len(),
        emails.len(),
        "{tag}: a customer created twice"
    );
    assert_eq!(emails.len(), ends_ms.len(), "{tag}: created = succeeded");
    Run {
        ends_ms,
        failed,
        rate_limited: fake.stats().rate_limited,
        elapsed,
    }
}

/// The achieved rate over full windows, as a share of the budget: for every create, the time
/// until the create `BUDGET` later ended is one full window's worth of the fleet's work; the
/// rate is `BUDGET` over the mean of those times. (From the first end to the last would count
/// the spread of the last window's burst without its requests.) `None` with too few creates.
fn achieved(run: &Run) -> Option<f64> {
    let b = BUDGET as usize;
    let windows: Vec<f64> = (0..run.ends_ms.len().checked_sub(b)?)
        .map(|i| run.ends_ms[i + b] - run.ends_ms[i])
        .collect();
    if windows.is_empty() {
        return None;
    }
    let mean_s = windows.iter().sum::<f64>() / windows.len() as f64 / 1000.0;
    Some((f64::from(BUDGET) / mean_s) / (f64::from(BUDGET) / WINDOW.as_secs_f64()))
}

fn report(label: &str, run: &Run) {
    let rate = achieved(run).map_or("n/a".to_owned(), |r| format!("{r:.3}"));
    println!(
        "{label}: {} creates in {:.2} s, {} failed, {} 429s from the server, achieved rate / budget = {rate}",
        run.ends_ms.len(),
        run.elapsed.as_secs_f64(),
        run.failed.len(),
        run.rate_limited,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_sharing_redis_meets_no_429_and_creates_each_customer_once() {
    let Some((redis_url, _server)) = redis_url() else {
        return;
    };
    let shared = fleet(&redis_url, "shared").await;
    let alone = fleet("local", "alone").await;
    report("shared through Redis", &shared);
    report("each process alone  ", &alone);
    assert_eq!(shared.rate_limited, 0, "no 429 with the shared budget");
    assert_eq!(shared.failed, [], "every create succeeds");
    assert_eq!(
        shared.ends_ms.len(),
        PROCESSES * PER_PROCESS,
        "each customer created once"
    );
    // Alone, a create may end in a 429 once its attempts are spent; nothing else may fail.
    assert!(
        alone.failed.iter().all(|s| *s == Some(429)),
        "alone: only 429s fail: {:?}",
        alone.failed
    );
}
