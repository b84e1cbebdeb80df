//! [`FakePolarBuilder`]: what a [`FakePolar`] starts with.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use http::StatusCode;
use uuid::Uuid;

use crate::control::{Counters, Faults, RateLimiter};
use crate::rules::email::Deliverability;
use crate::state::{Config, Shared, TokenInfo};
use crate::store::{Store, TokenKind};
use crate::{FakePolar, KNOWN_API_VERSIONS, OrganizationId};

/// Random bytes without end, from version-4 UUIDs (the crate's one source of randomness): the
/// 14 bytes of each that hold none of the version or variant bits.
pub(crate) fn random_bytes() -> impl Iterator<Item = u8> {
    std::iter::repeat_with(Uuid::new_v4).flat_map(|u| {
        let bytes = *u.as_bytes();
        (0..16)
            .filter(|i| *i != 6 && *i != 8)
            .map(move |i| bytes[i])
    })
}

/// A fresh organization access token: 40 random hex digits after `polar_oat_fake_`.
pub(crate) fn new_token() -> String {
    let hex: String = random_bytes()
        .take(20)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("polar_oat_fake_{hex}")
}

/// Configures a [`FakePolar`].
///
/// ```
/// use std::time::Duration;
/// let fake = polar_fake::FakePolar::builder()
///     .token("polar_oat_test")
///     .rate_limit(100, Duration::from_secs(60))
///     .sandbox(true)
///     .build();
/// assert_eq!(fake.token(), "polar_oat_test");
/// ```
#[derive(Clone)]
pub struct FakePolarBuilder {
    token: Option<String>,
    organization_id: Option<Uuid>,
    rate_limit: Option<(u32, Duration)>,
    latency: Option<Duration>,
    fail_first: Option<(u64, StatusCode)>,
    drop_first: u64,
    versions: Vec<String>,
    sandbox: bool,
    max_body_bytes: usize,
    check_email_domains: bool,
    undeliverable: Vec<String>,
}

impl fmt::Debug for FakePolarBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The token is a secret: only whether one was chosen is shown.
        f.debug_struct("FakePolarBuilder")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("organization_id", &self.organization_id)
            .field("rate_limit", &self.rate_limit)
            .field("latency", &self.latency)
            .field("fail_first", &self.fail_first)
            .field("drop_first", &self.drop_first)
            .field("versions", &self.versions)
            .field("sandbox", &self.sandbox)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("check_email_domains", &self.check_email_domains)
            .field("undeliverable", &self.undeliverable)
            .finish()
    }
}

impl Default for FakePolarBuilder {
    fn default() -> Self {
        FakePolarBuilder {
            token: None,
            organization_id: None,
            rate_limit: None,
            latency: None,
            fail_first: None,
            drop_first: 0,
            versions: KNOWN_API_VERSIONS.iter().map(|v| (*v).to_owned()).collect(),
            sandbox: false,
            max_body_bytes: 10 * 1024 * 1024,
            check_email_domains: true,
            undeliverable: Vec::new(),
        }
    }
}

impl FakePolarBuilder {
    /// The value of the first organization's token (random `polar_oat_fake_…` by default).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The id of the first organization (random by default).
    pub fn organization_id(mut self, id: OrganizationId) -> Self {
        self.organization_id = Some(*id.as_uuid());
        self
    }

    /// Turns on Polar's rate limit: at most `requests` per fixed `window` (a window starts with
    /// its first request), counted per organization for organization tokens (all tokens of one
    /// organization share it) and per token otherwise; past it, 429 with `Retry-After` set to
    /// the window's length in seconds. Polar uses 500 per minute in production, 100 in sandbox;
    /// a short window lets a test see the limit lift in seconds.
    ///
    /// The window runs on tokio's clock, so tests with paused time can drive it.
    pub fn rate_limit(mut self, requests: u32, window: Duration) -> Self {
        self.rate_limit = Some((requests, window));
        self
    }

    /// Turns on Polar's own limit for organization tokens: 100 requests per minute when the fake
    /// acts as the sandbox ([`sandbox`](Self::sandbox), set it first), else 500 per minute.
    ///
    /// ```
    /// let fake = polar_fake::FakePolar::builder().sandbox(true).polar_rate_limit().build();
    /// # let _ = fake;
    /// ```
    pub fn polar_rate_limit(self) -> Self {
        let per_minute = if self.sandbox { 100 } else { 500 };
        self.rate_limit(per_minute, Duration::from_secs(60))
    }

    /// Waits this long before answering each request (tokio's clock).
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = Some(latency);
        self
    }

    /// Answers the first `n` requests with `status` (see [`FakePolar::fail_next`]).
    ///
    /// ```
    /// let fake = polar_fake::FakePolar::builder()
    ///     .fail_first(2, http::StatusCode::BAD_GATEWAY)
    ///     .build();
    /// # let _ = fake;
    /// ```
    pub fn fail_first(mut self, n: u64, status: StatusCode) -> Self {
        self.fail_first = Some((n, status));
        self
    }

    /// Drops the first `n` requests without an answer (see [`FakePolar::drop_next`]).
    pub fn drop_first(mut self, n: u64) -> Self {
        self.drop_first = n;
        self
    }

    /// The `Polar-Version` values accepted (default [`KNOWN_API_VERSIONS`]); a request without
    /// the header is always accepted. The first one is echoed when the request sends none.
    pub fn api_versions<I, S>(mut self, versions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.versions = versions.into_iter().map(Into::into).collect();
        self
    }

    /// Acts as the sandbox: answers carry `X-Polar-Sandbox: 1`.
    pub fn sandbox(mut self, sandbox: bool) -> Self {
        self.sandbox = sandbox;
        self
    }

    /// Largest request body accepted (default 10 MiB, as Polar); larger ones get 413.
    pub fn max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }

    /// Whether email domains known to accept no mail (`example.com`, `example.org`,
    /// `example.net`) are refused, as Polar's deliverability check does (default true).
    /// Reserved names such as `.test` or `localhost` are refused either way.
    pub fn check_email_domains(mut self, check: bool) -> Self {
        self.check_email_domains = check;
        self
    }

    /// Marks `domain` (and its subdomains) as not accepting mail: emails there get Polar's 422
    /// for an undeliverable address, as a made-up domain does on the real API (the fake does not
    /// resolve DNS).
    ///
    /// ```
    /// let fake = polar_fake::FakePolar::builder().undeliverable_domain("acme-test.com").build();
    /// # let _ = fake;
    /// ```
    pub fn undeliverable_domain(mut self, domain: impl Into<String>) -> Self {
        self.undeliverable.push(domain.into().to_lowercase());
        self
    }

    /// Builds the fake, with one organization and one read-write organization token for it.
    pub fn build(self) -> FakePolar {
        let org = self.organization_id.unwrap_or_else(Uuid::new_v4);
        let token = self.token.unwrap_or_else(new_token);
        let mut tokens = HashMap::new();
        tokens.insert(
            token.clone(),
            TokenInfo {
                orgs: vec![org],
                write: true,
                kind: TokenKind::Organization,
            },
        );
        let default_version = self
            .versions
            .first()
            .cloned()
            .unwrap_or_else(|| KNOWN_API_VERSIONS[0].to_owned());
        let shared = Shared {
            store: Mutex::new(Store::default()),
            tokens: RwLock::new(tokens),
            organizations: RwLock::new(vec![org]),
            config: Config {
                versions: self.versions,
                default_version,
                sandbox: self.sandbox,
                max_body_bytes: self.max_body_bytes,
                deliverability: Deliverability {
                    null_mx: self.check_email_domains,
                    undeliverable: self.undeliverable,
                },
            },
            limiter: self.rate_limit.map(|(n, w)| RateLimiter::new(n, w)),
            faults: Mutex::new(Faults {
                latency: self.latency,
                drop_next: self.drop_first,
                fail_next: self.fail_first.map_or(0, |(n, _)| n),
                fail_status: self.fail_first.map(|(_, status)| status),
            }),
            counters: Counters::default(),
            webhooks: Default::default(),
        };
        FakePolar {
            shared: Arc::new(shared),
            token: Arc::from(token),
            organization_id: OrganizationId::from(org),
        }
    }
}
