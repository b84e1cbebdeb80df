//! Polar's full OpenAPI document in, the part this SDK covers out: the spec subset committed at
//! [`SUBSET_PATH`], from which the code is generated and which the tests read.
//!
//! The subset is itself an OpenAPI 3.1 document:
//! - `info.version`: the API version (sent as `Polar-Version`);
//! - `paths`: the operations of [`overrides::OPERATIONS`], plus [`overrides::added_operations`];
//! - `components.schemas`: every schema those operations reach, in the document's order;
//! - `webhooks`: every event type Polar documents (names only: the payloads are not covered);
//! - what the overrides add (operations, properties, named bodies) marked `x-polar-rs-added`.
//!
//! Facts carry over (names, types, limits, required keys, defaults, status codes, scopes);
//! Polar's prose (descriptions, titles, examples, code samples, vendor extensions) does not.
//! Deriving the subset from the subset gives the subset again.

use std::collections::BTreeSet;

use super::{
    json::{Json, Object},
    overrides,
};

/// Where the subset lives, relative to the workspace root: outside every published crate.
pub const SUBSET_PATH: &str = "spec/polar-openapi-subset.json";

/// The `x-polar-rs-added` marker of what the overrides add.
const ADDED: &str = "x-polar-rs-added";

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "options", "head", "trace",
];

/// Where a document came from, recorded in the subset's `info`.
pub struct Source {
    pub sha256: String,
    pub bytes: usize,
}

/// Derives the subset from `full` (Polar's document, or an earlier subset).
pub fn derive(full: &Json, source: Source) -> Result<Json, String> {
    let version = full
        .at(&["info", "version"])
        .and_then(Json::as_str)
        .ok_or("the document has no `info.version` (the API version)")?;
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!(
            "`info.version` {version:?} cannot be sent as the `Polar-Version` header"
        ));
    }
    let mut schemas = full
        .at(&["components", "schemas"])
        .and_then(Json::as_object)
        .cloned()
        .ok_or("the document has no `components.schemas`")?;
    let mut paths = covered_paths(full)?;
    name_inline_bodies(&mut paths, &mut schemas)?;
    add_properties(&mut schemas)?;

    // Every schema the operations reach, in the document's order.
    let mut reached = BTreeSet::new();
    let mut todo = Vec::new();
    for item in paths.values() {
        refs(item, &mut todo);
    }
    while let Some(name) = todo.pop() {
        if reached.insert(name.clone()) {
            let s = schemas
                .get(&name)
                .ok_or_else(|| format!("dangling $ref to schema {name}"))?;
            refs(s, &mut todo);
        }
    }
    let kept: Object = schemas
        .iter()
        .filter(|(name, _)| reached.contains(*name))
        .map(|(name, s)| (name.clone(), strip_schema(s)))
        .collect();

    // The security schemes the operations name.
    let mut named = BTreeSet::new();
    for op in paths
        .values()
        .filter_map(Json::as_object)
        .flat_map(|m| m.values())
    {
        for requirement in op.get("security").into_iter().flat_map(array) {
            named.extend(
                requirement
                    .as_object()
                    .into_iter()
                    .flat_map(|r| r.keys().cloned()),
            );
        }
    }
    let security: Object = full
        .at(&["components", "securitySchemes"])
        .and_then(Json::as_object)
        .into_iter()
        .flatten()
        .filter(|(name, _)| named.contains(*name))
        .map(|(name, s)| (name.clone(), without(s, &["description"])))
        .collect();
    if let Some(missing) = named.iter().find(|n| !security.contains_key(*n)) {
        return Err(format!(
            "operations name the unknown security scheme {missing}"
        ));
    }

    let webhooks: Object = full
        .get("webhooks")
        .and_then(Json::as_object)
        .ok_or("the document has no `webhooks` (the event list)")?
        .keys()
        .map(|event| (event.clone(), Json::object()))
        .collect();

    let servers: Vec<Json> = full
        .get("servers")
        .map(array)
        .unwrap_or_default()
        .iter()
        .map(|s| only(s, &["url", "x-polar-environment"]))
        .collect();

    let source = match full.at(&["info", "x-polar-rs-source"]) {
        // A subset keeps the origin of the document it was derived from.
        Some(kept) => kept.clone(),
        None => object([
            ("sha256", Json::string(source.sha256)),
            ("bytes", Json::Number(source.bytes.into())),
        ]),
    };
    let info = object([
        (
            "title",
            Json::string("Polar API: the operations polar-rs covers"),
        ),
        ("version", Json::string(version)),
        (
            "description",
            Json::string(
                "Derived from Polar's OpenAPI document by `cargo xtask codegen --spec <document>`; \
                 do not edit. It keeps the operations the SDK covers, every schema they reach and \
                 the webhook event types, without Polar's prose. What the generator's overrides \
                 add is marked `x-polar-rs-added`.",
            ),
        ),
        ("x-polar-rs-source", source),
    ]);
    Ok(object([
        (
            "openapi",
            full.get("openapi")
                .cloned()
                .unwrap_or(Json::string("3.1.0")),
        ),
        ("info", info),
        ("servers", Json::Array(servers)),
        ("paths", Json::Object(paths)),
        ("webhooks", Json::Object(webhooks)),
        (
            "components",
            object([
                ("schemas", Json::Object(kept)),
                ("securitySchemes", Json::Object(security)),
            ]),
        ),
    ]))
}

/// The covered operations, stripped, under their paths (document order), with the added ones.
fn covered_paths(full: &Json) -> Result<Object, String> {
    let wanted: BTreeSet<&str> = overrides::OPERATIONS.iter().copied().collect();
    let added = overrides::added_operations();
    let mut found = BTreeSet::new();
    let mut paths = Object::new();
    let all = full
        .get("paths")
        .and_then(Json::as_object)
        .ok_or("the document has no `paths`")?;
    for (path, item) in all {
        for (method, op) in item.as_object().into_iter().flatten() {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            let Some(id) = op.get("operationId").and_then(Json::as_str) else {
                continue;
            };
            let ours = added.iter().find(|a| a.path == path && a.method == method);
            match (ours, op.get(ADDED)) {
                // Added by an earlier run: replaced below by the current override.
                (Some(_), Some(_)) => continue,
                (Some(_), None) => {
                    return Err(format!(
                        "Polar's document now has {} {path} ({id}): remove it from the added \
                         operations in xtask/src/codegen/overrides/subset.rs",
                        method.to_uppercase()
                    ));
                }
                (None, _) => {}
            }
            if !wanted.contains(id) {
                continue;
            }
            if !found.insert(id.to_owned()) {
                return Err(format!("operation {id} appears twice"));
            }
            slot(&mut paths, path).insert(method.clone(), strip_operation(op));
        }
    }
    for a in added {
        let mut op = Json::from(a.operation);
        let id = op
            .get("operationId")
            .and_then(Json::as_str)
            .ok_or("an added operation has no operationId")?
            .to_owned();
        if !wanted.contains(id.as_str()) || !found.insert(id.clone()) {
            return Err(format!(
                "added operation {id}: list it once in OPERATIONS, and not as one of Polar's"
            ));
        }
        if let Some(o) = op.as_object_mut() {
            o.insert(ADDED.to_owned(), Json::string(overrides::ADDED_FROM));
        }
        slot(&mut paths, a.path).insert(a.method.to_owned(), op);
    }
    let missing: Vec<&str> = overrides::OPERATIONS
        .iter()
        .copied()
        .filter(|id| !found.contains(*id))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "operations not in the document: {}",
            missing.join(", ")
        ));
    }
    Ok(paths)
}

fn slot<'a>(paths: &'a mut Object, path: &str) -> &'a mut Object {
    paths
        .entry(path.to_owned())
        .or_insert_with(Json::object)
        .as_object_mut()
        .expect("a path item is an object")
}

/// Moves the inline bodies of [`overrides::NAMED_BODIES`] into the schemas under their name.
fn name_inline_bodies(paths: &mut Object, schemas: &mut Object) -> Result<(), String> {
    for (id, name) in overrides::NAMED_BODIES {
        let op = paths
            .values_mut()
            .filter_map(Json::as_object_mut)
            .flat_map(|m| m.values_mut())
            .find(|op| op.get("operationId").and_then(Json::as_str) == Some(*id))
            .ok_or_else(|| format!("a named body names the unknown operation {id}"))?;
        let slot = op
            .as_object_mut()
            .and_then(|o| o.get_mut("requestBody"))
            .and_then(|b| b.as_object_mut())
            .and_then(|b| b.get_mut("content"))
            .and_then(|c| c.as_object_mut())
            .and_then(|c| c.get_mut("application/json"))
            .and_then(|m| m.as_object_mut())
            .and_then(|m| m.get_mut("schema"))
            .ok_or_else(|| format!("operation {id} has no JSON body"))?;
        let reference = format!("#/components/schemas/{name}");
        if slot.get("$ref").and_then(Json::as_str) == Some(reference.as_str()) {
            continue; // named by an earlier run
        }
        if schemas.contains_key(*name) {
            return Err(format!(
                "the document has a schema {name} now: name the body of {id} otherwise"
            ));
        }
        let mut inline = std::mem::replace(slot, object([("$ref", Json::string(reference))]));
        if let Some(o) = inline.as_object_mut() {
            o.insert(
                ADDED.to_owned(),
                Json::string("name given to an inline request body"),
            );
        }
        schemas.insert((*name).to_owned(), inline);
    }
    Ok(())
}

/// Adds [`overrides::extra_properties`] to their schemas.
fn add_properties(schemas: &mut Object) -> Result<(), String> {
    for (schema, prop, json) in overrides::extra_properties() {
        let props = schemas
            .get_mut(schema)
            .and_then(Json::as_object_mut)
            .ok_or_else(|| format!("an added property names the unknown schema {schema}"))?
            .entry("properties".to_owned())
            .or_insert_with(Json::object)
            .as_object_mut()
            .ok_or_else(|| format!("{schema}.properties is not an object"))?;
        if props.get(prop).is_some_and(|p| p.get(ADDED).is_none()) {
            return Err(format!(
                "Polar's document now has {schema}.{prop}: remove it from the added properties \
                 in xtask/src/codegen/overrides/subset.rs"
            ));
        }
        let mut json = Json::from(json);
        if let Some(o) = json.as_object_mut() {
            o.insert(ADDED.to_owned(), Json::string(overrides::ADDED_FROM));
        }
        props.insert(prop.to_owned(), json);
    }
    Ok(())
}

/// Names of the schemas `v` refers to, anywhere inside it.
fn refs(v: &Json, out: &mut Vec<String>) {
    match v {
        Json::Object(o) => {
            for (k, child) in o {
                match (k.as_str(), child) {
                    ("$ref", Json::String(r)) => {
                        if let Some(name) = r.strip_prefix("#/components/schemas/") {
                            out.push(name.to_owned());
                        }
                    }
                    _ => refs(child, out),
                }
            }
        }
        Json::Array(a) => a.iter().for_each(|c| refs(c, out)),
        _ => {}
    }
}

/// An operation with its facts only.
fn strip_operation(op: &Json) -> Json {
    let Some(o) = op.as_object() else {
        return op.clone();
    };
    let mut out = Object::new();
    for (k, v) in o {
        let kept = match k.as_str() {
            "operationId" | "security" | "deprecated" | ADDED => v.clone(),
            "parameters" => Json::Array(
                array(v)
                    .iter()
                    .map(|p| {
                        let mut p = only(
                            p,
                            &[
                                "name",
                                "in",
                                "required",
                                "deprecated",
                                "style",
                                "explode",
                                "schema",
                            ],
                        );
                        if let Some(s) = p.as_object_mut().and_then(|p| p.get_mut("schema")) {
                            *s = strip_schema(s);
                        }
                        p
                    })
                    .collect(),
            ),
            "requestBody" => {
                let mut body = only(v, &["required", "content"]);
                strip_content(&mut body);
                body
            }
            "responses" => Json::Object(
                v.as_object()
                    .into_iter()
                    .flatten()
                    .map(|(status, r)| {
                        // OpenAPI requires a response's `description`: Polar's is a short label
                        // of the outcome ("Customer not found."), kept as such.
                        let mut r = only(r, &["description", "content"]);
                        strip_content(&mut r);
                        (status.clone(), r)
                    })
                    .collect(),
            ),
            _ => continue,
        };
        out.insert(k.clone(), kept);
    }
    Json::Object(out)
}

/// `content.<media type>` keeps its `schema` only.
fn strip_content(holder: &mut Json) {
    let Some(content) = holder
        .as_object_mut()
        .and_then(|h| h.get_mut("content"))
        .and_then(Json::as_object_mut)
    else {
        return;
    };
    for media in content.values_mut() {
        *media = only(media, &["schema"]);
        if let Some(s) = media.as_object_mut().and_then(|m| m.get_mut("schema")) {
            *s = strip_schema(s);
        }
    }
}

/// A JSON Schema without its annotations (descriptions, titles, examples, vendor extensions).
fn strip_schema(s: &Json) -> Json {
    let Some(o) = s.as_object() else {
        return s.clone();
    };
    let mut out = Object::new();
    for (k, v) in o {
        let kept = match k.as_str() {
            "description" | "title" | "examples" | "example" | "$comment" => continue,
            ADDED => v.clone(),
            x if x.starts_with("x-") => continue,
            // Maps from names to schemas: the names are data, not annotations.
            "properties" | "patternProperties" | "$defs" | "dependentSchemas" => Json::Object(
                v.as_object()
                    .into_iter()
                    .flatten()
                    .map(|(name, s)| (name.clone(), strip_schema(s)))
                    .collect(),
            ),
            "anyOf" | "oneOf" | "allOf" | "prefixItems" => {
                Json::Array(array(v).iter().map(strip_schema).collect())
            }
            "items"
            | "additionalProperties"
            | "not"
            | "propertyNames"
            | "contains"
            | "if"
            | "then"
            | "else"
            | "unevaluatedProperties"
            | "unevaluatedItems" => strip_schema(v),
            _ => v.clone(),
        };
        out.insert(k.clone(), kept);
    }
    Json::Object(out)
}

fn array(v: &Json) -> Vec<Json> {
    match v {
        Json::Array(a) => a.clone(),
        _ => Vec::new(),
    }
}

/// `v` with only the listed keys (in `v`'s order).
fn only(v: &Json, keys: &[&str]) -> Json {
    match v.as_object() {
        Some(o) => Json::Object(
            o.iter()
                .filter(|(k, _)| keys.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        None => v.clone(),
    }
}

/// `v` without the listed keys.
fn without(v: &Json, keys: &[&str]) -> Json {
    match v.as_object() {
        Some(o) => Json::Object(
            o.iter()
                .filter(|(k, _)| !keys.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        None => v.clone(),
    }
}

fn object<const N: usize>(members: [(&str, Json); N]) -> Json {
    Json::Object(
        members
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMITTED: &str = include_str!("../../../spec/polar-openapi-subset.json");

    fn committed() -> Json {
        serde_json::from_str(COMMITTED).unwrap()
    }

    fn source() -> Source {
        Source {
            sha256: "not used for a subset".into(),
            bytes: 0,
        }
    }

    #[test]
    fn deriving_the_subset_from_itself_changes_nothing() {
        let again = derive(&committed(), source()).unwrap();
        let mut text = serde_json::to_string_pretty(&again).unwrap();
        text.push('\n');
        assert!(
            text == COMMITTED,
            "the committed subset is not a fixed point"
        );
    }

    #[test]
    fn an_added_operation_polar_now_documents_is_refused_with_the_override_to_remove() {
        let mut doc = committed();
        let members = doc
            .as_object_mut()
            .and_then(|d| d.get_mut("paths"))
            .and_then(Json::as_object_mut)
            .and_then(|p| p.get_mut("/v1/customers/{id}/members"))
            .and_then(Json::as_object_mut)
            .unwrap();
        // Polar's own version of the route: no `x-polar-rs-added`.
        let ours = members
            .get_mut("get")
            .and_then(Json::as_object_mut)
            .unwrap();
        ours.shift_remove(ADDED).unwrap();
        let err = derive(&doc, source()).unwrap_err();
        assert!(err.contains("GET /v1/customers/{id}/members"), "{err}");
        assert!(err.contains("overrides/subset.rs"), "{err}");
    }

    #[test]
    fn a_missing_operation_is_named() {
        let mut doc = committed();
        let paths = doc
            .as_object_mut()
            .and_then(|d| d.get_mut("paths"))
            .and_then(Json::as_object_mut)
            .unwrap();
        paths.shift_remove("/v1/customer-meters/{id}").unwrap();
        let err = derive(&doc, source()).unwrap_err();
        assert!(err.contains("customer_meters:get"), "{err}");
    }

    #[test]
    fn annotations_go_and_properties_of_the_same_name_stay() {
        let schema: Json = serde_json::from_str(
            r#"{"type":"object","title":"T","description":"prose","x-vendor":1,
                "properties":{"description":{"type":"string","description":"prose","maxLength":5},
                              "title":{"anyOf":[{"type":"string","examples":["x"]},{"type":"null"}]}},
                "required":["description"]}"#,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&strip_schema(&schema)).unwrap(),
            r#"{"type":"object","properties":{"description":{"type":"string","maxLength":5},"title":{"anyOf":[{"type":"string"},{"type":"null"}]}},"required":["description"]}"#
        );
    }
}
