//! The part of the OpenAPI 3.1 model the code generator reads from the spec subset (see
//! `subset.rs`). Maps keep the document's order, so generated fields follow the spec.

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
pub struct Document {
    pub info: Info,
    /// Path template -> method (lower case) -> operation.
    pub paths: IndexMap<String, IndexMap<String, Operation>>,
    /// Event type -> (nothing the generator reads).
    pub webhooks: IndexMap<String, serde::de::IgnoredAny>,
    pub components: Components,
}

#[derive(Debug, Deserialize)]
pub struct Info {
    /// The API version the document describes (`2026-10`), sent as `Polar-Version`.
    pub version: String,
}

#[derive(Debug, Deserialize)]
pub struct Components {
    pub schemas: IndexMap<String, Schema>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Schema {
    #[serde(rename = "$ref")]
    pub reference: Option<String>,
    #[serde(rename = "type")]
    pub ty: Option<String>,
    pub properties: Option<IndexMap<String, Schema>>,
    #[serde(default)]
    pub required: Vec<String>,
    pub any_of: Option<Vec<Schema>>,
    pub one_of: Option<Vec<Schema>>,
    pub items: Option<Box<Schema>>,
    pub prefix_items: Option<Vec<Schema>>,
    #[serde(default, deserialize_with = "schema_or_bool")]
    pub additional_properties: Option<Box<Schema>>,
    #[serde(rename = "enum")]
    pub enum_values: Option<Vec<String>>,
    #[serde(rename = "const")]
    pub const_value: Option<Value>,
    pub format: Option<String>,
    pub discriminator: Option<Discriminator>,
    pub max_length: Option<usize>,
    pub min_length: Option<usize>,
    pub max_properties: Option<usize>,
    pub property_names: Option<Box<Schema>>,
    pub default: Option<Value>,
    pub exclusive_minimum: Option<f64>,
    pub minimum: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Discriminator {
    pub property_name: String,
    pub mapping: IndexMap<String, String>,
}

#[derive(Debug, Deserialize)]
pub struct Operation {
    #[serde(rename = "operationId")]
    pub operation_id: String,
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    #[serde(rename = "requestBody")]
    pub request_body: Option<RequestBody>,
    pub responses: IndexMap<String, Response>,
    #[serde(default)]
    pub security: Vec<IndexMap<String, Vec<String>>>,
    /// Where an operation newer than Polar's document comes from (set by the overrides).
    #[serde(rename = "x-polar-rs-added")]
    pub added: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Parameter {
    pub name: String,
    #[serde(rename = "in")]
    pub location: String,
    pub schema: Schema,
    pub style: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct RequestBody {
    pub content: IndexMap<String, MediaType>,
}

#[derive(Debug, Deserialize)]
pub struct Response {
    #[serde(default)]
    pub content: IndexMap<String, MediaType>,
}

#[derive(Debug, Deserialize)]
pub struct MediaType {
    pub schema: Option<Schema>,
}

impl Schema {
    /// The schema name a `$ref` points to.
    pub fn ref_name(&self) -> Option<&str> {
        self.reference
            .as_deref()
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
    }

    pub fn is_null(&self) -> bool {
        self.ty.as_deref() == Some("null")
    }

    /// `{}`: any JSON value, `null` included.
    pub fn is_any(&self) -> bool {
        self.reference.is_none()
            && self.ty.is_none()
            && self.any_of.is_none()
            && self.one_of.is_none()
            && self.enum_values.is_none()
            && self.const_value.is_none()
            && self.properties.is_none()
            && self.items.is_none()
    }

    /// Splits `anyOf: [X, null]` into `(branches without null, had null)`.
    pub fn nullable_parts(&self) -> (Vec<&Schema>, bool) {
        match &self.any_of {
            Some(branches) => {
                let non_null: Vec<&Schema> = branches.iter().filter(|b| !b.is_null()).collect();
                let nullable = non_null.len() != branches.len();
                (non_null, nullable)
            }
            None => (vec![self], false),
        }
    }
}

/// `additionalProperties: true|false` says nothing about the values' shape; only a schema does.
fn schema_or_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Box<Schema>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Bool(#[allow(dead_code)] bool),
        Schema(Box<Schema>),
    }
    Ok(match Either::deserialize(d)? {
        Either::Bool(_) => None,
        Either::Schema(s) => Some(s),
    })
}
