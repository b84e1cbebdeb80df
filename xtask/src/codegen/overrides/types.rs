//! How the generated Rust is shaped where the spec's own shapes do not say: names, typed IDs,
//! hand-written types, raw JSON fields, fields that default when missing.

/// Rust names that differ from the generic conversion of the spec's schema name.
pub fn rust_name(schema: &str) -> Option<String> {
    if let Some(item) = list_item(schema) {
        return Some(format!(
            "ListResource<{}>",
            super::super::names::upper_camel(item)
        ));
    }
    Some(
        match schema {
            // Hand-written types the generated code refers to.
            "MetadataOutputType" => "Metadata",
            _ => return None,
        }
        .to_owned(),
    )
}

/// The item schema of a page envelope `ListResource_X_` (written by hand as `ListResource<X>`).
pub fn list_item(schema: &str) -> Option<&str> {
    schema.strip_prefix("ListResource_")?.strip_suffix('_')
}

/// The hand-written type that keeps a variant this SDK does not know, per open union: every
/// customer kind has an `id`, an `organization_id`, `metadata` and a `type`, so they stay typed
/// (and a body without them is no customer: a decode error).
pub fn unknown_variant(union: &str) -> Option<&'static str> {
    match union {
        "Customer" | "CustomerState" => Some("crate::UnknownCustomer"),
        _ => None,
    }
}

/// Schemas that are written by hand (the generator only refers to them).
pub fn is_hand_written(schema: &str) -> bool {
    schema == "MetadataOutputType" || list_item(schema).is_some()
}

/// Fields kept as raw JSON, with an example value for the round-trip instances: the schemas
/// behind them (a meter's recursive event filter and its aggregation, tagged by `func`) are not
/// part of the customer surface, so no type is generated for them (the subset keeps them, so
/// the contract test still checks the fake's meters against them).
pub fn opaque_field(schema: &str, field: &str) -> Option<&'static str> {
    Some(match (schema, field) {
        ("Meter", "filter") => {
            r#"{"conjunction":"and","clauses":[{"property":"name","operator":"eq","value":"api_call"}]}"#
        }
        ("Meter", "aggregation") => r#"{"func":"sum","property":"tokens"}"#,
        _ => return None,
    })
}

/// Which typed ID a UUID field holds.
pub fn id_type(schema: &str, field: &str) -> Option<&'static str> {
    Some(match field {
        "organization_id" => "OrganizationId",
        "default_payment_method_id" => "PaymentMethodId",
        "product_id" => "ProductId",
        "discount_id" => "DiscountId",
        "benefit_id" => "BenefitId",
        "meter_id" => "MeterId",
        "customer_id" => "CustomerId",
        "member_id" => "MemberId",
        "id" => match schema {
            "CustomerIndividual"
            | "CustomerTeam"
            | "CustomerStateIndividual"
            | "CustomerStateTeam" => "CustomerId",
            "CustomerStateSubscription" => "SubscriptionId",
            "CustomerStateBenefitGrant" => "BenefitGrantId",
            "CustomerStateMeter" => "CustomerMeterId",
            "CustomerStateSubscriptionMeter" => "SubscriptionMeterId",
            "Member" => "MemberId",
            "CustomerMeter" | "customer_meters:get" => "CustomerMeterId",
            "Meter" => "MeterId",
            "CustomerSession" => "CustomerSessionId",
            "CustomerPaymentMethodCard" | "CustomerPaymentMethodGeneric" => "PaymentMethodId",
            // Path parameter of the by-ID operations.
            s if s.starts_with("customers:") => "CustomerId",
            _ => return None,
        },
        _ => return None,
    })
}

/// Names of enums the spec writes inline. Both address schemas share one country type.
pub fn inline_enum_name(schema: &str, field: &str) -> Option<&'static str> {
    Some(match (schema, field) {
        ("Address" | "AddressInput", "country") => "CountryCode",
        ("CustomerStateSubscription", "status") => "SubscriptionStatus",
        ("BenefitGrantGitHubRepositoryProperties", "permission") => "GitHubRepositoryPermission",
        // A subset of the member roles: one type for both.
        ("MemberCreateFromCustomer", "role") => "MemberRole",
        _ => return None,
    })
}

/// Names of untagged scalar unions the spec writes inline.
pub fn inline_union_name(schema: &str, field: &str) -> Option<&'static str> {
    Some(match (schema, field) {
        ("ValidationError", "loc") => "LocItem",
        _ => return None,
    })
}

/// Fields typed by hand: (schema, field) -> Rust type.
pub fn field_type(schema: &str, field: &str) -> Option<&'static str> {
    if opaque_field(schema, field).is_some() {
        return Some("::serde_json::Value");
    }
    Some(match (schema, field) {
        (_, "metadata") if schema != "customers:list" => "Metadata",
        (_, "benefit_metadata") => "Metadata",
        ("CustomerStateSubscription", "custom_field_data") => {
            "::std::collections::BTreeMap<String, ::serde_json::Value>"
        }
        ("ValidationError", "ctx") => "::serde_json::Map<String, ::serde_json::Value>",
        // Both let their holder into the customer's portal.
        ("CustomerSession", "token" | "customer_portal_url") => "crate::SecretText",
        _ => return None,
    })
}

/// Required fields that decode to their default when a future API version leaves them out.
/// Only fields whose empty value cannot be mistaken for information are listed.
pub fn default_when_missing(schema: &str, field: &str) -> bool {
    matches!(
        (schema, field),
        (
            _,
            "metadata" | "benefit_metadata" | "custom_field_data" | "meters"
        ) | (
            _,
            "active_subscriptions" | "granted_benefits" | "active_meters"
        )
    ) || matches!(schema, "ValidationError") && field == "loc"
}

/// A field whose shape is chosen by a sibling field.
pub struct SiblingUnion {
    pub schema: &'static str,
    pub field: &'static str,
    pub tag_field: &'static str,
    pub name: &'static str,
    pub doc: &'static str,
    /// (tag value, variant name, schema); tag values not listed fall back to `Other`.
    pub variants: &'static [(&'static str, &'static str, &'static str)],
}

pub const SIBLING_UNIONS: &[SiblingUnion] = &[SiblingUnion {
    schema: "CustomerStateBenefitGrant",
    field: "properties",
    tag_field: "benefit_type",
    name: "BenefitGrantProperties",
    doc: "Details of a benefit grant; which shape applies is decided by the grant's `benefit_type`. \
          Benefit types without a known shape (such as `meter_credit`, or types added later) keep \
          the raw JSON in `Other`.",
    variants: &[
        ("discord", "Discord", "BenefitGrantDiscordProperties"),
        (
            "github_repository",
            "GitHubRepository",
            "BenefitGrantGitHubRepositoryProperties",
        ),
        (
            "downloadables",
            "Downloadables",
            "BenefitGrantDownloadablesProperties",
        ),
        (
            "license_keys",
            "LicenseKeys",
            "BenefitGrantLicenseKeysProperties",
        ),
        ("custom", "Custom", "BenefitGrantCustomProperties"),
        (
            "feature_flag",
            "FeatureFlag",
            "BenefitGrantFeatureFlagProperties",
        ),
        (
            "slack_shared_channel",
            "SlackSharedChannel",
            "BenefitGrantSlackSharedChannelProperties",
        ),
    ],
}];

/// The deep-object metadata filter of a list: written as `metadata[key]=value` pairs by the
/// params type itself, not generated from its schema.
pub fn metadata_filter_param(param: &str) -> bool {
    param == "metadata"
}
