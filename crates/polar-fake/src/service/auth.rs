//! Tokens: organization access tokens (bound to one organization) and user tokens (reaching
//! several). The server reads no organization-selecting header.

use std::collections::HashMap;

use http::{HeaderMap, header};

use crate::response::{self as resp, Res};
use crate::state::TokenInfo;
use crate::store::{Access, TokenKind};

/// The bearer token of a request, if it sends one.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
        .filter(|t| !t.is_empty())
}

/// The rate limiter's key: every organization token of one organization shares a bucket; a
/// user token, an unknown token and no token have their own.
pub(crate) fn rate_limit_key(tokens: &HashMap<String, TokenInfo>, headers: &HeaderMap) -> String {
    match bearer(headers) {
        None => "anonymous".to_owned(),
        Some(t) => match tokens.get(t) {
            Some(info) if info.kind == TokenKind::Organization => {
                format!("organization:{}", info.orgs[0])
            }
            _ => format!("token:{t}"),
        },
    }
}

/// Checks the bearer token (401 when absent or unknown).
pub(crate) fn authenticate(
    tokens: &HashMap<String, TokenInfo>,
    headers: &HeaderMap,
) -> Result<TokenInfo, Res> {
    let Some(token) = bearer(headers) else {
        return Err(resp::unauthorized());
    };
    tokens.get(token).cloned().ok_or_else(resp::invalid_token)
}

/// Checks the write scope a route needs, if any (403 naming it), and answers what the request
/// may see.
pub(crate) fn authorize(info: TokenInfo, write: Option<&str>) -> Result<Access, Res> {
    if let Some(scope) = write
        && !info.write
    {
        return Err(resp::insufficient_scope(scope));
    }
    Ok(Access {
        orgs: info.orgs,
        kind: info.kind,
    })
}
