//! Creates a customer, then reads it back by ID and by external ID.
//!
//! `cargo run -p polar-customers --example create_then_get`

mod common;

use polar_customers::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let client = common::client()?;
    let customers = client.customers();

    let suffix = std::process::id();
    let created = customers
        .create()
        .email(format!("ada+{suffix}@polar.sh"))
        .name("Ada Lovelace")
        .external_id(format!("user_{suffix}"))
        .metadata("plan", "pro")
        .await?;
    let id = created.id();
    println!("created {id} ({:?})", created.email());

    let by_id = customers.get(id).await?;
    println!("by id:          {:?} {:?}", by_id.name(), by_id.metadata());

    if let Some(external_id) = created.external_id() {
        let by_external = customers.get_external(external_id).await?;
        println!("by external id: {:?}", by_external.id());
    }

    // Only the fields set are sent: this clears the name and leaves the rest alone.
    let updated = customers.update(id).clear_name().await?;
    println!("after update:   name {:?}", updated.name());
    Ok(())
}
