//! `GET /v1/customers/{id}/members` and its by-external-ID twin: a customer's members, page by
//! page.
//!
//! These routes are newer than the API document the types are generated from; the generator
//! adds them as Polar's SDKs of November 2026 call them (polar-sdk 1.0.2,
//! `services/customers/members.py`; @polar-sh/sdk 1.0.1).

use super::{Members, MembersExternal};
use crate::Request;
use crate::operation::operation;
use crate::types::{
    CustomersMembersListExternalParams, CustomersMembersListParams, Member, MemberRole,
    MemberSortProperty,
};

operation!(CustomersMembersListParams => pages of Member, sorted by MemberSortProperty);
operation!(CustomersMembersListExternalParams => pages of Member, sorted by MemberSortProperty);

/// Request of `GET /v1/customers/{id}/members`, from [`Members::list`].
///
/// `.await` returns one page (newest first unless sorted otherwise);
/// [`stream`](Request::stream) yields every member of every page and [`pages`](Request::pages)
/// every page. An unknown customer is a 404.
pub type ListMembers = Request<CustomersMembersListParams>;

/// Request of `GET /v1/customers/external/{external_id}/members`, from
/// [`MembersExternal::list`]; see [`ListMembers`].
pub type ListMembersExternal = Request<CustomersMembersListExternalParams>;

impl Members {
    /// `GET /v1/customers/{id}/members`: the customer's members, one page or all of them.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// # let team = client.customers().create().team().email("team@polar.sh").await?.id();
    /// use futures_util::TryStreamExt;
    /// use polar_customers::types::MemberRole;
    ///
    /// let members = client.customers().members(team);
    /// members.create("grace@polar.sh").role(MemberRole::BillingManager).await?;
    ///
    /// // One page: the billing managers.
    /// let page = members.list().role(MemberRole::BillingManager).limit(20).await?;
    /// assert_eq!(page.items[0].email, "grace@polar.sh");
    ///
    /// // Every member, page after page.
    /// let all: Vec<_> = members.list().stream().try_collect().await?;
    /// assert_eq!(all.len(), 2); // the owner and Grace
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> ListMembers {
        self.client.request(CustomersMembersListParams {
            id: self.customer,
            role: None,
            page: None,
            limit: None,
            sorting: Vec::new(),
        })
    }
}

impl MembersExternal {
    /// `GET /v1/customers/external/{external_id}/members`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// # client.customers().create().team().email("team@polar.sh").external_id("team_7").await?;
    /// use polar_customers::types::MemberSortProperty;
    ///
    /// let oldest_first = client
    ///     .customers()
    ///     .members_external("team_7")
    ///     .list()
    ///     .sort_by(MemberSortProperty::CreatedAt)
    ///     .await?;
    /// println!("{} members", oldest_first.pagination.total_count);
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> ListMembersExternal {
        self.client.request(CustomersMembersListExternalParams {
            external_id: self.customer.clone(),
            role: None,
            page: None,
            limit: None,
            sorting: Vec::new(),
        })
    }
}

impl_each!(ListMembers, ListMembersExternal => {
    /// Only members with this role.
    pub fn role(mut self, role: MemberRole) -> Self {
        self.params.role = Some(role);
        self
    }
});
