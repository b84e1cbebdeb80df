//! What the spec subset takes from Polar's document, and what it adds that the document lacks.
//! Everything added is marked `x-polar-rs-added` in the subset, with where it comes from.

use serde_json::{Value, json};

/// The operations the SDK covers, by operationId, in the order the generated code lists them.
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
    "customers:list_payment_methods",
    "customers:list_payment_methods_external",
    "customer-sessions:create",
    "customer_meters:list",
    "customer_meters:get",
];

/// Request bodies the spec writes inline as a union: (operation, name given to the union).
/// The subset moves them into the schemas under that name, so they are generated like any other.
pub const NAMED_BODIES: &[(&str, &str)] = &[("customer-sessions:create", "CustomerSessionCreate")];

/// Where the properties below were seen: the `x-polar-rs-added` value that marks them in the
/// subset.
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
