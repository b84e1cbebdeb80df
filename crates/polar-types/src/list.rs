//! The page envelope of list answers.

use serde::{Deserialize, Serialize};

use crate::{Customer, Pagination};

/// One page of a list answer: the items and the pagination totals.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ListResource<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Totals that tell how many pages there are.
    pub pagination: Pagination,
}

/// A page of customers (the spec's `ListResource_Customer_`).
pub type ListResourceCustomer = ListResource<Customer>;
