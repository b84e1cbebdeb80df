//! "The customer with this external ID, created if it does not exist yet": the sign-up path.

use super::{CreateCustomer, Customers};
use crate::request::ResponseFuture;
use crate::types::{Customer, CustomersCreateParams, CustomersGetExternalParams, LocItem};
use crate::{Error, Request};

/// How many get-then-create rounds are made before the last error is returned. A round is
/// repeated only when the create lost a race to another caller.
const ROUNDS: usize = 3;

/// What [`Customers::ensure_external`] sends: a get by external ID, and the create made when
/// Polar does not know the customer yet.
#[derive(Clone, Debug)]
pub struct EnsureExternalParams {
    get: CustomersGetExternalParams,
    create: CustomersCreateParams,
}

/// Request of [`Customers::ensure_external`]: gets the customer by external ID; on Polar's 404
/// `ResourceNotFound` (not any 404: a wrong route's is an error) creates it with the fields
/// given here; when the create loses a race to another caller (Polar's 422
/// "A customer with this external ID already exists."), gets it again. Two concurrent calls
/// for one new external ID end with one customer, and both return it.
///
/// Safe to call again after any error: a create that may have reached Polar and failed on the
/// way back is found by the next call's get. The per-call options apply to each request.
pub type EnsureExternal = Request<EnsureExternalParams>;

impl Customers {
    /// The customer with this external ID, created when Polar does not know it yet: the
    /// sign-up path. Gets by external ID; on Polar's 404 `ResourceNotFound` creates it (set its
    /// fields on the builder); when the create loses a race to a concurrent call, gets again.
    /// See [`EnsureExternal`].
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
        let create = self.create().external_id(external_id.clone()).params;
        self.client.request(EnsureExternalParams {
            get: CustomersGetExternalParams { external_id },
            create,
        })
    }
}

impl EnsureExternal {
    /// The email of the customer to create (an individual needs one).
    pub fn email(self, email: impl Into<String>) -> Self {
        self.create_with(|c| c.email(email))
    }

    /// Sets any other field of the customer to create, with the setters of
    /// [`CreateCustomer`]; the external ID stays the one being ensured, and per-call options
    /// set there are not used (set them on this request).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// let customer = client
    ///     .customers()
    ///     .ensure_external("user_42")
    ///     .email("ada@polar.sh")
    ///     .create_with(|c| c.name("Ada Lovelace").metadata("plan", "free"))
    ///     .await?;
    /// assert_eq!(customer.external_id(), Some("user_42"));
    /// # Ok(()) }
    /// ```
    pub fn create_with(mut self, fields: impl FnOnce(CreateCustomer) -> CreateCustomer) -> Self {
        let EnsureExternalParams { get, create } = self.params;
        let create = self.client.request(create);
        let create = fields(create).external_id(get.external_id.clone()).params;
        self.params = EnsureExternalParams { get, create };
        self
    }

    /// Sends the requests (a get, and a create when needed).
    pub fn send(self) -> ResponseFuture<Customer> {
        let Request {
            client,
            params: EnsureExternalParams { get, create },
            options,
        } = self;
        let get = Request {
            client: client.clone(),
            params: get,
            options: options.clone(),
        };
        let create = Request {
            client,
            params: create,
            options,
        };
        Box::pin(async move {
            let mut last = None;
            for _ in 0..ROUNDS {
                match get.clone().send().await {
                    Ok(customer) => return Ok(customer),
                    Err(e) if e.is_resource_not_found() => {}
                    Err(e) => return Err(e),
                }
                match create.clone().send().await {
                    Ok(customer) => return Ok(customer),
                    Err(e) if lost_the_race(&e) => last = Some(e),
                    Err(e) => return Err(e),
                }
            }
            Err(last.expect("a round ran"))
        })
    }
}

impl std::future::IntoFuture for EnsureExternal {
    type Output = Result<Customer, Error>;
    type IntoFuture = ResponseFuture<Customer>;

    fn into_future(self) -> Self::IntoFuture {
        self.send()
    }
}

/// Polar's 422 for a create whose external ID another customer took first
/// (`server/polar/customer/service.py`: "A customer with this external ID already exists.",
/// at `["body","external_id"]`; an email taken at the same time may come with it).
fn lost_the_race(error: &Error) -> bool {
    error.as_api().is_some_and(|api| {
        api.status() == 422
            && api.validation_errors().iter().any(|v| {
                matches!(v.loc.last(), Some(LocItem::String(field)) if field == "external_id")
                    && v.msg.contains("already exists")
            })
    })
}

#[cfg(test)]
mod tests {
    use polar_transport::mock::{MockResponse, MockTransport};
    use serde_json::json;

    use crate::Client;

    /// A 404 that is not Polar's "no such customer" (here an unknown route, as a wrong base URL
    /// or API version gives) is returned as the error: no create is tried.
    #[tokio::test]
    async fn a_404_of_another_shape_is_an_error_not_a_create() {
        let mock = MockTransport::new();
        mock.push(MockResponse::json(404, &json!({"detail": "Not Found"})));
        let error = Client::from_service(mock.clone())
            .customers()
            .ensure_external("user_42")
            .email("ada@polar.sh")
            .await
            .unwrap_err();
        assert_eq!(error.status(), Some(http::StatusCode::NOT_FOUND));
        assert!(!error.is_resource_not_found());
        assert_eq!(mock.request_count(), 1, "only the get was sent");
    }
}
