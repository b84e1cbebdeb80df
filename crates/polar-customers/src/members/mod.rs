//! Team members of a customer: list, add, fetch, change and remove them, by Polar IDs
//! (`/v1/customers/{id}/members/{member_id}`) or by your external IDs
//! (`/v1/customers/external/{external_id}/members/{member_external_id}`). One file per
//! operation family: its request types, their constructors on [`Members`] and
//! [`MembersExternal`], and their setters.
//!
//! Members belong to team customers; Polar refuses to add members to an individual customer,
//! and only in organizations with member management turned on. The routes need the
//! `members:read` / `members:write` scopes.

mod create;
mod delete;
mod get;
mod list;
mod update;

pub use create::{CreateMember, CreateMemberExternal};
pub use delete::{DeleteMember, DeleteMemberExternal};
pub use get::{GetMember, GetMemberExternal};
pub use list::{ListMembers, ListMembersExternal};
pub use update::{UpdateMember, UpdateMemberExternal};

use crate::Client;
use crate::types::CustomerId;

/// The members of one customer found by Polar ID, from
/// [`Customers::members`](crate::Customers::members).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
/// # let fake = polar_fake::FakePolar::new();
/// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
/// # let team = client.customers().create().team().email("team@polar.sh").external_id("team_7").await?.id();
/// use polar_customers::types::MemberRole;
///
/// let members = client.customers().members(team);
/// let grace = members.create("grace@polar.sh").name("Grace").role(MemberRole::BillingManager).await?;
/// let same = members.get(grace.id).await?;
/// assert_eq!(same.email, "grace@polar.sh");
/// members.update(grace.id).name("Grace Hopper").await?;
/// members.delete(grace.id).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Members {
    client: Client,
    customer: CustomerId,
}

impl Members {
    pub(crate) fn new(client: Client, customer: CustomerId) -> Self {
        Members { client, customer }
    }
}

/// The members of one customer found by your external ID, from
/// [`Customers::members_external`](crate::Customers::members_external); members are found by
/// their external IDs too.
///
/// Both IDs are sent as one path segment each, whatever they contain.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
/// # let fake = polar_fake::FakePolar::new();
/// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
/// # client.customers().create().team().email("team@polar.sh").external_id("team_7").await?;
/// let members = client.customers().members_external("team_7");
/// members.create("linus@polar.sh").external_id("user_linus").await?;
/// let linus = members.get("user_linus").await?;
/// println!("{} is a {}", linus.email, linus.role);
/// members.delete("user_linus").await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct MembersExternal {
    client: Client,
    customer: String,
}

impl MembersExternal {
    pub(crate) fn new(client: Client, customer: String) -> Self {
        MembersExternal { client, customer }
    }
}
