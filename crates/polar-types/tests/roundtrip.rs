//! Every schema decodes and re-encodes the instances `cargo xtask codegen` synthesised from the
//! spec to the same JSON: a field the types miss, misname or mistype fails here.

use std::collections::BTreeMap;

use polar_types::*;
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

const INSTANCES: &str = include_str!("fixtures/spec-instances.json");

fn round_trip<T: Serialize + DeserializeOwned>(
    schema: &str,
    instance: &Value,
) -> Result<(), String> {
    let text = serde_json::to_string(instance).unwrap();
    let decoded: T =
        serde_json::from_str(&text).map_err(|e| format!("{schema}: decode failed: {e}\n{text}"))?;
    let encoded =
        serde_json::to_value(&decoded).map_err(|e| format!("{schema}: encode failed: {e}"))?;
    // Decoding the encoded text again must succeed (catches keys written twice, which a
    // `Value` comparison would hide) and give the same value.
    let text_again = serde_json::to_string(&decoded).unwrap();
    let again: T = serde_json::from_str(&text_again)
        .map_err(|e| format!("{schema}: re-decode failed: {e}\n{text_again}"))?;
    if serde_json::to_value(&again).unwrap() != encoded {
        return Err(format!("{schema}: second round trip differs"));
    }
    if &encoded != instance {
        return Err(format!(
            "{schema}: round trip changed the JSON\n in: {instance}\nout: {encoded}"
        ));
    }
    Ok(())
}

/// Schema name in the spec -> round trip through its Rust type.
type Check = fn(&str, &Value) -> Result<(), String>;

fn table() -> BTreeMap<&'static str, Check> {
    let mut t: BTreeMap<&'static str, Check> = BTreeMap::new();
    macro_rules! map {
        ($($name:literal => $ty:ty),* $(,)?) => {$( t.insert($name, round_trip::<$ty>); )*};
    }
    map! {
        "Address" => Address,
        "AddressInput" => AddressInput,
        "AmbiguousExternalCustomerID" => AmbiguousExternalCustomerId,
        "BenefitGrantCustomProperties" => BenefitGrantCustomProperties,
        "BenefitGrantDiscordProperties" => BenefitGrantDiscordProperties,
        "BenefitGrantDownloadablesProperties" => BenefitGrantDownloadablesProperties,
        "BenefitGrantFeatureFlagProperties" => BenefitGrantFeatureFlagProperties,
        "BenefitGrantGitHubRepositoryProperties" => BenefitGrantGitHubRepositoryProperties,
        "BenefitGrantLicenseKeysProperties" => BenefitGrantLicenseKeysProperties,
        "BenefitGrantSlackSharedChannelProperties" => BenefitGrantSlackSharedChannelProperties,
        "BenefitType" => BenefitType,
        "CountryCode" => CountryCode,
        "Customer" => Customer,
        "CustomerCreate" => CustomerCreate,
        "CustomerIndividual" => CustomerIndividual,
        "CustomerIndividualCreate" => CustomerIndividualCreate,
        "CustomerMeter" => CustomerMeter,
        "CustomerMeterSortProperty" => CustomerMeterSortProperty,
        "CustomerPaymentMethodCard" => CustomerPaymentMethodCard,
        "CustomerPaymentMethodGeneric" => CustomerPaymentMethodGeneric,
        "CustomerSession" => CustomerSession,
        "CustomerSessionCreate" => CustomerSessionCreate,
        "CustomerSessionCustomerExternalIDCreate" => CustomerSessionCustomerExternalIdCreate,
        "CustomerSessionCustomerIDCreate" => CustomerSessionCustomerIdCreate,
        "CustomerSortProperty" => CustomerSortProperty,
        "CustomerState" => CustomerState,
        "CustomerStateBenefitGrant" => CustomerStateBenefitGrant,
        "CustomerStateIndividual" => CustomerStateIndividual,
        "CustomerStateMeter" => CustomerStateMeter,
        "CustomerStateSubscription" => CustomerStateSubscription,
        "CustomerStateSubscriptionMeter" => CustomerStateSubscriptionMeter,
        "CustomerStateTeam" => CustomerStateTeam,
        "CustomerTeam" => CustomerTeam,
        "CustomerTeamCreate" => CustomerTeamCreate,
        "CustomerType" => CustomerType,
        "CustomerUpdate" => CustomerUpdate,
        "CustomerUpdateExternalID" => CustomerUpdateExternalId,
        "GitHubRepositoryPermission" => GitHubRepositoryPermission,
        "HTTPValidationError" => HttpValidationError,
        "ListResource_CustomerMeter_" => ListResource<CustomerMeter>,
        "ListResource_Customer_" => ListResourceCustomer,
        "ListResource_Member_" => ListResource<Member>,
        "ListResource_PaymentMethod_" => ListResource<PaymentMethod>,
        "Member" => Member,
        "MemberCreateFromCustomer" => MemberCreateFromCustomer,
        "MemberOwnerCreate" => MemberOwnerCreate,
        "MemberRole" => MemberRole,
        "MemberSortProperty" => MemberSortProperty,
        "MemberUpdate" => MemberUpdate,
        "MetadataOutputType" => Metadata,
        "Meter" => Meter,
        "MeterUnit" => MeterUnit,
        "NotPermitted" => NotPermitted,
        "Pagination" => Pagination,
        "PaymentMethod" => PaymentMethod,
        "PaymentMethodCardMetadata" => PaymentMethodCardMetadata,
        "PaymentProcessor" => PaymentProcessor,
        "RecurringInterval" => RecurringInterval,
        "ResourceNotFound" => ResourceNotFound,
        "SubscriptionStatus" => SubscriptionStatus,
        "TaxIDFormat" => TaxIdFormat,
        "ValidationError" => ValidationError,
    }
    t
}

#[test]
fn every_synthesised_instance_round_trips() {
    let instances: BTreeMap<String, Vec<Value>> = serde_json::from_str(INSTANCES).unwrap();
    let table = table();
    let mut failures = Vec::new();
    let mut checked = 0;
    for (schema, list) in &instances {
        let Some(check) = table.get(schema.as_str()) else {
            failures.push(format!("{schema}: no Rust type mapped in this test"));
            continue;
        };
        assert!(!list.is_empty(), "{schema} has no instances");
        for instance in list {
            checked += 1;
            if let Err(e) = check(schema, instance) {
                failures.push(e);
            }
        }
    }
    for name in table.keys() {
        if !instances.contains_key(*name) {
            failures.push(format!(
                "{name}: mapped here but the generator synthesised nothing"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    // 59 schemas (two of them for the member listing the generator's overrides add) plus 3
    // enums the spec writes inline.
    assert_eq!(instances.len(), 62);
}

#[test]
fn instances_cover_both_union_variants_and_both_null_states() {
    let instances: BTreeMap<String, Vec<Value>> = serde_json::from_str(INSTANCES).unwrap();
    let customers: Vec<Customer> = instances["Customer"]
        .iter()
        .map(|v| serde_json::from_value(v.clone()).unwrap())
        .collect();
    assert!(
        customers
            .iter()
            .any(|c| matches!(c, Customer::Individual(_)))
    );
    assert!(customers.iter().any(|c| matches!(c, Customer::Team(_))));
    let states: Vec<CustomerState> = instances["CustomerState"]
        .iter()
        .map(|v| serde_json::from_value(v.clone()).unwrap())
        .collect();
    assert!(
        states
            .iter()
            .any(|c| matches!(c, CustomerState::Individual(_)))
    );
    assert!(states.iter().any(|c| matches!(c, CustomerState::Team(_))));
    let creates: Vec<CustomerCreate> = instances["CustomerCreate"]
        .iter()
        .map(|v| serde_json::from_value(v.clone()).unwrap())
        .collect();
    assert!(
        creates
            .iter()
            .any(|c| matches!(c, CustomerCreate::Individual(_)))
    );
    assert!(creates.iter().any(|c| matches!(c, CustomerCreate::Team(_))));

    let ind = &instances["CustomerIndividual"];
    assert!(ind.iter().any(|v| v["name"].is_string()));
    assert!(ind.iter().any(|v| v["name"].is_null()));

    // Each known benefit shape, and a benefit type without one.
    let grants: Vec<CustomerStateBenefitGrant> = instances["CustomerStateBenefitGrant"]
        .iter()
        .map(|v| serde_json::from_value(v.clone()).unwrap())
        .collect();
    for expected in [
        "Discord",
        "GitHubRepository",
        "Downloadables",
        "LicenseKeys",
        "Custom",
        "FeatureFlag",
        "SlackSharedChannel",
        "Other",
    ] {
        assert!(
            grants
                .iter()
                .any(|g| format!("{:?}", g.properties).starts_with(expected)),
            "no grant decoded as {expected}"
        );
    }
}

#[test]
fn every_enum_value_maps_to_a_known_variant() {
    let instances: BTreeMap<String, Vec<Value>> = serde_json::from_str(INSTANCES).unwrap();
    macro_rules! known {
        ($name:literal, $ty:ty) => {
            for v in &instances[$name] {
                let value: $ty = serde_json::from_value(v.clone()).unwrap();
                assert!(
                    <$ty>::KNOWN.contains(&value),
                    "{} `{v}` decoded as {value:?}",
                    $name
                );
            }
            assert_eq!(<$ty>::KNOWN.len(), instances[$name].len());
        };
    }
    known!("BenefitType", BenefitType);
    known!("CountryCode", CountryCode);
    known!("CustomerMeterSortProperty", CustomerMeterSortProperty);
    known!("CustomerSortProperty", CustomerSortProperty);
    known!("MemberRole", MemberRole);
    known!("MeterUnit", MeterUnit);
    known!("PaymentProcessor", PaymentProcessor);
    known!("CustomerType", CustomerType);
    known!("GitHubRepositoryPermission", GitHubRepositoryPermission);
    known!("RecurringInterval", RecurringInterval);
    known!("SubscriptionStatus", SubscriptionStatus);
    known!("TaxIDFormat", TaxIdFormat);
}
