//! Instances synthesised from the schemas for the round-trip tests of `polar-types`: every
//! property present, every nullable field once null and once set, every enum value, every union
//! variant. A field the generated types miss or misname then fails the round trip.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{Api, emit::Emitter, overrides, spec::Schema};

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Every property present, nullable ones set.
    Full,
    /// Required properties only, nullable ones `null`.
    Null,
}

struct Synth<'a> {
    api: &'a Api<'a>,
    counter: u32,
}

pub fn instances(
    api: &Api<'_>,
    emitter: &Emitter<'_>,
) -> Result<BTreeMap<String, Vec<Value>>, String> {
    let mut s = Synth { api, counter: 0 };
    let mut out = BTreeMap::new();
    for (name, schema) in &api.schemas {
        let mut list = Vec::new();
        if let Some(values) = &schema.enum_values {
            list.extend(values.iter().map(|v| json!(v)));
        } else if let Some(u) = emitter.unions.get(name) {
            let fallback = u.fallback.iter().map(|(_, schema)| schema);
            for variant in u.variants.iter().map(|(_, _, v)| v).chain(fallback) {
                let target = s.schema(variant)?;
                for mode in [Mode::Full, Mode::Null] {
                    list.push(s.object(variant, target, mode, None)?);
                }
            }
        } else if let Some(variants) = emitter.key_unions.get(name) {
            for (_, _, variant) in variants {
                let target = s.schema(variant)?;
                for mode in [Mode::Full, Mode::Null] {
                    list.push(s.object(variant, target, mode, None)?);
                }
            }
        } else if let Some(u) = overrides::SIBLING_UNIONS.iter().find(|u| u.schema == name) {
            for (tag, _, variant) in u.variants {
                for mode in [Mode::Full, Mode::Null] {
                    let props = s.object(variant, s.schema(variant)?, mode, None)?;
                    list.push(s.object(name, schema, mode, Some((tag, props)))?);
                }
            }
            // A benefit type without a known shape keeps its raw properties.
            list.push(s.object(
                name,
                schema,
                Mode::Full,
                Some(("meter_credit", json!({"credits": 5, "rollover": true}))),
            )?);
        } else if let Some(item) = overrides::list_item(name) {
            // One item of each variant when the item is a union, else one full and one null.
            let target = s.schema(item)?;
            let branches: Vec<&str> = match (&target.one_of, &target.any_of) {
                (Some(b), _) | (None, Some(b)) => b.iter().filter_map(|b| b.ref_name()).collect(),
                (None, None) => vec![item],
            };
            let mut items = Vec::new();
            for (i, branch) in branches
                .iter()
                .cycle()
                .take(branches.len().max(2))
                .enumerate()
            {
                let mode = if i % 2 == 0 { Mode::Full } else { Mode::Null };
                items.push(s.object(branch, s.schema(branch)?, mode, None)?);
            }
            let n = items.len();
            list.push(json!({"items": items, "pagination": {"total_count": n, "max_page": 1}}));
            list.push(json!({"items": [], "pagination": {"total_count": 0, "max_page": 0}}));
        } else {
            let object = schema
                .any_of
                .as_ref()
                .and_then(|b| b.iter().find(|b| b.ty.as_deref() == Some("object")))
                .unwrap_or(schema);
            for mode in [Mode::Full, Mode::Null] {
                let v = s.value(name, "", object, mode)?;
                if !list.contains(&v) {
                    list.push(v);
                }
            }
        }
        // A union's variant struct on its own does not carry the tag (the union writes it).
        for (variant, tag) in &emitter.tag_fields {
            if variant == name {
                for v in &mut list {
                    if let Value::Object(map) = v {
                        map.remove(tag);
                    }
                }
            }
        }
        out.insert(name.clone(), list);
    }
    let schema_types: Vec<String> = api.schemas.keys().map(|k| Emitter::type_name(k)).collect();
    for (name, def) in &emitter.enums {
        if !schema_types.contains(name) {
            out.insert(name.clone(), def.values.iter().map(|v| json!(v)).collect());
        }
    }
    Ok(out)
}

impl<'a> Synth<'a> {
    fn schema(&self, name: &str) -> Result<&'a Schema, String> {
        self.api
            .schemas
            .get(name)
            .copied()
            .ok_or_else(|| format!("unknown schema {name}"))
    }

    fn uuid(&mut self) -> Value {
        self.counter += 1;
        json!(format!("00000000-0000-4000-8000-{:012x}", self.counter))
    }

    fn object(
        &mut self,
        name: &str,
        s: &Schema,
        mode: Mode,
        sibling: Option<(&str, Value)>,
    ) -> Result<Value, String> {
        let mut map = Map::new();
        let sibling_union = overrides::SIBLING_UNIONS.iter().find(|u| u.schema == name);
        // A sibling-typed field must agree with its tag; default to the first known shape.
        let sibling = match (sibling, sibling_union) {
            (Some(pair), _) => Some((pair.0.to_owned(), pair.1)),
            (None, Some(u)) => {
                let (tag, _, variant) = u.variants[0];
                Some((
                    tag.to_owned(),
                    self.object(variant, self.schema(variant)?, mode, None)?,
                ))
            }
            (None, None) => None,
        };
        for (prop, ps) in s.properties.iter().flatten() {
            if let (Some(u), Some((tag, props))) = (sibling_union, &sibling) {
                if prop == u.field {
                    map.insert(prop.clone(), props.clone());
                    continue;
                }
                if prop == u.tag_field {
                    map.insert(prop.clone(), json!(tag));
                    continue;
                }
            }
            if let Some(example) = overrides::opaque_field(name, prop) {
                map.insert(
                    prop.clone(),
                    serde_json::from_str(example).map_err(|e| e.to_string())?,
                );
                continue;
            }
            let required = s.required.contains(prop);
            let (_, nullable) = ps.nullable_parts();
            let nullable = nullable || ps.is_any();
            match mode {
                Mode::Full => {
                    map.insert(prop.clone(), self.value(name, prop, ps, Mode::Full)?);
                }
                Mode::Null if nullable => {
                    map.insert(prop.clone(), Value::Null);
                }
                Mode::Null if required || ps.const_value.is_some() => {
                    map.insert(prop.clone(), self.value(name, prop, ps, Mode::Null)?);
                }
                Mode::Null => {}
            }
        }
        Ok(Value::Object(map))
    }

    fn value(&mut self, owner: &str, field: &str, s: &Schema, mode: Mode) -> Result<Value, String> {
        if let Some(c) = &s.const_value {
            return Ok(c.clone());
        }
        if let Some(r) = s.ref_name() {
            let target = self.schema(r)?;
            if let Some(values) = &target.enum_values {
                return Ok(json!(values[0]));
            }
            if r == "MetadataOutputType" {
                return Ok(json!({"plan": "pro", "seats": 3, "ratio": 2.5, "vip": true}));
            }
            if let Some(branches) = target.one_of.as_ref().or(target.any_of.as_ref()) {
                let first = branches
                    .first()
                    .and_then(|b| b.ref_name())
                    .ok_or("empty oneOf")?;
                return self.object(first, self.schema(first)?, mode, None);
            }
            return self.object(r, target, mode, None);
        }
        if let Some(branches) = &s.any_of {
            let non_null: Vec<&Schema> = branches.iter().filter(|b| !b.is_null()).collect();
            return match non_null.as_slice() {
                [one] => self.value(owner, field, one, mode),
                [first, ..] => self.value(owner, field, first, mode),
                [] => Ok(Value::Null),
            };
        }
        if let Some(values) = &s.enum_values {
            return Ok(json!(values[0]));
        }
        if s.properties.is_some() {
            return self.object(owner, s, mode, None);
        }
        if let Some(items) = &s.prefix_items {
            return items
                .iter()
                .map(|i| self.value(owner, field, i, mode))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array);
        }
        if let Some(values) = &s.additional_properties {
            let mut map = Map::new();
            for (i, b) in values.any_of.iter().flatten().enumerate() {
                let v = if b.is_null() {
                    Value::Null
                } else {
                    self.value(owner, field, b, mode)?
                };
                map.insert(format!("key_{i}"), v);
            }
            if map.is_empty() {
                map.insert("key".to_owned(), self.value(owner, field, values, mode)?);
            }
            return Ok(Value::Object(map));
        }
        Ok(match s.ty.as_deref() {
            Some("string") => match s.format.as_deref() {
                Some("uuid" | "uuid4") => self.uuid(),
                Some("date-time") => json!("2026-01-02T03:04:05.123456Z"),
                Some("email") => json!("someone@example.com"),
                _ => json!(format!("{field}-text")),
            },
            Some("integer") => json!(7),
            Some("number") => json!(1.5),
            Some("boolean") => json!(true),
            Some("array") => {
                let items = s.items.as_deref().ok_or("array without items")?;
                match &items.any_of {
                    // One element per branch, so each variant of an inline union is exercised.
                    Some(branches) => branches
                        .iter()
                        .map(|b| self.value(owner, field, b, mode))
                        .collect::<Result<Vec<_>, _>>()
                        .map(Value::Array)?,
                    None => Value::Array(vec![self.value(owner, field, items, mode)?]),
                }
            }
            Some("object") => json!({"limit": 5, "pattern": "x"}),
            None if s.is_any() => json!({"nested": [1, "two", null]}),
            other => return Err(format!("{owner}.{field}: cannot synthesise {other:?}")),
        })
    }
}
