//! Turns the collected schemas and operations into Rust source.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::{Api, names, overrides, spec::Schema};

/// A string enum to emit.
pub struct EnumDef {
    pub doc: String,
    pub values: Vec<String>,
}

/// An untagged union of scalars and scalar lists.
pub struct ScalarUnion {
    pub doc: String,
    pub variants: Vec<(String, String)>,
}

/// How a struct field is wrapped.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Wrap {
    Plain,
    Option,
    Nullable,
}

pub struct Field {
    pub json: String,
    pub rust: String,
    pub ty: String,
    pub wrap: Wrap,
    pub attrs: Vec<String>,
    pub doc: String,
    /// Decoding fails when the key is missing.
    pub must: bool,
}

pub struct Emitter<'a> {
    api: &'a Api<'a>,
    pub enums: BTreeMap<String, EnumDef>,
    pub scalar_unions: BTreeMap<String, ScalarUnion>,
    /// (variant schema, tag field) pairs: the tag is not a struct field.
    pub tag_fields: BTreeSet<(String, String)>,
    /// Tagged unions: name -> (tag key, [(tag value, variant, schema)], default tag, has unknown).
    pub unions: BTreeMap<String, Union>,
    count: usize,
}

pub struct Union {
    pub tag_key: String,
    pub variants: Vec<(String, String, String)>,
    pub default_tag: Option<String>,
    pub unknown: bool,
}

impl<'a> Emitter<'a> {
    pub fn new(api: &'a Api<'a>) -> Self {
        Self {
            api,
            enums: BTreeMap::new(),
            scalar_unions: BTreeMap::new(),
            tag_fields: BTreeSet::new(),
            unions: BTreeMap::new(),
            count: 0,
        }
    }

    pub fn type_count(&self) -> usize {
        self.count
    }

    pub fn schema(&self, name: &str) -> Result<&'a Schema, String> {
        self.api
            .schemas
            .get(name)
            .copied()
            .ok_or_else(|| format!("unknown schema {name}"))
    }

    /// The Rust type name of a named schema.
    pub fn type_name(schema: &str) -> String {
        overrides::rust_name(schema)
            .map(str::to_owned)
            .unwrap_or_else(|| names::upper_camel(schema))
    }

    pub fn files(&mut self) -> Result<Vec<(&'static str, String)>, String> {
        // Unions first: they decide which `type` properties are tags rather than fields.
        for (name, s) in &self.api.schemas {
            if let Some(branches) = &s.one_of {
                let u = self.union_of(name, s, branches)?;
                for (_, _, variant) in &u.variants {
                    self.tag_fields.insert((variant.clone(), u.tag_key.clone()));
                }
                self.unions.insert(name.clone(), u);
            }
        }
        let models = self.models()?;
        let params = self.params()?;
        let enums = self.enums_code();
        let module = "//! Types generated from Polar's OpenAPI document.\n\
            //!\n\
            //! Field rules: a required field is a plain value, a required field that may be `null` is an\n\
            //! `Option` (a missing key also reads as `None`), an optional field is an `Option` that is left\n\
            //! out when `None`, and an optional field that may be `null` is a [`Nullable`](crate::Nullable).\n\
            //! Collections and metadata that a later API version might leave out read as empty.\n\n\
            mod enums;\nmod models;\nmod params;\n\npub use enums::*;\npub use models::*;\npub use params::*;\n"
            .to_owned();
        Ok(vec![
            ("mod.rs", module),
            ("enums.rs", enums),
            ("models.rs", models),
            ("params.rs", params),
        ])
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
        })
    }

    // ---------------------------------------------------------------- types of fields

    /// Resolves a property to (Rust type, nullable).
    fn resolve(&mut self, owner: &str, field: &str, s: &Schema) -> Result<(String, bool), String> {
        let (branches, nullable) = s.nullable_parts();
        if let Some(t) = overrides::field_type(owner, field) {
            return Ok((t.to_owned(), nullable));
        }
        if let Some(u) = overrides::SIBLING_UNIONS
            .iter()
            .find(|u| u.schema == owner && u.field == field)
        {
            return Ok((u.name.to_owned(), false));
        }
        if s.is_any() {
            return Ok(("::serde_json::Value".to_owned(), true));
        }
        if branches.len() != 1 {
            let name = overrides::inline_union_name(owner, field).ok_or_else(|| {
                format!("{owner}.{field}: a union without a name in the overrides")
            })?;
            self.scalar_union(
                name,
                &format!("One element of `{field}`: a string or an integer."),
                &branches,
            )?;
            return Ok((name.to_owned(), nullable));
        }
        Ok((self.resolve_single(owner, field, branches[0])?, nullable))
    }

    fn resolve_single(&mut self, owner: &str, field: &str, s: &Schema) -> Result<String, String> {
        if let Some(r) = s.ref_name() {
            return Ok(Self::type_name(r));
        }
        if let Some(values) = &s.enum_values {
            let name = overrides::inline_enum_name(owner, field).ok_or_else(|| {
                format!("{owner}.{field}: an inline enum without a name in the overrides")
            })?;
            let def = self
                .enums
                .entry(name.to_owned())
                .or_insert_with(|| EnumDef {
                    doc: overrides::inline_enum_doc(name).to_owned(),
                    values: Vec::new(),
                });
            for v in values {
                if !def.values.contains(v) {
                    def.values.push(v.clone());
                }
            }
            return Ok(name.to_owned());
        }
        if let Some(items) = &s.prefix_items {
            let parts: Result<Vec<String>, String> = items
                .iter()
                .map(|i| self.resolve_single(owner, field, i))
                .collect();
            return Ok(format!("({})", parts?.join(", ")));
        }
        match s.ty.as_deref() {
            Some("string") => match s.format.as_deref() {
                Some("uuid" | "uuid4") => overrides::id_type(owner, field)
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        format!("{owner}.{field}: a UUID without an ID type in the overrides")
                    }),
                Some("date-time") => Ok("::jiff::Timestamp".to_owned()),
                _ => Ok("String".to_owned()),
            },
            Some("integer") => Ok("i64".to_owned()),
            Some("number") => Ok("f64".to_owned()),
            Some("boolean") => Ok("bool".to_owned()),
            Some("array") => {
                let items = s
                    .items
                    .as_deref()
                    .ok_or_else(|| format!("{owner}.{field}: array without items"))?;
                let (t, _) = self.resolve(owner, field, items)?;
                Ok(format!("Vec<{t}>"))
            }
            other => Err(format!("{owner}.{field}: cannot map type {other:?}")),
        }
    }

    fn scalar_union(&mut self, name: &str, doc: &str, branches: &[&Schema]) -> Result<(), String> {
        let mut variants = Vec::new();
        for b in branches {
            let (v, t) = match (
                b.ty.as_deref(),
                b.items.as_deref().and_then(|i| i.ty.as_deref()),
            ) {
                (Some("boolean"), _) => ("Boolean", "bool"),
                (Some("integer"), _) => ("Integer", "i64"),
                (Some("number"), _) => ("Number", "f64"),
                (Some("string"), _) => ("String", "String"),
                (Some("array"), Some("boolean")) => ("BooleanList", "Vec<bool>"),
                (Some("array"), Some("integer")) => ("IntegerList", "Vec<i64>"),
                (Some("array"), Some("number")) => ("NumberList", "Vec<f64>"),
                (Some("array"), Some("string")) => ("StringList", "Vec<String>"),
                other => return Err(format!("{name}: cannot put {other:?} in a scalar union")),
            };
            variants.push((v.to_owned(), t.to_owned()));
        }
        // Untagged decoding tries variants in order: the narrowest JSON type first.
        let rank = |v: &str| {
            [
                "Boolean",
                "Integer",
                "Number",
                "String",
                "BooleanList",
                "IntegerList",
                "NumberList",
                "StringList",
            ]
            .iter()
            .position(|x| *x == v)
            .unwrap_or(99)
        };
        variants.sort_by_key(|(v, _)| rank(v));
        self.scalar_unions.insert(
            name.to_owned(),
            ScalarUnion {
                doc: doc.to_owned(),
                variants,
            },
        );
        Ok(())
    }

    // ---------------------------------------------------------------- models

    fn models(&mut self) -> Result<String, String> {
        let mut out = String::from(
            "use serde::{Deserialize, Serialize};\n\n#[allow(unused_imports)]\nuse crate::{Nullable, Metadata, ListResource};\nuse crate::ids::*;\nuse super::enums::*;\n\n",
        );
        let schemas: Vec<(String, &Schema)> = self
            .api
            .schemas
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        for (name, s) in schemas {
            if overrides::is_hand_written(&name) {
                continue;
            }
            if let Some(values) = &s.enum_values {
                let doc = overrides::schema_doc(&name).to_owned();
                self.enums.insert(
                    Self::type_name(&name),
                    EnumDef {
                        doc,
                        values: values.clone(),
                    },
                );
            } else if s.one_of.is_some() {
                self.emit_union(&mut out, &name)?;
            } else if s.properties.is_some() {
                self.emit_struct(&mut out, &name, s)?;
            } else if let Some(obj) = s
                .any_of
                .as_ref()
                .and_then(|b| b.iter().find(|b| b.ty.as_deref() == Some("object")))
            {
                // A nullable map of filter values (the metadata query).
                let values = obj
                    .additional_properties
                    .as_deref()
                    .ok_or_else(|| format!("{name}: map without values"))?;
                let branches: Vec<&Schema> = values.any_of.iter().flatten().collect();
                let value_name = format!("{}Value", Self::type_name(&name));
                self.scalar_union(
                    &value_name,
                    &format!("One value of a [`{}`] entry.", Self::type_name(&name)),
                    &branches,
                )?;
                writeln!(out, "/// {}", overrides::schema_doc(&name)).unwrap();
                writeln!(
                    out,
                    "pub type {} = ::std::collections::BTreeMap<String, {value_name}>;\n",
                    Self::type_name(&name)
                )
                .unwrap();
                self.count += 1;
            } else {
                return Err(format!("schema {name}: shape not supported"));
            }
        }
        for u in overrides::SIBLING_UNIONS {
            self.emit_sibling_union(&mut out, u)?;
        }
        #[allow(clippy::type_complexity)]
        let unions: Vec<(String, String, Vec<(String, String)>)> = self
            .scalar_unions
            .iter()
            .map(|(k, v)| (k.clone(), v.doc.clone(), v.variants.clone()))
            .collect();
        for (name, doc, variants) in unions {
            writeln!(out, "/// {doc}\n#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]\n#[serde(untagged)]\npub enum {name} {{").unwrap();
            for (v, t) in variants {
                writeln!(
                    out,
                    "    /// A JSON {}.\n    {v}({t}),",
                    describe_scalar(&v)
                )
                .unwrap();
            }
            out.push_str("}\n\n");
            self.count += 1;
        }
        Ok(out)
    }

    fn fields(&mut self, name: &str, s: &Schema) -> Result<Vec<Field>, String> {
        let mut fields = Vec::new();
        let input = self.api.inputs.contains(name);
        for (json, prop) in s.properties.iter().flatten() {
            if self.tag_fields.contains(&(name.to_owned(), json.clone())) {
                continue;
            }
            let required = s.required.contains(json);
            let (ty, nullable) = self.resolve(name, json, prop)?;
            let defaulted = overrides::default_when_missing(name, json);
            let (wrap, attrs) = match (required, nullable) {
                (true, false) if defaulted => (Wrap::Plain, vec!["#[serde(default)]".to_owned()]),
                (true, false) => (Wrap::Plain, vec![]),
                // A future version may drop a nullable field; reading it as null is harmless.
                (true, true) => (Wrap::Option, vec!["#[serde(default)]".to_owned()]),
                (false, false) => (
                    Wrap::Option,
                    vec!["#[serde(default, skip_serializing_if = \"Option::is_none\")]".to_owned()],
                ),
                (false, true) => (
                    Wrap::Nullable,
                    vec![
                        "#[serde(default, skip_serializing_if = \"Nullable::is_absent\")]"
                            .to_owned(),
                    ],
                ),
            };
            let mut doc = field_facts(json, prop, &ty, required, nullable, input);
            if let Some(extra) = overrides::field_doc(name, json) {
                doc.push_str("\n/// ");
                doc.push_str(extra);
            }
            let full_ty = match wrap {
                Wrap::Plain => ty.clone(),
                Wrap::Option => format!("Option<{ty}>"),
                Wrap::Nullable => format!("Nullable<{ty}>"),
            };
            fields.push(Field {
                json: json.clone(),
                rust: names::field(json),
                ty: full_ty,
                wrap,
                attrs,
                doc,
                must: wrap == Wrap::Plain && !defaulted,
            });
        }
        Ok(fields)
    }

    fn emit_struct(&mut self, out: &mut String, name: &str, s: &Schema) -> Result<(), String> {
        let rust = Self::type_name(name);
        let fields = self.fields(name, s)?;
        let input = self.api.inputs.contains(name);
        let sibling = overrides::SIBLING_UNIONS.iter().find(|u| u.schema == name);
        let all_optional = fields.iter().all(|f| f.wrap != Wrap::Plain);
        writeln!(
            out,
            "/// {}\n///\n/// Schema `{name}` of Polar's API.",
            overrides::schema_doc(name)
        )
        .unwrap();
        let mut derives = vec!["Clone", "Debug", "PartialEq", "Serialize"];
        if input && all_optional {
            derives.push("Default");
        }
        writeln!(out, "#[derive({})]", derives.join(", ")).unwrap();
        writeln!(out, "pub struct {rust} {{").unwrap();
        for f in &fields {
            writeln!(out, "{}", f.doc).unwrap();
            for a in &f.attrs {
                writeln!(out, "    {a}").unwrap();
            }
            writeln!(out, "    pub {}: {},", f.rust, f.ty).unwrap();
        }
        out.push_str("    /// Fields this version of the SDK does not know, kept so that re-encoding loses nothing.\n");
        out.push_str("    #[serde(flatten)]\n    pub extra: ::serde_json::Map<String, ::serde_json::Value>,\n");
        out.push_str("}\n\n");
        self.count += 1;

        if input && !all_optional {
            let required: Vec<&Field> = fields.iter().filter(|f| f.wrap == Wrap::Plain).collect();
            let params: Vec<String> = required
                .iter()
                .map(|f| format!("{}: impl Into<{}>", f.rust, f.ty))
                .collect();
            let names: Vec<String> = required.iter().map(|f| format!("`{}`", f.json)).collect();
            writeln!(out, "impl {rust} {{\n    /// A value with the required {} set and every optional field left out.", names.join(", ")).unwrap();
            writeln!(
                out,
                "    pub fn new({}) -> Self {{\n        Self {{",
                params.join(", ")
            )
            .unwrap();
            for f in &fields {
                match f.wrap {
                    Wrap::Plain => {
                        writeln!(out, "            {}: {}.into(),", f.rust, f.rust).unwrap()
                    }
                    _ => writeln!(out, "            {}: Default::default(),", f.rust).unwrap(),
                }
            }
            out.push_str("            extra: Default::default(),\n");
            out.push_str("        }\n    }\n}\n\n");
        }
        if input {
            self.emit_validate(out, name, s, &fields)?;
        }
        self.emit_deserialize(out, &rust, &fields, sibling);
        Ok(())
    }

    /// A map visitor like serde's derive, except that unknown keys are collected into `extra`
    /// instead of being skipped, and a sibling-typed field is decoded once its tag is known.
    fn emit_deserialize(
        &self,
        out: &mut String,
        rust: &str,
        fields: &[Field],
        sibling: Option<&overrides::SiblingUnion>,
    ) {
        let is_sibling = |f: &Field| sibling.is_some_and(|u| u.field == f.json);
        writeln!(out, "impl<'de> Deserialize<'de> for {rust} {{").unwrap();
        out.push_str("    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {\n");
        out.push_str("        struct Visitor;\n");
        out.push_str("        impl<'de> serde::de::Visitor<'de> for Visitor {\n");
        writeln!(out, "            type Value = {rust};").unwrap();
        writeln!(out, "            fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {{\n                f.write_str(\"a {rust} object\")\n            }}").unwrap();
        writeln!(out, "            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<{rust}, A::Error> {{").unwrap();
        if !fields.is_empty() {
            out.push_str("                use crate::support::take;\n");
        }
        for f in fields {
            let slot = if let Some(u) = sibling.filter(|_| is_sibling(f)) {
                format!("crate::support::Sibling<{}>", u.name)
            } else {
                f.ty.clone()
            };
            writeln!(
                out,
                "                let mut {}: Option<{slot}> = None;",
                slot_name(f)
            )
            .unwrap();
        }
        out.push_str("                let mut extra = ::serde_json::Map::new();\n");
        out.push_str(
            "                while let Some(key) = map.next_key::<crate::support::Key<'de>>()? {\n",
        );
        // The union around a variant owns its tag: it is neither a field nor an unknown key.
        let tags: Vec<&String> = self
            .tag_fields
            .iter()
            .filter(|(v, _)| Self::type_name(v) == rust)
            .map(|(_, t)| t)
            .collect();
        for tag in &tags {
            writeln!(out, "                    if key.as_str() == {tag:?} {{\n                        map.next_value::<serde::de::IgnoredAny>()?;\n                        continue;\n                    }}").unwrap();
        }
        if fields.is_empty() {
            out.push_str(
                "                    extra.insert(key.into_string(), map.next_value()?);\n",
            );
        } else {
            out.push_str("                    match key.as_str() {\n");
            for f in fields {
                if let Some(u) = sibling.filter(|_| is_sibling(f)) {
                    // Decoded as it is read when the tag came first (Polar's order).
                    let tag = fields
                        .iter()
                        .find(|t| t.json == u.tag_field)
                        .expect("sibling tag");
                    writeln!(
                        out,
                        "                        {:?} => crate::support::take_sibling(&mut {}, &mut map, {:?}, {}.as_ref().map(|t| t.as_str()))?,",
                        f.json,
                        slot_name(f),
                        f.json,
                        slot_name(tag)
                    )
                    .unwrap();
                    continue;
                }
                writeln!(
                    out,
                    "                        {:?} => take(&mut {}, &mut map, {:?})?,",
                    f.json,
                    slot_name(f),
                    f.json
                )
                .unwrap();
            }
            out.push_str("                        _ => {\n                            extra.insert(key.into_string(), map.next_value()?);\n                        }\n                    }\n");
        }
        out.push_str("                }\n");
        for f in fields.iter().filter(|f| !is_sibling(f)) {
            let value = if f.must {
                format!(
                    "{}.ok_or_else(|| serde::de::Error::missing_field({:?}))?",
                    slot_name(f),
                    f.json
                )
            } else {
                format!("{}.unwrap_or_default()", slot_name(f))
            };
            writeln!(out, "                let {} = {value};", slot_name(f)).unwrap();
        }
        if let Some(u) = sibling {
            let f = fields
                .iter()
                .find(|f| f.json == u.field)
                .expect("sibling field");
            let tag = fields
                .iter()
                .find(|f| f.json == u.tag_field)
                .expect("sibling tag");
            writeln!(
                out,
                "                let {slot} = crate::support::finish_sibling({slot}, {json:?}, {tag}.as_str())?;",
                slot = slot_name(f),
                tag = slot_name(tag),
                json = f.json
            )
            .unwrap();
        }
        writeln!(out, "                Ok({rust} {{").unwrap();
        for f in fields {
            writeln!(out, "                    {}: {},", f.rust, slot_name(f)).unwrap();
        }
        out.push_str("                    extra,\n                })\n            }\n        }\n        deserializer.deserialize_map(Visitor)\n    }\n}\n\n");
    }

    fn emit_validate(
        &mut self,
        out: &mut String,
        name: &str,
        s: &Schema,
        fields: &[Field],
    ) -> Result<(), String> {
        let rust = Self::type_name(name);
        let mut body = String::new();
        for f in fields {
            let prop = &s.properties.as_ref().expect("struct")[&f.json];
            let (branches, _) = prop.nullable_parts();
            let Some(b) = branches.first() else { continue };
            let check = if f.ty.contains("Metadata") && b.ty.as_deref() == Some("object") {
                let keys = b.property_names.as_deref();
                let values = b
                    .additional_properties
                    .as_deref()
                    .and_then(|v| v.any_of.as_ref())
                    .and_then(|a| a.iter().find(|x| x.ty.as_deref() == Some("string")));
                format!(
                    "crate::validate::check_metadata({:?}, v, &crate::validate::MetadataRules {{ max_keys: {}, key_min: {}, key_max: {}, value_min: {}, value_max: {} }})?;",
                    f.json,
                    opt(b.max_properties),
                    opt(keys.and_then(|k| k.min_length)),
                    opt(keys.and_then(|k| k.max_length)),
                    opt(values.and_then(|v| v.min_length)),
                    opt(values.and_then(|v| v.max_length)),
                )
            } else if let Some(r) = b.ref_name() {
                if !self.api.inputs.contains(r) || self.schema(r)?.enum_values.is_some() {
                    continue;
                }
                format!(
                    "crate::Validate::validate(v).map_err(|e| crate::validate::nested({:?}, e))?;",
                    f.json
                )
            } else if b.ty.as_deref() == Some("string")
                && b.enum_values.is_none()
                && b.format.as_deref() != Some("uuid4")
            {
                if b.format.as_deref() == Some("email") {
                    format!("crate::validate::check_email({:?}, v)?;", f.json)
                } else {
                    format!(
                        "crate::validate::check_str({:?}, v, {}, {})?;",
                        f.json,
                        opt(b.min_length),
                        opt(b.max_length)
                    )
                }
            } else {
                continue;
            };
            match f.wrap {
                Wrap::Plain => {
                    writeln!(body, "        {{ let v = &self.{}; {check} }}", f.rust).unwrap()
                }
                Wrap::Option => writeln!(
                    body,
                    "        if let Some(v) = &self.{} {{ {check} }}",
                    f.rust
                )
                .unwrap(),
                Wrap::Nullable => writeln!(
                    body,
                    "        if let Some(v) = self.{}.as_value() {{ {check} }}",
                    f.rust
                )
                .unwrap(),
            }
        }
        writeln!(out, "impl crate::Validate for {rust} {{").unwrap();
        out.push_str("    fn validate(&self) -> Result<(), crate::InputError> {\n");
        out.push_str(&body);
        out.push_str("        Ok(())\n    }\n}\n\n");
        Ok(())
    }

    fn emit_union(&mut self, out: &mut String, name: &str) -> Result<(), String> {
        let u = &self.unions[name];
        let rust = Self::type_name(name);
        writeln!(out, "/// {}\n///\n/// Schema `{name}` of Polar's API: the JSON key `{}` selects the variant.", overrides::schema_doc(name), u.tag_key).unwrap();
        if u.unknown {
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
        if u.unknown {
            writeln!(out, "    /// A kind this version of the SDK does not know, kept as the JSON Polar sent.\n    Unknown(::serde_json::Value),").unwrap();
        }
        out.push_str("}\n\n");
        // Serialize: the variant's fields plus the tag.
        writeln!(out, "impl Serialize for {rust} {{\n    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {{\n        match self {{").unwrap();
        for (tag, variant, _) in &u.variants {
            writeln!(out, "            Self::{variant}(v) => crate::support::Tagged {{ tag: {tag:?}, inner: v }}.serialize(serializer),").unwrap();
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
        if u.unknown {
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

    fn emit_sibling_union(
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

    // ---------------------------------------------------------------- enums

    fn enums_code(&mut self) -> String {
        let mut out = String::new();
        for (name, def) in &self.enums {
            let variants: Vec<(String, &String)> =
                def.values.iter().map(|v| (names::variant(v), v)).collect();
            let mut seen = BTreeSet::new();
            for (v, _) in &variants {
                assert!(
                    seen.insert(v.clone()),
                    "{name}: two values map to the variant {v}"
                );
            }
            writeln!(out, "/// {}\n///\n/// Known values: {}. Values added by Polar later are kept in `Unknown` and written back unchanged.", def.doc, if def.values.len() > 12 { format!("{} codes", def.values.len()) } else { def.values.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ") }).unwrap();
            writeln!(out, "#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]\n#[non_exhaustive]\npub enum {name} {{").unwrap();
            for (v, value) in &variants {
                writeln!(out, "    /// `{value}`\n    {v},").unwrap();
            }
            out.push_str("    /// A value this version of the SDK does not know.\n    Unknown(String),\n}\n\n");
            writeln!(out, "impl {name} {{\n    /// Every value this version of the SDK knows.\n    pub const KNOWN: &'static [{name}] = &[").unwrap();
            for (v, _) in &variants {
                writeln!(out, "        Self::{v},").unwrap();
            }
            out.push_str("    ];\n\n    /// The value as Polar writes it.\n    pub fn as_str(&self) -> &str {\n        match self {\n");
            for (v, value) in &variants {
                writeln!(out, "            Self::{v} => {value:?},").unwrap();
            }
            out.push_str("            Self::Unknown(s) => s,\n        }\n    }\n}\n\n");
            writeln!(
                out,
                "impl From<&str> for {name} {{\n    fn from(s: &str) -> Self {{\n        match s {{"
            )
            .unwrap();
            for (v, value) in &variants {
                writeln!(out, "            {value:?} => Self::{v},").unwrap();
            }
            out.push_str(
                "            other => Self::Unknown(other.to_owned()),\n        }\n    }\n}\n\n",
            );
            writeln!(out, "crate::support::string_enum_impls!({name});\n").unwrap();
            self.count += 1;
        }
        out
    }

    // ---------------------------------------------------------------- params

    fn params(&mut self) -> Result<String, String> {
        let mut out = String::from("#[allow(unused_imports)]\nuse crate::*;\n\n");
        let ops: Vec<usize> = (0..self.api.operations.len()).collect();
        for i in ops {
            let op = &self.api.operations[i];
            let id = op.op.operation_id.clone();
            let rust = format!("{}Params", names::upper_camel(&id));
            let mut fields: Vec<(String, String, String, String)> = Vec::new(); // (name, type, location, doc)
            let mut checks = Vec::new();
            let mut pairs = Vec::new();
            for p in &op.op.parameters {
                let name = names::field(&p.name);
                match p.location.as_str() {
                    "path" => {
                        let ty = self.resolve_single(&id, &p.name, &p.schema)?;
                        if ty == "String" {
                            checks.push(format!(
                                "crate::validate::check_not_empty({:?}, &self.{name})?;",
                                p.name
                            ));
                        }
                        fields.push((
                            name,
                            ty.clone(),
                            "path".into(),
                            format!("Path parameter `{{{}}}` ({}).", p.name, describe_rust(&ty)),
                        ));
                    }
                    "query"
                        if overrides::metadata_filter_param(&p.name)
                            && p.style.as_deref() == Some("deepObject") =>
                    {
                        fields.push((name.clone(), "Vec<(String, String)>".into(), "query".into(),
                            "Metadata filters as (key, value) pairs, sent as `metadata[key]=value`; repeating a key matches any of its values, different keys must all match.".into()));
                        pairs.push(format!("for (k, v) in &self.{name} {{ out.push((format!(\"metadata[{{k}}]\"), v.clone())); }}"));
                        checks.push(format!("for (k, _) in &self.{name} {{ crate::validate::check_not_empty(\"metadata\", k)?; }}"));
                    }
                    "query" => {
                        let (branches, _) = p.schema.nullable_parts();
                        if let Some(arr) =
                            branches.iter().find(|b| b.ty.as_deref() == Some("array"))
                        {
                            let items = arr.items.as_deref().ok_or("array without items")?;
                            let ty = self.resolve_single(&id, &p.name, items)?;
                            fields.push((name.clone(), format!("Vec<{ty}>"), "query".into(),
                                format!("Query parameter `{}`, repeated once per value ({}); empty sends nothing.", p.name, describe_rust(&ty))));
                            pairs.push(format!("for v in &self.{name} {{ out.push(({:?}.to_owned(), v.to_string())); }}", p.name));
                        } else {
                            let b = branches.first().ok_or("empty parameter schema")?;
                            let ty = self.resolve_single(&id, &p.name, b)?;
                            let mut doc =
                                format!("Query parameter `{}` ({})", p.name, describe_rust(&ty));
                            if let Some(min) = b
                                .exclusive_minimum
                                .map(|m| m as i64 + 1)
                                .or(b.minimum.map(|m| m as i64))
                            {
                                write!(doc, ", at least {min}").unwrap();
                                checks.push(format!("if let Some(v) = self.{name} {{ crate::validate::check_min({:?}, v, {min})?; }}", p.name));
                            }
                            if let Some(d) = &b.default {
                                write!(doc, "; Polar's default is `{d}`").unwrap();
                            }
                            if ty == "String" {
                                checks.push(format!("if let Some(v) = &self.{name} {{ crate::validate::check_str({:?}, v, None, None)?; }}", p.name));
                            }
                            doc.push_str("; `None` sends nothing.");
                            fields.push((
                                name.clone(),
                                format!("Option<{ty}>"),
                                "query".into(),
                                doc,
                            ));
                            pairs.push(format!("if let Some(v) = &self.{name} {{ out.push(({:?}.to_owned(), v.to_string())); }}", p.name));
                        }
                    }
                    other => return Err(format!("{id}: parameter location {other} not supported")),
                }
            }
            if let Some(body) = &op.op.request_body {
                let s = body
                    .content
                    .get("application/json")
                    .and_then(|m| m.schema.as_ref())
                    .ok_or("body without JSON schema")?;
                let ty = self.resolve_single(&id, "body", s)?;
                fields.push((
                    "body".into(),
                    ty.clone(),
                    "body".into(),
                    format!("The JSON request body ([`{ty}`])."),
                ));
                checks.push("crate::Validate::validate(&self.body)?;".into());
            }
            let defaultable = fields.iter().all(|(_, _, loc, _)| loc == "query");
            // Doc: what it does, the route, the scopes and the answers.
            let scopes: BTreeSet<&String> = op
                .op
                .security
                .iter()
                .flat_map(|s| s.values().flatten())
                .collect();
            let answers: Vec<String> = op
                .op
                .responses
                .iter()
                .map(|(code, r)| {
                    let what = r.content.iter().next().map(|(media, m)| {
                        match m.schema.as_ref().and_then(|s| s.ref_name()) {
                            Some(n) => format!(
                                " [`{}`]",
                                Self::type_name(n)
                                    .replace("ListResource<Customer>", "ListResourceCustomer")
                            ),
                            None => format!(" `{media}`"),
                        }
                    });
                    format!("{code}{}", what.unwrap_or_default())
                })
                .collect();
            writeln!(
                out,
                "/// Parameters of `{id}`: {}\n///",
                overrides::operation_doc(&id)
            )
            .unwrap();
            writeln!(
                out,
                "/// `{} {}`; scopes: {}; answers: {}.",
                op.method,
                op.path,
                scopes
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(" or "),
                answers.join(", ")
            )
            .unwrap();
            writeln!(
                out,
                "#[derive(Clone, Debug, PartialEq{})]\npub struct {rust} {{",
                if defaultable { ", Default" } else { "" }
            )
            .unwrap();
            for (name, ty, _, doc) in &fields {
                writeln!(out, "    /// {doc}\n    pub {name}: {ty},").unwrap();
            }
            out.push_str("}\n\n");
            writeln!(
                out,
                "impl {rust} {{\n    /// HTTP method.\n    pub const METHOD: &'static str = {:?};",
                op.method
            )
            .unwrap();
            writeln!(out, "    /// Path template; `{{name}}` marks a path parameter.\n    pub const PATH: &'static str = {:?};", op.path).unwrap();
            writeln!(out, "    /// The operation's ID in Polar's API document.\n    pub const OPERATION_ID: &'static str = {id:?};").unwrap();
            if !pairs.is_empty() {
                out.push_str("\n    /// The query string as (name, value) pairs, unencoded, in a stable order.\n    pub fn query_pairs(&self) -> Vec<(String, String)> {\n        let mut out = Vec::new();\n");
                for p in &pairs {
                    writeln!(out, "        {p}").unwrap();
                }
                out.push_str("        out\n    }\n");
            }
            out.push_str("}\n\n");
            writeln!(out, "impl crate::Validate for {rust} {{\n    fn validate(&self) -> Result<(), crate::InputError> {{").unwrap();
            for c in &checks {
                writeln!(out, "        {c}").unwrap();
            }
            out.push_str("        Ok(())\n    }\n}\n\n");
        }
        Ok(out)
    }
}

/// Local variable holding a field while decoding (never a raw identifier).
fn slot_name(f: &Field) -> String {
    format!("f_{}", f.json)
}

fn opt(v: Option<usize>) -> String {
    v.map_or("None".to_owned(), |v| format!("Some({v})"))
}

fn describe_scalar(variant: &str) -> &'static str {
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

fn describe_rust(ty: &str) -> String {
    match ty {
        "String" => "a string".to_owned(),
        "i64" => "an integer".to_owned(),
        "f64" => "a number".to_owned(),
        "bool" => "a boolean".to_owned(),
        "::jiff::Timestamp" => "an RFC 3339 timestamp".to_owned(),
        t if t.ends_with("Id") => format!("a UUID, as [`{t}`]"),
        t => format!("[`{}`]", t.trim_start_matches("::")),
    }
}

/// The generated doc lines of a field: facts only (JSON name, type, limits, presence).
fn field_facts(
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
