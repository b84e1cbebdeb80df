//! A client over an in-process service that answers every request with one scripted response
//! and records the request's path, so targets drive the SDK's real request and response code.

use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use http_body_util::{Full, StreamBody};
use polar_customers::Client;

pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_current_thread().build().unwrap())
}

type Frames = StreamBody<futures_util::stream::Iter<std::vec::IntoIter<Result<http_body::Frame<Bytes>, std::convert::Infallible>>>>;

/// A client whose every request gets `status`, `content_type` and `body` split into `chunks`.
pub fn client(status: u16, content_type: &'static str, chunks: Vec<Bytes>, seen: Arc<Mutex<Vec<String>>>) -> Client {
    let service = tower::service_fn(move |req: http::Request<Full<Bytes>>| {
        seen.lock().unwrap().push(req.uri().path().to_owned());
        let frames: Vec<_> = chunks.iter().cloned().map(|c| Ok(http_body::Frame::data(c))).collect();
        let body: Frames = StreamBody::new(futures_util::stream::iter(frames));
        let res = http::Response::builder().status(status).header("content-type", content_type).body(body).unwrap();
        async move { Ok::<_, std::convert::Infallible>(res) }
    });
    Client::from_service(service)
}

/// Splits `data` into chunks whose sizes come from the data itself, so chunk boundaries land
/// everywhere (inside quotes, between CR and LF, inside UTF-8 sequences).
#[allow(dead_code)] // not every target splits its input
pub fn chunked(data: &[u8]) -> Vec<Bytes> {
    let Some((&step, rest)) = data.split_first() else { return vec![] };
    let step = usize::from(step % 64) + 1;
    rest.chunks(step).map(Bytes::copy_from_slice).collect()
}
