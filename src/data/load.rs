//! From a user's file to a checked [`Dataset`]: choose the time, target and id columns, parse
//! timestamps and values, group rows into series, then run [`check`].
//!
//! Detection rules (documented for users in `docs/data.md`):
//! - time column: `--time-col`; else a date/date-time typed (Parquet) column; else a column named
//!   date, time, timestamp, ds, datetime, date_time, dt or period (any case) — these may also hold
//!   years, compact digits and epoch seconds or milliseconds; else the first text column whose
//!   every cell reads as a time; else none, and the row number is the time axis. One reading
//!   ([`crate::data::time::reading`]) reads the whole column; `--time-format` names it;
//! - target: `--target a,b` (several targets give several series); else a column named y, value,
//!   target or OT (any case); else the only numeric column; otherwise an error listing the
//!   numeric columns;
//! - `--id-col`: long format, one series per id value in order of first appearance.
//!
//! [`load`] fails when the checks find a problem (for `fit`, `eval`, `forecast`); [`inspect`]
//! returns the report with its problems (for `xlstm check`).

use std::path::Path;

use super::check::{check, check_report, CheckReport, Fill, Obs, RawDataset, RawSeries};
use super::covariates::{attach, CovariateRequest};
use super::io::{read_table, Format};
use super::table::{format_number, quote_list, Column, Table};
use super::time::{
    format_timestamp, parse_time_column, trim, TimeColumn, TimeError, TimeFormat, ACCEPTED_FORMATS, DAY,
};
use super::{Dataset, TimeKind};
use crate::error::{Error, Result};

/// Column names taken as the time column without looking at their cells.
pub const TIME_NAMES: [&str; 8] = [
    "date",
    "time",
    "timestamp",
    "ds",
    "datetime",
    "date_time",
    "dt",
    "period",
];
/// Column names taken as the target when `--target` is not given.
pub const TARGET_NAMES: [&str; 4] = ["y", "value", "target", "ot"];

/// How to read a data file (the data flags of the command line).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadOptions {
    /// `--time-col`.
    pub time_col: Option<String>,
    /// `--target` (empty: detect).
    pub target: Vec<String>,
    /// `--id-col`.
    pub id_col: Option<String>,
    /// `--fill`.
    pub fill: Option<Fill>,
    /// `--format` (default: from the extension).
    pub format: Option<Format>,
    /// `--delimiter` (CSV).
    pub delimiter: Option<u8>,
    /// `--time-format` (default: detect the reading of the time column).
    pub time_format: Option<TimeFormat>,
    /// `--covariates`, `--future-covariates` and `--calendar`.
    pub covariates: CovariateRequest,
}

impl LoadOptions {
    /// Splits a `--target a,b,c` value into names (trimmed, empty parts dropped).
    pub fn parse_targets(list: &str) -> Vec<String> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    }
}

/// Reads and checks `path`; fails on any problem the checks find (duplicates, missing values
/// without `--fill`, ...). The report carries the notes (sorting, gaps, fills).
pub fn load(path: &Path, options: &LoadOptions) -> Result<(Dataset, CheckReport)> {
    let table = read_table(path, options.format, options.delimiter)?;
    let header = numeric_header_note(&table);
    let (raw, rows) = prepare(table, &path.display().to_string(), options)?;
    let targets = raw.targets.len() - options.covariates.columns().len();
    let (dataset, mut report) = check(raw, options.fill, &|row| rows.row_label(row));
    report.notes.extend(header);
    let report = report.with_covariates(&options.covariates.columns());
    report.ensure_usable()?;
    match dataset {
        Some(d) => Ok((attach(d, targets, &options.covariates)?, report)),
        None => Err(Error::data(format!("{}: the data cannot be used", report.file))),
    }
}

/// Reads and checks `path` for `xlstm check`: problems found by the checks are in the report
/// rather than errors. Files that cannot be read or interpreted at all are still errors.
pub fn inspect(path: &Path, options: &LoadOptions) -> Result<CheckReport> {
    let table = read_table(path, options.format, options.delimiter)?;
    let header = numeric_header_note(&table);
    let (raw, rows) = prepare(table, &path.display().to_string(), options)?;
    let mut report = check_report(raw, options.fill, &|row| rows.row_label(row));
    report.notes.extend(header);
    Ok(report.with_covariates(&options.covariates.columns()))
}

/// A note when every column name is a number: the first line may be data from a file exported
/// without a header line, read as names (its first row lost, a series named '1.5'). It is not
/// refused, since pandas names unnamed columns 0, 1, … in a real header.
fn numeric_header_note(table: &Table) -> Option<String> {
    let numeric = |name: &String| name.trim().parse::<f64>().is_ok();
    (!table.names.is_empty() && table.names.iter().all(numeric)).then(|| {
        format!(
            "the first line ('{}') is read as column names, but it holds only numbers: if the file has no header line, add one naming the columns (for example 'y', or 'date,y')",
            table.names.join(",")
        )
    })
}

/// Reads the `options.target` columns of `path` at their times without the checks of a series
/// (a file of future covariate values may hold a single row): the series as read, per id and
/// column, named as [`load`] names them.
pub fn read_values(path: &Path, options: &LoadOptions) -> Result<RawDataset> {
    let table = read_table(path, options.format, options.delimiter)?;
    Ok(extract(&table, &path.display().to_string(), options)?.into_raw())
}

/// Interprets an already read table (`file` names it in messages); the dataset is `None` when
/// the report lists problems.
pub fn load_table(
    table: &Table,
    file: &str,
    options: &LoadOptions,
) -> Result<(Option<Dataset>, CheckReport)> {
    let raw = extract(table, file, options)?.into_raw();
    Ok(check(raw, options.fill, &|row| table.row_label(row)))
}

/// The observations of `table` for the checks, and the table without its cells (its file lines
/// name rows in messages). The cells are freed before the observations are built, which then
/// reuse their memory: for a large file, fresh memory costs more time than the checks.
fn prepare(mut table: Table, file: &str, options: &LoadOptions) -> Result<(RawDataset, Table)> {
    let extracted = extract(&table, file, options)?;
    table.columns.clear();
    Ok((extracted.into_raw(), table))
}

/// Rows from which [`extract`] parses the time and target columns at the same time.
const PARALLEL_ROWS: usize = 100_000;

/// What [`extract`] takes from a table: the roles of its columns and their parsed cells.
struct Extracted {
    /// Everything but the series.
    raw: RawDataset,
    /// The time of every row (none without a time column).
    times: Option<Vec<i64>>,
    /// The values of every row, per target; NaN for a missing value (as a parsed NaN is).
    values: Vec<Vec<f64>>,
    /// The rows of each id in long format (none: all rows are one series per target).
    groups: Option<Vec<(String, Vec<usize>)>>,
}

impl Extracted {
    /// The series: ids in order of first appearance, then targets.
    fn into_raw(self) -> RawDataset {
        let Extracted {
            mut raw,
            times,
            values,
            groups,
        } = self;
        let targets = &raw.targets;
        let mut series = Vec::new();
        match &groups {
            Some(groups) => {
                for (id, rows) in groups {
                    for (t, target) in targets.iter().enumerate() {
                        let name = if targets.len() > 1 {
                            format!("{id}/{target}")
                        } else {
                            id.clone()
                        };
                        let obs = observations(rows.iter().copied(), times.as_deref(), &values[t]);
                        series.push(RawSeries { id: name, obs });
                    }
                }
            }
            None => {
                for (t, target) in targets.iter().enumerate() {
                    let obs = observations(0..raw.rows, times.as_deref(), &values[t]);
                    series.push(RawSeries {
                        id: target.clone(),
                        obs,
                    });
                }
            }
        }
        raw.series = series;
        raw
    }
}

/// Chooses the time, target and id columns of `table` and parses their cells.
fn extract(table: &Table, file: &str, options: &LoadOptions) -> Result<Extracted> {
    let find = |name: &str, flag: &str| {
        table.index_of(name).ok_or_else(|| {
            Error::usage(format!(
                "{flag} '{name}' is not a column of {file}; the columns are {}",
                table.names_list()
            ))
        })
    };
    let id_index = options
        .id_col
        .as_deref()
        .map(|c| find(c, "--id-col"))
        .transpose()?;
    let mut covariate_indices = Vec::new();
    for name in &options.covariates.past {
        covariate_indices.push(find(name, "--covariates")?);
    }
    for name in &options.covariates.future {
        covariate_indices.push(find(name, "--future-covariates")?);
    }
    let mut target_indices = Vec::new();
    for name in &options.target {
        let k = find(name, "--target")?;
        if !target_indices.contains(&k) {
            target_indices.push(k);
        }
    }
    let time_index = options
        .time_col
        .as_deref()
        .map(|c| find(c, "--time-col"))
        .transpose()?;
    if let (Some(t), Some(i)) = (time_index, id_index) {
        if t == i {
            return Err(Error::usage("--time-col and --id-col name the same column"));
        }
    }
    for (i, &k) in covariate_indices.iter().enumerate() {
        if Some(k) == time_index || Some(k) == id_index || target_indices.contains(&k) {
            return Err(Error::usage(format!(
                "column '{}' cannot be both a covariate and the time, id or target column",
                table.names[k]
            )));
        }
        if covariate_indices[..i].contains(&k) {
            return Err(Error::usage(format!(
                "column '{}' is named twice in --covariates and --future-covariates",
                table.names[k]
            )));
        }
    }
    for &k in &target_indices {
        if Some(k) == time_index || Some(k) == id_index {
            return Err(Error::usage(format!(
                "column '{}' cannot be both a target and the time or id column",
                table.names[k]
            )));
        }
    }

    let parse_targets = |targets: &[usize]| -> Result<Vec<Vec<f64>>> {
        targets.iter().map(|&k| parse_values(table, file, k)).collect()
    };
    // With --target, the values are parsed on a second thread while the time column is found
    // and parsed (each takes a pass over a large file's cells); a time column error still
    // comes first.
    let (time, given_values) = std::thread::scope(|scope| {
        let given = (!target_indices.is_empty() && table.rows() >= PARALLEL_ROWS)
            .then(|| scope.spawn(|| parse_targets(&target_indices)));
        let time = match time_index {
            Some(k) => parse_time(table, file, k, options.time_format.as_ref()).map(|t| Some((k, t))),
            None => detect_time(
                table,
                file,
                id_index,
                &target_indices,
                options.time_format.as_ref(),
            ),
        };
        let given = given.map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        (time, given)
    });
    let time = time?;
    let time_k = time.as_ref().map(|t| t.0);
    if target_indices.is_empty() {
        target_indices.push(detect_target(table, file, time_k, id_index, &covariate_indices)?);
    }
    if let Some(k) = target_indices.iter().find(|&&k| Some(k) == time_k) {
        return Err(Error::usage(format!(
            "column '{}' was detected as the time column; pass --time-col to choose another",
            table.names[*k]
        )));
    }
    let mut values = match given_values {
        Some(values) => values?,
        None => parse_targets(&target_indices)?,
    };
    if let Some(&k) = covariate_indices.iter().find(|&&k| Some(k) == time_k) {
        return Err(Error::usage(format!(
            "column '{}' was detected as the time column; pass --time-col to choose another",
            table.names[k]
        )));
    }
    values.extend(parse_targets(&covariate_indices)?);
    target_indices.extend(covariate_indices);
    let (times, time_reading) = match time {
        Some((_, parsed)) => (
            Some(parsed.times),
            Some((parsed.kind, parsed.format, parsed.description)),
        ),
        None => (None, None),
    };
    let (time_kind, time_format, time_description) =
        time_reading.unwrap_or((TimeKind::RowNumber, TimeFormat::default(), String::new()));
    let groups = id_index.map(|k| group_by_id(table, file, k)).transpose()?;
    Ok(Extracted {
        raw: RawDataset {
            file: file.to_string(),
            rows: table.rows(),
            columns: table.names.clone(),
            series: Vec::new(),
            time_kind,
            time_format,
            time_description,
            time_column: time_k.map(|k| table.names[k].clone()),
            targets: target_indices.iter().map(|&k| table.names[k].clone()).collect(),
            id_column: id_index.map(|k| table.names[k].clone()),
        },
        times,
        values,
        groups,
    })
}

/// The observations of `rows` (in that order) of one target column: the time of each row (or
/// its position in `rows` when there is no time column) and its value.
fn observations(rows: impl Iterator<Item = usize>, times: Option<&[i64]>, values: &[f64]) -> Vec<Obs> {
    rows.enumerate()
        .map(|(n, row)| Obs {
            time: times.map_or(n as i64, |ts| ts[row]),
            value: Some(values[row]).filter(|v| !v.is_nan()),
            row: Some(row),
        })
        .collect()
}

/// The time of every row, how times are represented, and the reading that read them.
struct ParsedTime {
    times: Vec<i64>,
    kind: TimeKind,
    format: TimeFormat,
    /// The reading in words, for the check report.
    description: String,
}

/// A cell that is neither a number nor a missing-value marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotANumber;

/// Parses column `k` as the time column (chosen by `--time-col` or by its name, so it may hold
/// years, compact digits and epoch integers); every row needs a timestamp.
fn parse_time(table: &Table, file: &str, k: usize, given: Option<&TimeFormat>) -> Result<ParsedTime> {
    let name = &table.names[k];
    let column = match &table.columns[k] {
        Column::Time(v, kind) | Column::Styled(v, kind, _) => typed_time_column(v, *kind),
        Column::Number(v) => {
            if let Some(row) = v.iter().position(|x| x.is_some_and(|x| x.fract() != 0.0)) {
                return Err(Error::data(format!(
                    "{file}: time column '{name}' has {} at {}, which is not a time: times held as \
                     numbers must be whole (years, 20200131, epoch seconds). Choose the time column with --time-col",
                    format_number(v[row].unwrap_or(f64::NAN)),
                    table.row_label(row)
                )));
            }
            let text: Vec<Option<String>> = v.iter().map(|x| x.map(|x| format!("{x:.0}"))).collect();
            let cells = || text.iter().map(Option::as_deref);
            parse_time_column(cells, true, given).map_err(|e| time_error(table, file, k, given, e))?
        }
        text => parse_time_column(|| text.texts().into_iter().flatten(), true, given)
            .map_err(|e| time_error(table, file, k, given, e))?,
    };
    every_row_timed(table, file, k, column)
}

/// The message for a time column that no reading reads, or that two readings read differently.
fn time_error(table: &Table, file: &str, k: usize, given: Option<&TimeFormat>, error: TimeError) -> Error {
    let name = &table.names[k];
    match error {
        TimeError::Unreadable(bad) => {
            let what = match given {
                Some(TimeFormat::Pattern { read, .. }) => {
                    format!("which does not match --time-format '{read}'")
                }
                _ => format!("which is not a date or date-time in a supported format ({ACCEPTED_FORMATS})"),
            };
            Error::data(format!(
                "{file}: time column '{name}' has '{}' at {}, {what}. Fix the value, pass \
                 --time-format with its chrono/strftime pattern (e.g. --time-format '%d %b %Y %H:%M'), \
                 or choose the time column with --time-col",
                shorten(&bad.value),
                table.row_label(bad.row)
            ))
        }
        TimeError::Ambiguous { row, value, readings } => {
            let [a, b] = *readings;
            let at = |t: i64| {
                let kind = if t % DAY == 0 {
                    TimeKind::Date
                } else {
                    TimeKind::DateTime
                };
                format_timestamp(t, kind)
            };
            Error::data(format!(
                "{file}: time column '{name}' can be read two ways and no value decides: '{}' at {} \
                 is {} read as {} but {} read as {}. Pass --time-format '{}' or --time-format '{}'",
                shorten(&value),
                table.row_label(row),
                at(a.time),
                a.description,
                at(b.time),
                b.description,
                a.pattern,
                b.pattern
            ))
        }
    }
}

/// A typed (Parquet) time column as a [`TimeColumn`].
fn typed_time_column(cells: &[Option<i64>], kind: TimeKind) -> TimeColumn {
    TimeColumn {
        times: cells.iter().map(|t| t.unwrap_or(0)).collect(),
        first_missing: cells.iter().position(Option::is_none),
        kind,
        format: TimeFormat::default(),
        description: format!(
            "Parquet {}",
            if kind == TimeKind::Date {
                "dates"
            } else {
                "date-times"
            }
        ),
    }
}

/// The times of time column `k` once parsed: an error when a cell is empty.
fn every_row_timed(table: &Table, file: &str, k: usize, column: TimeColumn) -> Result<ParsedTime> {
    if let Some(row) = column.first_missing {
        return Err(Error::data(format!(
            "{file}: time column '{}' is empty at {}: every row needs a timestamp; \
             fill it in or delete the row",
            table.names[k],
            table.row_label(row)
        )));
    }
    let times = column.times;
    // Midnight date-times from a Date column stay dates; check the invariant for typed columns.
    let kind = if column.kind == TimeKind::Date && times.iter().any(|t| t % DAY != 0) {
        TimeKind::DateTime
    } else {
        column.kind
    };
    Ok(ParsedTime {
        times,
        kind,
        format: column.format,
        description: column.description,
    })
}

/// Finds the time column when `--time-col` is not given.
fn detect_time(
    table: &Table,
    file: &str,
    id: Option<usize>,
    targets: &[usize],
    given: Option<&TimeFormat>,
) -> Result<Option<(usize, ParsedTime)>> {
    let free = |k: &usize| Some(*k) != id && !targets.contains(k);
    let candidates: Vec<usize> = (0..table.names.len()).filter(free).collect();
    if let Some(&k) = candidates
        .iter()
        .find(|&&k| matches!(table.columns[k], Column::Time(..)))
    {
        return Ok(Some((k, parse_time(table, file, k, given)?)));
    }
    if let Some(&k) = candidates.iter().find(|&&k| {
        TIME_NAMES
            .iter()
            .any(|n| n.eq_ignore_ascii_case(table.names[k].trim()))
    }) {
        return Ok(Some((k, parse_time(table, file, k, given)?)));
    }
    for &k in &candidates {
        let column = &table.columns[k];
        let Some(mut cells) = column.texts() else {
            continue;
        };
        if cells.any(|c| c.is_some_and(|s| !trim(s).is_empty())) {
            if let Ok(parsed) = parse_time_column(|| column.texts().into_iter().flatten(), false, given) {
                return Ok(Some((k, every_row_timed(table, file, k, parsed)?)));
            }
        }
    }
    Ok(None)
}

/// Parses one value cell: `Ok(None)` for missing (empty, NaN, NA, null), `Err` for non-numbers.
pub fn parse_value(text: &str) -> std::result::Result<Option<f64>, NotANumber> {
    let t = trim(text);
    // Numbers first (almost every cell); no missing-value marker reads as a number but NaN.
    match t.parse::<f64>() {
        Ok(v) if v.is_nan() => Ok(None),
        Ok(v) => Ok(Some(v)),
        Err(_)
            if t.is_empty()
                || ["nan", "na", "n/a", "null", "none", "-nan"]
                    .iter()
                    .any(|m| t.eq_ignore_ascii_case(m)) =>
        {
            Ok(None)
        }
        Err(_) => Err(NotANumber),
    }
}

/// True when every non-missing cell is a number and at least one is.
fn is_numeric(column: &Column) -> bool {
    match column {
        Column::Number(v) => v.iter().any(Option::is_some),
        Column::Time(..) => false,
        text => {
            let mut any = false;
            for cell in text.texts().into_iter().flatten().flatten() {
                match parse_value(cell) {
                    Ok(Some(_)) => any = true,
                    Ok(None) => {}
                    Err(NotANumber) => return false,
                }
            }
            any
        }
    }
}

/// Chooses the target when `--target` is not given.
fn detect_target(
    table: &Table,
    file: &str,
    time: Option<usize>,
    id: Option<usize>,
    covariates: &[usize],
) -> Result<usize> {
    let candidates: Vec<usize> = (0..table.names.len())
        .filter(|&k| Some(k) != time && Some(k) != id && !covariates.contains(&k))
        .collect();
    for name in TARGET_NAMES {
        if let Some(&k) = candidates
            .iter()
            .find(|&&k| table.names[k].trim().eq_ignore_ascii_case(name))
        {
            return Ok(k);
        }
    }
    let numeric: Vec<usize> = candidates
        .iter()
        .copied()
        .filter(|&k| is_numeric(&table.columns[k]))
        .collect();
    match numeric.as_slice() {
        [one] => Ok(*one),
        [] => {
            let one_column = table.names.len() == 1 && table.names[0].contains([';', '\t', '|']);
            let hint = if one_column {
                " The header was read as one column: pass --delimiter."
            } else {
                ""
            };
            Err(Error::data(format!(
                "{file}: no numeric column to forecast (columns: {}). Pass --target COLUMN naming the \
                 column to forecast.{hint}",
                table.names_list()
            )))
        }
        many => {
            let names: Vec<String> = many.iter().map(|&k| table.names[k].clone()).collect();
            Err(Error::data(format!(
                "{file}: cannot tell which column to forecast: the numeric columns are {}. Pass \
                 --target COLUMN (or --target {} for several series)",
                quote_list(&names),
                names.join(",")
            )))
        }
    }
}

/// Parses target column `k` into values (NaN for a missing value); a non-numeric cell is an
/// error naming it.
fn parse_values(table: &Table, file: &str, k: usize) -> Result<Vec<f64>> {
    let name = &table.names[k];
    match &table.columns[k] {
        Column::Number(v) => Ok(v.iter().map(|x| x.unwrap_or(f64::NAN)).collect()),
        Column::Time(..) => Err(Error::data(format!(
            "{file}: column '{name}' holds dates or times, not numbers; choose a numeric --target"
        ))),
        column => column
            .texts()
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(row, cell)| match cell {
                None => Ok(f64::NAN),
                Some(text) => parse_value(text)
                    .map(|v| v.unwrap_or(f64::NAN))
                    .map_err(|NotANumber| {
                        let hint = if text.contains(',') && parse_value(&text.replace(',', ".")).is_ok() {
                            " (decimal commas are not supported: write 2.5, not 2,5)"
                        } else {
                            ""
                        };
                        Error::data(format!(
                            "{file}: target column '{name}' has '{}' at {}, which is not a number{hint}. \
                         Fix the value, or leave the cell empty and pass --fill to fill it",
                            shorten(text),
                            table.row_label(row)
                        ))
                    }),
            })
            .collect(),
    }
}

/// A cell's text for a message: at most 40 characters, longer ones cut with their length.
fn shorten(text: &str) -> String {
    let count = text.chars().count();
    if count <= 40 {
        text.to_string()
    } else {
        format!(
            "{}... ({count} characters)",
            text.chars().take(40).collect::<String>()
        )
    }
}

/// The rows of each id of id column `k` (numbers and times as text), ids trimmed and in order of
/// first appearance; a missing id is an error.
fn group_by_id(table: &Table, file: &str, k: usize) -> Result<Vec<(String, Vec<usize>)>> {
    let column = &table.columns[k];
    let formatted: Vec<Option<String>>;
    let cells: Vec<Option<&str>> = match column.texts() {
        Some(texts) => texts.collect(),
        None => {
            formatted = (0..table.rows()).map(|row| column.cell_text(row)).collect();
            formatted.iter().map(Option::as_deref).collect()
        }
    };
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (row, cell) in cells.into_iter().enumerate() {
        let id = cell.map(trim).filter(|s| !s.is_empty()).ok_or_else(|| {
            Error::data(format!(
                "{file}: id column '{}' is empty at {}; every row needs a series id",
                table.names[k],
                table.row_label(row)
            ))
        })?;
        let g = *index.entry(id).or_insert_with(|| {
            groups.push((id.to_string(), Vec::new()));
            groups.len() - 1
        });
        groups[g].1.push(row);
    }
    Ok(groups)
}

/// The timestamps of a dataset's series formatted for output (helper for writers).
pub fn formatted_times(dataset: &Dataset, series: usize) -> Vec<String> {
    dataset
        .series
        .get(series)
        .map(|s| {
            s.time
                .iter()
                .map(|&t| format_timestamp(t, dataset.time_kind))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Frequency;

    fn table(names: &[&str], rows: &[&[&str]]) -> Table {
        let columns = (0..names.len())
            .map(|k| {
                Column::Text(
                    rows.iter()
                        .map(|r| Some(r[k].to_string()).filter(|s| !s.is_empty()))
                        .collect(),
                )
            })
            .collect();
        Table::new(names.iter().map(|s| s.to_string()).collect(), columns).unwrap()
    }

    fn opts() -> LoadOptions {
        LoadOptions::default()
    }

    #[test]
    fn detects_time_by_name_and_target_by_name() {
        let t = table(
            &["Date", "x", "OT"],
            &[
                &["2020-01-01", "1", "5"],
                &["2020-01-02", "2", "6"],
                &["2020-01-03", "3", "7"],
            ],
        );
        let (ds, report) = load_table(&t, "f.csv", &opts()).unwrap();
        let ds = ds.unwrap();
        assert_eq!(ds.time_column.as_deref(), Some("Date"));
        assert_eq!(ds.time_kind, TimeKind::Date);
        assert_eq!(ds.frequency, Frequency::Seconds(DAY));
        assert_eq!(ds.targets, ["OT"]);
        assert_eq!(ds.series[0].values, [5.0, 6.0, 7.0]);
        assert_eq!(report.season, Some(7));
    }

    #[test]
    fn detects_time_by_content_and_the_only_numeric_column() {
        let t = table(
            &["when", "label", "sales"],
            &[&["2020-01-01 00:00", "a", "1"], &["2020-01-01 01:00", "b", ""]],
        );
        let (ds, report) = load_table(&t, "f.csv", &opts()).unwrap();
        assert!(ds.is_none());
        assert_eq!(report.time_column.as_deref(), Some("when"));
        assert_eq!(report.targets, ["sales"]);
        assert_eq!(report.missing.count, 1);
    }

    #[test]
    fn no_time_column_uses_row_numbers() {
        let t = table(&["a"], &[&["1"], &["2"], &["3"]]);
        let (ds, _) = load_table(&t, "f.csv", &opts()).unwrap();
        let ds = ds.unwrap();
        assert_eq!(ds.time_kind, TimeKind::RowNumber);
        assert_eq!(ds.frequency, Frequency::Rows);
        assert_eq!(ds.series[0].time, [0, 1, 2]);
    }

    #[test]
    fn epoch_seconds_in_a_named_column() {
        let t = table(
            &["timestamp", "v2"],
            &[&["1467331200", "1"], &["1467334800", "2"]],
        );
        let (ds, _) = load_table(&t, "f.csv", &opts()).unwrap();
        let ds = ds.unwrap();
        assert_eq!(ds.time_kind, TimeKind::DateTime);
        assert_eq!(ds.frequency, Frequency::Seconds(3600));
        assert_eq!(formatted_times(&ds, 0)[0], "2016-07-01 00:00:00");
    }

    #[test]
    fn flags_name_missing_columns_and_bad_values() {
        let t = table(
            &["date", "a", "b"],
            &[&["2020-01-01", "1", "x"], &["2020-01-02", "2", "3"]],
        );
        let e = load_table(
            &t,
            "f.csv",
            &LoadOptions {
                id_col: Some("store".into()),
                ..opts()
            },
        )
        .unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e
            .to_string()
            .contains("'store' is not a column of f.csv; the columns are 'date', 'a', 'b'"));
        let e = load_table(
            &t,
            "f.csv",
            &LoadOptions {
                target: vec!["b".into()],
                ..opts()
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("'b' has 'x' at row 1"), "{e}");
        let (ds, _) = load_table(&t, "f.csv", &opts()).unwrap();
        assert_eq!(ds.unwrap().targets, ["a"]);
        let t = table(
            &["date", "a", "b"],
            &[&["2020-01-01", "1", "4"], &["2020-01-02", "2", "3"]],
        );
        let e = load_table(&t, "f.csv", &opts()).unwrap_err().to_string();
        assert!(
            e.contains("the numeric columns are 'a', 'b'") && e.contains("--target"),
            "{e}"
        );
    }

    #[test]
    fn bad_time_cells_are_named() {
        let t = table(&["date", "y"], &[&["2020-01-01", "1"], &["soon", "2"]]);
        let e = load_table(&t, "f.csv", &opts()).unwrap_err().to_string();
        assert!(e.contains("'soon' at row 2"), "{e}");
        let t = table(&["date", "y"], &[&["2020-01-01", "1"], &["", "2"]]);
        let e = load_table(&t, "f.csv", &opts()).unwrap_err().to_string();
        assert!(e.contains("empty at row 2"), "{e}");
    }

    #[test]
    fn parses_values() {
        assert_eq!(parse_value(" 2.5 "), Ok(Some(2.5)));
        assert_eq!(parse_value("1e3"), Ok(Some(1000.0)));
        assert_eq!(parse_value("NaN"), Ok(None));
        assert_eq!(parse_value("NA"), Ok(None));
        assert_eq!(parse_value(""), Ok(None));
        assert_eq!(parse_value("inf"), Ok(Some(f64::INFINITY)));
        assert_eq!(parse_value("2,5"), Err(NotANumber));
        assert_eq!(LoadOptions::parse_targets(" a, b,,c "), ["a", "b", "c"]);
    }
}
