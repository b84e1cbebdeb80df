//! Polar's field rules that don't need the store: limits, email, locale, country and tax ID checks,
//! timestamp formats.

use jiff::Timestamp;
use serde_json::{Value, json};

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

/// A billing address as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Address {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub country: String,
}

impl Address {
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "line1": self.line1,
            "line2": self.line2,
            "postal_code": self.postal_code,
            "city": self.city,
            "state": self.state,
            "country": self.country,
        })
    }
}

/// The country codes an address input accepts (the spec's `CountryAlpha2Input`).
const INPUT_COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IS IT JE JM JO JP KE KG KH KI KM KN KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

pub(crate) fn is_input_country(code: &str) -> bool {
    code.len() == 2 && INPUT_COUNTRIES.split(' ').any(|c| c == code)
}

/// Top-level names that can never receive mail (special-use domains).
const SPECIAL_USE: [&str; 6] = ["arpa", "invalid", "local", "localhost", "onion", "test"];
/// Domains that publish a "null MX": they accept no mail, so Polar's deliverability check fails.
const NULL_MX: [&str; 3] = ["example.com", "example.net", "example.org"];

/// Checks an email address the way Polar's validator does, as far as it can be done offline, and
/// returns it normalized (domain lower-cased). The error is the reason, in the validator's words.
pub(crate) fn normalize_email(raw: &str, check_domain: bool) -> Result<String, String> {
    let parts: Vec<&str> = raw.split('@').collect();
    if parts.len() != 2 {
        return Err("The email address is not valid. It must have exactly one @-sign.".into());
    }
    let (local, domain) = (parts[0], parts[1]);
    if local.is_empty() {
        return Err("There must be something before the @-sign.".into());
    }
    if domain.is_empty() {
        return Err("There must be something after the @-sign.".into());
    }
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("The email address contains invalid characters.".into());
    }
    if local.chars().count() > 64 {
        return Err("The email address is too long before the @-sign.".into());
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err("The email address contains a period in an invalid position.".into());
    }
    if local.chars().any(|c| "()<>[]:;,\\\"".contains(c)) {
        return Err("The email address contains invalid characters before the @-sign.".into());
    }
    let domain = domain.to_lowercase();
    if raw.len() > 254 {
        return Err("The email address is too long.".into());
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Err("The part after the @-sign is not valid. It should have a period.".into());
    }
    for label in &labels {
        if label.is_empty() {
            return Err("An email address cannot have two periods in a row or a period at an edge of the domain.".into());
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(
                "An email address cannot have a hyphen immediately before or after a period."
                    .into(),
            );
        }
        if !label.chars().all(|c| c.is_alphanumeric() || c == '-') {
            return Err("The part after the @-sign contains invalid characters.".into());
        }
    }
    let tld = labels[labels.len() - 1];
    if tld.chars().all(|c| c.is_ascii_digit()) {
        return Err(
            "The part after the @-sign is not valid. It is not within a valid top-level domain."
                .into(),
        );
    }
    if SPECIAL_USE.contains(&tld) {
        return Err("The part after the @-sign is a special-use or reserved name that cannot be used with email.".into());
    }
    if check_domain
        && let Some(d) = NULL_MX
            .iter()
            .find(|d| domain == **d || domain.ends_with(&format!(".{d}")))
    {
        return Err(format!("The domain name {d} does not accept email."));
    }
    Ok(format!("{local}@{domain}"))
}

/// A loose IETF BCP 47 syntax check: a 2-3 (or 4-8) letter language, then 1-8 char subtags.
pub(crate) fn is_bcp47(tag: &str) -> bool {
    let mut parts = tag.split(['-', '_']);
    let Some(lang) = parts.next() else {
        return false;
    };
    let lang_ok = (2..=8).contains(&lang.len()) && lang.chars().all(|c| c.is_ascii_alphabetic());
    lang_ok
        && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

const EU: [&str; 27] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// Other countries: the tax ID format Polar files them under.
const FORMATS: [(&str, &str); 40] = [
    ("AD", "ad_nrt"),
    ("AE", "ae_trn"),
    ("AR", "ar_cuit"),
    ("AU", "au_abn"),
    ("BH", "bh_vat"),
    ("BO", "bo_tin"),
    ("BR", "br_cnpj"),
    ("CA", "ca_bn"),
    ("CH", "ch_vat"),
    ("CL", "cl_tin"),
    ("CN", "cn_tin"),
    ("CO", "co_nit"),
    ("CR", "cr_tin"),
    ("DO", "do_rcn"),
    ("EC", "ec_ruc"),
    ("EG", "eg_tin"),
    ("GB", "gb_vat"),
    ("GE", "ge_vat"),
    ("HK", "hk_br"),
    ("ID", "id_npwp"),
    ("IL", "il_vat"),
    ("IN", "in_gst"),
    ("IS", "is_vat"),
    ("JP", "jp_cn"),
    ("KE", "ke_pin"),
    ("KR", "kr_brn"),
    ("KZ", "kz_bin"),
    ("LI", "li_uid"),
    ("MX", "mx_rfc"),
    ("NO", "no_vat"),
    ("NZ", "nz_gst"),
    ("SA", "sa_vat"),
    ("SG", "sg_uen"),
    ("TH", "th_vat"),
    ("TR", "tr_tin"),
    ("TW", "tw_vat"),
    ("UA", "ua_vat"),
    ("US", "us_ein"),
    ("ZA", "za_vat"),
    ("MU", "mu_tan"),
];

/// Validates a tax ID for a country; answers the stored value and its format, or why not.
///
/// A simplification of the server's per-country checksums: separators are dropped, the rest must be
/// 4 to 20 letters and digits; EU numbers get their country prefix, US EINs need 9 digits.
pub(crate) fn validate_tax_id(
    raw: &str,
    country: &str,
) -> Result<(String, &'static str), &'static str> {
    let compact: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '/'))
        .flat_map(char::to_uppercase)
        .collect();
    if !(4..=20).contains(&compact.len()) || !compact.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err("Invalid tax ID.");
    }
    if EU.contains(&country) {
        let prefix = if country == "GR" { "EL" } else { country };
        let number = match compact.strip_prefix(prefix) {
            Some(rest) => rest.to_owned(),
            None => compact.clone(),
        };
        if !(2..=12).contains(&number.len())
            || !number.chars().next().is_some_and(|c| c.is_ascii_digit())
        {
            return Err("Invalid tax ID.");
        }
        return Ok((format!("{prefix}{number}"), "eu_vat"));
    }
    let Some((_, format)) = FORMATS.iter().find(|(c, _)| *c == country) else {
        return Err("Tax ID is not supported for this country.");
    };
    if *format == "us_ein" && (compact.len() != 9 || !compact.chars().all(|c| c.is_ascii_digit())) {
        return Err("Invalid tax ID.");
    }
    Ok((compact, format))
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

/// CSV form (Python's `isoformat()`): `2026-11-25T10:13:51.123456+00:00`.
pub(crate) fn fmt_iso_ts(ts: Timestamp) -> String {
    match ts.subsec_microsecond() {
        0 => format!("{}+00:00", base(ts)),
        us => format!("{}.{us:06}+00:00", base(ts)),
    }
}

/// A short stable digest (hex) for anonymizing deleted customers.
pub(crate) fn digest(s: &str) -> String {
    // FNV-1a, 64 bit, twice with different seeds: enough to make the value unrecognisable.
    let mut out = String::with_capacity(32);
    for seed in [0xcbf2_9ce4_8422_2325u64, 0x8422_2325_cbf2_9ce4u64] {
        let mut h = seed;
        for b in s.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        out.push_str(&format!("{h:016x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            normalize_email("Jane.Doe@Polar.SH", true).unwrap(),
            "Jane.Doe@polar.sh"
        );
        for bad in [
            "",
            "a",
            "a@",
            "@b.c",
            "a@b@c.d",
            "a b@c.de",
            "a@nodot",
            "a@x..y",
            "a@-x.com",
            "a@x.123",
            "a@host.test",
            "a@localhost",
        ] {
            assert!(normalize_email(bad, true).is_err(), "{bad}");
        }
        assert!(
            normalize_email("a@example.com", true)
                .unwrap_err()
                .contains("does not accept email")
        );
        assert!(normalize_email("a@example.com", false).is_ok());
        assert!(normalize_email("a@mail.example.org", true).is_err());
    }

    #[test]
    fn locales() {
        for ok in ["en", "en-US", "en-GB-oxendict", "zh-Hant-TW", "fr_FR"] {
            assert!(is_bcp47(ok), "{ok}");
        }
        for bad in ["", "e", "en-", "en US", "123", "en-toolongsubtag"] {
            assert!(!is_bcp47(bad), "{bad}");
        }
    }

    #[test]
    fn tax_ids() {
        assert_eq!(
            validate_tax_id("FR 61954506077", "FR").unwrap(),
            ("FR61954506077".into(), "eu_vat")
        );
        assert_eq!(
            validate_tax_id("61954506077", "FR").unwrap(),
            ("FR61954506077".into(), "eu_vat")
        );
        assert_eq!(
            validate_tax_id("094201111", "GR").unwrap(),
            ("EL094201111".into(), "eu_vat")
        );
        assert_eq!(
            validate_tax_id("91-1144442", "US").unwrap(),
            ("911144442".into(), "us_ein")
        );
        assert!(validate_tax_id("1234", "US").is_err());
        assert!(validate_tax_id("!!", "DE").is_err());
        assert!(validate_tax_id("123456789", "AQ").is_err());
    }

    #[test]
    fn countries() {
        assert!(is_input_country("US"));
        assert!(is_input_country("DE"));
        assert!(
            !is_input_country("RU"),
            "sanctioned countries are not accepted on input"
        );
        assert!(!is_input_country("us"));
        assert!(!is_input_country("USA"));
    }

    #[test]
    fn timestamps() {
        let ts: Timestamp = "2026-11-25T10:13:51.123456789Z".parse().unwrap();
        let ts = to_micros(ts);
        assert_eq!(fmt_json_ts(ts), "2026-11-25T10:13:51.123456Z");
        assert_eq!(fmt_iso_ts(ts), "2026-11-25T10:13:51.123456+00:00");
        let whole: Timestamp = "2026-11-25T10:13:51Z".parse().unwrap();
        assert_eq!(fmt_json_ts(whole), "2026-11-25T10:13:51Z");
        assert_eq!(
            fmt_json_ts(to_micros("2026-01-02T03:04:05.000007Z".parse().unwrap())),
            "2026-01-02T03:04:05.000007Z"
        );
    }
}
