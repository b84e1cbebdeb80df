//! How the examples get a client.

use polar_customers::{BuildError, Client, Server};

/// With `POLAR_ACCESS_TOKEN` set, a client for Polar's sandbox, or for `POLAR_BASE_URL` when
/// that is set too (e.g. `http://127.0.0.1:8080` for a local fake). Without a token, a client
/// of an in-process `polar-fake`, so the example runs anywhere.
pub fn client() -> Result<Client, BuildError> {
    let token = std::env::var("POLAR_ACCESS_TOKEN")
        .ok()
        .filter(|t| !t.is_empty());
    let base_url = std::env::var("POLAR_BASE_URL")
        .ok()
        .filter(|u| !u.is_empty());
    match (token, base_url) {
        (Some(token), Some(url)) => Client::builder()
            .token(token)
            .base_url(&url)
            .allow_http(url.starts_with("http://"))
            .build(),
        (Some(token), None) => Client::builder()
            .token(token)
            .server(Server::Sandbox)
            .build(),
        (None, _) => {
            eprintln!("POLAR_ACCESS_TOKEN is not set: answering from an in-process fake of Polar");
            let fake = polar_fake::FakePolar::new();
            Client::builder().token(fake.token()).build_with(fake)
        }
    }
}
