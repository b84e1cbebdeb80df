//! Path parameters of the SDK's own path joins. The encoding itself is polar-types' one segment
//! encoder ([`polar_types::encode_segment`], also behind every generated `path()`); this adds
//! the SDK's error for an empty value, which has no segment.

use std::fmt::Write as _;

use crate::Error;

/// Encodes `value` as exactly one path segment, or refuses it when empty.
///
/// `field` names the parameter in the error (e.g. `external_id`).
pub(crate) fn encode_segment(field: &str, value: &str) -> Result<String, Error> {
    if value.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    Ok(polar_types::encode_segment(value))
}

/// Builds a path from literal pieces and encoded segments: `/v1/customers/` + segment + `/state`.
pub(crate) fn join(prefix: &str, segment: &str, suffix: &str) -> String {
    let mut path = String::with_capacity(prefix.len() + segment.len() + suffix.len());
    let _ = write!(path, "{prefix}{segment}{suffix}");
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_one_encoded_segment() {
        assert_eq!(encode_segment("external_id", "a/.b").unwrap(), "a%2F%2Eb");
    }

    #[test]
    fn empty_is_rejected() {
        let err = encode_segment("external_id", "").unwrap_err();
        assert!(err.to_string().contains("external_id"), "{err}");
    }

    #[test]
    fn output_is_a_valid_uri_path() {
        let long = "é/?#.".repeat(200);
        let path = join(
            "/v1/customers/external/",
            &encode_segment("external_id", &long).unwrap(),
            "/state",
        );
        let uri: http::Uri = path.parse().unwrap();
        assert_eq!(uri.path(), path);
    }
}
