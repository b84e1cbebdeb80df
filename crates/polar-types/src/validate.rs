//! Checks Polar applies to request input, run before a request is built so a mistake is reported
//! with the field to fix instead of a round trip and a 422.

use std::fmt;

use crate::{Metadata, MetadataValue};

/// Input that breaks one of Polar's rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    /// Dotted path of the offending field, e.g. `name`, `owner.email`, `metadata.plan`.
    pub field: String,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid `{}`: {}", self.field, self.message)
    }
}

impl std::error::Error for InputError {}

/// Checks a request value against Polar's input rules (lengths, counts, formats).
///
/// ```
/// use polar_types::{CustomerUpdate, Validate};
///
/// let update = CustomerUpdate::default().name("x".repeat(257));
/// let err = update.validate().unwrap_err();
/// assert_eq!(err.field, "name");
/// assert!(err.to_string().contains("256"));
/// ```
pub trait Validate {
    /// `Ok(())` when the value may be sent; otherwise the first problem found.
    fn validate(&self) -> Result<(), InputError>;
}

impl<T: Validate> Validate for Option<T> {
    fn validate(&self) -> Result<(), InputError> {
        self.as_ref().map_or(Ok(()), T::validate)
    }
}

impl<T: Validate> Validate for crate::Nullable<T> {
    fn validate(&self) -> Result<(), InputError> {
        self.as_value().map_or(Ok(()), T::validate)
    }
}

fn err(field: &str, message: String) -> InputError {
    InputError {
        field: field.to_owned(),
        message,
    }
}

/// Joins a parent path and a field name.
pub(crate) fn join(prefix: &str, field: &str) -> String {
    if prefix.is_empty() {
        field.to_owned()
    } else {
        format!("{prefix}.{field}")
    }
}

/// Re-roots an error from a nested value under `field`.
pub(crate) fn nested(field: &str, e: InputError) -> InputError {
    InputError {
        field: join(field, &e.field),
        message: e.message,
    }
}

/// Length bounds (in characters, as Polar counts them) and the NUL rule for a string.
pub(crate) fn check_str(
    field: &str,
    value: &str,
    min: Option<usize>,
    max: Option<usize>,
) -> Result<(), InputError> {
    if value.contains('\0') {
        return Err(err(field, "NUL characters are not allowed".to_owned()));
    }
    let len = value.chars().count();
    if let Some(min) = min.filter(|&min| len < min) {
        return Err(err(
            field,
            format!("at least {min} character(s) required, got {len}"),
        ));
    }
    if let Some(max) = max.filter(|&max| len > max) {
        return Err(err(
            field,
            format!("at most {max} characters allowed, got {len}"),
        ));
    }
    Ok(())
}

/// A plausible email address: one `@` with text on both sides and no spaces. Polar checks
/// deliverability on its side; this only catches values that can never be right.
pub(crate) fn check_email(field: &str, value: &str) -> Result<(), InputError> {
    check_str(field, value, None, None)?;
    if value.is_empty() {
        return Err(err(
            field,
            "an email address is required, got an empty string".to_owned(),
        ));
    }
    let ok = match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !value.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err(err(field, format!("`{value}` is not an email address")))
    }
}

/// Limits of an input metadata map.
pub(crate) struct MetadataRules {
    pub(crate) max_keys: Option<usize>,
    pub(crate) key_min: Option<usize>,
    pub(crate) key_max: Option<usize>,
    pub(crate) value_min: Option<usize>,
    pub(crate) value_max: Option<usize>,
}

pub(crate) fn check_metadata(
    field: &str,
    map: &Metadata,
    rules: &MetadataRules,
) -> Result<(), InputError> {
    if let Some(max) = rules.max_keys.filter(|&max| map.len() > max) {
        return Err(err(
            field,
            format!("at most {max} keys allowed, got {}", map.len()),
        ));
    }
    for (key, value) in map {
        check_str(field, key, rules.key_min, rules.key_max)
            .map_err(|e| err(field, format!("key `{key}`: {}", e.message)))?;
        match value {
            MetadataValue::String(s) => {
                check_str(&join(field, key), s, rules.value_min, rules.value_max)?
            }
            MetadataValue::Number(n) if !n.is_finite() => {
                return Err(err(&join(field, key), "numbers must be finite".to_owned()));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Lower bound of an integer parameter.
pub(crate) fn check_min(field: &str, value: i64, min: i64) -> Result<(), InputError> {
    if value < min {
        Err(err(field, format!("must be at least {min}, got {value}")))
    } else {
        Ok(())
    }
}

/// Path segments must name something.
pub(crate) fn check_not_empty(field: &str, value: &str) -> Result<(), InputError> {
    if value.is_empty() {
        Err(err(field, "must not be empty".to_owned()))
    } else {
        check_str(field, value, None, None)
    }
}
