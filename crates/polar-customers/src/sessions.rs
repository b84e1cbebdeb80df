//! Customer sessions: `POST /v1/customer-sessions/` opens the customer portal for one customer
//! and hands back the link to send them.

use crate::operation::operation;
use crate::types::CustomerSessionCreate::{CustomerId as ById, ExternalCustomerId as ByExternalId};
use crate::types::{
    CustomerId, CustomerSession, CustomerSessionCreate, CustomerSessionCustomerExternalIdCreate,
    CustomerSessionCustomerIdCreate, CustomerSessionsCreateParams, MemberId, Nullable,
};
use crate::{Client, Request};

operation!(CustomerSessionsCreateParams => CustomerSession);

/// Request of `POST /v1/customer-sessions/`, from [`CustomerSessions::create`] or
/// [`CustomerSessions::create_external`]; the answer (201) is the session.
///
/// An unknown customer is a 422 at `body.customer_id` (or `body.external_customer_id`), not a
/// 404. The answer holds a secret (the session token, also inside the portal URL): when it does
/// not decode, the error keeps no excerpt of it.
pub type CreateCustomerSession = Request<CustomerSessionsCreateParams>;

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
        self.create_body(CustomerSessionCustomerIdCreate::new(customer).into())
    }

    /// `POST /v1/customer-sessions/` for the customer with this external ID (answer 201).
    pub fn create_external(&self, external_id: impl Into<String>) -> CreateCustomerSession {
        self.create_body(CustomerSessionCustomerExternalIdCreate::new(external_id.into()).into())
    }

    fn create_body(&self, body: CustomerSessionCreate) -> CreateCustomerSession {
        self.client.request(CustomerSessionsCreateParams { body })
    }
}

impl CreateCustomerSession {
    /// Shows a back button in the portal leading to this URL (an absolute URL, at most 2083
    /// characters).
    pub fn return_url(mut self, url: impl Into<String>) -> Self {
        let url = url.into();
        each_variant!(&mut self.params.body, ById | ByExternalId => |b| {
            b.return_url = Nullable::Value(url)
        });
        self
    }

    /// Opens the session as this member of the customer (organizations with the member model).
    pub fn member_id(mut self, member: MemberId) -> Self {
        each_variant!(&mut self.params.body, ById | ByExternalId => |b| {
            b.member_id = Nullable::Value(member)
        });
        self
    }

    /// Opens the session as the member with this external ID (instead of
    /// [`member_id`](Self::member_id)).
    pub fn external_member_id(mut self, external_id: impl Into<String>) -> Self {
        let external_id = external_id.into();
        each_variant!(&mut self.params.body, ById | ByExternalId => |b| {
            b.external_member_id = Nullable::Value(external_id)
        });
        self
    }
}
