//! The body of a delivery: `{"type": "<event>", "timestamp": "<RFC 3339>", "data": {...}}`.

use jiff::Timestamp;
use polar_types::{Customer, CustomerState};
use serde::de::{Deserializer, Error as _, IgnoredAny, MapAccess, Visitor};
use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One webhook event.
///
/// The four customer events are typed; every other event type (orders, subscriptions, ... and
/// the ones Polar adds later) is kept as [`Event::Other`], never refused.
///
/// `Event` implements `Deserialize`, so it can also be decoded from a body you verified
/// yourself, or from a stored copy.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// `customer.created`.
    CustomerCreated {
        /// When Polar emitted the event.
        timestamp: Timestamp,
        /// The new customer.
        data: Customer,
    },
    /// `customer.updated`.
    CustomerUpdated {
        /// When Polar emitted the event.
        timestamp: Timestamp,
        /// The customer after the change.
        data: Customer,
    },
    /// `customer.deleted`.
    CustomerDeleted {
        /// When Polar emitted the event.
        timestamp: Timestamp,
        /// The customer as it was when deleted.
        data: Customer,
    },
    /// `customer.state_changed`: a subscription, benefit grant or meter of the customer changed.
    CustomerStateChanged {
        /// When Polar emitted the event.
        timestamp: Timestamp,
        /// The customer's whole state after the change.
        data: CustomerState,
    },
    /// Any other event type, with its `data` as Polar sent it.
    Other {
        /// The event type, such as `order.paid`.
        r#type: String,
        /// When Polar emitted the event.
        timestamp: Timestamp,
        /// The event's payload.
        data: Value,
    },
}

/// The customer event types, as Polar names them.
pub(crate) const CUSTOMER_CREATED: &str = "customer.created";
pub(crate) const CUSTOMER_UPDATED: &str = "customer.updated";
pub(crate) const CUSTOMER_DELETED: &str = "customer.deleted";
pub(crate) const CUSTOMER_STATE_CHANGED: &str = "customer.state_changed";

impl Event {
    /// The event type as Polar names it (`customer.created`, `order.paid`, ...).
    pub fn event_type(&self) -> &str {
        match self {
            Event::CustomerCreated { .. } => CUSTOMER_CREATED,
            Event::CustomerUpdated { .. } => CUSTOMER_UPDATED,
            Event::CustomerDeleted { .. } => CUSTOMER_DELETED,
            Event::CustomerStateChanged { .. } => CUSTOMER_STATE_CHANGED,
            Event::Other { r#type, .. } => r#type,
        }
    }

    /// When Polar emitted the event (the body's `timestamp`; the `webhook-timestamp` header is
    /// the time of this delivery attempt).
    pub fn timestamp(&self) -> Timestamp {
        match self {
            Event::CustomerCreated { timestamp, .. }
            | Event::CustomerUpdated { timestamp, .. }
            | Event::CustomerDeleted { timestamp, .. }
            | Event::CustomerStateChanged { timestamp, .. }
            | Event::Other { timestamp, .. } => *timestamp,
        }
    }
}

/// The `data` of an event, decoded once its `type` is known.
enum Data {
    Customer(Customer),
    State(CustomerState),
    Other(Value),
}

impl Data {
    /// Decodes `data` in the shape `event_type` selects.
    fn decode<'de, D: Deserializer<'de>>(event_type: &str, d: D) -> Result<Data, D::Error> {
        Ok(match event_type {
            CUSTOMER_CREATED | CUSTOMER_UPDATED | CUSTOMER_DELETED => {
                Data::Customer(Customer::deserialize(d)?)
            }
            CUSTOMER_STATE_CHANGED => Data::State(CustomerState::deserialize(d)?),
            _ => Data::Other(Value::deserialize(d)?),
        })
    }
}

struct DataSeed<'a>(&'a str);

impl<'de> serde::de::DeserializeSeed<'de> for DataSeed<'_> {
    type Value = Data;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Data, D::Error> {
        Data::decode(self.0, d)
    }
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EventVisitor;
        impl<'de> Visitor<'de> for EventVisitor {
            type Value = Event;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a webhook event: an object with `type`, `timestamp` and `data`")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Event, A::Error> {
                let mut event_type: Option<String> = None;
                let mut timestamp: Option<Timestamp> = None;
                // Polar writes `type` first, so `data` is usually decoded as it is read; when
                // it comes first it is held as JSON until the type is known.
                let mut data: Option<Data> = None;
                let mut held: Option<Value> = None;
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match &*key {
                        "type" if event_type.is_some() => {
                            return Err(A::Error::duplicate_field("type"));
                        }
                        "type" => event_type = Some(map.next_value()?),
                        "timestamp" if timestamp.is_some() => {
                            return Err(A::Error::duplicate_field("timestamp"));
                        }
                        "timestamp" => timestamp = Some(map.next_value()?),
                        "data" if data.is_some() || held.is_some() => {
                            return Err(A::Error::duplicate_field("data"));
                        }
                        "data" => match &event_type {
                            Some(t) => data = Some(map.next_value_seed(DataSeed(t))?),
                            None => held = Some(map.next_value()?),
                        },
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                let event_type = event_type.ok_or_else(|| A::Error::missing_field("type"))?;
                let timestamp = timestamp.ok_or_else(|| A::Error::missing_field("timestamp"))?;
                let data = match (data, held) {
                    (Some(data), _) => data,
                    (None, Some(held)) => Data::decode(&event_type, held)
                        .map_err(|e| A::Error::custom(format_args!("data: {e}")))?,
                    (None, None) => return Err(A::Error::missing_field("data")),
                };
                Ok(match (data, event_type.as_str()) {
                    (Data::Customer(data), CUSTOMER_CREATED) => {
                        Event::CustomerCreated { timestamp, data }
                    }
                    (Data::Customer(data), CUSTOMER_UPDATED) => {
                        Event::CustomerUpdated { timestamp, data }
                    }
                    (Data::Customer(data), _) => Event::CustomerDeleted { timestamp, data },
                    (Data::State(data), _) => Event::CustomerStateChanged { timestamp, data },
                    (Data::Other(data), _) => Event::Other {
                        r#type: event_type,
                        timestamp,
                        data,
                    },
                })
            }
        }
        deserializer.deserialize_map(EventVisitor)
    }
}

impl Serialize for Event {
    /// Writes the body Polar sends: `type`, `timestamp`, `data`, in that order.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Event", 3)?;
        s.serialize_field("type", self.event_type())?;
        s.serialize_field("timestamp", &self.timestamp())?;
        match self {
            Event::CustomerCreated { data, .. }
            | Event::CustomerUpdated { data, .. }
            | Event::CustomerDeleted { data, .. } => s.serialize_field("data", data)?,
            Event::CustomerStateChanged { data, .. } => s.serialize_field("data", data)?,
            Event::Other { data, .. } => s.serialize_field("data", data)?,
        }
        s.end()
    }
}
