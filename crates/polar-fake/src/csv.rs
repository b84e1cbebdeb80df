//! The CSV export: the server's columns and formatting, produced chunk by chunk.

use crate::rules;
use crate::store::{Record, python_json};

/// The `Tax ID` column: Python's repr of the stored `(value, TaxIDFormat)` pair.
fn tax_id_repr(value: &str, format: &str) -> String {
    format!("('{value}', <TaxIDFormat.{format}: '{format}'>)")
}

/// The header row, as the server writes it (`server/polar/customer/endpoints.py`, `export`).
pub(crate) const HEADER: [&str; 13] = [
    "ID",
    "External ID",
    "Created At",
    "Email",
    "Name",
    "Tax ID",
    "Billing Address Line 1",
    "Billing Address Line 2",
    "Billing Address City",
    "Billing Address State",
    "Billing Address Zip",
    "Billing Address Country",
    "Metadata",
];

/// Rows per chunk of the streamed body.
pub(crate) const ROWS_PER_CHUNK: usize = 100;
/// Records looked at per chunk at most (deleted ones are skipped), so a lock is held briefly.
pub(crate) const SCAN_PER_CHUNK: usize = 2_000;

/// Appends one field, quoted the way Python's `csv` module does in the Excel dialect:
/// only when it holds a comma, a quote, CR or LF; quotes inside are doubled.
pub(crate) fn write_field(field: &str, out: &mut String) {
    if field.contains([',', '"', '\r', '\n']) {
        out.push('"');
        for c in field.chars() {
            if c == '"' {
                out.push('"');
            }
            out.push(c);
        }
        out.push('"');
    } else {
        out.push_str(field);
    }
}

/// Appends one row of fields, ended by CRLF.
pub(crate) fn write_line<'a>(fields: impl IntoIterator<Item = &'a str>, out: &mut String) {
    for (i, f) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_field(f, out);
    }
    out.push_str("\r\n");
}

/// Appends the header row.
pub(crate) fn write_header(out: &mut String) {
    write_line(HEADER, out);
}

fn s(v: Option<&String>) -> &str {
    v.map_or("", String::as_str)
}

/// Appends one customer's row.
pub(crate) fn write_row(r: &Record, out: &mut String) {
    let id = r.id.to_string();
    let created = rules::fmt_iso_ts(r.created_at);
    let metadata = if r.metadata.is_empty() {
        String::new()
    } else {
        python_json(&r.metadata)
    };
    let a = r.billing_address.as_ref();
    let tax_id = r
        .tax_id
        .as_ref()
        .map_or(String::new(), |(v, f)| tax_id_repr(v, f));
    write_line(
        [
            id.as_str(),
            s(r.external_id.as_ref()),
            created.as_str(),
            s(r.email.as_ref()),
            s(r.name.as_ref()),
            tax_id.as_str(),
            s(a.and_then(|a| a.line1.as_ref())),
            s(a.and_then(|a| a.line2.as_ref())),
            s(a.and_then(|a| a.city.as_ref())),
            s(a.and_then(|a| a.state.as_ref())),
            s(a.and_then(|a| a.postal_code.as_ref())),
            a.map_or("", |a| a.country.as_str()),
            metadata.as_str(),
        ],
        out,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_quoting() {
        let mut out = String::new();
        write_line(
            ["plain", "a,b", "say \"hi\"", "two\nlines", "cr\r", ""],
            &mut out,
        );
        assert_eq!(
            out,
            "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\r\",\r\n"
        );
    }

    #[test]
    fn tax_id_as_python_writes_it() {
        let mut out = String::new();
        write_line([tax_id_repr("FR61954506077", "eu_vat").as_str()], &mut out);
        assert_eq!(
            out,
            "\"('FR61954506077', <TaxIDFormat.eu_vat: 'eu_vat'>)\"\r\n"
        );
    }

    #[test]
    fn header_row() {
        let mut out = String::new();
        write_header(&mut out);
        assert!(
            out.starts_with("ID,External ID,Created At,Email,Name,Tax ID,Billing Address Line 1,")
        );
        assert!(out.ends_with("Billing Address Zip,Billing Address Country,Metadata\r\n"));
    }
}
