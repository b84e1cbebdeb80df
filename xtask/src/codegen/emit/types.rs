//! The Rust type of a property: named schemas, inline enums and scalar unions, IDs, scalars.

use super::{Emitter, EnumDef, ScalarUnion};
use crate::codegen::{overrides, spec::Schema};

impl Emitter<'_> {
    /// Resolves a property to (Rust type, nullable).
    pub(super) fn resolve(
        &mut self,
        owner: &str,
        field: &str,
        s: &Schema,
    ) -> Result<(String, bool), String> {
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

    pub(super) fn resolve_single(
        &mut self,
        owner: &str,
        field: &str,
        s: &Schema,
    ) -> Result<String, String> {
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

    pub(super) fn scalar_union(
        &mut self,
        name: &str,
        doc: &str,
        branches: &[&Schema],
    ) -> Result<(), String> {
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
}
