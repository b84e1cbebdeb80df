//! What a [`Receiver`](super::Receiver) calls with each verified delivery: your code.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::Delivery;

/// The error a [`Handler`] may fail with: anything that is an error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Your processing of one verified delivery.
///
/// Any `async` closure (or function) taking a [`Delivery`] and returning `Result<(), E>` is a
/// handler; so is a type of yours implementing this trait, and an `Arc` of either (also
/// `Arc<dyn Handler>`).
///
/// Return `Ok(())` once the event is handled **or deliberately ignored** (an event type you do
/// not act on must be acknowledged, or Polar retries it and counts a failure). Return an error
/// when processing failed and should be tried again: the receiver answers 500, forgets the claim
/// on the `webhook-id`, and Polar's next retry is processed again.
///
/// ```
/// use polar_webhooks::{Delivery, Event, Handler, Receiver, Webhook};
///
/// // A closure...
/// let closure = |delivery: Delivery| async move {
///     if let Event::CustomerStateChanged { data, .. } = &delivery.event {
///         println!("{}: sync access of {}", delivery.webhook_id, data.id());
///     }
///     Ok::<(), std::io::Error>(())
/// };
/// # let secret = polar_webhooks::generate_secret()?;
/// let _receiver = Receiver::new(Webhook::new(&secret)?, closure);
///
/// // ... or a type of yours.
/// struct Accounts;
/// impl Handler for Accounts {
///     fn handle(&self, delivery: Delivery) -> polar_webhooks::HandlerFuture<'_> {
///         Box::pin(async move {
///             let _ = delivery.event.event_type();
///             Ok(())
///         })
///     }
/// }
/// let _receiver = Receiver::new(Webhook::new(&secret)?, Accounts);
/// # Ok::<(), polar_webhooks::Error>(())
/// ```
pub trait Handler: Send + Sync + 'static {
    /// Processes one delivery.
    fn handle(&self, delivery: Delivery) -> HandlerFuture<'_>;
}

/// The future a [`Handler`] returns.
pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send + 'a>>;

impl<F, Fut, E> Handler for F
where
    F: Fn(Delivery) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: Into<BoxError>,
{
    fn handle(&self, delivery: Delivery) -> HandlerFuture<'_> {
        let fut = self(delivery);
        Box::pin(async move { fut.await.map_err(Into::into) })
    }
}

impl<H: Handler + ?Sized> Handler for Arc<H> {
    fn handle(&self, delivery: Delivery) -> HandlerFuture<'_> {
        (**self).handle(delivery)
    }
}
