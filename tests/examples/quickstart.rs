//! The quickstart: every Customers operation once, then the calls around customers (a team
//! member added, listed, changed and removed, saved payment methods, a customer-portal session,
//! customer meters), through the SDK's default stack, with what happened at each step.
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//!
//! * No `POLAR_ACCESS_TOKEN`: starts the fake Polar on `127.0.0.1` and talks to it over real HTTP.
//! * `POLAR_ACCESS_TOKEN` set: talks to Polar — the sandbox by default, `POLAR_SERVER=production`
//!   for production, or `POLAR_BASE_URL=<url>` for anything else (such as a fake started with
//!   `cargo run -p polar-fake`). It deletes the customers it created, even when a step fails.
//! * `POLAR_QUICKSTART_EMAIL_DOMAIN`: the domain of the made-up emails (default `polar.sh`; Polar
//!   checks that the domain accepts mail).
//!
//! Against Polar, the token needs the scopes `customers:write`, `members:write`,
//! `customer_sessions:write` and `customer_meters:read` (a missing one fails its steps with 403
//! `insufficient_scope`, naming it). The member steps also need member management turned on
//! for the organization; when it is off, Polar refuses to add a member (403 `NotPermitted`), and
//! the walk marks the member steps as skipped, says why, and opens the portal session for the
//! team customer itself instead of for its member.
//!
//! Exits with a non-zero status when a step fails; skipped steps are not failures.

use std::fmt::Display;
use std::future::Future;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use polar_customers::types::{MemberRole, PaymentMethod};
use polar_customers::{Client, CustomerId, Error, Server};
use polar_e2e::StatusLog;
use polar_fake::{FakePolar, ServeHandle, samples};
use polar_types::SubscriptionStatus;

/// Where the walk goes.
struct Target {
    client: Client,
    log: StatusLog,
    description: String,
    /// Kept alive while the walk runs when the example started its own fake.
    local: Option<(FakePolar, ServeHandle)>,
}

/// Reads a setting; empty values count as unset.
type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

async fn target(env: Env<'_>) -> Result<Target, String> {
    let log = StatusLog::new();
    let builder = Client::builder().configure_transport({
        let log = log.clone();
        move |t| t.layer(log)
    });
    let token = env("POLAR_ACCESS_TOKEN");
    let base_url = env("POLAR_BASE_URL");
    let Some(token) = token else {
        if base_url.is_some() {
            return Err("POLAR_BASE_URL is set but POLAR_ACCESS_TOKEN is not; set both".into());
        }
        let fake = FakePolar::new();
        let server = fake
            .serve("127.0.0.1:0")
            .await
            .map_err(|e| format!("cannot start the fake on 127.0.0.1: {e}"))?;
        let client = builder
            .token(fake.token())
            .base_url(&server.url())
            .allow_http(true)
            .build()
            .map_err(|e| e.to_string())?;
        let description = format!(
            "the fake Polar at {} (started by this example; set POLAR_ACCESS_TOKEN to use Polar)",
            server.url()
        );
        return Ok(Target {
            client,
            log,
            description,
            local: Some((fake, server)),
        });
    };
    let (builder, description) = match base_url {
        Some(url) => {
            let builder = builder
                .base_url(&url)
                .allow_http(url.starts_with("http://"));
            (builder, url)
        }
        None => match env("POLAR_SERVER").as_deref().unwrap_or("sandbox") {
            "sandbox" => (
                builder.server(Server::Sandbox),
                "Polar's sandbox".to_owned(),
            ),
            "production" => (
                builder.server(Server::Production),
                "Polar's production API".to_owned(),
            ),
            other => {
                return Err(format!(
                    "POLAR_SERVER must be sandbox or production, not {other:?}"
                ));
            }
        },
    };
    let client = builder.token(token).build().map_err(|e| e.to_string())?;
    Ok(Target {
        client,
        log,
        description,
        local: None,
    })
}

/// Why the member steps are skipped when Polar refuses to add a member.
const MEMBERS_OFF: &str = "SKIPPED: member management is off for this organization \
    (Polar refused to add a member: 403 NotPermitted); turn it on in the organization's \
    settings on Polar to run the member steps";
/// The same, on the steps after the first.
const MEMBERS_OFF_AGAIN: &str = "SKIPPED: member management is off";

/// A step Polar may refuse because a feature of the organization is turned off.
enum Optional<T> {
    Done(T),
    Failed,
    /// Refused because the feature is off: skipped, not failed.
    Off,
}

/// Polar's answer to adding a member to a team customer when the organization has member
/// management turned off (server/polar/member/service.py).
fn member_management_off(err: &Error) -> bool {
    err.as_api()
        .is_some_and(|api| api.status() == 403 && api.code() == Some("NotPermitted"))
}

/// Runs the steps and prints one aligned line for each.
struct Walk {
    log: StatusLog,
    step: usize,
    failures: usize,
}

impl Walk {
    /// Runs one step; `describe` turns its result into the line's last column.
    async fn step<T, F>(
        &mut self,
        operation: &str,
        method: &str,
        path: &str,
        call: F,
        describe: impl FnOnce(&T) -> String,
    ) -> Option<T>
    where
        F: Future<Output = Result<T, Error>>,
    {
        let never_off = (|_: &Error| false) as fn(&Error) -> bool;
        match self
            .optional_step(operation, method, path, call, describe, (never_off, ""))
            .await
        {
            Optional::Done(v) => Some(v),
            Optional::Failed | Optional::Off => None,
        }
    }

    /// Runs a step that must fail with `expected` (a status code).
    async fn expect_status<T, F>(
        &mut self,
        operation: &str,
        method: &str,
        path: &str,
        expected: u16,
        call: F,
    ) where
        F: Future<Output = Result<T, Error>>,
    {
        let (result, elapsed) = self.timed(call).await;
        let (mark, detail) = match result {
            Err(e) if e.status().map(|s| s.as_u16()) == Some(expected) => {
                (Mark::Ok, format!("{expected}, as expected: {e}"))
            }
            Err(e) => (Mark::Fail, format!("FAILED: expected {expected}, got {e}")),
            Ok(_) => (
                Mark::Fail,
                format!("FAILED: expected {expected}, got a success"),
            ),
        };
        self.line(operation, method, path, elapsed, mark, &detail);
    }

    /// Runs a step that Polar refuses when a feature of the organization is off (`off` tells
    /// that refusal apart): then the line says `why` and the step counts as skipped.
    async fn optional_step<T, F>(
        &mut self,
        operation: &str,
        method: &str,
        path: &str,
        call: F,
        describe: impl FnOnce(&T) -> String,
        (off, why): (fn(&Error) -> bool, &str),
    ) -> Optional<T>
    where
        F: Future<Output = Result<T, Error>>,
    {
        let (result, elapsed) = self.timed(call).await;
        match result {
            Ok(v) => {
                let detail = describe(&v);
                self.line(operation, method, path, elapsed, Mark::Ok, &detail);
                Optional::Done(v)
            }
            Err(e) if off(&e) => {
                self.line(operation, method, path, elapsed, Mark::Skip, why);
                Optional::Off
            }
            Err(e) => {
                let detail = format!("FAILED: {e}");
                self.line(operation, method, path, elapsed, Mark::Fail, &detail);
                Optional::Failed
            }
        }
    }

    /// Awaits a step's call, after forgetting the statuses of earlier steps.
    async fn timed<T, F>(&mut self, call: F) -> (Result<T, Error>, Duration)
    where
        F: Future<Output = Result<T, Error>>,
    {
        self.log.take();
        let started = Instant::now();
        let result = call.await;
        (result, started.elapsed())
    }

    /// Prints a step that could not run because an earlier one failed; it counts as failed.
    fn skip(&mut self, operation: &str, method: &str, path: &str) {
        self.log.take();
        let reason = "SKIPPED: the customer was not created";
        self.line(operation, method, path, Duration::ZERO, Mark::Fail, reason);
    }

    /// Runs a member step, or only prints it as skipped when member management is off (the
    /// call, a lazy future, is then never sent).
    async fn unless_off<T, F>(
        &mut self,
        members_off: bool,
        step: [&str; 3],
        call: F,
        describe: impl FnOnce(&T) -> String,
    ) -> Option<T>
    where
        F: Future<Output = Result<T, Error>>,
    {
        if members_off {
            self.off(step, MEMBERS_OFF_AGAIN);
            return None;
        }
        let [operation, method, path] = step;
        self.step(operation, method, path, call, describe).await
    }

    /// Prints a step (operation, method, path) left out because a feature of the organization
    /// is off; not a failure.
    fn off(&mut self, [operation, method, path]: [&str; 3], why: &str) {
        self.log.take();
        self.line(operation, method, path, Duration::ZERO, Mark::Skip, why);
    }

    fn line(
        &mut self,
        operation: &str,
        method: &str,
        path: &str,
        elapsed: Duration,
        mark: Mark,
        detail: &str,
    ) {
        self.step += 1;
        if mark == Mark::Fail {
            self.failures += 1;
        }
        let statuses = self.log.take();
        let status = if statuses.is_empty() {
            "---".to_owned()
        } else {
            statuses
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join("→")
        };
        let mark = match mark {
            Mark::Ok => "ok  ",
            Mark::Fail => "FAIL",
            Mark::Skip => "skip",
        };
        println!(
            "{:>2}  {mark}  {operation:<24} {method:<6} {path:<66} {status:>6} {:>9}  {detail}",
            self.step,
            ms(elapsed),
        );
    }
}

/// How a step ended.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mark {
    Ok,
    Fail,
    Skip,
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn short(id: impl Display) -> String {
    let s = id.to_string();
    format!("{}…", &s[..8.min(s.len())])
}

/// Walks through every operation; answers the number of failed steps.
pub async fn run(env: Env<'_>) -> Result<usize, String> {
    let target = target(env).await?;
    let customers = target.client.customers();
    let tag = short(CustomerId::new_v4()).trim_end_matches('…').to_owned();
    let domain = env("POLAR_QUICKSTART_EMAIL_DOMAIN").unwrap_or_else(|| "polar.sh".to_owned());
    let ada_email = format!("quickstart-{tag}-ada@{domain}");
    let ada_ext = format!("quickstart-{tag}-ada");
    let team_email = format!("quickstart-{tag}-team@{domain}");
    // Spaces, `#`, `?` and non-ASCII: the SDK keeps an external ID one path segment.
    let team_ext = format!("quickstart-{tag} team #2? é");
    let grace_email = format!("quickstart-{tag}-grace@{domain}");
    let grace_ext = format!("quickstart-{tag} grace #1?");

    println!("polar-rs quickstart: talking to {}", target.description);
    println!();
    println!(
        "{:>2}  {:<4}  {:<24} {:<6} {:<66} {:>6} {:>9}  result",
        "#", "", "operation", "method", "path", "status", "time"
    );
    let mut walk = Walk {
        log: target.log.clone(),
        step: 0,
        failures: 0,
    };
    let mut created: Vec<CustomerId> = Vec::new();

    let ada = walk
        .step(
            "create (individual)",
            "POST",
            "/v1/customers/",
            customers
                .create()
                .email(&ada_email)
                .name("Ada Lovelace")
                .external_id(&ada_ext)
                .metadata("source", "quickstart")
                .send(),
            |c| {
                format!(
                    "id {} {}",
                    short(c.id().to_string()),
                    c.email().unwrap_or("")
                )
            },
        )
        .await;
    let ada_id = ada.as_ref().map(|c| c.id());
    created.extend(ada_id);
    // On the local fake, give Ada a subscription and a meter so that her state has something to
    // show (on Polar they come from checkouts and usage events).
    if let (Some((fake, _)), Some(id)) = (&target.local, ada_id) {
        fake.add_subscription(id, &samples::subscription(SubscriptionStatus::Active, 1900));
        fake.add_meter(id, &samples::meter(42.0, 100));
        fake.add_payment_method(id, &samples::card("visa", "4242"), true);
    }

    let team = walk
        .step(
            "create (team)",
            "POST",
            "/v1/customers/",
            customers
                .create()
                .team()
                .email(&team_email)
                .name("Analytical Engines")
                .external_id(&team_ext)
                .send(),
            |c| format!("id {} type {}", short(c.id().to_string()), c.type_name()),
        )
        .await;
    created.extend(team.as_ref().map(|c| c.id()));

    if let Some(id) = ada_id {
        walk.step(
            "get",
            "GET",
            "/v1/customers/{id}",
            customers.get(id).send(),
            |c| {
                format!(
                    "{} <{}>",
                    c.name().unwrap_or("(no name)"),
                    c.email().unwrap_or("")
                )
            },
        )
        .await;
    } else {
        walk.skip("get", "GET", "/v1/customers/{id}");
    }
    walk.step(
        "get by external id",
        "GET",
        "/v1/customers/external/{external_id}",
        customers.get_external(&team_ext).send(),
        |c| format!("external id {:?}", c.external_id().unwrap_or("")),
    )
    .await;
    if let Some(id) = ada_id {
        walk.step(
            "update",
            "PATCH",
            "/v1/customers/{id}",
            customers
                .update(id)
                .name("Ada King")
                .metadata("source", "quickstart")
                .metadata("step", 5i64)
                .send(),
            |c| {
                format!(
                    "name now {:?}, {} metadata keys",
                    c.name().unwrap_or(""),
                    c.metadata().len()
                )
            },
        )
        .await;
    } else {
        walk.skip("update", "PATCH", "/v1/customers/{id}");
    }
    walk.step(
        "update by external id",
        "PATCH",
        "/v1/customers/external/{external_id}",
        customers.update_external(&team_ext).locale("en-GB").send(),
        |c| format!("{} updated", c.type_name()),
    )
    .await;
    surroundings(
        &mut walk,
        &target.client,
        ada_id,
        team.as_ref().map(|c| c.id()),
        &team_ext,
        (&grace_email, &grace_ext),
    )
    .await;
    let describe_state = |s: &polar_customers::CustomerState| {
        let counts = |subscriptions: usize, benefits: usize, meters: usize| {
            format!(
                "{subscriptions} active subscription(s), {benefits} benefit grant(s), {meters} meter(s)"
            )
        };
        match s {
            polar_customers::CustomerState::Individual(s) => counts(
                s.active_subscriptions.len(),
                s.granted_benefits.len(),
                s.active_meters.len(),
            ),
            polar_customers::CustomerState::Team(s) => counts(
                s.active_subscriptions.len(),
                s.granted_benefits.len(),
                s.active_meters.len(),
            ),
            _ => "state of a customer type this SDK does not know".to_owned(),
        }
    };
    if let Some(id) = ada_id {
        walk.step(
            "get state",
            "GET",
            "/v1/customers/{id}/state",
            customers.get_state(id).send(),
            describe_state,
        )
        .await;
    } else {
        walk.skip("get state", "GET", "/v1/customers/{id}/state");
    }
    walk.step(
        "get state by external id",
        "GET",
        "/v1/customers/external/{external_id}/state",
        customers.get_state_external(&team_ext).send(),
        describe_state,
    )
    .await;
    walk.step(
        "list (query filter)",
        "GET",
        "/v1/customers/?query=…",
        customers
            .list()
            .query(format!("quickstart-{tag}"))
            .limit(10)
            .send(),
        |p| {
            format!(
                "{} customers match, page 1 of {}",
                p.pagination.total_count, p.pagination.max_page
            )
        },
    )
    .await;
    let ours = created.clone();
    walk.step(
        "export (CSV, streamed)",
        "GET",
        "/v1/customers/export",
        async {
            let mut rows = customers.export().rows().await?;
            let (mut total, mut found) = (0u64, 0usize);
            while let Some(row) = rows.try_next().await? {
                total += 1;
                found += usize::from(ours.contains(&row.id));
            }
            Ok((total, found))
        },
        |(total, found)| format!("{total} rows, {found} of ours among them"),
    )
    .await;
    if let Some(id) = ada_id {
        walk.step(
            "delete",
            "DELETE",
            "/v1/customers/{id}",
            customers.delete(id).send(),
            |_| "deleted".to_owned(),
        )
        .await;
        created.retain(|c| *c != id);
    } else {
        walk.skip("delete", "DELETE", "/v1/customers/{id}");
    }
    if walk
        .step(
            "delete by external id",
            "DELETE",
            "/v1/customers/external/{external_id}",
            customers.delete_external(&team_ext).anonymize(true).send(),
            |_| "deleted and anonymized".to_owned(),
        )
        .await
        .is_some()
    {
        let team_id = team.as_ref().map(|c| c.id());
        created.retain(|c| Some(*c) != team_id);
    }
    if let Some(id) = ada_id {
        walk.expect_status(
            "get after delete",
            "GET",
            "/v1/customers/{id}",
            404,
            customers.get(id).send(),
        )
        .await;
    } else {
        walk.skip("get after delete", "GET", "/v1/customers/{id}");
    }

    // Whatever a failed step left behind is deleted (best effort).
    for id in created {
        match customers.delete(id).await {
            Ok(()) => println!("cleanup: deleted {id}"),
            Err(e) if e.is_not_found() => {}
            Err(e) => println!("cleanup: could not delete {id}: {e}"),
        }
    }

    println!();
    if let Some((fake, server)) = target.local {
        let stats = fake.stats();
        println!(
            "The fake received {} requests; {} customers remain.",
            stats.requests,
            fake.customer_count()
        );
        server.shutdown().await;
    }
    Ok(walk.failures)
}

/// The calls around customers: a member of the team added, read, listed, changed and removed; Ada's
/// saved payment methods and meters; a portal session for the new member.
async fn surroundings(
    walk: &mut Walk,
    client: &Client,
    ada_id: Option<CustomerId>,
    team_id: Option<CustomerId>,
    team_ext: &str,
    (grace_email, grace_ext): (&str, &str),
) {
    let members = client.customers().members_external(team_ext);
    let added = walk
        .optional_step(
            "add team member",
            "POST",
            "/v1/customers/external/{external_id}/members",
            members
                .create(grace_email)
                .name("Grace Hopper")
                .external_id(grace_ext)
                .send(),
            |m| format!("member {} as {}", short(m.id), m.role),
            (member_management_off, MEMBERS_OFF),
        )
        .await;
    let members_off = matches!(added, Optional::Off);
    let grace = match added {
        Optional::Done(member) => Some(member),
        Optional::Failed | Optional::Off => None,
    };
    const GET_MEMBER: [&str; 3] = [
        "get member by ext. ids",
        "GET",
        "/v1/customers/external/{external_id}/members/{member_external_id}",
    ];
    const UPDATE_MEMBER: [&str; 3] = [
        "update member",
        "PATCH",
        "/v1/customers/{id}/members/{member_id}",
    ];
    const SESSION: [&str; 3] = ["open portal session", "POST", "/v1/customer-sessions/"];
    walk.unless_off(
        members_off,
        GET_MEMBER,
        members.get(grace_ext).send(),
        |m| format!("{} <{}>", m.name.as_deref().unwrap_or("(no name)"), m.email),
    )
    .await;
    const LIST_MEMBERS: [&str; 3] = [
        "list team members",
        "GET",
        "/v1/customers/external/{external_id}/members",
    ];
    walk.unless_off(
        members_off,
        LIST_MEMBERS,
        members.list().stream().try_collect::<Vec<_>>(),
        |all| {
            let roles: Vec<String> = all.iter().map(|m| m.role.to_string()).collect();
            format!("{} member(s): {}", all.len(), roles.join(", "))
        },
    )
    .await;
    match team_id {
        Some(team) if grace.is_some() || members_off => {
            if let Some(grace) = &grace {
                let [operation, method, path] = UPDATE_MEMBER;
                walk.step(
                    operation,
                    method,
                    path,
                    client
                        .customers()
                        .members(team)
                        .update(grace.id)
                        .role(MemberRole::BillingManager)
                        .send(),
                    |m| format!("role now {}", m.role),
                )
                .await;
            } else {
                walk.off(UPDATE_MEMBER, MEMBERS_OFF_AGAIN);
            }
            // The session opens the portal as Grace (send the link to her, never log it); without
            // member management, as the team customer itself.
            let mut session = client
                .customer_sessions()
                .create(team)
                .return_url("https://example.com/account");
            if let Some(grace) = &grace {
                session = session.member_id(grace.id);
            }
            let [operation, method, path] = SESSION;
            walk.step(operation, method, path, session.send(), |s| {
                format!("portal link ready, valid until {}", s.expires_at)
            })
            .await;
        }
        _ => {
            let [operation, method, path] = UPDATE_MEMBER;
            walk.skip(operation, method, path);
            let [operation, method, path] = SESSION;
            walk.skip(operation, method, path);
        }
    }
    if let Some(id) = ada_id {
        walk.step(
            "payment methods",
            "GET",
            "/v1/customers/{id}/payment-methods",
            client
                .customers()
                .payment_methods(id)
                .stream()
                .try_collect::<Vec<_>>(),
            |methods| {
                let cards = methods
                    .iter()
                    .filter(|m| matches!(m, PaymentMethod::Card(_)))
                    .count();
                format!("{} saved, {cards} card(s)", methods.len())
            },
        )
        .await;
        walk.step(
            "customer meters",
            "GET",
            "/v1/customer-meters/?customer_id=…",
            client.customer_meters().list().customer_id(id).send(),
            |p| {
                // `+ 0.0`: the sum of no balances is -0.0, which would print as "-0".
                let balance = p.items.iter().map(|m| m.balance).sum::<f64>() + 0.0;
                format!("{} meter(s), balance {balance}", p.pagination.total_count)
            },
        )
        .await;
    } else {
        walk.skip(
            "payment methods",
            "GET",
            "/v1/customers/{id}/payment-methods",
        );
        walk.skip(
            "customer meters",
            "GET",
            "/v1/customer-meters/?customer_id=…",
        );
    }
    const REMOVE_MEMBER: [&str; 3] = [
        "remove member",
        "DELETE",
        "/v1/customers/external/{external_id}/members/{member_external_id}",
    ];
    walk.unless_off(
        members_off,
        REMOVE_MEMBER,
        members.delete(grace_ext).send(),
        |_| "removed".to_owned(),
    )
    .await;
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(&process_env).await {
        Ok(0) => {
            println!("All steps succeeded.");
            ExitCode::SUCCESS
        }
        Ok(n) => {
            eprintln!("{n} step(s) failed.");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("quickstart: {e}");
            ExitCode::FAILURE
        }
    }
}
