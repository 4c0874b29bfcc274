//! Reading Parquet files with polars: columns are converted by type, numbers to `f64`, dates and
//! date-times to seconds, strings to text, anything else to its text form.

use std::fs::File;
use std::path::Path;

use polars::prelude as pl;
use polars::prelude::SerReader;

use super::{guard, name_of, PARQUET_MAGIC};
use crate::data::table::{Column, Table};
use crate::data::time::DAY;
use crate::data::TimeKind;
use crate::error::{Error, Result};

/// Reads the Parquet file at `path`, whose bytes are `bytes`.
pub fn read_parquet(path: &Path, bytes: &[u8]) -> Result<Table> {
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
