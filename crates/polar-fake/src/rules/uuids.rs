//! UUIDs as pydantic-core reads them.
//!
//! pydantic-core 2.46.4 (the version of Polar's server/uv.lock) parses a UUID string with the
//! `uuid` crate 1.23.0 and shows that crate's reason after "Input should be a valid UUID, ".
//! This workspace builds a newer `uuid`, which words its reasons otherwise (positions from 0,
//! "invalid length: found N") and also takes the `urn:uuid:` prefix in any case, so the forms
//! the server accepts and its reasons are decided here.

use uuid::Uuid;

/// The URN prefix the server accepts, in lower case only.
const URN: &str = "urn:uuid:";

/// Where each group of a hyphenated UUID starts, and how long each is.
const GROUP_STARTS: [usize; 5] = [0, 9, 14, 19, 24];
const GROUP_LENGTHS: [usize; 5] = [8, 4, 4, 4, 12];

/// Parses `raw` as the server does: 32 hex digits, the hyphenated form (8-4-4-4-12), that form
/// in braces, or after `urn:uuid:`. Else the reason pydantic-core gives.
pub(crate) fn parse(raw: &str) -> Result<Uuid, String> {
    let upper_urn = raw.len() == 45 && !raw.starts_with(URN);
    match Uuid::parse_str(raw) {
        Ok(u) if !upper_urn => Ok(u),
        _ => Err(reason(raw)),
    }
}

/// Why `raw`, which the server does not accept, is not a UUID. An input of the braced or the URN
/// form's length is judged by what is inside, as the server's parser hands only that part on.
fn reason(raw: &str) -> String {
    let braced = raw.starts_with('{') && raw.ends_with('}');
    match raw.len() {
        38 if braced => describe(&raw[1..37]),
        45 if raw.starts_with(URN) => describe(&raw[URN.len()..]),
        _ => describe(raw),
    }
}

/// The first character that is not a hex digit or a hyphen (counted in bytes from 1, braces and
/// URN prefix included); else, with no hyphen, the length; else the number of groups; else the
/// first group of the wrong length.
fn describe(raw: &str) -> String {
    let (body, offset, bare) = if raw.len() >= 2 && raw.starts_with('{') && raw.ends_with('}') {
        (&raw[1..raw.len() - 1], 1, false)
    } else if let Some(rest) = raw.strip_prefix(URN) {
        (rest, URN.len(), false)
    } else {
        (raw, 0, true)
    };
    let mut hyphens = Vec::new();
    for (i, c) in body.char_indices() {
        if c == '-' {
            hyphens.push(i);
        } else if !c.is_ascii_hexdigit() {
            return format!("invalid character: found `{c}` at {}", offset + i + 1);
        }
    }
    if hyphens.is_empty() && bare {
        return format!(
            "invalid length: expected length 32 for simple format, found {}",
            raw.len()
        );
    }
    if hyphens.len() != 4 {
        return format!(
            "invalid group count: expected 5, found {}",
            hyphens.len() + 1
        );
    }
    for (group, &end) in hyphens.iter().enumerate() {
        if end + 1 != GROUP_STARTS[group + 1] {
            return group_length(group, end.saturating_sub(GROUP_STARTS[group]));
        }
    }
    // The last group is the wrong length; the server measures it on the whole input, braces
    // and prefix included.
    group_length(4, raw.len().saturating_sub(GROUP_STARTS[4]))
}

fn group_length(group: usize, found: usize) -> String {
    format!(
        "invalid group length in group {group}: expected {}, found {found}",
        GROUP_LENGTHS[group]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What pydantic 2.13.4 (pydantic-core 2.46.4) answers for `TypeAdapter(UUID)`: 41 inputs
    /// chosen by hand and 659 drawn at random by mutating the five forms of random UUIDs
    /// (deleting, inserting, replacing characters, cutting, repeating, changing case): JSON lines
    /// `[input, "ok", str(uuid)]` or `[input, "err", reason]`.
    const PYDANTIC: &str = include_str!("uuid_cases.jsonl");

    #[test]
    fn agreement_with_pydantic() {
        let mut wrong = Vec::new();
        let lines = PYDANTIC.lines().count();
        for line in PYDANTIC.lines() {
            let case: Vec<String> = serde_json::from_str(line).unwrap();
            let got = match parse(&case[0]) {
                Ok(u) => ["ok".to_owned(), u.hyphenated().to_string()],
                Err(reason) => ["err".to_owned(), reason],
            };
            if got[..] != case[1..] {
                wrong.push(format!("{:?}: {got:?}, pydantic {:?}", case[0], &case[1..]));
            }
        }
        assert!(lines >= 700, "{lines} cases");
        assert!(wrong.is_empty(), "{} of {lines}: {wrong:#?}", wrong.len());
    }

    #[test]
    fn reasons_count_from_one_and_name_the_simple_length() {
        assert_eq!(
            parse("nope").unwrap_err(),
            "invalid character: found `n` at 1"
        );
        assert_eq!(
            parse("1234").unwrap_err(),
            "invalid length: expected length 32 for simple format, found 4"
        );
        assert!(parse("URN:UUID:7b0e8f5c-3f0a-4c53-9d0e-1f2a3b4c5d6e").is_err());
        assert!(parse("urn:uuid:7b0e8f5c-3f0a-4c53-9d0e-1f2a3b4c5d6e").is_ok());
    }
}
