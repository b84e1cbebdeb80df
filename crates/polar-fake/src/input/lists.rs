//! The queries of the payment-method and customer-meter lists.

use uuid::Uuid;

use super::params::{Page, Params, Sorts};
use crate::issue::Issue;

/// A payment-method list's customer, the path parameter already read, and its pagination
/// (`list_payment_methods` in server/polar/customer/endpoints.py).
pub(crate) fn parse_payment_method_list<K>(
    pairs: &[(String, String)],
    customer: Result<K, Vec<Issue>>,
) -> Result<(K, Page), Vec<Issue>> {
    let mut p = Params::new(pairs);
    let page = p.page();
    let customer = p.path(customer);
    p.finish_path(customer, page)
}

/// A sort key of the customer-meter list (server/polar/customer_meter/sorting.py).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MeterSort {
    CreatedAt,
    ModifiedAt,
    CustomerId,
    CustomerName,
    MeterId,
    MeterName,
    ConsumedUnits,
    CreditedUnits,
    Balance,
}

/// `CustomerMeterSortProperty`, default `-modified_at`.
const METER_SORTS: Sorts<MeterSort> = Sorts {
    keys: &[
        ("created_at", MeterSort::CreatedAt),
        ("modified_at", MeterSort::ModifiedAt),
        ("customer_id", MeterSort::CustomerId),
        ("customer_name", MeterSort::CustomerName),
        ("meter_id", MeterSort::MeterId),
        ("meter_name", MeterSort::MeterName),
        ("consumed_units", MeterSort::ConsumedUnits),
        ("credited_units", MeterSort::CreditedUnits),
        ("balance", MeterSort::Balance),
    ],
    default: (MeterSort::ModifiedAt, true),
};

/// The checked query of `GET /v1/customer-meters/`.
#[derive(Clone, Debug)]
pub(crate) struct MeterQuery {
    pub organization_id: Vec<Uuid>,
    pub customer_id: Vec<Uuid>,
    pub external_customer_id: Vec<String>,
    pub meter_id: Vec<Uuid>,
    pub page: Page,
    /// (key, descending), applied in order; `-modified_at` when none is given.
    pub sorting: Vec<(MeterSort, bool)>,
}

/// Decodes the customer-meter list query (`list` in server/polar/customer_meter/endpoints.py):
/// the pagination and sorting dependencies, then the filters in the endpoint's order.
pub(crate) fn parse_meter_list(pairs: &[(String, String)]) -> Result<MeterQuery, Vec<Issue>> {
    let mut p = Params::new(pairs);
    let page = p.page();
    let sorting = p.sorting(&METER_SORTS);
    let organization_id = p.uuid_filter("organization_id");
    let customer_id = p.uuid_filter("customer_id");
    let external_customer_id = p.all("external_customer_id");
    let meter_id = p.uuid_filter("meter_id");
    p.finish(MeterQuery {
        organization_id,
        customer_id,
        external_customer_id,
        meter_id,
        page,
        sorting,
    })
}
