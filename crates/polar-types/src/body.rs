//! The JSON body of an operation's params, stated by the generator for every params type so a
//! caller never has to know (or restate) which operations send one.

/// The JSON body a params type sends. The generator implements it for every params type:
/// [`Body`](Self::Body) is the body's type, or [`NoBody`] for an operation that sends none.
///
/// ```
/// use polar_types::{CustomerUpdate, CustomersGetParams, CustomersUpdateParams, JsonBody};
///
/// let id = "6b0e4c5e-3f8e-4a57-9d2e-1f4a2b3c4d5e".parse()?;
/// assert!(CustomersGetParams { id }.json_body().is_none());
/// let update = CustomersUpdateParams { id, body: CustomerUpdate::default().name("Ada") };
/// assert_eq!(update.json_body(), Some(&update.body));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait JsonBody {
    /// The body's type; [`NoBody`] when the operation sends none.
    type Body: serde::Serialize;

    /// The body to send; `None` exactly when the operation sends none.
    fn json_body(&self) -> Option<&Self::Body>;
}

/// A params type whose operation sends a JSON body: the body to change. The generator
/// implements it for exactly those params types.
pub trait JsonBodyMut: JsonBody {
    /// The body, to change in place.
    fn json_body_mut(&mut self) -> &mut Self::Body;
}

/// The [`JsonBody::Body`] of an operation that sends no body. It has no values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum NoBody {}
