//! `GET` one member of a customer.

use super::{Members, MembersExternal};
use crate::Request;
use crate::operation::operation;
use crate::types::{
    CustomersMembersGetExternalParams, CustomersMembersGetParams, Member, MemberId,
};

operation!(CustomersMembersGetParams => Member);
operation!(CustomersMembersGetExternalParams => Member);

/// Request of `GET /v1/customers/{id}/members/{member_id}`, from [`Members::get`].
///
/// A member of another customer is not found (404), as is an unknown one.
pub type GetMember = Request<CustomersMembersGetParams>;

/// Request of `GET /v1/customers/external/{external_id}/members/{member_external_id}`, from
/// [`MembersExternal::get`].
pub type GetMemberExternal = Request<CustomersMembersGetExternalParams>;

impl Members {
    /// `GET /v1/customers/{id}/members/{member_id}`.
    pub fn get(&self, member: MemberId) -> GetMember {
        self.client.request(CustomersMembersGetParams {
            id: self.customer,
            member_id: member,
        })
    }
}

impl MembersExternal {
    /// `GET /v1/customers/external/{external_id}/members/{member_external_id}`.
    pub fn get(&self, member_external_id: impl Into<String>) -> GetMemberExternal {
        self.client.request(CustomersMembersGetExternalParams {
            external_id: self.customer.clone(),
            member_external_id: member_external_id.into(),
        })
    }
}
