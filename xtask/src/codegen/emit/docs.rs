//! Generated doc lines that state facts: a field's JSON name, type, limits and presence.

use crate::codegen::spec::Schema;

pub(super) fn describe_scalar(variant: &str) -> &'static str {
    match variant {
        "Boolean" => "boolean",
        "Integer" => "integer",
        "Number" => "number",
        "String" => "string",
        "BooleanList" => "list of booleans",
        "IntegerList" => "list of integers",
        "NumberList" => "list of numbers",
        _ => "list of strings",
    }
}

pub(super) fn describe_rust(ty: &str) -> String {
    match ty {
        "String" => "a string".to_owned(),
        "i64" => "an integer".to_owned(),
        "u32" => "a whole number".to_owned(),
        "f64" => "a number".to_owned(),
        "bool" => "a boolean".to_owned(),
        "::jiff::Timestamp" => "an RFC 3339 timestamp".to_owned(),
        t if t.ends_with("Id") => format!("a UUID, as [`{t}`]"),
        t => format!("[`{}`]", t.trim_start_matches("::")),
    }
}

/// The generated doc lines of a field: facts only (JSON name, type, limits, presence).
pub(super) fn field_facts(
    json: &str,
    prop: &Schema,
    ty: &str,
    required: bool,
    nullable: bool,
    input: bool,
) -> String {
    let (branches, _) = prop.nullable_parts();
    let mut what = describe_field_type(ty);
    if let Some(b) = branches.first() {
        let mut limits = Vec::new();
        if let Some(n) = b.min_length {
            limits.push(format!("at least {n} characters"));
        }
        if let Some(n) = b.max_length {
            limits.push(format!("at most {n} characters"));
        }
        if let Some(n) = b.max_properties {
            limits.push(format!("at most {n} keys"));
        }
        if let Some(k) = &b.property_names
            && let (Some(lo), Some(hi)) = (k.min_length, k.max_length)
        {
            limits.push(format!("keys of {lo} to {hi} characters"));
        }
        if let Some(v) = b
            .additional_properties
            .as_deref()
            .and_then(|v| v.any_of.as_ref())
            .and_then(|a| a.iter().find(|x| x.ty.as_deref() == Some("string")))
            && let (Some(lo), Some(hi)) = (v.min_length, v.max_length)
        {
            limits.push(format!("string values of {lo} to {hi} characters"));
        }
        if b.format.as_deref() == Some("email") {
            limits.push("an email address".to_owned());
        }
        if !limits.is_empty() {
            what = format!("{what} ({})", limits.join(", "));
        }
    }
    let presence = match (required, nullable, input) {
        (true, false, _) => "always present",
        (true, true, _) => "may be `null`",
        (false, false, true) => "may be left out",
        (false, false, false) => "may be missing",
        (false, true, true) => "may be left out or `null`",
        (false, true, false) => "may be missing or `null`",
    };
    format!("    /// JSON `{json}`: {what}; {presence}.")
}

fn describe_field_type(ty: &str) -> String {
    if let Some(inner) = ty.strip_prefix("Vec<").and_then(|t| t.strip_suffix('>')) {
        return format!(
            "a list of {}",
            describe_field_type(inner)
                .trim_start_matches("a ")
                .trim_start_matches("an ")
        );
    }
    if ty.starts_with('(') {
        return "a pair (value, [`TaxIdFormat`])".to_owned();
    }
    match ty {
        "Metadata" => "a metadata map".to_owned(),
        t if t.contains("BTreeMap") || t.contains("Map<") => "a JSON object".to_owned(),
        "::serde_json::Value" => "any JSON value".to_owned(),
        other => describe_rust(other),
    }
}
