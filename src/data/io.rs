//! Reading and writing tables: the only module that uses polars.
//!
//! Reading: `.csv` and `.parquet` by extension (or an explicit [`Format`]). CSV files are read
//! with every column as text (`infer_schema_length = 0`) so that [`super::load`] decides what a
//! cell means and can name the row of a bad value; before polars sees a CSV file it is scanned
//! once to count the fields of every line, which gives clear messages for ragged or truncated
//! files and the file line of every data row. Parquet columns are converted by type: numbers to
//! `f64`, dates and date-times to seconds, strings to text.
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

use super::table::{Column, Table};
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
        Format::Csv => read_csv(path, &bytes, delimiter),
        Format::Parquet => read_parquet(path, &bytes),
        Format::Json => Err(Error::usage(format!(
            "cannot read '{file}': JSON input is not supported; convert it to CSV or Parquet"
        ))),
    }
}

/// What the pre-scan of a CSV file found.
struct CsvScan {
    /// The separator to use.
    delimiter: u8,
    /// Fields in the header line.
    header_fields: usize,
    /// 1-based line and field count of every non-blank record after the header.
    records: Vec<(usize, usize)>,
    /// True when the file does not end with a newline.
    no_final_newline: bool,
    /// The line of a quote that is never closed, if any.
    open_quote: Option<usize>,
    /// The file without byte-order mark and blank lines, records ending in `\n`: what polars reads.
    body: Vec<u8>,
}

/// One record of the scan.
struct Record {
    line: usize,
    fields: usize,
    blank: bool,
    start: usize,
    end: usize,
}

/// Splits the bytes into records (newlines inside quotes do not end a record) and counts fields.
fn scan_csv(bytes: &[u8], delimiter: Option<u8>) -> CsvScan {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let delimiter = delimiter.unwrap_or_else(|| {
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
    });
    let mut records = Vec::new();
    let mut current = Record {
        line: 1,
        fields: 1,
        blank: true,
        start: 0,
        end: 0,
    };
    let (mut line, mut quoted, mut quote_line) = (1, false, 0);
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => {
                quoted = !quoted;
                quote_line = line;
                current.blank = false;
            }
            b'\n' => {
                line += 1;
                if !quoted {
                    current.end = i;
                    records.push(std::mem::replace(
                        &mut current,
                        Record {
                            line,
                            fields: 1,
                            blank: true,
                            start: i + 1,
                            end: 0,
                        },
                    ));
                }
            }
            b'\r' => {}
            _ if b == delimiter && !quoted => {
                current.fields += 1;
                current.blank = false;
            }
            _ => current.blank = current.blank && b.is_ascii_whitespace(),
        }
    }
    if current.start < bytes.len() {
        current.end = bytes.len();
        records.push(current);
    }
    let mut body = Vec::with_capacity(bytes.len() + 1);
    let mut non_blank = records.into_iter().filter(|r| !r.blank).inspect(|r| {
        let text = &bytes[r.start..r.end];
        body.extend_from_slice(text.strip_suffix(b"\r").unwrap_or(text));
        body.push(b'\n');
    });
    let header_fields = non_blank.next().map_or(0, |r| r.fields);
    let records = non_blank.map(|r| (r.line, r.fields)).collect();
    CsvScan {
        delimiter,
        header_fields,
        records,
        no_final_newline: !bytes.ends_with(b"\n"),
        body,
        open_quote: quoted.then_some(quote_line),
    }
}

fn read_csv(path: &Path, bytes: &[u8], delimiter: Option<u8>) -> Result<Table> {
    let file = name_of(path);
    if bytes.starts_with(PARQUET_MAGIC) {
        return Err(Error::data(format!(
            "'{file}' is a Parquet file (it starts with 'PAR1'), not CSV: rename it to .parquet or pass --format parquet"
        )));
    }
    if let Err(e) = std::str::from_utf8(bytes) {
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
    let scan = scan_csv(bytes, delimiter);
    if let Some(line) = scan.open_quote {
        return Err(Error::data(format!(
            "'{file}': the quote (\") opened on line {line} is never closed; close it, or write a quote \
             inside a quoted field as \"\""
        )));
    }
    if scan.records.is_empty() {
        return Err(Error::data(format!(
            "'{file}' has a header line but no data rows: add data rows below the header"
        )));
    }
    let last = scan.records.len() - 1;
    for (k, &(line, fields)) in scan.records.iter().enumerate() {
        if fields != scan.header_fields {
            let sep = match scan.delimiter {
                b'\t' => "tab".to_string(),
                d => format!("'{}'", d as char),
            };
            let mut msg = format!(
                "'{file}': line {line} has {fields} field(s) but the header has {} (separator {sep})",
                scan.header_fields
            );
            if k == last && fields < scan.header_fields && scan.no_final_newline {
                msg.push_str(": the file looks truncated; re-export it or delete the incomplete last line");
            } else if scan.header_fields == 1 || fields == 1 {
                msg.push_str(": if the file uses another separator, pass --delimiter (e.g. --delimiter ';')");
            } else {
                msg.push_str(": fix that line (quote fields that contain the separator)");
            }
            return Err(Error::data(msg));
        }
    }
    let polars_error = |e: pl::PolarsError| {
        Error::data(format!(
            "could not read '{file}' as CSV: {e}. Check that it is a text file with a header line \
             (pass --delimiter if fields are not separated by commas)"
        ))
    };
    let df = guard(&file, || {
        pl::CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .with_raise_if_empty(true)
            .map_parse_options(|p| {
                p.with_separator(scan.delimiter)
                    .with_quote_char(Some(b'"'))
                    .with_missing_is_null(true)
            })
            .into_reader_with_file_handle(std::io::Cursor::new(scan.body))
            .finish()
            .map_err(polars_error)
    })?;
    let mut table = table_from_frame(&file, &df)?;
    if table.rows() == 0 {
        return Err(Error::data(format!(
            "'{file}' has a header line but no data rows: add data rows below the header"
        )));
    }
    if table.rows() == scan.records.len() {
        table.lines = Some(scan.records.iter().map(|r| r.0).collect());
    }
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
                Column::Text(v) => v
                    .get(row)
                    .cloned()
                    .flatten()
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
            Column::Text(v) => {
                let v: Vec<Option<&str>> = v.iter().map(|c| c.as_deref()).collect();
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
}
