//! Rust names for spec names.

/// Splits an identifier into words at `_`, `-`, spaces and case changes (`HTTPValidation` ->
/// `HTTP`, `Validation`).
pub fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in s
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
    {
        let chars: Vec<char> = part.chars().collect();
        let mut cur = String::new();
        for i in 0..chars.len() {
            let c = chars[i];
            let prev = if i > 0 { Some(chars[i - 1]) } else { None };
            let next = chars.get(i + 1).copied();
            let boundary = match prev {
                None => false,
                Some(p) => {
                    (c.is_ascii_uppercase() && (p.is_ascii_lowercase() || p.is_ascii_digit()))
                        || (c.is_ascii_uppercase()
                            && p.is_ascii_uppercase()
                            && next.is_some_and(|n| n.is_ascii_lowercase()))
                }
            };
            if boundary && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            cur.push(c);
        }
        if !cur.is_empty() {
            out.push(cur);
        }
    }
    out
}

/// `TaxIDFormat` -> `TaxIdFormat`, `eu_vat` -> `EuVat`, `US` -> `Us`; brand names keep their
/// own spelling, as the spec's schema names write them (`github` -> `GitHub`), so a value and
/// the schema named after it agree (`BenefitType::GitHubRepository`,
/// `BenefitGrantProperties::GitHubRepository`).
pub fn upper_camel(s: &str) -> String {
    words(s)
        .iter()
        .map(|w| {
            let lower = w.to_ascii_lowercase();
            if lower == "github" {
                return "GitHub".to_owned();
            }
            let mut cs = lower.chars();
            match cs.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + cs.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// Variant name of a string enum value: a leading `-` (descending sort) becomes a `Desc` suffix.
pub fn variant(value: &str) -> String {
    let (base, desc) = match value.strip_prefix('-') {
        Some(rest) => (rest, true),
        None => (value, false),
    };
    let mut name = upper_camel(base);
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("V{name}");
    }
    if desc {
        name.push_str("Desc");
    }
    name
}

/// A Rust field name for a JSON property.
pub fn field(name: &str) -> String {
    match name {
        "type" | "match" | "ref" | "self" | "struct" | "enum" | "fn" | "mod" | "use" | "in" => {
            format!("r#{name}")
        }
        _ => name.to_owned(),
    }
}
