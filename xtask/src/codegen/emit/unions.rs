//! Unions: which schemas are tagged, keyed or sibling-typed unions, and their Rust enums.

use std::fmt::Write;

use super::{Emitter, Union};
use crate::codegen::{names, overrides, spec::Schema};

/// The schema names of `anyOf: [$ref, $ref, ...]` (no `null`, no inline branch).
fn ref_branches(s: &Schema) -> Option<Vec<&str>> {
    let branches = s.any_of.as_ref().filter(|b| b.len() > 1)?;
    branches.iter().map(|b| b.ref_name()).collect()
}

impl Emitter<'_> {
    /// Decides which schemas are unions, before anything is emitted: a union's tag is not a
    /// field of its variants.
    pub(super) fn classify_unions(&mut self) -> Result<(), String> {
        let api = self.api;
        for (name, s) in &api.schemas {
            if let Some(branches) = &s.one_of {
                let u = self.union_of(name, s, branches)?;
                for (_, _, variant) in &u.variants {
                    self.tag_fields.insert((variant.clone(), u.tag_key.clone()));
                }
                self.unions.insert(name.clone(), u);
            } else if let Some(branches) = ref_branches(s) {
                let typed = branches.iter().all(|b| {
                    self.schema(b).is_ok_and(|t| {
                        t.properties
                            .as_ref()
                            .is_some_and(|p| p.contains_key("type"))
                    })
                });
                if typed {
                    let u = self.type_union_with_fallback(name, &branches)?;
                    for (_, _, variant) in &u.variants {
                        self.tag_fields.insert((variant.clone(), u.tag_key.clone()));
                    }
                    self.unions.insert(name.clone(), u);
                } else {
                    let k = self.key_union(name, &branches)?;
                    self.key_unions.insert(name.clone(), k);
                }
            }
        }
        Ok(())
    }

    fn union_of(&self, name: &str, s: &Schema, branches: &[Schema]) -> Result<Union, String> {
        let mut variants = Vec::new();
        let mut default_tag = None;
        let tag_key = match &s.discriminator {
            Some(d) => {
                for (tag, target) in &d.mapping {
                    let schema = target.rsplit('/').next().unwrap_or_default().to_owned();
                    variants.push((tag.clone(), names::upper_camel(tag), schema));
                }
                d.property_name.clone()
            }
            None => {
                // No discriminator: every branch must carry a constant `type`.
                for b in branches {
                    let schema = b
                        .ref_name()
                        .ok_or_else(|| format!("{name}: inline oneOf branch"))?;
                    let target = self.schema(schema)?;
                    let tag_prop = target
                        .properties
                        .as_ref()
                        .and_then(|p| p.get("type"))
                        .ok_or_else(|| format!("{name}: branch {schema} has no `type`"))?;
                    let tag = tag_prop
                        .const_value
                        .as_ref()
                        .and_then(|v| v.as_str())
                        .ok_or_else(|| format!("{name}: branch {schema} has no constant `type`"))?;
                    if tag_prop.default.is_some() {
                        default_tag = Some(tag.to_owned());
                    }
                    variants.push((tag.to_owned(), names::upper_camel(tag), schema.to_owned()));
                }
                "type".to_owned()
            }
        };
        if tag_key != "type" {
            return Err(format!("{name}: only `type` tags are supported"));
        }
        Ok(Union {
            tag_key,
            variants,
            default_tag,
            unknown: !self.api.inputs.contains(name),
            fallback: None,
        })
    }

    /// `anyOf` of objects with a `type`: the branches with a constant `type` are tagged variants,
    /// the one whose `type` is any string takes the other tags.
    fn type_union_with_fallback(&self, name: &str, branches: &[&str]) -> Result<Union, String> {
        let mut variants = Vec::new();
        let mut fallback = None;
        for schema in branches {
            let ty = &self.schema(schema)?.properties.as_ref().expect("typed")["type"];
            match ty.const_value.as_ref().and_then(|v| v.as_str()) {
                Some(tag) => variants.push((
                    tag.to_owned(),
                    names::upper_camel(tag),
                    (*schema).to_owned(),
                )),
                None if fallback.is_none() && ty.ty.as_deref() == Some("string") => {
                    fallback = Some((distinct_suffix(schema, branches), (*schema).to_owned()));
                }
                None => return Err(format!("{name}: branch {schema} has no constant `type`")),
            }
        }
        Ok(Union {
            tag_key: "type".to_owned(),
            variants,
            default_tag: None,
            unknown: false,
            fallback,
        })
    }

    /// `anyOf` of objects without a tag: each branch is told apart by a required key that no
    /// other branch requires.
    fn key_union(
        &self,
        name: &str,
        branches: &[&str],
    ) -> Result<Vec<(String, String, String)>, String> {
        let mut out = Vec::new();
        for schema in branches {
            let own = &self.schema(schema)?.required;
            let key = own
                .iter()
                .find(|k| {
                    branches.iter().filter(|b| *b != schema).all(|b| {
                        self.schema(b)
                            .is_ok_and(|o| !o.properties.iter().flatten().any(|(p, _)| p == *k))
                    })
                })
                .ok_or_else(|| format!("{name}: branch {schema} has no key of its own"))?;
            out.push((key.clone(), names::upper_camel(key), (*schema).to_owned()));
        }
        Ok(out)
    }

    pub(super) fn emit_union(&mut self, out: &mut String, name: &str) -> Result<(), String> {
        let u = &self.unions[name];
        let rust = Self::type_name(name);
        writeln!(out, "/// {}\n///\n/// Schema `{name}` of Polar's API: the JSON key `{}` selects the variant.", overrides::schema_doc(name), u.tag_key).unwrap();
        if u.unknown || u.fallback.is_some() {
            out.push_str("#[non_exhaustive]\n");
        }
        writeln!(
            out,
            "#[derive(Clone, Debug, PartialEq)]\npub enum {rust} {{"
        )
        .unwrap();
        for (tag, variant, schema) in &u.variants {
            writeln!(
                out,
                "    /// `{}: \"{tag}\"`.\n    {variant}({}),",
                u.tag_key,
                Self::type_name(schema)
            )
            .unwrap();
        }
        if let Some((variant, schema)) = &u.fallback {
            writeln!(
                out,
                "    /// Any other `{}`, kept as Polar names it.\n    {variant}({}),",
                u.tag_key,
                Self::type_name(schema)
            )
            .unwrap();
        }
        if u.unknown {
            let keep = overrides::unknown_variant(name).ok_or_else(|| {
                format!("{name}: an open union needs its unknown-variant type in overrides")
            })?;
            writeln!(out, "    /// A kind this version of the SDK does not know: what every kind has stays typed, the\n    /// JSON Polar sent is kept whole.\n    Unknown({keep}),").unwrap();
        }
        out.push_str("}\n\n");
        // Serialize: the variant's fields plus the tag.
        writeln!(out, "impl Serialize for {rust} {{\n    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {{\n        match self {{").unwrap();
        for (tag, variant, _) in &u.variants {
            writeln!(out, "            Self::{variant}(v) => crate::support::Tagged {{ tag: {tag:?}, inner: v }}.serialize(serializer),").unwrap();
        }
        if let Some((variant, _)) = &u.fallback {
            // The fallback's `type` is one of its fields.
            writeln!(
                out,
                "            Self::{variant}(v) => v.serialize(serializer),"
            )
            .unwrap();
        }
        if u.unknown {
            out.push_str("            Self::Unknown(v) => v.serialize(serializer),\n");
        }
        out.push_str("        }\n    }\n}\n\n");
        // Deserialize: support.rs finds the tag (with any deserializer), this picks the variant.
        writeln!(out, "impl<'de> Deserialize<'de> for {rust} {{\n    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {{\n        crate::support::deserialize_tagged(deserializer)\n    }}\n}}\n").unwrap();
        writeln!(out, "impl crate::support::TaggedUnion for {rust} {{\n    fn decode<'de, D: serde::Deserializer<'de>>(tag: crate::support::Tag<'_>, rest: D) -> Result<Self, D::Error> {{").unwrap();
        if !u.unknown {
            out.push_str("        use serde::de::Error as _;\n");
        }
        out.push_str("        match tag.name() {\n");
        for (tag, variant, _) in &u.variants {
            let pat = if u.default_tag.as_deref() == Some(tag) {
                format!("Some({tag:?}) | None")
            } else {
                format!("Some({tag:?})")
            };
            writeln!(
                out,
                "            {pat} => Deserialize::deserialize(rest).map(Self::{variant}),"
            )
            .unwrap();
        }
        if let Some((variant, _)) = &u.fallback {
            // Its `type` is a field: decoded with the tag put back.
            writeln!(out, "            _ => crate::support::keep_unknown(tag, rest).and_then(|v| ::serde_json::from_value(v).map_err(D::Error::custom)).map(Self::{variant}),").unwrap();
        } else if u.unknown {
            out.push_str(
                "            _ => crate::support::keep_unknown(tag, rest).map(Self::Unknown),\n",
            );
        } else {
            let known: Vec<String> = u
                .variants
                .iter()
                .map(|(t, _, _)| format!("`{t}`"))
                .collect();
            writeln!(
                out,
                "            Some(other) => Err(D::Error::custom(format_args!(\"unknown `{}` `{{other}}`; expected {}\"))),",
                u.tag_key,
                known.join(" or ")
            )
            .unwrap();
            if u.default_tag.is_none() {
                writeln!(
                    out,
                    "            None => Err(D::Error::custom(\"missing `{}`\")),",
                    u.tag_key
                )
                .unwrap();
            }
        }
        out.push_str("        }\n    }\n}\n\n");
        if self.api.inputs.contains(name) {
            writeln!(out, "impl crate::Validate for {rust} {{\n    fn validate(&self) -> Result<(), crate::InputError> {{\n        match self {{").unwrap();
            for (_, variant, _) in &u.variants {
                writeln!(
                    out,
                    "            Self::{variant}(v) => crate::Validate::validate(v),"
                )
                .unwrap();
            }
            out.push_str("        }\n    }\n}\n\n");
            for (_, variant, schema) in &u.variants {
                writeln!(out, "impl From<{}> for {rust} {{\n    fn from(v: {}) -> Self {{\n        Self::{variant}(v)\n    }}\n}}\n", Self::type_name(schema), Self::type_name(schema)).unwrap();
            }
        }
        self.count += 1;
        Ok(())
    }

    /// An untagged union told apart by which required key the object has.
    pub(super) fn emit_key_union(&mut self, out: &mut String, name: &str) -> Result<(), String> {
        let variants = self.key_unions[name].clone();
        let rust = Self::type_name(name);
        let keys: Vec<String> = variants.iter().map(|(k, _, _)| format!("`{k}`")).collect();
        writeln!(out, "/// {}\n///\n/// Schema `{name}` of Polar's API: the key present ({}) selects the variant.", overrides::schema_doc(name), keys.join(" or ")).unwrap();
        writeln!(
            out,
            "#[derive(Clone, Debug, PartialEq)]\npub enum {rust} {{"
        )
        .unwrap();
        for (key, variant, schema) in &variants {
            writeln!(
                out,
                "    /// Has `{key}`.\n    {variant}({}),",
                Self::type_name(schema)
            )
            .unwrap();
        }
        out.push_str("}\n\n");
        writeln!(out, "impl Serialize for {rust} {{\n    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {{\n        match self {{").unwrap();
        for (_, variant, _) in &variants {
            writeln!(
                out,
                "            Self::{variant}(v) => v.serialize(serializer),"
            )
            .unwrap();
        }
        out.push_str("        }\n    }\n}\n\n");
        writeln!(out, "impl<'de> Deserialize<'de> for {rust} {{\n    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {{\n        use serde::de::Error as _;\n        let value = ::serde_json::Value::deserialize(deserializer)?;").unwrap();
        for (key, variant, _) in &variants {
            writeln!(out, "        if value.get({key:?}).is_some() {{\n            return ::serde_json::from_value(value).map(Self::{variant}).map_err(D::Error::custom);\n        }}").unwrap();
        }
        writeln!(
            out,
            "        Err(D::Error::custom(\"expected an object with {}\"))\n    }}\n}}\n",
            keys.join(" or ")
        )
        .unwrap();
        if self.api.inputs.contains(name) {
            writeln!(out, "impl crate::Validate for {rust} {{\n    fn validate(&self) -> Result<(), crate::InputError> {{\n        match self {{").unwrap();
            for (_, variant, _) in &variants {
                writeln!(
                    out,
                    "            Self::{variant}(v) => crate::Validate::validate(v),"
                )
                .unwrap();
            }
            out.push_str("        }\n    }\n}\n\n");
        }
        for (_, variant, schema) in &variants {
            let ty = Self::type_name(schema);
            writeln!(out, "impl From<{ty}> for {rust} {{\n    fn from(v: {ty}) -> Self {{\n        Self::{variant}(v)\n    }}\n}}\n").unwrap();
        }
        self.count += 1;
        Ok(())
    }

    pub(super) fn emit_sibling_union(
        &mut self,
        out: &mut String,
        u: &overrides::SiblingUnion,
    ) -> Result<(), String> {
        writeln!(
            out,
            "/// {}\n#[derive(Clone, Debug, PartialEq)]\n#[non_exhaustive]\npub enum {} {{",
            u.doc, u.name
        )
        .unwrap();
        for (tag, variant, schema) in u.variants {
            self.schema(schema)?;
            writeln!(
                out,
                "    /// Shape for `{}: \"{tag}\"`.\n    {variant}({}),",
                u.tag_field,
                Self::type_name(schema)
            )
            .unwrap();
        }
        out.push_str("    /// Any other benefit type: the JSON as Polar sent it.\n    Other(::serde_json::Value),\n}\n\n");
        writeln!(out, "impl crate::support::TaggedUnion for {} {{\n    fn decode<'de, D: serde::Deserializer<'de>>(tag: crate::support::Tag<'_>, rest: D) -> Result<Self, D::Error> {{\n        match tag.name() {{", u.name).unwrap();
        for (tag, variant, _) in u.variants {
            writeln!(
                out,
                "            Some({tag:?}) => Deserialize::deserialize(rest).map(Self::{variant}),"
            )
            .unwrap();
        }
        out.push_str("            _ => ::serde_json::Value::deserialize(rest).map(Self::Other),\n        }\n    }\n}\n\n");
        writeln!(out, "impl Serialize for {} {{\n    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {{\n        match self {{", u.name).unwrap();
        for (_, variant, _) in u.variants {
            writeln!(
                out,
                "            Self::{variant}(v) => v.serialize(serializer),"
            )
            .unwrap();
        }
        out.push_str(
            "            Self::Other(v) => v.serialize(serializer),\n        }\n    }\n}\n\n",
        );
        self.count += 1;
        Ok(())
    }
}

/// What sets `schema` apart from the other branches' names: `CustomerPaymentMethodGeneric` among
/// `CustomerPaymentMethodCard` gives `Generic`.
fn distinct_suffix(schema: &str, branches: &[&str]) -> String {
    let words = names::words(schema);
    let shared = branches
        .iter()
        .filter(|b| **b != schema)
        .map(|b| {
            let other = names::words(b);
            words.iter().zip(&other).take_while(|(a, b)| a == b).count()
        })
        .max()
        .unwrap_or(0);
    names::upper_camel(&words[shared..].join("_"))
}
