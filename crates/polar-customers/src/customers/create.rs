//! `POST /v1/customers/`: an individual or a team customer.

use super::Customers;
use crate::Request;
use crate::operation::operation;
use crate::types::CustomerCreate::{Individual, Team};
use crate::types::{
    AddressInput, Customer, CustomerIndividualCreate, CustomerTeamCreate, CustomersCreateParams,
    MemberOwnerCreate, Metadata, MetadataValue, Nullable, OrganizationId,
};

operation!(CustomersCreateParams => Customer);

/// Request of `POST /v1/customers/`, from [`Customers::create`].
///
/// The body is checked with [`Validate`](crate::types::Validate) before sending; an individual
/// needs an email, a team an email or an owner.
pub type CreateCustomer = Request<CustomersCreateParams>;

impl Customers {
    /// `POST /v1/customers/`: creates a customer (an individual unless
    /// [`team`](CreateCustomer::team)).
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
        self.client.request(CustomersCreateParams {
            body: Individual(CustomerIndividualCreate::new("")),
        })
    }
}

impl CreateCustomer {
    /// Makes the customer a team (the fields set so far are kept).
    pub fn team(mut self) -> Self {
        if let Individual(ind) = &mut self.params.body {
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
            self.params.body = Team(team);
        }
        self
    }

    /// The customer's email (required for an individual).
    pub fn email(mut self, email: impl Into<String>) -> Self {
        let email = email.into();
        match &mut self.params.body {
            Individual(b) => b.email = email,
            Team(b) => b.email = Nullable::Value(email),
        }
        self
    }

    /// The customer's name (at most 256 characters).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        let name = name.into();
        each_variant!(&mut self.params.body, Individual | Team => |b| {
            b.name = Nullable::Value(name)
        });
        self
    }

    /// Your own ID for the customer, unique in the organization.
    pub fn external_id(mut self, external_id: impl Into<String>) -> Self {
        let external_id = external_id.into();
        each_variant!(&mut self.params.body, Individual | Team => |b| {
            b.external_id = Nullable::Value(external_id)
        });
        self
    }

    /// Adds one metadata entry (at most 50; key 1–40 characters; string value 1–500).
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<MetadataValue>) -> Self {
        let (key, value) = (key.into(), value.into());
        each_variant!(&mut self.params.body, Individual | Team => |b| {
            b.metadata
                .get_or_insert_with(Metadata::default)
                .insert(key, value);
        });
        self
    }

    /// The billing address (needed for a tax ID).
    pub fn billing_address(mut self, address: AddressInput) -> Self {
        each_variant!(&mut self.params.body, Individual | Team => |b| {
            b.billing_address = Nullable::Value(address)
        });
        self
    }

    /// The tax ID, e.g. a VAT number.
    pub fn tax_id(mut self, tax_id: impl Into<String>) -> Self {
        let tax_id = tax_id.into();
        each_variant!(&mut self.params.body, Individual | Team => |b| {
            b.tax_id = Nullable::Value(tax_id)
        });
        self
    }

    /// The customer's locale, a BCP 47 tag such as `en-US`.
    pub fn locale(mut self, locale: impl Into<String>) -> Self {
        let locale = locale.into();
        each_variant!(&mut self.params.body, Individual | Team => |b| {
            b.locale = Nullable::Value(locale)
        });
        self
    }

    /// The organization (needed with a user token; implied by an organization token).
    pub fn organization_id(mut self, id: OrganizationId) -> Self {
        each_variant!(&mut self.params.body, Individual | Team => |b| {
            b.organization_id = Nullable::Value(id)
        });
        self
    }

    /// The owner member to create with the customer.
    pub fn owner(mut self, owner: MemberOwnerCreate) -> Self {
        each_variant!(&mut self.params.body, Individual | Team => |b| {
            b.owner = Nullable::Value(owner)
        });
        self
    }
}
