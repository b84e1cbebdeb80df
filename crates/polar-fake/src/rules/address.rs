//! Billing addresses: trimmed lines, upper-cased country, US/CA states in `US-NY` form.

use serde_json::{Value, json};

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

/// The country codes an address input accepts (the spec's `CountryAlpha2Input`: every ISO
/// 3166-1 code but those under US trade embargo).
const INPUT_COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IS IT JE JM JO JP KE KG KH KI KM KN KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// True for a code `country` accepts (after upper-casing, which the caller does).
pub(crate) fn is_input_country(code: &str) -> bool {
    code.len() == 2 && INPUT_COUNTRIES.split(' ').any(|c| c == code)
}

const US_STATES: &str = "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC";
const CA_SUBDIVISIONS: &str = "AB BC MB NB NL NS NT NU ON PE QC SK YT";

/// Normalises a state for `country` (US and CA get their `US-` / `CA-` prefix) and checks it.
/// The error is Polar's message (without pydantic's "Value error, ").
pub(crate) fn normalize_state(country: &str, state: &str) -> Result<String, &'static str> {
    let (list, msg) = match country {
        "US" => (US_STATES, "Invalid US state"),
        "CA" => (CA_SUBDIVISIONS, "Invalid CA subdivision"),
        _ => return Ok(state.to_owned()),
    };
    let prefix = format!("{country}-");
    let full = if state.starts_with(&prefix) {
        state.to_owned()
    } else {
        format!("{prefix}{state}")
    };
    // Case-sensitive, as the server compares with its enum values.
    if list.split(' ').any(|s| full[3..] == *s) {
        Ok(full)
    } else {
        Err(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states() {
        assert_eq!(normalize_state("US", "NY").unwrap(), "US-NY");
        assert_eq!(normalize_state("US", "US-NY").unwrap(), "US-NY");
        assert_eq!(normalize_state("CA", "QC").unwrap(), "CA-QC");
        assert_eq!(normalize_state("US", "ny"), Err("Invalid US state"));
        assert_eq!(normalize_state("US", "XX"), Err("Invalid US state"));
        assert_eq!(normalize_state("CA", "NY"), Err("Invalid CA subdivision"));
        assert_eq!(
            normalize_state("FR", "Île-de-France").unwrap(),
            "Île-de-France"
        );
    }

    #[test]
    fn countries() {
        assert!(is_input_country("US"));
        assert!(
            !is_input_country("RU"),
            "embargoed countries are refused on input"
        );
        assert!(!is_input_country("USA"));
    }
}
