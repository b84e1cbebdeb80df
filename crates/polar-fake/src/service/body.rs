//! Reading a JSON request body, with FastAPI's 422 for what does not decode.

use bytes::Bytes;
use http::{HeaderMap, header};
use http_body_util::BodyExt;
use serde_json::Value;

use super::BoxError;
use crate::FakeError;
use crate::issue::{Issue, at, missing, not_an_object, root};
use crate::response::{self as resp, Res};

/// A request body as FastAPI sees it before the route's dependencies run.
pub(crate) enum ReadBody {
    /// Decoded JSON.
    Json(Value),
    /// Refused while reading (413) or decoding (422 `json_invalid`): answered before the
    /// route's dependencies, so before the scope check.
    Refused(Res),
    /// Empty or not JSON: a 422 of the body's validation, which comes after the dependencies.
    Invalid(Res),
}

/// Reads the JSON body; `Err` is a broken connection.
pub(crate) async fn read_json<B>(
    headers: &HeaderMap,
    body: B,
    max: usize,
) -> Result<ReadBody, FakeError>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    // The declared length was checked before routing; this bounds a body longer than declared.
    let bytes = match http_body_util::Limited::new(body, max).collect().await {
        Ok(c) => c.to_bytes(),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            return Ok(ReadBody::Refused(resp::too_large(max)));
        }
        Err(e) => return Err(FakeError::body(e)),
    };
    if bytes.is_empty() {
        return Ok(ReadBody::Invalid(resp::invalid(
            &[missing(root("body"), Value::Null)],
            false,
        )));
    }
    let is_json = match headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        None => true,
        Some(ct) => {
            let mime = ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            mime == "application/json" || mime.ends_with("+json")
        }
    };
    if !is_json {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        return Ok(ReadBody::Invalid(resp::invalid(
            &[not_an_object(root("body"), Value::String(text))],
            false,
        )));
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(v) => Ok(ReadBody::Json(v)),
        Err(e) => {
            let pos = json_error_offset(&bytes, e.line(), e.column());
            let full = e.to_string();
            let msg = full.split(" at line ").next().unwrap_or(&full).to_owned();
            let issue = Issue::new(
                "json_invalid",
                at(&root("body"), pos),
                "JSON decode error",
                serde_json::json!({}),
            )
            .with_ctx(serde_json::json!({ "error": msg }));
            Ok(ReadBody::Refused(resp::invalid(&[issue], false)))
        }
    }
}

fn json_error_offset(bytes: &[u8], line: usize, column: usize) -> u64 {
    let mut offset = 0usize;
    for (i, l) in bytes.split(|b| *b == b'\n').enumerate() {
        if i + 1 >= line {
            break;
        }
        offset += l.len() + 1;
    }
    (offset + column.saturating_sub(1)) as u64
}
