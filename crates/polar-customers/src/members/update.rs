//! `PATCH` a member: only the fields set are sent.

use super::{Members, MembersExternal};
use crate::Request;
use crate::operation::operation;
use crate::types::{
    CustomersMembersUpdateExternalParams, CustomersMembersUpdateParams, Member, MemberId,
    MemberRole, MemberUpdate, Nullable,
};

operation!(CustomersMembersUpdateParams => Member);
operation!(CustomersMembersUpdateExternalParams => Member);

/// Request of `PATCH /v1/customers/{id}/members/{member_id}`, from [`Members::update`]; the
/// answer is the updated member.
///
/// With nothing set the body is `{}` and the member comes back unchanged.
pub type UpdateMember = Request<CustomersMembersUpdateParams>;

/// Request of `PATCH /v1/customers/external/{external_id}/members/{member_external_id}`,
/// from [`MembersExternal::update`].
pub type UpdateMemberExternal = Request<CustomersMembersUpdateExternalParams>;

impl Members {
    /// `PATCH /v1/customers/{id}/members/{member_id}`: changes only the fields set.
    pub fn update(&self, member: MemberId) -> UpdateMember {
        self.client.request(CustomersMembersUpdateParams {
            id: self.customer,
            member_id: member,
            body: MemberUpdate::default(),
        })
    }
}

impl MembersExternal {
    /// `PATCH /v1/customers/external/{external_id}/members/{member_external_id}`.
    pub fn update(&self, member_external_id: impl Into<String>) -> UpdateMemberExternal {
        self.client.request(CustomersMembersUpdateExternalParams {
            external_id: self.customer.clone(),
            member_external_id: member_external_id.into(),
            body: MemberUpdate::default(),
        })
    }
}

impl_each!(UpdateMember, UpdateMemberExternal => {
    /// Sets the name (at most 256 characters).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.params.body.name = Nullable::Value(name.into());
        self
    }

    /// Sets the email (unique within the customer).
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.params.body.email = Nullable::Value(email.into());
        self
    }

    /// Sets the role. [`MemberRole::Owner`] moves ownership to this member; the previous owner
    /// becomes a billing manager. The only owner cannot take another role (422).
    pub fn role(mut self, role: MemberRole) -> Self {
        self.params.body.role = Nullable::Value(role);
        self
    }
});
