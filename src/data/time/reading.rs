//! Readings of a time column: every way `xlstm` can read time text ([`TimeFormat`]), and the
//! choice of one reading for a whole column ([`parse_time_column`]).
//!
//! A column is read with one reading throughout, so `03/04/2020` cannot mean March in one row and
//! April in the next. The readings are disjoint by the shape of their text, except the order of
//! year-last numeric dates: when both orders read every cell and some cell reads differently
//! (`01/02/2020`), the column is refused and the error names `--time-format`. Years, compact
//! digits (`20200131`) and epoch seconds or milliseconds look like plain numbers, so they are
//! tried only in a column named like a time column or chosen with `--time-col`.

use serde::{Deserialize, Serialize};

use super::civil::split;
use super::numeric::{self, DateMemo, DateOrder};
use super::pattern::Pattern;
use super::{format_timestamp, trim, EPOCH_MAX, EPOCH_MIN};
use crate::data::TimeKind;
use chrono::Datelike;

/// Smallest integer read as epoch milliseconds (2001-09-09): shorter integers are not milliseconds.
pub const EPOCH_MS_MIN: i64 = 1_000_000_000_000;
/// Largest integer read as epoch milliseconds (2100-01-01 00:00:00).
pub const EPOCH_MS_MAX: i64 = EPOCH_MAX * 1000;

/// How a time column is written, kept in the model file so forecasts are written the same way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimeFormat {
    /// Numeric dates and date-times (`2020-01-31 13:45`, `01/31/2020`, `31.01.2020`), written
    /// back as ISO 8601 (`2020-01-31 13:45:00`).
    Numeric(DateOrder),
    /// Integer seconds since 1970-01-01 UTC, written back as ISO 8601.
    EpochSeconds,
    /// Integer milliseconds since 1970-01-01 UTC, written back as ISO 8601.
    EpochMillis,
    /// A chrono/strftime pattern: `read` reads cells, `write` writes times in the input's style.
    Pattern {
        /// The pattern cells are read with.
        read: String,
        /// The pattern times are written with.
        write: String,
    },
}

impl Default for TimeFormat {
    fn default() -> TimeFormat {
        TimeFormat::Numeric(DateOrder::MonthFirst)
    }
}

impl TimeFormat {
    /// The reading `--time-format PATTERN` asks for; the error says what is wrong with the pattern.
    pub fn from_pattern(text: &str) -> Result<TimeFormat, String> {
        Pattern::new(text)?;
        Ok(TimeFormat::Pattern {
            read: text.to_string(),
            write: text.to_string(),
        })
    }

    /// A writer of times in this format for a column of `kind`.
    pub fn writer(&self, kind: TimeKind) -> TimeWriter {
        let pattern = match self {
            TimeFormat::Pattern { write, .. } if kind != TimeKind::RowNumber => Pattern::new(write).ok(),
            _ => None,
        };
        TimeWriter { pattern, kind }
    }
}

/// Writes times in a [`TimeFormat`]: the input's own style, or ISO 8601 ([`format_timestamp`])
/// for numeric and epoch readings and for times the style cannot write.
#[derive(Debug, Clone)]
pub struct TimeWriter {
    pattern: Option<Pattern>,
    kind: TimeKind,
}

impl TimeWriter {
    /// Time `t` as text.
    pub fn write(&self, t: i64) -> String {
        self.pattern
            .as_ref()
            .and_then(|p| p.format(t))
            .unwrap_or_else(|| format_timestamp(t, self.kind))
    }
}

/// A cell of a time column that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadTime {
    /// 0-based row in the column.
    pub row: usize,
    /// The text found there.
    pub value: String,
}

/// One reading of a column that an ambiguous column allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alternative {
    /// The reading in words.
    pub description: String,
    /// A `--time-format` pattern that chooses it.
    pub pattern: String,
    /// What the reading makes of the example cell.
    pub time: i64,
}

/// Why a column has no reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeError {
    /// No reading reads every cell: the first cell that the most successful reading could not read.
    Unreadable(BadTime),
    /// Two readings read every cell and disagree on `value` (row `row`).
    Ambiguous {
        /// 0-based row of a cell the readings read differently.
        row: usize,
        /// Its text.
        value: String,
        /// The two readings.
        readings: Box<[Alternative; 2]>,
    },
}

/// A parsed time column ([`parse_time_column`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeColumn {
    /// The time of every cell (0 for a missing cell).
    pub times: Vec<i64>,
    /// The first missing cell (0-based), if any.
    pub first_missing: Option<usize>,
    /// [`TimeKind::Date`] when every present cell is a plain date, else [`TimeKind::DateTime`].
    pub kind: TimeKind,
    /// The reading chosen.
    pub format: TimeFormat,
    /// The reading in words, for the check report (`YYYY-MM-DD hh:mm:ss (ISO 8601)`, ...).
    pub description: String,
}

/// The patterns detection tries after the numeric reading: what they read and how they are named.
struct Candidate {
    /// The reading in words.
    label: &'static str,
    /// The pattern cells are read with (`%B` reads abbreviated and full month names).
    read: String,
    /// Only in a time-named column (the text looks like a number).
    named_only: bool,
}

/// Dates with month names, as exporters write them; each also with a time of day.
const NAMED_MONTH_DATES: [&str; 13] = [
    "%B %Y",
    "%Y %B",
    "%B-%Y",
    "%Y-%B",
    "%B %d %Y",
    "%B %d, %Y",
    "%B-%d-%Y",
    "%B/%d/%Y",
    "%d %B %Y",
    "%d-%B-%Y",
    "%d/%B/%Y",
    "%Y-%B-%d",
    "%Y %B %d",
];

fn candidates(named: bool) -> Vec<Candidate> {
    let fixed = |label, read: &str, named_only| Candidate {
        label,
        read: read.to_string(),
        named_only,
    };
    let mut list = vec![
        fixed("quarters", "%YQ%q", false),
        fixed("quarters", "%Y-Q%q", false),
        fixed("quarters", "%Y Q%q", false),
        fixed("quarters", "Q%q %Y", false),
        fixed("quarters", "Q%q-%Y", false),
        fixed("ISO weeks", "%G-W%V", false),
        fixed("ISO weeks", "%GW%V", false),
        fixed("ISO weeks", "%G W%V", false),
        fixed("year-month", "%Y-%m", false),
        fixed("year-month", "%Y/%m", false),
        fixed("year-month", "%YM%m", false),
    ];
    for date in NAMED_MONTH_DATES {
        for clock in ["", " %H:%M", " %H:%M:%S"] {
            if clock.is_empty() || date.contains("%d") {
                list.push(fixed("month names", &format!("{date}{clock}"), false));
            }
        }
    }
    for compact in ["%Y%m%d", "%Y%m%d%H%M", "%Y%m%d%H%M%S"] {
        list.push(fixed("compact digits", compact, true));
    }
    list.push(fixed("years", "%Y", true));
    list.retain(|c| named || !c.named_only);
    list
}

/// The write patterns a read pattern allows: abbreviated or full month names, days with or
/// without a leading zero.
fn write_styles(read: &str) -> Vec<String> {
    let mut styles = Vec::new();
    for month in ["%b", "%B"] {
        for day in ["%d", "%-d"] {
            let style = read.replace("%B", month).replace("%d", day);
            if !styles.contains(&style) {
                styles.push(style);
            }
        }
    }
    styles
}

/// Text compared for style: case and runs of spaces do not count.
fn same_text(a: &str, b: &str) -> bool {
    let words = |s: &str| {
        s.split_whitespace()
            .map(str::to_ascii_lowercase)
            .collect::<Vec<_>>()
    };
    words(a) == words(b)
}

/// Parses a whole text column; `cells` gives its cells (from the first, each time it is called).
/// Cells are trimmed; empty cells are missing. `named` allows the readings of plain numbers
/// (the column is named like a time column or chosen with `--time-col`); `given` is the reading
/// of `--time-format`, the only one tried when present.
pub fn parse_time_column<'a, I>(
    cells: impl Fn() -> I,
    named: bool,
    given: Option<&TimeFormat>,
) -> Result<TimeColumn, TimeError>
where
    I: Iterator<Item = Option<&'a str>>,
{
    let Some(first) = cells().flatten().map(trim).find(|t| !t.is_empty()) else {
        // Nothing to read: every cell is missing (an error for the caller to name).
        let (column, _) = read_cells(cells(), |_, _| None).map_err(TimeError::Unreadable)?;
        return Ok(finish_kind(column, false, TimeFormat::default(), String::new()));
    };
    if let Some(format) = given {
        return read_given(cells(), format, first).map_err(TimeError::Unreadable);
    }
    let mut best: Option<BadTime> = None;
    match read_numeric(&cells, DateOrder::MonthFirst, first) {
        Ok((column, None)) => return Ok(column),
        Ok((month_first, Some(row))) => {
            return match read_numeric(&cells, DateOrder::DayFirst, first) {
                Ok((day_first, _)) if day_first.times != month_first.times => {
                    Err(ambiguous(&cells, row, &month_first, &day_first))
                }
                _ => Ok(month_first),
            }
        }
        Err(bad) => keep_furthest(&mut best, bad),
    }
    match read_numeric(&cells, DateOrder::DayFirst, first) {
        Ok((column, _)) => return Ok(column),
        Err(bad) => keep_furthest(&mut best, bad),
    }
    let mut fits: Vec<TimeColumn> = Vec::new();
    if named {
        for format in [TimeFormat::EpochSeconds, TimeFormat::EpochMillis] {
            match read_given(cells(), &format, first) {
                Ok(column) => fits.push(column),
                Err(bad) => keep_furthest(&mut best, bad),
            }
        }
    }
    for candidate in candidates(named) {
        let Some((pattern, write)) = accepts_first(&candidate, first) else {
            continue;
        };
        let read = |_, text: &str| pattern.parse(text).filter(|&(t, _)| plausible_year(t));
        match read_cells(cells(), read) {
            Ok((column, all_dates)) => {
                let description = format!("{} ({write}, like {first})", candidate.label);
                let format = TimeFormat::Pattern {
                    read: candidate.read.clone(),
                    write,
                };
                fits.push(finish_kind(column, all_dates, format, description));
            }
            Err(bad) => keep_furthest(&mut best, bad),
        }
    }
    choose(fits, &cells, best)
}

/// The reading `--time-format` (or a detected epoch reading) gives, described.
fn read_given<'a>(
    cells: impl Iterator<Item = Option<&'a str>>,
    format: &TimeFormat,
    first: &str,
) -> Result<TimeColumn, BadTime> {
    let (column, all_dates) = match format {
        TimeFormat::EpochSeconds => read_cells(cells, |_, t| parse_epoch_seconds(t).map(|v| (v, false))),
        TimeFormat::EpochMillis => read_cells(cells, |_, t| parse_epoch_millis(t).map(|v| (v, false))),
        TimeFormat::Pattern { read, .. } => match Pattern::new(read) {
            Ok(pattern) => read_cells(cells, |_, t| pattern.parse(t)),
            Err(_) => read_cells(cells, |_, _| None),
        },
        TimeFormat::Numeric(order) => {
            let mut memo = None;
            read_cells(cells, |_, t| numeric_cell(t, *order, &mut memo, &mut false))
        }
    }?;
    let description = match format {
        TimeFormat::EpochSeconds => "epoch seconds".to_string(),
        TimeFormat::EpochMillis => "epoch milliseconds".to_string(),
        TimeFormat::Pattern { read, .. } => format!("--time-format '{read}'"),
        TimeFormat::Numeric(order) => numeric_description(first, *order),
    };
    Ok(finish_kind(column, all_dates, format.clone(), description))
}

/// The numeric reading in `order`, and the row of the first cell the other order reads
/// differently, if any.
fn read_numeric<'a, I>(
    cells: &impl Fn() -> I,
    order: DateOrder,
    first: &str,
) -> Result<(TimeColumn, Option<usize>), BadTime>
where
    I: Iterator<Item = Option<&'a str>>,
{
    let mut memo = None;
    let mut order_row = None;
    let (column, all_dates) = read_cells(cells(), |row, text| {
        let mut matters = false;
        let stamp = numeric_cell(text, order, &mut memo, &mut matters);
        if matters && order_row.is_none() {
            order_row = Some(row);
        }
        stamp
    })?;
    let description = numeric_description(first, order);
    Ok((
        finish_kind(column, all_dates, TimeFormat::Numeric(order), description),
        order_row,
    ))
}

fn numeric_cell<'a>(
    text: &'a str,
    order: DateOrder,
    memo: &mut DateMemo<'a>,
    order_matters: &mut bool,
) -> Option<(i64, bool)> {
    let stamp = numeric::parse_with(text, order, memo)?;
    *order_matters = stamp.order_matters;
    Some((stamp.secs, stamp.date_only))
}

/// `YYYY-MM-DD hh:mm:ss (ISO 8601)`, `DD/MM/YYYY (day first)`, ...
fn numeric_description(first: &str, order: DateOrder) -> String {
    let layout = numeric::layout(first, order);
    let kind = if layout.starts_with("YYYY-") {
        "ISO 8601"
    } else if layout.starts_with("YYYY") {
        "year first"
    } else if layout.starts_with("DD") {
        "day first"
    } else {
        "month first"
    };
    format!("{layout} ({kind})")
}

/// The chrono pattern of a numeric layout (`DD/MM/YYYY hh:mm` → `%d/%m/%Y %H:%M`).
fn layout_pattern(layout: &str) -> String {
    [
        ("±hh:mm", "%:z"),
        (".fff", "%.f"),
        ("YYYY", "%Y"),
        ("MM", "%m"),
        ("DD", "%d"),
        ("hh", "%H"),
        ("mm", "%M"),
        ("ss", "%S"),
    ]
    .iter()
    .fold(layout.to_string(), |text, (field, spec)| {
        text.replace(field, spec)
    })
}

/// The error for two readings of a column that read row `row` differently.
fn ambiguous<'a, I>(cells: &impl Fn() -> I, row: usize, a: &TimeColumn, b: &TimeColumn) -> TimeError
where
    I: Iterator<Item = Option<&'a str>>,
{
    let value = cells()
        .nth(row)
        .flatten()
        .map(trim)
        .unwrap_or_default()
        .to_string();
    let alternative = |column: &TimeColumn| Alternative {
        description: column.description.clone(),
        pattern: match &column.format {
            TimeFormat::Numeric(order) => layout_pattern(&numeric::layout(&value, *order)),
            TimeFormat::Pattern { read, .. } => read.clone(),
            TimeFormat::EpochSeconds | TimeFormat::EpochMillis => "%s".to_string(),
        },
        time: column.times[row],
    };
    TimeError::Ambiguous {
        row,
        readings: Box::new([alternative(a), alternative(b)]),
        value,
    }
}

/// Whether `candidate` reads the first cell, with the write style that writes it back as it is.
fn accepts_first(candidate: &Candidate, first: &str) -> Option<(Pattern, String)> {
    let pattern = Pattern::new(&candidate.read).ok()?;
    let (t, _) = pattern.parse(first).filter(|&(t, _)| plausible_year(t))?;
    let write = write_styles(&candidate.read).into_iter().find(|style| {
        Pattern::new(style)
            .ok()
            .and_then(|p| p.format(t))
            .is_some_and(|w| same_text(&w, first))
    })?;
    Some((pattern, write))
}

/// Detected patterns read four-digit years only, so a day or a two-digit number is never a year.
fn plausible_year(t: i64) -> bool {
    split(t).is_some_and(|(date, _)| (1000..=9999).contains(&date.year()))
}

/// One reading among those that fit: equal readings are one; two that disagree are ambiguous.
fn choose<'a, I>(
    fits: Vec<TimeColumn>,
    cells: &impl Fn() -> I,
    best: Option<BadTime>,
) -> Result<TimeColumn, TimeError>
where
    I: Iterator<Item = Option<&'a str>>,
{
    let mut fits = fits.into_iter();
    let Some(chosen) = fits.next() else {
        return Err(TimeError::Unreadable(best.unwrap_or(BadTime {
            row: 0,
            value: String::new(),
        })));
    };
    match fits.find(|other| other.times != chosen.times) {
        None => Ok(chosen),
        Some(other) => {
            let row = (0..chosen.times.len())
                .find(|&r| chosen.times[r] != other.times[r])
                .unwrap_or(0);
            Err(ambiguous(cells, row, &chosen, &other))
        }
    }
}

/// The [`TimeColumn`] of times read with `format` (plain dates when `all_dates`).
fn finish_kind(column: CellTimes, all_dates: bool, format: TimeFormat, description: String) -> TimeColumn {
    TimeColumn {
        times: column.times,
        first_missing: column.first_missing,
        kind: if all_dates {
            TimeKind::Date
        } else {
            TimeKind::DateTime
        },
        format,
        description,
    }
}

/// The times of every cell read with one reading.
struct CellTimes {
    times: Vec<i64>,
    first_missing: Option<usize>,
}

/// Parses every present cell with `parse` (given its row and text: seconds, and whether the cell
/// was a plain date); stops
/// at the first cell it cannot read. The flag says whether every present cell was a plain date.
fn read_cells<'a>(
    cells: impl Iterator<Item = Option<&'a str>>,
    mut parse: impl FnMut(usize, &'a str) -> Option<(i64, bool)>,
) -> Result<(CellTimes, bool), BadTime> {
    let mut column = CellTimes {
        times: Vec::with_capacity(cells.size_hint().0),
        first_missing: None,
    };
    let mut all_dates = true;
    for (row, cell) in cells.enumerate() {
        match cell.map(trim).filter(|text| !text.is_empty()) {
            None => {
                column.first_missing.get_or_insert(row);
                column.times.push(0);
            }
            Some(text) => {
                let (secs, date_only) = parse(row, text).ok_or_else(|| BadTime {
                    row,
                    value: text.to_string(),
                })?;
                all_dates &= date_only;
                column.times.push(secs);
            }
        }
    }
    Ok((column, all_dates))
}

/// Keep the failure that got furthest into the column (the reading most likely meant).
fn keep_furthest(best: &mut Option<BadTime>, bad: BadTime) {
    if best.as_ref().is_none_or(|b| bad.row > b.row) {
        *best = Some(bad);
    }
}

/// Parses an integer number of seconds since the epoch in the plausible range
/// [`EPOCH_MIN`]..=[`EPOCH_MAX`] (a trailing `.0` allowed); anything else is `None`.
pub fn parse_epoch_seconds(text: &str) -> Option<i64> {
    parse_integer(text, 12).filter(|v| (EPOCH_MIN..=EPOCH_MAX).contains(v))
}

/// Parses an integer number of milliseconds since the epoch in the plausible range
/// [`EPOCH_MS_MIN`]..=[`EPOCH_MS_MAX`]; returns seconds (the milliseconds dropped).
pub fn parse_epoch_millis(text: &str) -> Option<i64> {
    parse_integer(text, 15)
        .filter(|v| (EPOCH_MS_MIN..=EPOCH_MS_MAX).contains(v))
        .map(|ms| ms.div_euclid(1000))
}

fn parse_integer(text: &str, max_digits: usize) -> Option<i64> {
    let t = trim(text);
    let t = t.strip_suffix(".0").unwrap_or(t);
    if t.is_empty() || t.len() > max_digits || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::time::civil::days_from_civil;
    use crate::data::time::DAY;

    fn at(y: i64, m: u32, d: u32) -> i64 {
        days_from_civil(y, m, d) * DAY
    }

    fn column(cells: &[Option<&'static str>], named: bool) -> Result<TimeColumn, TimeError> {
        parse_time_column(|| cells.iter().copied(), named, None)
    }

    fn read(cells: &[&'static str], named: bool) -> TimeColumn {
        let cells: Vec<Option<&'static str>> = cells.iter().map(|c| Some(*c)).collect();
        column(&cells, named).unwrap()
    }

    #[test]
    fn numeric_dates_switch_to_day_first_and_report_the_bad_cell() {
        let parsed = column(&[Some("01/02/2020"), None, Some("25/02/2020"), Some("  ")], false).unwrap();
        assert_eq!(parsed.kind, TimeKind::Date);
        assert_eq!(parsed.times[0], at(2020, 2, 1));
        assert_eq!(parsed.times[2], at(2020, 2, 25));
        assert_eq!(parsed.first_missing, Some(1));
        assert_eq!(parsed.format, TimeFormat::Numeric(DateOrder::DayFirst));
        assert_eq!(parsed.description, "DD/MM/YYYY (day first)");
        let bad = column(
            &[Some("2020-01-01"), Some("2020-01-01 06:00"), Some(" nope ")],
            true,
        )
        .unwrap_err();
        let expected = BadTime {
            row: 2,
            value: "nope".into(),
        };
        assert_eq!(bad, TimeError::Unreadable(expected));
        let iso = read(&["2020-01-01 00:00", "2020-01-01 01:00"], false);
        assert_eq!(iso.description, "YYYY-MM-DD hh:mm (ISO 8601)");
        assert_eq!(iso.kind, TimeKind::DateTime);
    }

    #[test]
    fn two_readings_that_disagree_are_refused_with_both_patterns() {
        let cells = [None, Some("01/02/2020 10:00"), Some("01/03/2020 10:00")];
        let TimeError::Ambiguous { row, value, readings } = column(&cells, false).unwrap_err() else {
            panic!("not ambiguous");
        };
        assert_eq!((row, value.as_str()), (1, "01/02/2020 10:00"));
        assert_eq!(readings[0].pattern, "%m/%d/%Y %H:%M");
        assert_eq!(readings[1].pattern, "%d/%m/%Y %H:%M");
        assert_eq!(readings[0].time, at(2020, 1, 2) + 36_000);
        assert_eq!(readings[1].time, at(2020, 2, 1) + 36_000);
        // A value above 12 decides; equal parts read the same either way.
        assert_eq!(
            read(&["01/02/2020", "12/25/2020"], false).format,
            TimeFormat::Numeric(DateOrder::MonthFirst)
        );
        assert_eq!(
            read(&["05/05/2020", "06/06/2020"], false).times[0],
            at(2020, 5, 5)
        );
        // --time-format decides too.
        let given = TimeFormat::from_pattern("%d/%m/%Y %H:%M").unwrap();
        let parsed = parse_time_column(|| cells.iter().copied(), false, Some(&given)).unwrap();
        assert_eq!(parsed.times[1], at(2020, 2, 1) + 36_000);
        assert_eq!(parsed.description, "--time-format '%d/%m/%Y %H:%M'");
    }

    #[test]
    fn every_issue_format_reads_with_one_reading_and_keeps_its_style() {
        let cases: [(&str, &str, i64, &str); 22] = [
            ("1871", "%Y", at(1871, 1, 1), "years"),
            ("1749-01", "%Y-%m", at(1749, 1, 1), "year-month"),
            ("2020/01", "%Y/%m", at(2020, 1, 1), "year-month"),
            ("2020M01", "%YM%m", at(2020, 1, 1), "year-month"),
            ("1959Q1", "%YQ%q", at(1959, 1, 1), "quarters"),
            ("2020 Q2", "%Y Q%q", at(2020, 4, 1), "quarters"),
            ("2020-Q3", "%Y-Q%q", at(2020, 7, 1), "quarters"),
            ("Q4 2020", "Q%q %Y", at(2020, 10, 1), "quarters"),
            ("2020-W06", "%G-W%V", at(2020, 2, 3), "ISO weeks"),
            ("1991 W06", "%G W%V", at(1991, 2, 4), "ISO weeks"),
            ("2020W06", "%GW%V", at(2020, 2, 3), "ISO weeks"),
            ("Jan 2020", "%b %Y", at(2020, 1, 1), "month names"),
            ("1960 Jan", "%Y %b", at(1960, 1, 1), "month names"),
            ("January 2020", "%B %Y", at(2020, 1, 1), "month names"),
            ("Jan-1-1995", "%b-%-d-%Y", at(1995, 1, 1), "month names"),
            ("1 Jan 2020", "%-d %b %Y", at(2020, 1, 1), "month names"),
            ("01-Jan-2020", "%d-%b-%Y", at(2020, 1, 1), "month names"),
            ("19580329", "%Y%m%d", at(1958, 3, 29), "compact digits"),
            (
                "202001311345",
                "%Y%m%d%H%M",
                at(2020, 1, 31) + 49_500,
                "compact digits",
            ),
            (
                "20200131134501",
                "%Y%m%d%H%M%S",
                at(2020, 1, 31) + 49_501,
                "compact digits",
            ),
            ("1467331200", "", 1_467_331_200, "epoch seconds"),
            ("1467331200123", "", 1_467_331_200, "epoch milliseconds"),
        ];
        for (cell, write, time, label) in cases {
            let parsed = read(&[cell], true);
            assert_eq!(parsed.times[0], time, "{cell}");
            assert!(
                parsed.description.starts_with(label),
                "{cell}: {}",
                parsed.description
            );
            match &parsed.format {
                TimeFormat::Pattern { write: w, .. } => assert_eq!(w, write, "{cell}"),
                other => assert!(write.is_empty(), "{cell}: {other:?}"),
            }
            let written = parsed.format.writer(parsed.kind).write(time);
            let expected = if write.is_empty() {
                format_timestamp(time, TimeKind::DateTime)
            } else {
                cell.to_string()
            };
            assert_eq!(written, expected, "{cell}");
        }
    }

    #[test]
    fn numbers_are_times_only_in_time_named_columns() {
        let cells = [Some("1871"), Some("1872")];
        assert!(column(&cells, false).is_err());
        assert_eq!(column(&cells, true).unwrap().times[1], at(1872, 1, 1));
        let cells = [Some("0"), Some("1")];
        let TimeError::Unreadable(bad) = column(&cells, true).unwrap_err() else {
            panic!("a counter is not a time");
        };
        assert_eq!((bad.row, bad.value.as_str()), (0, "0"));
    }

    #[test]
    fn a_month_name_column_keeps_full_names_and_unpadded_days() {
        let parsed = read(&["March 5, 2021", "March 12, 2021"], false);
        assert_eq!(parsed.times[1], at(2021, 3, 12));
        assert_eq!(
            parsed.format.writer(parsed.kind).write(at(2021, 4, 2)),
            "April 2, 2021"
        );
        let parsed = read(&["JAN 2020", "feb 2020"], false);
        assert_eq!(
            parsed.format.writer(parsed.kind).write(at(2020, 3, 1)),
            "Mar 2020"
        );
    }

    #[test]
    fn epoch_integers_need_a_plausible_range() {
        assert_eq!(parse_epoch_seconds("1467331200"), Some(1_467_331_200));
        assert_eq!(parse_epoch_seconds("1467331200.0"), Some(1_467_331_200));
        assert_eq!(parse_epoch_seconds("17"), None);
        assert_eq!(parse_epoch_seconds("1467331200.5"), None);
        assert_eq!(parse_epoch_seconds("-1467331200"), None);
        assert_eq!(parse_epoch_seconds("99999999999"), None);
        assert_eq!(parse_epoch_millis("1467331200999"), Some(1_467_331_200));
        assert_eq!(parse_epoch_millis("146733120099"), None);
    }
}
