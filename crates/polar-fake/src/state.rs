//! What one fake holds, shared by its clones, its server and its request handling.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, RwLock};

use uuid::Uuid;

use crate::control::{Counters, Faults, RateLimiter};
use crate::rules::email::Deliverability;
use crate::store::{Store, TokenKind};
use crate::sync::lock;
use crate::webhooks::Webhooks;

/// What a token may reach and do.
#[derive(Clone, Debug)]
pub(crate) struct TokenInfo {
    pub orgs: Vec<Uuid>,
    pub write: bool,
    pub kind: TokenKind,
}

/// Settings fixed at build time.
#[derive(Debug)]
pub(crate) struct Config {
    pub versions: Vec<String>,
    pub default_version: String,
    pub sandbox: bool,
    pub max_body_bytes: usize,
    pub deliverability: Deliverability,
}

/// Everything one fake holds; shared by its clones and by its server.
#[derive(Debug)]
pub(crate) struct Shared {
    pub store: Mutex<Store>,
    pub tokens: RwLock<HashMap<String, TokenInfo>>,
    pub organizations: RwLock<Vec<Uuid>>,
    pub config: Config,
    pub limiter: Option<RateLimiter>,
    pub faults: Mutex<Faults>,
    pub counters: Counters,
    pub webhooks: Webhooks,
}

impl Shared {
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }

    pub(crate) fn tokens(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, TokenInfo>> {
        self.tokens.read().unwrap_or_else(|e| e.into_inner())
    }
}
