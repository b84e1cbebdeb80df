//! Reads a customer's state: active subscriptions, granted benefits and meters.
//!
//! `cargo run -p polar-customers --example read_state -- <external id>`

mod common;

use polar_customers::{CustomerState, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let external_id = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "user_42".to_owned());
    let client = common::client()?;

    let state = client.customers().get_state_external(&external_id).await?;
    match state {
        CustomerState::Individual(s) => {
            println!("individual {} ({})", s.id, s.email);
            for sub in &s.active_subscriptions {
                println!(
                    "  subscription {} {} {} {}",
                    sub.id, sub.status, sub.amount, sub.currency
                );
            }
            for grant in &s.granted_benefits {
                println!("  benefit {} ({})", grant.benefit_id, grant.benefit_type);
            }
            for meter in &s.active_meters {
                println!("  meter {} balance {}", meter.meter_id, meter.balance);
            }
        }
        CustomerState::Team(s) => {
            println!(
                "team {} with {} subscription(s)",
                s.id,
                s.active_subscriptions.len()
            );
        }
        other => println!("a customer type this SDK does not know yet: {other:?}"),
    }
    Ok(())
}
