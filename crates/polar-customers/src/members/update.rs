//! `PATCH` a member: only the fields set are sent.

use http::Method;

use super::MemberPath;
use crate::builder::{awaitable, request_options, send_json};
use crate::request::{Call, CallOptions, ResponseFuture};
use crate::types::{Member, MemberRole, MemberUpdate, Nullable, Validate};
use crate::{Client, Error};

/// Builder of `PATCH /v1/customers/{id}/members/{member_id}` and its by-external-IDs twin.
///
/// With nothing set the body is `{}` and the member comes back unchanged.
#[derive(Clone, Debug)]
#[must_use = "a request builder does nothing until awaited"]
pub struct UpdateMember {
    pub(super) client: Client,
    pub(super) target: MemberPath,
    pub(super) body: MemberUpdate,
    pub(super) options: CallOptions,
}

impl UpdateMember {
    /// Uses this complete body, replacing whatever was set before.
    pub fn body(mut self, body: MemberUpdate) -> Self {
        self.body = body;
        self
    }

    /// Sets the name (at most 256 characters).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.body.name = Nullable::Value(name.into());
        self
    }

    /// Sets the email (unique within the customer).
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.body.email = Nullable::Value(email.into());
        self
    }

    /// Sets the role. [`MemberRole::Owner`] moves ownership to this member; the previous owner
    /// becomes a billing manager. The only owner cannot take another role (422).
    pub fn role(mut self, role: MemberRole) -> Self {
        self.body.role = Nullable::Value(role);
        self
    }

    request_options!();

    fn call(&self) -> Result<Call, Error> {
        let (route, path) = self.target.path()?;
        self.body.validate()?;
        Ok(Call::new(Method::PATCH, route, path)
            .json_body(&self.body)?
            .options(self.options.clone()))
    }

    /// Sends the request; the answer is the updated member.
    pub fn send(self) -> ResponseFuture<Member> {
        let call = self.call();
        send_json(self.client, call)
    }
}

awaitable!(UpdateMember => Member);
