//! Payment methods, seeded by tests (the fake has no payment processor): listed newest first,
//! each with `is_default` saying whether it is its customer's `default_payment_method_id`
//! (server/polar/customer/endpoints.py, `_serialize_payment_method`;
//! server/polar/customer/service.py, `list_payment_methods`).

use std::collections::HashMap;

use serde_json::Value;
use uuid::Uuid;

use super::{Access, Key, Refusal, Store};

/// Seeded payment methods per customer, oldest first.
#[derive(Debug, Default)]
pub(crate) struct PaymentMethods {
    by_customer: HashMap<Uuid, Vec<Value>>,
}

impl Store {
    /// Adds a payment method (a `PaymentMethod` as JSON) to a live customer; its `customer_id`
    /// is set to the customer's, and with `default` it becomes the customer's default. `false`
    /// when there is no such live customer or the method has no `id`.
    pub(crate) fn seed_payment_method(
        &mut self,
        customer: Uuid,
        mut method: Value,
        default: bool,
    ) -> bool {
        let Some(id) = method
            .get("id")
            .and_then(Value::as_str)
            .and_then(|s| Uuid::parse_str(s).ok())
        else {
            return false;
        };
        let Some(seq) = self.by_id.get(&customer).copied() else {
            return false;
        };
        let Some(record) = self.records.get_mut(&seq).filter(|r| r.is_live()) else {
            return false;
        };
        if default {
            record.default_payment_method = Some(id);
        }
        if let Value::Object(m) = &mut method {
            m.insert("customer_id".into(), Value::String(customer.to_string()));
            m.remove("is_default");
        }
        self.payment_methods
            .by_customer
            .entry(customer)
            .or_default()
            .push(method);
        true
    }

    /// `GET /v1/customers/{id}/payment-methods` and by external ID: every method, newest first.
    pub(crate) fn payment_methods(
        &self,
        access: &Access,
        key: Key<'_>,
    ) -> Result<Vec<Value>, Refusal> {
        let seq = self.find(access, key)?;
        let record = &self.records[&seq];
        let default = record.default_payment_method.map(|d| d.to_string());
        let methods = self
            .payment_methods
            .by_customer
            .get(&record.id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        Ok(methods
            .iter()
            .rev()
            .map(|m| {
                let mut m = m.clone();
                let is_default =
                    default.is_some() && m.get("id").and_then(Value::as_str) == default.as_deref();
                if let Value::Object(map) = &mut m {
                    map.insert("is_default".into(), Value::Bool(is_default));
                }
                m
            })
            .collect())
    }
}
