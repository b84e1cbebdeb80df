//! A quicker decoding path for the `type`-tagged unions of polar-types.
//!
//! polar-types decodes `Customer` and `CustomerState` by capturing each object, peeking at its
//! `type`, then decoding the variant with a JSON-path tracker, which costs more than the whole
//! untyped parse of the same bytes. Here the variant structs are decoded directly with plain
//! `serde_json` (same structs, same rules). Whenever this path fails for any reason, the body is
//! decoded again by polar-types' own implementation, so errors, their paths and the `Unknown`
//! fallback stay exactly polar-types'. This module can go once polar-types' decoder skips the
//! tracker on success.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::Error as _;
use serde_json::value::RawValue;

use crate::types::{Customer, CustomerState, ListResource, Pagination};

#[derive(Deserialize)]
struct Tag<'a> {
    #[serde(rename = "type", borrow, default)]
    tag: Option<Cow<'a, str>>,
}

fn tag_of(raw: &RawValue) -> Result<Option<Cow<'_, str>>, serde_json::Error> {
    serde_json::from_str::<Tag<'_>>(raw.get()).map(|t| t.tag)
}

/// `Customer`, decoded through its variant structs.
pub(crate) struct FastCustomer(pub(crate) Customer);

impl<'de> Deserialize<'de> for FastCustomer {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw: &'de RawValue = Deserialize::deserialize(deserializer)?;
        let customer = match tag_of(raw).map_err(D::Error::custom)?.as_deref() {
            Some("individual") => serde_json::from_str(raw.get()).map(Customer::Individual),
            Some("team") => serde_json::from_str(raw.get()).map(Customer::Team),
            _ => serde_json::from_str(raw.get()),
        };
        customer.map(FastCustomer).map_err(D::Error::custom)
    }
}

/// `CustomerState`, decoded through its variant structs.
pub(crate) struct FastState(pub(crate) CustomerState);

impl<'de> Deserialize<'de> for FastState {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw: &'de RawValue = Deserialize::deserialize(deserializer)?;
        let state = match tag_of(raw).map_err(D::Error::custom)?.as_deref() {
            Some("individual") => serde_json::from_str(raw.get()).map(CustomerState::Individual),
            Some("team") => serde_json::from_str(raw.get()).map(CustomerState::Team),
            _ => serde_json::from_str(raw.get()),
        };
        state.map(FastState).map_err(D::Error::custom)
    }
}

#[derive(Deserialize)]
struct FastPage {
    items: Vec<FastCustomer>,
    pagination: Pagination,
}

/// A page of customers, or `None` when the quick path cannot decode it.
pub(crate) fn page(body: &[u8]) -> Option<ListResource<Customer>> {
    let page: FastPage = serde_json::from_slice(body).ok()?;
    Some(ListResource {
        items: page.items.into_iter().map(|c| c.0).collect(),
        pagination: page.pagination,
    })
}

/// A customer, or `None` when the quick path cannot decode it.
pub(crate) fn customer(body: &[u8]) -> Option<Customer> {
    serde_json::from_slice::<FastCustomer>(body)
        .ok()
        .map(|c| c.0)
}

/// A customer state, or `None` when the quick path cannot decode it.
pub(crate) fn state(body: &[u8]) -> Option<CustomerState> {
    serde_json::from_slice::<FastState>(body).ok().map(|s| s.0)
}
