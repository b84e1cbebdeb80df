//! `GET /v1/customer-meters/` and `GET /v1/customer-meters/{id}`
//! (server/polar/customer_meter/endpoints.py).

use std::sync::Arc;

use http::StatusCode;

use super::{Shared, path_id, refusal};
use crate::input::parse_meter_list;
use crate::response::{self as resp, Res};
use crate::store::Access;

pub(super) fn list(
    shared: &Arc<Shared>,
    pairs: &[(String, String)],
    access: &Access,
) -> Result<Res, Res> {
    let q = parse_meter_list(pairs).map_err(|e| resp::invalid(&e, false))?;
    let page = shared.store().list_customer_meters(access, &q);
    Ok(resp::json(StatusCode::OK, &page))
}

pub(super) fn get(shared: &Arc<Shared>, param: &str, access: &Access) -> Result<Res, Res> {
    let id = path_id(param).map_err(|e| resp::invalid(&e, false))?;
    let meter = shared
        .store()
        .get_customer_meter(access, id)
        .map_err(refusal)?;
    Ok(resp::json(StatusCode::OK, &meter))
}
