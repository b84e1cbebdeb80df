//! Exports every customer as CSV into a file, streamed chunk by chunk, then reads the file back
//! as typed rows.
//!
//! `cargo run -p polar-customers --example export_to_file -- customers.csv`

mod common;

use futures_util::TryStreamExt;
use polar_customers::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        std::env::temp_dir()
            .join("polar-customers.csv")
            .display()
            .to_string()
    });
    let client = common::client()?;

    let mut file = tokio::fs::File::create(&path).await.map_err(Error::Io)?;
    let bytes = client
        .customers()
        .export()
        .await?
        .write_to(&mut file)
        .await?;
    println!("wrote {bytes} bytes to {path}");

    // The same export parsed as it arrives, without a file.
    let mut rows = client.customers().export().rows().await?;
    while let Some(row) = rows.try_next().await? {
        println!("{} {:?} created {}", row.id, row.email, row.created_at);
    }
    Ok(())
}
