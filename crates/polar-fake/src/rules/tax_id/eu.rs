//! EU VAT numbers as python-stdnum's `eu.vat` checks them: a member-state prefix, then that
//! country's rules.
//!
//! Where the `vat_id_validator` crate was measured to judge numbers as stdnum does it is used;
//! for the countries where it does not (it refuses valid Belgian numbers starting with 1, most
//! Estonian and Maltese ones, some Cypriot, Latvian and Slovak ones, and accepts some invalid
//! French, Italian, Danish, Polish and Portuguese ones) the stdnum rules are written out here,
//! and for Germany, whose rule is short.

use super::{all_digits, digit_values, gb_vat};

/// Strips the separators a country's stdnum module strips, and its own prefix.
fn local<'a>(number: &'a str, prefix: &str) -> &'a str {
    number.strip_prefix(prefix).unwrap_or(number)
}

fn weighted(digits: &str, weights: &[u32]) -> u32 {
    digit_values(digits)
        .iter()
        .zip(weights)
        .map(|(d, w)| d * w)
        .sum()
}

/// Luhn checksum over decimal digits (0 when valid).
fn luhn(digits: &str) -> u32 {
    digit_values(digits)
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 1 {
                (d * 2) / 10 + (d * 2) % 10
            } else {
                *d
            }
        })
        .sum::<u32>()
        % 10
}

/// ISO 7064 Mod 11, 10: valid when the result is 1.
fn mod_11_10(digits: &str) -> u32 {
    digit_values(digits).iter().fold(5, |check, d| {
        let c = if check == 0 { 10 } else { check };
        ((c * 2) % 11 + d) % 10
    })
}

fn be(n: &str) -> bool {
    let n = if n.len() == 9 {
        format!("0{n}")
    } else {
        n.to_owned()
    };
    all_digits(&n)
        && n.len() == 10
        && n.bytes().any(|b| b != b'0')
        && matches!(n.as_bytes()[0], b'0' | b'1')
        && (n[..8].parse::<u64>().unwrap_or(0) + n[8..].parse::<u64>().unwrap_or(0))
            .is_multiple_of(97)
}

fn de(n: &str) -> bool {
    all_digits(n) && n.len() == 9 && !n.starts_with('0') && mod_11_10(n) == 1
}

fn dk(n: &str) -> bool {
    all_digits(n)
        && n.len() == 8
        && !n.starts_with('0')
        && weighted(n, &[2, 7, 6, 5, 4, 3, 2, 1]).is_multiple_of(11)
}

fn ee(n: &str) -> bool {
    all_digits(n) && n.len() == 9 && weighted(n, &[3, 7, 1, 3, 7, 1, 3, 7, 1]).is_multiple_of(10)
}

fn mt(n: &str) -> bool {
    all_digits(n)
        && n.len() == 8
        && !n.starts_with('0')
        && weighted(n, &[3, 4, 6, 7, 8, 9, 10, 1]).is_multiple_of(37)
}

fn pt(n: &str) -> bool {
    if !(all_digits(n) && n.len() == 9 && !n.starts_with('0')) {
        return false;
    }
    let s: u32 = digit_values(&n[..8])
        .iter()
        .enumerate()
        .map(|(i, d)| (9 - i as u32) * d)
        .sum();
    let check = (11 - s % 11) % 11 % 10;
    check == digit_values(&n[8..])[0]
}

fn it(n: &str) -> bool {
    all_digits(n)
        && n.len() == 11
        && n[..7].bytes().any(|b| b != b'0')
        && (("001"..="100").contains(&&n[7..10])
            || matches!(&n[7..10], "120" | "121" | "888" | "999"))
        && luhn(n) == 0
}

const FR_ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";

fn fr(n: &str) -> bool {
    if n.len() != 11 || !all_digits(&n[2..]) || !n[..2].chars().all(|c| FR_ALPHABET.contains(c)) {
        return false;
    }
    // Numbers from Monaco (`000` after the key) are valid VAT numbers but not SIRENs.
    if &n[2..5] != "000" && luhn(&n[2..]) != 0 {
        return false;
    }
    let siren: u64 = n[2..].parse().unwrap_or(0);
    if all_digits(&n[..2]) {
        let key: u64 = n[..2].parse().unwrap_or(u64::MAX);
        key == (siren * 100 + 12) % 97
    } else {
        let idx = |c: char| FR_ALPHABET.find(c).unwrap_or(0) as u64;
        let mut chars = n.chars();
        let (a, b) = (chars.next().unwrap_or('0'), chars.next().unwrap_or('0'));
        let check = if a.is_ascii_digit() {
            idx(a) * 24 + idx(b) - 10
        } else {
            idx(a) * 34 + idx(b) - 100
        };
        (siren + 1 + check / 11) % 11 == check % 11
    }
}

fn lv(n: &str) -> bool {
    if !(all_digits(n) && n.len() == 11) {
        return false;
    }
    if n.as_bytes()[0] > b'3' {
        return weighted(n, &[9, 1, 4, 8, 3, 10, 2, 5, 7, 6, 1]) % 11 == 3;
    }
    let check = (1 + weighted(&n[..10], &[10, 5, 8, 4, 2, 1, 6, 3, 7, 9])) % 11 % 10;
    if check != digit_values(&n[10..])[0] {
        return false;
    }
    if n.starts_with("32") {
        return true;
    }
    // A personal code starts with a date of birth (ddmmyy, century in the seventh digit).
    let day: i16 = n[0..2].parse().unwrap_or(0);
    let month: i8 = n[2..4].parse().unwrap_or(0);
    let year = 1800 + i16::from(n.as_bytes()[6] - b'0') * 100 + n[4..6].parse::<i16>().unwrap_or(0);
    jiff::civil::Date::new(year, month, i8::try_from(day).unwrap_or(0)).is_ok()
}

fn pl(n: &str) -> bool {
    if !(all_digits(n) && n.len() == 10) {
        return false;
    }
    // The last digit has weight -1: the weighted sum of the others must equal it modulo 11.
    let s = weighted(&n[..9], &[6, 5, 7, 2, 3, 4, 5, 6, 7]);
    (s + 11 * 10 - digit_values(&n[9..])[0]).is_multiple_of(11)
}

fn cy(n: &str) -> bool {
    if !(n.len() == 9 && all_digits(&n[..8])) || n.starts_with("12") {
        return false;
    }
    const ODD: [u32; 10] = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21];
    let d = digit_values(&n[..8]);
    let sum: u32 = d.iter().step_by(2).map(|x| ODD[*x as usize]).sum::<u32>()
        + d.iter().skip(1).step_by(2).sum::<u32>();
    n.as_bytes()[8] == b'A' + (sum % 26) as u8
}

/// A Czech/Slovak birth number (stdnum `cz.rc`), which stdnum also accepts as a Slovak VAT number.
fn birth_number(n: &str) -> bool {
    if !(all_digits(n) && n.len() == 10) {
        return false;
    }
    let mut year = 1900 + n[0..2].parse::<i16>().unwrap_or(0);
    if year < 1954 {
        year += 100;
    }
    let month = n[2..4].parse::<i8>().unwrap_or(0) % 50 % 20;
    let day = n[4..6].parse::<i8>().unwrap_or(0);
    let check = n[..9].parse::<u64>().unwrap_or(0) % 11 % 10;
    jiff::civil::Date::new(year, month, day).is_ok() && u64::from(digit_values(&n[9..])[0]) == check
}

fn sk(n: &str) -> bool {
    if !(all_digits(n) && n.len() == 10) {
        return false;
    }
    birth_number(n)
        || (!n.starts_with('0')
            && matches!(n.as_bytes()[2], b'2' | b'3' | b'4' | b'7' | b'8' | b'9')
            && n.parse::<u64>().unwrap_or(1).is_multiple_of(11))
}

/// Separators stdnum's per-country modules drop (the widest set; `clean` is lenient).
fn compact(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '.' | '/' | ',' | ':'))
        .flat_map(char::to_uppercase)
        .collect()
}

/// Checks an EU VAT number (prefix included); answers the stored form.
pub(crate) fn eu_vat(raw: &str) -> Option<String> {
    let number = compact(raw);
    let prefix = number.get(..2)?.to_owned();
    let rest = &number[2..];
    let ok = match prefix.as_str() {
        "XI" => return gb_vat(rest).map(|n| format!("XI{n}")),
        "BE" => {
            return be(local(rest, "BE")).then(|| {
                let n = local(rest, "BE");
                if n.len() == 9 {
                    format!("BE0{n}")
                } else {
                    format!("BE{n}")
                }
            });
        }
        "DE" => de(rest),
        "DK" => dk(rest),
        "EE" => ee(rest),
        "FR" => fr(rest),
        "IT" => it(rest),
        "LV" => lv(rest),
        "MT" => mt(rest),
        "PT" => pt(rest),
        "SK" => sk(rest),
        "PL" => pl(rest),
        "CY" => cy(rest),
        "AT" | "BG" | "CZ" | "EL" | "GR" | "ES" | "FI" | "HR" | "HU" | "IE" | "LT" | "LU"
        | "NL" | "RO" | "SE" | "SI" => vat_id_validator::check_vat(&number).is_valid,
        _ => false,
    };
    ok.then_some(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Numbers drawn at random and judged by python-stdnum 2.2 (`stdnum.eu.vat.is_valid`):
    /// `number<TAB>True|False`, about twenty valid and twenty invalid per member state.
    const STDNUM: &str = include_str!("stdnum_eu_vat.tsv");

    #[test]
    fn judges_numbers_as_stdnum_does() {
        let mut wrong = Vec::new();
        for line in STDNUM.lines() {
            let (number, valid) = line.split_once('\t').unwrap();
            if eu_vat(number).is_some() != (valid == "True") {
                wrong.push(line);
            }
        }
        assert!(
            wrong.is_empty(),
            "{} of {} differ: {wrong:?}",
            wrong.len(),
            STDNUM.lines().count()
        );
    }

    #[test]
    fn stored_forms() {
        assert_eq!(eu_vat("DE 136 695 976").as_deref(), Some("DE136695976"));
        assert_eq!(eu_vat("BE 403.019.261").as_deref(), Some("BE0403019261"));
        assert_eq!(eu_vat("DE123456789"), None);
        assert_eq!(
            eu_vat("61954506077"),
            None,
            "the member-state prefix is required"
        );
    }
}
