//! Hand-written machinery the generated code calls: string enums that keep unknown values, and
//! decoding of unions whose variant is chosen by a tag field.

use std::borrow::Cow;

use serde::{Deserialize, de::DeserializeOwned};
use serde_json::value::RawValue;

/// Implements `FromStr`, `From<String>`, `Display`, `Serialize` and `Deserialize` for a string
/// enum that has `as_str()`, `From<&str>` and an `Unknown(String)` variant.
macro_rules! string_enum_impls {
    ($name:ident) => {
        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(s))
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match Self::from(s.as_str()) {
                    Self::Unknown(_) => Self::Unknown(s),
                    known => known,
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                struct Visitor;
                impl ::serde::de::Visitor<'_> for Visitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(concat!("a string (", stringify!($name), ")"))
                    }
                    fn visit_str<E: ::serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        Ok($name::from(v))
                    }
                    fn visit_string<E: ::serde::de::Error>(self, v: String) -> Result<$name, E> {
                        Ok($name::from(v))
                    }
                }
                deserializer.deserialize_str(Visitor)
            }
        }
    };
}
pub(crate) use string_enum_impls;

/// Reads the `type` of a JSON object without decoding the rest (the tag of every union the
/// generator emits; it refuses other tag keys).
///
/// `Ok(None)` when the key is missing or `null`; an error when `raw` is not an object or the
/// tag is not a string.
pub(crate) fn peek_type(raw: &RawValue) -> Result<Option<Cow<'_, str>>, String> {
    #[derive(Deserialize)]
    struct Type<'a> {
        #[serde(rename = "type", borrow, default)]
        tag: Option<Cow<'a, str>>,
    }
    serde_json::from_str::<Type<'_>>(raw.get())
        .map(|t| t.tag)
        .map_err(|e| format!("cannot read `type`: {e}"))
}

/// Decodes one variant from raw JSON; on failure the message starts with the JSON path inside
/// the variant, so the outer path (e.g. `items[3]`) plus this one name the exact spot.
pub(crate) fn decode_variant<T: DeserializeOwned>(raw: &RawValue) -> Result<T, String> {
    // The path tracker costs as much as a second parse: only pay for it to explain a failure.
    if let Ok(value) = serde_json::from_str(raw.get()) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_str(raw.get());
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." {
            inner.to_string()
        } else {
            format!("{path}: {inner}")
        }
    })
}

/// Decodes raw JSON kept for a variant this SDK does not know.
pub(crate) fn decode_unknown(raw: &RawValue) -> Result<serde_json::Value, String> {
    serde_json::from_str(raw.get()).map_err(|e| e.to_string())
}

/// Serialises `inner` (a struct) with a `type: tag` entry in front: the shape of the tagged
/// unions (`Customer`, `CustomerState`, `CustomerCreate`).
#[derive(serde::Serialize)]
pub(crate) struct Tagged<'a, T> {
    #[serde(rename = "type")]
    pub(crate) tag: &'static str,
    #[serde(flatten)]
    pub(crate) inner: &'a T,
}

/// A JSON object key, borrowed from the input when it can be.
pub(crate) struct Key<'de>(Cow<'de, str>);

impl<'de> Key<'de> {
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn into_string(self) -> String {
        self.0.into_owned()
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

/// Decodes the value of a known field into its slot; a key seen twice is an error, as with
/// serde's derive.
pub(crate) fn take<'de, T, A>(
    slot: &mut Option<T>,
    map: &mut A,
    name: &'static str,
) -> Result<(), A::Error>
where
    T: Deserialize<'de>,
    A: serde::de::MapAccess<'de>,
{
    if slot.is_some() {
        return Err(<A::Error as serde::de::Error>::duplicate_field(name));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}
