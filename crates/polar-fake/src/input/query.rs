//! The query strings of the customer list, export and delete (server/polar/customer/endpoints.py).

use super::params::{Params, Sorts};
use crate::issue::Issue;

/// Sort keys of the list operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SortKey {
    CreatedAt,
    Email,
    Name,
}

/// `CustomerSortProperty` (server/polar/customer/sorting.py), default `-created_at`.
const SORTS: Sorts<SortKey> = Sorts {
    keys: &[
        ("created_at", SortKey::CreatedAt),
        ("email", SortKey::Email),
        ("name", SortKey::Name),
    ],
    default: (SortKey::CreatedAt, true),
};

/// The list operation's checked query.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ListQuery {
    pub organization_id: Vec<uuid::Uuid>,
    pub email: Option<String>,
    pub query: Option<String>,
    pub active: Option<bool>,
    pub page: u64,
    pub limit: u64,
    /// (key, descending)
    pub sorting: Vec<(SortKey, bool)>,
    /// key -> accepted values (OR); keys are ANDed.
    pub metadata: Vec<(String, Vec<String>)>,
}

/// Splits a raw query string into decoded pairs (`+` is a space, as in HTML forms).
pub(crate) fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

/// The `metadata[key]` filters (kit/metadata.py, a dependency that never fails): Polar matches
/// `metadata\[([^\]]+)\]` at the start of the name.
fn metadata(pairs: &[(String, String)]) -> Vec<(String, Vec<String>)> {
    let mut metadata: Vec<(String, Vec<String>)> = Vec::new();
    for (k, v) in pairs {
        let Some(key) = k
            .strip_prefix("metadata[")
            .and_then(|r| r.split_once(']'))
            .map(|(key, _)| key)
            .filter(|key| !key.is_empty())
        else {
            continue;
        };
        match metadata.iter_mut().find(|(mk, _)| mk == key) {
            Some((_, vals)) => vals.push(v.clone()),
            None => metadata.push((key.to_owned(), vec![v.clone()])),
        }
    }
    metadata
}

/// Decodes the list query: the pagination and sorting dependencies, then `organization_id`,
/// `email`, `query` and `active` (only the first and the last can fail).
pub(crate) fn parse_list(pairs: &[(String, String)]) -> Result<ListQuery, Vec<Issue>> {
    let mut p = Params::new(pairs);
    let page = p.page();
    let sorting = p.sorting(&SORTS);
    let organization_id = p.uuid_filter("organization_id");
    let active = p.bool("active");
    let email = p.last("email").map(str::to_owned);
    let query = p.last("query").map(str::to_owned);
    p.finish(ListQuery {
        organization_id,
        email,
        query,
        active,
        page: page.page,
        limit: page.limit,
        sorting,
        metadata: metadata(pairs),
    })
}

/// Decodes the export query (`organization_id` only).
pub(crate) fn parse_export(pairs: &[(String, String)]) -> Result<Vec<uuid::Uuid>, Vec<Issue>> {
    let mut p = Params::new(pairs);
    let ids = p.uuid_filter("organization_id");
    p.finish(ids)
}

/// Decodes a delete's customer, the path parameter already read, and its `anonymize` query.
pub(crate) fn parse_delete<K>(
    pairs: &[(String, String)],
    customer: Result<K, Vec<Issue>>,
) -> Result<(K, bool), Vec<Issue>> {
    let mut p = Params::new(pairs);
    let customer = p.path(customer);
    let anonymize = p.bool("anonymize").unwrap_or(false);
    p.finish_path(customer, anonymize)
}
