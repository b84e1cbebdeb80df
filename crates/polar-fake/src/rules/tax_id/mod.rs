//! Tax IDs: the formats Polar files each country under, with the checks it runs
//! (python-stdnum for most). Every failure says "Invalid tax ID.".
//!
//! EU VAT numbers follow stdnum's `eu.vat` (see [`eu`]). GB VAT, US EIN and the hand-written
//! server checks (AE, GE, HK, MU) are exact. Other countries get a shape check only.

mod eu;

/// Polar's message for every refused tax ID.
pub(crate) const INVALID_TAX_ID: &str = "Invalid tax ID.";

const EU_COUNTRIES: [&str; 27] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// Countries outside the EU and the first format Polar tries for them.
const OTHER_FORMATS: [(&str, &str); 49] = [
    ("AD", "ad_nrt"),
    ("AE", "ae_trn"),
    ("AR", "ar_cuit"),
    ("AU", "au_abn"),
    ("BH", "bh_vat"),
    ("BO", "bo_tin"),
    ("BR", "br_cnpj"),
    ("CA", "ca_gst_hst"),
    ("CH", "ch_uid"),
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
    ("MK", "mk_vat"),
    ("MU", "mu_tan"),
    ("MX", "mx_rfc"),
    ("MY", "my_frp"),
    ("NG", "ng_tin"),
    ("NO", "no_vat"),
    ("NZ", "nz_gst"),
    ("OM", "om_vat"),
    ("PE", "pe_ruc"),
    ("PH", "ph_tin"),
    ("RS", "rs_pib"),
    ("RU", "ru_inn"),
    ("SA", "sa_vat"),
    ("SG", "sg_gst"),
    ("SV", "sv_nit"),
    ("TH", "th_vat"),
    ("TR", "tr_tin"),
    ("TW", "tw_vat"),
    ("UA", "ua_vat"),
    ("US", "us_ein"),
    ("UY", "uy_ruc"),
];

/// Drops the separators stdnum drops and upper-cases.
fn compact(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '.' | '/' | ',' | ':' | '(' | ')'))
        .flat_map(char::to_uppercase)
        .collect()
}

pub(super) fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

pub(super) fn digit_values(s: &str) -> Vec<u32> {
    s.bytes().map(|b| u32::from(b - b'0')).collect()
}

/// stdnum `gb.vat` (standard 9-digit and 12-digit branch numbers, government and health
/// authority numbers); answers the number without its `GB` prefix.
pub(super) fn gb_vat(number: &str) -> Option<String> {
    let n = number.strip_prefix("GB").unwrap_or(number);
    if let Some(rest) = n.strip_prefix("GD").or_else(|| n.strip_prefix("HA")) {
        let ok = rest.len() == 3
            && all_digits(rest)
            && ((n.starts_with("GD") && rest < "500") || (n.starts_with("HA") && rest >= "500"));
        return ok.then(|| n.to_owned());
    }
    if !all_digits(n) || !(n.len() == 9 || n.len() == 12) {
        return None;
    }
    let weights = [8, 7, 6, 5, 4, 3, 2, 10, 1];
    let sum: u32 = digit_values(&n[..9])
        .iter()
        .zip(weights)
        .map(|(d, w)| d * w)
        .sum::<u32>()
        % 97;
    // Numbers from 100 on may also use the newer (+55) scheme.
    let ok = if n[..3] >= *"100" {
        matches!(sum, 0 | 42 | 55)
    } else {
        sum == 0
    };
    ok.then(|| n.to_owned())
}

/// stdnum `us.ein`: nine digits whose first two name an IRS campus.
fn us_ein(number: &str) -> Option<String> {
    const UNUSED: [&str; 17] = [
        "00", "07", "08", "09", "17", "18", "19", "28", "29", "49", "69", "70", "78", "79", "89",
        "96", "97",
    ];
    (number.len() == 9 && all_digits(number) && !UNUSED.contains(&&number[..2]))
        .then(|| number.to_owned())
}

/// Checks `raw` for a billing address in `country`; answers the stored value and its format.
pub(crate) fn validate_tax_id(
    raw: &str,
    country: &str,
) -> Result<(String, &'static str), &'static str> {
    let number = compact(raw);
    let checked = if EU_COUNTRIES.contains(&country) {
        eu::eu_vat(raw).map(|n| (n, "eu_vat"))
    } else {
        let Some((_, format)) = OTHER_FORMATS.iter().find(|(c, _)| *c == country) else {
            return Err(INVALID_TAX_ID);
        };
        let value = match *format {
            "gb_vat" => gb_vat(&number),
            "us_ein" => us_ein(&number),
            "ae_trn" => (number.len() == 15 && all_digits(&number)).then(|| number.clone()),
            "ge_vat" => {
                let n = number.strip_prefix("GE").unwrap_or(&number);
                ((n.len() == 9 || n.len() == 11) && all_digits(n)).then(|| n.to_owned())
            }
            "hk_br" => (number.len() == 8 && all_digits(&number)).then(|| number.clone()),
            "mu_tan" => (number.len() == 8
                && all_digits(&number)
                && matches!(number.as_bytes()[0], b'2' | b'3'))
            .then(|| number.clone()),
            "ch_uid" | "no_vat" => vat_id_validator::check_vat_by_country(&number, country)
                .is_valid
                .then(|| number.clone()),
            // Shape only: the server's per-country checksum is not modelled.
            _ => ((4..=20).contains(&number.len())
                && number.chars().all(|c| c.is_ascii_alphanumeric())
                && number.chars().any(|c| c.is_ascii_digit()))
            .then(|| number.clone()),
        };
        value.map(|v| (v, *format))
    };
    checked.ok_or(INVALID_TAX_ID)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Valid and invalid numbers as python-stdnum judges them.
    #[test]
    fn like_stdnum() {
        for (raw, country, stored, format) in [
            ("FR 61954506077", "FR", "FR61954506077", "eu_vat"),
            ("DE136695976", "DE", "DE136695976", "eu_vat"),
            ("DE 136 695 976", "AT", "DE136695976", "eu_vat"),
            ("EL094201111", "GR", "EL094201111", "eu_vat"),
            ("XI999999973", "IE", "XI999999973", "eu_vat"),
            ("GB999999973", "GB", "999999973", "gb_vat"),
            ("91-1144442", "US", "911144442", "us_ein"),
            ("CHE-116.281.710", "CH", "CHE116281710", "ch_uid"),
            ("784-1234-1234567-1", "AE", "784123412345671", "ae_trn"),
        ] {
            assert_eq!(
                validate_tax_id(raw, country),
                Ok((stored.to_owned(), format)),
                "{raw} in {country}"
            );
        }
        for (raw, country) in [
            ("DE123456789", "DE"),
            ("61954506077", "FR"),
            ("FR61954506078", "FR"),
            ("GB999999974", "GB"),
            ("GB999999973", "DE"),
            ("071144442", "US"),
            ("1234", "US"),
            ("123456789", "AQ"),
            ("ABCD", "JP"),
        ] {
            assert_eq!(
                validate_tax_id(raw, country),
                Err(INVALID_TAX_ID),
                "{raw} in {country}"
            );
        }
    }
}
