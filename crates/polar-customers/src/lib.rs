//! Rust client for Polar's Customers API.
#![deny(missing_docs)]
