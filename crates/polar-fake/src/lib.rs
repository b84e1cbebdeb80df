//! A fake of Polar's Customers API, kept in memory, for testing code that talks to Polar.
//!
//! [`FakePolar`] answers the eleven Customers operations, and the calls around them (a customer's
//! payment methods and members, customer sessions, customer meters), as Polar's server does, down to the
//! status codes and error bodies a test may assert on. It has two faces:
//!
//! * in-process: `FakePolar` is a [`tower_service::Service`] over `http::Request<B>` for any body
//!   `B`, so it can stand in for the network under an HTTP client stack, with no socket;
//! * served: [`FakePolar::serve`] binds `127.0.0.1:<port>` (port 0 picks a free one) and answers
//!   real HTTP/1.1 and HTTP/2; `cargo run -p polar-fake -- --port 8080` does the same from a shell.
//!
//! Every clone of a `FakePolar` shares one store; separate `FakePolar::new()` calls share nothing,
//! so tests can run in parallel. Optional behaviours (rate limit, latency, injected 5xx and
//! dropped connections, counters) are switched on by the [`FakePolarBuilder`] or at run time.
//!
//! # What is modelled, and what is approximated
//!
//! The sources are Polar's server code and the behaviours listed beside the API spec; where the
//! fake cannot do what the server does, the row says what it does instead.
//!
//! | Area | Behaviour | Fake |
//! |---|---|---|
//! | Routes | The 11 operations; list and create at `/v1/customers/` with the slash; a missing or extra slash gets 307 to the other form; other paths 404 `{"detail":"Not Found"}`; a known path with another method 405, `Allow` naming the one method of the first route the server registers for that path (Starlette's first partial match) | modelled |
//! | Routes | Routing on the percent-decoded path: an external ID holding `/` cannot be addressed (`a%2Fb` → 404 `{"detail":"Not Found"}`, `a%2Fstate` → the state route of `a`) | modelled |
//! | Routes | A customer's payment methods (by ID and external ID), its members (ten routes, both IDs of the by-external route each one segment), customer sessions, customer meters; the member list `/v1/members/` and the customer portal's own routes | modelled, except `/v1/members/` and the portal (404) |
//! | Routes | Every route of polar-types' generated table ([`Route`]), tried in the server's order: the customer router, then the member routes nested under `/customers` (server/polar/api.py) | modelled; the member list routes, newer than the server code at hand, are tried after the other member routes, which only matters for a by-ID path whose customer ID is literally `external` |
//! | Members | Member management on by default ([`FakePolar::set_member_management`]): a customer is created with an owner member (from `owner`, else its email, name and external ID); an individual holds only that one (adding another → 403 `NotPermitted` "Individual customers can only have one member (the owner). …"); off, adding → 403 "Member management is not enabled for this organization"; an email already in the customer (case-insensitive) answers the existing member (201); unknown customer → 404 "Customer not found", unknown member or a member of another customer → 404 "Member not found"; create takes role `member` (default) or `billing_manager` (any other, `owner` included → 422 `literal_error` `Input should be <MemberRole.member: 'member'> or <MemberRole.billing_manager: 'billing_manager'>`, the schema's literal of enum members, server/polar/member/schemas.py); update: `null` changes nothing, making a member `owner` moves ownership (the old owner becomes `billing_manager`), the only owner cannot step down (422 at `["body","role"]`) nor be deleted (422 at `["body"]`), an email taken in the customer → 422, an individual's owner keeps the customer's email (422), and a new email on the individual customer (not a change of case) moves to its owner, also with member management since turned off, while a team's owner, or one whose customer the same update makes a team, keeps its own (`customer/service.py::update` → `member/service.py::sync_owner_email`); a customer's members go when it is deleted; an external customer ID shared by organizations the token reaches → 409 `AmbiguousExternalCustomerID`; routes need the write scope on writes (403 names `members:write`) | modelled (server/polar/member/service.py) |
//! | Members | Listing a customer's members (`GET /v1/customers/{id}/members`, `…/external/{external_id}/members`): `ListResource[Member]` of its live members, filter `role`, `sorting` `created_at` / `-created_at` (default `-created_at`), `page` / `limit` as for customers; an unknown or deleted customer → 404 "Customer not found", an ambiguous external ID → 409, a bad `role` → 422 `enum` at `["query","role"]`; an individual lists its owner; turning member management off hides no member (`list` in server/polar/member/service.py does not ask): owners made while it was on are still listed, customers created while it is off have none | modelled as Polar's SDKs of November 2026 call it (polar-sdk 1.0.2 `services/customers/members.py`) and as server/polar/member/service.py `list` and member/sorting.py filter and sort; the routes are newer than the server code at hand; members created in the same microsecond keep the order they were added (Polar sorts by `created_at` alone, member/service.py, so ties come in the database's order) |
//! | Members | A member external ID already used in the customer | modelled as the server's unhandled unique-index failure: 500 `Internal Server Error`, text |
//! | Members | `member.created` / `member.updated` / `member.deleted` webhooks, seats and member benefit grants | not modelled |
//! | Payment methods | Seeded by tests ([`FakePolar::add_payment_method`], [`samples::card`]); listed newest first, paginated like customers; `is_default` from the customer's `default_payment_method_id`, which the customer shows; unknown customer → 404 | modelled (server/polar/customer/endpoints.py) |
//! | Customer sessions | Body by `customer_id` or `external_customer_id` (alias `customer_external_id`), each shape's issues under its name when neither fits; unknown customer → 422 "Customer does not exist." at `["body","customer_id"]` (or `external_customer_id`); with member management: `member_id` / `external_member_id` of the customer ("Member does not exist for this customer."), else the owner of an individual, and a team needs one ("member_id is required for team customers."); `return_url` checked and answered as pydantic's `HttpUrl` writes it back (`https://example.com` → `https://example.com/`; parsed by the `url` crate that pydantic-core uses: scheme and host lower-cased, default port dropped, empty path → `/`, dot segments resolved, surrounding whitespace and inner tabs/newlines dropped, a Unicode host in Punycode, IPv4 in dotted form, other characters percent-encoded), at most 2083 bytes, refused with `url_type`, `url_too_long`, `url_parsing` (the parser's reason) or `url_scheme`, the shared fields reported before `customer_id` / `external_customer_id` as pydantic orders them (agrees with pydantic 2.13.4 on 779 sampled URLs); answer 201 with a token (`polar_cst_`, or `polar_mst_` for a member session), `expires_at` one hour ahead, the portal URL with `customer_session_token` and the email, and the customer | modelled (server/polar/customer_session/service.py); the token is random hex without Polar's checksum, the portal URL uses the organization's ID where Polar puts its slug; a `return_url` host with characters newer than Unicode 15.1 may be judged otherwise (pydantic-core 2.46 maps hosts with ICU4X 1.5 tables, the fake with the newer ones its `idna` build uses) |
//! | Customer meters | The meters seeded into customers' state ([`FakePolar::add_meter`]), each with `customer_id`, the customer and a meter; a deleted customer's meters stay, listed and gettable, with the customer as deleted (`deleted_at` set), found by `customer_id` but no longer by the external ID the delete cleared; filters `organization_id`, `customer_id`, `external_customer_id`, `meter_id` (repeatable), sorting (`created_at`, `modified_at`, `customer_id`, `customer_name`, `meter_id`, `meter_name`, `consumed_units`, `credited_units`, `balance`, `-` for descending; default `-modified_at`), pagination; unknown ID → 404 | modelled (server/polar/customer_meter/); meter definitions are not kept: each meter is a counting meter named `Meter <first 8 of its ID>` |
//! | Order | `Polar-Version` (404), then body size (411/413), then rate limit (429), then authentication (401, before routing and body parsing), then routing, scope (403), body (422) — the order of the server's middleware | modelled |
//! | Headers | `Cache-Control: private, no-store` on every answer; `Polar-Version` echoed (an empty one counts as absent; an unknown one gets 404); `X-Polar-Sandbox: 1` when acting as sandbox; no request-id header | modelled |
//! | Headers | No organization-selecting header: `Polar-Organization` is ignored | modelled |
//! | Bodies | POST/PUT/PATCH without `Content-Length` → 411 `{"error":"LengthRequired",…}`; over 10 MiB (configurable) → 413 `{"error":"RequestBodyTooLarge",…}` | modelled; in-process, a body of known exact size counts as having a length |
//! | Tokens | Organization access tokens (bound to one organization: create with any `organization_id` → 422 `organization_token`) user tokens (create needs `organization_id`, else 422 `missing`; one it does not reach → 422 "Organization not found.") and user tokens down-scoped to one organization (may leave it out); read-only tokens get 403 `insufficient_scope` on writes; unknown or revoked → 401 `invalid_token`; none → 401 `Unauthorized` | modelled |
//! | Tokens | Restricted tokens, 403 `NotPermitted` for member permissions | not modelled |
//! | Rate limit | Fixed window per organization (all organization tokens of one organization share it; a user token has its own), 429 with `Retry-After` = the window length, empty body, `Polar-Version`; refused requests are not counted | modelled ([`FakePolarBuilder::rate_limit`]) |
//! | Rate limit | Lower limits for restricted tokens and for tokens the server has not identified yet | not modelled |
//! | Create | `type` absent means individual; field errors carry the union tag in `loc` (`["body","individual","email"]`); an unknown tag → `union_tag_invalid` at `["body"]`; a team without email or owner → `value_error` at `["body","team"]`; duplicates of email (case-insensitive) and external ID → 422, both at once, checked before the tax ID; owner member from `owner` or from email and name | modelled |
//! | Normalisation | `name`, `external_id`, `tax_id`, owner fields and address lines trimmed, whitespace-only → null; `name` ≤ 256 characters (counted before trimming); address `country` upper-cased; US/CA `state` to `US-NY` form and checked ("Invalid US state", "Invalid CA subdivision") | modelled |
//! | Locale | A BCP 47 tag of registered subtags with a real language (no `und`, no `x-…`), stored in its standard form (`en_US` → `en-US`, `zh-hant-tw` → `zh-Hant-TW`, `iw` → `he`, `en-Latn` → `en`); refused with "Value error, Invalid IETF BCP 47 language tag" (agrees with langcodes on 1 397 of 1 495 sampled tags) | approximated: three-letter codes that have a two-letter form (`eng`) and numeric regions outside the registry (`840`) are refused, where Polar shortens them |
//! | Email | pydantic `EmailStr` + email-validator 2 syntax with its messages (`value is not a valid email address: …`, ctx `{"reason"}`); surrounding whitespace and `Name <addr>` accepted; domain lower-cased, local part kept; special-use names refused (agrees with email-validator 2.3 on 648 of 660 sampled inputs) | approximated: Punycode (`xn--`) domains are kept as sent, where Polar shows them in Unicode; IDNA rules are not checked |
//! | Email | Deliverability (`{email} is not a valid email address: The domain name … does not exist.`, ctx `{"email","reason"}`) | approximated: no DNS; `example.com/.net/.org` refused as null-MX ([`FakePolarBuilder::check_email_domains`]), and domains a test names with [`FakePolarBuilder::undeliverable_domain`] |
//! | Tax ID | Needs a billing address (422 `missing` at `["body","billing_address"]`); every failure 422 `invalid` "Invalid tax ID."; stored as `[value, format]`; EU VAT with the member-state prefix and each state's checksum (agrees with python-stdnum on 4 751 sampled numbers); GB VAT, US EIN and the server's own AE, GE, HK, MU checks | modelled |
//! | Tax ID | Other countries' formats (CH, NO, AU, BR, IN, …) | approximated: CH and NO through the `vat_id_validator` crate, the others a shape check (4–20 letters and digits) |
//! | Update | Only fields present change; `"email": null` ignored; an email differing only in case is a no-op; a new email re-checks uniqueness, unsets `email_verified` and, on an individual, moves to its owner member (see Members); `{}` or a body changing nothing leaves `modified_at`; `billing_address: null` → 422; external ID set once; team → individual (or `type: null` on a team) → 422; a new address re-checks the stored tax ID; by external ID, `external_id` and `type` are ignored (200) | modelled |
//! | Metadata | ≤ 50 keys, keys 1–40, values string 1–500 / int / float / bool with pydantic's four smart-union errors; keys listed in JSONB order (shorter first, then byte-wise) in JSON and CSV | modelled |
//! | Validation | FastAPI 422 shapes (`RequestValidationError` vs `PolarRequestValidationError`); `value_error` ctx `{"error":{}}`; NUL characters → "Value error, This value contains invalid characters" at the field (also in address lines, which Polar's own check skips); sorting errors at `["query","sorting",i]`; malformed ids 422 at `["path","id"]`, `uuid_parsing` with pydantic-core's reason (its `uuid` 1.23: positions from 1, "invalid length: expected length 32 for simple format, found N", only a lower-case `urn:uuid:` prefix; agrees with pydantic 2.13.4 on 700 sampled inputs), `uuid_version` where Polar asks for `UUID4`; a list route's issues in FastAPI's order (`solve_dependencies` in fastapi/dependencies/utils.py): the pagination dependency's (`page`, then `limit`, server/polar/kit/pagination.py), the sorting dependency's (kit/sorting.py), the path's, then the route's own query parameters in its declared order, whatever the query string's order; a bad value of a repeatable UUID filter (`organization_id`, `customer_id`, `meter_id`: `MultipleQueryFilter`, kit/schemas.py) fails both branches of its union, `uuid_type` at `[…,"uuid"]` with every value as input, then each bad value under pydantic's sequence-branch label | modelled (checked with FastAPI 0.136.3 and pydantic 2.13.4, server/uv.lock); some long pydantic messages are shortened (the country enum) |
//! | Derived fields | `billing_name` falls back to `name`; `avatar_url` is the Gravatar of the SHA-256 of the lower-cased email (the owner's for a team without email) | approximated: Polar answers a logo.dev URL for non-personal domains when it has a logo.dev key |
//! | Derived fields | `first_user_event_at` | always `null` |
//! | Derived fields | `default_payment_method_id` | `null` unless a test saved a default payment method |
//! | Delete | Soft delete (204, then 404 everywhere; email and external ID free again; the external ID moves to `__external_id` and still shows as `external_id`); `anonymize=true`: email `sha256(created_at + email)@anonymized.polar.sh`, name hashed unless a tax ID is set, billing name hashed, address cleared, tax ID kept, `email_verified` unset, `__anonymized_at` in `+00:00` form | modelled |
//! | Delete | Subscriptions cancelled and benefits revoked | modelled at once (Polar does it in the background) |
//! | List | Filters (`organization_id`, `email`, `query`, `active`, `metadata[key]`), sorting, page-number pagination, `limit` cut to 100 | modelled; strings sort byte-wise (Polar: the database collation), ties keep creation order |
//! | State | Customer plus active/trialing subscriptions, benefit grants, meters, as seeded; [`FakePolar::revoke_benefit_grant`] and [`FakePolar::end_subscription`] (an immediate cancellation) change it as Polar's jobs do, each followed by `customer.state_changed` | modelled; never stale (Polar may cache it for up to an hour); ending a subscription does not revoke its product's grants by itself (Polar does it in a separate job); `benefit_grant.revoked` and `subscription.*` events are not sent |
//! | State | What [`FakePolar::end_subscription`] leaves out of Polar's `_perform_cancellation(immediately=True)` (server/polar/subscription/service.py): clearing `pause_at_period_end` and `resumes_at`, and settling the final meter period (`_settle_meter_cycle`) before the end; its refusals are Polar's (`Subscription.can_cancel(immediately=True)`, models/subscription.py) | approximated |
//! | State | `customer.state_changed` after each change | approximated: the fake sends one per change, at once, with the state just after it; Polar enqueues a `customer.state_changed` job per change, which enqueues `customer.webhook`, and that job is debounced per customer for this event (server/polar/customer/tasks.py: `debounce_key` per customer, `debounce_min_threshold=1`, `debounce_max_threshold=5`; worker/_debounce.py: it runs 1 s after the last enqueue, or once 5 s have passed since the first) and reads the state when it runs (`CustomerService.webhook`, `get_state(cache=False)` in customer/service.py), so a burst of changes reaches an endpoint as one delivery with the latest state |
//! | Export | CSV, CRLF, Excel quoting, Polar's columns, `Tax ID` as Python's tuple repr, `Content-Disposition: attachment; filename="polar-customers.csv"`, streamed | modelled; rows oldest first |
//! | Webhooks | Endpoints registered with [`FakePolar::add_webhook_endpoint`] get `customer.created`, `customer.updated`, `customer.deleted`, each followed by `customer.state_changed` (also after seeding state), signed by the Standard Webhooks scheme, with Polar's headers, in order per endpoint, up to 10 attempts with a 10 s timeout each; [`FakePolar::redeliver_webhook`] sends an event again with the same `webhook-id` | approximated: the first backoff is 20 ms (Polar: 2 s, capped at 20 min; configurable per endpoint); `http://` endpoints only; an endpoint is never disabled after repeated failures; two requests racing may send their events in the other order; a later event waits for every attempt of an earlier one (Polar's FIFO guard in `webhook/tasks.py` waits only for earlier events not yet attempted, for at most a minute); a redelivery is queued behind every event still pending for its endpoint, where Polar's guard counts only events created before the redelivered one that have no delivery yet (`count_earlier_pending` in `webhook/repository.py`), so Polar does not hold it behind newer events |
//! | Webhook secrets | [`WebhookEndpoint::new`]: `whsec_` + base64 of 32 random bytes, signed with the decoded bytes (standard key), as for every secret Polar generates since 2026-09-08; [`WebhookEndpoint::with_legacy_secret`]: a pre-cutoff `generate_token` secret, and [`WebhookEndpoint::with_secret`]: a secret the test supplies, both signed with the whole secret's UTF-8 bytes (legacy key) | modelled (pull requests #14117, #14400; `webhook/constants.py`) |
//!
//! # Example
//!
//! ```
//! use bytes::Bytes;
//! use http_body_util::{BodyExt, Full};
//! use polar_fake::FakePolar;
//! use tower_service::Service;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let mut fake = FakePolar::new();
//! let request = http::Request::post("/v1/customers/")
//!     .header("authorization", format!("Bearer {}", fake.token()))
//!     .header("content-type", "application/json")
//!     .body(Full::new(Bytes::from(r#"{"email": "jane@polar.sh", "external_id": "u-1"}"#)))
//!     .unwrap();
//! let response = fake.call(request).await.unwrap();
//! assert_eq!(response.status(), 201);
//! let body = response.into_body().collect().await.unwrap().to_bytes();
//! let customer: serde_json::Value = serde_json::from_slice(&body).unwrap();
//! assert_eq!(customer["type"], "individual");
//! assert_eq!(fake.customer_count(), 1);
//! # }
//! ```
#![deny(missing_docs)]

mod body;
mod builder;
mod control;
mod csv;
mod events;
mod fake;
mod input;
mod issue;
mod response;
mod rules;
pub mod samples;
mod server;
mod service;
mod state;
mod state_changes;
mod store;
mod surface;
mod sync;
mod webhooks;

use std::collections::BTreeMap;
use std::fmt;

pub use body::FakeBody;
pub use builder::FakePolarBuilder;
pub use fake::FakePolar;
pub use server::ServeHandle;
pub use webhooks::{
    CUSTOMER_EVENTS, Tamper, WebhookDelivery, WebhookEndpoint, WebhookEndpointError,
};

pub use polar_types::{CustomerId, OrganizationId};

/// Serves `fake` on `addr` (`"127.0.0.1:0"` picks a free port); the same as [`FakePolar::serve`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let fake = polar_fake::FakePolar::new();
/// let server = polar_fake::serve(&fake, "127.0.0.1:0").await?;
/// println!("{} with token {}", server.url(), fake.token());
/// server.shutdown().await;
/// # Ok(())
/// # }
/// ```
pub async fn serve(
    fake: &FakePolar,
    addr: impl tokio::net::ToSocketAddrs,
) -> std::io::Result<ServeHandle> {
    fake.serve(addr).await
}

/// The API versions the server knows (`Polar-Version`); any other gets 404.
pub const KNOWN_API_VERSIONS: [&str; 2] = ["2026-04", "2026-10"];

/// The operations the fake serves: every route of polar-types' generated table, so an operation
/// the SDK gains is one the fake must answer (its dispatch matches on every route).
pub use polar_types::Route;

/// What the fake has received and answered since it was built (or [`FakePolar::reset_stats`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Every request received, whatever happened to it.
    pub requests: u64,
    /// Requests answered 429 by the rate limiter.
    pub rate_limited: u64,
    /// Requests answered by an injected failure ([`FakePolar::fail_next`]).
    pub injected_failures: u64,
    /// Connections dropped by fault injection ([`FakePolar::drop_next`]).
    pub dropped_connections: u64,
    /// Requests routed to each operation (only those seen at least once are present).
    pub operations: BTreeMap<Route, u64>,
    /// Responses by status code.
    pub statuses: BTreeMap<u16, u64>,
}

impl Stats {
    /// Requests routed to `route`.
    ///
    /// ```
    /// use polar_fake::{FakePolar, Route};
    ///
    /// assert_eq!(FakePolar::new().stats().operation(Route::CustomersList), 0);
    /// ```
    pub fn operation(&self, route: Route) -> u64 {
        self.operations.get(&route).copied().unwrap_or(0)
    }

    /// Responses with status `code`.
    pub fn status(&self, code: u16) -> u64 {
        self.statuses.get(&code).copied().unwrap_or(0)
    }
}

/// The error a [`FakePolar`] service call can end with (the HTTP errors are responses).
#[derive(Debug)]
pub struct FakeError {
    kind: ErrorKind,
}

#[derive(Debug)]
enum ErrorKind {
    Dropped,
    Body(Box<dyn std::error::Error + Send + Sync>),
}

impl FakeError {
    fn dropped() -> Self {
        FakeError {
            kind: ErrorKind::Dropped,
        }
    }

    fn body(e: Box<dyn std::error::Error + Send + Sync>) -> Self {
        FakeError {
            kind: ErrorKind::Body(e),
        }
    }

    /// True when the connection was dropped on purpose ([`FakePolar::drop_next`]).
    pub fn is_dropped(&self) -> bool {
        matches!(self.kind, ErrorKind::Dropped)
    }
}

impl fmt::Display for FakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Dropped => f.write_str("connection dropped by polar-fake fault injection"),
            ErrorKind::Body(_) => f.write_str("failed to read the request body"),
        }
    }
}

impl std::error::Error for FakeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Dropped => None,
            ErrorKind::Body(e) => Some(e.as_ref()),
        }
    }
}

/// What a token may do.
///
/// ```
/// let fake = polar_fake::FakePolar::new();
/// let reader = fake.add_token(&[fake.organization_id()], polar_fake::Scopes::ReadOnly);
/// # let _ = reader;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scopes {
    /// `customers:read` and `customers:write`.
    ReadWrite,
    /// `customers:read` only: writes get 403 `insufficient_scope`.
    ReadOnly,
}
