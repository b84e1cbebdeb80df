//! `DELETE` a member of a customer.

use super::{Members, MembersExternal};
use crate::Request;
use crate::operation::operation;
use crate::types::{CustomersMembersDeleteExternalParams, CustomersMembersDeleteParams, MemberId};

operation!(CustomersMembersDeleteParams => ());
operation!(CustomersMembersDeleteExternalParams => ());

/// Request of `DELETE /v1/customers/{id}/members/{member_id}`, from [`Members::delete`]; the
/// answer is 204 with no body.
///
/// Like a customer's delete, a 404 to a retry after an attempt that may have been carried out
/// (its answer was lost, or a gateway answered 502/504) means the member is already gone, and
/// the call succeeds.
pub type DeleteMember = Request<CustomersMembersDeleteParams>;

/// Request of `DELETE /v1/customers/external/{external_id}/members/{member_external_id}`,
/// from [`MembersExternal::delete`]; see [`DeleteMember`].
pub type DeleteMemberExternal = Request<CustomersMembersDeleteExternalParams>;

impl Members {
    /// `DELETE /v1/customers/{id}/members/{member_id}` (answer 204).
    pub fn delete(&self, member: MemberId) -> DeleteMember {
        self.client.request(CustomersMembersDeleteParams {
            id: self.customer,
            member_id: member,
        })
    }
}

impl MembersExternal {
    /// `DELETE /v1/customers/external/{external_id}/members/{member_external_id}`.
    pub fn delete(&self, member_external_id: impl Into<String>) -> DeleteMemberExternal {
        self.client.request(CustomersMembersDeleteExternalParams {
            external_id: self.customer.clone(),
            member_external_id: member_external_id.into(),
        })
    }
}
