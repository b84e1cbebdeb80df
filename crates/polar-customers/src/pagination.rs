//! Page-number pagination: each page is requested when the reader asks for it, or, when the
//! caller opts in, up to `n` pages ahead of the reader (pages are addressed by number, so page k
//! can be requested before page k-1 has been read).

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

/// A page request in flight. One made ahead of the reader runs on a task of the current tokio
/// runtime when there is one (so it progresses while the caller works on the previous page);
/// one the reader waits for, or one without a runtime, is polled in place.
///
/// The task runs in the caller's tracing span (the one current when the request starts), and a
/// panic in it is resumed in the caller, as if the request had run in place.
enum InFlight<T> {
    Task(tokio::task::JoinHandle<Result<ListResource<T>, Error>>),
    Local(ResponseFuture<ListResource<T>>),
}

impl<T: Send + 'static> InFlight<T> {
    fn start(fut: ResponseFuture<ListResource<T>>, ahead: bool) -> Self {
        match tokio::runtime::Handle::try_current() {
            Ok(handle) if ahead => {
                InFlight::Task(handle.spawn(fut.instrument(tracing::Span::current())))
            }
            _ => InFlight::Local(fut),
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

/// A stream of whole pages of a list.
///
/// Pages come out in order. By default a page is requested when you ask for it, and no request
/// is made for a page you have not asked for: reading the first page of a long list costs one
/// request. With [`concurrency`](Self::concurrency) you opt in to requesting pages ahead of
/// your reading. The first page is always requested alone (its `max_page` says how many there
/// are), and no page past the last `max_page` seen is ever requested. Every request goes
/// through the client's transport, so its rate limiter paces the walk like any other call.
///
/// It ends after the page numbered `max_page`, at the first empty page, or after yielding an
/// error (no request is made after an error, and those already in flight are cancelled).
/// Dropping it cancels the requests in flight.
///
/// A request made ahead is a call like any other, sent when there is room for it: its call
/// timeout (and its rate-limit wait) start then, not when you ask for its page. That is on
/// purpose: the timeout bounds how long the request itself takes, and a request that is already
/// sent must stay bounded whether or not you are reading. If it completes in time its page waits
/// for you, however long you take with earlier pages; if it fails, the error is what you get in
/// its place.
/// Obtained from [`ListCustomers::pages`](crate::ListCustomers::pages).
pub struct Pages<T> {
    fetch: PageFetcher<T>,
    /// The page the next item will be.
    next_page: i64,
    /// The page the next request will ask for.
    next_request: i64,
    /// The last `max_page` the server gave (none before the first page).
    max_page: Option<i64>,
    /// Requests in flight, for pages `next_page`, `next_page + 1`, ...
    in_flight: VecDeque<InFlight<T>>,
    /// How many requests may be in flight while the reader holds a page (0: none, the default).
    ahead: usize,
    done: bool,
}

impl<T> fmt::Debug for Pages<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages")
            .field("next_page", &self.next_page)
            .field("in_flight", &self.in_flight.len())
            .field("ahead", &self.ahead)
            .field("done", &self.done)
            .finish()
    }
}

impl<T: Send + 'static> Pages<T> {
    pub(crate) fn new(fetch: PageFetcher<T>, first_page: i64) -> Self {
        let first = first_page.max(1);
        Pages {
            fetch,
            next_page: first,
            next_request: first,
            max_page: None,
            in_flight: VecDeque::new(),
            ahead: 0,
            done: false,
        }
    }

    /// Requests pages ahead of your reading: up to `n` page requests in flight at once, kept
    /// going while you handle the pages already read. `concurrency(1)` fetches the next page
    /// while you handle the current one. Without this call (or with `n` = 0) each page is
    /// requested only when you ask for it.
    ///
    /// With a server that answers in `L`, a walk of `P` pages takes about `P × L / n` instead
    /// of `P × L`, until the rate limiter binds. Up to `n` pages may be held in memory, and up
    /// to `n` requests are spent on pages you may never read (when you stop early).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.ahead = n;
        self
    }

    /// Starts requests until `limit` are in flight, none past the last page known. With
    /// `reader_waits`, the reader is waiting for the first page in line: when that one is
    /// started here, it is polled in place; every other runs ahead of the reader, on a task.
    fn fill(&mut self, limit: usize, reader_waits: bool) {
        loop {
            let room = match self.max_page {
                // Before the first page only one request: the walk may have a single page.
                None => self.in_flight.is_empty() && limit > 0,
                Some(max) => self.in_flight.len() < limit && self.next_request <= max,
            };
            if !room {
                return;
            }
            let fut = (self.fetch)(self.next_request);
            let ahead = !(reader_waits && self.in_flight.is_empty());
            self.in_flight.push_back(InFlight::start(fut, ahead));
            self.next_request = self.next_request.saturating_add(1);
        }
    }

    fn finish(&mut self) {
        self.done = true;
        // Dropping aborts the requests no one will read.
        self.in_flight.clear();
    }
}

impl<T: Send + 'static> Stream for Pages<T> {
    type Item = Result<ListResource<T>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        // The reader asks for the next page: it is requested now if it is not yet.
        this.fill(this.ahead.max(1), true);
        let result = ready!(
            this.in_flight
                .front_mut()
                .expect("a request is in flight")
                .poll(cx)
        );
        this.in_flight.pop_front();
        match result {
            Ok(page) => {
                let current = this.next_page;
                this.next_page = current.saturating_add(1);
                if page.items.is_empty() {
                    this.finish();
                    return Poll::Ready(None);
                }
                this.max_page = Some(page.pagination.max_page);
                if current >= page.pagination.max_page {
                    this.finish();
                } else {
                    // Only when the caller opted in: the next pages are fetched while it
                    // handles this one.
                    this.fill(this.ahead, false);
                }
                Poll::Ready(Some(Ok(page)))
            }
            Err(err) => {
                this.finish();
                Poll::Ready(Some(Err(err)))
            }
        }
    }
}

/// A stream of the items of every page, one at a time and in order. A page is requested when
/// its first item is asked for, unless you opt in to requesting ahead with
/// [`concurrency`](Self::concurrency).
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

    /// Requests up to `n` pages ahead of your reading; see [`Pages::concurrency`] (by default
    /// none: a page is requested when its first item is asked for).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// use futures_util::TryStreamExt;
    ///
    /// // Four pages in flight; the customers still come out in order.
    /// let all: Vec<_> = client.customers().list().limit(100).stream().concurrency(4).try_collect().await?;
    /// # let _ = all;
    /// # Ok(()) }
    /// ```
    pub fn concurrency(mut self, n: usize) -> Self {
        self.pages = self.pages.concurrency(n);
        self
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
