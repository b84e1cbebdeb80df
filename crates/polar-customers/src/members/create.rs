//! `POST` a member to a customer.

use super::{Members, MembersExternal};
use crate::Request;
use crate::operation::operation;
use crate::types::{
    CustomersMembersCreateExternalParams, CustomersMembersCreateParams, Member,
    MemberCreateFromCustomer, MemberRole, Nullable,
};

operation!(CustomersMembersCreateParams => Member);
operation!(CustomersMembersCreateExternalParams => Member);

/// Request of `POST /v1/customers/{id}/members`, from [`Members::create`]; the answer (201) is
/// the new member.
pub type CreateMember = Request<CustomersMembersCreateParams>;

/// Request of `POST /v1/customers/external/{external_id}/members`, from
/// [`MembersExternal::create`].
pub type CreateMemberExternal = Request<CustomersMembersCreateExternalParams>;

impl Members {
    /// `POST /v1/customers/{id}/members`: adds a member with this email (answer 201).
    pub fn create(&self, email: impl Into<String>) -> CreateMember {
        self.client.request(CustomersMembersCreateParams {
            id: self.customer,
            body: MemberCreateFromCustomer::new(email.into()),
        })
    }
}

impl MembersExternal {
    /// `POST /v1/customers/external/{external_id}/members`: adds a member with this email.
    pub fn create(&self, email: impl Into<String>) -> CreateMemberExternal {
        self.client.request(CustomersMembersCreateExternalParams {
            external_id: self.customer.clone(),
            body: MemberCreateFromCustomer::new(email.into()),
        })
    }
}

impl_each!(CreateMember, CreateMemberExternal => {
    /// The member's name (at most 256 characters).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.params.body.name = Nullable::Value(name.into());
        self
    }

    /// Your own ID for the member, unique within its customer.
    pub fn external_id(mut self, external_id: impl Into<String>) -> Self {
        self.params.body.external_id = Nullable::Value(external_id.into());
        self
    }

    /// The role: [`MemberRole::Member`] (Polar's default) or [`MemberRole::BillingManager`].
    /// Polar refuses [`MemberRole::Owner`] here (422); make a member the owner with an update.
    pub fn role(mut self, role: MemberRole) -> Self {
        self.params.body.role = Some(role);
        self
    }
});
