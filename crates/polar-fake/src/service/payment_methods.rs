//! `GET /v1/customers/{id}/payment-methods` and by external ID (server/polar/customer/endpoints.py).

use std::sync::Arc;

use http::StatusCode;

use super::{Shared, both, path_id, refusal};
use crate::Operation;
use crate::input::parse_page;
use crate::response::{self as resp, Res};
use crate::store::{Access, Key};

pub(super) fn list(
    shared: &Arc<Shared>,
    op: Operation,
    param: &str,
    pairs: &[(String, String)],
    access: &Access,
) -> Result<Res, Res> {
    let key = match op {
        Operation::ListPaymentMethodsExternal => Ok(Key::External(param)),
        _ => path_id(param).map(Key::Id),
    };
    let (k, page) = both(key, parse_page(pairs))?;
    let methods = shared.store().payment_methods(access, k).map_err(refusal)?;
    Ok(resp::json(StatusCode::OK, &page.envelope(methods)))
}
