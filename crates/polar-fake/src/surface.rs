//! Test controls for the calls around customers: member management, saved payment methods and
//! the members a customer has.

use polar_types::{CustomerId, PaymentMethod};
use serde_json::Value;

use crate::FakePolar;

impl FakePolar {
    /// Turns the organizations' member management (Polar's `member_model_enabled`) on or off;
    /// on by default. Off, customers are created without an owner member, adding a member is
    /// refused with 403 `NotPermitted`, and customer sessions are customer (not member)
    /// sessions.
    pub fn set_member_management(&self, enabled: bool) {
        self.shared.store().members.disabled = !enabled;
    }

    /// The live members of a customer as the API shows them, oldest first (the owner, created
    /// with the customer, comes first).
    pub fn members_json(&self, customer: CustomerId) -> Vec<Value> {
        self.shared.store().members_json(*customer.as_uuid())
    }

    /// Saves a payment method (a `PaymentMethod` as JSON, with an `id`) for a live customer;
    /// with `default` it becomes the customer's `default_payment_method_id`. False when there is
    /// no such live customer or the method has no `id`.
    pub fn seed_payment_method_json(
        &self,
        customer: CustomerId,
        method: Value,
        default: bool,
    ) -> bool {
        self.shared
            .store()
            .seed_payment_method(*customer.as_uuid(), method, default)
    }

    /// Saves a payment method for a live customer (see [`samples::card`](crate::samples::card)).
    ///
    /// ```
    /// use polar_fake::{FakePolar, samples};
    ///
    /// let fake = FakePolar::new();
    /// # let id = polar_types::CustomerId::new_v4();
    /// // `id` is a customer created through the API.
    /// let saved = fake.add_payment_method(id, &samples::card("visa", "4242"), true);
    /// assert!(!saved, "no such customer in this fake");
    /// ```
    pub fn add_payment_method(
        &self,
        customer: CustomerId,
        method: &PaymentMethod,
        default: bool,
    ) -> bool {
        serde_json::to_value(method)
            .is_ok_and(|v| self.seed_payment_method_json(customer, v, default))
    }
}
