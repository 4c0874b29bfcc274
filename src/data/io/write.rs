//! Writing tables: `.csv`, `.parquet` or `.json` (an array of row objects) by extension. Every
//! file is written to a temporary file in the target's directory and renamed over the target, so
//! a failure never leaves half a file ([`write_atomic`], [`write_atomic_with`]).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use polars::prelude as pl;
use polars::prelude::NamedFrom;

use super::Format;
use crate::data::table::{Column, Table};
use crate::data::time::{format_timestamp, DAY};
use crate::data::TimeKind;
use crate::error::{Error, Result};

/// Writes `table` to `path` in the format of its extension (`.csv`, `.parquet`, `.json`),
/// atomically (temporary file + rename).
pub fn write_table(path: &Path, table: &Table) -> Result<()> {
    write_table_as(path, table, output_format(path)?)
}

/// The format [`write_table`] writes `path` in, from its extension; a usage error naming the
/// file otherwise (commands check it before any work, so a long run does not end in it).
pub fn output_format(path: &Path) -> Result<Format> {
    Format::from_path(path).ok_or_else(|| {
        Error::usage(format!(
            "cannot tell the output format of '{}': use a .csv, .parquet or .json file name",
            path.display()
        ))
    })
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
                Column::Text(_) | Column::CsvText(_) | Column::Styled(..) => col
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
/// dates → Date, row numbers → Int64 (styled times by their kind: Parquet has types for them).
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
            Column::Time(v, TimeKind::RowNumber) | Column::Styled(v, TimeKind::RowNumber, _) => {
                pl::Series::new(name.clone(), v.as_slice())
            }
            Column::Time(v, TimeKind::Date) | Column::Styled(v, TimeKind::Date, _) => {
                let days: Vec<Option<i32>> = v
                    .iter()
                    .map(|t| t.and_then(|t| i32::try_from(t.div_euclid(DAY)).ok()))
                    .collect();
                cast(pl::Series::new(name.clone(), days), pl::DataType::Date)?
            }
            Column::Time(v, TimeKind::DateTime) | Column::Styled(v, TimeKind::DateTime, _) => {
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
