//! Hostile external IDs reach a real HTTP server as exactly one path segment.

mod support;

use std::sync::{Arc, Mutex};

use http::StatusCode;
mod fixtures;
use fixtures::{CUSTOMER_ID, customer_json, state_json};
use support::{corpus, decoded_segments, json_response, plain_client, serve};

/// Runs the corpus through `client_for(addr)` and checks what the server received.
async fn check_corpus(client_for: impl Fn(std::net::SocketAddr) -> polar_customers::Client) {
    let seen: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let log = seen.clone();
    let addr = serve(move |req| {
        let log = log.clone();
        async move {
            let path = req.uri().path().to_owned();
            log.lock()
                .unwrap()
                .push((req.method().to_string(), path.clone()));
            if req.method() == http::Method::DELETE {
                return http::Response::builder()
                    .status(StatusCode::NO_CONTENT)
                    .body(support::full(""))
                    .unwrap();
            }
            if path.ends_with("/state") {
                json_response(200, &state_json(CUSTOMER_ID))
            } else {
                json_response(200, &customer_json(CUSTOMER_ID, "a@example.com", None))
            }
        }
    })
    .await;
    let client = client_for(addr);
    let customers = client.customers();

    let ids = corpus();
    for id in &ids {
        customers.get_external(id.as_str()).await.unwrap();
        customers
            .update_external(id.as_str())
            .name("n")
            .await
            .unwrap();
        customers.delete_external(id.as_str()).await.unwrap();
        customers.get_state_external(id.as_str()).await.unwrap();
    }

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), ids.len() * 4);
    for (i, id) in ids.iter().enumerate() {
        let calls = &seen[i * 4..i * 4 + 4];
        let expected_methods = ["GET", "PATCH", "DELETE", "GET"];
        for (j, (method, raw)) in calls.iter().enumerate() {
            assert_eq!(method, expected_methods[j], "{id:?}");
            let mut want = vec![
                "v1".to_owned(),
                "customers".into(),
                "external".into(),
                id.clone(),
            ];
            if j == 3 {
                want.push("state".into());
            }
            assert_eq!(decoded_segments(raw), want, "id {id:?} sent as {raw}");
            // Dots never travel raw, so no dot-segment can be normalised away.
            assert!(!raw.contains("/./") && !raw.contains("/../") && !raw.ends_with("/.."));
        }
    }
}

#[tokio::test]
async fn hostile_external_ids_arrive_as_one_segment() {
    check_corpus(plain_client).await;
}

#[tokio::test]
async fn hostile_external_ids_survive_the_default_network_stack() {
    check_corpus(|addr| support::stack_client(addr, "polar_oat_paths")).await;
}

#[tokio::test]
async fn empty_external_id_is_rejected_before_sending() {
    let hits: Arc<Mutex<u32>> = Arc::default();
    let counter = hits.clone();
    let addr = serve(move |_req| {
        *counter.lock().unwrap() += 1;
        async { json_response(500, &serde_json::json!({})) }
    })
    .await;
    let customers = plain_client(addr).customers();

    let errors = [
        customers.get_external("").await.unwrap_err(),
        customers.update_external("").name("x").await.unwrap_err(),
        customers.delete_external("").await.unwrap_err(),
        customers.get_state_external("").await.unwrap_err(),
    ];
    for err in errors {
        assert!(
            matches!(err, polar_customers::Error::InvalidInput(ref e) if e.field == "external_id"),
            "{err:?}"
        );
    }
    assert_eq!(*hits.lock().unwrap(), 0, "nothing may reach the server");
}
