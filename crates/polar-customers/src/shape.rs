//! What every customer has: a check that follows decoding.
//!
//! `Customer` and `CustomerState` keep a body whose `type` this SDK does not know as `Unknown`,
//! so a new kind of customer never breaks decoding. Without a further check *any* JSON object
//! would pass as a customer (`{}`, a proxy's `{"detail": "ok"}`). Every customer Polar sends has
//! a string `id` and a string `type`; a body without them is a decode error.

use serde_json::Value;

use crate::types::{
    Customer, CustomerMeter, CustomerSession, CustomerState, ListResource, Member, PaymentMethod,
};

/// Where a decoded value is not what it claims to be, and why.
pub(crate) struct WrongShape {
    pub(crate) path: String,
    pub(crate) message: &'static str,
}

/// A check of what decoding alone lets through.
pub(crate) trait CheckShape {
    fn check_shape(&self) -> Result<(), WrongShape>;
}

const NOT_A_CUSTOMER: &str = "not a customer: a string `id` and a string `type` are expected";

/// An unknown variant must still carry a string `id` and `type`.
fn check_unknown(raw: &Value) -> Result<(), WrongShape> {
    let is_str = |key| raw.get(key).is_some_and(Value::is_string);
    if is_str("id") && is_str("type") {
        Ok(())
    } else {
        Err(WrongShape {
            path: ".".to_owned(),
            message: NOT_A_CUSTOMER,
        })
    }
}

impl CheckShape for Customer {
    fn check_shape(&self) -> Result<(), WrongShape> {
        match self {
            Customer::Unknown(raw) => check_unknown(raw),
            _ => Ok(()),
        }
    }
}

impl CheckShape for CustomerState {
    fn check_shape(&self) -> Result<(), WrongShape> {
        match self {
            CustomerState::Unknown(raw) => check_unknown(raw),
            _ => Ok(()),
        }
    }
}

/// Decoding checks these whole: every variant and field is required and typed.
impl CheckShape for Member {
    fn check_shape(&self) -> Result<(), WrongShape> {
        Ok(())
    }
}

impl CheckShape for PaymentMethod {
    fn check_shape(&self) -> Result<(), WrongShape> {
        Ok(())
    }
}

/// The customer inside another answer, checked under `customer`.
fn check_customer(customer: &Customer) -> Result<(), WrongShape> {
    customer.check_shape().map_err(|wrong| WrongShape {
        path: "customer".to_owned(),
        message: wrong.message,
    })
}

impl CheckShape for CustomerMeter {
    fn check_shape(&self) -> Result<(), WrongShape> {
        check_customer(&self.customer)
    }
}

impl CheckShape for CustomerSession {
    fn check_shape(&self) -> Result<(), WrongShape> {
        check_customer(&self.customer)
    }
}

impl<T: CheckShape> CheckShape for ListResource<T> {
    fn check_shape(&self) -> Result<(), WrongShape> {
        for (i, item) in self.items.iter().enumerate() {
            item.check_shape().map_err(|wrong| WrongShape {
                path: if wrong.path == "." {
                    format!("items[{i}]")
                } else {
                    format!("items[{i}].{}", wrong.path)
                },
                message: wrong.message,
            })?;
        }
        Ok(())
    }
}
