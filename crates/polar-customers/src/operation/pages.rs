//! What every list request has: its paging setters, its sort order, and its page walks
//! ([`Pages`], [`Items`]).

use std::sync::Arc;

use super::sealed::Answer;
use super::{ListOperation, Request, SortedList, checked_call};
use crate::Error;
use crate::pagination::{Items, PageFetcher, Pages};

impl<P: ListOperation> Request<P> {
    /// The page to get (from 1). For [`stream`](Self::stream) and [`pages`](Self::pages), the
    /// page to start from.
    pub fn page(mut self, page: u32) -> Self {
        *self.params.page_mut() = Some(page);
        self
    }

    /// How many items per page (1..=100; the server cuts larger values to 100).
    pub fn limit(mut self, limit: u32) -> Self {
        *self.params.limit_mut() = Some(limit);
        self
    }

    /// Every page from [`page`](Self::page) (default 1) on, each requested when you ask for
    /// it (more at once with [`Pages::concurrency`]). Ends after `max_page`, at an empty page
    /// or after an error.
    pub fn pages(self) -> Pages<P::Item> {
        let Request {
            client,
            params,
            options,
        } = self;
        let first = params.page().unwrap_or(1);
        // The walk starts at page 1 at the lowest, which would hide a `page(0)`: a query
        // that breaks a rule fails the first page instead, with nothing sent. Checked once
        // here: each page only moves `page` on from `first`, which passed.
        let invalid = params.validate().err();
        let fetch: PageFetcher<P::Item> = Arc::new(move |page| {
            let call = match (&invalid, u32::try_from(page)) {
                (Some(e), _) => Err(Error::InvalidInput(e.clone())),
                (None, Ok(page)) => {
                    let mut params = params.clone();
                    *params.page_mut() = Some(page);
                    checked_call(&params, options.clone())
                }
                // The walk counts in i64; a page past u32 is past any list Polar serves.
                (None, Err(_)) => Err(Error::invalid(
                    "page",
                    format!("page {page} is out of range"),
                )),
            };
            <P::Output as Answer>::send(client.clone(), call)
        });
        Pages::new(fetch, i64::from(first))
    }

    /// Every item of every page, in order; a page is requested when its first item is asked
    /// for (ahead of you only with [`Items::concurrency`]).
    ///
    /// The stream owns a clone of the client; it is `Send + Unpin + 'static`.
    pub fn stream(self) -> Items<P::Item> {
        Items::new(self.pages())
    }
}

impl<P: SortedList> Request<P> {
    /// Sort order, applied in the order given (replaces any order set before).
    pub fn sorting(mut self, sorting: impl IntoIterator<Item = P::Sort>) -> Self {
        *self.params.sorting_mut() = sorting.into_iter().collect();
        self
    }

    /// Adds one sort criterion after those already set.
    pub fn sort_by(mut self, sort: P::Sort) -> Self {
        self.params.sorting_mut().push(sort);
        self
    }
}
