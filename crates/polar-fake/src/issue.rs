//! Validation issues in the shape FastAPI/pydantic give them, and the HTTP answers built from them.

use serde_json::{Map, Value, json};

/// One entry of a 422 body's `detail` array.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Issue {
    pub kind: String,
    pub loc: Vec<Value>,
    pub msg: String,
    pub input: Value,
    pub ctx: Option<Value>,
}

impl Issue {
    pub(crate) fn new(
        kind: &str,
        loc: Vec<Value>,
        msg: impl Into<String>,
        input: impl Into<Value>,
    ) -> Self {
        Issue {
            kind: kind.to_owned(),
            loc,
            msg: msg.into(),
            input: input.into(),
            ctx: None,
        }
    }

    pub(crate) fn with_ctx(mut self, ctx: Value) -> Self {
        self.ctx = Some(ctx);
        self
    }

    pub(crate) fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("type".into(), Value::String(self.kind.clone()));
        m.insert("loc".into(), Value::Array(self.loc.clone()));
        m.insert("msg".into(), Value::String(self.msg.clone()));
        m.insert("input".into(), self.input.clone());
        if let Some(ctx) = &self.ctx {
            m.insert("ctx".into(), ctx.clone());
        }
        Value::Object(m)
    }
}

/// Builds a `loc` path from a base and one more key.
pub(crate) fn at(base: &[Value], key: impl Into<Value>) -> Vec<Value> {
    let mut v = base.to_vec();
    v.push(key.into());
    v
}

/// `["body"]`, `["query"]`, `["path"]` ...
pub(crate) fn root(part: &str) -> Vec<Value> {
    vec![Value::String(part.to_owned())]
}

/// pydantic's error for a value that is none of `expected` (each written as pydantic-core
/// writes it: `'a'`, or an enum member's repr): `kind` (`enum`, `literal_error`), the message
/// `Input should be a, b or c` and ctx `expected`, joined as pydantic-core joins them.
pub(crate) fn one_of(
    kind: &str,
    loc: Vec<Value>,
    expected: &[String],
    input: impl Into<Value>,
) -> Issue {
    let expected = match expected.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => expected.concat(),
    };
    Issue::new(kind, loc, format!("Input should be {expected}"), input)
        .with_ctx(json!({ "expected": expected }))
}

/// A "missing" issue as pydantic words it.
pub(crate) fn missing(loc: Vec<Value>, input: Value) -> Issue {
    Issue::new("missing", loc, "Field required", input)
}

/// A "string_type" issue.
pub(crate) fn not_a_string(loc: Vec<Value>, input: Value) -> Issue {
    Issue::new("string_type", loc, "Input should be a valid string", input)
}

/// A "string_too_long" issue.
pub(crate) fn too_long(loc: Vec<Value>, input: &str, max: usize) -> Issue {
    Issue::new(
        "string_too_long",
        loc,
        format!("String should have at most {max} characters"),
        input,
    )
    .with_ctx(json!({ "max_length": max }))
}

/// A "string_too_short" issue.
pub(crate) fn too_short(loc: Vec<Value>, input: &str, min: usize) -> Issue {
    let unit = if min == 1 { "character" } else { "characters" };
    Issue::new(
        "string_too_short",
        loc,
        format!("String should have at least {min} {unit}"),
        input,
    )
    .with_ctx(json!({ "min_length": min }))
}

/// The issue for a field holding a NUL character (Polar rejects them in every string).
pub(crate) fn nul_char(loc: Vec<Value>, input: impl Into<Value>) -> Issue {
    value_error(loc, crate::rules::NUL_MESSAGE, input.into())
}

/// A "value_error" issue raised by a validator of Polar's: pydantic prefixes the message with
/// "Value error, " and the JSON body shows the exception in `ctx` as an empty object.
pub(crate) fn value_error(loc: Vec<Value>, msg: &str, input: Value) -> Issue {
    Issue::new("value_error", loc, format!("Value error, {msg}"), input)
        .with_ctx(json!({ "error": {} }))
}

/// A "model_attributes_type"/"dict_type" issue for a body or sub-object that is not an object.
pub(crate) fn not_an_object(loc: Vec<Value>, input: Value) -> Issue {
    Issue::new(
        "model_attributes_type",
        loc,
        "Input should be a valid dictionary or object to extract fields from",
        input,
    )
}

/// Parses a UUID of any version (a plain `UUID`), or records pydantic's `uuid_parsing` issue
/// with the reason pydantic-core gives (rules/uuids.rs).
pub(crate) fn parse_uuid(loc: Vec<Value>, raw: &str, errs: &mut Vec<Issue>) -> Option<uuid::Uuid> {
    match crate::rules::uuids::parse(raw) {
        Ok(u) => Some(u),
        Err(reason) => {
            errs.push(
                Issue::new(
                    "uuid_parsing",
                    loc,
                    format!("Input should be a valid UUID, {reason}"),
                    raw,
                )
                .with_ctx(json!({ "error": reason })),
            );
            None
        }
    }
}

/// Parses a version 4 UUID (`UUID4`) or records why it can't.
pub(crate) fn parse_uuid4(loc: Vec<Value>, raw: &str, errs: &mut Vec<Issue>) -> Option<uuid::Uuid> {
    let u = parse_uuid(loc.clone(), raw, errs)?;
    if u.get_version_num() == 4 {
        return Some(u);
    }
    errs.push(
        Issue::new("uuid_version", loc, "UUID version 4 expected", raw)
            .with_ctx(json!({ "expected_version": 4 })),
    );
    None
}

/// Parses a boolean the way pydantic does from a query string.
pub(crate) fn parse_bool(loc: Vec<Value>, raw: &str, errs: &mut Vec<Issue>) -> Option<bool> {
    match raw.to_ascii_lowercase().as_str() {
        "1" | "true" | "t" | "yes" | "y" | "on" => Some(true),
        "0" | "false" | "f" | "no" | "n" | "off" => Some(false),
        _ => {
            errs.push(Issue::new(
                "bool_parsing",
                loc,
                "Input should be a valid boolean, unable to interpret input",
                raw,
            ));
            None
        }
    }
}

/// Parses an integer that must be greater than zero (`page`, `limit`).
///
/// Integers too large for `u64` saturate: they are valid for the server (Python ints are
/// unbounded) and simply point past the last page.
pub(crate) fn parse_positive(loc: Vec<Value>, raw: &str, errs: &mut Vec<Issue>) -> Option<u64> {
    let t = raw.trim();
    let (neg, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let digits_only = !digits.is_empty()
        && digits
            .char_indices()
            .all(|(i, c)| c.is_ascii_digit() || (c == '_' && i > 0));
    if !digits_only {
        errs.push(Issue::new(
            "int_parsing",
            loc,
            "Input should be a valid integer, unable to parse string as an integer",
            raw,
        ));
        return None;
    }
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    let value = clean.parse::<u64>().unwrap_or(u64::MAX);
    if neg || value == 0 {
        errs.push(
            Issue::new("greater_than", loc, "Input should be greater than 0", raw)
                .with_ctx(json!({ "gt": 0 })),
        );
        return None;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positive_integers_parse_like_pydantic() {
        let mut errs = Vec::new();
        assert_eq!(parse_positive(root("query"), "5", &mut errs), Some(5));
        assert_eq!(parse_positive(root("query"), " 7 ", &mut errs), Some(7));
        assert_eq!(
            parse_positive(root("query"), "99999999999999999999999", &mut errs),
            Some(u64::MAX)
        );
        assert!(errs.is_empty());
        assert_eq!(parse_positive(root("query"), "0", &mut errs), None);
        assert_eq!(parse_positive(root("query"), "-3", &mut errs), None);
        assert_eq!(parse_positive(root("query"), "x", &mut errs), None);
        assert_eq!(parse_positive(root("query"), "", &mut errs), None);
        let kinds: Vec<_> = errs.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            kinds,
            ["greater_than", "greater_than", "int_parsing", "int_parsing"]
        );
    }

    #[test]
    fn uuid_checks_version() {
        let mut errs = Vec::new();
        let v4 = "7b0e8f5c-3f0a-4c53-9d0e-1f2a3b4c5d6e";
        assert!(parse_uuid4(root("path"), v4, &mut errs).is_some());
        let v7 = "01890a5d-ac96-774b-bcce-b302099a8057";
        assert!(parse_uuid(root("path"), v7, &mut errs).is_some());
        assert!(errs.is_empty());
        assert!(parse_uuid4(root("path"), v7, &mut errs).is_none());
        assert!(parse_uuid4(root("path"), "nope", &mut errs).is_none());
        let kinds: Vec<_> = errs.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["uuid_version", "uuid_parsing"]);
    }
}
