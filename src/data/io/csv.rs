//! Reading CSV files with polars. Every column is read as text ([`CsvText`]), so that
//! [`crate::data::load`] decides what a cell means and can name the row of a bad value.
//!
//! Before polars sees the file it is checked cheaply: not Parquet, valid UTF-8 (else the line and
//! byte are named), a usable separator. polars then splits it. The second pass of
//! [`super::csv_scan`] runs only when it is needed: when polars refuses the file (to name the
//! line and what is wrong with it), when a row may be short or blank (polars fills the missing
//! fields of a short line with nulls and reads a blank line as a row of nulls: blank rows are
//! dropped, short ones are an error), when the file has quotes (the scan must split it into the
//! rows polars read, or the file is refused), and when a message names the file line of a row.

use std::path::{Path, PathBuf};

use polars::prelude as pl;
use polars::prelude::SerReader;

use super::csv_scan::{leading_blank_lines, scan, Scan};
use super::csv_text::CsvText;
use super::{guard, name_of, PARQUET_MAGIC};
use crate::data::table::{Column, FindLines, RowLines, Table};
use crate::error::{Error, Result};

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

/// Reads the CSV file at `path`, whose bytes are `bytes`, with `delimiter` (detected when `None`).
pub fn read_csv(path: &Path, bytes: &[u8], delimiter: Option<u8>) -> Result<Table> {
    let file = name_of(path);
    let delimiter = check_text(&file, bytes, delimiter)?;
    let skip = leading_blank_lines(bytes);
    let (names, mut columns) = read_with_polars(&file, bytes, delimiter, skip)?;
    let rows = columns.first().map_or(0, pl::StringChunked::len);
    // Without quotes, records are lines: the rows' lines are found when first needed. With
    // quotes (polars and the rules may split a stray one differently), or with rows that may be
    // short or blank, the scan runs now.
    let lines = if bytes.contains(&b'"') || may_have_short_rows(&columns) {
        RowLines::known(check_rows(&file, bytes, delimiter, skip, &mut columns)?)
    } else {
        RowLines::deferred(LineFinder {
            path: path.to_path_buf(),
            delimiter,
            skip,
            rows,
        })
    };
    if columns.first().is_none_or(|c| c.is_empty()) {
        return Err(Error::data(format!(
            "'{file}' has a header line but no data rows: add data rows below the header"
        )));
    }
    let columns = columns
        .into_iter()
        .map(|c| Column::CsvText(CsvText::new(c)))
        .collect();
    let mut table =
        Table::new(column_names(names), columns).map_err(|e| Error::data(format!("'{file}': {e}")))?;
    table.lines = lines;
    Ok(table)
}

/// Refuses Parquet bytes, text that is not UTF-8 and a separator that cannot separate; returns
/// the separator to use.
fn check_text(file: &str, bytes: &[u8], delimiter: Option<u8>) -> Result<u8> {
    if bytes.starts_with(PARQUET_MAGIC) {
        return Err(Error::data(format!(
            "'{file}' is a Parquet file (it starts with 'PAR1'), not CSV: rename it to .parquet or pass --format parquet"
        )));
    }
    check_utf8(file, bytes)?;
    match delimiter {
        Some(d) if !d.is_ascii() || matches!(d, b'"' | b'\n' | b'\r') => Err(Error::usage(format!(
            "--delimiter {:?} cannot separate CSV fields: use an ASCII character other than a \
             quote or a line break",
            d as char
        ))),
        Some(d) => Ok(d),
        None => Ok(detect_delimiter(
            bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes),
        )),
    }
}

/// The column names and text columns polars reads; when it refuses the file, the scan names the
/// line and the problem.
fn read_with_polars(
    file: &str,
    bytes: &[u8],
    delimiter: u8,
    skip: usize,
) -> Result<(Vec<String>, Vec<pl::StringChunked>)> {
    let frame = guard(file, || {
        pl::CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .with_skip_lines(skip)
            .map_parse_options(|p| {
                p.with_separator(delimiter)
                    .with_quote_char(Some(b'"'))
                    .with_missing_is_null(true)
            })
            .into_reader_with_file_handle(std::io::Cursor::new(bytes))
            .finish()
            .map_err(|e| Error::data(polars_message(&e)))
    })
    .map_err(|refused| {
        let scanned = scan(bytes, delimiter, skip);
        problem(file, &scanned, delimiter, true).unwrap_or_else(|| {
            Error::data(format!(
                "could not read '{file}' as CSV: {refused}. Check that it is a text file with a \
                 header line (pass --delimiter if fields are not separated by commas)"
            ))
        })
    })?;
    let names = frame.get_column_names().iter().map(|n| n.to_string()).collect();
    let columns = frame
        .columns()
        .iter()
        .map(|column| {
            column
                .as_materialized_series()
                .str()
                .cloned()
                .map_err(|e| Error::runtime(format!("internal: CSV column of '{file}' is not text: {e}")))
        })
        .collect::<Result<_>>()?;
    Ok((names, columns))
}

/// The scan of the whole file: refuses short rows and rows polars split differently, drops blank
/// rows from `columns`, and returns the file line of every remaining row.
fn check_rows(
    file: &str,
    bytes: &[u8],
    delimiter: u8,
    skip: usize,
    columns: &mut [pl::StringChunked],
) -> Result<Vec<usize>> {
    let scanned = scan(bytes, delimiter, skip);
    if let Some(e) = problem(file, &scanned, delimiter, false) {
        return Err(e);
    }
    let rows = columns.first().map_or(0, pl::StringChunked::len);
    if scanned.records.len() != rows {
        return Err(Error::data(format!(
            "'{file}': the file splits into {} records where polars read {rows} rows{}; \
             quote fields that hold quotes or line breaks",
            scanned.records.len(),
            scanned.stray_quote.map_or(String::new(), |line| format!(
                " (line {line} has a quote inside a field)"
            ))
        )));
    }
    if scanned.records.iter().any(|r| r.blank) {
        let keep: pl::BooleanChunked = scanned.records.iter().map(|r| !r.blank).collect();
        for column in columns.iter_mut() {
            *column = pl::ChunkFilter::filter(&*column, &keep)
                .map_err(|e| Error::runtime(format!("internal: dropping blank lines of '{file}': {e}")))?;
        }
    }
    Ok(scanned.row_lines())
}

/// Whether a row may be short or blank: the last column has a null (a missing field, or an
/// empty one), or a one-column file has a cell of only spaces.
fn may_have_short_rows(columns: &[pl::StringChunked]) -> bool {
    match columns {
        [one] => one.null_count() > 0 || one.iter().flatten().any(|t| t.trim().is_empty()),
        [.., last] => last.null_count() > 0,
        [] => false,
    }
}

/// The first line of a polars error (the rest suggests Python options).
fn polars_message(e: &pl::PolarsError) -> String {
    let text = e.to_string();
    text.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("unknown error")
        .trim()
        .to_string()
}

/// The first problem the scan found, as an error naming the line and the fix. A quote inside a
/// field is a problem only when polars refused the file (`refused`): it reads balanced ones.
fn problem(file: &str, scanned: &Scan, delimiter: u8, refused: bool) -> Option<Error> {
    if let Some(line) = scanned.open_quote {
        return Some(Error::data(format!(
            "'{file}': the quote (\") opened on line {line} is never closed; close it, or write a quote \
             inside a quoted field as \"\""
        )));
    }
    if let Some((k, record)) = scanned.first_ragged() {
        let (fields, header_fields) = (record.fields, scanned.header_fields);
        let sep = match delimiter {
            b'\t' => "tab".to_string(),
            d => format!("'{}'", d as char),
        };
        let mut msg = format!(
            "'{file}': line {} has {fields} field(s) but the header has {header_fields} (separator {sep})",
            record.line
        );
        let last = scanned.records.iter().rposition(|r| !r.blank) == Some(k);
        if last && fields < header_fields && scanned.no_final_newline {
            msg.push_str(": the file looks truncated; re-export it or delete the incomplete last line");
        } else if header_fields == 1 || fields == 1 {
            msg.push_str(": if the file uses another separator, pass --delimiter (e.g. --delimiter ';')");
        } else {
            msg.push_str(": fix that line (quote fields that contain the separator)");
        }
        return Some(Error::data(msg));
    }
    if let Some((line, next)) = scanned.after_quote {
        return Some(after_quote_error(file, line, next));
    }
    scanned.stray_quote.filter(|_| refused).map(|line| {
        Error::data(format!(
            "'{file}': line {line} has a quote (\") inside a field that does not start with one; \
             quote the whole field and write the quote as \"\" (\"12\"\" pipe\")"
        ))
    })
}

/// Text after the closing quote of a quoted field on `line`, starting with byte `next`.
fn after_quote_error(file: &str, line: usize, next: u8) -> Error {
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
    Error::data(format!(
        "'{file}': line {line} has text after the closing quote of a quoted field{hint}; quote \
         the whole field, and write a quote inside it as \"\""
    ))
}

/// Refuses text that is not UTF-8, naming the line and byte.
fn check_utf8(file: &str, bytes: &[u8]) -> Result<()> {
    let Err(e) = std::str::from_utf8(bytes) else {
        return Ok(());
    };
    let at = e.valid_up_to();
    let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
    let column = at - bytes[..at].iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1) + 1;
    let what = if bytes.contains(&0) {
        "it looks like a binary file, not CSV text"
    } else {
        "save the file as UTF-8 (for example from a Latin-1 or Windows-1252 export)"
    };
    Err(Error::data(format!(
        "'{file}': line {line} is not valid UTF-8 text (byte 0x{:02X} at column {column}); {what}",
        bytes[at]
    )))
}

/// Column names as read (polars numbers repeated names `_duplicated_0`, `_duplicated_1`, ...),
/// with `""` read as `"` (polars keeps both quotes of a quoted name), surrounding spaces and a
/// byte-order mark trimmed; an empty name becomes `column_K`.
fn column_names(raw: Vec<String>) -> Vec<String> {
    raw.into_iter()
        .enumerate()
        .map(|(k, name)| {
            let name = name.replace("\"\"", "\"");
            let trimmed = name.trim_start_matches('\u{feff}').trim();
            if trimmed.is_empty() {
                format!("column_{}", k + 1)
            } else {
                trimmed.to_string()
            }
        })
        .collect()
}

/// Finds the file lines of a CSV file's rows when a message first needs one: the file is read
/// and scanned again (it is not kept in memory meanwhile).
struct LineFinder {
    path: PathBuf,
    delimiter: u8,
    skip: usize,
    /// The rows polars read: lines that do not match them are not used.
    rows: usize,
}

impl FindLines for LineFinder {
    fn find_lines(&self) -> Option<Vec<usize>> {
        let bytes = std::fs::read(&self.path).ok()?;
        let lines = scan(&bytes, self.delimiter, self.skip).row_lines();
        (lines.len() == self.rows).then_some(lines)
    }
}
