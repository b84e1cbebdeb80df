//! The doc lines of the generated code that are not facts read from the spec: one line per
//! operation, schema and some fields, in our words (the spec's description text is never
//! copied).

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
        "customers:members:list" => {
            "Lists the members of a customer found by Polar ID, one page at a time."
        }
        "customers:members:list_external" => {
            "Lists the members of a customer found by the merchant's external ID, one page at a time."
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
        "MemberSortProperty" => {
            "A sort key for listing members; the `Desc` variants sort descending."
        }
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

/// Docs of inline enums.
pub fn inline_enum_doc(name: &str) -> &'static str {
    match name {
        "CountryCode" => "A country, as its two-letter ISO 3166-1 code.",
        "SubscriptionStatus" => "Status of a subscription listed in a customer's state.",
        "GitHubRepositoryPermission" => "Access level granted on a GitHub repository.",
        _ => "",
    }
}
