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
        "customers:members:create" => "Adds a member to a team customer found by Polar ID.",
        "customers:members:get" => "Fetches one member of a customer, both by Polar ID.",
        "customers:members:update" => {
            "Changes the fields present in the body of a member, found by the Polar IDs of customer and member."
        }
        "customers:members:delete" => "Removes a member from a customer, both found by Polar ID.",
        "customers:members:create_external" => {
            "Adds a member to a team customer found by the merchant's external ID."
        }
        "customers:members:get_external" => {
            "Fetches one member by the external IDs of its customer and of the member."
        }
        "customers:members:update_external" => {
            "Changes the fields present in the body of a member found by the external IDs of customer and member."
        }
        "customers:members:delete_external" => {
            "Removes a member found by the external IDs of its customer and of the member."
        }
        "customers:list_payment_methods" => {
            "Lists the saved payment methods of a customer found by Polar ID, one page at a time."
        }
        "customers:list_payment_methods_external" => {
            "Lists the saved payment methods of a customer found by external ID, one page at a time."
        }
        "customer-sessions:create" => {
            "Opens a customer-portal session for one customer: a token and the portal link to hand over."
        }
        "customer_meters:list" => {
            "Lists the meter balances of customers, filtered and sorted, one page at a time."
        }
        "customer_meters:get" => "Fetches one customer meter balance by its Polar ID.",
        _ => "",
    }
}

/// Rust names that differ from the generic conversion of the spec's schema name.
pub fn rust_name(schema: &str) -> Option<String> {
    if let Some(item) = list_item(schema) {
        return Some(format!("ListResource<{}>", super::names::upper_camel(item)));
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

/// Request bodies the spec writes inline as a union: (operation, name given to the union).
/// The generator moves them into the schemas under that name.
pub const NAMED_BODIES: &[(&str, &str)] = &[("customer-sessions:create", "CustomerSessionCreate")];

/// Fields kept as raw JSON, with an example value for the round-trip instances: the schemas
/// behind them (a meter's recursive event filter and its aggregation, tagged by `func`) are not
/// part of the customer surface, so they are neither walked nor generated.
pub fn opaque_field(schema: &str, field: &str) -> Option<&'static str> {
    Some(match (schema, field) {
        ("Meter", "filter") => {
            r#"{"conjunction":"and","clauses":[{"property":"name","operator":"eq","value":"api_call"}]}"#
        }
        ("Meter", "aggregation") => r#"{"func":"sum","property":"tokens"}"#,
        _ => return None,
    })
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
        "Pagination" => "Totals of a paginated list.",
        "RecurringInterval" => "How often a subscription renews.",
        "ResourceNotFound" => "Body of a 404 answer for an unknown or deleted resource.",
        "TaxIDFormat" => "The format of a tax ID (country and kind of number).",
        "ValidationError" => {
            "One problem in a request: where (`loc`), what (`msg`) and its kind (`type`)."
        }
        "AmbiguousExternalCustomerID" => {
            "Body of a 409 answer: the external ID names customers of more than one organization."
        }
        "NotPermitted" => "Body of a 403 answer: the action is not allowed for this resource.",
        "Member" => "A member of a team customer: a person with a role within that customer.",
        "MemberCreateFromCustomer" => {
            "Body for adding a member to a customer named in the path; only the email is required."
        }
        "MemberRole" => "The role of a member within its customer.",
        "MemberUpdate" => "Body of a member update: only the fields present change.",
        "PaymentMethod" => {
            "A saved payment method: a card with its details, or any other kind with its `type` as Polar names it."
        }
        "CustomerPaymentMethodCard" => "A saved card, with brand, last four digits and expiry.",
        "CustomerPaymentMethodGeneric" => {
            "A saved payment method that is not a card (its `type` says which kind)."
        }
        "PaymentMethodCardMetadata" => "Details of a saved card.",
        "PaymentProcessor" => "The payment processor that holds a payment method.",
        "CustomerSession" => {
            "A customer-portal session: the token and the portal link to hand to the customer, valid until `expires_at`."
        }
        "CustomerSessionCreate" => {
            "Body of a customer-session request: the customer by Polar ID or by external ID."
        }
        "CustomerSessionCustomerIDCreate" => "A customer session for a customer named by Polar ID.",
        "CustomerSessionCustomerExternalIDCreate" => {
            "A customer session for a customer named by the merchant's external ID."
        }
        "CustomerMeter" => {
            "The balance of one meter for one customer: consumed and credited units, with the customer and the meter."
        }
        "CustomerMeterSortProperty" => {
            "A sort key for listing customer meters; the `Desc` variants sort descending."
        }
        "Meter" => {
            "A usage meter: which events count (`filter`) and how they add up (`aggregation`), both kept as raw JSON."
        }
        "MeterUnit" => "The unit a meter counts in.",
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
        ("MemberCreateFromCustomer", "role") => {
            "Polar takes `member` or `billing_manager` here; ownership is given with an update."
        }
        ("MemberUpdate", "role") => {
            "Making a member the `owner` moves ownership: the previous owner becomes a billing manager."
        }
        ("CustomerSession", "token" | "customer_portal_url") => {
            "A secret: whoever has it enters the customer's portal until `expires_at`."
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
