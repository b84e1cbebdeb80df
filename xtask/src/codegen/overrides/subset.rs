//! What the spec subset takes from Polar's document, and what it adds that the document lacks.
//! Everything added is marked `x-polar-rs-added` in the subset, with where it comes from.

use serde_json::{Value, json};

/// The operations the SDK covers, by operationId, in the order the generated code lists them.
/// Each is in Polar's document, or in [`added_operations`].
pub const OPERATIONS: &[&str] = &[
    "customers:list",
    "customers:create",
    "customers:export",
    "customers:get",
    "customers:update",
    "customers:delete",
    "customers:get_external",
    "customers:update_external",
    "customers:delete_external",
    "customers:get_state",
    "customers:get_state_external",
    // Team members, payment methods, customer sessions and customer meters (issue 14).
    "customers:members:create",
    "customers:members:get",
    "customers:members:update",
    "customers:members:delete",
    "customers:members:create_external",
    "customers:members:get_external",
    "customers:members:update_external",
    "customers:members:delete_external",
    // Newer than the document: see added_operations().
    "customers:members:list",
    "customers:members:list_external",
    "customers:list_payment_methods",
    "customers:list_payment_methods_external",
    "customer-sessions:create",
    "customer_meters:list",
    "customer_meters:get",
];

/// Request bodies the spec writes inline as a union: (operation, name given to the union).
/// The subset moves them into the schemas under that name, so they are generated like any other.
pub const NAMED_BODIES: &[(&str, &str)] = &[("customer-sessions:create", "CustomerSessionCreate")];

/// Where the properties and operations below were seen: the `x-polar-rs-added` value that
/// marks them in the subset.
pub const ADDED_FROM: &str = "Polar's official SDKs of November 2026 (polar-sdk 1.0.2, \
     @polar-sh/sdk 1.0.1, module 2026-10); not in Polar's OpenAPI document";

/// Properties the document lacks: (schema, property, JSON schema).
pub fn extra_properties() -> Vec<(&'static str, &'static str, Value)> {
    let count = json!({"anyOf": [{"type": "integer"}, {"type": "null"}]});
    vec![
        ("CustomerStateSubscription", "seats", count.clone()),
        ("CustomerStateSubscription", "units", count),
    ]
}

/// An operation Polar serves that is newer than the document.
pub struct AddedOperation {
    pub path: &'static str,
    /// Lower case, as OpenAPI writes it.
    pub method: &'static str,
    pub operation: Value,
}

/// Listing the members of one customer, by Polar ID or by external ID. Both SDKs send `role`,
/// `page`, `limit` and `sorting` (default `-created_at`, values of the document's
/// `MemberSortProperty`), read a `ListResource[Member]`, and map 404 (customer not found) and
/// 422, plus 409 (`AmbiguousExternalCustomerID`) by external ID, as for the member routes the
/// document has.
pub fn added_operations() -> Vec<AddedOperation> {
    let list = |id: &str, customer: Value, external: bool| {
        let schema = |name: &str| json!({"$ref": format!("#/components/schemas/{name}")});
        let answer = |what: &str, name: &str| json!({"description": what, "content": {"application/json": {"schema": schema(name)}}});
        let mut responses = serde_json::Map::new();
        responses.insert(
            "200".into(),
            answer(
                "One page of the customer's members.",
                "ListResource_Member_",
            ),
        );
        responses.insert(
            "404".into(),
            answer("Customer not found.", "ResourceNotFound"),
        );
        if external {
            let ambiguous = "The external ID names customers of several organizations.";
            responses.insert(
                "409".into(),
                answer(ambiguous, "AmbiguousExternalCustomerID"),
            );
        }
        responses.insert(
            "422".into(),
            answer("Validation Error", "HTTPValidationError"),
        );
        let scopes = json!(["members:read", "members:write"]);
        json!({
            "operationId": id,
            "security": [{"oidc": scopes}, {"pat": scopes}, {"oat": scopes}],
            "parameters": [
                customer,
                {"name": "role", "in": "query", "required": false,
                 "schema": {"anyOf": [schema("MemberRole"), {"type": "null"}]}},
                {"name": "page", "in": "query", "required": false,
                 "schema": {"type": "integer", "exclusiveMinimum": 0, "default": 1}},
                {"name": "limit", "in": "query", "required": false,
                 "schema": {"type": "integer", "exclusiveMinimum": 0, "default": 10}},
                {"name": "sorting", "in": "query", "required": false,
                 "schema": {
                     "anyOf": [{"type": "array", "items": schema("MemberSortProperty")}, {"type": "null"}],
                     "default": ["-created_at"]
                 }}
            ],
            "responses": responses,
        })
    };
    vec![
        AddedOperation {
            path: "/v1/customers/{id}/members",
            method: "get",
            operation: list(
                "customers:members:list",
                json!({"name": "id", "in": "path", "required": true,
                       "schema": {"type": "string", "format": "uuid4"}}),
                false,
            ),
        },
        AddedOperation {
            path: "/v1/customers/external/{external_id}/members",
            method: "get",
            operation: list(
                "customers:members:list_external",
                json!({"name": "external_id", "in": "path", "required": true,
                       "schema": {"type": "string"}}),
                true,
            ),
        },
    ]
}
