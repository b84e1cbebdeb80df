//! Text that lets its holder in somewhere (a customer session's token, the portal link that
//! carries it): readable on purpose, never by accident.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A secret string from Polar: `Debug` shows `SecretText([redacted])`, there is no `Display`,
/// and [`expose`](Self::expose) reads it. It encodes and decodes as a plain JSON string.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretText(String);

impl SecretText {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        SecretText(secret.into())
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The secret itself, owned.
    pub fn into_exposed(self) -> String {
        self.0
    }
}

impl From<String> for SecretText {
    fn from(secret: String) -> Self {
        SecretText(secret)
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretText([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::SecretText;

    #[test]
    fn debug_hides_the_secret_and_json_keeps_it() {
        let s: SecretText = serde_json::from_str("\"polar_cst_abc\"").unwrap();
        assert_eq!(format!("{s:?}"), "SecretText([redacted])");
        assert_eq!(s.expose(), "polar_cst_abc");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"polar_cst_abc\"");
    }
}
