//! One params type per operation: its path, query and body values, its route (method, template,
//! `path()`), its query pairs (empty when it has no query), its JSON body (`JsonBody`, `NoBody`
//! when it has none) and its input checks.

use std::collections::BTreeSet;
use std::fmt::Write;

use super::{Emitter, docs::describe_rust};
use crate::codegen::{Op, names, overrides};

/// Where a params field goes in the request.
#[derive(PartialEq)]
enum Place {
    Path,
    Query,
    Body,
}

struct ParamField {
    /// JSON / URL name.
    json: String,
    rust: String,
    ty: String,
    place: Place,
    doc: String,
}

/// What one operation's params type holds and does.
#[derive(Default)]
struct Params {
    fields: Vec<ParamField>,
    /// Statements of `validate()`.
    checks: Vec<String>,
    /// Statements of `query_pairs()`.
    pairs: Vec<String>,
}

impl Params {
    fn field(&mut self, json: String, rust: String, ty: String, place: Place, doc: String) {
        self.fields.push(ParamField {
            json,
            rust,
            ty,
            place,
            doc,
        });
    }
}

impl Emitter<'_> {
    pub(super) fn params(&mut self) -> Result<String, String> {
        let mut out = String::from("#[allow(unused_imports)]\nuse crate::*;\n\n");
        let api = self.api;
        for op in &api.operations {
            let params = self.params_of(op)?;
            let id = &op.op.operation_id;
            let rust = params_type(id);
            let defaultable = params.fields.iter().all(|f| f.place == Place::Query);
            out.push_str(&self.params_doc(op));
            writeln!(
                out,
                "#[derive(Clone, Debug, PartialEq{})]\npub struct {rust} {{",
                if defaultable { ", Default" } else { "" }
            )
            .unwrap();
            for f in &params.fields {
                writeln!(out, "    /// {}\n    pub {}: {},", f.doc, f.rust, f.ty).unwrap();
            }
            out.push_str("}\n\n");
            writeln!(out, "impl {rust} {{").unwrap();
            writeln!(out, "    /// This operation in the table of routes.\n    pub const ROUTE: Route = Route::{};", route_variant(id)).unwrap();
            writeln!(
                out,
                "    /// HTTP method.\n    pub const METHOD: ::http::Method = ::http::Method::{};",
                op.method
            )
            .unwrap();
            writeln!(out, "    /// Path template; `{{name}}` marks a path parameter, filled in by [`path`](Self::path).\n    pub const PATH: &'static str = {:?};", op.path).unwrap();
            writeln!(out, "    /// The operation's ID in Polar's API document.\n    pub const OPERATION_ID: &'static str = {id:?};").unwrap();
            out.push_str(&path_fn(op, &params.fields)?);
            // Every params type has `query_pairs()` and a `JsonBody` impl, so the SDK sends
            // both for every operation without being told which have any.
            if params.pairs.is_empty() {
                out.push_str("\n    /// The query string as (name, value) pairs: this operation has no query, so none.\n    pub fn query_pairs(&self) -> Vec<(String, String)> {\n        Vec::new()\n    }\n");
            } else {
                out.push_str("\n    /// The query string as (name, value) pairs, unencoded, in a stable order.\n    pub fn query_pairs(&self) -> Vec<(String, String)> {\n        let mut out = Vec::new();\n");
                for p in &params.pairs {
                    writeln!(out, "        {p}").unwrap();
                }
                out.push_str("        out\n    }\n");
            }
            out.push_str("}\n\n");
            out.push_str(&json_body_impl(&rust, &params.fields));
            writeln!(out, "impl crate::Validate for {rust} {{\n    fn validate(&self) -> Result<(), crate::InputError> {{").unwrap();
            for c in &params.checks {
                writeln!(out, "        {c}").unwrap();
            }
            out.push_str("        Ok(())\n    }\n}\n\n");
        }
        Ok(out)
    }

    /// The fields, checks and query pairs of one operation's params.
    fn params_of(&mut self, op: &Op) -> Result<Params, String> {
        let id = op.op.operation_id.as_str();
        let mut out = Params::default();
        for p in &op.op.parameters {
            let rust = names::field(&p.name);
            let json = p.name.clone();
            match p.location.as_str() {
                "path" => {
                    let ty = self.resolve_single(id, &p.name, &p.schema)?;
                    if ty == "String" {
                        out.checks.push(format!(
                            "crate::validate::check_not_empty({json:?}, &self.{rust})?;"
                        ));
                    }
                    let doc = format!("Path parameter `{{{json}}}` ({}).", describe_rust(&ty));
                    out.field(json, rust, ty, Place::Path, doc);
                }
                "query"
                    if overrides::metadata_filter_param(&p.name)
                        && p.style.as_deref() == Some("deepObject") =>
                {
                    out.pairs.push(format!("for (k, v) in &self.{rust} {{ out.push((format!(\"metadata[{{k}}]\"), v.clone())); }}"));
                    out.checks.push(format!("for (k, _) in &self.{rust} {{ crate::validate::check_not_empty(\"metadata\", k)?; }}"));
                    let doc = "Metadata filters as (key, value) pairs, sent as `metadata[key]=value`; repeating a key matches any of its values, different keys must all match.".to_owned();
                    out.field(
                        json,
                        rust,
                        "Vec<(String, String)>".into(),
                        Place::Query,
                        doc,
                    );
                }
                "query" => {
                    let (branches, _) = p.schema.nullable_parts();
                    let default = p
                        .schema
                        .default
                        .as_ref()
                        .or(branches.first().and_then(|b| b.default.as_ref()))
                        .map(|d| format!("; Polar's default is `{d}`"))
                        .unwrap_or_default();
                    if let Some(arr) = branches.iter().find(|b| b.ty.as_deref() == Some("array")) {
                        let items = arr.items.as_deref().ok_or("array without items")?;
                        let ty = self.resolve_single(id, &p.name, items)?;
                        out.pairs.push(format!("for v in &self.{rust} {{ out.push(({json:?}.to_owned(), v.to_string())); }}"));
                        let doc = format!(
                            "Query parameter `{json}`, repeated once per value ({}){default}; empty sends nothing.",
                            describe_rust(&ty)
                        );
                        out.field(json, rust, format!("Vec<{ty}>"), Place::Query, doc);
                        continue;
                    }
                    let b = branches.first().ok_or("empty parameter schema")?;
                    let mut ty = self.resolve_single(id, &p.name, b)?;
                    let min = b
                        .exclusive_minimum
                        .map(|m| m as i64 + 1)
                        .or(b.minimum.map(|m| m as i64));
                    // A count that cannot be negative (`page`, `limit`) is typed so.
                    if ty == "i64" && min.is_some_and(|m| m >= 0) {
                        ty = "u32".to_owned();
                    }
                    let mut doc = format!("Query parameter `{json}` ({})", describe_rust(&ty));
                    if let Some(min) = min {
                        write!(doc, ", at least {min}").unwrap();
                        out.checks.push(format!("if let Some(v) = self.{rust} {{ crate::validate::check_min({json:?}, i64::from(v), {min})?; }}"));
                    }
                    doc.push_str(&default);
                    if ty == "String" {
                        out.checks.push(format!("if let Some(v) = &self.{rust} {{ crate::validate::check_str({json:?}, v, None, None)?; }}"));
                    }
                    doc.push_str("; `None` sends nothing.");
                    out.pairs.push(format!("if let Some(v) = &self.{rust} {{ out.push(({json:?}.to_owned(), v.to_string())); }}"));
                    out.field(json, rust, format!("Option<{ty}>"), Place::Query, doc);
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
            let ty = self.resolve_single(id, "body", s)?;
            out.checks
                .push("crate::Validate::validate(&self.body)?;".into());
            let doc = format!("The JSON request body ([`{ty}`]).");
            out.field("body".into(), "body".into(), ty, Place::Body, doc);
        }
        Ok(out)
    }

    /// Doc: what the operation does, its route, scopes and answers, and where it comes from
    /// when Polar's document lacks it.
    fn params_doc(&self, op: &Op) -> String {
        let id = &op.op.operation_id;
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
                        Some(n) => match overrides::list_item(n) {
                            Some(item) => format!(
                                " [`ListResource`](crate::ListResource) of [`{}`]",
                                Self::type_name(item)
                            ),
                            None => format!(" [`{}`]", Self::type_name(n)),
                        },
                        None => format!(" `{media}`"),
                    }
                });
                format!("{code}{}", what.unwrap_or_default())
            })
            .collect();
        let mut out = format!(
            "/// Parameters of `{id}`: {}\n///\n/// `{} {}`; scopes: {}; answers: {}.\n",
            overrides::operation_doc(id),
            op.method,
            op.path,
            scopes
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(" or "),
            answers.join(", ")
        );
        if let Some(source) = &op.op.added {
            writeln!(
                out,
                "///\n/// Newer than Polar's API document: the generator's overrides add this route, as seen in {source}."
            )
            .unwrap();
        }
        out
    }
}

/// `JsonBody` (and `JsonBodyMut` when the operation sends a body) for one params type.
fn json_body_impl(rust: &str, fields: &[ParamField]) -> String {
    match fields.iter().find(|f| f.place == Place::Body) {
        Some(body) => format!(
            "impl crate::JsonBody for {rust} {{\n    type Body = {ty};\n    fn json_body(&self) -> Option<&{ty}> {{\n        Some(&self.{field})\n    }}\n}}\n\nimpl crate::JsonBodyMut for {rust} {{\n    fn json_body_mut(&mut self) -> &mut {ty} {{\n        &mut self.{field}\n    }}\n}}\n\n",
            ty = body.ty,
            field = body.rust,
        ),
        None => format!(
            "impl crate::JsonBody for {rust} {{\n    type Body = crate::NoBody;\n    fn json_body(&self) -> Option<&crate::NoBody> {{\n        None\n    }}\n}}\n\n"
        ),
    }
}

/// The Rust name of an operation's params type.
pub(super) fn params_type(operation_id: &str) -> String {
    format!("{}Params", route_variant(operation_id))
}

/// The `Route` variant of an operation.
pub(super) fn route_variant(operation_id: &str) -> String {
    names::upper_camel(operation_id)
}

/// `path()`: the template with each path parameter filled in as one percent-encoded segment.
fn path_fn(op: &Op, fields: &[ParamField]) -> Result<String, String> {
    let id = &op.op.operation_id;
    let doc = "\n    /// The path of this request: [`PATH`](Self::PATH) with each path parameter filled in as\n    /// exactly one segment, percent-encoded as [`encode_segment`](crate::encode_segment) does.\n";
    let path_params: Vec<&ParamField> = fields.iter().filter(|f| f.place == Place::Path).collect();
    if path_params.is_empty() {
        return Ok(format!(
            "{doc}    pub fn path(&self) -> String {{\n        Self::PATH.to_owned()\n    }}\n"
        ));
    }
    let mut body = String::new();
    let mut filled = 0;
    let mut rest = op.path.as_str();
    while let Some(open) = rest.find('{') {
        let close = rest[open..]
            .find('}')
            .map(|c| open + c)
            .ok_or_else(|| format!("{id}: unclosed `{{` in {}", op.path))?;
        if open > 0 {
            writeln!(body, "        path.push_str({:?});", &rest[..open]).unwrap();
        }
        let name = &rest[open + 1..close];
        let f = path_params
            .iter()
            .find(|f| f.json == name)
            .ok_or_else(|| format!("{id}: {{{name}}} in {} is not a path parameter", op.path))?;
        writeln!(
            body,
            "        crate::path::push_segment(&mut path, &self.{});",
            f.rust
        )
        .unwrap();
        filled += 1;
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        writeln!(body, "        path.push_str({rest:?});").unwrap();
    }
    if filled != path_params.len() {
        return Err(format!(
            "{id}: {} names {filled} path parameters, the operation has {}",
            op.path,
            path_params.len()
        ));
    }
    let empty_note = if path_params.iter().any(|f| f.ty == "String") {
        "    ///\n    /// An empty text parameter cannot be a segment: [`validate`](crate::Validate::validate) refuses it,\n    /// so validate before sending.\n"
    } else {
        ""
    };
    Ok(format!(
        "{doc}{empty_note}    pub fn path(&self) -> String {{\n        let mut path = String::with_capacity(Self::PATH.len() + 40);\n{body}        path\n    }}\n"
    ))
}
