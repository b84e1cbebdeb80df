//! `POST /v1/customers/`: an individual or a team customer.

use http::Method;

use crate::builder::{awaitable, request_options, send_json};
use crate::request::{Call, CallOptions, ResponseFuture};
use crate::types::{
    AddressInput, Customer, CustomerCreate, CustomerIndividualCreate, CustomerTeamCreate,
    MemberOwnerCreate, Metadata, MetadataValue, Nullable, OrganizationId, Validate,
};
use crate::{Client, Error};

/// This operation's route, from its generated params type (the spec's path).
const ROUTE: &str = crate::types::CustomersCreateParams::PATH;

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

/// Builder of `POST /v1/customers/`, from [`Customers::create`](super::Customers::create).
///
/// The body is checked with [`Validate`] before sending; an individual needs an email, a team
/// an email or an owner.
#[derive(Clone, Debug)]
#[must_use = "a request builder does nothing until awaited"]
pub struct CreateCustomer {
    pub(super) client: Client,
    pub(super) body: CustomerCreate,
    pub(super) options: CallOptions,
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
            // Field by field: the create bodies are non-exhaustive (no struct literal).
            let mut team = CustomerTeamCreate::default();
            if !ind.email.is_empty() {
                team.email = Nullable::Value(ind.email);
            }
            team.metadata = ind.metadata;
            team.external_id = ind.external_id;
            team.name = ind.name;
            team.billing_address = ind.billing_address;
            team.tax_id = ind.tax_id;
            team.locale = ind.locale;
            team.organization_id = ind.organization_id;
            team.owner = ind.owner;
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
        Ok(Call::new(Method::POST, ROUTE, ROUTE.to_owned())
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
