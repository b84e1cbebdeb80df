//! The query strings of list, export and delete.

use serde_json::{Value, json};

use crate::issue::{Issue, at, parse_bool, parse_positive, parse_uuid4, root};
use crate::rules;

/// Sort keys of the list operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SortKey {
    CreatedAt,
    Email,
    Name,
}

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

pub(super) fn query_loc(key: &str) -> Vec<Value> {
    at(&root("query"), key)
}

/// pydantic's name for the list branch of `MultipleQueryFilter`'s union: the schema it builds
/// for `Sequence[UUID]`, which an item's `loc` carries.
const SEQUENCE_BRANCH: &str = "json-or-python[json=list[uuid],python=chain[is-instance[Sequence],function-wrap[sequence_validator()]]]";

/// The values of a repeatable UUID filter (`organization_id`, `customer_id`, `meter_id`).
///
/// Polar types them `MultipleQueryFilter[UUID4]` (server/polar/kit/schemas.py): a union of one
/// UUID and a sequence of UUIDs. FastAPI passes every value of the key as one list, so when any
/// value is bad both branches fail: the single-UUID branch on the whole list (`uuid_type` at
/// `[…, "uuid"]`), then the sequence branch item by item at `[…, SEQUENCE_BRANCH, i]`.
pub(super) fn uuid_filter(
    pairs: &[(String, String)],
    key: &str,
    errs: &mut Vec<Issue>,
) -> Vec<uuid::Uuid> {
    let raw: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .collect();
    let branch = at(&query_loc(key), SEQUENCE_BRANCH);
    let mut items = Vec::new();
    let ids = raw
        .iter()
        .enumerate()
        .filter_map(|(i, v)| parse_uuid4(at(&branch, i), v, &mut items))
        .collect();
    if !items.is_empty() {
        errs.push(Issue::new(
            "uuid_type",
            at(&query_loc(key), "uuid"),
            "UUID input should be a string, bytes or UUID object",
            raw,
        ));
        errs.extend(items);
    }
    ids
}

/// The last value of a scalar query parameter (FastAPI keeps the last one).
pub(super) fn last<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Decodes the list query.
pub(crate) fn parse_list(pairs: &[(String, String)]) -> Result<ListQuery, Vec<Issue>> {
    let mut errs = Vec::new();
    let organization_id = uuid_filter(pairs, "organization_id", &mut errs);
    let active = last(pairs, "active").and_then(|v| parse_bool(query_loc("active"), v, &mut errs));
    let page = match last(pairs, "page") {
        Some(v) => parse_positive(query_loc("page"), v, &mut errs).unwrap_or(1),
        None => 1,
    };
    let limit = match last(pairs, "limit") {
        Some(v) => parse_positive(query_loc("limit"), v, &mut errs).unwrap_or(10),
        None => 10,
    }
    .min(rules::LIST_LIMIT_MAX);
    let sorting = parse_sorting(
        pairs,
        &[
            ("created_at", SortKey::CreatedAt),
            ("email", SortKey::Email),
            ("name", SortKey::Name),
        ],
        (SortKey::CreatedAt, true),
        &mut errs,
    );
    let mut metadata: Vec<(String, Vec<String>)> = Vec::new();
    for (k, v) in pairs {
        // Polar matches `metadata\[([^\]]+)\]` at the start of the name.
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
    if !errs.is_empty() {
        return Err(errs);
    }
    Ok(ListQuery {
        organization_id,
        email: last(pairs, "email").map(str::to_owned),
        query: last(pairs, "query").map(str::to_owned),
        active,
        page,
        limit,
        sorting,
        metadata,
    })
}

/// Decodes the export query (`organization_id` only).
pub(crate) fn parse_export(pairs: &[(String, String)]) -> Result<Vec<uuid::Uuid>, Vec<Issue>> {
    let mut errs = Vec::new();
    let ids = uuid_filter(pairs, "organization_id", &mut errs);
    if errs.is_empty() { Ok(ids) } else { Err(errs) }
}

/// Decodes the delete query (`anonymize`).
pub(crate) fn parse_delete(pairs: &[(String, String)]) -> Result<bool, Vec<Issue>> {
    let mut errs = Vec::new();
    let anonymize = last(pairs, "anonymize")
        .and_then(|v| parse_bool(query_loc("anonymize"), v, &mut errs))
        .unwrap_or(false);
    if errs.is_empty() {
        Ok(anonymize)
    } else {
        Err(errs)
    }
}

/// The `sorting` values of a list query (kit/sorting.py's `SortingGetter`): each a key of
/// `keys`, with `-` in front for descending, applied in order; `default` when none is given. An
/// unknown value is pydantic's `enum` error at `["query","sorting",i]`, naming every accepted
/// value (`'a', '-a', 'b' or '-b'`).
pub(crate) fn parse_sorting<K: Copy>(
    pairs: &[(String, String)],
    keys: &[(&str, K)],
    default: (K, bool),
    errs: &mut Vec<Issue>,
) -> Vec<(K, bool)> {
    let accepted: Vec<String> = keys
        .iter()
        .flat_map(|(n, _)| [format!("'{n}'"), format!("'-{n}'")])
        .collect();
    let expected = match accepted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => accepted.concat(),
    };
    let mut sorting = Vec::new();
    for (i, (_, v)) in pairs.iter().filter(|(k, _)| k == "sorting").enumerate() {
        let (desc, name) = match v.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, v.as_str()),
        };
        match keys.iter().find(|(n, _)| *n == name) {
            Some((_, key)) => sorting.push((*key, desc)),
            None => errs.push(
                Issue::new(
                    "enum",
                    at(&query_loc("sorting"), i),
                    format!("Input should be {expected}"),
                    v.as_str(),
                )
                .with_ctx(json!({ "expected": expected })),
            ),
        }
    }
    if sorting.is_empty() {
        sorting.push(default);
    }
    sorting
}
