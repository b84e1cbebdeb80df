//! Percent-encoding of path parameters: the one place a caller's text enters a URL path. The
//! generated `path()` of every params type writes its parameters through it.

use std::fmt::{self, Display, Write as _};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

/// Every byte is escaped except RFC 3986 "unreserved" characters, minus the dot.
///
/// `.` is escaped too (as `%2E`) so that `.` and `..` cannot be taken as dot-segments and
/// normalised away by a server or proxy. Non-ASCII bytes are always escaped, so `é` becomes
/// `%C3%A9`, and `%` becomes `%25` so an already-encoded `%2F` reaches the server unchanged.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'~');

/// Encodes `value` as exactly one URL path segment: `/`, `?`, `#`, `.`, `%`, spaces and every
/// non-ASCII byte are percent-encoded, so the server sees one segment that decodes back to
/// `value`.
///
/// An empty value has no segment (the request would reach another route): the generated
/// [`Validate`](crate::Validate) of a params type refuses an empty path parameter.
///
/// ```
/// assert_eq!(polar_types::encode_segment("team/acme ü"), "team%2Facme%20%C3%BC");
/// assert_eq!(polar_types::encode_segment(".."), "%2E%2E");
/// ```
pub fn encode_segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    push_segment(&mut out, value);
    out
}

/// Appends `value` (its `Display` text) to `path` as one encoded segment.
pub(crate) fn push_segment(path: &mut String, value: &(impl Display + ?Sized)) {
    // `write!` hands the text over in pieces; each is encoded as it comes, with no copy.
    let _ = write!(Encoder(path), "{value}");
}

struct Encoder<'a>(&'a mut String);

impl fmt::Write for Encoder<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0
            .extend(percent_encoding::utf8_percent_encode(s, SEGMENT));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_values_stay_one_segment() {
        let enc = encode_segment;
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
    fn a_value_written_in_pieces_is_encoded_as_one() {
        struct Pieces;
        impl Display for Pieces {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a/")?;
                f.write_str(".")?;
                f.write_str("é")
            }
        }
        let mut path = String::from("/v1/x/");
        push_segment(&mut path, &Pieces);
        assert_eq!(path, "/v1/x/a%2F%2E%C3%A9");
    }

    #[test]
    fn output_is_a_valid_uri_path_that_decodes_back() {
        let long = "é/?#.".repeat(200);
        let segment = encode_segment(&long);
        let path = format!("/v1/customers/external/{segment}/state");
        let uri: http::Uri = path.parse().unwrap();
        assert_eq!(uri.path(), path);
        let back = percent_encoding::percent_decode_str(&segment)
            .decode_utf8()
            .unwrap();
        assert_eq!(back, long);
    }
}
