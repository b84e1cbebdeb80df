//! Metadata: a flat map of string keys to scalar values.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Key-value data the merchant attaches to an object. Values are scalars; nesting is not allowed.
///
/// On input Polar accepts at most 50 keys, keys of 1 to 40 characters, and string values of 1 to
/// 500 characters; [`crate::Validate`] checks that before a request is sent.
pub type Metadata = BTreeMap<String, MetadataValue>;

/// One metadata value.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum MetadataValue {
    /// A boolean.
    Boolean(bool),
    /// A whole number.
    Integer(i64),
    /// A floating-point number.
    Number(f64),
    /// A string.
    String(String),
}

impl From<&str> for MetadataValue {
    fn from(v: &str) -> Self {
        Self::String(v.to_owned())
    }
}

impl From<String> for MetadataValue {
    fn from(v: String) -> Self {
        Self::String(v)
    }
}

impl From<i64> for MetadataValue {
    fn from(v: i64) -> Self {
        Self::Integer(v)
    }
}

impl From<f64> for MetadataValue {
    fn from(v: f64) -> Self {
        Self::Number(v)
    }
}

impl From<bool> for MetadataValue {
    fn from(v: bool) -> Self {
        Self::Boolean(v)
    }
}

impl std::fmt::Display for MetadataValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Boolean(v) => v.fmt(f),
            Self::Integer(v) => v.fmt(f),
            Self::Number(v) => v.fmt(f),
            Self::String(v) => f.write_str(v),
        }
    }
}

impl<'de> Deserialize<'de> for MetadataValue {
    // Chosen from the JSON token itself: serde's untagged decoding would buffer the value and
    // build an error for every variant it tries, which made metadata-heavy decoding slow.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = MetadataValue;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string, a number or a boolean")
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<MetadataValue, E> {
                Ok(MetadataValue::Boolean(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<MetadataValue, E> {
                Ok(MetadataValue::Integer(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<MetadataValue, E> {
                // Beyond i64 a whole number can only be kept as a float.
                Ok(
                    i64::try_from(v)
                        .map_or(MetadataValue::Number(v as f64), MetadataValue::Integer),
                )
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<MetadataValue, E> {
                Ok(MetadataValue::Number(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<MetadataValue, E> {
                Ok(MetadataValue::String(v.to_owned()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<MetadataValue, E> {
                Ok(MetadataValue::String(v))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}
