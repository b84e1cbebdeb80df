//! `POST` a member to a customer.

use http::Method;

use super::MemberPath;
use crate::builder::{awaitable, request_options, send_json};
use crate::request::{Call, CallOptions, ResponseFuture};
use crate::types::{Member, MemberCreateFromCustomer, MemberRole, Nullable, Validate};
use crate::{Client, Error};

/// Builder of `POST /v1/customers/{id}/members` and
/// `POST /v1/customers/external/{external_id}/members`, from [`Members::create`](crate::Members::create)
/// or [`MembersExternal::create`](crate::MembersExternal::create).
#[derive(Clone, Debug)]
#[must_use = "a request builder does nothing until awaited"]
pub struct CreateMember {
    pub(super) client: Client,
    pub(super) target: MemberPath,
    pub(super) body: MemberCreateFromCustomer,
    pub(super) options: CallOptions,
}

impl CreateMember {
    /// The member's name (at most 256 characters).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.body.name = Nullable::Value(name.into());
        self
    }

    /// Your own ID for the member, unique within its customer.
    pub fn external_id(mut self, external_id: impl Into<String>) -> Self {
        self.body.external_id = Nullable::Value(external_id.into());
        self
    }

    /// The role: [`MemberRole::Member`] (Polar's default) or [`MemberRole::BillingManager`].
    /// Polar refuses [`MemberRole::Owner`] here (422); make a member the owner with an update.
    pub fn role(mut self, role: MemberRole) -> Self {
        self.body.role = Some(role);
        self
    }

    request_options!();

    fn call(&self) -> Result<Call, Error> {
        let (route, path) = self.target.path()?;
        self.body.validate()?;
        Ok(Call::new(Method::POST, route, path)
            .json_body(&self.body)?
            .options(self.options.clone()))
    }

    /// Sends the request; the answer (201) is the new member.
    pub fn send(self) -> ResponseFuture<Member> {
        let call = self.call();
        send_json(self.client, call)
    }
}

awaitable!(CreateMember => Member);
