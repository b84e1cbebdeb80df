//! Shared property: whatever decodes must re-encode, and the re-encoding must decode to an equal
//! value (nothing is lost or changed by a round trip).

use serde::{Serialize, de::DeserializeOwned};

pub fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<T>(data) else { return };
    let encoded = serde_json::to_vec(&value).expect("a decoded value always encodes");
    let again: T = serde_json::from_slice(&encoded)
        .unwrap_or_else(|e| panic!("re-encoded value does not decode: {e}\n{}", String::from_utf8_lossy(&encoded)));
    assert_eq!(value, again, "round trip changed the value");
    // The path-tracking decoder (used by the SDK for error messages) must agree.
    let mut de = serde_json::Deserializer::from_slice(data);
    assert!(serde_path_to_error::deserialize::<_, T>(&mut de).is_ok());
}
