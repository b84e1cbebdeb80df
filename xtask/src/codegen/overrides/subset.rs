//! What the SDK takes from Polar's document, and what it adds that the document lacks.

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
/// The generator moves them into the schemas under that name.
pub const NAMED_BODIES: &[(&str, &str)] = &[("customer-sessions:create", "CustomerSessionCreate")];

/// Properties the spec snapshot lacks: (schema, property, JSON schema). Seen in Polar's SDKs
/// published in November 2026.
pub fn extra_properties() -> Vec<(&'static str, &'static str, &'static str)> {
    vec![
        (
            "CustomerStateSubscription",
            "seats",
            r#"{"anyOf":[{"type":"integer"},{"type":"null"}]}"#,
        ),
        (
            "CustomerStateSubscription",
            "units",
            r#"{"anyOf":[{"type":"integer"},{"type":"null"}]}"#,
        ),
    ]
}
