//! Walks every customer, page after page, with the next page fetched in the background.
//!
//! `cargo run -p polar-customers --example walk_all_customers`

mod common;

use futures_util::TryStreamExt;
use polar_customers::{CustomerSortProperty, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let client = common::client()?;

    let mut customers = client
        .customers()
        .list()
        .limit(100)
        .sorting([CustomerSortProperty::CreatedAt])
        .stream();

    let mut count = 0u64;
    while let Some(customer) = customers.try_next().await? {
        count += 1;
        println!("{count:>6} {:?} {:?}", customer.id(), customer.email());
    }
    println!("{count} customers");
    Ok(())
}
