//! Soak: 10 000 mixed operations from 256 concurrent callers through the SDK's default stack
//! against the fake served on loopback; afterwards list and export must agree with a model of
//! what was created, updated and deleted. Bounded by counts, not by wall time.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::TryStreamExt;
use polar_customers::{ApiErrorKind, Client};
use polar_e2e::{Harness, Transport};
use polar_fake::{FakePolar, Route};
use polar_types::CustomerId;

const TOTAL_OPS: usize = 10_000;
const CONCURRENCY: usize = 256;

/// What the model expects of one customer.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Expected {
    email: String,
    name: Option<String>,
    external_id: Option<String>,
}

#[derive(Debug, Default)]
struct Outcome {
    live: BTreeMap<CustomerId, Expected>,
    deleted: BTreeSet<CustomerId>,
    ops: usize,
    failures: Vec<String>,
}

/// A small deterministic generator (each worker has its own sequence).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

async fn worker(client: Client, w: usize, ops: usize) -> Outcome {
    let customers = client.customers();
    let mut rng = Lcg(w as u64 + 1);
    let mut out = Outcome::default();
    let mut created = 0usize;
    let fail = |out: &mut Outcome, what: String| out.failures.push(format!("worker {w}: {what}"));
    while out.ops < ops {
        out.ops += 1;
        let live: Vec<CustomerId> = out.live.keys().copied().collect();
        let pick = |rng: &mut Lcg| live[rng.next(live.len() as u64) as usize];
        let roll = if live.is_empty() { 0 } else { rng.next(100) };
        match roll {
            0..=34 => {
                let n = created;
                created += 1;
                let email = format!("w{w}-c{n}@polar.sh");
                // No `/`: Polar routes on the decoded path, so such ids are unreachable by external id.
                let external_id = n.is_multiple_of(2).then(|| format!("w{w}-c{n} é"));
                let mut b = customers
                    .create()
                    .email(&email)
                    .metadata("worker", w as i64);
                if let Some(x) = &external_id {
                    b = b.external_id(x);
                }
                match b.await {
                    Ok(c) => {
                        let expected = Expected {
                            email,
                            name: None,
                            external_id,
                        };
                        out.live.insert(c.id(), expected);
                    }
                    Err(e) => fail(&mut out, format!("create: {e}")),
                }
            }
            35..=49 => {
                let id = pick(&mut rng);
                let name = format!("name {}", rng.next(1_000_000));
                let ext = out.live[&id].external_id.clone();
                let res = match (&ext, rng.next(2)) {
                    (Some(x), 0) => {
                        customers
                            .update_external(x)
                            .name(&name)
                            .metadata("n", 1i64)
                            .await
                    }
                    _ => customers.update(id).name(&name).metadata("n", 2i64).await,
                };
                match res {
                    Ok(c) if c.name() == Some(name.as_str()) => {
                        out.live.get_mut(&id).unwrap().name = Some(name);
                    }
                    Ok(c) => fail(&mut out, format!("update answered {:?}", c.name())),
                    Err(e) => fail(&mut out, format!("update: {e}")),
                }
            }
            50..=59 => {
                let id = pick(&mut rng);
                let ext = out.live[&id].external_id.clone();
                let res = match (&ext, rng.next(2)) {
                    (Some(x), 0) => customers.delete_external(x).await,
                    _ => customers.delete(id).anonymize(rng.next(2) == 0).await,
                };
                match res {
                    Ok(()) => {
                        out.live.remove(&id);
                        out.deleted.insert(id);
                    }
                    Err(e) => fail(&mut out, format!("delete: {e}")),
                }
            }
            60..=74 => {
                let id = pick(&mut rng);
                let expected = out.live[&id].clone();
                let res = match (&expected.external_id, rng.next(2)) {
                    (Some(x), 0) => customers.get_external(x).await,
                    _ => customers.get(id).await,
                };
                match res {
                    Ok(c)
                        if c.id() == id
                            && c.email() == Some(expected.email.as_str())
                            && c.name() == expected.name.as_deref() => {}
                    Ok(c) => fail(
                        &mut out,
                        format!("get answered {c:?}, expected {expected:?}"),
                    ),
                    Err(e) => fail(&mut out, format!("get: {e}")),
                }
            }
            75..=81 => {
                let id = pick(&mut rng);
                if let Err(e) = customers.get_state(id).await {
                    fail(&mut out, format!("state: {e}"));
                }
            }
            82..=87 => {
                let id = pick(&mut rng);
                let email = out.live[&id].email.to_uppercase();
                match customers.list().email(email).await {
                    Ok(p) if p.pagination.total_count == 1 && p.items[0].id() == id => {}
                    Ok(p) => fail(
                        &mut out,
                        format!("list by email found {}", p.pagination.total_count),
                    ),
                    Err(e) => fail(&mut out, format!("list: {e}")),
                }
            }
            88..=91 => {
                let id = pick(&mut rng);
                let email = out.live[&id].email.clone();
                match customers.create().email(email).await {
                    Err(e)
                        if e.as_api()
                            .is_some_and(|a| a.kind() == ApiErrorKind::Validation) => {}
                    other => fail(&mut out, format!("duplicate create answered {other:?}")),
                }
            }
            92..=95 if !out.deleted.is_empty() => {
                let gone = *out
                    .deleted
                    .iter()
                    .nth(rng.next(out.deleted.len() as u64) as usize)
                    .unwrap();
                match customers.get(gone).await {
                    Err(e) if e.is_not_found() => {}
                    other => fail(
                        &mut out,
                        format!("get of a deleted customer answered {other:?}"),
                    ),
                }
            }
            _ => {
                let page = rng.next(5) as u32 + 1;
                if let Err(e) = customers.list().limit(20).page(page).await {
                    fail(&mut out, format!("list page: {e}"));
                }
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_10k_mixed_operations_at_concurrency_256() {
    let h = Harness::start(Transport::Served, FakePolar::new()).await;
    let client = h.build(h.builder().disable_rate_limit());
    let mut tasks = Vec::with_capacity(CONCURRENCY);
    for w in 0..CONCURRENCY {
        let ops = TOTAL_OPS / CONCURRENCY + usize::from(w < TOTAL_OPS % CONCURRENCY);
        tasks.push(tokio::spawn(worker(client.clone(), w, ops)));
    }
    let mut model = Outcome::default();
    for t in tasks {
        let o = t.await.expect("a worker panicked");
        model.ops += o.ops;
        model.failures.extend(o.failures);
        model.deleted.extend(o.deleted);
        model.live.extend(o.live);
    }
    assert_eq!(model.ops, TOTAL_OPS);
    assert!(
        model.failures.is_empty(),
        "{} failures, first: {:?}",
        model.failures.len(),
        &model.failures[..model.failures.len().min(5)]
    );
    assert!(
        !model.deleted.is_empty() && model.live.len() > 1000,
        "the mix did real work"
    );

    let customers = client.customers();
    let listed: BTreeMap<CustomerId, Expected> = customers
        .list()
        .limit(100)
        .stream()
        .map_ok(|c| {
            let e = Expected {
                email: c.email().unwrap_or_default().to_owned(),
                name: c.name().map(str::to_owned),
                external_id: c.external_id().map(str::to_owned),
            };
            (c.id(), e)
        })
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        listed.len(),
        model.live.len(),
        "nothing lost, nothing extra"
    );
    assert!(listed == model.live, "list agrees with the model");

    let exported: BTreeMap<CustomerId, Expected> = customers
        .export()
        .rows()
        .await
        .unwrap()
        .map_ok(|r| {
            let e = Expected {
                email: r.email.unwrap_or_default(),
                name: r.name,
                external_id: r.external_id,
            };
            (r.id, e)
        })
        .try_collect()
        .await
        .unwrap();
    assert!(exported == model.live, "export agrees with the model");
    assert!(model.deleted.iter().all(|id| !exported.contains_key(id)));
    assert_eq!(h.fake.customer_count(), model.live.len());
    let stats = h.fake.stats();
    assert!(stats.requests >= TOTAL_OPS as u64, "{stats:?}");
    assert_eq!(
        stats.statuses.keys().filter(|s| **s >= 500).count(),
        0,
        "{stats:?}"
    );
    assert!(stats.operation(Route::CustomersCreate) > 0);
}
