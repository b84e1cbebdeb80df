//! The webhook events a change to a customer sends: called where the fake changes one, they
//! read what the event carries from the store and hand it to the endpoints.

use polar_types::CustomerId;
use serde_json::Value;
use uuid::Uuid;

use crate::state::Shared;
use crate::store::Record;
use crate::webhooks::Tamper;

/// After a create or update answered with `customer` (the API's JSON): the event, then the
/// customer's state.
pub(crate) fn customer_changed(shared: &Shared, event_type: &str, customer: &Value) {
    shared.webhooks.emit(event_type, customer, Tamper::None);
    if let Some(id) = customer_id(customer) {
        state_changed(shared, id);
    }
}

/// After a delete of the customer `before` (its JSON before the delete): `customer.deleted`
/// with the deleted customer, then its state.
pub(crate) fn customer_deleted(shared: &Shared, before: Option<Value>) {
    let Some(id) = before.as_ref().and_then(customer_id) else {
        return;
    };
    let after = shared.store().inspect(id).map(Record::to_json);
    if let Some(after) = after {
        shared
            .webhooks
            .emit("customer.deleted", &after, Tamper::None);
    }
    state_changed(shared, id);
}

/// After a change to a customer made outside the API (such as confirming an email):
/// `customer.updated`, then its state. Passes `changed` through.
pub(crate) fn after_update(shared: &Shared, customer: CustomerId, changed: bool) -> bool {
    let json = shared
        .store()
        .inspect(*customer.as_uuid())
        .map(Record::to_json);
    if let Some(json) = json.filter(|_| changed) {
        customer_changed(shared, "customer.updated", &json);
    }
    changed
}

/// After a change to a customer's subscriptions, benefit grants or meters; passes `changed`
/// through so that the setters stay one expression.
pub(crate) fn after_state_change(shared: &Shared, customer: CustomerId, changed: bool) -> bool {
    if changed {
        state_changed(shared, *customer.as_uuid());
    }
    changed
}

fn state_changed(shared: &Shared, id: Uuid) {
    let state = shared.store().inspect(id).map(Record::state_json);
    if let Some(state) = state {
        shared
            .webhooks
            .emit("customer.state_changed", &state, Tamper::None);
    }
}

fn customer_id(customer: &Value) -> Option<Uuid> {
    customer.get("id")?.as_str()?.parse().ok()
}
