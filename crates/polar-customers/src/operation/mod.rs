//! One shape for every operation.
//!
//! The generated params type of an operation (`CustomersGetParams`, …) *is* the operation: it
//! names its [`Route`] (method, path template, operation ID) and fills in its path, query and
//! body. [`Operation`] adds what the call answers. [`Request`] is a call of one operation: the
//! client, the params value and the per-call options. Everything calls share is written here
//! once, for every operation: the option setters, [`Request::send`] and `.await`, the route a
//! call is traced under, and (in `pages.rs`) the page walks of lists. How each kind of answer
//! is read lives in `answer.rs`.
//!
//! An operation family's file (`customers/get.rs`, `members/list.rs`, …) registers its params
//! types with [`operation!`], names the request (`pub type GetCustomer =
//! Request<CustomersGetParams>`), and adds the constructor on its handle and its own setters.

mod answer;
mod pages;

use std::fmt;
use std::future::IntoFuture;

use crate::request::{Call, CallOptions, ResponseFuture};
use crate::types::Route;
use crate::{Client, Error};

/// What the SDK reads from an operation's params type; not for use outside this crate.
pub(crate) mod sealed {
    pub use super::answer::Answer;

    /// The route's pieces, filled in from the generated params value. The generator gives
    /// every params type its query pairs (none when it has no query) and its JSON body
    /// ([`JsonBody`](crate::types::JsonBody), none when it has no body), and [`operation!`]
    /// always reads both: no registration can leave either off.
    pub trait Params: crate::types::Validate {
        /// The path, each path parameter one encoded segment (after `validate`).
        fn path(&self) -> String;

        /// The query string as (name, value) pairs, unencoded.
        fn query(&self) -> Vec<(String, String)>;

        /// The JSON body, when the operation has one.
        fn body(&self) -> Result<Option<bytes::Bytes>, crate::Error>;
    }

    /// The paging fields of a list's params.
    pub trait Paged {
        fn page(&self) -> Option<u32>;
        fn page_mut(&mut self) -> &mut Option<u32>;
        fn limit_mut(&mut self) -> &mut Option<u32>;
    }

    /// The sort criteria of a sorted list's params.
    pub trait Sorted {
        fn sorting_mut(&mut self) -> &mut Vec<<Self as super::SortedList>::Sort>
        where
            Self: super::SortedList;
    }

    /// The JSON body of an operation that sends one.
    pub trait BodyMut {
        fn body_mut(&mut self) -> &mut <Self as super::WithBody>::Body
        where
            Self: super::WithBody;
    }

    impl<P: super::Operation + crate::types::JsonBodyMut> BodyMut for P {
        fn body_mut(&mut self) -> &mut <P as super::WithBody>::Body {
            self.json_body_mut()
        }
    }
}

/// One operation of Polar's API, implemented by its generated params type (for example
/// [`CustomersGetParams`](crate::types::CustomersGetParams)), which states its route, path,
/// query and body; this trait adds what a call of it answers. Sealed: the SDK implements it
/// for every operation it covers.
///
/// ```
/// use polar_customers::Operation;
/// use polar_customers::types::{CustomersGetParams, Route};
///
/// assert_eq!(<CustomersGetParams as Operation>::ROUTE, Route::CustomersGet);
/// assert_eq!(Route::CustomersGet.template(), "/v1/customers/{id}");
/// ```
pub trait Operation: sealed::Params + Clone + fmt::Debug + Send + Sync + 'static {
    /// What awaiting a [`Request`] of this operation gives.
    type Output: sealed::Answer;

    /// The operation in the generated route table: its method, path template and operation ID.
    /// Calls are traced under this template, not under the filled-in path.
    const ROUTE: Route;
}

/// An operation that answers one page of a list. Its [`Request`] also has `page`, `limit`,
/// `pages()` and `stream()`.
pub trait ListOperation:
    Operation<Output = crate::types::ListResource<<Self as ListOperation>::Item>> + sealed::Paged
{
    /// What the list holds.
    type Item: serde::de::DeserializeOwned + Send + Unpin + 'static;
}

/// A list that can be sorted. Its [`Request`] also has `sorting` and `sort_by`.
pub trait SortedList: ListOperation + sealed::Sorted {
    /// The sort criteria the list accepts.
    type Sort;
}

/// An operation that sends a JSON body. Its [`Request`] also has `body`, which replaces the
/// whole body. Every operation whose generated params type has a body is one.
pub trait WithBody: Operation + sealed::BodyMut {
    /// The body's type.
    type Body;
}

impl<P: Operation + crate::types::JsonBodyMut> WithBody for P {
    type Body = <P as crate::types::JsonBody>::Body;
}

/// Registers a generated params type as an [`Operation`]: what it answers (`pages of Item`
/// for a list, optionally `sorted by Sort`). Its path, query and body come from the generated
/// type, always: an operation with a body is also [`WithBody`], by the generated
/// `JsonBodyMut`.
macro_rules! operation {
    ($params:ty => pages of $item:ty $(, sorted by $sort:ty)?) => {
        $crate::operation::operation!($params => $crate::types::ListResource<$item>);
        impl $crate::operation::ListOperation for $params {
            type Item = $item;
        }
        impl $crate::operation::sealed::Paged for $params {
            fn page(&self) -> Option<u32> {
                self.page
            }
            fn page_mut(&mut self) -> &mut Option<u32> {
                &mut self.page
            }
            fn limit_mut(&mut self) -> &mut Option<u32> {
                &mut self.limit
            }
        }
        $(
            impl $crate::operation::SortedList for $params {
                type Sort = $sort;
            }
            impl $crate::operation::sealed::Sorted for $params {
                fn sorting_mut(&mut self) -> &mut Vec<$sort> {
                    &mut self.sorting
                }
            }
        )?
    };
    ($params:ty => $output:ty) => {
        impl $crate::operation::sealed::Params for $params {
            fn path(&self) -> String {
                <$params>::path(self)
            }
            fn query(&self) -> Vec<(String, String)> {
                <$params>::query_pairs(self)
            }
            fn body(&self) -> Result<Option<bytes::Bytes>, $crate::Error> {
                $crate::types::JsonBody::json_body(self)
                    .map($crate::request::json_bytes)
                    .transpose()
            }
        }
        impl $crate::operation::Operation for $params {
            type Output = $output;
            const ROUTE: $crate::types::Route = <$params>::ROUTE;
        }
    };
}

pub(crate) use operation;

/// A call of one operation, ready to send: the client, the operation's params and the
/// per-call options. `.await` it (or call [`send`](Self::send)).
///
/// Each operation's request has a name (`GetCustomer` is `Request<CustomersGetParams>`, …) and
/// its own setters; these are the ones every request has.
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until awaited"]
pub struct Request<P> {
    pub(crate) client: Client,
    pub(crate) params: P,
    pub(crate) options: CallOptions,
}

impl<P> Request<P> {
    pub(crate) fn new(client: Client, params: P) -> Self {
        Request {
            client,
            params,
            options: CallOptions::default(),
        }
    }

    /// The operation's parameters as set so far: what the call will send.
    ///
    /// ```
    /// # let client = polar_customers::Client::from_service(polar_fake::FakePolar::new());
    /// let list = client.customers().list().limit(50).email("ada@polar.sh");
    /// assert_eq!(list.params().limit, Some(50));
    /// ```
    pub fn params(&self) -> &P {
        &self.params
    }

    /// Sends this request with another bearer token than the client's.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.options.transport.token = Some(secrecy::SecretString::from(token.into()));
        self
    }

    /// Gives this call (all attempts and waits, and reading the answer) at most `timeout`.
    /// For the export it bounds only the wait for the answer to start; a stalled stream is
    /// ended by the body idle timeout instead.
    pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
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
    /// the call fail with [`Error::InvalidInput`] before anything is sent.
    pub fn header<K, V>(mut self, name: K, value: V) -> Self
    where
        K: TryInto<http::header::HeaderName>,
        V: TryInto<http::header::HeaderValue>,
    {
        self.options.add_header(name, value);
        self
    }

    /// Applies transport options in one go; fields left `None` are not changed.
    pub fn request_options(mut self, options: polar_transport::RequestOptions) -> Self {
        self.options.set_options(options);
        self
    }
}

impl<P: WithBody> Request<P> {
    /// Uses this complete body, replacing whatever was set before.
    pub fn body(mut self, body: P::Body) -> Self {
        *self.params.body_mut() = body;
        self
    }
}

impl<P: Operation> Request<P> {
    /// Sends the request. The future is `Send + 'static` and owns what it needs; input that
    /// breaks one of Polar's rules fails it with [`Error::InvalidInput`], with nothing sent.
    pub fn send(self) -> ResponseFuture<P::Output> {
        let call = call(&self.params, self.options);
        <P::Output as sealed::Answer>::send(self.client, call)
    }
}

impl<P: Operation> IntoFuture for Request<P> {
    type Output = Result<P::Output, Error>;
    type IntoFuture = ResponseFuture<P::Output>;

    fn into_future(self) -> Self::IntoFuture {
        self.send()
    }
}

/// The HTTP call of one operation: the params checked against Polar's rules, then the method,
/// path, query and body they state, labelled with the route's template for tracing.
pub(crate) fn call<P: Operation>(params: &P, options: CallOptions) -> Result<Call, Error> {
    params.validate()?;
    checked_call(params, options)
}

/// [`call`] for params already validated (the pages of a walk, checked once at its start).
pub(crate) fn checked_call<P: Operation>(params: &P, options: CallOptions) -> Result<Call, Error> {
    let call = Call {
        method: P::ROUTE.method(),
        route: P::ROUTE.template(),
        path: params.path(),
        query: params.query(),
        body: params.body()?,
        accept: crate::request::JSON,
        options,
    };
    Ok(<P::Output as sealed::Answer>::prepare(call))
}
