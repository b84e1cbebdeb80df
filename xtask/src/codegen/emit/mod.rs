//! Turns the collected schemas and operations into Rust source, one module per kind of item.

mod decode;
mod docs;
mod enums;
mod models;
mod params;
mod routes;
mod types;
mod unions;

use std::collections::{BTreeMap, BTreeSet};

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
    /// Untagged unions told apart by a required key: name -> [(key, variant, schema)].
    pub key_unions: BTreeMap<String, Vec<(String, String, String)>>,
    count: usize,
}

pub struct Union {
    pub tag_key: String,
    pub variants: Vec<(String, String, String)>,
    pub default_tag: Option<String>,
    pub unknown: bool,
    /// (variant, schema) of the branch whose `type` is any string: it takes every tag the
    /// other variants do not claim, so nothing is unknown.
    pub fallback: Option<(String, String)>,
}

impl<'a> Emitter<'a> {
    pub fn new(api: &'a Api<'a>) -> Self {
        Self {
            api,
            enums: BTreeMap::new(),
            scalar_unions: BTreeMap::new(),
            tag_fields: BTreeSet::new(),
            unions: BTreeMap::new(),
            key_unions: BTreeMap::new(),
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
        overrides::rust_name(schema).unwrap_or_else(|| names::upper_camel(schema))
    }

    /// The generated files: (path from the workspace root, unformatted code).
    pub fn files(&mut self) -> Result<Vec<(String, String)>, String> {
        self.classify_unions()?;
        let models = self.models()?;
        let params = self.params()?;
        let enums = self.enums_code();
        let routes = self.routes();
        let module = "//! Types generated from Polar's OpenAPI document (the spec subset in `spec/`).\n\
            //!\n\
            //! Field rules: a required field is a plain value, a required field that may be `null` is an\n\
            //! `Option` (a missing key also reads as `None`), an optional field is an `Option` that is left\n\
            //! out when `None`, and an optional field that may be `null` is a [`Nullable`](crate::Nullable).\n\
            //! Collections and metadata that a later API version might leave out read as empty.\n\n\
            mod enums;\nmod models;\nmod params;\nmod routes;\n\n\
            pub use enums::*;\npub use models::*;\npub use params::*;\npub use routes::*;\n"
            .to_owned();
        let types = "crates/polar-types/src/generated";
        Ok(vec![
            (format!("{types}/mod.rs"), module),
            (format!("{types}/enums.rs"), enums),
            (format!("{types}/models.rs"), models),
            (format!("{types}/params.rs"), params),
            (format!("{types}/routes.rs"), routes),
            (
                "crates/polar-transport/src/headers/api_version.rs".to_owned(),
                routes::transport_version(&self.api.version),
            ),
        ])
    }
}
