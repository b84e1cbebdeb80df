//! The `Deserialize` impl of each struct: a map visitor that keeps unknown keys.

use std::fmt::Write;

use super::{Emitter, Field};
use crate::codegen::overrides;

impl Emitter<'_> {
    /// A map visitor like serde's derive, except that unknown keys are collected into `extra`
    /// instead of being skipped, and a sibling-typed field is decoded once its tag is known.
    pub(super) fn emit_deserialize(
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
}

/// Local variable holding a field while decoding (never a raw identifier).
fn slot_name(f: &Field) -> String {
    format!("f_{}", f.json)
}
