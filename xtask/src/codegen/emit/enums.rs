//! String enums: known values as variants, anything else kept in `Unknown`.

use std::collections::BTreeSet;
use std::fmt::Write;

use super::Emitter;
use crate::codegen::names;

impl Emitter<'_> {
    pub(super) fn enums_code(&mut self) -> String {
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
}
