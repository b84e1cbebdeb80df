//! Team members of a customer: add, fetch, change and remove them, by Polar IDs
//! (`/v1/customers/{id}/members/{member_id}`) or by your external IDs
//! (`/v1/customers/external/{external_id}/members/{member_external_id}`).
//!
//! Members belong to team customers; Polar refuses to add members to an individual customer,
//! and only in organizations with member management turned on. The routes need the
//! `members:read` / `members:write` scopes.

mod create;
mod delete;
mod get;
mod update;

pub use create::CreateMember;
pub use delete::DeleteMember;
pub use get::GetMember;
pub use update::UpdateMember;

use crate::Client;
use crate::Error;
use crate::path::{encode_segment, join};
use crate::request::CallOptions;
use crate::types::{CustomerId, MemberCreateFromCustomer, MemberId, MemberUpdate};

const ROUTE_MEMBERS: &str = crate::types::CustomersMembersCreateParams::PATH;
const ROUTE_MEMBER: &str = crate::types::CustomersMembersGetParams::PATH;
const ROUTE_MEMBERS_EXTERNAL: &str = crate::types::CustomersMembersCreateExternalParams::PATH;
const ROUTE_MEMBER_EXTERNAL: &str = crate::types::CustomersMembersGetExternalParams::PATH;

/// The members of one customer found by Polar ID, from
/// [`Customers::members`](crate::Customers::members).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
/// # let fake = polar_fake::FakePolar::new();
/// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
/// # let id = client.customers().create().email("setup@polar.sh").external_id("user_42").await?.id();
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

    /// `POST /v1/customers/{id}/members`: adds a member with this email (answer 201).
    pub fn create(&self, email: impl Into<String>) -> CreateMember {
        CreateMember {
            client: self.client.clone(),
            target: MemberPath::Id(self.customer, None),
            body: MemberCreateFromCustomer::new(email.into()),
            options: CallOptions::default(),
        }
    }

    /// `GET /v1/customers/{id}/members/{member_id}`.
    pub fn get(&self, member: MemberId) -> GetMember {
        GetMember {
            client: self.client.clone(),
            target: MemberPath::Id(self.customer, Some(member)),
            options: CallOptions::default(),
        }
    }

    /// `PATCH /v1/customers/{id}/members/{member_id}`: changes only the fields set.
    pub fn update(&self, member: MemberId) -> UpdateMember {
        UpdateMember {
            client: self.client.clone(),
            target: MemberPath::Id(self.customer, Some(member)),
            body: MemberUpdate::default(),
            options: CallOptions::default(),
        }
    }

    /// `DELETE /v1/customers/{id}/members/{member_id}` (answer 204).
    pub fn delete(&self, member: MemberId) -> DeleteMember {
        DeleteMember {
            client: self.client.clone(),
            target: MemberPath::Id(self.customer, Some(member)),
            options: CallOptions::default(),
        }
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
/// # let id = client.customers().create().email("setup@polar.sh").external_id("user_42").await?.id();
/// # let team = client.customers().create().team().email("team@polar.sh").external_id("team_7").await?.id();
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

    fn target(&self, member: Option<String>) -> MemberPath {
        MemberPath::External(self.customer.clone(), member)
    }

    /// `POST /v1/customers/external/{external_id}/members`: adds a member with this email.
    pub fn create(&self, email: impl Into<String>) -> CreateMember {
        CreateMember {
            client: self.client.clone(),
            target: self.target(None),
            body: MemberCreateFromCustomer::new(email.into()),
            options: CallOptions::default(),
        }
    }

    /// `GET /v1/customers/external/{external_id}/members/{member_external_id}`.
    pub fn get(&self, member_external_id: impl Into<String>) -> GetMember {
        GetMember {
            client: self.client.clone(),
            target: self.target(Some(member_external_id.into())),
            options: CallOptions::default(),
        }
    }

    /// `PATCH /v1/customers/external/{external_id}/members/{member_external_id}`.
    pub fn update(&self, member_external_id: impl Into<String>) -> UpdateMember {
        UpdateMember {
            client: self.client.clone(),
            target: self.target(Some(member_external_id.into())),
            body: MemberUpdate::default(),
            options: CallOptions::default(),
        }
    }

    /// `DELETE /v1/customers/external/{external_id}/members/{member_external_id}`.
    pub fn delete(&self, member_external_id: impl Into<String>) -> DeleteMember {
        DeleteMember {
            client: self.client.clone(),
            target: self.target(Some(member_external_id.into())),
            options: CallOptions::default(),
        }
    }
}

/// Which customer (and member) a builder addresses; `None` is the collection (create).
#[derive(Clone, Debug)]
enum MemberPath {
    Id(CustomerId, Option<MemberId>),
    External(String, Option<String>),
}

impl MemberPath {
    /// The route template and the path, each external ID encoded as one segment.
    fn path(&self) -> Result<(&'static str, String), Error> {
        Ok(match self {
            MemberPath::Id(customer, None) => (
                ROUTE_MEMBERS,
                join("/v1/customers/", &customer.to_string(), "/members"),
            ),
            MemberPath::Id(customer, Some(member)) => (
                ROUTE_MEMBER,
                join(
                    "/v1/customers/",
                    &customer.to_string(),
                    &join("/members/", &member.to_string(), ""),
                ),
            ),
            MemberPath::External(customer, member) => {
                let customer = encode_segment("external_id", customer)?;
                match member {
                    None => (
                        ROUTE_MEMBERS_EXTERNAL,
                        join("/v1/customers/external/", &customer, "/members"),
                    ),
                    Some(member) => {
                        let member = encode_segment("member_external_id", member)?;
                        (
                            ROUTE_MEMBER_EXTERNAL,
                            join(
                                "/v1/customers/external/",
                                &customer,
                                &join("/members/", &member, ""),
                            ),
                        )
                    }
                }
            }
        })
    }
}
