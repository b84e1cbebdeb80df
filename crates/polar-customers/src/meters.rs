//! Customer meters: the balance of each meter for each customer (`/v1/customer-meters/`).

use crate::operation::operation;
use crate::types::{
    CustomerId, CustomerMeter, CustomerMeterId, CustomerMeterSortProperty, CustomerMetersGetParams,
    CustomerMetersListParams, MeterId, OrganizationId,
};
use crate::{Client, Request};

operation!(CustomerMetersListParams => pages of CustomerMeter, sorted by CustomerMeterSortProperty);
operation!(CustomerMetersGetParams => CustomerMeter);

/// Request of `GET /v1/customer-meters/`, from [`CustomerMeters::list`].
///
/// Filters of one kind accept any of their values (repeat the setter); different kinds must all
/// match.
pub type ListCustomerMeters = Request<CustomerMetersListParams>;

/// Request of `GET /v1/customer-meters/{id}`, from [`CustomerMeters::get`].
pub type GetCustomerMeter = Request<CustomerMetersGetParams>;

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
        self.client.request(CustomerMetersListParams::default())
    }

    /// `GET /v1/customer-meters/{id}`.
    pub fn get(&self, id: CustomerMeterId) -> GetCustomerMeter {
        self.client.request(CustomerMetersGetParams { id })
    }
}

impl ListCustomerMeters {
    /// Only meters of customers of this organization (repeat to allow several).
    pub fn organization_id(mut self, id: OrganizationId) -> Self {
        self.params.organization_id.push(id);
        self
    }

    /// Only meters of the customer with this Polar ID (repeat to allow several).
    pub fn customer_id(mut self, id: CustomerId) -> Self {
        self.params.customer_id.push(id);
        self
    }

    /// Only meters of the customer with this external ID (repeat to allow several).
    pub fn external_customer_id(mut self, external_id: impl Into<String>) -> Self {
        self.params.external_customer_id.push(external_id.into());
        self
    }

    /// Only balances of this meter (repeat to allow several).
    pub fn meter_id(mut self, id: MeterId) -> Self {
        self.params.meter_id.push(id);
        self
    }
}
