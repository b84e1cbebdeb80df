//! `locale`: a BCP 47 tag with a real language subtag, stored in its standard form.

/// Polar's message for a tag it refuses (pydantic prefixes it with "Value error, ").
pub(crate) const INVALID_LOCALE: &str = "Invalid IETF BCP 47 language tag";

/// Checks a tag and answers its standard form, or `None` when Polar refuses it.
pub(crate) fn standardize(raw: &str) -> Option<String> {
    let mut tag = language_tags::LanguageTag::parse(&raw.replace('_', "-")).ok()?;
    // langcodes replaces two codes that RFC 5646 canonicalisation keeps.
    let replacement = match tag.primary_language() {
        "tl" => Some("fil"),
        "sh" if tag.script().is_none() => Some("sr-Latn"),
        "sh" => Some("sr"),
        _ => None,
    };
    if let Some(new) = replacement {
        let rest = &tag.as_str()[tag.primary_language().len()..];
        tag = language_tags::LanguageTag::parse(&format!("{new}{rest}")).ok()?;
    }
    // Polar's check (langcodes) wants registered subtags but not the registry's variant prefixes.
    match tag.validate() {
        Ok(()) | Err(language_tags::ValidationError::WrongVariantPrefix) => {}
        Err(_) => return None,
    }
    let canonical = tag.canonicalize().ok()?;
    let lang = canonical.primary_language();
    // A real language subtag: not `und`, not a private-use tag (`x-…`).
    if !(2..=3).contains(&lang.len()) || lang == "und" {
        return None;
    }
    Some(canonical.as_str().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tags drawn at random and judged by `langcodes` 3.5 as Polar's validator uses it:
    /// `tag<TAB>standard form`, or `!` when Polar refuses the tag.
    const LANGCODES: &str = include_str!("langcodes_tags.tsv");

    /// Every difference falls in the two documented gaps: three-letter codes that have a
    /// two-letter form (`eng`) and numeric regions outside the registry (`840`), which langcodes
    /// shortens (`en`, `US`) and the fake refuses.
    #[test]
    fn agreement_with_langcodes() {
        let mut wrong = Vec::new();
        let mut known_gaps = 0;
        for line in LANGCODES.lines() {
            let (tag, want) = line.split_once('\t').unwrap();
            let want = (want != "!").then_some(want);
            let got = standardize(tag);
            if got.as_deref() == want {
                continue;
            }
            let subtags: Vec<&str> = tag.split(['-', '_']).collect();
            let gap = got.is_none()
                && (subtags[0].len() == 3
                    || subtags[1..]
                        .iter()
                        .any(|s| s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit())));
            if gap {
                known_gaps += 1;
            } else {
                wrong.push(format!("{tag} -> {got:?}, langcodes {want:?}"));
            }
        }
        assert!(
            wrong.is_empty(),
            "{} of {}: {wrong:#?}",
            wrong.len(),
            LANGCODES.lines().count()
        );
        assert!(known_gaps < LANGCODES.lines().count() / 10, "{known_gaps}");
    }

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
