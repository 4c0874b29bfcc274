//! Reading and writing tables: the only module that uses polars.
//!
//! Reading: `.csv` and `.parquet` by extension (or an explicit [`Format`]). CSV files are split
//! into cells here, in one pass over the bytes ([`split_csv`]), with every column as text so that
//! [`super::load`] decides what a cell means and can name the row of a bad value; the pass counts
//! the fields of every line, which gives clear messages for ragged or truncated files, and keeps
//! the file line of every data row. The cells stay in one buffer ([`CsvCells`]): a string per cell
//! cost more time and memory than everything else put together. Parquet files are read with
//! polars; their columns are converted by type: numbers to `f64`, dates and date-times to
//! seconds, strings to text.
//!
//! Writing: `.csv`, `.parquet` or `.json` (an array of row objects) by extension. Every file is
//! written to a temporary file in the target's directory and renamed over the target, so a
//! failure never leaves half a file ([`write_atomic`], [`write_atomic_with`]).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};

use polars::prelude as pl;
use polars::prelude::{NamedFrom, SerReader};

use super::table::{CellEnds, Column, CsvCells, Table};
use super::time::{format_timestamp, DAY};
use super::TimeKind;
use crate::error::{Error, Result};

/// A file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma- (or otherwise) separated text with a header line.
    Csv,
    /// Apache Parquet.
    Parquet,
    /// JSON array of row objects (output only).
    Json,
}

impl Format {
    /// The format named by a path's extension (case-insensitive), if any.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "tsv" | "txt" => Some(Format::Csv),
            "parquet" | "pq" => Some(Format::Parquet),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

impl FromStr for Format {
    type Err = Error;
    fn from_str(s: &str) -> Result<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "parquet" => Ok(Format::Parquet),
            "json" => Ok(Format::Json),
            other => Err(Error::usage(format!(
                "unknown format '{other}': use csv, parquet or json"
            ))),
        }
    }
}

fn name_of(path: &Path) -> String {
    path.display().to_string()
}

/// Reads a CSV or Parquet file into a [`Table`]. `format` overrides the extension; `delimiter`
/// sets the CSV field separator (default: `,`, or `;` / tab when the header line has no comma
/// but has those).
pub fn read_table(path: &Path, format: Option<Format>, delimiter: Option<u8>) -> Result<Table> {
    let file = name_of(path);
    let format = match format.or_else(|| Format::from_path(path)) {
        Some(f) => f,
        None => {
            return Err(Error::usage(format!(
                "cannot tell the format of '{file}' from its name: use a .csv or .parquet file, \
                 or pass --format csv|parquet"
            )))
        }
    };
    if path.is_dir() {
        return Err(Error::data(format!("'{file}' is a directory, not a data file")));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Error::data(format!(
            "'{file}' is empty: expected a header line and at least one data row"
        )));
    }
    match format {
        Format::Csv => read_csv(path, bytes, delimiter),
        Format::Parquet => read_parquet(path, &bytes),
        Format::Json => Err(Error::usage(format!(
            "cannot read '{file}': JSON input is not supported; convert it to CSV or Parquet"
        ))),
    }
}

/// A CSV file split into cells by [`split_csv`].
struct SplitCsv {
    /// The separator used.
    delimiter: u8,
    /// The header's fields (quotes removed), in order.
    header: Vec<String>,
    /// The data cells, row-major; rows are only aligned when `ragged` is `None`.
    text: Vec<u8>,
    /// End in `text` of every data cell.
    ends: CellEnds,
    /// The 1-based file line where each data row starts.
    lines: Vec<usize>,
    /// The first data row whose field count differs from the header's: (index, line, fields).
    ragged: Option<(usize, usize, usize)>,
    /// The line of a quote that is never closed, if any.
    open_quote: Option<usize>,
    /// The first line with text after the closing quote of a quoted field, and that text's first
    /// byte, if any.
    after_quote: Option<(usize, u8)>,
}

/// The separator when `--delimiter` is not given: `,`, or `;` / tab when the header line has no
/// comma but has those.
fn detect_delimiter(bytes: &[u8]) -> u8 {
    let header_end = bytes.iter().position(|&b| b == b'\n').unwrap_or(bytes.len());
    let header = &bytes[..header_end];
    let n = |c: u8| header.iter().filter(|&&b| b == c).count();
    if n(b',') == 0 && n(b';') > 0 {
        b';'
    } else if n(b',') == 0 && n(b'\t') > 0 {
        b'\t'
    } else {
        b','
    }
}

/// Files from this size are split in two halves on two threads ([`split_csv`]).
const PARALLEL_BYTES: usize = 4 << 20;

/// Splits CSV text into records and fields, in place: the text of each field (its quotes
/// removed, `""` inside quotes read as `"`) is moved to the front of the buffer, one field after
/// the other, so no field is copied into a string of its own.
///
/// The rules (RFC 4180, as polars read files before): a field that starts with `"` is quoted: it
/// runs to the next lone `"` (`""` inside it is one `"`), may hold the separator and line breaks,
/// and only the separator or the end of the line may follow it; a `"` elsewhere in a field is an
/// ordinary character. A record ends at a line break outside quoted fields; carriage returns
/// before a line break or the end of the file are dropped; a record of only whitespace is
/// skipped (a blank line). The first record is the header.
///
/// A large file is split as two halves at once, cut at a line break after the middle; see
/// [`halfway`] for when that gives the same result.
fn split_csv(buf: Vec<u8>, delimiter: u8) -> SplitCsv {
    split_csv_from(buf, delimiter, PARALLEL_BYTES)
}

/// [`split_csv`], in two halves from `parallel_bytes` bytes.
fn split_csv_from(mut buf: Vec<u8>, delimiter: u8, parallel_bytes: usize) -> SplitCsv {
    let bom = if buf.starts_with(b"\xef\xbb\xbf") { 3 } else { 0 };
    let whole = buf.len();
    let Some((middle, width)) = halfway(&buf, bom, delimiter, parallel_bytes) else {
        let part = split_part(&mut buf, bom, delimiter, None, whole);
        buf.truncate(part.text_len);
        return SplitCsv {
            delimiter,
            header: part.header.unwrap_or_default(),
            text: buf,
            ends: part.ends,
            lines: part.lines,
            ragged: part.ragged,
            open_quote: part.open_quote,
            after_quote: part.after_quote,
        };
    };
    let (first, second) = buf.split_at_mut(middle);
    let (mut a, b) = std::thread::scope(|scope| {
        let b = scope.spawn(|| split_part(second, 0, delimiter, Some(width), 0));
        let a = split_part(first, bom, delimiter, None, whole);
        (
            a,
            b.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
        )
    });
    // The second half's text goes right after the first's; its ends, rows and lines follow.
    buf.copy_within(middle..middle + b.text_len, a.text_len);
    buf.truncate(a.text_len + b.text_len);
    let line_offset = a.line - 1;
    let rows_before = a.lines.len();
    a.ends.extend_shifted(&b.ends, a.text_len);
    a.lines.extend(b.lines.iter().map(|line| line + line_offset));
    SplitCsv {
        delimiter,
        header: a.header.unwrap_or_default(),
        text: buf,
        ends: a.ends,
        lines: a.lines,
        ragged: a.ragged.or_else(|| {
            b.ragged
                .map(|(row, line, fields)| (row + rows_before, line + line_offset, fields))
        }),
        open_quote: a.open_quote.or(b.open_quote.map(|line| line + line_offset)),
        after_quote: a
            .after_quote
            .or(b.after_quote.map(|(line, byte)| (line + line_offset, byte))),
    }
}

/// Where a file of `parallel_bytes` or more can be split in two halves that read the same as the
/// whole, and the header's field count: at the first line break after the middle, when the
/// first line is a whole header record (not blank, no line break in a quoted field) and no quote
/// follows it in the first half (so every line there is a record and the second half starts one).
fn halfway(bytes: &[u8], bom: usize, delimiter: u8, parallel_bytes: usize) -> Option<(usize, usize)> {
    let n = bytes.len();
    if n < parallel_bytes.max(2) {
        return None;
    }
    let header_end = bom + bytes[bom..].iter().position(|&b| b == b'\n')?;
    let middle = n / 2 + bytes[n / 2..].iter().position(|&b| b == b'\n')? + 1;
    let header = &bytes[bom..header_end];
    if middle <= header_end
        || middle == n
        || header.iter().all(u8::is_ascii_whitespace)
        || bytes[header_end..middle].contains(&b'"')
    {
        return None;
    }
    // The header's fields; a quoted field must close on the line.
    let (mut width, mut field_start, mut i) = (1, true, 0);
    while i < header.len() {
        let b = header[i];
        i += 1;
        if b == delimiter {
            (width, field_start) = (width + 1, true);
            continue;
        }
        if b == b'"' && field_start {
            // To the closing quote, past any `""`.
            loop {
                i += header[i..].iter().position(|&b| b == b'"')? + 1;
                if header.get(i) != Some(&b'"') {
                    break;
                }
                i += 1;
            }
        }
        field_start = false;
    }
    Some((middle, width))
}

/// What [`split_part`] found in a stretch of records.
struct Part {
    /// The header, when the part started the file.
    header: Option<Vec<String>>,
    /// Bytes of cell text at the front of the part.
    text_len: usize,
    /// End of every data cell in that text.
    ends: CellEnds,
    /// Line of every data row, counted from 1 at the part's start.
    lines: Vec<usize>,
    /// The first data row whose field count differs from the header's: (index, line, fields).
    ragged: Option<(usize, usize, usize)>,
    /// The line of a quote that is never closed, if any.
    open_quote: Option<usize>,
    /// The first line with text after the closing quote of a quoted field, and that text's first
    /// byte, if any.
    after_quote: Option<(usize, u8)>,
    /// The line after the part's last line break (1 + the line breaks read).
    line: usize,
}

/// Splits the records of `bytes` from byte `start` (see [`split_csv`]). With `width` the part
/// has no header and its rows should have `width` fields; without, the first record is the
/// header. `capacity_bytes` (at least the part's length) sizes the vectors for the records.
fn split_part(
    bytes: &mut [u8],
    start: usize,
    delimiter: u8,
    width: Option<usize>,
    capacity_bytes: usize,
) -> Part {
    const PLAIN: u8 = 0;
    const SEPARATOR: u8 = 1;
    const NEWLINE: u8 = 2;
    const QUOTE: u8 = 3;
    const RETURN: u8 = 4;
    let mut class = [PLAIN; 256];
    class[usize::from(delimiter)] = SEPARATOR;
    class[usize::from(b'\n')] = NEWLINE;
    class[usize::from(b'"')] = QUOTE;
    class[usize::from(b'\r')] = RETURN;

    let n = bytes.len();
    let capacity_bytes = capacity_bytes.max(n);
    // Room for the records, estimated from the first megabyte (growing a vector copies it), and
    // for their cells; neither can outnumber the bytes (a record takes two, a cell one).
    let sample = &bytes[..n.min(1 << 20)];
    let sample_lines = sample.iter().filter(|&&b| b == b'\n').count() + 1;
    let records = sample_lines
        .saturating_mul(capacity_bytes / sample.len().max(1) + 1)
        .min(capacity_bytes / 2 + 1);
    let cells = |width: usize| records.saturating_mul(width).min(capacity_bytes + 1);
    let mut header: Option<Vec<String>> = None;
    let mut width = width;
    let mut ends = CellEnds::for_text(capacity_bytes, width.map_or(64, cells));
    let mut lines: Vec<usize> = Vec::with_capacity(records);
    let (mut ragged, mut open_quote, mut after_quote) = (None, None, None);
    let (mut r, mut w, mut line) = (start, 0, 1);
    // The record being read: its first line, its fields so far, whether it had a quoted field,
    // and where its text and its cell ends begin; and where the current field begins.
    let (mut rec_line, mut fields, mut quoted, mut rec_w, mut rec_ends) = (1, 1, false, 0, 0);
    let mut field_r = start;
    loop {
        // Plain text up to the next special byte, moved to the front.
        while r < n && class[usize::from(bytes[r])] == PLAIN {
            bytes[w] = bytes[r];
            (r, w) = (r + 1, w + 1);
        }
        let end_of_record = if r == n {
            true
        } else {
            match class[usize::from(bytes[r])] {
                SEPARATOR => {
                    ends.push(w);
                    fields += 1;
                    r += 1;
                    field_r = r;
                    false
                }
                NEWLINE => {
                    r += 1;
                    line += 1;
                    true
                }
                RETURN => {
                    let mut run = r;
                    while run < n && bytes[run] == b'\r' {
                        run += 1;
                    }
                    if run < n && bytes[run] != b'\n' && bytes[run] != delimiter {
                        // Carriage returns inside a field are text.
                        bytes.copy_within(r..run, w);
                        w += run - r;
                    }
                    r = run;
                    false
                }
                _ if r != field_r => {
                    // A quote inside a field is text.
                    bytes[w] = b'"';
                    (r, w) = (r + 1, w + 1);
                    false
                }
                _ => {
                    // A quoted field: text up to the closing quote; `""` is a quote.
                    quoted = true;
                    let mut quote_line = line;
                    r += 1;
                    loop {
                        while r < n && bytes[r] != b'"' {
                            line += usize::from(bytes[r] == b'\n');
                            bytes[w] = bytes[r];
                            (r, w) = (r + 1, w + 1);
                        }
                        if r == n {
                            open_quote = Some(quote_line);
                            break;
                        }
                        if r + 1 < n && bytes[r + 1] == b'"' {
                            bytes[w] = b'"';
                            (r, w) = (r + 2, w + 1);
                            quote_line = line;
                        } else {
                            r += 1;
                            break;
                        }
                    }
                    if open_quote.is_some() {
                        break;
                    }
                    // Only the separator or the end of the line may follow.
                    let mut next = r;
                    while next < n && bytes[next] == b'\r' {
                        next += 1;
                    }
                    let ends_field = next == n || bytes[next] == b'\n' || bytes[next] == delimiter;
                    if !ends_field && after_quote.is_none() {
                        after_quote = Some((line, bytes[next]));
                    }
                    false
                }
            }
        };
        if !end_of_record {
            continue;
        }
        ends.push(w);
        let blank = fields == 1 && !quoted && bytes[rec_w..w].iter().all(u8::is_ascii_whitespace);
        match width {
            _ if blank => {
                ends.truncate(rec_ends);
                w = rec_w;
            }
            None => {
                let mut from = 0;
                let names = (0..ends.len())
                    .map(|k| {
                        let to = ends.get(k);
                        let name = String::from_utf8_lossy(&bytes[from..to]).into_owned();
                        from = to;
                        name
                    })
                    .collect();
                header = Some(names);
                width = Some(fields);
                ends = CellEnds::for_text(capacity_bytes, cells(fields));
                w = 0;
            }
            Some(width) => {
                if fields != width && ragged.is_none() {
                    ragged = Some((lines.len(), rec_line, fields));
                }
                lines.push(rec_line);
            }
        }
        if r == n {
            break;
        }
        (rec_line, fields, quoted, rec_w, rec_ends) = (line, 1, false, w, ends.len());
        field_r = r;
    }
    Part {
        header,
        text_len: w,
        ends,
        lines,
        ragged,
        open_quote,
        after_quote,
        line,
    }
}

/// Column names as polars named them (kept so that files read the same as before): a repeated
/// name gets `_duplicated_0`, `_duplicated_1`, ...; then surrounding spaces and a byte-order mark
/// are trimmed and an empty name becomes `column_K`.
fn column_names(raw: Vec<String>) -> Vec<String> {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut names = Vec::with_capacity(raw.len());
    for (k, name) in raw.into_iter().enumerate() {
        let repeats = seen.entry(name.clone()).or_insert(0);
        let name = if *repeats == 0 {
            name
        } else {
            format!("{name}_duplicated_{}", *repeats - 1)
        };
        *repeats += 1;
        let trimmed = name.trim_start_matches('\u{feff}').trim();
        names.push(if trimmed.is_empty() {
            format!("column_{}", k + 1)
        } else {
            trimmed.to_string()
        });
    }
    names
}

fn read_csv(path: &Path, bytes: Vec<u8>, delimiter: Option<u8>) -> Result<Table> {
    let file = name_of(path);
    if bytes.starts_with(PARQUET_MAGIC) {
        return Err(Error::data(format!(
            "'{file}' is a Parquet file (it starts with 'PAR1'), not CSV: rename it to .parquet or pass --format parquet"
        )));
    }
    if let Err(e) = std::str::from_utf8(&bytes) {
        let at = e.valid_up_to();
        let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
        let column = at - bytes[..at].iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1) + 1;
        let what = if bytes.contains(&0) {
            "it looks like a binary file, not CSV text".to_string()
        } else {
            "save the file as UTF-8 (for example from a Latin-1 or Windows-1252 export)".to_string()
        };
        return Err(Error::data(format!(
            "'{file}': line {line} is not valid UTF-8 text (byte 0x{:02X} at column {column}); {what}",
            bytes[at]
        )));
    }
    let delimiter = match delimiter {
        Some(d) if !d.is_ascii() || matches!(d, b'"' | b'\n' | b'\r') => {
            return Err(Error::usage(format!(
                "--delimiter {:?} cannot separate CSV fields: use an ASCII character other than a \
                 quote or a line break",
                d as char
            )))
        }
        Some(d) => d,
        None => detect_delimiter(bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes)),
    };
    let no_final_newline = !bytes.ends_with(b"\n");
    let split = split_csv(bytes, delimiter);
    if let Some(line) = split.open_quote {
        return Err(Error::data(format!(
            "'{file}': the quote (\") opened on line {line} is never closed; close it, or write a quote \
             inside a quoted field as \"\""
        )));
    }
    if split.lines.is_empty() {
        return Err(Error::data(format!(
            "'{file}' has a header line but no data rows: add data rows below the header"
        )));
    }
    let header_fields = split.header.len();
    if let Some((k, line, fields)) = split.ragged {
        let sep = match split.delimiter {
            b'\t' => "tab".to_string(),
            d => format!("'{}'", d as char),
        };
        let mut msg = format!(
            "'{file}': line {line} has {fields} field(s) but the header has {header_fields} (separator {sep})"
        );
        if k + 1 == split.lines.len() && fields < header_fields && no_final_newline {
            msg.push_str(": the file looks truncated; re-export it or delete the incomplete last line");
        } else if header_fields == 1 || fields == 1 {
            msg.push_str(": if the file uses another separator, pass --delimiter (e.g. --delimiter ';')");
        } else {
            msg.push_str(": fix that line (quote fields that contain the separator)");
        }
        return Err(Error::data(msg));
    }
    if let Some((line, next)) = split.after_quote {
        let hint = match next {
            b',' | b';' | b'\t' | b'|' => format!(
                " (if fields are separated by {}, pass --delimiter)",
                if next == b'\t' {
                    "tabs".to_string()
                } else {
                    format!("'{}'", next as char)
                }
            ),
            _ => String::new(),
        };
        return Err(Error::data(format!(
            "'{file}': line {line} has text after the closing quote of a quoted field{hint}; quote \
             the whole field, and write a quote inside it as \"\""
        )));
    }
    // Only ASCII bytes (quotes, separators, line ends) were removed from valid UTF-8 text, so
    // the cells are valid UTF-8 too.
    let text = String::from_utf8(split.text)
        .map_err(|e| Error::runtime(format!("internal: CSV cells of '{file}' are not UTF-8: {e}")))?;
    let cells = CsvCells::new(text, split.ends, header_fields)?;
    let columns = cells.into_columns().into_iter().map(Column::CsvText).collect();
    let mut table =
        Table::new(column_names(split.header), columns).map_err(|e| Error::data(format!("'{file}': {e}")))?;
    table.lines = Some(split.lines);
    Ok(table)
}

/// The four bytes that start and end every Parquet file.
const PARQUET_MAGIC: &[u8] = b"PAR1";

fn read_parquet(path: &Path, bytes: &[u8]) -> Result<Table> {
    let file = name_of(path);
    if !bytes.starts_with(PARQUET_MAGIC) {
        let hint = if std::str::from_utf8(&bytes[..bytes.len().min(4096)]).is_ok() {
            "it looks like text: if it is CSV, rename it to .csv or pass --format csv"
        } else {
            "check that it really is a Parquet file"
        };
        return Err(Error::data(format!(
            "'{file}' is not a Parquet file (it does not start with 'PAR1'); {hint}"
        )));
    }
    if bytes.len() < 12 || !bytes.ends_with(PARQUET_MAGIC) {
        return Err(Error::data(format!(
            "'{file}' is an incomplete Parquet file ({} bytes; it does not end with 'PAR1'): it looks \
             truncated, write or copy it again",
            bytes.len()
        )));
    }
    let handle = File::open(path).map_err(|e| Error::io(path, e))?;
    let df = guard(&file, || {
        pl::ParquetReader::new(handle).finish().map_err(|e| {
            Error::data(format!(
                "could not read '{file}' as Parquet: {e}. Check that the file is complete and really \
                 Parquet (pass --format csv for a CSV file with another extension)"
            ))
        })
    })?;
    let table = table_from_frame(&file, &df)?;
    if table.names.is_empty() {
        return Err(Error::data(format!("'{file}' has no columns")));
    }
    if table.rows() == 0 {
        return Err(Error::data(format!("'{file}' has columns but no rows")));
    }
    Ok(table)
}

/// Runs a polars call, turning a panic inside polars (malformed input it does not expect) into a
/// data error naming the file.
/// The panic message is not printed (the user gets the error instead).
fn guard<T>(file: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(hook);
    result.unwrap_or_else(|_| {
        Err(Error::data(format!(
            "could not read '{file}': the reader failed on malformed content"
        )))
    })
}

/// Converts a polars frame column by column.
fn table_from_frame(file: &str, df: &pl::DataFrame) -> Result<Table> {
    let mut names = Vec::with_capacity(df.width());
    let mut columns = Vec::with_capacity(df.width());
    for (k, col) in df.columns().iter().enumerate() {
        let raw = col.name().to_string();
        let name = raw.trim_start_matches('\u{feff}').trim().to_string();
        let name = if name.is_empty() {
            format!("column_{}", k + 1)
        } else {
            name
        };
        columns.push(convert_column(file, &name, col.as_materialized_series())?);
        names.push(name);
    }
    Table::new(names, columns).map_err(|e| Error::data(format!("'{file}': {e}")))
}

fn convert_column(file: &str, name: &str, s: &pl::Series) -> Result<Column> {
    let fail = |e: pl::PolarsError| {
        Error::data(format!(
            "'{file}': cannot read column '{name}' ({}): {e}",
            s.dtype()
        ))
    };
    Ok(match s.dtype() {
        pl::DataType::String => Column::Text(
            s.str()
                .map_err(fail)?
                .iter()
                .map(|v| v.map(str::to_string))
                .collect(),
        ),
        pl::DataType::Date => {
            let days = s.cast(&pl::DataType::Int32).map_err(fail)?;
            let days = days.i32().map_err(fail)?;
            Column::Time(
                days.iter().map(|d| d.map(|d| i64::from(d) * DAY)).collect(),
                TimeKind::Date,
            )
        }
        pl::DataType::Datetime(unit, _) => {
            let per_second = match unit {
                pl::TimeUnit::Nanoseconds => 1_000_000_000,
                pl::TimeUnit::Microseconds => 1_000_000,
                pl::TimeUnit::Milliseconds => 1_000,
            };
            let raw = s.cast(&pl::DataType::Int64).map_err(fail)?;
            let raw = raw.i64().map_err(fail)?;
            Column::Time(
                raw.iter().map(|v| v.map(|v| v.div_euclid(per_second))).collect(),
                TimeKind::DateTime,
            )
        }
        dt if dt.is_primitive_numeric() || dt.is_bool() => {
            let v = s.cast(&pl::DataType::Float64).map_err(fail)?;
            Column::Number(v.f64().map_err(fail)?.iter().collect())
        }
        _ => {
            let v = s.cast(&pl::DataType::String).map_err(fail)?;
            Column::Text(
                v.str()
                    .map_err(fail)?
                    .iter()
                    .map(|v| v.map(str::to_string))
                    .collect(),
            )
        }
    })
}

/// Writes `table` to `path` in the format of its extension (`.csv`, `.parquet`, `.json`),
/// atomically (temporary file + rename).
pub fn write_table(path: &Path, table: &Table) -> Result<()> {
    let format = Format::from_path(path).ok_or_else(|| {
        Error::usage(format!(
            "cannot tell the output format of '{}': use a .csv, .parquet or .json file name",
            path.display()
        ))
    })?;
    write_table_as(path, table, format)
}

/// Writes `table` to `path` in `format`, atomically.
pub fn write_table_as(path: &Path, table: &Table, format: Format) -> Result<()> {
    match format {
        Format::Csv => write_atomic_with(path, |w| write_csv(w, table)),
        Format::Json => write_atomic_with(path, |w| write_json(w, table)),
        Format::Parquet => {
            let mut df = frame_from_table(table)?;
            write_atomic_with(path, |w| {
                pl::ParquetWriter::new(w)
                    .finish(&mut df)
                    .map(|_| ())
                    .map_err(|e| {
                        Error::runtime(format!("could not write '{}' as Parquet: {e}", path.display()))
                    })
            })
        }
    }
}

/// Writes `table` as CSV with a header line (times formatted, missing cells empty).
pub fn write_csv<W: Write>(writer: W, table: &Table) -> Result<()> {
    let err = |e: csv::Error| Error::runtime(format!("could not write CSV: {e}"));
    let mut w = csv::Writer::from_writer(writer);
    w.write_record(&table.names).map_err(err)?;
    let mut record: Vec<String> = Vec::with_capacity(table.names.len());
    for row in 0..table.rows() {
        record.clear();
        record.extend(table.columns.iter().map(|c| c.cell_text(row).unwrap_or_default()));
        w.write_record(&record).map_err(err)?;
    }
    w.flush()
        .map_err(|e| Error::runtime(format!("could not write CSV: {e}")))
}

/// Writes `table` as a JSON array of row objects, keys in column order; missing cells and
/// non-finite numbers are `null`, times are strings (row numbers are integers).
pub fn write_json<W: Write>(mut writer: W, table: &Table) -> Result<()> {
    let err = |e: std::io::Error| Error::runtime(format!("could not write JSON: {e}"));
    let keys: Vec<String> = table
        .names
        .iter()
        .map(|n| serde_json::Value::String(n.clone()).to_string())
        .collect();
    let mut out = String::from("[");
    for row in 0..table.rows() {
        out.push_str(if row == 0 { "\n  {" } else { ",\n  {" });
        for (k, (key, col)) in keys.iter().zip(&table.columns).enumerate() {
            if k > 0 {
                out.push_str(", ");
            }
            out.push_str(key);
            out.push_str(": ");
            let value = match col {
                Column::Text(_) | Column::CsvText(_) => col
                    .cell_text(row)
                    .map_or(serde_json::Value::Null, serde_json::Value::String),
                Column::Number(v) => v
                    .get(row)
                    .copied()
                    .flatten()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(serde_json::Value::Null, serde_json::Value::Number),
                Column::Time(v, TimeKind::RowNumber) => v
                    .get(row)
                    .copied()
                    .flatten()
                    .map_or(serde_json::Value::Null, |t| serde_json::Value::Number(t.into())),
                Column::Time(v, kind) => v
                    .get(row)
                    .copied()
                    .flatten()
                    .map_or(serde_json::Value::Null, |t| {
                        serde_json::Value::String(format_timestamp(t, *kind))
                    }),
            };
            out.push_str(&value.to_string());
        }
        out.push('}');
    }
    out.push_str(if table.rows() == 0 { "]\n" } else { "\n]\n" });
    writer.write_all(out.as_bytes()).map_err(err)?;
    writer.flush().map_err(err)
}

/// Builds a polars frame: text → String, numbers → Float64, date-times → Datetime(ms),
/// dates → Date, row numbers → Int64.
fn frame_from_table(table: &Table) -> Result<pl::DataFrame> {
    let mut cols = Vec::with_capacity(table.columns.len());
    for (name, col) in table.names.iter().zip(&table.columns) {
        let name = pl::PlSmallStr::from(name.as_str());
        let cast = |s: pl::Series, dt: pl::DataType| {
            s.cast(&dt)
                .map_err(|e| Error::runtime(format!("could not convert column '{name}': {e}")))
        };
        let series = match col {
            Column::Text(_) | Column::CsvText(_) => {
                let v: Vec<Option<&str>> = col.texts().into_iter().flatten().collect();
                pl::Series::new(name.clone(), v)
            }
            Column::Number(v) => pl::Series::new(name.clone(), v.as_slice()),
            Column::Time(v, TimeKind::RowNumber) => pl::Series::new(name.clone(), v.as_slice()),
            Column::Time(v, TimeKind::Date) => {
                let days: Vec<Option<i32>> = v
                    .iter()
                    .map(|t| t.and_then(|t| i32::try_from(t.div_euclid(DAY)).ok()))
                    .collect();
                cast(pl::Series::new(name.clone(), days), pl::DataType::Date)?
            }
            Column::Time(v, TimeKind::DateTime) => {
                let ms: Vec<Option<i64>> = v.iter().map(|t| t.and_then(|t| t.checked_mul(1000))).collect();
                cast(
                    pl::Series::new(name.clone(), ms),
                    pl::DataType::Datetime(pl::TimeUnit::Milliseconds, None),
                )?
            }
        };
        cols.push(pl::Column::from(series));
    }
    pl::DataFrame::new(table.rows(), cols)
        .map_err(|e| Error::runtime(format!("could not build the output table: {e}")))
}

/// Refuses to replace an existing file at `path` unless `force`: a usage error naming the file,
/// `--force` and the flag that chose the path. Checked before any work, so nothing is lost.
pub fn ensure_replaceable(path: &Path, force: bool, flag: &str) -> Result<()> {
    if !force && path.exists() {
        return Err(Error::usage(format!(
            "'{}' exists: pass --force to replace it, or choose another {flag}",
            path.display()
        )));
    }
    Ok(())
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, synced, then
/// renamed over `path`. On failure the temporary file is removed and `path` is untouched.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |w| w.write_all(bytes).map_err(|e| Error::io(path, e)))
}

/// Like [`write_atomic`], with the content produced by `fill` writing into a buffered file.
pub fn write_atomic_with<F>(path: &Path, fill: F) -> Result<()>
where
    F: FnOnce(&mut BufWriter<File>) -> Result<()>,
{
    let file_name = path
        .file_name()
        .ok_or_else(|| Error::usage(format!("'{}' is not a file name", path.display())))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let temp = dir.join(format!(
        ".{}.{}.{}.tmp",
        file_name.to_string_lossy(),
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let file = File::create(&temp).map_err(|e| Error::io(path, e))?;
        let mut w = BufWriter::new(file);
        fill(&mut w)?;
        let file = w.into_inner().map_err(|e| Error::io(path, e.into_error()))?;
        file.sync_all().map_err(|e| Error::io(path, e))?;
        std::fs::rename(&temp, path).map_err(|e| Error::io(path, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &[u8]) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn texts(c: &Column) -> Vec<Option<String>> {
        (0..c.len()).map(|i| c.cell_text(i)).collect()
    }

    #[test]
    fn reads_csv_as_text_with_line_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "a.csv",
            b"\xef\xbb\xbfdate,y\r\n2020-01-01,1\r\n\r\n\"2020-01-02\",\"2,5\"\r\n2020-01-03,\r\n",
        );
        let t = read_table(&p, None, None).unwrap();
        assert_eq!(t.names, ["date", "y"]);
        assert_eq!(texts(&t.columns[1]), [Some("1".into()), Some("2,5".into()), None]);
        assert_eq!(t.lines.as_deref(), Some(&[2, 4, 5][..]));
        assert_eq!(t.row_label(1), "row 2 (line 4 of the file)");
    }

    #[test]
    fn detects_semicolons_and_reports_ragged_and_truncated_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "s.csv", b"date;y\n2020-01-01;1,5\n");
        let t = read_table(&p, None, None).unwrap();
        assert_eq!(texts(&t.columns[1]), [Some("1,5".into())]);
        let p = write(dir.path(), "r.csv", b"a,b,c\n1,2,3\n1,2\n4,5,6\n");
        let e = read_table(&p, None, None).unwrap_err().to_string();
        assert!(e.contains("line 3 has 2 field(s) but the header has 3"), "{e}");
        let p = write(dir.path(), "q.csv", b"a,b\n\"1,2\n3,4\n");
        let e = read_table(&p, None, None).unwrap_err().to_string();
        assert!(e.contains("opened on line 2 is never closed"), "{e}");
        let p = write(dir.path(), "t.csv", b"a,b,c\n1,2,3\n4,5");
        let e = read_table(&p, None, None).unwrap_err().to_string();
        assert!(e.contains("truncated"), "{e}");
    }

    #[test]
    fn empty_header_only_missing_and_unknown_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_table(&write(dir.path(), "e.csv", b" \n"), None, None).unwrap_err();
        assert!(e.to_string().contains("is empty"), "{e}");
        let e = read_table(&write(dir.path(), "h.csv", b"a,b\n"), None, None).unwrap_err();
        assert!(e.to_string().contains("no data rows"), "{e}");
        let e = read_table(&dir.path().join("nope.csv"), None, None).unwrap_err();
        assert!(matches!(e, Error::Io { .. }));
        let e = read_table(&write(dir.path(), "x.dat", b"a\n1\n"), None, None).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(read_table(&dir.path().join("x.dat"), Some(Format::Csv), None).is_ok());
        let e = read_table(&write(dir.path(), "bad.parquet", b"not parquet"), None, None).unwrap_err();
        assert!(e.to_string().contains("not a Parquet file"), "{e}");
    }

    #[test]
    fn writes_csv_json_and_parquet_that_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let table = Table::new(
            vec!["id".into(), "timestamp".into(), "forecast".into()],
            vec![
                Column::Text(vec![Some("a \"b\"".into()), None]),
                Column::Time(vec![Some(1_467_331_200), Some(1_467_334_800)], TimeKind::DateTime),
                Column::Number(vec![Some(1.25), Some(f64::NAN)]),
            ],
        )
        .unwrap();
        let csv_path = dir.path().join("f.csv");
        write_table(&csv_path, &table).unwrap();
        let text = std::fs::read_to_string(&csv_path).unwrap();
        assert_eq!(
            text,
            "id,timestamp,forecast\n\"a \"\"b\"\"\",2016-07-01 00:00:00,1.25\n,2016-07-01 01:00:00,NaN\n"
        );
        let json_path = dir.path().join("f.json");
        write_table(&json_path, &table).unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
        assert_eq!(v[0]["timestamp"], "2016-07-01 00:00:00");
        assert_eq!(v[0]["forecast"], 1.25);
        assert!(v[1]["forecast"].is_null() && v[1]["id"].is_null());
        let pq = dir.path().join("f.parquet");
        write_table(&pq, &table).unwrap();
        let back = read_table(&pq, None, None).unwrap();
        assert_eq!(back.names, table.names);
        assert_eq!(back.columns[0], table.columns[0]);
        assert_eq!(back.columns[1], table.columns[1]);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".tmp")
            })
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn atomic_write_leaves_the_old_file_on_failure() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.csv");
        write_atomic(&p, b"old").unwrap();
        let r = write_atomic_with(&p, |w| {
            w.write_all(b"half").unwrap();
            Err(Error::runtime("boom"))
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert!(write_atomic(&dir.path().join("missing/x.csv"), b"x").is_err());
    }

    fn cells(t: &Table) -> Vec<Vec<Option<String>>> {
        (0..t.rows())
            .map(|r| t.columns.iter().map(|c| c.cell_text(r)).collect())
            .collect()
    }

    #[test]
    fn quotes_follow_rfc_4180_and_carriage_returns_end_fields() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "q.csv",
            b"\"a \"\"b\"\"\",c,\n\"\",x\"y,\"1\r\n2\"\r\n \"z\",\"\"\"\"\r,v\rw\r\n\n",
        );
        let t = read_table(&p, None, None).unwrap();
        // `""` in a quoted name is a quote; an empty name is named by its position.
        assert_eq!(t.names, ["a \"b\"", "c", "column_3"]);
        let s = |x: &str| Some(x.to_string());
        assert_eq!(
            cells(&t),
            [
                // A quoted empty field is missing; a quote inside a field is text; a quoted
                // field keeps its line break.
                vec![None, s("x\"y"), s("1\r\n2")],
                // A quote after a space does not start a quoted field; a carriage return
                // before the separator is dropped, inside a field it is kept.
                vec![s(" \"z\""), s("\""), s("v\rw")],
            ]
        );
        assert_eq!(t.lines.as_deref(), Some(&[2, 4][..]));
        // A record with only a quoted empty field is not a blank line.
        let p = write(dir.path(), "one.csv", b"a\n\"\"\n1\n");
        let t = read_table(&p, None, None).unwrap();
        assert_eq!(
            (cells(&t), t.lines.clone()),
            (vec![vec![None], vec![s("1")]], Some(vec![2, 3]))
        );
    }

    #[test]
    fn repeated_names_are_numbered_as_polars_did() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "d.csv", b"a,a, b ,a,\xef\xbb\xbfc\n1,2,3,4,5\n");
        let t = read_table(&p, None, None).unwrap();
        assert_eq!(t.names, ["a", "a_duplicated_0", "b", "a_duplicated_1", "c"]);
        let p = write(dir.path(), "e.csv", b"a, a\n1,2\n");
        let e = read_table(&p, None, None).unwrap_err().to_string();
        assert!(e.contains("column name 'a' appears twice"), "{e}");
    }

    #[test]
    fn text_after_a_closing_quote_and_odd_separators_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "q.csv", b"a,b\n1,2\n\"3\"x,4\n");
        let e = read_table(&p, None, None).unwrap_err().to_string();
        assert!(e.contains("line 3 has text after the closing quote"), "{e}");
        assert!(!e.contains("--delimiter"), "{e}");
        // A comma file read with ';': the quoted fields are followed by commas.
        let p = write(dir.path(), "c.csv", b"\"a\",\"b\"\n1,2\n");
        let e = read_table(&p, None, Some(b';')).unwrap_err().to_string();
        assert!(
            e.contains("line 1 has text after the closing quote") && e.contains("','"),
            "{e}"
        );
        for bad in [b'"', b'\n', b'\r', 0xE9] {
            let e = read_table(&p, None, Some(bad)).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{e}");
        }
        // An unclosed quote is named by the line it opens on, before any other problem.
        let p = write(dir.path(), "u.csv", b"a,b\n1\n\"2,3\n4,5\n");
        let e = read_table(&p, None, None).unwrap_err().to_string();
        assert!(e.contains("opened on line 3 is never closed"), "{e}");
    }

    /// Pseudo-random CSV-like inputs: mutations of well-formed files and byte soup.
    fn messy_inputs() -> Vec<Vec<u8>> {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as usize
        };
        let mut well_formed = String::from("\u{feff}time,\"note\",y\r\n");
        for k in 0..40 {
            let note = match k % 5 {
                0 => "\"a, \"\"b\"\"\"".to_string(),
                1 => "\"two\nlines\"".to_string(),
                2 => String::new(),
                _ => format!("n{k}"),
            };
            let end = if k % 7 == 0 { "\r\n\n" } else { "\n" };
            well_formed.push_str(&format!("2024-01-01 {:02}:00,{note},{k}.5{end}", k % 24));
        }
        let plain: String = (0..60).map(|k| format!("{k},{}\n", k * 3)).collect();
        let seeds = [well_formed.into_bytes(), format!("a,b\n{plain}").into_bytes()];
        let alphabet = b",;\"\n\r0123456789.-: aZ\t";
        let mut inputs: Vec<Vec<u8>> = seeds.to_vec();
        for k in 0..1500 {
            let mut b = seeds[k % 2].clone();
            for _ in 0..1 + next() % 4 {
                let i = next() % b.len();
                match next() % 4 {
                    0 => b[i] = alphabet[next() % alphabet.len()],
                    1 => b.insert(i, alphabet[next() % alphabet.len()]),
                    2 => {
                        b.remove(i);
                    }
                    _ => b.truncate(i.max(1)),
                }
            }
            inputs.push(b);
        }
        for _ in 0..500 {
            let len = 1 + next() % 120;
            inputs.push((0..len).map(|_| alphabet[next() % alphabet.len()]).collect());
        }
        inputs
    }

    #[test]
    fn two_halves_split_the_same_as_one_pass() {
        let mut halved = 0;
        for bytes in messy_inputs() {
            for delimiter in [b',', b';'] {
                let bom = if bytes.starts_with(b"\xef\xbb\xbf") { 3 } else { 0 };
                halved += usize::from(halfway(&bytes, bom, delimiter, 0).is_some());
                let one = split_csv_from(bytes.clone(), delimiter, usize::MAX);
                let two = split_csv_from(bytes.clone(), delimiter, 0);
                let text = String::from_utf8_lossy(&bytes);
                assert_eq!(one.header, two.header, "{text:?}");
                assert_eq!(one.text, two.text, "{text:?}");
                assert_eq!(one.ends, two.ends, "{text:?}");
                assert_eq!(one.lines, two.lines, "{text:?}");
                assert_eq!(one.ragged, two.ragged, "{text:?}");
                assert_eq!(one.open_quote, two.open_quote, "{text:?}");
                assert_eq!(one.after_quote, two.after_quote, "{text:?}");
            }
        }
        assert!(halved > 500, "the two-half path ran {halved} times");
    }
}
