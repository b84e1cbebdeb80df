//! A field that can be absent, explicitly `null`, or set.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A JSON field with three states: left out, `null`, or a value.
///
/// In an update body the three mean different things: `Absent` leaves the field as it is, `Null`
/// clears it, `Value` sets it. An `Option` cannot tell the first two apart, so optional nullable
/// fields use this type. Struct fields of this type are annotated
/// `#[serde(default, skip_serializing_if = "Nullable::is_absent")]`.
///
/// ```
/// use polar_types::{CustomerUpdate, Nullable};
///
/// let keep = CustomerUpdate::default();
/// assert_eq!(serde_json::to_string(&keep)?, "{}");
///
/// let clear = CustomerUpdate::default().clear_name();
/// assert_eq!(clear.name, Nullable::Null);
/// assert_eq!(serde_json::to_string(&clear)?, r#"{"name":null}"#);
///
/// let set = CustomerUpdate::default().name("x".to_owned());
/// assert_eq!(serde_json::to_string(&set)?, r#"{"name":"x"}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum Nullable<T> {
    /// The field is left out of the JSON object.
    #[default]
    Absent,
    /// The field is present with the value `null`.
    Null,
    /// The field is present with a value.
    Value(T),
}

impl<T> Nullable<T> {
    /// True when the field is left out.
    pub fn is_absent(&self) -> bool {
        matches!(self, Self::Absent)
    }

    /// True when the field is an explicit `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    /// The value, if one is set.
    pub fn as_value(&self) -> Option<&T> {
        match self {
            Self::Value(v) => Some(v),
            _ => None,
        }
    }

    /// The value through `Deref`, if one is set (`&str` for a `Nullable<String>`).
    pub fn as_deref(&self) -> Option<&T::Target>
    where
        T: std::ops::Deref,
    {
        self.as_value().map(|v| &**v)
    }

    /// The value, if one is set, by value.
    pub fn into_value(self) -> Option<T> {
        match self {
            Self::Value(v) => Some(v),
            _ => None,
        }
    }
}

impl<T> From<T> for Nullable<T> {
    fn from(value: T) -> Self {
        Self::Value(value)
    }
}

impl<T> From<Option<T>> for Nullable<T> {
    /// `None` becomes an explicit `null`.
    fn from(value: Option<T>) -> Self {
        value.map_or(Self::Null, Self::Value)
    }
}

impl<T: Serialize> Serialize for Nullable<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            // `Absent` is skipped by the field attribute; if it is serialised anyway (e.g. inside
            // a list), `null` is the closest JSON.
            Self::Absent | Self::Null => serializer.serialize_none(),
            Self::Value(v) => v.serialize(serializer),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Nullable<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A missing key never reaches here (the field default gives `Absent`).
        Ok(Option::<T>::deserialize(deserializer)?.into())
    }
}
