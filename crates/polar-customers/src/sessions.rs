//! Customer sessions: `POST /v1/customer-sessions/` opens the customer portal for one customer
//! and hands back the link to send them.

use http::Method;

use crate::builder::{awaitable, request_options};
use crate::request::{Call, CallOptions, ResponseFuture};
use crate::types::{
    CustomerId, CustomerSession, CustomerSessionCreate, CustomerSessionCustomerExternalIdCreate,
    CustomerSessionCustomerIdCreate, MemberId, Nullable, Validate,
};
use crate::{Client, Error};

const ROUTE: &str = crate::types::CustomerSessionsCreateParams::PATH;

/// The customer-session operation, from [`Client::customer_sessions`].
///
/// A session's [`token`](CustomerSession::token) and
/// [`customer_portal_url`](CustomerSession::customer_portal_url) let whoever holds them into the
/// customer's portal until [`expires_at`](CustomerSession::expires_at): both are kept out of
/// `Debug` output.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
/// # let fake = polar_fake::FakePolar::new();
/// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
/// # let id = client.customers().create().email("setup@polar.sh").external_id("user_42").await?.id();
/// let session = client
///     .customer_sessions()
///     .create(id)
///     .return_url("https://example.com/account")
///     .await?;
/// // Send this link to the customer (it is valid until `session.expires_at`).
/// let link: &str = session.customer_portal_url.expose();
/// # assert!(link.starts_with("https://"));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct CustomerSessions {
    client: Client,
}

impl CustomerSessions {
    pub(crate) fn new(client: Client) -> Self {
        CustomerSessions { client }
    }

    /// `POST /v1/customer-sessions/` for the customer with this Polar ID (answer 201).
    pub fn create(&self, customer: CustomerId) -> CreateCustomerSession {
        self.builder(CustomerSessionCustomerIdCreate::new(customer).into())
    }

    /// `POST /v1/customer-sessions/` for the customer with this external ID (answer 201).
    pub fn create_external(&self, external_id: impl Into<String>) -> CreateCustomerSession {
        self.builder(CustomerSessionCustomerExternalIdCreate::new(external_id.into()).into())
    }

    fn builder(&self, body: CustomerSessionCreate) -> CreateCustomerSession {
        CreateCustomerSession {
            client: self.client.clone(),
            body,
            options: CallOptions::default(),
        }
    }
}

/// Sets a field present in both body shapes.
macro_rules! both {
    ($body:expr, |$b:ident| $e:expr) => {
        match &mut $body {
            CustomerSessionCreate::CustomerId($b) => $e,
            CustomerSessionCreate::ExternalCustomerId($b) => $e,
        }
    };
}

/// Builder of `POST /v1/customer-sessions/`, from [`CustomerSessions::create`] or
/// [`CustomerSessions::create_external`].
///
/// An unknown customer is a 422 at `body.customer_id` (or `body.external_customer_id`), not a
/// 404.
#[derive(Clone, Debug)]
#[must_use = "a request builder does nothing until awaited"]
pub struct CreateCustomerSession {
    client: Client,
    body: CustomerSessionCreate,
    options: CallOptions,
}

impl CreateCustomerSession {
    /// Shows a back button in the portal leading to this URL (an absolute URL, at most 2083
    /// characters).
    pub fn return_url(mut self, url: impl Into<String>) -> Self {
        let url = url.into();
        both!(self.body, |b| b.return_url = Nullable::Value(url));
        self
    }

    /// Opens the session as this member of the customer (organizations with the member model).
    pub fn member_id(mut self, member: MemberId) -> Self {
        both!(self.body, |b| b.member_id = Nullable::Value(member));
        self
    }

    /// Opens the session as the member with this external ID (instead of
    /// [`member_id`](Self::member_id)).
    pub fn external_member_id(mut self, external_id: impl Into<String>) -> Self {
        let external_id = external_id.into();
        both!(self.body, |b| b.external_member_id =
            Nullable::Value(external_id));
        self
    }

    request_options!();

    fn call(&self) -> Result<Call, Error> {
        self.body.validate()?;
        Ok(Call::new(Method::POST, ROUTE, ROUTE.to_owned())
            .json_body(&self.body)?
            .options(self.options.clone()))
    }

    /// Sends the request; the answer (201) is the session.
    ///
    /// The answer holds a secret (the session token, also inside the portal URL): when it does
    /// not decode, the error keeps no excerpt of it.
    pub fn send(self) -> ResponseFuture<CustomerSession> {
        let call = self.call();
        let client = self.client;
        Box::pin(async move {
            client.send_json(call?).await.map_err(|e| match e {
                Error::Decode(d) => Error::Decode(Box::new(d.withheld())),
                other => other,
            })
        })
    }
}

awaitable!(CreateCustomerSession => CustomerSession);
