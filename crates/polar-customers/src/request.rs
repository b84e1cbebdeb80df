//! Turning an operation into an `http::Request`, sending it and reading the answer.

use std::future::Future;
use std::pin::Pin;

use bytes::{Bytes, BytesMut};
use http::header::{ACCEPT, CONTENT_TYPE, HeaderName, HeaderValue};
use http::{HeaderMap, Method, Request, Response};
use http_body_util::BodyExt;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};
use polar_transport::{
    Body, EarlierAttemptMayHaveBeenProcessed, RequestOptions, ResponseBody, RetryLater,
    RouteTemplate,
};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use tower::ServiceExt;

use crate::error::{ApiError, DecodeError, Redact};
use crate::{Client, Error};

/// The future returned by every operation builder: owned, `Send`, `'static`.
pub type ResponseFuture<T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'static>>;

/// At most this many bytes of an error body are read (the rest is dropped).
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// Query keys and values: everything but unreserved characters is escaped.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'~')
    .remove(b'.');

pub(crate) const JSON: &str = "application/json";
pub(crate) const CSV: &str = "text/csv";

/// Per-request options shared by every operation builder: the transport's [`RequestOptions`]
/// (one type, handed to the stack as is) and the extra headers.
#[derive(Clone, Debug, Default)]
pub(crate) struct CallOptions {
    pub(crate) transport: RequestOptions,
    pub(crate) headers: HeaderMap,
    /// The first invalid header given to `.header(..)`, reported when the request is built.
    pub(crate) header_error: Option<String>,
}

impl CallOptions {
    /// Applies the fields of `options` that are set (`Some`, or `true`).
    pub(crate) fn set_options(&mut self, options: RequestOptions) {
        let ours = &mut self.transport;
        if options.token.is_some() {
            ours.token = options.token;
        }
        if options.timeout.is_some() {
            ours.timeout = options.timeout;
        }
        if options.max_attempts.is_some() {
            ours.max_attempts = options.max_attempts;
        }
        ours.retry_forbidden |= options.retry_forbidden;
        ours.streaming_body |= options.streaming_body;
        if options.resume.is_some() {
            ours.resume = options.resume;
        }
    }

    pub(crate) fn add_header<K, V>(&mut self, name: K, value: V)
    where
        K: TryInto<HeaderName>,
        V: TryInto<HeaderValue>,
    {
        match (name.try_into(), value.try_into()) {
            (Ok(name), Ok(mut value)) => {
                value.set_sensitive(true);
                self.headers.append(name, value);
            }
            _ => {
                if self.header_error.is_none() {
                    self.header_error = Some("an extra header has an invalid name or value".into());
                }
            }
        }
    }

    /// The per-request overrides, or `None` when the call has none: then nothing is added to
    /// the request's extensions (each one costs allocations, and again for every retry copy).
    fn request_options(&self) -> Option<RequestOptions> {
        let o = &self.transport;
        let plain = o.token.is_none()
            && o.timeout.is_none()
            && o.max_attempts.is_none()
            && !o.retry_forbidden
            && !o.streaming_body
            && o.resume.is_none();
        (!plain).then(|| o.clone())
    }
}

/// One HTTP call, before it becomes an `http::Request`.
///
/// `pub` only so that the sealed traits of `operation` may name it; this module is private.
#[derive(Debug)]
pub struct Call {
    pub(crate) method: Method,
    pub(crate) route: &'static str,
    pub(crate) path: String,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) body: Option<Bytes>,
    pub(crate) accept: &'static str,
    pub(crate) options: CallOptions,
}

/// Serializes a request body as JSON.
pub(crate) fn json_bytes<B: serde::Serialize>(body: &B) -> Result<Bytes, Error> {
    serde_json::to_vec(body)
        .map(Bytes::from)
        .map_err(|e| Error::invalid("body", e.to_string()))
}

impl Call {
    pub(crate) fn path_and_query(&self) -> String {
        let mut out = self.path.clone();
        for (i, (k, v)) in self.query.iter().enumerate() {
            out.push(if i == 0 { '?' } else { '&' });
            out.extend(percent_encoding::utf8_percent_encode(k, QUERY));
            out.push('=');
            out.extend(percent_encoding::utf8_percent_encode(v, QUERY));
        }
        out
    }

    pub(crate) fn into_request(self) -> Result<Request<Body>, Error> {
        if let Some(msg) = &self.options.header_error {
            return Err(Error::invalid("header", msg.clone()));
        }
        let uri: http::Uri = self
            .path_and_query()
            .parse()
            .map_err(|e: http::uri::InvalidUri| Error::invalid("path", e.to_string()))?;
        let mut builder = Request::builder().method(self.method).uri(uri);
        let headers = builder.headers_mut().expect("fresh builder has no error");
        for (name, value) in &self.options.headers {
            headers.append(name.clone(), value.clone());
        }
        headers.insert(ACCEPT, HeaderValue::from_static(self.accept));
        if self.body.is_some() {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
        }
        let mut request = builder
            .body(Body::new(self.body.unwrap_or_default()))
            .map_err(|e| Error::invalid("request", e.to_string()))?;
        if let Some(options) = self.options.request_options() {
            request.extensions_mut().insert(options);
        }
        request.extensions_mut().insert(RouteTemplate(self.route));
        Ok(request)
    }
}

/// The tokens a call was sent with: whatever the server sends back is cleaned of them before it
/// becomes part of an error.
#[derive(Clone)]
pub(crate) struct Tokens {
    client: Client,
    call: Option<SecretString>,
}

impl Tokens {
    fn each(&self) -> impl Iterator<Item = &[u8]> {
        [self.client.token(), self.call.as_ref()]
            .into_iter()
            .flatten()
            .map(|t| t.expose_secret().as_bytes())
            .filter(|t| !t.is_empty())
    }

    /// A decode error without any token in its path, excerpt or message.
    pub(crate) fn redact_error(&self, err: Error) -> Error {
        match err {
            Error::Decode(decode) => Error::Decode(Box::new(decode.redacted(self))),
            other => other,
        }
    }
}

impl Redact for Tokens {
    fn redact_bytes(&self, mut body: Bytes, cut: bool) -> Bytes {
        for token in self.each() {
            body = redact(body, token, cut);
        }
        body
    }

    fn redact_str(&self, text: &str) -> Option<String> {
        let mut out: Option<String> = None;
        for token in self.each() {
            let current = out.as_deref().unwrap_or(text);
            if let Ok(token) = std::str::from_utf8(token)
                && current.contains(token)
            {
                out = Some(current.replace(token, REDACTED_TEXT));
            }
        }
        out
    }
}

impl Client {
    /// Sends the call and returns the answer, whatever its status, with the tokens it used.
    async fn exchange(&self, call: Call) -> Result<(Response<ResponseBody>, Tokens), Error> {
        let tokens = Tokens {
            client: self.clone(),
            call: call.options.transport.token.clone(),
        };
        let request = call.into_request()?;
        let response = self
            .service()
            .oneshot(request)
            .await
            .map_err(Error::from_transport)?;
        Ok((response, tokens))
    }

    /// Sends the call; a non-2xx answer becomes [`Error::Api`].
    pub(crate) async fn send_raw(
        &self,
        call: Call,
    ) -> Result<(Response<ResponseBody>, Tokens), Error> {
        let (response, tokens) = self.exchange(call).await?;
        if response.status().is_success() {
            Ok((response, tokens))
        } else {
            Err(read_api_error(response, &tokens).await)
        }
    }

    /// Sends the call and decodes the JSON answer.
    ///
    /// Over polar-transport's stack the call timeout also bounds reading the body, so a body
    /// that trickles ends in [`Error::Timeout`].
    pub(crate) async fn send_json<T: DeserializeOwned>(&self, call: Call) -> Result<T, Error> {
        let (response, tokens) = self.send_raw(call).await?;
        let status = response.status();
        let (body, _) = read_capped(response.into_body(), self.max_response_bytes(), true).await?;
        decode_json(status, &body).map_err(|e| tokens.redact_error(e))
    }

    /// Sends a DELETE, which answers 204 with no body; whatever comes is dropped unread.
    ///
    /// A 404 to a retry means the call has succeeded only when an earlier attempt may have
    /// deleted the resource (the retry layer marks it: that attempt's answer was lost, or a
    /// gateway answered 502/504). After a 429 or a refused connection nothing was done, and the
    /// 404 stays an error.
    pub(crate) async fn send_delete(&self, call: Call) -> Result<(), Error> {
        let (response, tokens) = self.exchange(call).await?;
        let done_before = response
            .extensions()
            .get::<EarlierAttemptMayHaveBeenProcessed>()
            .is_some();
        if response.status().is_success()
            || (done_before && response.status() == http::StatusCode::NOT_FOUND)
        {
            return Ok(());
        }
        Err(read_api_error(response, &tokens).await)
    }
}

/// Decodes JSON, naming the path of the first failure.
///
/// The document is decoded once with plain `serde_json`; only when that fails is it decoded
/// again with a path tracker, so the common case pays nothing for the error's path.
pub(crate) fn decode_json<T: DeserializeOwned>(
    status: http::StatusCode,
    body: &[u8],
) -> Result<T, Error> {
    if let Ok(value) = serde_json::from_slice::<T>(body) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    let err = match result {
        Err(e) => DecodeError::json(status, body, e),
        // Valid up to here, so the failure is what follows the document.
        Ok(_) => match de.end() {
            Err(e) => DecodeError::other(status, ".", Box::new(e)),
            Ok(()) => DecodeError::other(status, ".", "inconsistent JSON decoding".into()),
        },
    };
    Err(err.into())
}

/// Reads a body up to `limit` bytes. With `strict`, more is an error; without, the rest is
/// dropped and the flag says so.
pub(crate) async fn read_capped(
    mut body: ResponseBody,
    limit: usize,
    strict: bool,
) -> Result<(Bytes, bool), Error> {
    let mut buf = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(Error::from_transport)?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                if strict {
                    return Err(Error::BodyTooLarge { limit });
                }
                let room = limit - buf.len();
                buf.extend_from_slice(&data[..room]);
                return Ok((buf.freeze(), true));
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok((buf.freeze(), false))
}

async fn read_api_error(response: Response<ResponseBody>, tokens: &Tokens) -> Error {
    let (parts, body) = response.into_parts();
    // A body that fails half-way still yields an API error with what was read (nothing here).
    let (bytes, truncated) = read_capped(body, ERROR_BODY_LIMIT, false)
        .await
        .unwrap_or_default();
    let bytes = tokens.redact_bytes(bytes, truncated);
    let api = ApiError::from_parts(parts.status, &parts.headers, &bytes, truncated);
    Error::from(api.with_retry_later(parts.extensions.get::<RetryLater>().copied()))
}

/// What stands in an error body for a token the server echoed back.
const REDACTED_TEXT: &str = "[redacted]";
const REDACTED: &[u8] = REDACTED_TEXT.as_bytes();

/// Replaces every occurrence of `secret` in `body`. When the body was `cut` short, a tail that
/// could be the start of the secret goes too, so no part of a token survives in an error.
fn redact(body: Bytes, secret: &[u8], cut: bool) -> Bytes {
    if secret.is_empty() {
        return body;
    }
    let found = body.windows(secret.len()).any(|w| w == secret);
    let tail = if cut {
        (1..secret.len().min(body.len() + 1))
            .rev()
            .find(|&n| body.ends_with(&secret[..n]))
            .unwrap_or(0)
    } else {
        0
    };
    if !found && tail == 0 {
        return body;
    }
    let keep = &body[..body.len() - tail];
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < keep.len() {
        if keep[i..].starts_with(secret) {
            out.extend_from_slice(REDACTED);
            i += secret.len();
        } else {
            out.push(keep[i]);
            i += 1;
        }
    }
    if tail > 0 {
        out.extend_from_slice(REDACTED);
    }
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::redact;
    use bytes::Bytes;

    #[test]
    fn redact_replaces_every_occurrence_and_a_cut_tail() {
        let body = Bytes::from_static(b"token polar_oat_x1 is bad; polar_oat_x1!");
        assert_eq!(
            &redact(body, b"polar_oat_x1", false)[..],
            b"token [redacted] is bad; [redacted]!"
        );
        let cut = Bytes::from_static(b"bad token: polar_oa");
        assert_eq!(
            &redact(cut.clone(), b"polar_oat_x1", true)[..],
            b"bad token: [redacted]"
        );
        // Not cut: a tail that merely looks like the start of the token is just text.
        assert_eq!(redact(cut.clone(), b"polar_oat_x1", false), cut);
        let clean = Bytes::from_static(b"{\"detail\":\"nope\"}");
        assert_eq!(redact(clean.clone(), b"polar_oat_x1", true), clean);
    }
}
