//! What Polar's list endpoints share: pagination, sorting, repeatable UUID filters, and the one
//! order in which a request's issues are reported.
//!
//! FastAPI's `solve_dependencies` (fastapi/dependencies/utils.py, FastAPI 0.136.3 as
//! server/uv.lock pins it) first solves an endpoint's dependencies, in the order the endpoint
//! declares them, keeping the issues of each; then it validates the endpoint's own path
//! parameters, then its query parameters. Polar's list endpoints declare pagination
//! (`PaginationParamsQuery`, server/polar/kit/pagination.py) before sorting (`SortingGetter`,
//! server/polar/kit/sorting.py), both as dependencies, and take their filters as plain query
//! parameters. So a list's 422 holds the pagination issues, the sorting issues, the path's, then
//! the filters', whatever order the query string has. [`Params`] keeps that order for every list
//! route.

use serde_json::{Value, json};

use crate::issue::{Issue, at, one_of, parse_bool, parse_positive, parse_uuid4, root};
use crate::rules;

/// `["query", key]`.
pub(super) fn query_loc(key: &str) -> Vec<Value> {
    at(&root("query"), key)
}

/// The last value of a scalar query parameter (FastAPI keeps the last one).
fn last<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
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
fn uuid_filter(pairs: &[(String, String)], key: &str, errs: &mut Vec<Issue>) -> Vec<uuid::Uuid> {
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

/// `page` and `limit` (`limit` cut to 100).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Page {
    pub page: u64,
    pub limit: u64,
}

impl Page {
    /// Cuts a sorted list to this page and wraps it in Polar's envelope.
    pub(crate) fn envelope(self, items: Vec<Value>) -> Value {
        let total = items.len() as u64;
        let limit = self.limit.max(1);
        let offset = self.page.saturating_sub(1).saturating_mul(limit);
        let page: Vec<Value> = items
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect();
        json!({
            "items": page,
            "pagination": {"total_count": total, "max_page": total.div_ceil(limit)}
        })
    }
}

/// A list's sort keys (its `…SortProperty` enum, in the enum's order) and its default sorting
/// (key, descending).
pub(crate) struct Sorts<K: 'static> {
    pub keys: &'static [(&'static str, K)],
    pub default: (K, bool),
}

/// The issues of one list request, kept by where FastAPI finds them, and given back in the order
/// it reports them (see the module's doc).
pub(crate) struct Params<'q> {
    pairs: &'q [(String, String)],
    pagination: Vec<Issue>,
    sorting: Vec<Issue>,
    path: Vec<Issue>,
    query: Vec<Issue>,
}

impl<'q> Params<'q> {
    pub(crate) fn new(pairs: &'q [(String, String)]) -> Self {
        Params {
            pairs,
            pagination: Vec::new(),
            sorting: Vec::new(),
            path: Vec::new(),
            query: Vec::new(),
        }
    }

    /// The pagination dependency (`get_pagination_params`): `page`, then `limit`, each an
    /// integer greater than 0, defaults 1 and 10.
    pub(crate) fn page(&mut self) -> Page {
        let mut read = |key: &str, default: u64| match last(self.pairs, key) {
            Some(v) => parse_positive(query_loc(key), v, &mut self.pagination).unwrap_or(default),
            None => default,
        };
        let page = read("page", 1);
        let limit = read("limit", 10).min(rules::LIST_LIMIT_MAX);
        Page { page, limit }
    }

    /// The sorting dependency (`SortingGetter`): each `sorting` value a key of `sorts`, with `-`
    /// in front for descending, applied in order; the default when none is given. An unknown
    /// value is pydantic's `enum` error at `["query","sorting",i]`, naming every accepted value
    /// (`'a', '-a', 'b' or '-b'`).
    pub(crate) fn sorting<K: Copy>(&mut self, sorts: &Sorts<K>) -> Vec<(K, bool)> {
        let accepted: Vec<String> = sorts
            .keys
            .iter()
            .flat_map(|(n, _)| [format!("'{n}'"), format!("'-{n}'")])
            .collect();
        let mut sorting = Vec::new();
        let given = self.pairs.iter().filter(|(k, _)| k == "sorting");
        for (i, (_, v)) in given.enumerate() {
            let (desc, name) = match v.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, v.as_str()),
            };
            match sorts.keys.iter().find(|(n, _)| *n == name) {
                Some((_, key)) => sorting.push((*key, desc)),
                None => self.sorting.push(one_of(
                    "enum",
                    at(&query_loc("sorting"), i),
                    &accepted,
                    v.as_str(),
                )),
            }
        }
        if sorting.is_empty() {
            sorting.push(sorts.default);
        }
        sorting
    }

    /// The last value of the scalar query parameter `key` (FastAPI keeps the last one).
    pub(crate) fn last(&self, key: &str) -> Option<&'q str> {
        last(self.pairs, key)
    }

    /// Every value of the query parameter `key`, in order.
    pub(crate) fn all(&self, key: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The endpoint's repeatable UUID filter `key` (see [`uuid_filter`]), its issues kept with
    /// the endpoint's query parameters.
    pub(crate) fn uuid_filter(&mut self, key: &str) -> Vec<uuid::Uuid> {
        uuid_filter(self.pairs, key, &mut self.query)
    }

    /// The endpoint's boolean query parameter `key` (its last value), its issue kept with the
    /// endpoint's query parameters.
    pub(crate) fn bool(&mut self, key: &str) -> Option<bool> {
        let value = last(self.pairs, key)?;
        parse_bool(query_loc(key), value, &mut self.query)
    }

    /// A path parameter, already read: its value, or `None` with its issues kept.
    pub(crate) fn path<T>(&mut self, value: Result<T, Vec<Issue>>) -> Option<T> {
        value.map_err(|issues| self.path.extend(issues)).ok()
    }

    /// Where the endpoint's own query parameters put their issues, read in the order the
    /// endpoint declares them.
    pub(crate) fn query(&mut self) -> &mut Vec<Issue> {
        &mut self.query
    }

    /// The path parameter [`Params::path`] gave and `value` when no parameter failed; else every
    /// issue, in FastAPI's order.
    pub(crate) fn finish_path<K, T>(self, path: Option<K>, value: T) -> Result<(K, T), Vec<Issue>> {
        let value = self.finish(value)?;
        // A path parameter that failed came with its issue, so `None` is not reached here.
        path.map(|k| (k, value)).ok_or_else(Vec::new)
    }

    /// `value` when no parameter failed; else every issue, in FastAPI's order.
    pub(crate) fn finish<T>(self, value: T) -> Result<T, Vec<Issue>> {
        let mut issues = self.pagination;
        issues.extend(self.sorting);
        issues.extend(self.path);
        issues.extend(self.query);
        if issues.is_empty() {
            Ok(value)
        } else {
            Err(issues)
        }
    }
}
