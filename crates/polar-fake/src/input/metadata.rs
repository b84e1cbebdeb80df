//! The `metadata` object: at most 50 keys of 1-40 characters, each value a string of 1-500
//! characters, an integer, a float or a boolean; errors as pydantic's smart union gives them.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::issue::{Issue, at, too_long, too_short};
use crate::rules;

/// The four errors of the value union for an input that fits none of its members.
fn union_errors(loc: &[Value], v: &Value, errs: &mut Vec<Issue>) {
    let parsing = matches!(v, Value::String(_));
    let members = [
        (
            "constrained-str",
            "string_type",
            "Input should be a valid string",
            "",
        ),
        (
            "int",
            if parsing { "int_parsing" } else { "int_type" },
            "Input should be a valid integer",
            ", unable to parse string as an integer",
        ),
        (
            "float",
            if parsing {
                "float_parsing"
            } else {
                "float_type"
            },
            "Input should be a valid number",
            ", unable to parse string as a number",
        ),
        (
            "bool",
            if parsing { "bool_parsing" } else { "bool_type" },
            "Input should be a valid boolean",
            ", unable to interpret input",
        ),
    ];
    for (member, kind, msg, parse_msg) in members {
        let msg = if parsing {
            format!("{msg}{parse_msg}")
        } else {
            msg.to_owned()
        };
        errs.push(Issue::new(kind, at(loc, member), msg, v.clone()));
    }
}

/// Reads and checks a metadata object at `loc`; `None` when it had issues (pushed to `errs`).
pub(crate) fn metadata_field(
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
    let mut out = BTreeMap::new();
    for (k, v) in map {
        let key_loc = at(&at(&loc, k.as_str()), "[key]");
        let klen = k.chars().count();
        if klen == 0 {
            errs.push(too_short(key_loc, k, 1));
        } else if klen > rules::METADATA_KEY_MAX {
            errs.push(too_long(key_loc, k, rules::METADATA_KEY_MAX));
        }
        let vloc = at(&loc, k.as_str());
        match v {
            Value::String(s) => {
                let n = s.chars().count();
                if n == 0 || n > rules::METADATA_VALUE_MAX {
                    // The string member reports its length; the others could not parse it.
                    let first = errs.len();
                    union_errors(&vloc, v, errs);
                    errs[first] = if n == 0 {
                        too_short(at(&vloc, "constrained-str"), s, 1)
                    } else {
                        too_long(at(&vloc, "constrained-str"), s, rules::METADATA_VALUE_MAX)
                    };
                }
            }
            Value::Number(_) | Value::Bool(_) => {}
            other => union_errors(&vloc, other, errs),
        }
        out.insert(k.clone(), v.clone());
    }
    if map.len() > rules::METADATA_MAX_KEYS {
        errs.push(
            Issue::new(
                "too_long",
                loc.clone(),
                format!(
                    "Dictionary should have at most {} items after validation, not more",
                    rules::METADATA_MAX_KEYS
                ),
                value.clone(),
            )
            .with_ctx(json!({ "field_type": "Dictionary", "max_length": rules::METADATA_MAX_KEYS, "actual_length": null })),
        );
    }
    (errs.len() == before).then_some(out)
}

/// True when a key or string value holds a NUL character (Polar refuses the whole field).
pub(crate) fn has_nul(map: &BTreeMap<String, Value>) -> bool {
    map.iter()
        .any(|(k, v)| k.contains('\0') || v.as_str().is_some_and(|s| s.contains('\0')))
}
