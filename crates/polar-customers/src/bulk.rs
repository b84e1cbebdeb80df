//! Many operations with bounded concurrency: [`Customers::bulk`] and [`Customers::bulk_stream`].
//!
//! Each input becomes one operation (a create, get, update or delete builder); at most
//! [`Bulk::concurrency`] of them are in flight, and every request still goes through the
//! client's stack, so the client's rate limiter (shared or not) paces the batch and its retry
//! layer retries each request as it would alone.
//!
//! The batch sends nothing of its own accord: what is sent again, and how often, is the client's
//! retry policy (its classifier, however configured, and its `max_attempts`). When the retry
//! layer gives an answer back only because the wait it calls for (a 429's `Retry-After`, say)
//! does not fit in what is left of the call's time, it says so
//! ([`RetryLater`](polar_transport::RetryLater)), as it does for an item the client's rate
//! limiter held unsent because its wait (a 429's cooldown) outlasts the call. The batch then
//! stops starting operations until that wait has passed and sends the item again, first, as the
//! same call: its attempts count against the same budget, so an item is sent at most
//! `max_attempts` times in all, and what an earlier attempt may have done is kept (a DELETE
//! whose first answer was lost still reads a later 404 as done). Anything else is the item's result: a failure the policy does not retry
//! (a reset, a timeout or a 5xx on a `POST`, which may have reached the server), a wait longer
//! than the policy's `max_retry_after`, or an item whose attempts are spent.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_util::StreamExt;
use futures_util::stream::{BoxStream, FuturesUnordered};
use polar_transport::{RequestOptions, RetryLater};

use crate::customers::Customers;
use crate::request::ResponseFuture;
use crate::{Error, Operation, Request};

/// Operations run by default at once in a batch.
pub const DEFAULT_BULK_CONCURRENCY: usize = 8;

mod sealed {
    pub trait Sealed {}
}

/// An operation request a batch can run: any [`Request`] (a create, get, update, delete …).
pub trait BulkOperation: sealed::Sealed + Clone + Send + 'static {
    /// What the operation returns.
    type Output: Send + 'static;

    /// Sends it; the operation is kept, in case the batch must send it again.
    fn start(&self) -> ResponseFuture<Self::Output>;

    /// The same operation, going on with the call the retry layer gave back.
    fn resume(self, later: RetryLater) -> Self;
}

impl<P: Operation> sealed::Sealed for Request<P> {}

impl<P: Operation> BulkOperation for Request<P> {
    type Output = P::Output;

    /// Like [`Request::send`], from a borrowed request: the call (its path, query and body)
    /// is built from the params in place, so keeping the operation copies nothing.
    fn start(&self) -> ResponseFuture<P::Output> {
        let call = crate::operation::call(&self.params, self.options.clone());
        <P::Output as crate::operation::sealed::Answer>::send(self.client.clone(), call)
    }

    fn resume(self, later: RetryLater) -> Self {
        let mut options = RequestOptions::default();
        options.resume = Some(later);
        self.request_options(options)
    }
}

impl Customers {
    /// Runs `op` on every input, at most [`DEFAULT_BULK_CONCURRENCY`] at once, and yields
    /// `(index, result)` for each input, in input order (see [`Bulk`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polar_customers::Error> {
    /// # let fake = polar_fake::FakePolar::new();
    /// # let client = polar_customers::Client::builder().token(fake.token()).build_with(fake.clone())?;
    /// use futures_util::StreamExt;
    ///
    /// let emails = ["ada@polar.sh", "grace@polar.sh", "alan@polar.sh"];
    /// let mut created = client
    ///     .customers()
    ///     .bulk(emails, |customers, email| customers.create().email(email))
    ///     .concurrency(16);
    /// while let Some((index, result)) = created.next().await {
    ///     match result {
    ///         Ok(customer) => println!("{} -> {:?}", emails[index], customer.id()),
    ///         Err(err) => eprintln!("{} failed: {err}", emails[index]),
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn bulk<I, F, O>(&self, inputs: I, op: F) -> Bulk<O>
    where
        I: IntoIterator,
        I::IntoIter: Send + 'static,
        F: FnMut(&Customers, I::Item) -> O + Send + 'static,
        O: BulkOperation,
    {
        self.bulk_stream(futures_util::stream::iter(inputs), op)
    }

    /// Like [`bulk`](Self::bulk), over a stream of inputs; the stream is read only as fast as
    /// the batch has room, so it may be endless.
    pub fn bulk_stream<S, F, O>(&self, inputs: S, mut op: F) -> Bulk<O>
    where
        S: Stream + Send + 'static,
        F: FnMut(&Customers, S::Item) -> O + Send + 'static,
        O: BulkOperation,
    {
        let customers = self.clone();
        Bulk::new(inputs.map(move |input| op(&customers, input)).boxed())
    }
}

type Running<O> = Pin<Box<dyn Future<Output = Done<O>> + Send>>;

/// An operation that has ended, kept with its operation in case it must be sent again.
struct Done<O: BulkOperation> {
    index: usize,
    op: O,
    result: Result<O::Output, Error>,
}

/// A batch of operations: a stream of `(index, result)`, one per input (`index` counts the
/// inputs from 0), from [`Customers::bulk`].
///
/// At most [`concurrency`](Self::concurrency) operations are in flight (results waiting to be
/// yielded in order count too). Results come in input order, or as they complete with
/// [`unordered`](Self::unordered). Every input gets exactly one result. Nothing is sent before
/// the stream is polled, and dropping it cancels the operations in flight.
#[must_use = "a batch does nothing until its stream is polled"]
pub struct Bulk<O: BulkOperation> {
    inputs: Option<BoxStream<'static, O>>,
    next_index: usize,
    running: FuturesUnordered<Running<O>>,
    /// Items the retry layer gave back to be sent again later, to send first.
    again: VecDeque<(usize, O)>,
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
    concurrency: usize,
    ordered: bool,
    /// Results waiting for an earlier input's (in input order).
    waiting: BTreeMap<usize, Result<O::Output, Error>>,
    next_out: usize,
}

impl<O: BulkOperation> fmt::Debug for Bulk<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bulk")
            .field("started", &self.next_index)
            .field("running", &self.running.len())
            .field("to_resend", &self.again.len())
            .field("paused", &self.pause.is_some())
            .field("concurrency", &self.concurrency)
            .field("ordered", &self.ordered)
            .finish_non_exhaustive()
    }
}

impl<O: BulkOperation> Bulk<O> {
    fn new(inputs: BoxStream<'static, O>) -> Self {
        Bulk {
            inputs: Some(inputs),
            next_index: 0,
            running: FuturesUnordered::new(),
            again: VecDeque::new(),
            pause: None,
            concurrency: DEFAULT_BULK_CONCURRENCY,
            ordered: true,
            waiting: BTreeMap::new(),
            next_out: 0,
        }
    }

    /// At most `n` operations at once (default [`DEFAULT_BULK_CONCURRENCY`]; 0 is taken as 1).
    ///
    /// Under a rate limit, `n` needs to be about the budget's rate times the latency (500 a
    /// minute at 200 ms: 2) for the batch to reach the limit; more only waits in the limiter.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Yields each result as soon as its operation completes, not in input order.
    pub fn unordered(mut self) -> Self {
        self.ordered = false;
        self
    }

    fn start(&mut self, index: usize, op: O) {
        let fut = op.start();
        self.running.push(Box::pin(async move {
            Done {
                index,
                op,
                result: fut.await,
            }
        }));
    }

    fn busy(&self) -> usize {
        self.running.len() + self.waiting.len()
    }

    /// Starts operations while there is room and no pause: items to send again first.
    fn fill(&mut self, cx: &mut Context<'_>) {
        while self.busy() < self.concurrency {
            if let Some((index, op)) = self.again.pop_front() {
                self.start(index, op);
                continue;
            }
            let Some(inputs) = self.inputs.as_mut() else {
                return;
            };
            match inputs.poll_next_unpin(cx) {
                Poll::Ready(Some(op)) => {
                    let index = self.next_index;
                    self.next_index += 1;
                    self.start(index, op);
                }
                Poll::Ready(None) => self.inputs = None,
                Poll::Pending => return,
            }
        }
    }
}

// Nothing in a batch is pinned in place: the running futures are boxed.
impl<O: BulkOperation> Unpin for Bulk<O> {}

impl<O: BulkOperation> Stream for Bulk<O> {
    type Item = (usize, Result<O::Output, Error>);

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(result) = this.waiting.remove(&this.next_out) {
                let index = this.next_out;
                this.next_out += 1;
                return Poll::Ready(Some((index, result)));
            }
            if let Some(pause) = this.pause.as_mut()
                && pause.as_mut().poll(cx).is_ready()
            {
                this.pause = None;
            }
            if this.pause.is_none() {
                this.fill(cx);
            }
            match this.running.poll_next_unpin(cx) {
                Poll::Ready(Some(done)) => {
                    if let Some(later) = done.result.as_ref().err().and_then(Error::retry_later) {
                        // The client's policy sends it again, after a wait the call had no
                        // time for: pause the batch, then send this item before any new one.
                        tracing::debug!(
                            index = done.index,
                            wait_ms = later.wait().as_millis() as u64,
                            attempts = later.attempts(),
                            "bulk: pausing the batch and sending the item again"
                        );
                        // `sleep` saturates a wait too long for the clock.
                        let pause = tokio::time::sleep(later.wait());
                        if this
                            .pause
                            .as_ref()
                            .is_none_or(|p| p.deadline() < pause.deadline())
                        {
                            this.pause = Some(Box::pin(pause));
                        }
                        this.again.push_back((done.index, done.op.resume(later)));
                        continue;
                    }
                    if !this.ordered {
                        return Poll::Ready(Some((done.index, done.result)));
                    }
                    this.waiting.insert(done.index, done.result);
                }
                Poll::Ready(None) => {
                    let finished = this.inputs.is_none() && this.again.is_empty();
                    return if finished && this.waiting.is_empty() {
                        Poll::Ready(None)
                    } else {
                        // Waiting for inputs, or for a pause to end (both will wake us).
                        Poll::Pending
                    };
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
