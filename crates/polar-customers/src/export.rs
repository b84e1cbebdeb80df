//! The CSV export: a byte stream that is never buffered whole, and a streaming row parser.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use futures_core::Stream;
use http::StatusCode;
use http_body::Body as _;
use polar_transport::ResponseBody;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::Error;
use crate::error::DecodeError;
use crate::request::Tokens;
use crate::types::{CountryCode, CustomerId, Metadata};

/// The largest single CSV record the row parser accepts, in bytes (a customer with 50 metadata
/// entries of 500 characters stays far below it).
pub const MAX_RECORD_BYTES: usize = 1024 * 1024;

/// The body of an export answer, as a stream of byte chunks in the order the server sent them.
///
/// Nothing is buffered beyond the chunk being handed out. Write it somewhere with
/// [`write_to`](Self::write_to) or parse it with [`rows`](Self::rows).
pub struct ExportStream {
    body: ResponseBody,
    status: StatusCode,
    tokens: Tokens,
    done: bool,
}

impl fmt::Debug for ExportStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExportStream")
            .field("status", &self.status)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl ExportStream {
    pub(crate) fn new(status: StatusCode, body: ResponseBody, tokens: Tokens) -> Self {
        ExportStream {
            body,
            status,
            tokens,
            done: false,
        }
    }

    /// Copies the whole export into `writer`, chunk by chunk, then flushes it.
    ///
    /// Returns the number of bytes written. Memory use is one chunk, whatever the file size.
    pub async fn write_to<W>(mut self, writer: &mut W) -> Result<u64, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let mut written = 0u64;
        while let Some(chunk) = futures_util::StreamExt::next(&mut self).await {
            let chunk = chunk?;
            writer.write_all(&chunk).await.map_err(Error::Io)?;
            written += chunk.len() as u64;
        }
        writer.flush().await.map_err(Error::Io)?;
        Ok(written)
    }

    /// Parses the export into typed rows as the bytes arrive.
    pub fn rows(self) -> ExportRows {
        ExportRows::new(self)
    }
}

impl Stream for ExportStream {
    type Item = Result<Bytes, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if self.done {
                return Poll::Ready(None);
            }
            match ready!(Pin::new(&mut self.body).poll_frame(cx)) {
                None => {
                    self.done = true;
                    return Poll::Ready(None);
                }
                Some(Err(err)) => {
                    self.done = true;
                    return Poll::Ready(Some(Err(Error::from_transport(err))));
                }
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data()
                        && !data.is_empty()
                    {
                        return Poll::Ready(Some(Ok(data)));
                    }
                    // Trailers and empty frames carry no CSV.
                }
            }
        }
    }
}

/// One customer of the export, with the columns Polar writes.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ExportRow {
    /// `ID`.
    pub id: CustomerId,
    /// `External ID`.
    pub external_id: Option<String>,
    /// `Created At`.
    pub created_at: jiff::Timestamp,
    /// `Email` (team customers may have none).
    pub email: Option<String>,
    /// `Name`.
    pub name: Option<String>,
    /// `Tax ID`, as the server formats it.
    pub tax_id: Option<String>,
    /// `Billing Address Line 1`.
    pub billing_address_line1: Option<String>,
    /// `Billing Address Line 2`.
    pub billing_address_line2: Option<String>,
    /// `Billing Address City`.
    pub billing_address_city: Option<String>,
    /// `Billing Address State`.
    pub billing_address_state: Option<String>,
    /// `Billing Address Zip`.
    pub billing_address_postal_code: Option<String>,
    /// `Billing Address Country`.
    pub billing_address_country: Option<CountryCode>,
    /// `Metadata` (empty when the column is empty).
    pub metadata: Metadata,
}

/// A column of the export the row parser reads, found by its name in the header row that
/// arrives (wherever it stands there; columns it does not know are skipped).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExportColumn {
    /// `ID`.
    Id,
    /// `External ID`.
    ExternalId,
    /// `Created At`.
    CreatedAt,
    /// `Email`.
    Email,
    /// `Name`.
    Name,
    /// `Tax ID`.
    TaxId,
    /// `Billing Address Line 1`.
    BillingAddressLine1,
    /// `Billing Address Line 2`.
    BillingAddressLine2,
    /// `Billing Address City`.
    BillingAddressCity,
    /// `Billing Address State`.
    BillingAddressState,
    /// `Billing Address Zip`.
    BillingAddressZip,
    /// `Billing Address Country`.
    BillingAddressCountry,
    /// `Metadata`.
    Metadata,
}

impl ExportColumn {
    /// Every column, in the order Polar's server writes them
    /// (`server/polar/customer/endpoints.py`, `export`).
    pub const ALL: [ExportColumn; 13] = [
        ExportColumn::Id,
        ExportColumn::ExternalId,
        ExportColumn::CreatedAt,
        ExportColumn::Email,
        ExportColumn::Name,
        ExportColumn::TaxId,
        ExportColumn::BillingAddressLine1,
        ExportColumn::BillingAddressLine2,
        ExportColumn::BillingAddressCity,
        ExportColumn::BillingAddressState,
        ExportColumn::BillingAddressZip,
        ExportColumn::BillingAddressCountry,
        ExportColumn::Metadata,
    ];

    /// The column's name in the header row.
    ///
    /// ```
    /// assert_eq!(polar_customers::ExportColumn::TaxId.header(), "Tax ID");
    /// ```
    pub const fn header(self) -> &'static str {
        match self {
            ExportColumn::Id => "ID",
            ExportColumn::ExternalId => "External ID",
            ExportColumn::CreatedAt => "Created At",
            ExportColumn::Email => "Email",
            ExportColumn::Name => "Name",
            ExportColumn::TaxId => "Tax ID",
            ExportColumn::BillingAddressLine1 => "Billing Address Line 1",
            ExportColumn::BillingAddressLine2 => "Billing Address Line 2",
            ExportColumn::BillingAddressCity => "Billing Address City",
            ExportColumn::BillingAddressState => "Billing Address State",
            ExportColumn::BillingAddressZip => "Billing Address Zip",
            ExportColumn::BillingAddressCountry => "Billing Address Country",
            ExportColumn::Metadata => "Metadata",
        }
    }
}

/// Where each [`ExportColumn`] stands in the header row received.
#[derive(Clone, Copy, Debug)]
struct Columns([usize; ExportColumn::ALL.len()]);

impl Columns {
    /// Finds every column by name in `names`; the first one missing is the error.
    fn find(names: &[String]) -> Result<Self, ExportColumn> {
        let mut at = [0; ExportColumn::ALL.len()];
        for column in ExportColumn::ALL {
            at[column as usize] = names
                .iter()
                .position(|n| n == column.header())
                .ok_or(column)?;
        }
        Ok(Columns(at))
    }

    fn of(&self, column: ExportColumn) -> usize {
        self.0[column as usize]
    }
}

/// A stream of [`ExportRow`]s parsed from an [`ExportStream`] at constant memory.
///
/// The parser holds the current network chunk and the record being assembled (at most
/// [`MAX_RECORD_BYTES`]). The header row is checked: every [`ExportColumn`] must be present;
/// columns are read by name, so columns added by a later API version are ignored and the order
/// may change.
///
/// A row whose CSV is intact but whose values do not decode (an ID that is not a UUID, text
/// that is not UTF-8, metadata that is not JSON, such as a `NaN` written by Python) yields an
/// [`Error::Decode`] whose [`DecodeError::row`] gives the row, and the stream goes on with the
/// next row: skip it or stop, as you choose (`try_next()?` stops). A broken header, a record
/// over [`MAX_RECORD_BYTES`] and transport errors end the stream.
pub struct ExportRows {
    bytes: ExportStream,
    reader: csv_core::Reader,
    chunk: Bytes,
    pos: usize,
    record: Vec<u8>,
    record_len: usize,
    ends: Vec<usize>,
    ends_len: usize,
    /// Where each column stands, once the header is read.
    columns: Option<Columns>,
    row: u64,
    eof: bool,
    done: bool,
    /// The most bytes the parser held at once (the network chunk plus its record buffers),
    /// noted at each new chunk and each buffer growth: shown by `Debug` only, where the fuzz
    /// target `sdk_export_rows` reads it (the constant-memory tests count the heap instead).
    peak: usize,
}

impl fmt::Debug for ExportRows {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExportRows")
            .field("rows", &self.row)
            .field("peak_buffered_bytes", &self.peak)
            .finish_non_exhaustive()
    }
}

impl ExportRows {
    fn new(bytes: ExportStream) -> Self {
        ExportRows {
            bytes,
            reader: csv_core::ReaderBuilder::new().build(),
            chunk: Bytes::new(),
            pos: 0,
            record: vec![0; 1024],
            record_len: 0,
            ends: vec![0; 16],
            ends_len: 0,
            columns: None,
            row: 0,
            eof: false,
            done: false,
            peak: 0,
        }
    }

    /// The number of data rows yielded so far.
    pub fn rows_read(&self) -> u64 {
        self.row
    }

    fn note_usage(&mut self) {
        let held = self.chunk.len()
            + self.record.capacity()
            + self.ends.capacity() * std::mem::size_of::<usize>();
        self.peak = self.peak.max(held);
    }

    fn decode_error(&self, what: impl Into<String>, message: String) -> Error {
        let err = DecodeError::other(self.bytes.status, what, message.into());
        Error::from(err.redacted(&self.bytes.tokens))
    }

    /// Runs the CSV machine over the buffered input until a record is complete (`Some`), more
    /// input is needed (`None`), or the end is reached.
    fn next_record(&mut self) -> Result<Option<bool>, Error> {
        loop {
            if self.pos >= self.chunk.len() && !self.eof {
                // csv-core reads an empty input as the end of the data: only give it one at EOF.
                return Ok(None);
            }
            let input = &self.chunk[self.pos..];
            let (result, nin, nout, nend) = self.reader.read_record(
                input,
                &mut self.record[self.record_len..],
                &mut self.ends[self.ends_len..],
            );
            self.pos += nin;
            self.record_len += nout;
            self.ends_len += nend;
            match result {
                csv_core::ReadRecordResult::InputEmpty => {
                    if self.eof {
                        // csv-core always ends with `Record` or `End` on empty input; guard
                        // against looping if it ever did not.
                        return Ok(Some(false));
                    }
                    return Ok(None);
                }
                csv_core::ReadRecordResult::OutputFull => {
                    let new_len = self.record.len() * 2;
                    if new_len > MAX_RECORD_BYTES {
                        return Err(self.decode_error(
                            format!("row {}", self.row + 1),
                            format!("a CSV record exceeds {MAX_RECORD_BYTES} bytes"),
                        ));
                    }
                    self.record.resize(new_len, 0);
                    self.note_usage();
                }
                csv_core::ReadRecordResult::OutputEndsFull => {
                    if self.ends.len() >= 4096 {
                        return Err(self.decode_error(
                            format!("row {}", self.row + 1),
                            "a CSV record has more than 4096 fields".into(),
                        ));
                    }
                    let new_len = self.ends.len() * 2;
                    self.ends.resize(new_len, 0);
                    self.note_usage();
                }
                csv_core::ReadRecordResult::Record => return Ok(Some(true)),
                csv_core::ReadRecordResult::End => return Ok(Some(false)),
            }
        }
    }

    fn field(&self, i: usize) -> Option<&[u8]> {
        if i >= self.ends_len {
            return None;
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.record[start..self.ends[i]])
    }

    fn take_record(&mut self) -> Result<Option<ExportRow>, Error> {
        let result = match self.columns {
            None => {
                self.read_header()?;
                None
            }
            Some(columns) => {
                self.row += 1;
                let row = self.parse_row(&columns).map_err(|err| match err {
                    Error::Decode(e) => Error::Decode(Box::new(e.in_row(self.row))),
                    other => other,
                });
                // The record is done with, whether its values decoded or not.
                self.record_len = 0;
                self.ends_len = 0;
                return row.map(Some);
            }
        };
        self.record_len = 0;
        self.ends_len = 0;
        Ok(result)
    }

    fn read_header(&mut self) -> Result<(), Error> {
        let names: Vec<String> = (0..self.ends_len)
            .map(|i| {
                let raw = self.field(i).unwrap_or_default();
                let raw = if i == 0 {
                    raw.strip_prefix("\u{feff}".as_bytes()).unwrap_or(raw)
                } else {
                    raw
                };
                String::from_utf8_lossy(raw).trim().to_owned()
            })
            .collect();
        let columns = Columns::find(&names).map_err(|missing| {
            self.decode_error(
                "header",
                format!(
                    "the export has no `{}` column (header: {names:?})",
                    missing.header()
                ),
            )
        })?;
        self.columns = Some(columns);
        Ok(())
    }

    fn parse_row(&self, columns: &Columns) -> Result<ExportRow, Error> {
        use ExportColumn as C;
        let row = self.row;
        let at = |c: ExportColumn| format!("row {row} column `{}`", c.header());
        // Borrowed from the record: the columns only parsed (ID, time, metadata, country) cost
        // no allocation; `text` allocates for the columns the row keeps as text.
        let str_of = |c: ExportColumn| -> Result<Option<&str>, Error> {
            let raw = self.field(columns.of(c)).ok_or_else(|| {
                self.decode_error(
                    format!("row {row}"),
                    format!("missing column `{}`", c.header()),
                )
            })?;
            if raw.is_empty() {
                return Ok(None);
            }
            std::str::from_utf8(raw)
                .map(Some)
                .map_err(|_| self.decode_error(at(c), "not UTF-8".into()))
        };
        let text = |c: ExportColumn| Ok::<_, Error>(str_of(c)?.map(str::to_owned));
        let required =
            |c: ExportColumn| str_of(c)?.ok_or_else(|| self.decode_error(at(c), "empty".into()));
        let bad = |c: ExportColumn, e: &dyn fmt::Display| self.decode_error(at(c), e.to_string());

        let id: CustomerId = required(C::Id)?.parse().map_err(|e| bad(C::Id, &e))?;
        let created_at =
            parse_timestamp(required(C::CreatedAt)?).map_err(|e| bad(C::CreatedAt, &e))?;
        let metadata = match str_of(C::Metadata)? {
            None => Metadata::default(),
            Some(json) => serde_json::from_str(json).map_err(|e| bad(C::Metadata, &e))?,
        };
        Ok(ExportRow {
            id,
            external_id: text(C::ExternalId)?,
            created_at,
            email: text(C::Email)?,
            name: text(C::Name)?,
            tax_id: text(C::TaxId)?,
            billing_address_line1: text(C::BillingAddressLine1)?,
            billing_address_line2: text(C::BillingAddressLine2)?,
            billing_address_city: text(C::BillingAddressCity)?,
            billing_address_state: text(C::BillingAddressState)?,
            billing_address_postal_code: text(C::BillingAddressZip)?,
            billing_address_country: str_of(C::BillingAddressCountry)?.map(CountryCode::from),
            metadata,
        })
    }
}

/// ISO 8601 with an offset; a space instead of `T` and a missing offset (taken as UTC) are
/// accepted too.
fn parse_timestamp(s: &str) -> Result<jiff::Timestamp, jiff::Error> {
    // An instant with an offset (`Z`, `+01:00`, `-0500`, `[UTC]`) or a civil time read as UTC.
    // Only a time with an offset can be an instant, so an export written in civil times never
    // builds (and drops) a parse error per row.
    let time = s.find(['T', 't', ' ']).map_or("", |i| &s[i + 1..]);
    if time.contains(['Z', 'z', '+', '-', '['])
        && let Ok(ts) = s.parse::<jiff::Timestamp>()
    {
        return Ok(ts);
    }
    let civil: jiff::civil::DateTime = s.parse()?;
    jiff::tz::TimeZone::UTC.to_timestamp(civil)
}

impl Stream for ExportRows {
    type Item = Result<ExportRow, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            match this.next_record() {
                Err(err) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(err)));
                }
                Ok(Some(true)) => match this.take_record() {
                    Ok(Some(row)) => return Poll::Ready(Some(Ok(row))),
                    Ok(None) => continue,
                    // One row's values: the framing is intact, the next row follows.
                    Err(err) if matches!(&err, Error::Decode(e) if e.row().is_some()) => {
                        return Poll::Ready(Some(Err(err)));
                    }
                    Err(err) => {
                        this.done = true;
                        return Poll::Ready(Some(Err(err)));
                    }
                },
                Ok(Some(false)) => {
                    this.done = true;
                    if this.columns.is_none() {
                        return Poll::Ready(Some(Err(this.decode_error(
                            "header",
                            "the export is empty (no header row)".into(),
                        ))));
                    }
                    return Poll::Ready(None);
                }
                Ok(None) => {
                    // Need more input: fetch the next chunk.
                    match ready!(Pin::new(&mut this.bytes).poll_next(cx)) {
                        Some(Ok(chunk)) => {
                            this.chunk = chunk;
                            this.pos = 0;
                            this.note_usage();
                        }
                        Some(Err(err)) => {
                            this.done = true;
                            return Poll::Ready(Some(Err(err)));
                        }
                        None => {
                            this.chunk = Bytes::new();
                            this.pos = 0;
                            this.eof = true;
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_timestamp;

    #[test]
    fn created_at_is_read_with_or_without_an_offset() {
        let utc = "2026-11-02T09:30:00Z";
        for s in [
            "2026-11-02T09:30:00Z",
            "2026-11-02 09:30:00+00:00",
            "2026-11-02T10:30:00+01:00",
            "2026-11-02T04:30:00-05:00",
            "2026-11-02T04:30:00-0500",
            "2026-11-02 09:30:00",
            "2026-11-02T09:30:00",
        ] {
            assert_eq!(parse_timestamp(s).unwrap().to_string(), utc, "{s}");
        }
        assert!(parse_timestamp("yesterday").is_err());
        assert!(parse_timestamp("").is_err());
    }
}
