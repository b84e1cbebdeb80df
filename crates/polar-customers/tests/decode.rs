//! The SDK's decoding of customers, pages and states (through a client, over loopback) gives
//! exactly what polar-types' own decoding gives, for every variant, and keeps its errors.

mod fixtures;
mod support;

use fixtures::{CUSTOMER_ID, customer_json, page_json, state_json};
use polar_customers::{Client, Customer, CustomerState, Error, ListResource};
use serde_json::json;

/// A client whose server answers 200 with `body` to everything.
async fn answering(body: &[u8]) -> Client {
    let body = bytes::Bytes::copy_from_slice(body);
    let addr = support::serve(move |_req| {
        let body = body.clone();
        async move {
            http::Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .body(support::full(body))
                .unwrap()
        }
    })
    .await;
    support::plain_client(addr)
}

async fn decode_page(body: &[u8]) -> Result<ListResource<Customer>, Error> {
    answering(body).await.customers().list().await
}

async fn decode_state(body: &[u8]) -> Result<CustomerState, Error> {
    answering(body)
        .await
        .customers()
        .get_state(CUSTOMER_ID.parse().unwrap())
        .await
}

fn variants() -> Vec<serde_json::Value> {
    let individual = customer_json(CUSTOMER_ID, "ada@example.com", Some("user_42"));
    let mut team = individual.clone();
    team["type"] = json!("team");
    team["email"] = json!(null);
    let mut future = individual.clone();
    future["type"] = json!("household");
    let mut extra = individual.clone();
    extra["a_field_from_2027"] = json!({"nested": [1, 2]});
    let mut escaped = individual.clone();
    escaped["name"] = json!("Ada \"Countess\" Lovelace\n\u{e9}\u{1F642}");
    vec![individual, team, future, extra, escaped]
}

#[tokio::test]
async fn pages_decode_like_polar_types() {
    let body = serde_json::to_vec(&page_json(variants(), 5, 1)).unwrap();
    let ours = decode_page(&body).await.unwrap();
    let theirs: ListResource<Customer> = serde_json::from_slice(&body).unwrap();
    assert_eq!(ours, theirs);
    assert!(matches!(ours.items[0], Customer::Individual(_)));
    assert!(matches!(ours.items[1], Customer::Team(_)));
    assert!(matches!(ours.items[2], Customer::Unknown(_)));

    // A body with no `type` is no customer, to polar-types as to the SDK.
    let mut untyped = customer_json(CUSTOMER_ID, "ada@example.com", None);
    untyped.as_object_mut().unwrap().remove("type");
    let body = serde_json::to_vec(&page_json(vec![untyped], 1, 1)).unwrap();
    assert!(serde_json::from_slice::<ListResource<Customer>>(&body).is_err());
    assert!(matches!(decode_page(&body).await, Err(Error::Decode(e)) if e.path() == "items[0]"));
}

#[tokio::test]
async fn states_decode_like_polar_types() {
    for kind in ["individual", "team", "household"] {
        let mut state = state_json(CUSTOMER_ID);
        state["type"] = json!(kind);
        let body = serde_json::to_vec(&state).unwrap();
        let ours = decode_state(&body).await.unwrap();
        let theirs: CustomerState = serde_json::from_slice(&body).unwrap();
        assert_eq!(ours, theirs, "{kind}");
    }
}

#[tokio::test]
async fn failures_keep_polar_types_paths() {
    let mut items = variants();
    items[4]["email_verified"] = json!("yes");
    let body = serde_json::to_vec(&page_json(items, 6, 1)).unwrap();
    let err = decode_page(&body).await.unwrap_err();
    let Error::Decode(e) = &err else {
        panic!("{err:?}")
    };
    assert!(e.path().starts_with("items[4]"), "{}", e.path());
    assert!(err.to_string().contains("email_verified"), "{err}");

    let mut state = state_json(CUSTOMER_ID);
    state["active_meters"][0]["balance"] = json!("lots");
    let err = decode_state(&serde_json::to_vec(&state).unwrap())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("balance"), "{err}");

    assert!(
        decode_page(
            b"{\"items\": [], \"pagination\": {\"total_count\": 0, \"max_page\": 0}} trailing"
        )
        .await
        .is_err()
    );
    assert!(decode_page(b"").await.is_err());
}
