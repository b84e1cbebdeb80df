//! The example service (`examples/gated_route.rs`, compiled here from the same source) against
//! the served fake: its demo asks for the gated route before and after the fake's webhooks and
//! returns an error on any wrong answer, so `cargo test` keeps the example honest.

#[path = "../examples/gated_route.rs"]
#[allow(dead_code)]
mod gated_route;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_gates_its_route_by_the_fakes_webhooks() {
    if let Err(e) = gated_route::demo().await {
        panic!("the example's demo answered wrongly: {e}");
    }
}
