//! How each kind of answer is read: JSON (most operations), no content (deletes), a CSV
//! stream (the export), and JSON holding a secret (customer sessions). The output type of an
//! operation says which.

use serde::de::DeserializeOwned;

use crate::export::ExportStream;
use crate::request::{CSV, Call, ResponseFuture};
use crate::types::{Customer, CustomerMeter, CustomerSession, CustomerState, ListResource, Member};
use crate::{Client, Error};

/// The output of an operation: how its call is sent and its answer read.
pub trait Answer: Sized + Send + 'static {
    /// Adjusts the call for this kind of answer (the `Accept` header, streaming).
    fn prepare(call: Call) -> Call {
        call
    }

    /// Sends the call (a call that could not be built fails when awaited, like any other
    /// error) and reads the answer.
    fn send(client: Client, call: Result<Call, Error>) -> ResponseFuture<Self>;
}

fn json<T: DeserializeOwned + Send + 'static>(
    client: Client,
    call: Result<Call, Error>,
) -> ResponseFuture<T> {
    Box::pin(async move { client.send_json(call?).await })
}

/// JSON answers decoded as they are.
macro_rules! json_answers {
    ($($output:ty),*) => {$(
        impl Answer for $output {
            fn send(client: Client, call: Result<Call, Error>) -> ResponseFuture<Self> {
                json(client, call)
            }
        }
    )*};
}

json_answers!(Customer, CustomerState, Member, CustomerMeter);

impl<T: DeserializeOwned + Send + 'static> Answer for ListResource<T> {
    fn send(client: Client, call: Result<Call, Error>) -> ResponseFuture<Self> {
        json(client, call)
    }
}

/// A delete: 204 with no body. Whatever comes is dropped unread; a 404 may still be success
/// (see `Client::send_delete`).
impl Answer for () {
    fn send(client: Client, call: Result<Call, Error>) -> ResponseFuture<Self> {
        Box::pin(async move { client.send_delete(call?).await })
    }
}

/// The export: CSV handed out as it arrives.
impl Answer for ExportStream {
    fn prepare(mut call: Call) -> Call {
        call.accept = CSV;
        // An export of many customers may take longer than the call timeout: only its head is
        // bounded by it; the body fails when the server sends nothing for the transport's body
        // idle timeout.
        call.options.transport.streaming_body = true;
        call
    }

    fn send(client: Client, call: Result<Call, Error>) -> ResponseFuture<Self> {
        Box::pin(async move {
            let (response, tokens) = client.send_raw(call?).await?;
            let status = response.status();
            Ok(ExportStream::new(status, response.into_body(), tokens))
        })
    }
}

/// A session holds a secret (its token, also inside the portal URL): when the answer does not
/// decode, the error keeps no excerpt of it.
impl Answer for CustomerSession {
    fn send(client: Client, call: Result<Call, Error>) -> ResponseFuture<Self> {
        Box::pin(async move {
            client.send_json(call?).await.map_err(|e| match e {
                Error::Decode(d) => Error::Decode(Box::new(d.withheld())),
                other => other,
            })
        })
    }
}
