//! Structs of the schemas: fields, constructors and setters of input structs, input checks.

use std::fmt::Write;

use super::{
    Emitter, EnumDef, Field, Wrap,
    docs::{describe_scalar, field_facts},
};
use crate::codegen::{names, overrides, spec::Schema};

impl Emitter<'_> {
    pub(super) fn models(&mut self) -> Result<String, String> {
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
                // Values an inline enum mapped to this type added are kept after the spec's own.
                let doc = overrides::schema_doc(&name).to_owned();
                let def = self
                    .enums
                    .entry(Self::type_name(&name))
                    .or_insert_with(|| EnumDef {
                        doc: String::new(),
                        values: Vec::new(),
                    });
                let extra: Vec<String> = def
                    .values
                    .drain(..)
                    .filter(|v| !values.contains(v))
                    .collect();
                def.doc = doc;
                def.values = values.iter().cloned().chain(extra).collect();
            } else if self.unions.contains_key(&name) {
                self.emit_union(&mut out, &name)?;
            } else if self.key_unions.contains_key(&name) {
                self.emit_key_union(&mut out, &name)?;
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
        // Structs users build are non-exhaustive: a field Polar adds to the spec is a new
        // setter, never a compile error in a struct literal. They are built with `new`
        // (required fields) or `default()`, then the setters below (or field assignment).
        if input {
            out.push_str("#[non_exhaustive]\n");
        }
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
            emit_setters(out, &rust, &fields);
            self.emit_validate(out, name, s, &fields)?;
        }
        self.emit_deserialize(out, &rust, &fields, sibling);
        Ok(())
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
}

/// Chained setters of an input struct: one per field (`clear_*` too for a nullable one).
fn emit_setters(out: &mut String, rust: &str, fields: &[Field]) {
    writeln!(out, "impl {rust} {{").unwrap();
    for f in fields {
        let name = f.rust.trim_start_matches("r#");
        let (ty, value) = match f.wrap {
            Wrap::Plain => (f.ty.as_str(), "value.into()".to_owned()),
            Wrap::Option => (inner_of(&f.ty, "Option<"), "Some(value.into())".to_owned()),
            Wrap::Nullable => (
                inner_of(&f.ty, "Nullable<"),
                "Nullable::Value(value.into())".to_owned(),
            ),
        };
        writeln!(
            out,
            "    /// Sets JSON `{}`.\n    pub fn {}(mut self, value: impl Into<{ty}>) -> Self {{\n        self.{} = {value};\n        self\n    }}",
            f.json, f.rust, f.rust
        )
        .unwrap();
        if f.wrap == Wrap::Nullable {
            writeln!(
                out,
                "    /// Sends JSON `{}` as `null` (clears it).\n    pub fn clear_{name}(mut self) -> Self {{\n        self.{} = Nullable::Null;\n        self\n    }}",
                f.json, f.rust
            )
            .unwrap();
        }
    }
    out.push_str("}\n\n");
}

/// `T` of `Option<T>` (or `Nullable<T>`).
fn inner_of<'t>(ty: &'t str, prefix: &str) -> &'t str {
    ty.strip_prefix(prefix)
        .and_then(|t| t.strip_suffix('>'))
        .unwrap_or(ty)
}

fn opt(v: Option<usize>) -> String {
    v.map_or("None".to_owned(), |v| format!("Some({v})"))
}
