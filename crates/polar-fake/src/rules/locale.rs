//! `locale`: a BCP 47 tag with a real language subtag, stored in its standard form.

/// Polar's message for a tag it refuses (pydantic prefixes it with "Value error, ").
pub(crate) const INVALID_LOCALE: &str = "Invalid IETF BCP 47 language tag";

/// Deprecated or macrolanguage-internal codes and what the standard form uses instead.
const REPLACED: [(&str, &str); 9] = [
    ("iw", "he"),
    ("in", "id"),
    ("ji", "yi"),
    ("mo", "ro"),
    ("tl", "fil"),
    ("sh", "sr-Latn"),
    ("aar", "aa"),
    ("no-bok", "nb"),
    ("zh-yue", "yue"),
];

/// Languages whose default script is dropped from the standard form (`en-Latn` → `en`).
const LATIN_DEFAULT: [&str; 12] = [
    "en", "fr", "de", "es", "it", "pt", "nl", "sv", "da", "nb", "pl", "fil",
];

fn alpha(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_alphabetic())
}

fn digits(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_digit())
}

fn alnum(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Checks a tag and answers its standard form, or `None` when Polar refuses it.
pub(crate) fn standardize(raw: &str) -> Option<String> {
    let lower = raw.replace('_', "-").to_ascii_lowercase();
    let parts: Vec<&str> = lower.split('-').collect();
    let lang = parts[0];
    if !(2..=3).contains(&lang.len()) || !alpha(lang) || lang == "und" {
        return None;
    }
    let mut out = vec![lang.to_owned()];
    let mut i = 1;
    let mut stage = 0; // 0 extlang/script, 1 region, 2 variants, 3 extensions
    while i < parts.len() {
        let p = parts[i];
        if p.is_empty() || p.len() > 8 || !alnum(p) {
            return None;
        }
        if p.len() == 1 {
            // An extension (or private use) runs to the end: its subtags are 1-8 characters.
            if p == "x" && i + 1 >= parts.len() {
                return None;
            }
            let min = if p == "x" { 1 } else { 2 };
            if parts[i + 1..].is_empty() || parts[i + 1..].iter().any(|s| s.len() < min) {
                return None;
            }
            out.extend(parts[i..].iter().map(|s| (*s).to_owned()));
            break;
        }
        if stage == 0 && p.len() == 3 && alpha(p) && out.len() == 1 {
            out.push(p.to_owned());
        } else if stage == 0 && p.len() == 4 && alpha(p) {
            let mut s = p.to_owned();
            s[..1].make_ascii_uppercase();
            out.push(s);
            stage = 1;
        } else if stage <= 1 && ((p.len() == 2 && alpha(p)) || (p.len() == 3 && digits(p))) {
            out.push(p.to_ascii_uppercase());
            stage = 2;
        } else if (p.len() >= 5) || (p.len() == 4 && p.starts_with(|c: char| c.is_ascii_digit())) {
            out.push(p.to_owned());
            stage = 2;
        } else {
            return None;
        }
        i += 1;
    }
    let mut tag = out.join("-");
    for (old, new) in REPLACED {
        if tag == old || tag.starts_with(&format!("{old}-")) {
            tag = format!("{new}{}", &tag[old.len()..]);
            break;
        }
    }
    let mut parts: Vec<String> = tag.split('-').map(str::to_owned).collect();
    if parts.len() >= 2 && parts[1] == "Latn" && LATIN_DEFAULT.contains(&parts[0].as_str()) {
        parts.remove(1);
    }
    Some(parts.join("-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers taken from `langcodes` as Polar's validator uses it.
    #[test]
    fn like_langcodes() {
        for (raw, std) in [
            ("en", "en"),
            ("en_US", "en-US"),
            ("EN-us", "en-US"),
            ("zh-hant-tw", "zh-Hant-TW"),
            ("fr_FR", "fr-FR"),
            ("en-GB-oxendict", "en-GB-oxendict"),
            ("iw", "he"),
            ("en-US-u-ca-gregory", "en-US-u-ca-gregory"),
            ("es-419", "es-419"),
            ("de-DE-1996", "de-DE-1996"),
            ("pt_br", "pt-BR"),
            ("sr-latn-rs", "sr-Latn-RS"),
            ("tl", "fil"),
            ("en-latn-us", "en-US"),
        ] {
            assert_eq!(standardize(raw).as_deref(), Some(std), "{raw}");
        }
        for bad in [
            "und",
            "x-foo",
            "e",
            "en-",
            "en US",
            "123",
            "en-toolongsubtag",
            "abcd",
            "en--US",
            " en",
        ] {
            assert_eq!(standardize(bad), None, "{bad}");
        }
    }
}
