//! Hand-written machinery the generated code calls: string enums that keep unknown values, and
//! decoding of unions whose variant is chosen by a tag field, with any serde deserializer.

use std::borrow::Cow;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::value::{CowStrDeserializer, MapAccessDeserializer};
use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess};
use serde_json::Value;

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

/// The tag of a union as found in the JSON.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Tag<'a> {
    /// No tag key in the object.
    Missing,
    /// The tag key holds `null`.
    Null,
    /// The tag key holds this string.
    Name(&'a str),
}

impl<'a> Tag<'a> {
    /// The tag's string, if it has one.
    pub(crate) fn name(self) -> Option<&'a str> {
        match self {
            Tag::Name(name) => Some(name),
            Tag::Missing | Tag::Null => None,
        }
    }
}

/// A union whose variant is chosen by a tag: the generator implements this, and the hand-written
/// code below finds the tag (in the object itself, or in a sibling field) and calls it.
pub(crate) trait TaggedUnion: Sized {
    /// Decodes the variant `tag` names from `rest`, the object without its tag entry.
    fn decode<'de, D: Deserializer<'de>>(tag: Tag<'_>, rest: D) -> Result<Self, D::Error>;
}

/// The name under which `serde_json` hands out the raw text of a value (how its `RawValue` is
/// built; serde_json's own, unexported, constant). A deserializer that does not know the name
/// treats the request as an ordinary newtype struct, which is then decoded the generic way.
const SERDE_JSON_RAW: &str = "$serde_json::private::RawValue";

/// Decodes a union tagged by the `type` key of its own object, with any deserializer.
///
/// From `serde_json` (`from_slice`/`from_str`, as the SDK decodes; a `serde_json::Value` prints
/// itself and takes the same path), the object's raw text is taken as is, its `type` read first
/// and the variant decoded from the text: no buffering whatever the key order. From any other
/// deserializer (inside `#[serde(flatten)]`, untagged or tagged envelopes, which buffer their
/// input, or another format), entries are streamed straight into the variant once `type` has
/// been read; only those before `type` are held, as `serde_json::Value`, and replayed to it.
pub(crate) fn deserialize_tagged<'de, U, D>(deserializer: D) -> Result<U, D::Error>
where
    U: TaggedUnion,
    D: Deserializer<'de>,
{
    struct Visitor<U>(PhantomData<U>);
    impl<'de, U: TaggedUnion> serde::de::Visitor<'de> for Visitor<U> {
        type Value = U;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object with a `type`")
        }
        fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<U, D::Error> {
            d.deserialize_map(self)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<U, A::Error> {
            let mut before = Vec::new();
            let mut first = true;
            while let Some(key) = map.next_key::<Key<'de>>()? {
                if first && key.as_str() == SERDE_JSON_RAW {
                    let text = map.next_value::<Key<'de>>()?;
                    return decode_text(text.as_str()).map_err(A::Error::custom);
                }
                first = false;
                if key.as_str() == "type" {
                    let tag = map
                        .next_value::<Option<Key<'de>>>()
                        .map_err(|e| A::Error::custom(format_args!("cannot read `type`: {e}")))?;
                    let tag = tag.as_ref().map_or(Tag::Null, |t| Tag::Name(t.as_str()));
                    let rest = Replay::new(before, Some(map));
                    return U::decode(tag, MapAccessDeserializer::new(rest));
                }
                let value = map.next_value::<Value>()?;
                before.push((key, value));
            }
            let rest = Replay::new(before, None::<A>);
            U::decode(Tag::Missing, MapAccessDeserializer::new(rest))
        }
    }
    #[cfg(test)]
    tests::GENERIC_OR_TEXT.with(|c| c.set(c.get() + 1));
    deserializer.deserialize_newtype_struct(SERDE_JSON_RAW, Visitor(PhantomData))
}

/// The fast path: a union's object as JSON text. Reads `type` (skipping the other values), then
/// decodes the variant from the text; the variants skip the `type` key themselves.
fn decode_text<U: TaggedUnion>(text: &str) -> Result<U, String> {
    #[cfg(test)]
    tests::TEXT.with(|c| c.set(c.get() + 1));
    #[derive(Deserialize)]
    struct Type<'a> {
        #[serde(rename = "type", borrow, default, deserialize_with = "present")]
        tag: Option<Option<Cow<'a, str>>>,
    }
    fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        T::deserialize(d).map(Some)
    }
    if !text.starts_with('{') {
        return Err("invalid type: expected an object with a `type`".to_owned());
    }
    let tag = serde_json::from_str::<Type<'_>>(text)
        .map_err(|e| format!("cannot read `type`: {e}"))?
        .tag;
    let tag = match &tag {
        None => Tag::Missing,
        Some(None) => Tag::Null,
        Some(Some(name)) => Tag::Name(name),
    };
    let mut de = serde_json::Deserializer::from_str(text);
    if let Ok(value) = U::decode(tag, &mut de) {
        return Ok(value);
    }
    // The path tracker costs as much as a second parse: only pay for it to explain a failure.
    let mut de = serde_json::Deserializer::from_str(text);
    let mut track = serde_path_to_error::Track::new();
    let err = match U::decode(
        tag,
        serde_path_to_error::Deserializer::new(&mut de, &mut track),
    ) {
        Ok(value) => return Ok(value),
        Err(e) => e,
    };
    let path = track.path().to_string();
    Err(if path == "." {
        err.to_string()
    } else {
        format!("{path}: {err}")
    })
}

/// Decodes the rest of an object of unknown kind as JSON, putting its `type` back.
pub(crate) fn keep_unknown<'de, D: Deserializer<'de>>(
    tag: Tag<'_>,
    rest: D,
) -> Result<Value, D::Error> {
    let mut value = Value::deserialize(rest)?;
    if let Value::Object(map) = &mut value {
        match tag {
            Tag::Missing => {}
            Tag::Null => {
                map.insert("type".to_owned(), Value::Null);
            }
            Tag::Name(name) => {
                map.insert("type".to_owned(), Value::String(name.to_owned()));
            }
        }
    }
    Ok(value)
}

/// The entries read before a union's tag, then the rest of the object.
struct Replay<'de, A> {
    before: std::vec::IntoIter<(Key<'de>, Value)>,
    /// The value of the entry whose key was just handed out from `before`, with that key for
    /// error messages (the path tracker did not see it).
    pending: Option<(Cow<'de, str>, Value)>,
    /// `None` once the object has been read to its end.
    rest: Option<A>,
}

impl<'de, A> Replay<'de, A> {
    fn new(before: Vec<(Key<'de>, Value)>, rest: Option<A>) -> Self {
        Replay {
            before: before.into_iter(),
            pending: None,
            rest,
        }
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Replay<'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        if let Some((key, value)) = self.before.next() {
            let key = key.0;
            let out = seed.deserialize(CowStrDeserializer::<A::Error>::new(key.clone()));
            self.pending = Some((key, value));
            return out.map(Some);
        }
        match &mut self.rest {
            Some(map) => map.next_key_seed(seed),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        if let Some((key, value)) = self.pending.take() {
            // The caller's path tracker (if any) never saw this entry: name the spot ourselves.
            let mut track = serde_path_to_error::Track::new();
            let tracked = serde_path_to_error::Deserializer::new(value, &mut track);
            return seed.deserialize(tracked).map_err(|e| {
                let path = track.path().to_string();
                if path == "." {
                    A::Error::custom(format_args!("{key}: {e}"))
                } else {
                    A::Error::custom(format_args!("{key}.{path}: {e}"))
                }
            });
        }
        match &mut self.rest {
            Some(map) => map.next_value_seed(seed),
            None => Err(A::Error::custom(
                "value asked for past the end of the object",
            )),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        let rest = self.rest.as_ref().map_or(Some(0), |m| m.size_hint())?;
        Some(self.before.len() + rest)
    }
}

/// A field whose shape depends on a sibling tag field (`properties` and `benefit_type`):
/// decoded as it is read when the tag came first, otherwise held until the tag is known.
pub(crate) enum Sibling<T> {
    Decoded(T),
    Held(Value),
}

/// Reads a [`Sibling`] field; a key seen twice is an error.
pub(crate) fn take_sibling<'de, T, A>(
    slot: &mut Option<Sibling<T>>,
    map: &mut A,
    name: &'static str,
    tag: Option<&str>,
) -> Result<(), A::Error>
where
    T: TaggedUnion,
    A: MapAccess<'de>,
{
    if slot.is_some() {
        return Err(A::Error::duplicate_field(name));
    }
    *slot = Some(match tag {
        Some(tag) => Sibling::Decoded(map.next_value_seed(TagSeed::<T>(tag, PhantomData))?),
        None => Sibling::Held(map.next_value()?),
    });
    Ok(())
}

/// Finishes a [`Sibling`] field once the whole object, and so its tag, has been read.
pub(crate) fn finish_sibling<T: TaggedUnion, E: serde::de::Error>(
    slot: Option<Sibling<T>>,
    name: &'static str,
    tag: &str,
) -> Result<T, E> {
    match slot {
        None => Err(E::missing_field(name)),
        Some(Sibling::Decoded(v)) => Ok(v),
        Some(Sibling::Held(value)) => {
            T::decode(Tag::Name(tag), value).map_err(|e| E::custom(format_args!("{name}: {e}")))
        }
    }
}

/// Decodes a [`TaggedUnion`] whose tag is already known.
struct TagSeed<'a, T>(&'a str, PhantomData<T>);

impl<'de, T: TaggedUnion> DeserializeSeed<'de> for TagSeed<'_, T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        T::decode(Tag::Name(self.0), deserializer)
    }
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
                f.write_str("a string")
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

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use serde::Deserialize;

    thread_local! {
        /// Unions decoded, and how many of them went through the JSON-text fast path.
        pub(super) static GENERIC_OR_TEXT: Cell<usize> = const { Cell::new(0) };
        pub(super) static TEXT: Cell<usize> = const { Cell::new(0) };
    }

    fn counts<T>(f: impl FnOnce() -> T) -> (usize, usize) {
        let before = (GENERIC_OR_TEXT.get(), TEXT.get());
        f();
        (GENERIC_OR_TEXT.get() - before.0, TEXT.get() - before.1)
    }

    const CUSTOMER: &str = r#"{"id":"6b0e4c5e-3f8e-4a57-9d2e-1f4a2b3c4d5e",
        "created_at":"2026-01-02T03:04:05Z","modified_at":null,"metadata":{},
        "external_id":null,"email":"a@example.com","email_verified":false,"type":"individual",
        "name":null,"billing_name":null,"billing_address":null,"tax_id":null,
        "organization_id":"1dbfc517-0bbf-4301-9ba8-555ca42b9737","deleted_at":null,
        "first_user_event_at":null,"avatar_url":null}"#;

    /// `serde_json`'s raw-text name is private to it: if a new version renames it, decoding
    /// still works (the generic way) but this test says the fast path was lost.
    #[test]
    fn json_text_takes_the_fast_path_other_inputs_the_generic_one() {
        let page = format!(
            r#"{{"items":[{CUSTOMER},{CUSTOMER}],"pagination":{{"total_count":2,"max_page":1}}}}"#
        );
        let from_text = || serde_json::from_str::<crate::ListResourceCustomer>(&page).unwrap();
        assert_eq!(counts(from_text), (2, 2));
        let from_slice = || serde_json::from_slice::<crate::Customer>(CUSTOMER.as_bytes()).unwrap();
        assert_eq!(counts(from_slice), (1, 1));
        let value: serde_json::Value = serde_json::from_str(CUSTOMER).unwrap();
        let from_value = || crate::Customer::deserialize(&value).unwrap();
        // A `Value` also answers serde_json's raw-text name (it prints itself); correct, but
        // this is not the SDK's path.
        assert_eq!(counts(from_value), (1, 1));
        let flattened = format!(r#"{{"data":{CUSTOMER},"type":"x"}}"#);
        #[derive(serde::Deserialize)]
        #[serde(tag = "type", content = "data")]
        enum Envelope {
            #[serde(rename = "x")]
            X(#[allow(dead_code)] crate::Customer),
        }
        let buffered = || serde_json::from_str::<Envelope>(&flattened).unwrap();
        assert_eq!(counts(buffered), (1, 0));
    }
}
