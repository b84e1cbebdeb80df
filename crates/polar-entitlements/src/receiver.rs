//! [`Entitlements`] as the handler of a `polar_webhooks::Receiver` (feature `receiver`).

use polar_webhooks::{Delivery, Handler, HandlerFuture};

use crate::handle::Entitlements;

/// With the `receiver` feature the handle is a whole webhook handler: each verified delivery
/// goes to [`Entitlements::apply`], and the receiver answers 200 once `apply` has returned,
/// whatever it did (an event of another type or organization is acknowledged, not refused, so
/// that Polar does not retry it). `apply` cannot fail, so this handler never asks for a retry.
///
/// ```
/// use polar_entitlements::Entitlements;
/// use polar_webhooks::{Event, Receiver, Scheme, Signer, Webhook};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let fake = polar_fake::FakePolar::new();
/// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
/// # let ada = client.customers().create().email("ada@polar.sh").external_id("user_42").await?;
/// # let grant = polar_fake::samples::benefit_grant(polar_customers::types::BenefitType::Custom);
/// # fake.add_benefit_grant(ada.id(), &grant);
/// let entitlements = Entitlements::new(client.clone(), fake.organization_id());
/// let secret = polar_webhooks::generate_secret()?; // the endpoint's, from Polar's dashboard
///
/// // The whole webhook route (axum: `Router::route_service("/webhooks/polar", receiver)`).
/// let receiver = Receiver::new(Webhook::new(&secret)?, entitlements.clone());
///
/// // What Polar sends once the benefit is granted, signed as Polar signs it.
/// let state = client.customers().get_state(ada.id()).await?;
/// let body = serde_json::to_vec(&Event::CustomerStateChanged {
///     timestamp: jiff::Timestamp::now(),
///     data: state,
/// })?;
/// let now = jiff::Timestamp::now().as_second();
/// let signature = Signer::new(&secret, Scheme::Standard)?.sign("msg_1", now, &body);
/// let delivery = http::Request::post("/webhooks/polar")
///     .header("webhook-id", "msg_1")
///     .header("webhook-timestamp", now.to_string())
///     .header("webhook-signature", signature)
///     .body(http_body_util::Full::new(bytes::Bytes::from(body)))?;
///
/// assert_eq!(receiver.receive(delivery).await.status(), 200);
/// assert!(entitlements.has_benefit("user_42", grant.benefit_id).await?);
/// assert_eq!(entitlements.stats().api_fetches, 0, "learnt from the webhook alone");
/// # Ok(()) }
/// ```
impl Handler for Entitlements {
    fn handle(&self, delivery: Delivery) -> HandlerFuture<'_> {
        Box::pin(async move {
            self.apply(&delivery.event).await;
            Ok(())
        })
    }
}
