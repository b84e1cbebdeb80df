//! Plain data types of Polar's Customers API.
#![deny(missing_docs)]
