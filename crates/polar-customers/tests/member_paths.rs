//! Hostile external IDs for both path parameters of the member routes (customer and member)
//! reach a real HTTP server as exactly one segment each, with and without the default stack.

mod support;

use std::sync::{Arc, Mutex};

mod fixtures;
use fixtures::{TEAM_ID, member_json, page_json, payment_methods_json};
use support::{corpus, decoded_segments, json_response, plain_client, serve};

async fn check(client_for: impl Fn(std::net::SocketAddr) -> polar_customers::Client) {
    let seen: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let log = seen.clone();
    let addr = serve(move |req| {
        let log = log.clone();
        async move {
            let path = req.uri().path().to_owned();
            log.lock()
                .unwrap()
                .push((req.method().to_string(), path.clone()));
            match req.method().as_str() {
                "DELETE" => http::Response::builder()
                    .status(204)
                    .body(support::full(""))
                    .unwrap(),
                _ if path.ends_with("/payment-methods") => {
                    json_response(200, &page_json(payment_methods_json(TEAM_ID), 2, 1))
                }
                "GET" if path.ends_with("/members") => json_response(
                    200,
                    &page_json(vec![member_json(TEAM_ID, "a@example.com", None)], 1, 1),
                ),
                "POST" => json_response(201, &member_json(TEAM_ID, "a@example.com", None)),
                _ => json_response(200, &member_json(TEAM_ID, "a@example.com", None)),
            }
        }
    })
    .await;
    let client = client_for(addr);
    let ids = corpus();
    // Each ID as the customer's (with a plain member ID) and as the member's (with a plain
    // customer ID), on the four member routes, as the customer's for payment methods and for
    // the member list.
    for id in &ids {
        for (customer, member) in [(id.as_str(), "m_1"), ("team_7", id.as_str())] {
            let members = client.customers().members_external(customer);
            members.create("a@example.com").await.unwrap();
            members.get(member).await.unwrap();
            members.update(member).name("n").await.unwrap();
            members.delete(member).await.unwrap();
        }
        client
            .customers()
            .payment_methods_external(id.as_str())
            .await
            .unwrap();
        client
            .customers()
            .members_external(id.as_str())
            .list()
            .await
            .unwrap();
    }
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), ids.len() * 10);
    for (i, id) in ids.iter().enumerate() {
        let calls = &seen[i * 10..i * 10 + 10];
        for (j, (method, raw)) in calls.iter().enumerate() {
            let segments = decoded_segments(raw);
            let want: Vec<String> = match j {
                8 => vec!["v1", "customers", "external", id, "payment-methods"],
                9 => vec!["v1", "customers", "external", id, "members"],
                _ => {
                    let (customer, member) = if j < 4 {
                        (id.as_str(), "m_1")
                    } else {
                        ("team_7", id.as_str())
                    };
                    let mut w = vec!["v1", "customers", "external", customer, "members"];
                    if j % 4 != 0 {
                        w.push(member);
                    }
                    w
                }
            }
            .into_iter()
            .map(str::to_owned)
            .collect();
            assert_eq!(segments, want, "{method} for {id:?} sent as {raw}");
            assert!(!raw.contains("/./") && !raw.contains("/../") && !raw.ends_with("/.."));
        }
    }
}

#[tokio::test]
async fn hostile_customer_and_member_ids_arrive_as_one_segment_each() {
    check(plain_client).await;
}

#[tokio::test]
async fn hostile_customer_and_member_ids_survive_the_default_network_stack() {
    check(|addr| support::stack_client(addr, "polar_oat_member_paths")).await;
}
