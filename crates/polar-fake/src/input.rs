//! Decoding of request bodies and query strings into checked inputs, with pydantic-style issues.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::issue::{
    Issue, at, missing, not_a_string, not_an_object, nul_char, parse_bool, parse_positive,
    parse_uuid4, root, too_long, too_short, value_error,
};
use crate::rules::{self, Address, Kind};

/// A body field that may be absent, `null`, or a value.
#[derive(Clone, Debug, PartialEq, Default)]
pub(crate) enum Field<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<T> Field<T> {
    /// `Null` becomes `Some(None)`, a value `Some(Some(v))`, absent `None`.
    pub(crate) fn into_option(self) -> Option<Option<T>> {
        match self {
            Field::Absent => None,
            Field::Null => Some(None),
            Field::Value(v) => Some(Some(v)),
        }
    }
}

/// The owner member given on create.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct OwnerInput {
    pub email: String,
    pub name: Option<String>,
    pub external_id: Option<String>,
}

/// A checked create body.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CreateInput {
    pub kind: Kind,
    pub email: Option<String>,
    pub external_id: Option<String>,
    pub name: Option<String>,
    pub billing_address: Option<Address>,
    pub tax_id: Option<String>,
    pub locale: Option<String>,
    pub organization_id: Option<uuid::Uuid>,
    pub owner: Option<OwnerInput>,
    pub metadata: BTreeMap<String, Value>,
}

/// A checked update body (by id or by external id).
#[derive(Clone, Debug, PartialEq, Default)]
pub(crate) struct UpdateInput {
    pub metadata: Option<BTreeMap<String, Value>>,
    pub email: Field<String>,
    pub name: Field<String>,
    pub billing_address: Field<Address>,
    pub tax_id: Field<String>,
    pub locale: Field<String>,
    pub external_id: Field<String>,
    pub kind: Field<Kind>,
}

fn body_loc(key: &str) -> Vec<Value> {
    at(&root("body"), key)
}

/// Reads an optional string field: wrong types and NUL characters become issues.
fn string_field(
    obj: &Map<String, Value>,
    key: &str,
    base: &[Value],
    errs: &mut Vec<Issue>,
) -> Field<String> {
    match obj.get(key) {
        None => Field::Absent,
        Some(Value::Null) => Field::Null,
        Some(Value::String(s)) => {
            if s.contains('\0') {
                errs.push(nul_char(at(base, key), s));
                Field::Absent
            } else {
                Field::Value(s.clone())
            }
        }
        Some(other) => {
            errs.push(not_a_string(at(base, key), other.clone()));
            Field::Absent
        }
    }
}

/// Polar's "empty string means null" fields (`name`, `external_id`, `tax_id`).
fn empty_as_null(f: Field<String>) -> Field<String> {
    match f {
        Field::Value(s) if s.is_empty() => Field::Null,
        other => other,
    }
}

fn check_max_len(f: &Field<String>, loc: Vec<Value>, max: usize, errs: &mut Vec<Issue>) {
    if let Field::Value(s) = f
        && s.chars().count() > max
    {
        errs.push(too_long(loc, s, max));
    }
}

fn email_field(
    f: Field<String>,
    loc: Vec<Value>,
    check_domain: bool,
    errs: &mut Vec<Issue>,
) -> Field<String> {
    match f {
        Field::Value(s) => match rules::normalize_email(&s, check_domain) {
            Ok(e) => Field::Value(e),
            Err(reason) => {
                errs.push(
                    Issue::new(
                        "value_error",
                        loc,
                        format!("value is not a valid email address: {reason}"),
                        s,
                    )
                    .with_ctx(json!({ "reason": reason })),
                );
                Field::Absent
            }
        },
        other => other,
    }
}

fn locale_field(f: Field<String>, loc: Vec<Value>, errs: &mut Vec<Issue>) -> Field<String> {
    match f {
        Field::Value(s) if !rules::is_bcp47(&s) => {
            errs.push(value_error(
                loc,
                "Invalid locale, expected an IETF BCP 47 language tag",
                Value::String(s),
            ));
            Field::Absent
        }
        other => other,
    }
}

/// Reads and checks a metadata object (limits from FACTS.md).
fn metadata_field(
    value: &Value,
    loc: Vec<Value>,
    errs: &mut Vec<Issue>,
) -> Option<BTreeMap<String, Value>> {
    let Value::Object(map) = value else {
        errs.push(Issue::new(
            "dict_type",
            loc,
            "Input should be a valid dictionary",
            value.clone(),
        ));
        return None;
    };
    let before = errs.len();
    if map.len() > rules::METADATA_MAX_KEYS {
        errs.push(
            Issue::new(
                "too_long",
                loc.clone(),
                format!(
                    "Dictionary should have at most {} items after validation, not {}",
                    rules::METADATA_MAX_KEYS,
                    map.len()
                ),
                value.clone(),
            )
            .with_ctx(json!({ "field_type": "Dictionary", "max_length": rules::METADATA_MAX_KEYS, "actual_length": map.len() })),
        );
    }
    let mut out = BTreeMap::new();
    for (k, v) in map {
        let key_loc = at(&at(&loc, k.as_str()), "[key]");
        let klen = k.chars().count();
        if klen == 0 {
            errs.push(too_short(key_loc, k, 1));
        } else if klen > rules::METADATA_KEY_MAX {
            errs.push(too_long(key_loc, k, rules::METADATA_KEY_MAX));
        } else if k.contains('\0') {
            errs.push(nul_char(key_loc, k));
        }
        let vloc = at(&loc, k.as_str());
        match v {
            Value::String(s) => {
                let n = s.chars().count();
                if n == 0 {
                    errs.push(too_short(at(&vloc, "str"), s, 1));
                } else if n > rules::METADATA_VALUE_MAX {
                    errs.push(too_long(at(&vloc, "str"), s, rules::METADATA_VALUE_MAX));
                } else if s.contains('\0') {
                    errs.push(nul_char(at(&vloc, "str"), s));
                }
            }
            Value::Number(_) | Value::Bool(_) => {}
            other => errs.push(Issue::new(
                "union_type",
                vloc,
                "Input should be a valid string, integer, number or boolean",
                other.clone(),
            )),
        }
        out.insert(k.clone(), v.clone());
    }
    (errs.len() == before).then_some(out)
}

fn address_field(value: &Value, loc: Vec<Value>, errs: &mut Vec<Issue>) -> Option<Address> {
    let Value::Object(obj) = value else {
        errs.push(not_an_object(loc, value.clone()));
        return None;
    };
    let before = errs.len();
    let mut get = |key: &str| match string_field(obj, key, &loc, errs) {
        Field::Value(s) => Some(s),
        _ => None,
    };
    let line1 = get("line1");
    let line2 = get("line2");
    let postal_code = get("postal_code");
    let city = get("city");
    let state = get("state");
    let country = match obj.get("country") {
        None | Some(Value::Null) => {
            errs.push(missing(at(&loc, "country"), value.clone()));
            None
        }
        Some(Value::String(c)) if rules::is_input_country(c) => Some(c.clone()),
        Some(other) => {
            errs.push(Issue::new(
                "enum",
                at(&loc, "country"),
                "Input should be a supported ISO 3166-1 alpha-2 country code",
                other.clone(),
            ));
            None
        }
    };
    if errs.len() != before {
        return None;
    }
    Some(Address {
        line1,
        line2,
        postal_code,
        city,
        state,
        country: country?,
    })
}

fn address(obj: &Map<String, Value>, errs: &mut Vec<Issue>) -> Field<Address> {
    match obj.get("billing_address") {
        None => Field::Absent,
        Some(Value::Null) => Field::Null,
        Some(v) => match address_field(v, body_loc("billing_address"), errs) {
            Some(a) => Field::Value(a),
            None => Field::Absent,
        },
    }
}

/// Decodes a create body (`CustomerIndividualCreate | CustomerTeamCreate`, tagged by `type`).
pub(crate) fn parse_create(body: &Value, check_domain: bool) -> Result<CreateInput, Vec<Issue>> {
    let mut errs = Vec::new();
    let Value::Object(obj) = body else {
        return Err(vec![not_an_object(root("body"), body.clone())]);
    };
    let kind = match obj.get("type") {
        None => Kind::Individual,
        Some(Value::String(t)) if t == "individual" => Kind::Individual,
        Some(Value::String(t)) if t == "team" => Kind::Team,
        Some(other) => {
            return Err(vec![
                Issue::new(
                    "union_tag_invalid",
                    root("body"),
                    format!(
                        "Input tag '{}' found using 'type' does not match any of the expected tags: 'individual', 'team'",
                        other.as_str().map(str::to_owned).unwrap_or_else(|| other.to_string())
                    ),
                    body.clone(),
                )
                .with_ctx(json!({ "discriminator": "'type'", "tag": other, "expected_tags": "'individual', 'team'" })),
            ]);
        }
    };
    let email = string_field(obj, "email", &root("body"), &mut errs);
    if kind == Kind::Individual {
        match email {
            Field::Absent if !obj.contains_key("email") => {
                errs.push(missing(body_loc("email"), body.clone()))
            }
            Field::Null => errs.push(not_a_string(body_loc("email"), Value::Null)),
            _ => {}
        }
    }
    let email = email_field(email, body_loc("email"), check_domain, &mut errs);
    let name = empty_as_null(string_field(obj, "name", &root("body"), &mut errs));
    check_max_len(&name, body_loc("name"), rules::NAME_MAX, &mut errs);
    let external_id = empty_as_null(string_field(obj, "external_id", &root("body"), &mut errs));
    let tax_id = empty_as_null(string_field(obj, "tax_id", &root("body"), &mut errs));
    let locale = locale_field(
        string_field(obj, "locale", &root("body"), &mut errs),
        body_loc("locale"),
        &mut errs,
    );
    let billing_address = address(obj, &mut errs);
    let metadata = match obj.get("metadata") {
        None => Some(BTreeMap::new()),
        Some(v) => metadata_field(v, body_loc("metadata"), &mut errs),
    };
    let organization_id = match obj.get("organization_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => parse_uuid4(body_loc("organization_id"), s, &mut errs),
        Some(other) => {
            errs.push(Issue::new(
                "uuid_type",
                body_loc("organization_id"),
                "UUID input should be a string, bytes or UUID object",
                other.clone(),
            ));
            None
        }
    };
    let owner = match obj.get("owner") {
        None | Some(Value::Null) => None,
        Some(Value::Object(o)) => {
            let base = body_loc("owner");
            let before = errs.len();
            let email = match string_field(o, "email", &base, &mut errs) {
                Field::Value(e) => {
                    email_field(Field::Value(e), at(&base, "email"), check_domain, &mut errs)
                }
                Field::Null => {
                    errs.push(not_a_string(at(&base, "email"), Value::Null));
                    Field::Absent
                }
                Field::Absent => {
                    if errs.len() == before {
                        errs.push(missing(at(&base, "email"), Value::Object(o.clone())));
                    }
                    Field::Absent
                }
            };
            let name = empty_as_null(string_field(o, "name", &base, &mut errs));
            check_max_len(&name, at(&base, "name"), rules::NAME_MAX, &mut errs);
            let external_id = empty_as_null(string_field(o, "external_id", &base, &mut errs));
            match email {
                Field::Value(email) => Some(OwnerInput {
                    email,
                    name: name.into_option().flatten(),
                    external_id: external_id.into_option().flatten(),
                }),
                _ => None,
            }
        }
        Some(other) => {
            errs.push(not_an_object(body_loc("owner"), other.clone()));
            None
        }
    };
    if !errs.is_empty() {
        return Err(errs);
    }
    Ok(CreateInput {
        kind,
        email: email.into_option().flatten(),
        external_id: external_id.into_option().flatten(),
        name: name.into_option().flatten(),
        billing_address: billing_address.into_option().flatten(),
        tax_id: tax_id.into_option().flatten(),
        locale: locale.into_option().flatten(),
        organization_id,
        owner,
        metadata: metadata.unwrap_or_default(),
    })
}

/// Decodes an update body. `by_external_id` selects `CustomerUpdateExternalID`, which takes
/// neither `external_id` nor `type`.
pub(crate) fn parse_update(
    body: &Value,
    by_external_id: bool,
    check_domain: bool,
) -> Result<UpdateInput, Vec<Issue>> {
    let mut errs = Vec::new();
    let Value::Object(obj) = body else {
        return Err(vec![not_an_object(root("body"), body.clone())]);
    };
    let mut input = UpdateInput::default();
    if by_external_id {
        for key in ["external_id", "type"] {
            if let Some(v) = obj.get(key) {
                errs.push(Issue::new(
                    "extra_forbidden",
                    body_loc(key),
                    "Extra inputs are not permitted",
                    v.clone(),
                ));
            }
        }
    }
    if let Some(v) = obj.get("metadata") {
        input.metadata = metadata_field(v, body_loc("metadata"), &mut errs);
    }
    input.email = email_field(
        string_field(obj, "email", &root("body"), &mut errs),
        body_loc("email"),
        check_domain,
        &mut errs,
    );
    input.name = empty_as_null(string_field(obj, "name", &root("body"), &mut errs));
    check_max_len(&input.name, body_loc("name"), rules::NAME_MAX, &mut errs);
    input.tax_id = empty_as_null(string_field(obj, "tax_id", &root("body"), &mut errs));
    input.locale = locale_field(
        string_field(obj, "locale", &root("body"), &mut errs),
        body_loc("locale"),
        &mut errs,
    );
    input.billing_address = address(obj, &mut errs);
    if !by_external_id {
        input.external_id =
            empty_as_null(string_field(obj, "external_id", &root("body"), &mut errs));
        input.kind = match obj.get("type") {
            None => Field::Absent,
            Some(Value::Null) => Field::Null,
            Some(Value::String(t)) if t == "individual" => Field::Value(Kind::Individual),
            Some(Value::String(t)) if t == "team" => Field::Value(Kind::Team),
            Some(other) => {
                errs.push(
                    Issue::new(
                        "enum",
                        body_loc("type"),
                        "Input should be 'individual' or 'team'",
                        other.clone(),
                    )
                    .with_ctx(json!({ "expected": "'individual' or 'team'" })),
                );
                Field::Absent
            }
        };
    }
    if errs.is_empty() {
        Ok(input)
    } else {
        Err(errs)
    }
}

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

fn query_loc(key: &str) -> Vec<Value> {
    at(&root("query"), key)
}

fn org_ids(pairs: &[(String, String)], errs: &mut Vec<Issue>) -> Vec<uuid::Uuid> {
    let mut out = Vec::new();
    for (i, (_, v)) in pairs
        .iter()
        .filter(|(k, _)| k == "organization_id")
        .enumerate()
    {
        if let Some(u) = parse_uuid4(at(&query_loc("organization_id"), i), v, errs) {
            out.push(u);
        }
    }
    out
}

/// The last value of a scalar query parameter (FastAPI keeps the last one).
fn last<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Decodes the list query.
pub(crate) fn parse_list(pairs: &[(String, String)]) -> Result<ListQuery, Vec<Issue>> {
    let mut errs = Vec::new();
    let organization_id = org_ids(pairs, &mut errs);
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
    let mut sorting = Vec::new();
    for (_, v) in pairs.iter().filter(|(k, _)| k == "sorting") {
        let (desc, name) = match v.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, v.as_str()),
        };
        let key = match name {
            "created_at" => SortKey::CreatedAt,
            "email" => SortKey::Email,
            "name" => SortKey::Name,
            _ => {
                errs.push(
                    Issue::new(
                        "enum",
                        query_loc("sorting"),
                        "Input should be 'created_at', '-created_at', 'email', '-email', 'name' or '-name'",
                        v.as_str(),
                    )
                    .with_ctx(json!({ "expected": "'created_at', '-created_at', 'email', '-email', 'name' or '-name'" })),
                );
                continue;
            }
        };
        sorting.push((key, desc));
    }
    if sorting.is_empty() {
        sorting.push((SortKey::CreatedAt, true));
    }
    let mut metadata: Vec<(String, Vec<String>)> = Vec::new();
    for (k, v) in pairs {
        let Some(key) = k
            .strip_prefix("metadata[")
            .and_then(|r| r.strip_suffix(']'))
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
    let ids = org_ids(pairs, &mut errs);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &str) -> Vec<(String, String)> {
        query_pairs(Some(q))
    }

    #[test]
    fn create_without_type_is_individual_and_needs_email() {
        let err = parse_create(&json!({"name": "x"}), true).unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].kind, "missing");
        assert_eq!(err[0].loc, vec![json!("body"), json!("email")]);
        let ok = parse_create(&json!({"email": "a@Polar.SH"}), true).unwrap();
        assert_eq!(ok.kind, Kind::Individual);
        assert_eq!(ok.email.as_deref(), Some("a@polar.sh"));
    }

    #[test]
    fn create_empty_strings_mean_null() {
        let ok = parse_create(
            &json!({"email": "a@polar.sh", "name": "", "external_id": "", "tax_id": ""}),
            true,
        )
        .unwrap();
        assert_eq!(ok.name, None);
        assert_eq!(ok.external_id, None);
        assert_eq!(ok.tax_id, None);
    }

    #[test]
    fn create_reports_every_schema_issue() {
        let long = "n".repeat(257);
        let err = parse_create(
            &json!({"type": "team", "name": long, "metadata": {"k": ""}, "billing_address": {"city": "x"}, "locale": "not a tag"}),
            true,
        )
        .unwrap_err();
        let kinds: Vec<_> = err.iter().map(|e| e.kind.as_str()).collect();
        assert!(kinds.contains(&"string_too_long"), "{kinds:?}");
        assert!(kinds.contains(&"string_too_short"), "{kinds:?}");
        assert!(kinds.contains(&"missing"), "{kinds:?}");
        assert!(kinds.contains(&"value_error"), "{kinds:?}");
    }

    #[test]
    fn create_rejects_unknown_type_tag_and_non_objects() {
        assert_eq!(
            parse_create(&json!({"type": "robot"}), true).unwrap_err()[0].kind,
            "union_tag_invalid"
        );
        assert_eq!(
            parse_create(&json!([1]), true).unwrap_err()[0].kind,
            "model_attributes_type"
        );
    }

    #[test]
    fn metadata_limits() {
        let mut big = Map::new();
        for i in 0..51 {
            big.insert(format!("k{i}"), json!(i));
        }
        let err = parse_create(&json!({"email": "a@polar.sh", "metadata": big}), true).unwrap_err();
        assert_eq!(err[0].kind, "too_long");
        let key = "k".repeat(41);
        let err =
            parse_create(&json!({"email": "a@polar.sh", "metadata": {key: 1}}), true).unwrap_err();
        assert_eq!(err[0].kind, "string_too_long");
        let err = parse_create(
            &json!({"email": "a@polar.sh", "metadata": {"a": {"nested": 1}}}),
            true,
        )
        .unwrap_err();
        assert_eq!(err[0].kind, "union_type");
        let ok = parse_create(
            &json!({"email": "a@polar.sh", "metadata": {"a": 1, "b": 1.5, "c": true, "d": "x"}}),
            true,
        )
        .unwrap();
        assert_eq!(ok.metadata.len(), 4);
    }

    #[test]
    fn nul_characters_are_rejected() {
        let err =
            parse_create(&json!({"email": "a@polar.sh", "name": "a\u{0}b"}), true).unwrap_err();
        assert_eq!(err[0].loc, vec![json!("body"), json!("name")]);
    }

    #[test]
    fn update_by_external_id_forbids_external_id_and_type() {
        let err =
            parse_update(&json!({"external_id": "x", "type": "team"}), true, true).unwrap_err();
        assert_eq!(err.len(), 2);
        assert!(err.iter().all(|e| e.kind == "extra_forbidden"));
        let ok = parse_update(
            &json!({"external_id": "x", "type": "team", "name": null}),
            false,
            true,
        )
        .unwrap();
        assert_eq!(ok.external_id, Field::Value("x".into()));
        assert_eq!(ok.kind, Field::Value(Kind::Team));
        assert_eq!(ok.name, Field::Null);
        assert_eq!(ok.billing_address, Field::Absent);
    }

    #[test]
    fn list_query_defaults_and_bounds() {
        let q = parse_list(&pairs("")).unwrap();
        assert_eq!((q.page, q.limit), (1, 10));
        assert_eq!(q.sorting, vec![(SortKey::CreatedAt, true)]);
        let q = parse_list(&pairs("limit=1000&page=3&sorting=name&sorting=-email&metadata[a]=1&metadata[a]=2&metadata[b]=x&active=true")).unwrap();
        assert_eq!((q.page, q.limit), (3, 100));
        assert_eq!(
            q.sorting,
            vec![(SortKey::Name, false), (SortKey::Email, true)]
        );
        assert_eq!(
            q.metadata,
            vec![
                ("a".into(), vec!["1".into(), "2".into()]),
                ("b".into(), vec!["x".into()])
            ]
        );
        assert_eq!(q.active, Some(true));
    }

    #[test]
    fn list_query_errors() {
        let err =
            parse_list(&pairs("sorting=age&limit=0&page=x&organization_id=nope")).unwrap_err();
        let locs: Vec<_> = err.iter().map(|e| e.loc.clone()).collect();
        assert!(locs.contains(&vec![json!("query"), json!("sorting")]));
        assert!(locs.contains(&vec![json!("query"), json!("limit")]));
        assert!(locs.contains(&vec![json!("query"), json!("page")]));
        assert!(locs.contains(&vec![json!("query"), json!("organization_id"), json!(0)]));
    }
}
