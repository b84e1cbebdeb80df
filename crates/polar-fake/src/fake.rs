//! [`FakePolar`]: the handle tests hold, its tokens, faults, counters and seeded state.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;

use crate::builder::new_token;
use crate::state::{Shared, TokenInfo};
use crate::store::{self, Seed, TokenKind};
use crate::sync::lock;
use crate::webhooks::{Tamper, WebhookDelivery, WebhookEndpoint};
use crate::{CustomerId, FakePolarBuilder, OrganizationId, Scopes, ServeHandle, Stats, server};

/// The fake Polar: an in-memory Customers API.
///
/// Cheap to clone; clones share the same customers, tokens, faults and counters.
/// See the [crate documentation](crate) for an example.
#[derive(Clone)]
pub struct FakePolar {
    pub(crate) shared: Arc<Shared>,
    pub(crate) token: Arc<str>,
    pub(crate) organization_id: OrganizationId,
}

impl fmt::Debug for FakePolar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Tokens are secrets: never printed.
        f.debug_struct("FakePolar")
            .field("organization_id", &self.organization_id)
            .field("customers", &self.customer_count())
            .finish_non_exhaustive()
    }
}

impl Default for FakePolar {
    fn default() -> Self {
        FakePolar::new()
    }
}

impl FakePolar {
    /// A fake with one organization, one read-write token and no optional behaviour.
    pub fn new() -> Self {
        FakePolarBuilder::default().build()
    }

    /// Starts configuring a fake.
    pub fn builder() -> FakePolarBuilder {
        FakePolarBuilder::default()
    }

    /// The first organization's organization access token (send it as
    /// `Authorization: Bearer <token>`). Bound to its organization, it creates customers there
    /// without `organization_id` (sending one is a 422, as on Polar).
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The first organization's id.
    pub fn organization_id(&self) -> OrganizationId {
        self.organization_id
    }

    /// Adds an organization with its own token; answers both.
    ///
    /// ```
    /// let fake = polar_fake::FakePolar::new();
    /// let (org, token) = fake.add_organization();
    /// assert_ne!(org, fake.organization_id());
    /// assert_ne!(token, fake.token());
    /// ```
    pub fn add_organization(&self) -> (OrganizationId, String) {
        let org = OrganizationId::new_v4();
        self.shared
            .organizations
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(*org.as_uuid());
        let token = self.add_token(&[org], Scopes::ReadWrite);
        (org, token)
    }

    /// Adds a token reaching `organizations` with `scopes`; answers its value.
    ///
    /// For one organization it is an organization access token (create must not send
    /// `organization_id`); for several it is a user token (see
    /// [`add_user_token`](Self::add_user_token)).
    ///
    /// ```
    /// use polar_fake::{FakePolar, Scopes};
    /// let fake = FakePolar::new();
    /// let (second, _) = fake.add_organization();
    /// let user_token = fake.add_token(&[fake.organization_id(), second], Scopes::ReadWrite);
    /// let read_only = fake.add_token(&[second], Scopes::ReadOnly);
    /// fake.revoke_token(&read_only);
    /// # let _ = user_token;
    /// ```
    pub fn add_token(&self, organizations: &[OrganizationId], scopes: Scopes) -> String {
        let token = new_token();
        self.insert_token(token.clone(), organizations, scopes);
        token
    }

    /// Adds a user (OAuth) token of a member of `organizations`; answers its value.
    ///
    /// Creating a customer with it must name the organization in `organization_id` (422
    /// `missing` otherwise), even when it reaches one organization; reads see every customer of
    /// those organizations and narrow with the `organization_id` query.
    ///
    /// ```
    /// let fake = polar_fake::FakePolar::new();
    /// let user = fake.add_user_token(&[fake.organization_id()], polar_fake::Scopes::ReadWrite);
    /// # let _ = user;
    /// ```
    pub fn add_user_token(&self, organizations: &[OrganizationId], scopes: Scopes) -> String {
        let token = new_token();
        self.put_token(token.clone(), organizations, scopes, TokenKind::User);
        token
    }

    /// Adds a user token down-scoped to one organization; answers its value.
    ///
    /// Like a user token it may name `organization_id` on create, and like an organization
    /// token it may leave it out: the one organization is used.
    ///
    /// ```
    /// let fake = polar_fake::FakePolar::new();
    /// let scoped = fake.add_down_scoped_user_token(fake.organization_id(), polar_fake::Scopes::ReadWrite);
    /// # let _ = scoped;
    /// ```
    pub fn add_down_scoped_user_token(
        &self,
        organization: OrganizationId,
        scopes: Scopes,
    ) -> String {
        let token = new_token();
        self.put_token(
            token.clone(),
            &[organization],
            scopes,
            TokenKind::DownScopedUser,
        );
        token
    }

    /// Like [`add_token`](Self::add_token) with a chosen value (replacing any token of that
    /// value): an organization token for one organization, a user token for several.
    pub fn insert_token(
        &self,
        token: impl Into<String>,
        organizations: &[OrganizationId],
        scopes: Scopes,
    ) {
        let kind = if organizations.len() == 1 {
            TokenKind::Organization
        } else {
            TokenKind::User
        };
        self.put_token(token.into(), organizations, scopes, kind);
    }

    fn put_token(
        &self,
        token: String,
        organizations: &[OrganizationId],
        scopes: Scopes,
        kind: TokenKind,
    ) {
        let info = TokenInfo {
            orgs: organizations.iter().map(|o| *o.as_uuid()).collect(),
            write: scopes == Scopes::ReadWrite,
            kind,
        };
        self.shared
            .tokens
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(token, info);
    }

    /// Revokes a token: requests with it then get 401 `invalid_token`.
    pub fn revoke_token(&self, token: &str) {
        self.shared
            .tokens
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(token);
    }

    /// Serves this fake on `addr` (e.g. `"127.0.0.1:0"`) until the handle is shut down or dropped.
    ///
    /// Must be called inside a tokio runtime; the server runs on spawned tasks.
    pub async fn serve(
        &self,
        addr: impl tokio::net::ToSocketAddrs,
    ) -> std::io::Result<ServeHandle> {
        server::serve(self.clone(), addr).await
    }

    /// The counters.
    ///
    /// ```
    /// # use bytes::Bytes; use http_body_util::Full; use tower_service::Service;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut fake = polar_fake::FakePolar::new();
    /// let request = http::Request::get("/v1/customers/").body(Full::new(Bytes::new())).unwrap();
    /// let response = fake.call(request).await.unwrap();
    /// assert_eq!(response.status(), 401, "no token");
    /// let stats = fake.stats();
    /// assert_eq!(stats.requests, 1);
    /// assert_eq!(stats.operation(polar_fake::Route::CustomersList), 1);
    /// assert_eq!(stats.status(401), 1);
    /// # }
    /// ```
    pub fn stats(&self) -> Stats {
        self.shared.counters.snapshot()
    }

    /// Sets all counters back to zero.
    pub fn reset_stats(&self) {
        self.shared.counters.reset();
    }

    /// Answers the next `n` requests with `status` (e.g. 503) and a small HTML page, as a proxy in
    /// front of the API would, without touching the store. A 429 also carries `Retry-After: 1`.
    ///
    /// ```
    /// let fake = polar_fake::FakePolar::new();
    /// fake.fail_next(1, http::StatusCode::SERVICE_UNAVAILABLE);
    /// ```
    pub fn fail_next(&self, n: u64, status: StatusCode) {
        let mut f = lock(&self.shared.faults);
        f.fail_next = n;
        f.fail_status = Some(status);
    }

    /// Drops the next `n` requests without an answer: served, the connection is closed; in-process,
    /// the service call fails with a [`FakeError`](crate::FakeError) whose [`is_dropped`](crate::FakeError::is_dropped) is true.
    /// Dropped requests never reach the store.
    ///
    /// ```
    /// # use bytes::Bytes; use http_body_util::Full; use tower_service::Service;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut fake = polar_fake::FakePolar::new();
    /// fake.drop_next(1);
    /// let request = http::Request::get("/v1/customers/").body(Full::new(Bytes::new())).unwrap();
    /// let error = fake.call(request).await.unwrap_err();
    /// assert!(error.is_dropped());
    /// # }
    /// ```
    pub fn drop_next(&self, n: u64) {
        lock(&self.shared.faults).drop_next = n;
    }

    /// Sets (or with `None` removes) a delay before every answer.
    ///
    /// ```
    /// let fake = polar_fake::FakePolar::new();
    /// fake.set_latency(Some(std::time::Duration::from_millis(20)));
    /// fake.set_latency(None);
    /// ```
    pub fn set_latency(&self, latency: Option<Duration>) {
        lock(&self.shared.faults).latency = latency;
    }

    /// Number of live (not deleted) customers across all organizations.
    pub fn customer_count(&self) -> usize {
        self.shared.store().live().count()
    }

    /// A customer's JSON as the API would answer it, including soft-deleted ones (whose
    /// `deleted_at` is set), so tests can check what delete and anonymize did.
    ///
    /// ```
    /// let fake = polar_fake::FakePolar::new();
    /// assert!(fake.customer_json(polar_types::CustomerId::new_v4()).is_none());
    /// ```
    pub fn customer_json(&self, id: CustomerId) -> Option<serde_json::Value> {
        self.shared
            .store()
            .inspect(*id.as_uuid())
            .map(store::Record::to_json)
    }

    /// A customer, typed, including soft-deleted ones (see [`customer_json`](Self::customer_json)).
    pub fn customer(&self, id: CustomerId) -> Option<polar_types::Customer> {
        self.customer_json(id)
            .and_then(|v| serde_json::from_value(v).ok())
    }

    /// JSON of every live customer, oldest first.
    ///
    /// ```
    /// assert!(polar_fake::FakePolar::new().customers_json().is_empty());
    /// ```
    pub fn customers_json(&self) -> Vec<serde_json::Value> {
        self.shared
            .store()
            .live()
            .map(store::Record::to_json)
            .collect()
    }

    /// Marks a live customer's email as verified (or not), as the server does when the customer
    /// confirms it; changing the email through the API unsets it again. False when there is no
    /// such live customer or it has no email.
    ///
    /// ```
    /// let fake = polar_fake::FakePolar::new();
    /// assert!(!fake.set_email_verified(polar_types::CustomerId::new_v4(), true));
    /// ```
    pub fn set_email_verified(&self, customer: CustomerId, verified: bool) -> bool {
        let changed = self
            .shared
            .store()
            .set_email_verified(*customer.as_uuid(), verified);
        crate::events::after_update(&self.shared, customer, changed)
    }

    /// Attaches a subscription (a `CustomerStateSubscription` as JSON) to a live customer. Its
    /// `status` decides where it shows: `active`/`trialing` in the state, and `active`,
    /// `trialing` or `past_due` for the list's `active` filter. False when no such live customer.
    pub fn seed_subscription_json(
        &self,
        customer: CustomerId,
        subscription: serde_json::Value,
    ) -> bool {
        let seeded =
            self.shared
                .store()
                .seed(*customer.as_uuid(), Seed::Subscription, subscription);
        crate::events::after_state_change(&self.shared, customer, seeded)
    }

    /// Attaches a benefit grant (a `CustomerStateBenefitGrant` as JSON) to a live customer.
    pub fn seed_benefit_grant_json(&self, customer: CustomerId, grant: serde_json::Value) -> bool {
        let seeded = self
            .shared
            .store()
            .seed(*customer.as_uuid(), Seed::BenefitGrant, grant);
        crate::events::after_state_change(&self.shared, customer, seeded)
    }

    /// Attaches a meter (a `CustomerStateMeter` as JSON) to a live customer.
    pub fn seed_meter_json(&self, customer: CustomerId, meter: serde_json::Value) -> bool {
        let seeded = self
            .shared
            .store()
            .seed(*customer.as_uuid(), Seed::Meter, meter);
        crate::events::after_state_change(&self.shared, customer, seeded)
    }

    /// Attaches a subscription to a live customer (see [`samples::subscription`](crate::samples::subscription)). False when
    /// there is no such live customer.
    ///
    /// ```
    /// # use bytes::Bytes; use http_body_util::{BodyExt, Full}; use tower_service::Service;
    /// use polar_fake::{FakePolar, samples};
    /// use polar_types::SubscriptionStatus;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut fake = FakePolar::new();
    /// let create = http::Request::post("/v1/customers/")
    ///     .header("authorization", format!("Bearer {}", fake.token()))
    ///     .body(Full::new(Bytes::from(r#"{"email":"sub@polar.sh"}"#)))
    ///     .unwrap();
    /// let body = fake.call(create).await.unwrap().into_body().collect().await.unwrap().to_bytes();
    /// let customer: polar_types::Customer = serde_json::from_slice(&body).unwrap();
    /// let id = customer.id();
    /// assert!(fake.add_subscription(id, &samples::subscription(SubscriptionStatus::Active, 1500)));
    /// assert!(fake.add_meter(id, &samples::meter(3.0, 10)));
    /// # }
    /// ```
    pub fn add_subscription(
        &self,
        customer: CustomerId,
        subscription: &polar_types::CustomerStateSubscription,
    ) -> bool {
        serde_json::to_value(subscription).is_ok_and(|v| self.seed_subscription_json(customer, v))
    }

    /// Attaches a benefit grant to a live customer (see [`samples::benefit_grant`](crate::samples::benefit_grant)).
    pub fn add_benefit_grant(
        &self,
        customer: CustomerId,
        grant: &polar_types::CustomerStateBenefitGrant,
    ) -> bool {
        serde_json::to_value(grant).is_ok_and(|v| self.seed_benefit_grant_json(customer, v))
    }

    /// Attaches a meter to a live customer (see [`samples::meter`](crate::samples::meter)).
    pub fn add_meter(&self, customer: CustomerId, meter: &polar_types::CustomerStateMeter) -> bool {
        serde_json::to_value(meter).is_ok_and(|v| self.seed_meter_json(customer, v))
    }
}

impl FakePolar {
    /// Registers a webhook endpoint: from now on, every change to a customer sends the matching
    /// signed events to it, over HTTP, in order. An endpoint made with
    /// [`WebhookEndpoint::new`] has a new-style secret and is signed with its standard key, as
    /// every endpoint created at Polar today; give [`WebhookEndpoint::secret`] to the receiver.
    ///
    /// ```
    /// use polar_fake::{CUSTOMER_EVENTS, FakePolar, WebhookEndpoint};
    ///
    /// let fake = FakePolar::new();
    /// let endpoint = WebhookEndpoint::new("http://127.0.0.1:9/hooks", CUSTOMER_EVENTS)?;
    /// let secret = endpoint.secret().to_owned(); // for the receiver
    /// fake.add_webhook_endpoint(endpoint);
    /// assert!(fake.webhook_deliveries().is_empty());
    /// # Ok::<(), polar_fake::WebhookEndpointError>(())
    /// ```
    pub fn add_webhook_endpoint(&self, endpoint: WebhookEndpoint) {
        self.shared.webhooks.add_endpoint(endpoint);
    }

    /// Sends the event whose `webhook-id` is `webhook_id` again to its endpoint, as Polar's
    /// "redeliver" does (`POST /v1/webhooks/events/{id}/redeliver`): the same id and body,
    /// signed anew at the time of the attempt, with the usual retries. It is queued behind every
    /// event still pending for the endpoint, newer ones included, where Polar's FIFO guard
    /// counts only events created before it with no delivery yet (`count_earlier_pending` in
    /// `server/polar/webhook/repository.py`). False when the fake sent no such event.
    pub fn redeliver_webhook(&self, webhook_id: &str) -> bool {
        self.shared.webhooks.redeliver(webhook_id)
    }

    /// Sends one event of your choosing (`data` as its payload) to every endpoint that wants
    /// `event_type`, possibly spoilt (see [`Tamper`]).
    pub fn send_webhook(&self, event_type: &str, data: &serde_json::Value, tamper: Tamper) {
        self.shared.webhooks.emit(event_type, data, tamper);
    }

    /// Every delivery attempt so far, in the order they were made.
    pub fn webhook_deliveries(&self) -> Vec<WebhookDelivery> {
        self.shared.webhooks.deliveries()
    }

    /// Waits until every queued event has been delivered or given up. Wrap it in a timeout in
    /// tests: a receiver that never answers 2xx makes it wait through all the retries.
    pub async fn webhooks_settled(&self) {
        self.shared.webhooks.settled().await;
    }
}
