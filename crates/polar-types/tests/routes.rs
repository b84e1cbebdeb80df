//! The generated routes: every params type's method, template and `path()`, and the table of
//! all routes the SDK and the fake build on.

use std::collections::BTreeSet;

use http::Method;
use polar_types::*;

fn customer() -> CustomerId {
    "6b0e4c5e-3f8e-4a57-9d2e-1f4a2b3c4d5e".parse().unwrap()
}

fn member() -> MemberId {
    "1dbfc517-0bbf-4301-9ba8-555ca42b9737".parse().unwrap()
}

#[test]
fn path_fills_each_parameter_as_one_encoded_segment() {
    let by_id = CustomersMembersGetParams {
        id: customer(),
        member_id: member(),
    };
    assert_eq!(
        by_id.path(),
        "/v1/customers/6b0e4c5e-3f8e-4a57-9d2e-1f4a2b3c4d5e/members/1dbfc517-0bbf-4301-9ba8-555ca42b9737"
    );
    let hostile = CustomersMembersGetExternalParams {
        external_id: "team/../acme?x=1".into(),
        member_external_id: "..".into(),
    };
    assert_eq!(
        hostile.path(),
        "/v1/customers/external/team%2F%2E%2E%2Facme%3Fx%3D1/members/%2E%2E"
    );
    let state = CustomersGetStateExternalParams {
        external_id: "ü #1".into(),
    };
    assert_eq!(state.path(), "/v1/customers/external/%C3%BC%20%231/state");
    // Without path parameters, the path is the template.
    assert_eq!(CustomersListParams::default().path(), "/v1/customers/");
    assert_eq!(
        CustomerMetersGetParams {
            id: "0b6a3c52-1d2e-4f5a-8b9c-0d1e2f3a4b5c".parse().unwrap()
        }
        .path(),
        "/v1/customer-meters/0b6a3c52-1d2e-4f5a-8b9c-0d1e2f3a4b5c"
    );
}

#[test]
fn an_empty_path_parameter_is_refused_by_validate() {
    let params = CustomersMembersListExternalParams {
        external_id: String::new(),
        role: None,
        page: None,
        limit: None,
        sorting: Vec::new(),
    };
    let err = params.validate().unwrap_err();
    assert_eq!(err.field, "external_id");
}

#[test]
fn each_params_type_names_its_route() {
    assert_eq!(CustomersUpdateParams::ROUTE, Route::CustomersUpdate);
    assert_eq!(CustomersUpdateParams::METHOD, Method::PATCH);
    assert_eq!(CustomersUpdateParams::PATH, "/v1/customers/{id}");
    let route = CustomersDeleteExternalParams::ROUTE;
    assert_eq!(route.method(), Method::DELETE);
    assert_eq!(route.template(), "/v1/customers/external/{external_id}");
    assert_eq!(route.operation_id(), "customers:delete_external");
    assert_eq!(
        Route::from_operation_id("customers:delete_external"),
        Some(route)
    );
    assert_eq!(Route::from_operation_id("customers:teleport"), None);
}

#[test]
fn the_route_table_has_every_operation_once() {
    let ids: BTreeSet<&str> = Route::ALL.iter().map(|r| r.operation_id()).collect();
    assert_eq!(ids.len(), Route::ALL.len());
    let routes: BTreeSet<(String, &str)> = Route::ALL
        .iter()
        .map(|r| (r.method().to_string(), r.template()))
        .collect();
    assert_eq!(
        routes.len(),
        Route::ALL.len(),
        "two operations share a route"
    );
    for r in Route::ALL {
        assert!(r.template().starts_with("/v1/"), "{r:?}");
        assert_eq!(Route::from_operation_id(r.operation_id()), Some(r));
    }
    // The eleven customer operations, eight member routes and the two member listings, payment
    // methods (two), sessions, customer meters (two).
    assert_eq!(Route::ALL.len(), 26);
}

#[test]
fn the_member_listings_newer_than_the_document_are_routes_with_pages() {
    let list = CustomersMembersListParams {
        id: customer(),
        role: Some(MemberRole::BillingManager),
        page: Some(2),
        limit: Some(50),
        sorting: vec![MemberSortProperty::CreatedAtDesc],
    };
    assert_eq!(
        list.path(),
        "/v1/customers/6b0e4c5e-3f8e-4a57-9d2e-1f4a2b3c4d5e/members"
    );
    assert_eq!(CustomersMembersListParams::METHOD, Method::GET);
    assert_eq!(
        list.query_pairs(),
        [
            ("role", "billing_manager"),
            ("page", "2"),
            ("limit", "50"),
            ("sorting", "-created_at"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
    let external = CustomersMembersListExternalParams::ROUTE;
    assert_eq!(
        (external.method(), external.template()),
        (Method::GET, "/v1/customers/external/{external_id}/members")
    );
    let err = CustomersMembersListParams {
        limit: Some(0),
        ..list
    }
    .validate()
    .unwrap_err();
    assert_eq!(err.field, "limit");
}

#[test]
fn the_api_version_is_a_polar_version() {
    // `YYYY-MM`, as Polar names its versions.
    let (year, month) = API_VERSION.split_once('-').unwrap();
    assert_eq!((year.len(), month.len()), (4, 2), "{API_VERSION}");
    assert!(year.parse::<u16>().is_ok() && (1..=12).contains(&month.parse::<u8>().unwrap()));
}
