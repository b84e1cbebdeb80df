//! `GET /v1/customers/{id}/payment-methods` and by external ID (server/polar/customer/endpoints.py).

use std::sync::Arc;

use http::StatusCode;

use super::{Shared, customer_key, refusal};
use crate::Route;
use crate::input::parse_payment_method_list;
use crate::response::{self as resp, Res};
use crate::store::Access;

pub(super) fn list(
    shared: &Arc<Shared>,
    route: Route,
    param: &str,
    pairs: &[(String, String)],
    access: &Access,
) -> Result<Res, Res> {
    let (k, page) = parse_payment_method_list(pairs, customer_key(route, param))
        .map_err(|issues| resp::invalid(&issues, false))?;
    let methods = shared.store().payment_methods(access, k).map_err(refusal)?;
    Ok(resp::json(StatusCode::OK, &page.envelope(methods)))
}
