//! The Customers API: the eleven operations on customers, a customer's saved payment methods, and
//! the handles of its team members ([`Members`](crate::Members)). One builder per operation, one
//! file per concern.

use crate::Client;
use crate::Error;
use crate::members::{Members, MembersExternal};
use crate::path::{encode_segment, join};
use crate::request::CallOptions;
use crate::types::{
    CustomerCreate, CustomerId, CustomerIndividualCreate, CustomerUpdate, CustomerUpdateExternalId,
    CustomersExportParams, CustomersListParams,
};

// Route templates come from the generated parameters types (the spec's paths), so a path
// Polar changes shows up in `codegen --check`, not as a stale copy here.
pub(crate) const ROUTE_LIST: &str = crate::types::CustomersListParams::PATH;
pub(crate) const ROUTE_EXPORT: &str = crate::types::CustomersExportParams::PATH;
pub(crate) const ROUTE_ID: &str = crate::types::CustomersGetParams::PATH;
const ROUTE_STATE: &str = crate::types::CustomersGetStateParams::PATH;
pub(crate) const ROUTE_EXTERNAL: &str = crate::types::CustomersGetExternalParams::PATH;
const ROUTE_STATE_EXTERNAL: &str = crate::types::CustomersGetStateExternalParams::PATH;

mod create;
mod delete;
mod ensure;
mod export;
mod get;
mod list;
mod payment_methods;
mod update;

pub use create::CreateCustomer;
pub use delete::DeleteCustomer;
pub use ensure::EnsureExternal;
pub use export::ExportCustomers;
pub use get::{GetCustomer, GetCustomerState};
pub use list::ListCustomers;
pub use payment_methods::ListPaymentMethods;
pub use update::{UpdateCustomer, UpdateCustomerExternal};

/// The operations on customers, from [`Client::customers`].
#[derive(Clone, Debug)]
pub struct Customers {
    client: Client,
}

impl Customers {
    pub(crate) fn new(client: Client) -> Self {
        Customers { client }
    }

    /// `GET /v1/customers/`: one page of customers, or all of them as a stream.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// # let id = client.customers().create().email("setup@polar.sh").external_id("user_42").await?.id();
    /// # let customer = id;
    /// use futures_util::TryStreamExt;
    /// use polar_customers::types::CustomerSortProperty;
    ///
    /// // One page.
    /// let page = client.customers().list().limit(50).sorting([CustomerSortProperty::EmailDesc]).await?;
    /// println!("{} customers in total", page.pagination.total_count);
    ///
    /// // Every customer with `plan=pro` in the metadata, page after page.
    /// let mut all = client.customers().list().metadata("plan", "pro").stream();
    /// while let Some(customer) = all.try_next().await? {
    ///     println!("{:?}", customer.email());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> ListCustomers {
        ListCustomers {
            client: self.client.clone(),
            query: CustomersListParams::default(),
            options: CallOptions::default(),
        }
    }

    /// `POST /v1/customers/`: creates a customer (an individual unless [`CreateCustomer::team`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// let customer = client
    ///     .customers()
    ///     .create()
    ///     .email("ada@polar.sh")
    ///     .name("Ada Lovelace")
    ///     .external_id("user_42")
    ///     .metadata("plan", "pro")
    ///     .await?;
    /// println!("created {:?}", customer.id());
    /// # Ok(()) }
    /// ```
    pub fn create(&self) -> CreateCustomer {
        CreateCustomer {
            client: self.client.clone(),
            body: CustomerCreate::Individual(CustomerIndividualCreate::new("")),
            options: CallOptions::default(),
        }
    }

    /// `GET /v1/customers/{id}`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// # let id = client.customers().create().email("setup@polar.sh").external_id("user_42").await?.id();
    /// # let customer = id;
    /// let customer = client.customers().get(id).await?;
    /// assert_eq!(customer.id(), id);
    /// # Ok(()) }
    /// ```
    pub fn get(&self, id: CustomerId) -> GetCustomer {
        GetCustomer {
            client: self.client.clone(),
            target: Target::Id(id),
            options: CallOptions::default(),
        }
    }

    /// `GET /v1/customers/external/{external_id}`: the customer with this external ID.
    ///
    /// The ID is sent as one path segment whatever it contains (`/`, `?`, `#`, `..`, unicode).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// # let id = client.customers().create().email("setup@polar.sh").external_id("user_42").await?.id();
    /// # let customer = id;
    /// let customer = client.customers().get_external("user_42").await?;
    /// assert_eq!(customer.external_id(), Some("user_42"));
    /// # Ok(()) }
    /// ```
    pub fn get_external(&self, external_id: impl Into<String>) -> GetCustomer {
        GetCustomer {
            client: self.client.clone(),
            target: Target::External(external_id.into()),
            options: CallOptions::default(),
        }
    }

    /// The customer with this external ID, created when Polar does not know it yet: the
    /// sign-up path. Gets by external ID; on 404 creates it (set its fields on the builder);
    /// when the create loses a race to a concurrent call, gets again. See [`EnsureExternal`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// let first = client.customers().ensure_external("user_42").email("ada@polar.sh").await?;
    /// let again = client.customers().ensure_external("user_42").email("ada@polar.sh").await?;
    /// assert_eq!(first.id(), again.id());
    /// # Ok(()) }
    /// ```
    pub fn ensure_external(&self, external_id: impl Into<String>) -> EnsureExternal {
        let external_id = external_id.into();
        EnsureExternal {
            get: self.get_external(external_id.clone()),
            create: self.create().external_id(external_id.clone()),
            external_id,
            options: CallOptions::default(),
        }
    }

    /// `PATCH /v1/customers/{id}`: changes only the fields set on the builder.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// # let id = client.customers().create().email("setup@polar.sh").external_id("user_42").await?.id();
    /// // Sends {"name":"Ada King","locale":null}: sets the name, clears the locale.
    /// let customer = client.customers().update(id).name("Ada King").clear_locale().await?;
    /// # let _ = customer;
    /// # Ok(()) }
    /// ```
    pub fn update(&self, id: CustomerId) -> UpdateCustomer {
        UpdateCustomer {
            client: self.client.clone(),
            id,
            body: CustomerUpdate::default(),
            options: CallOptions::default(),
        }
    }

    /// `PATCH /v1/customers/external/{external_id}`: like [`update`](Self::update), but the
    /// external ID and the customer type cannot be changed this way.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// # let id = client.customers().create().email("setup@polar.sh").external_id("user_42").await?.id();
    /// # let team = client.customers().create().team().email("team@polar.sh").external_id("team_7").await?.id();
    /// let customer = client.customers().update_external("user_42").metadata("plan", "team").await?;
    /// # let _ = customer;
    /// # Ok(()) }
    /// ```
    pub fn update_external(&self, external_id: impl Into<String>) -> UpdateCustomerExternal {
        UpdateCustomerExternal {
            client: self.client.clone(),
            external_id: external_id.into(),
            body: CustomerUpdateExternalId::default(),
            options: CallOptions::default(),
        }
    }

    /// `DELETE /v1/customers/{id}`: soft-deletes the customer (answer 204).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// # let id = client.customers().create().email("setup@polar.sh").external_id("user_42").await?.id();
    /// client.customers().delete(id).anonymize(true).await?;
    /// # Ok(()) }
    /// ```
    pub fn delete(&self, id: CustomerId) -> DeleteCustomer {
        DeleteCustomer {
            client: self.client.clone(),
            target: Target::Id(id),
            anonymize: None,
            options: CallOptions::default(),
        }
    }

    /// `DELETE /v1/customers/external/{external_id}`: soft-deletes the customer (answer 204).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// # let id = client.customers().create().email("setup@polar.sh").external_id("user_42").await?.id();
    /// client.customers().delete_external("user_42").await?;
    /// # Ok(()) }
    /// ```
    pub fn delete_external(&self, external_id: impl Into<String>) -> DeleteCustomer {
        DeleteCustomer {
            client: self.client.clone(),
            target: Target::External(external_id.into()),
            anonymize: None,
            options: CallOptions::default(),
        }
    }

    /// `GET /v1/customers/{id}/state`: the customer with its active subscriptions, granted
    /// benefits and active meters.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// # let id = client.customers().create().email("setup@polar.sh").external_id("user_42").await?.id();
    /// let state = client.customers().get_state(id).await?;
    /// # let _ = state;
    /// # Ok(()) }
    /// ```
    pub fn get_state(&self, id: CustomerId) -> GetCustomerState {
        GetCustomerState {
            client: self.client.clone(),
            target: Target::Id(id),
            options: CallOptions::default(),
        }
    }

    /// `GET /v1/customers/external/{external_id}/state`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// # let id = client.customers().create().email("setup@polar.sh").external_id("user_42").await?.id();
    /// let state = client.customers().get_state_external("user_42").await?;
    /// # let _ = state;
    /// # Ok(()) }
    /// ```
    pub fn get_state_external(&self, external_id: impl Into<String>) -> GetCustomerState {
        GetCustomerState {
            client: self.client.clone(),
            target: Target::External(external_id.into()),
            options: CallOptions::default(),
        }
    }

    /// `GET /v1/customers/export`: every customer as CSV, streamed.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// # let id = client.customers().create().email("setup@polar.sh").external_id("user_42").await?.id();
    /// use futures_util::TryStreamExt;
    ///
    /// // Into a file (or any `AsyncWrite`), one chunk at a time.
    /// let mut file = Vec::new();
    /// let bytes = client.customers().export().await?.write_to(&mut file).await?;
    /// assert_eq!(bytes as usize, file.len());
    ///
    /// // Or as typed rows.
    /// let mut rows = client.customers().export().rows().await?;
    /// while let Some(row) = rows.try_next().await? {
    ///     println!("{} {:?}", row.id, row.email);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn export(&self) -> ExportCustomers {
        ExportCustomers {
            client: self.client.clone(),
            params: CustomersExportParams::default(),
            options: CallOptions::default(),
        }
    }

    /// The team members of the customer with this Polar ID: add, get, update, remove.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// # let id = client.customers().create().email("setup@polar.sh").external_id("user_42").await?.id();
    /// # let team = client.customers().create().team().email("team@polar.sh").external_id("team_7").await?.id();
    /// let ada = client.customers().members(team).create("ada@polar.sh").await?;
    /// # let _ = ada;
    /// # Ok(()) }
    /// ```
    pub fn members(&self, id: CustomerId) -> Members {
        Members::new(self.client.clone(), id)
    }

    /// The team members of the customer with this external ID; members are then found by
    /// their external IDs.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// # let id = client.customers().create().email("setup@polar.sh").external_id("user_42").await?.id();
    /// # let team = client.customers().create().team().email("team@polar.sh").external_id("team_7").await?.id();
    /// let members = client.customers().members_external("team_7");
    /// members.create("ada@polar.sh").external_id("user_ada").await?;
    /// members.update("user_ada").name("Ada").await?;
    /// # Ok(()) }
    /// ```
    pub fn members_external(&self, external_id: impl Into<String>) -> MembersExternal {
        MembersExternal::new(self.client.clone(), external_id.into())
    }

    /// `GET /v1/customers/{id}/payment-methods`: the customer's saved payment methods.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// # let id = client.customers().create().email("setup@polar.sh").external_id("user_42").await?.id();
    /// use futures_util::TryStreamExt;
    /// use polar_customers::types::PaymentMethod;
    ///
    /// let mut methods = client.customers().payment_methods(id).stream();
    /// while let Some(method) = methods.try_next().await? {
    ///     if let PaymentMethod::Card(card) = method {
    ///         println!("{} ending in {}", card.method_metadata.brand, card.method_metadata.last4);
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn payment_methods(&self, id: CustomerId) -> ListPaymentMethods {
        self.list_payment_methods(Target::Id(id))
    }

    /// `GET /v1/customers/external/{external_id}/payment-methods`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// # let id = client.customers().create().email("setup@polar.sh").external_id("user_42").await?.id();
    /// let page = client.customers().payment_methods_external("user_42").limit(5).await?;
    /// println!("{} saved payment methods", page.pagination.total_count);
    /// # Ok(()) }
    /// ```
    pub fn payment_methods_external(&self, external_id: impl Into<String>) -> ListPaymentMethods {
        self.list_payment_methods(Target::External(external_id.into()))
    }

    fn list_payment_methods(&self, target: Target) -> ListPaymentMethods {
        ListPaymentMethods {
            client: self.client.clone(),
            target,
            page: None,
            limit: None,
            options: CallOptions::default(),
        }
    }
}

/// Which customer a builder addresses.
#[derive(Clone, Debug)]
pub(crate) enum Target {
    Id(CustomerId),
    External(String),
}

impl Target {
    /// The route template and the encoded path, `suffix` appended (e.g. `/state`).
    pub(crate) fn path(&self, suffix: &str) -> Result<(&'static str, String), Error> {
        match self {
            Target::Id(id) => {
                let route = if suffix.is_empty() {
                    ROUTE_ID
                } else {
                    ROUTE_STATE
                };
                Ok((route, join("/v1/customers/", &id.to_string(), suffix)))
            }
            Target::External(external_id) => {
                let route = if suffix.is_empty() {
                    ROUTE_EXTERNAL
                } else {
                    ROUTE_STATE_EXTERNAL
                };
                let segment = encode_segment("external_id", external_id)?;
                Ok((route, join("/v1/customers/external/", &segment, suffix)))
            }
        }
    }
}
