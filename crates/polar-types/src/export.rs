//! The shape of the customers export, which the API document describes only as `text/csv`.

/// The header row of `GET /v1/customers/export`, in the order Polar's server writes it.
///
/// Each following row is one customer: empty fields for nulls, `Created At` in ISO 8601 and
/// `Metadata` as a JSON object (or empty).
pub const CUSTOMER_EXPORT_COLUMNS: [&str; 13] = [
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
