//! Polar's field rules that don't need the store: limits, emails, URLs, locales, addresses, tax
//! IDs, UUIDs, derived fields and timestamp formats.

pub(crate) mod address;
pub(crate) mod email;
pub(crate) mod http_url;
pub(crate) mod locale;
pub(crate) mod tax_id;
pub(crate) mod uuids;

use jiff::Timestamp;
use sha2::{Digest, Sha256};

pub(crate) use address::Address;

/// `name` (customer and member) at most this many characters.
pub(crate) const NAME_MAX: usize = 256;
/// Metadata: at most this many keys.
pub(crate) const METADATA_MAX_KEYS: usize = 50;
/// Metadata: a key has 1 to this many characters.
pub(crate) const METADATA_KEY_MAX: usize = 40;
/// Metadata: a string value has 1 to this many characters.
pub(crate) const METADATA_VALUE_MAX: usize = 500;
/// `limit` above this is cut down to it.
pub(crate) const LIST_LIMIT_MAX: u64 = 100;
/// Polar's message for a string holding a NUL character.
pub(crate) const NUL_MESSAGE: &str = "This value contains invalid characters";

/// Individual or team.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Individual,
    Team,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Individual => "individual",
            Kind::Team => "team",
        }
    }
}

/// Truncates to microseconds, as the server's database stores them.
pub(crate) fn to_micros(ts: Timestamp) -> Timestamp {
    Timestamp::from_microsecond(ts.as_microsecond()).unwrap_or(ts)
}

fn base(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S").to_string()
}

/// JSON form (pydantic): `2026-11-25T10:13:51.123456Z` (no fraction when it is zero).
pub(crate) fn fmt_json_ts(ts: Timestamp) -> String {
    match ts.subsec_microsecond() {
        0 => format!("{}Z", base(ts)),
        us => format!("{}.{us:06}Z", base(ts)),
    }
}

/// Python's `isoformat()` of an aware UTC time: `2026-11-25T10:13:51.123456+00:00`.
pub(crate) fn fmt_iso_ts(ts: Timestamp) -> String {
    match ts.subsec_microsecond() {
        0 => format!("{}+00:00", base(ts)),
        us => format!("{}.{us:06}+00:00", base(ts)),
    }
}

/// Lower-case hex SHA-256 of the concatenated parts.
pub(crate) fn sha256_hex(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// What anonymize puts in place of a value: `sha256(created_at.isoformat() + value)`.
pub(crate) fn anonymized(value: &str, created_at: Timestamp) -> String {
    sha256_hex(&[&fmt_iso_ts(created_at), value])
}

/// The avatar the server derives from an email: Gravatar of the lower-cased address' SHA-256.
/// (Polar serves company logos for non-personal domains when it has a logo.dev key; the fake
/// always answers the Gravatar form.)
pub(crate) fn avatar_url(email: &str) -> String {
    let hash = sha256_hex(&[&email.to_lowercase()]);
    format!("https://www.gravatar.com/avatar/{hash}?d=404")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        let ts: Timestamp = "2026-11-25T10:13:51.123456789Z".parse().unwrap();
        let ts = to_micros(ts);
        assert_eq!(fmt_json_ts(ts), "2026-11-25T10:13:51.123456Z");
        assert_eq!(fmt_iso_ts(ts), "2026-11-25T10:13:51.123456+00:00");
        let whole: Timestamp = "2026-11-25T10:13:51Z".parse().unwrap();
        assert_eq!(fmt_json_ts(whole), "2026-11-25T10:13:51Z");
    }

    #[test]
    fn derived_values() {
        // hashlib.sha256(b"jane@polar.sh").hexdigest()
        assert_eq!(
            avatar_url("Jane@Polar.sh"),
            format!(
                "https://www.gravatar.com/avatar/{}?d=404",
                sha256_hex(&["jane@polar.sh"])
            )
        );
        assert_eq!(
            sha256_hex(&["abc"]),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let at: Timestamp = "2026-11-25T10:13:51.123456Z".parse().unwrap();
        assert_eq!(
            anonymized("jane@polar.sh", at),
            "b10367bbb5eb9604acc6946faea20acffca113c3a84cf08fcee1c7eae7ee9218",
            "hashlib.sha256(created_at.isoformat() + email)"
        );
    }
}
