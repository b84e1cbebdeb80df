//! "The customer with this external ID, created if it does not exist yet": the sign-up path.

use super::{CreateCustomer, GetCustomer};
use crate::Error;
use crate::builder::{awaitable, request_options};
use crate::request::{CallOptions, ResponseFuture};
use crate::types::{Customer, LocItem};

/// How many get-then-create rounds are made before the last error is returned. A round is
/// repeated only when the create lost a race to another caller.
const ROUNDS: usize = 3;

/// Builder of [`Customers::ensure_external`](super::Customers::ensure_external): gets the
/// customer by external ID; on 404 creates it with the fields given here; when the create
/// loses a race to another caller (Polar's 422 "A customer with this external ID already
/// exists."), gets it again. Two concurrent calls for one new external ID end with one
/// customer, and both return it.
///
/// Safe to call again after any error: a create that may have reached Polar and failed on the
/// way back is found by the next call's get.
#[derive(Clone, Debug)]
#[must_use = "a request builder does nothing until awaited"]
pub struct EnsureExternal {
    pub(super) external_id: String,
    pub(super) get: GetCustomer,
    pub(super) create: CreateCustomer,
    pub(super) options: CallOptions,
}

impl EnsureExternal {
    /// The email of the customer to create (an individual needs one).
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.create = self.create.email(email);
        self
    }

    /// Sets any other field of the customer to create, with the setters of
    /// [`CreateCustomer`]; the external ID stays the one being ensured.
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
        let external_id = self.external_id.clone();
        self.create = fields(self.create).external_id(external_id);
        self
    }

    request_options!();

    /// Sends the requests (a get, and a create when needed).
    pub fn send(self) -> ResponseFuture<Customer> {
        let EnsureExternal {
            mut get,
            mut create,
            options,
            ..
        } = self;
        get.options = options.clone();
        create.options = options;
        Box::pin(async move {
            let mut last = None;
            for _ in 0..ROUNDS {
                match get.clone().send().await {
                    Ok(customer) => return Ok(customer),
                    Err(e) if e.is_not_found() => {}
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

awaitable!(EnsureExternal => Customer);

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
