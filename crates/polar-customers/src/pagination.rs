//! Page-number pagination with one page of look-ahead.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use futures_core::Stream;
use tracing::Instrument;

use crate::Error;
use crate::request::ResponseFuture;
use crate::types::ListResource;

/// Fetches one page by number.
pub(crate) type PageFetcher<T> = Arc<dyn Fn(i64) -> ResponseFuture<ListResource<T>> + Send + Sync>;

/// A page request in flight: on a task of the current tokio runtime when there is one (so it
/// progresses while the caller works on the previous page), else polled in place.
///
/// The task runs in the caller's tracing span (the one current when the request starts), and a
/// panic in it is resumed in the caller, as if the request had run in place.
enum InFlight<T> {
    Task(tokio::task::JoinHandle<Result<ListResource<T>, Error>>),
    Local(ResponseFuture<ListResource<T>>),
}

impl<T: Send + 'static> InFlight<T> {
    fn start(fut: ResponseFuture<ListResource<T>>) -> Self {
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => InFlight::Task(handle.spawn(fut.instrument(tracing::Span::current()))),
            Err(_) => InFlight::Local(fut),
        }
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<ListResource<T>, Error>> {
        match self {
            InFlight::Task(handle) => Poll::Ready(match ready!(Pin::new(handle).poll(cx)) {
                Ok(result) => result,
                Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
                // Only this stream aborts its task, and then nobody polls it; a runtime that is
                // shutting down cancels it.
                Err(join) => Err(Error::Transport {
                    source: Box::new(join),
                }),
            }),
            InFlight::Local(fut) => fut.as_mut().poll(cx),
        }
    }
}

impl<T> Drop for InFlight<T> {
    fn drop(&mut self) {
        if let InFlight::Task(handle) = self {
            handle.abort();
        }
    }
}

/// A stream of whole pages of a list, requesting page N+1 as soon as page N has arrived.
///
/// It ends after the page numbered `max_page`, at the first empty page, or after yielding an
/// error (no request is made after an error). Dropping it cancels the request in flight.
///
/// The look-ahead request is a call like any other, sent when page N arrives: its call timeout
/// (and its rate-limit wait) start then, not when you ask for page N+1. That is on purpose: the
/// timeout bounds how long the request itself takes, and a request that is already sent must
/// stay bounded whether or not you are reading. If it completes in time its page waits for you,
/// however long you take with page N; if it fails, the error is what you get for page N+1.
/// Obtained from [`ListCustomers::pages`](crate::ListCustomers::pages).
pub struct Pages<T> {
    fetch: PageFetcher<T>,
    next_page: i64,
    in_flight: Option<InFlight<T>>,
    done: bool,
}

impl<T> fmt::Debug for Pages<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages")
            .field("next_page", &self.next_page)
            .field("in_flight", &self.in_flight.is_some())
            .field("done", &self.done)
            .finish()
    }
}

impl<T: Send + 'static> Pages<T> {
    pub(crate) fn new(fetch: PageFetcher<T>, first_page: i64) -> Self {
        Pages {
            fetch,
            next_page: first_page.max(1),
            in_flight: None,
            done: false,
        }
    }

    fn start_next(&mut self) {
        let fut = (self.fetch)(self.next_page);
        self.in_flight = Some(InFlight::start(fut));
    }
}

impl<T: Send + 'static> Stream for Pages<T> {
    type Item = Result<ListResource<T>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        if this.in_flight.is_none() {
            this.start_next();
        }
        let result = ready!(
            this.in_flight
                .as_mut()
                .expect("a request is in flight")
                .poll(cx)
        );
        this.in_flight = None;
        match result {
            Ok(page) => {
                let current = this.next_page;
                this.next_page = current.saturating_add(1);
                if page.items.is_empty() {
                    this.done = true;
                    return Poll::Ready(None);
                }
                if current < page.pagination.max_page {
                    // Look-ahead: the next page is fetched while the caller handles this one.
                    this.start_next();
                } else {
                    this.done = true;
                }
                Poll::Ready(Some(Ok(page)))
            }
            Err(err) => {
                this.done = true;
                Poll::Ready(Some(Err(err)))
            }
        }
    }
}

/// A stream of the items of every page, one at a time, with the look-ahead of [`Pages`].
///
/// Obtained from [`ListCustomers::stream`](crate::ListCustomers::stream).
pub struct Items<T> {
    pages: Pages<T>,
    buffer: VecDeque<T>,
}

impl<T> fmt::Debug for Items<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Items")
            .field("pages", &self.pages)
            .field("buffered", &self.buffer.len())
            .finish()
    }
}

impl<T: Send + 'static> Items<T> {
    pub(crate) fn new(pages: Pages<T>) -> Self {
        Items {
            pages,
            buffer: VecDeque::new(),
        }
    }
}

impl<T: Send + Unpin + 'static> Stream for Items<T> {
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(item) = this.buffer.pop_front() {
                return Poll::Ready(Some(Ok(item)));
            }
            match ready!(Pin::new(&mut this.pages).poll_next(cx)) {
                Some(Ok(page)) => this.buffer.extend(page.items),
                Some(Err(err)) => return Poll::Ready(Some(Err(err))),
                None => return Poll::Ready(None),
            }
        }
    }
}
