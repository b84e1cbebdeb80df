//! The response body: a buffer, or the CSV export produced chunk by chunk.

use std::convert::Infallible;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};

use crate::csv;
use crate::state::Shared;

/// The body of every response the fake gives.
///
/// JSON answers are one buffer; the CSV export is streamed: each frame holds at most
/// a hundred rows, read from the store when the frame is polled, so the export is never built
/// as one big string. It satisfies the transport's bound
/// (`http_body::Body<Data = Bytes> + Send + 'static`, error convertible into a boxed error).
///
/// ```
/// use http_body::Body as _;
/// let body = polar_fake::FakeBody::from("hello");
/// assert_eq!(body.size_hint().exact(), Some(5));
/// ```
pub struct FakeBody {
    kind: Kind,
}

enum Kind {
    Once(Option<Bytes>),
    Csv(Box<CsvStream>),
}

struct CsvStream {
    shared: Arc<Shared>,
    orgs: Vec<uuid::Uuid>,
    next: Option<u64>,
    header_sent: bool,
}

impl FakeBody {
    /// An empty body (204, 307, 429 answers).
    pub fn empty() -> Self {
        FakeBody {
            kind: Kind::Once(None),
        }
    }

    pub(crate) fn csv(shared: Arc<Shared>, orgs: Vec<uuid::Uuid>) -> Self {
        FakeBody {
            kind: Kind::Csv(Box::new(CsvStream {
                shared,
                orgs,
                next: Some(0),
                header_sent: false,
            })),
        }
    }
}

impl From<Bytes> for FakeBody {
    fn from(b: Bytes) -> Self {
        if b.is_empty() {
            FakeBody::empty()
        } else {
            FakeBody {
                kind: Kind::Once(Some(b)),
            }
        }
    }
}

impl From<String> for FakeBody {
    fn from(s: String) -> Self {
        Bytes::from(s).into()
    }
}

impl From<&'static str> for FakeBody {
    fn from(s: &'static str) -> Self {
        Bytes::from_static(s.as_bytes()).into()
    }
}

impl fmt::Debug for FakeBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Once(b) => f
                .debug_tuple("FakeBody")
                .field(&b.as_ref().map_or(0, Bytes::len))
                .finish(),
            Kind::Csv(_) => f.write_str("FakeBody(csv stream)"),
        }
    }
}

impl CsvStream {
    fn next_chunk(&mut self) -> Option<Bytes> {
        let mut out = String::new();
        if !self.header_sent {
            self.header_sent = true;
            csv::write_header(&mut out);
        }
        // Scan on until some rows come out (deleted customers are skipped) or the end.
        while let Some(from) = self.next {
            let store = self.shared.store();
            self.next = store.export_rows(
                &self.orgs,
                from,
                csv::ROWS_PER_CHUNK,
                csv::SCAN_PER_CHUNK,
                &mut out,
            );
            drop(store);
            if !out.is_empty() {
                break;
            }
        }
        (!out.is_empty()).then(|| Bytes::from(out))
    }
}

impl http_body::Body for FakeBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        let chunk = match &mut this.kind {
            Kind::Once(b) => b.take(),
            Kind::Csv(s) => s.next_chunk(),
        };
        Poll::Ready(chunk.map(|b| Ok(Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Once(b) => b.is_none(),
            Kind::Csv(s) => s.header_sent && s.next.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Once(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            Kind::Csv(_) => SizeHint::default(),
        }
    }
}
