//! What every operation builder shares: the per-request option setters, `.await`, and sending a
//! call whose answer is JSON.

use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::pagination::{PageFetcher, Pages};
use crate::request::{Call, ResponseFuture};
use crate::types::{InputError, ListResource};
use crate::{Client, Error};

/// Adds the per-request option setters shared by every builder (the `options` field).
macro_rules! request_options {
    () => {
        /// Sends this request with another bearer token than the client's.
        pub fn token(mut self, token: impl Into<String>) -> Self {
            self.options.transport.token = Some(::secrecy::SecretString::from(token.into()));
            self
        }

        /// Gives this call (all attempts and waits, and reading the answer) at most `timeout`.
        /// For the export it bounds only the wait for the answer to start; a stalled stream is
        /// ended by the body idle timeout instead.
        pub fn timeout(mut self, timeout: ::std::time::Duration) -> Self {
            self.options.transport.timeout = Some(timeout);
            self
        }

        /// Makes at most `attempts` attempts at this request, the first included (1 = no
        /// retry; 0 counts as 1); a retry is made only when the transport's policy deems it safe.
        pub fn max_attempts(mut self, attempts: u32) -> Self {
            self.options.transport.max_attempts = Some(attempts);
            self
        }

        /// Adds a header to this request (repeat to add more). An invalid name or value makes
        /// the call fail with [`Error::InvalidInput`](crate::Error::InvalidInput) before anything is sent.
        pub fn header<K, V>(mut self, name: K, value: V) -> Self
        where
            K: TryInto<::http::header::HeaderName>,
            V: TryInto<::http::header::HeaderValue>,
        {
            self.options.add_header(name, value);
            self
        }

        /// Applies transport options in one go; fields left `None` are not changed.
        pub fn request_options(mut self, options: ::polar_transport::RequestOptions) -> Self {
            self.options.set_options(options);
            self
        }
    };
}

/// Implements `IntoFuture` by delegating to `send`.
macro_rules! awaitable {
    ($builder:ty => $output:ty) => {
        impl ::std::future::IntoFuture for $builder {
            type Output = Result<$output, crate::Error>;
            type IntoFuture = crate::ResponseFuture<$output>;

            fn into_future(self) -> Self::IntoFuture {
                self.send()
            }
        }
    };
}

/// Sends a call and decodes its JSON answer; a call that could not be built (invalid input)
/// fails when awaited, like any other error.
pub(crate) fn send_json<T: DeserializeOwned + Send + 'static>(
    client: Client,
    call: Result<Call, Error>,
) -> ResponseFuture<T> {
    Box::pin(async move { client.send_json(call?).await })
}

/// The paging setters (`page`, `limit`, `sorting`, `sort_by`), `pages()` and `stream()` of a
/// list builder whose fields are `client`, `query` (its generated
/// params type, `page` being the first page to get) and `options`, and whose module has
/// `list_call(&params, &options)`.
macro_rules! paging {
    ($builder:ident, $params:ident => $item:ty, $items:literal, $sort:ty) => {
        /// The page to get (from 1). For [`stream`](Self::stream) and [`pages`](Self::pages),
        /// the page to start from.
        pub fn page(mut self, page: u32) -> Self {
            self.query.page = Some(page);
            self
        }

        #[doc = concat!("How many ", $items, "s per page (1..=100; the server cuts larger values to 100).")]
        pub fn limit(mut self, limit: u32) -> Self {
            self.query.limit = Some(limit);
            self
        }

        /// Sort order, applied in the order given (replaces any order set before).
        pub fn sorting(mut self, sorting: impl IntoIterator<Item = $sort>) -> Self {
            self.query.sorting = sorting.into_iter().collect();
            self
        }

        /// Adds one sort criterion after those already set.
        pub fn sort_by(mut self, sort: $sort) -> Self {
            self.query.sorting.push(sort);
            self
        }

        /// Every page from [`page`](Self::page) (default 1) on, fetching the next page while the
        /// current one is handled. Ends after `max_page`, at an empty page or after an error.
        pub fn pages(self) -> crate::Pages<$item> {
            let first = self.query.page.unwrap_or(1);
            let invalid = crate::types::Validate::validate(&self.query).err();
            let $builder {
                client,
                query,
                options,
            } = self;
            crate::builder::pages(client, first, invalid, move |page| {
                let query = $params {
                    page: Some(page),
                    ..query.clone()
                };
                list_call(&query, &options)
            })
        }

        #[doc = concat!("Every ", $items, " of every page, in order, with one page of look-ahead")]
        /// (more with [`Items::concurrency`](crate::Items::concurrency)).
        ///
        /// The stream owns a clone of the client; it is `Send + Unpin + 'static`.
        pub fn stream(self) -> crate::Items<$item> {
            crate::Items::new(self.pages())
        }
    };
}

pub(crate) use {awaitable, paging, request_options};

/// Every page of a list from page `first` on; `call_for(n)` builds the call for page `n`.
///
/// `invalid` is the query as the caller set it, checked: the pager starts at page 1 at the
/// lowest, which would hide a `page(0)`, so a wrong query fails the first page instead, with
/// nothing sent.
pub(crate) fn pages<T>(
    client: Client,
    first: u32,
    invalid: Option<InputError>,
    call_for: impl Fn(u32) -> Result<Call, Error> + Send + Sync + 'static,
) -> Pages<T>
where
    T: Send + 'static,
    ListResource<T>: DeserializeOwned,
{
    let fetch: PageFetcher<T> = Arc::new(move |page| {
        let call = match &invalid {
            Some(e) => Err(Error::InvalidInput(e.clone())),
            // The pager counts in i64; a page past u32 is past any list Polar serves.
            None => match u32::try_from(page) {
                Ok(page) => call_for(page),
                Err(_) => Err(Error::invalid(
                    "page",
                    format!("page {page} is out of range"),
                )),
            },
        };
        send_json(client.clone(), call)
    });
    Pages::new(fetch, i64::from(first))
}
