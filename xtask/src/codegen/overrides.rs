//! Facts the generator needs that the spec snapshot does not state (or states in a way Rust
//! cannot use directly), and the doc lines we write ourselves. The spec's own description
//! sentences are never copied into the generated code.

/// The operations of the SDK's seed, by operationId.
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
];

/// One line of documentation per operation, in our words.
pub fn operation_doc(op: &str) -> &'static str {
    match op {
        "customers:list" => "Lists the customers of one or more organizations, one page at a time.",
        "customers:create" => "Creates a customer (an individual unless `type` says team).",
        "customers:export" => "Exports every customer as one CSV document.",
        "customers:get" => "Fetches one customer by its Polar ID.",
        "customers:update" => {
            "Changes the fields present in the body of a customer found by Polar ID."
        }
        "customers:delete" => {
            "Soft-deletes a customer found by Polar ID, optionally anonymizing it."
        }
        "customers:get_external" => "Fetches one customer by the merchant's external ID.",
        "customers:update_external" => {
            "Changes the fields present in the body of a customer found by external ID."
        }
        "customers:delete_external" => {
            "Soft-deletes a customer found by external ID, optionally anonymizing it."
        }
        "customers:get_state" => {
            "Fetches a customer with its active subscriptions, granted benefits and meters, by Polar ID."
        }
        "customers:get_state_external" => {
            "Fetches a customer with its active subscriptions, granted benefits and meters, by external ID."
        }
        _ => "",
    }
}

/// Rust names that differ from the generic conversion of the spec's schema name.
pub fn rust_name(schema: &str) -> Option<&'static str> {
    Some(match schema {
        // Hand-written types the generated code refers to.
        "MetadataOutputType" => "Metadata",
        "ListResource_Customer_" => "ListResource<Customer>",
        _ => return None,
    })
}

/// Schemas that are written by hand (the generator only refers to them).
pub fn is_hand_written(schema: &str) -> bool {
    matches!(schema, "MetadataOutputType" | "ListResource_Customer_")
}

/// One doc line per schema, in our words.
pub fn schema_doc(schema: &str) -> &'static str {
    match schema {
        "Address" => "A postal address as Polar returns it.",
        "AddressInput" => "A postal address to send to Polar; the country is required.",
        "BenefitGrantCustomProperties" => "Grant details of a custom benefit (none today).",
        "BenefitGrantDiscordProperties" => {
            "Grant details of a Discord benefit: the account, guild and role."
        }
        "BenefitGrantDownloadablesProperties" => {
            "Grant details of a downloadables benefit: the files granted."
        }
        "BenefitGrantFeatureFlagProperties" => {
            "Grant details of a feature-flag benefit (none today)."
        }
        "BenefitGrantGitHubRepositoryProperties" => {
            "Grant details of a GitHub repository benefit: the account, repository and permission."
        }
        "BenefitGrantLicenseKeysProperties" => {
            "Grant details of a license-keys benefit: the key issued."
        }
        "BenefitGrantSlackSharedChannelProperties" => {
            "Grant details of a Slack shared-channel benefit: the invitation and channel."
        }
        "BenefitType" => "The kind of a benefit.",
        "Customer" => {
            "A customer, either an individual or a team; a kind this SDK does not know is kept as raw JSON."
        }
        "CustomerCreate" => "Body of a create request: an individual or a team customer.",
        "CustomerIndividual" => "A customer who is one person; the email address is always set.",
        "CustomerIndividualCreate" => "Body for creating an individual customer.",
        "CustomerSortProperty" => {
            "A sort key for listing customers; the `Desc` variants sort descending."
        }
        "CustomerState" => {
            "A customer together with what it currently has: subscriptions, benefits and meters."
        }
        "CustomerStateBenefitGrant" => "A benefit currently granted to the customer.",
        "CustomerStateIndividual" => "The state of an individual customer.",
        "CustomerStateMeter" => {
            "A usage meter of the customer with its consumed and credited units."
        }
        "CustomerStateSubscription" => "A subscription of the customer that is active or trialing.",
        "CustomerStateSubscriptionMeter" => {
            "A meter attached to a subscription, with the usage of the current period."
        }
        "CustomerStateTeam" => "The state of a team customer.",
        "CustomerTeam" => {
            "A customer that is a team (a company with members); the email address may be unset."
        }
        "CustomerTeamCreate" => "Body for creating a team customer.",
        "CustomerType" => "Whether a customer is an individual or a team.",
        "CustomerUpdate" => "Body of an update by Polar ID: only the fields present change.",
        "CustomerUpdateExternalID" => {
            "Body of an update by external ID: only the fields present change; the external ID and the type cannot be changed this way."
        }
        "HTTPValidationError" => "Body of a 422 answer: the list of problems found in the request.",
        "MemberOwnerCreate" => "The owner member to create together with a customer.",
        "MetadataQuery" => "Metadata filter of a list request: values to match per key.",
        "Pagination" => "Totals of a paginated list.",
        "RecurringInterval" => "How often a subscription renews.",
        "ResourceNotFound" => "Body of a 404 answer for an unknown or deleted resource.",
        "TaxIDFormat" => "The format of a tax ID (country and kind of number).",
        "ValidationError" => {
            "One problem in a request: where (`loc`), what (`msg`) and its kind (`type`)."
        }
        _ => "",
    }
}

/// Hand-written notes on single fields, appended after the generated facts.
pub fn field_doc(schema: &str, field: &str) -> Option<&'static str> {
    Some(match (schema, field) {
        (_, "external_id") if schema.starts_with("CustomerUpdate") => {
            "Can be set once; changing an external ID that is already set is refused."
        }
        (_, "billing_address") if schema.starts_with("CustomerUpdate") => {
            "Sending `null` for an address that is set is refused by Polar."
        }
        (_, "type") if schema == "CustomerUpdate" => {
            "An individual can become a team; a team cannot go back."
        }
        (_, "tax_id") if schema.ends_with("Create") || schema.starts_with("CustomerUpdate") => {
            "Needs a billing address with a country."
        }
        (_, "metadata") if schema.ends_with("Create") || schema.starts_with("CustomerUpdate") => {
            "Replaces the whole map; send an empty map to clear it."
        }
        (_, "tax_id") => "The tax number and its format.",
        ("CustomerStateSubscription", "seats") => {
            "Number of seats of a seat-based subscription (newer API versions)."
        }
        ("CustomerStateSubscription", "units") => {
            "Number of units of a unit-based subscription (newer API versions)."
        }
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
        "id" => match schema {
            "CustomerIndividual"
            | "CustomerTeam"
            | "CustomerStateIndividual"
            | "CustomerStateTeam" => "CustomerId",
            "CustomerStateSubscription" => "SubscriptionId",
            "CustomerStateBenefitGrant" => "BenefitGrantId",
            "CustomerStateMeter" => "CustomerMeterId",
            "CustomerStateSubscriptionMeter" => "SubscriptionMeterId",
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
        _ => return None,
    })
}

/// Docs of inline enums.
pub fn inline_enum_doc(name: &str) -> &'static str {
    match name {
        "CountryCode" => "A country, as its two-letter ISO 3166-1 code.",
        "SubscriptionStatus" => "Status of a subscription listed in a customer's state.",
        "GitHubRepositoryPermission" => "Access level granted on a GitHub repository.",
        _ => "",
    }
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
    Some(match (schema, field) {
        (_, "metadata") if schema != "customers:list" => "Metadata",
        (_, "benefit_metadata") => "Metadata",
        ("CustomerStateSubscription", "custom_field_data") => {
            "::std::collections::BTreeMap<String, ::serde_json::Value>"
        }
        ("ValidationError", "ctx") => "::serde_json::Map<String, ::serde_json::Value>",
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

/// Query parameters typed by hand: (operation, parameter) -> (Rust type, how to write it).
pub fn metadata_filter_param(param: &str) -> bool {
    param == "metadata"
}
