//! Readers for single body fields, each pushing pydantic-shaped issues.

use serde_json::{Map, Value};

use super::Field;
use crate::issue::{
    Issue, at, missing, not_a_string, not_an_object, nul_char, too_long, value_error,
};
use crate::rules::address::{Address, is_input_country, normalize_state};
use crate::rules::email::{Deliverability, check_email};
use crate::rules::locale::{INVALID_LOCALE, standardize};

/// Reads an optional string field (wrong types become issues).
pub(crate) fn raw_string(
    obj: &Map<String, Value>,
    key: &str,
    base: &[Value],
    errs: &mut Vec<Issue>,
) -> Field<String> {
    match obj.get(key) {
        None => Field::Absent,
        Some(Value::Null) => Field::Null,
        Some(Value::String(s)) => Field::Value(s.clone()),
        Some(other) => {
            errs.push(not_a_string(at(base, key), other.clone()));
            Field::Absent
        }
    }
}

/// Polar's `EmptyStrToNone`: trimmed, and empty or whitespace-only means null.
pub(crate) fn trimmed(f: Field<String>) -> Field<String> {
    match f {
        Field::Value(s) => match s.trim() {
            "" => Field::Null,
            t => Field::Value(t.to_owned()),
        },
        other => other,
    }
}

/// Polar refuses NUL characters in every string field of its schemas.
pub(crate) fn no_nul(f: Field<String>, loc: Vec<Value>, errs: &mut Vec<Issue>) -> Field<String> {
    match f {
        Field::Value(s) if s.contains('\0') => {
            errs.push(nul_char(loc, s));
            Field::Absent
        }
        other => other,
    }
}

/// A trimmed text field (`external_id`, `tax_id`, owner `external_id`).
pub(crate) fn text(
    obj: &Map<String, Value>,
    key: &str,
    base: &[Value],
    errs: &mut Vec<Issue>,
) -> Field<String> {
    let f = trimmed(raw_string(obj, key, base, errs));
    no_nul(f, at(base, key), errs)
}

/// A name: at most 256 characters (counted before trimming, as the server does), trimmed.
pub(crate) fn name(
    obj: &Map<String, Value>,
    key: &str,
    base: &[Value],
    errs: &mut Vec<Issue>,
) -> Field<String> {
    let f = raw_string(obj, key, base, errs);
    if let Field::Value(s) = &f
        && s.chars().count() > crate::rules::NAME_MAX
    {
        errs.push(too_long(at(base, key), s, crate::rules::NAME_MAX));
        return Field::Absent;
    }
    no_nul(trimmed(f), at(base, key), errs)
}

/// An email, checked and normalised.
pub(crate) fn email(
    f: Field<String>,
    loc: Vec<Value>,
    rules: &Deliverability,
    errs: &mut Vec<Issue>,
) -> Field<String> {
    match f {
        Field::Value(s) => match check_email(&s, rules) {
            Ok(e) => no_nul(Field::Value(e), loc, errs),
            Err(e) => {
                errs.push(Issue::new("value_error", loc, e.msg, s).with_ctx(e.ctx));
                Field::Absent
            }
        },
        other => other,
    }
}

/// A locale, stored in its standard BCP 47 form.
pub(crate) fn locale(f: Field<String>, loc: Vec<Value>, errs: &mut Vec<Issue>) -> Field<String> {
    match f {
        Field::Value(s) => match standardize(&s) {
            Some(tag) => Field::Value(tag),
            None => {
                errs.push(value_error(loc, INVALID_LOCALE, Value::String(s)));
                Field::Absent
            }
        },
        other => other,
    }
}

/// A billing address object at `loc`.
pub(crate) fn address(value: &Value, loc: Vec<Value>, errs: &mut Vec<Issue>) -> Option<Address> {
    let Value::Object(obj) = value else {
        errs.push(not_an_object(loc, value.clone()));
        return None;
    };
    let before = errs.len();
    // FACTS.md: NUL characters are refused in every string (Polar's code skips address lines,
    // see the crate docs).
    let mut line = |key: &str| {
        let f = trimmed(raw_string(obj, key, &loc, errs));
        no_nul(f, at(&loc, key), errs).into_option().flatten()
    };
    let line1 = line("line1");
    let line2 = line("line2");
    let postal_code = line("postal_code");
    let city = line("city");
    let state = line("state");
    let country = match obj.get("country") {
        None => {
            errs.push(missing(at(&loc, "country"), value.clone()));
            None
        }
        Some(Value::String(c)) if is_input_country(&c.to_uppercase()) => Some(c.to_uppercase()),
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
    let country = country?;
    let state = match state {
        Some(s) => match normalize_state(&country, &s) {
            Ok(s) => Some(s),
            Err(msg) => {
                errs.push(value_error(loc, msg, value.clone()));
                return None;
            }
        },
        None => None,
    };
    Some(Address {
        line1,
        line2,
        postal_code,
        city,
        state,
        country,
    })
}
