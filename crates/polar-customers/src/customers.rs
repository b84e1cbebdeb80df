//! The eleven operations of the Customers API, one builder each.

use std::future::IntoFuture;
use std::sync::Arc;
use std::time::Duration;

use http::Method;
use http::header::{HeaderName, HeaderValue};
use polar_transport::RequestOptions;
use secrecy::SecretString;
use serde::de::DeserializeOwned;

use crate::export::{ExportRows, ExportStream};
use crate::pagination::{Items, PageFetcher, Pages};
use crate::path::{encode_segment, join};
use crate::request::{CSV, Call, CallOptions, ResponseFuture};
use crate::shape::CheckShape;
use crate::types::{
    AddressInput, Customer, CustomerCreate, CustomerId, CustomerIndividualCreate,
    CustomerSortProperty, CustomerState, CustomerTeamCreate, CustomerType, CustomerUpdate,
    CustomerUpdateExternalId, CustomersExportParams, CustomersListParams, ListResource,
    MemberOwnerCreate, Metadata, MetadataValue, Nullable, OrganizationId, Validate,
};
use crate::{Client, Error};

const ROUTE_LIST: &str = "/v1/customers/";
const ROUTE_EXPORT: &str = "/v1/customers/export";
const ROUTE_ID: &str = "/v1/customers/{id}";
const ROUTE_STATE: &str = "/v1/customers/{id}/state";
const ROUTE_EXTERNAL: &str = "/v1/customers/external/{external_id}";
const ROUTE_STATE_EXTERNAL: &str = "/v1/customers/external/{external_id}/state";

/// Adds the per-request option setters shared by every builder (the `options` field).
macro_rules! request_options {
    () => {
        /// Sends this request with another bearer token than the client's.
        pub fn token(mut self, token: impl Into<String>) -> Self {
            self.options.token = Some(SecretString::from(token.into()));
            self
        }

        /// Gives this call (all attempts and waits, and reading the answer) at most `timeout`.
        /// For the export it bounds only the wait for the answer to start; a stalled stream is
        /// ended by the body idle timeout instead.
        pub fn timeout(mut self, timeout: Duration) -> Self {
            self.options.timeout = Some(timeout);
            self
        }

        /// Retries this request at most `retries` times (0 = a single attempt), when the
        /// transport's retry policy deems a retry safe.
        pub fn max_retries(mut self, retries: u32) -> Self {
            self.options.max_retries = Some(retries);
            self
        }

        /// Adds a header to this request (repeat to add more). An invalid name or value makes
        /// the call fail with [`Error::InvalidInput`] before anything is sent.
        pub fn header<K, V>(mut self, name: K, value: V) -> Self
        where
            K: TryInto<HeaderName>,
            V: TryInto<HeaderValue>,
        {
            self.options.add_header(name, value);
            self
        }

        /// Applies transport options in one go; fields left `None` are not changed.
        pub fn request_options(mut self, options: RequestOptions) -> Self {
            self.options.set_options(options);
            self
        }
    };
}

/// Implements `IntoFuture` by delegating to `send`.
macro_rules! awaitable {
    ($builder:ty => $output:ty) => {
        impl IntoFuture for $builder {
            type Output = Result<$output, Error>;
            type IntoFuture = ResponseFuture<$output>;

            fn into_future(self) -> Self::IntoFuture {
                self.send()
            }
        }
    };
}

/// Sends a call and decodes its JSON answer; a call that could not be built (invalid input)
/// fails when awaited, like any other error.
fn send_json<T: DeserializeOwned + CheckShape + Send + 'static>(
    client: Client,
    call: Result<Call, Error>,
) -> ResponseFuture<T> {
    Box::pin(async move { client.send_json(call?).await })
}

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
    /// # let client = polar_customers::__doc::client();
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
    /// # let client = polar_customers::__doc::client();
    /// let customer = client
    ///     .customers()
    ///     .create()
    ///     .email("ada@example.com")
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
    /// # let client = polar_customers::__doc::client();
    /// # let id = polar_customers::__doc::CUSTOMER_ID.parse().unwrap();
    /// let customer = client.customers().get(id).await?;
    /// assert_eq!(customer.id(), Some(id));
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
    /// # let client = polar_customers::__doc::client();
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

    /// `PATCH /v1/customers/{id}`: changes only the fields set on the builder.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let client = polar_customers::__doc::client();
    /// # let id = polar_customers::__doc::CUSTOMER_ID.parse().unwrap();
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
    /// # let client = polar_customers::__doc::client();
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
    /// # let client = polar_customers::__doc::client();
    /// # let id = polar_customers::__doc::CUSTOMER_ID.parse().unwrap();
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
    /// # let client = polar_customers::__doc::client();
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
    /// # let client = polar_customers::__doc::client();
    /// # let id = polar_customers::__doc::CUSTOMER_ID.parse().unwrap();
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
    /// # let client = polar_customers::__doc::client();
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
    /// # let client = polar_customers::__doc::client();
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
}

/// Which customer a builder addresses.
#[derive(Clone, Debug)]
enum Target {
    Id(CustomerId),
    External(String),
}

impl Target {
    /// The route template and the encoded path, `suffix` appended (e.g. `/state`).
    fn path(&self, suffix: &str) -> Result<(&'static str, String), Error> {
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

// ---------------------------------------------------------------------------------------------
// list

/// The list call for `params`, checked against Polar's rules first.
fn list_call(params: &CustomersListParams, options: &CallOptions) -> Result<Call, Error> {
    params.validate()?;
    Ok(Call::new(Method::GET, ROUTE_LIST, ROUTE_LIST.to_owned())
        .query(params.query_pairs())
        .options(options.clone()))
}

/// Builder of `GET /v1/customers/`, from [`Customers::list`].
///
/// `.await` (or [`send`](Self::send)) returns one page; [`stream`](Self::stream) yields every
/// customer of every page and [`pages`](Self::pages) every page.
#[derive(Clone, Debug)]
#[must_use = "a request builder does nothing until awaited"]
pub struct ListCustomers {
    client: Client,
    query: CustomersListParams,
    options: CallOptions,
}

impl ListCustomers {
    /// Only customers of this organization (repeat to allow several).
    pub fn organization_id(mut self, id: OrganizationId) -> Self {
        self.query.organization_id.push(id);
        self
    }

    /// Only customers of these organizations (added to those already set).
    pub fn organization_ids(mut self, ids: impl IntoIterator<Item = OrganizationId>) -> Self {
        self.query.organization_id.extend(ids);
        self
    }

    /// Only the customer with this email (exact, case-insensitive).
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.query.email = Some(email.into());
        self
    }

    /// Free-text search in email, name, billing name and external ID prefix.
    pub fn query(mut self, query: impl Into<String>) -> Self {
        self.query.query = Some(query.into());
        self
    }

    /// Only customers with (`true`) or without (`false`) an active subscription.
    pub fn active(mut self, active: bool) -> Self {
        self.query.active = Some(active);
        self
    }

    /// The page to get (from 1). For [`stream`](Self::stream) and [`pages`](Self::pages),
    /// the page to start from.
    pub fn page(mut self, page: i64) -> Self {
        self.query.page = Some(page);
        self
    }

    /// Customers per page (1..=100; the server cuts larger values to 100).
    pub fn limit(mut self, limit: i64) -> Self {
        self.query.limit = Some(limit);
        self
    }

    /// Sort order, applied in the order given (replaces any order set before).
    pub fn sorting(mut self, sorting: impl IntoIterator<Item = CustomerSortProperty>) -> Self {
        self.query.sorting = sorting.into_iter().collect();
        self
    }

    /// Adds one sort criterion after those already set.
    pub fn sort_by(mut self, sort: CustomerSortProperty) -> Self {
        self.query.sorting.push(sort);
        self
    }

    /// Only customers whose metadata `key` equals `value`. Repeat a key to accept any of its
    /// values; different keys must all match. Sent as `metadata[key]=value`.
    pub fn metadata(mut self, key: impl Into<String>, value: impl ToString) -> Self {
        self.query.metadata.push((key.into(), value.to_string()));
        self
    }

    request_options!();

    /// Sends the request and returns one page.
    pub fn send(self) -> ResponseFuture<ListResource<Customer>> {
        let call = list_call(&self.query, &self.options);
        send_json(self.client, call)
    }

    /// Every page from [`page`](Self::page) (default 1) on, fetching the next page while the
    /// current one is handled. Ends after `max_page`, at an empty page or after an error.
    pub fn pages(self) -> Pages<Customer> {
        let first = self.query.page.unwrap_or(1);
        // Checked as the caller set it: the pager starts at page 1 at the lowest, which would
        // hide a `page(0)`.
        let invalid = self.query.validate().err();
        let ListCustomers {
            client,
            query,
            options,
        } = self;
        let fetch: PageFetcher<Customer> = Arc::new(move |page| {
            let call = match &invalid {
                Some(e) => Err(Error::InvalidInput(e.clone())),
                None => list_call(
                    &CustomersListParams {
                        page: Some(page),
                        ..query.clone()
                    },
                    &options,
                ),
            };
            send_json(client.clone(), call)
        });
        Pages::new(fetch, first)
    }

    /// Every customer of every page, in order, with one page of look-ahead (more with
    /// [`Items::concurrency`]).
    ///
    /// The stream owns a clone of the client; it is `Send + Unpin + 'static`.
    pub fn stream(self) -> Items<Customer> {
        Items::new(self.pages())
    }
}

awaitable!(ListCustomers => ListResource<Customer>);

// ---------------------------------------------------------------------------------------------
// create

/// Applies `$apply` to the fields both create variants share.
macro_rules! both {
    ($body:expr, |$b:ident| $apply:expr) => {
        match &mut $body {
            CustomerCreate::Individual($b) => $apply,
            CustomerCreate::Team($b) => $apply,
            #[allow(unreachable_patterns)]
            _ => {}
        }
    };
}

/// Builder of `POST /v1/customers/`, from [`Customers::create`].
///
/// The body is checked with [`Validate`] before sending; an individual needs an email, a team
/// an email or an owner.
#[derive(Clone, Debug)]
#[must_use = "a request builder does nothing until awaited"]
pub struct CreateCustomer {
    client: Client,
    body: CustomerCreate,
    options: CallOptions,
}

impl CreateCustomer {
    /// Uses this complete body, replacing whatever was set before.
    pub fn body(mut self, body: CustomerCreate) -> Self {
        self.body = body;
        self
    }

    /// Makes the customer a team (the fields set so far are kept).
    pub fn team(mut self) -> Self {
        if let CustomerCreate::Individual(ind) = &mut self.body {
            let ind = std::mem::replace(ind, CustomerIndividualCreate::new(""));
            let team = CustomerTeamCreate {
                email: if ind.email.is_empty() {
                    Nullable::Absent
                } else {
                    Nullable::Value(ind.email)
                },
                metadata: ind.metadata,
                external_id: ind.external_id,
                name: ind.name,
                billing_address: ind.billing_address,
                tax_id: ind.tax_id,
                locale: ind.locale,
                organization_id: ind.organization_id,
                owner: ind.owner,
                ..Default::default()
            };
            self.body = CustomerCreate::Team(team);
        }
        self
    }

    /// The customer's email (required for an individual).
    pub fn email(mut self, email: impl Into<String>) -> Self {
        let email = email.into();
        match &mut self.body {
            CustomerCreate::Individual(b) => b.email = email,
            CustomerCreate::Team(b) => b.email = Nullable::Value(email),
            #[allow(unreachable_patterns)]
            _ => {}
        }
        self
    }

    /// The customer's name (at most 256 characters).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        let name = name.into();
        both!(self.body, |b| b.name = Nullable::Value(name));
        self
    }

    /// Your own ID for the customer, unique in the organization.
    pub fn external_id(mut self, external_id: impl Into<String>) -> Self {
        let external_id = external_id.into();
        both!(self.body, |b| b.external_id = Nullable::Value(external_id));
        self
    }

    /// Adds one metadata entry (at most 50; key 1–40 characters; string value 1–500).
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<MetadataValue>) -> Self {
        let (key, value) = (key.into(), value.into());
        both!(self.body, |b| {
            b.metadata
                .get_or_insert_with(Metadata::default)
                .insert(key, value);
        });
        self
    }

    /// The billing address (needed for a tax ID).
    pub fn billing_address(mut self, address: AddressInput) -> Self {
        both!(self.body, |b| b.billing_address = Nullable::Value(address));
        self
    }

    /// The tax ID, e.g. a VAT number.
    pub fn tax_id(mut self, tax_id: impl Into<String>) -> Self {
        let tax_id = tax_id.into();
        both!(self.body, |b| b.tax_id = Nullable::Value(tax_id));
        self
    }

    /// The customer's locale, a BCP 47 tag such as `en-US`.
    pub fn locale(mut self, locale: impl Into<String>) -> Self {
        let locale = locale.into();
        both!(self.body, |b| b.locale = Nullable::Value(locale));
        self
    }

    /// The organization (needed with a user token; implied by an organization token).
    pub fn organization_id(mut self, id: OrganizationId) -> Self {
        both!(self.body, |b| b.organization_id = Nullable::Value(id));
        self
    }

    /// The owner member to create with the customer.
    pub fn owner(mut self, owner: MemberOwnerCreate) -> Self {
        both!(self.body, |b| b.owner = Nullable::Value(owner));
        self
    }

    request_options!();

    fn call(&self) -> Result<Call, Error> {
        if let CustomerCreate::Individual(b) = &self.body
            && b.email.is_empty()
        {
            return Err(Error::invalid(
                "email",
                "an individual customer needs an email",
            ));
        }
        self.body.validate()?;
        Ok(Call::new(Method::POST, ROUTE_LIST, ROUTE_LIST.to_owned())
            .json_body(&self.body)?
            .options(self.options.clone()))
    }

    /// Sends the request; the answer (201) is the new customer.
    pub fn send(self) -> ResponseFuture<Customer> {
        let call = self.call();
        send_json(self.client, call)
    }
}

awaitable!(CreateCustomer => Customer);

// ---------------------------------------------------------------------------------------------
// get

/// Builder of `GET /v1/customers/{id}` and `GET /v1/customers/external/{external_id}`.
#[derive(Clone, Debug)]
#[must_use = "a request builder does nothing until awaited"]
pub struct GetCustomer {
    client: Client,
    target: Target,
    options: CallOptions,
}

impl GetCustomer {
    request_options!();

    /// Sends the request.
    pub fn send(self) -> ResponseFuture<Customer> {
        let call = self
            .target
            .path("")
            .map(|(route, path)| Call::new(Method::GET, route, path).options(self.options));
        send_json(self.client, call)
    }
}

awaitable!(GetCustomer => Customer);

/// Builder of `GET /v1/customers/{id}/state` and
/// `GET /v1/customers/external/{external_id}/state`.
#[derive(Clone, Debug)]
#[must_use = "a request builder does nothing until awaited"]
pub struct GetCustomerState {
    client: Client,
    target: Target,
    options: CallOptions,
}

impl GetCustomerState {
    request_options!();

    /// Sends the request.
    pub fn send(self) -> ResponseFuture<CustomerState> {
        let call = self
            .target
            .path("/state")
            .map(|(route, path)| Call::new(Method::GET, route, path).options(self.options));
        send_json(self.client, call)
    }
}

awaitable!(GetCustomerState => CustomerState);

// ---------------------------------------------------------------------------------------------
// update

/// Setters shared by both update builders: each field is left out (unchanged), set, or, with
/// `clear_*`, sent as `null` (cleared).
macro_rules! update_setters {
    ($body:ty) => {
        /// Uses this complete body, replacing whatever was set before.
        pub fn body(mut self, body: $body) -> Self {
            self.body = body;
            self
        }

        /// Sets the email (re-checks uniqueness; the email becomes unverified).
        pub fn email(mut self, email: impl Into<String>) -> Self {
            self.body.email = Nullable::Value(email.into());
            self
        }

        /// Sets the name (at most 256 characters).
        pub fn name(mut self, name: impl Into<String>) -> Self {
            self.body.name = Nullable::Value(name.into());
            self
        }

        /// Clears the name (sends `"name": null`).
        pub fn clear_name(mut self) -> Self {
            self.body.name = Nullable::Null;
            self
        }

        /// Sets, clears (`Nullable::Null`) or leaves out (`Nullable::Absent`) the name.
        pub fn name_patch(mut self, name: Nullable<String>) -> Self {
            self.body.name = name;
            self
        }

        /// Adds one metadata entry to the metadata sent. The server replaces the whole
        /// metadata with what is sent, so include every key to keep.
        pub fn metadata(mut self, key: impl Into<String>, value: impl Into<MetadataValue>) -> Self {
            self.body
                .metadata
                .get_or_insert_with(Metadata::default)
                .insert(key.into(), value.into());
            self
        }

        /// Replaces the metadata with this map (`Metadata::new()` removes every key).
        pub fn metadata_map(mut self, metadata: Metadata) -> Self {
            self.body.metadata = Some(metadata);
            self
        }

        /// Removes every metadata key (sends `"metadata": {}`).
        pub fn clear_metadata(mut self) -> Self {
            self.body.metadata = Some(Metadata::default());
            self
        }

        /// Sets the billing address (it cannot be cleared once set).
        pub fn billing_address(mut self, address: AddressInput) -> Self {
            self.body.billing_address = Nullable::Value(address);
            self
        }

        /// Sets the tax ID.
        pub fn tax_id(mut self, tax_id: impl Into<String>) -> Self {
            self.body.tax_id = Nullable::Value(tax_id.into());
            self
        }

        /// Clears the tax ID (sends `"tax_id": null`).
        pub fn clear_tax_id(mut self) -> Self {
            self.body.tax_id = Nullable::Null;
            self
        }

        /// Sets the locale (BCP 47).
        pub fn locale(mut self, locale: impl Into<String>) -> Self {
            self.body.locale = Nullable::Value(locale.into());
            self
        }

        /// Clears the locale (sends `"locale": null`).
        pub fn clear_locale(mut self) -> Self {
            self.body.locale = Nullable::Null;
            self
        }

        request_options!();
    };
}

/// Builder of `PATCH /v1/customers/{id}`, from [`Customers::update`].
///
/// Only the fields set are sent. With nothing set the body is `{}` (the customer is returned
/// unchanged).
#[derive(Clone, Debug)]
#[must_use = "a request builder does nothing until awaited"]
pub struct UpdateCustomer {
    client: Client,
    id: CustomerId,
    body: CustomerUpdate,
    options: CallOptions,
}

impl UpdateCustomer {
    update_setters!(CustomerUpdate);

    /// Sets the external ID (allowed once: a set external ID cannot be changed).
    pub fn external_id(mut self, external_id: impl Into<String>) -> Self {
        self.body.external_id = Nullable::Value(external_id.into());
        self
    }

    /// Changes the customer type (only individual → team is allowed).
    pub fn customer_type(mut self, customer_type: CustomerType) -> Self {
        self.body.r#type = Nullable::Value(customer_type);
        self
    }

    /// Sends the request; the answer is the updated customer.
    pub fn send(self) -> ResponseFuture<Customer> {
        let build = || -> Result<Call, Error> {
            self.body.validate()?;
            Ok(Call::new(
                Method::PATCH,
                ROUTE_ID,
                join("/v1/customers/", &self.id.to_string(), ""),
            )
            .json_body(&self.body)?
            .options(self.options.clone()))
        };
        let call = build();
        send_json(self.client, call)
    }
}

awaitable!(UpdateCustomer => Customer);

/// Builder of `PATCH /v1/customers/external/{external_id}`, from
/// [`Customers::update_external`].
#[derive(Clone, Debug)]
#[must_use = "a request builder does nothing until awaited"]
pub struct UpdateCustomerExternal {
    client: Client,
    external_id: String,
    body: CustomerUpdateExternalId,
    options: CallOptions,
}

impl UpdateCustomerExternal {
    update_setters!(CustomerUpdateExternalId);

    /// Sends the request; the answer is the updated customer.
    pub fn send(self) -> ResponseFuture<Customer> {
        let build = || -> Result<Call, Error> {
            let segment = encode_segment("external_id", &self.external_id)?;
            self.body.validate()?;
            Ok(Call::new(
                Method::PATCH,
                ROUTE_EXTERNAL,
                join("/v1/customers/external/", &segment, ""),
            )
            .json_body(&self.body)?
            .options(self.options.clone()))
        };
        let call = build();
        send_json(self.client, call)
    }
}

awaitable!(UpdateCustomerExternal => Customer);

// ---------------------------------------------------------------------------------------------
// delete

/// Builder of `DELETE /v1/customers/{id}` and `DELETE /v1/customers/external/{external_id}`.
#[derive(Clone, Debug)]
#[must_use = "a request builder does nothing until awaited"]
pub struct DeleteCustomer {
    client: Client,
    target: Target,
    anonymize: Option<bool>,
    options: CallOptions,
}

impl DeleteCustomer {
    /// Also hash the email and name, clear the billing address and mark the metadata
    /// (`?anonymize=true`).
    pub fn anonymize(mut self, anonymize: bool) -> Self {
        self.anonymize = Some(anonymize);
        self
    }

    request_options!();

    /// Sends the request; the answer is 204 with no body.
    ///
    /// When an attempt's answer is lost (the connection broke, the attempt timed out) the
    /// transport retries the DELETE, and the retry may find the customer already gone: a 404
    /// to a retry means the earlier attempt deleted it, and the call succeeds. A 404 to the
    /// first attempt is still [`Error::Api`] (`is_not_found()`).
    pub fn send(self) -> ResponseFuture<()> {
        let mut query = Vec::new();
        if let Some(anonymize) = self.anonymize {
            query.push(("anonymize".to_owned(), anonymize.to_string()));
        }
        let call = self.target.path("").map(|(route, path)| {
            Call::new(Method::DELETE, route, path)
                .query(query)
                .options(self.options)
        });
        let client = self.client;
        Box::pin(async move { client.send_delete(call?).await })
    }
}

awaitable!(DeleteCustomer => ());

// ---------------------------------------------------------------------------------------------
// export

/// Builder of `GET /v1/customers/export`, from [`Customers::export`].
///
/// `.await` gives an [`ExportStream`] of raw CSV bytes; [`rows`](Self::rows) gives parsed rows.
#[derive(Clone, Debug)]
#[must_use = "a request builder does nothing until awaited"]
pub struct ExportCustomers {
    client: Client,
    params: CustomersExportParams,
    options: CallOptions,
}

impl ExportCustomers {
    /// Only customers of this organization (repeat to allow several).
    pub fn organization_id(mut self, id: OrganizationId) -> Self {
        self.params.organization_id.push(id);
        self
    }

    request_options!();

    /// Sends the request; the answer's body is handed out as it arrives.
    ///
    /// The call timeout (the client's, or [`timeout`](Self::timeout)) bounds the wait for the
    /// answer to start, not the whole download: a large export may stream for longer. A stream
    /// that stalls fails with [`Error::Timeout`] once no data has arrived for the transport's
    /// body idle timeout ([`ClientBuilder::body_idle_timeout`](crate::ClientBuilder::body_idle_timeout),
    /// 30 s by default).
    pub fn send(self) -> ResponseFuture<ExportStream> {
        let query = self.params.query_pairs();
        let mut options = self.options;
        // An export of many customers may take longer than the call timeout: only its head is
        // bounded by it; the body fails when the server sends nothing for the transport's body
        // idle timeout.
        options.streaming_body = true;
        let mut call = Call::new(Method::GET, ROUTE_EXPORT, ROUTE_EXPORT.to_owned())
            .query(query)
            .options(options);
        call.accept = CSV;
        let client = self.client;
        Box::pin(async move {
            let (response, tokens) = client.send_raw(call).await?;
            let status = response.status();
            Ok(ExportStream::new(status, response.into_body(), tokens))
        })
    }

    /// Sends the request and parses the answer into typed rows as it arrives.
    pub fn rows(self) -> ResponseFuture<ExportRows> {
        let fut = self.send();
        Box::pin(async move { Ok(fut.await?.rows()) })
    }
}

awaitable!(ExportCustomers => ExportStream);
