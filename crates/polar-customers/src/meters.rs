//! Customer meters: the balance of each meter for each customer (`/v1/customer-meters/`).

use http::Method;

use crate::builder::{awaitable, paging, request_options, send_json};
use crate::path::join;
use crate::request::{Call, CallOptions, ResponseFuture};
use crate::types::{
    CustomerId, CustomerMeter, CustomerMeterId, CustomerMeterSortProperty,
    CustomerMetersListParams, ListResource, MeterId, OrganizationId, Validate,
};
use crate::{Client, Error};

const ROUTE_LIST: &str = crate::types::CustomerMetersListParams::PATH;
const ROUTE_ID: &str = crate::types::CustomerMetersGetParams::PATH;

/// The customer-meter operations, from [`Client::customer_meters`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
/// # let fake = polar_fake::FakePolar::new();
/// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
/// # let id = client.customers().create().email("setup@polar.sh").external_id("user_42").await?.id();
/// # let customer = id;
/// use futures_util::TryStreamExt;
/// use polar_customers::types::CustomerMeterSortProperty;
///
/// let mut meters = client
///     .customer_meters()
///     .list()
///     .customer_id(customer)
///     .sort_by(CustomerMeterSortProperty::BalanceDesc)
///     .stream();
/// while let Some(m) = meters.try_next().await? {
///     println!("{}: {} left", m.meter.name, m.balance);
///     let again = client.customer_meters().get(m.id).await?;
///     assert_eq!(again.id, m.id);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct CustomerMeters {
    client: Client,
}

impl CustomerMeters {
    pub(crate) fn new(client: Client) -> Self {
        CustomerMeters { client }
    }

    /// `GET /v1/customer-meters/`: one page, every page, or every customer meter.
    pub fn list(&self) -> ListCustomerMeters {
        ListCustomerMeters {
            client: self.client.clone(),
            query: CustomerMetersListParams::default(),
            options: CallOptions::default(),
        }
    }

    /// `GET /v1/customer-meters/{id}`.
    pub fn get(&self, id: CustomerMeterId) -> GetCustomerMeter {
        GetCustomerMeter {
            client: self.client.clone(),
            id,
            options: CallOptions::default(),
        }
    }
}

/// The list call for `params`, checked against Polar's rules first.
fn list_call(params: &CustomerMetersListParams, options: &CallOptions) -> Result<Call, Error> {
    params.validate()?;
    Ok(Call::new(Method::GET, ROUTE_LIST, ROUTE_LIST.to_owned())
        .query(params.query_pairs())
        .options(options.clone()))
}

/// Builder of `GET /v1/customer-meters/`, from [`CustomerMeters::list`].
///
/// Filters of one kind accept any of their values (repeat the setter); different kinds must all
/// match.
#[derive(Clone, Debug)]
#[must_use = "a request builder does nothing until awaited"]
pub struct ListCustomerMeters {
    client: Client,
    query: CustomerMetersListParams,
    options: CallOptions,
}

impl ListCustomerMeters {
    /// Only meters of customers of this organization (repeat to allow several).
    pub fn organization_id(mut self, id: OrganizationId) -> Self {
        self.query.organization_id.push(id);
        self
    }

    /// Only meters of the customer with this Polar ID (repeat to allow several).
    pub fn customer_id(mut self, id: CustomerId) -> Self {
        self.query.customer_id.push(id);
        self
    }

    /// Only meters of the customer with this external ID (repeat to allow several).
    pub fn external_customer_id(mut self, external_id: impl Into<String>) -> Self {
        self.query.external_customer_id.push(external_id.into());
        self
    }

    /// Only balances of this meter (repeat to allow several).
    pub fn meter_id(mut self, id: MeterId) -> Self {
        self.query.meter_id.push(id);
        self
    }

    request_options!();

    /// Sends the request and returns one page.
    pub fn send(self) -> ResponseFuture<ListResource<CustomerMeter>> {
        let call = list_call(&self.query, &self.options);
        send_json(self.client, call)
    }

    paging!(
        ListCustomerMeters,
        CustomerMetersListParams => CustomerMeter,
        "customer meter",
        CustomerMeterSortProperty
    );
}

awaitable!(ListCustomerMeters => ListResource<CustomerMeter>);

/// Builder of `GET /v1/customer-meters/{id}`, from [`CustomerMeters::get`].
#[derive(Clone, Debug)]
#[must_use = "a request builder does nothing until awaited"]
pub struct GetCustomerMeter {
    client: Client,
    id: CustomerMeterId,
    options: CallOptions,
}

impl GetCustomerMeter {
    request_options!();

    /// Sends the request.
    pub fn send(self) -> ResponseFuture<CustomerMeter> {
        let path = join("/v1/customer-meters/", &self.id.to_string(), "");
        let call = Call::new(Method::GET, ROUTE_ID, path).options(self.options);
        send_json(self.client, Ok(call))
    }
}

awaitable!(GetCustomerMeter => CustomerMeter);
