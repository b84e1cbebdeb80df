//! Percent-encoding of path parameters: the only place a caller's string enters a URL path.

use std::fmt::Write as _;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

use crate::Error;

/// Every byte is escaped except RFC 3986 "unreserved" characters, minus the dot.
///
/// `.` is escaped too (as `%2E`) so that `.` and `..` cannot be taken as dot-segments and
/// normalised away by a server or proxy. Non-ASCII bytes are always escaped, so `é` becomes
/// `%C3%A9`, and `%` becomes `%25` so an already-encoded `%2F` reaches the server unchanged.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'~');

/// Encodes `value` as exactly one path segment, or refuses it when empty.
///
/// `field` names the parameter in the error (e.g. `external_id`).
pub(crate) fn encode_segment(field: &str, value: &str) -> Result<String, Error> {
    if value.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    let mut out = String::with_capacity(value.len() * 3);
    for part in percent_encoding::utf8_percent_encode(value, SEGMENT) {
        if part == "." {
            // `utf8_percent_encode` yields unescaped runs verbatim; dots are in SEGMENT so they
            // never appear here, but keep the guarantee local.
            out.push_str("%2E");
        } else {
            out.push_str(part);
        }
    }
    debug_assert!(!out.contains('/') && !out.contains('.'));
    Ok(out)
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

    fn enc(s: &str) -> String {
        encode_segment("external_id", s).unwrap()
    }

    #[test]
    fn hostile_values_stay_one_segment() {
        assert_eq!(enc("a/b"), "a%2Fb");
        assert_eq!(enc("x?y=1"), "x%3Fy%3D1");
        assert_eq!(enc("user#1"), "user%231");
        assert_eq!(enc(".."), "%2E%2E");
        assert_eq!(enc("."), "%2E");
        assert_eq!(enc("%2F"), "%252F");
        assert_eq!(enc("é"), "%C3%A9");
        assert_eq!(enc("a b+c"), "a%20b%2Bc");
        assert_eq!(enc("Az09-_~"), "Az09-_~");
    }

    #[test]
    fn empty_is_rejected() {
        let err = encode_segment("external_id", "").unwrap_err();
        assert!(err.to_string().contains("external_id"), "{err}");
    }

    #[test]
    fn output_is_a_valid_uri_path() {
        let long = "é/?#.".repeat(200);
        let path = join("/v1/customers/external/", &enc(&long), "/state");
        let uri: http::Uri = path.parse().unwrap();
        assert_eq!(uri.path(), path);
    }
}
