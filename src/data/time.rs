//! Timestamps: parsing them from text, inferring the step between them, generating the next
//! ones and writing them back.
//!
//! Times are `i64` seconds since 1970-01-01 00:00:00 (see [`TimeKind`]). Parsing is hand-written
//! (no locale, no guessing per cell): a whole column is parsed with one date order so
//! `03/04/2020` cannot mean March in one row and April in the next. Calendar arithmetic uses the
//! proleptic Gregorian calendar (`days_from_civil` / `civil_from_days`).

use std::collections::HashMap;

use super::{Frequency, TimeKind};

/// Seconds in a day.
pub const DAY: i64 = 86_400;
/// Smallest integer accepted as epoch seconds (1973-03-03): smaller integers are counters, not times.
pub const EPOCH_MIN: i64 = 100_000_000;
/// Largest integer accepted as epoch seconds (2100-01-01 00:00:00).
pub const EPOCH_MAX: i64 = 4_102_444_800;

/// The formats [`parse_timestamp`] accepts, for error messages and docs.
pub const ACCEPTED_FORMATS: &str = "YYYY-MM-DD, YYYY/MM/DD, MM/DD/YYYY (or DD/MM/YYYY), DD.MM.YYYY, \
each optionally followed by ' HH:MM[:SS[.fff]]' or 'THH:MM[:SS[.fff]]' and 'Z' or '+HH:MM'; \
or integer epoch seconds in a column named like a time column";

/// How to read `aa/bb/YYYY` dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    /// `MM/DD/YYYY` (US).
    MonthFirst,
    /// `DD/MM/YYYY`.
    DayFirst,
}

/// One parsed cell: seconds since the epoch (UTC) and whether it had no time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Seconds since 1970-01-01 00:00:00 (offsets folded to UTC, fractional seconds dropped).
    pub secs: i64,
    /// True for a plain date (no time of day written).
    pub date_only: bool,
}

/// Days since 1970-01-01 of a proleptic Gregorian date (`m` in 1..=12, `d` in 1..=31).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `(year, month, day)` of a day number since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Number of days in month `m` of year `y`.
pub fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// A byte cursor over one cell.
struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn done(&self) -> bool {
        self.i == self.b.len()
    }
    /// Reads between `min` and `max` ASCII digits.
    fn digits(&mut self, min: usize, max: usize) -> Option<(i64, usize)> {
        let start = self.i;
        let mut v: i64 = 0;
        while self.i - start < max {
            match self.peek() {
                Some(c) if c.is_ascii_digit() => {
                    v = v * 10 + i64::from(c - b'0');
                    self.i += 1;
                }
                _ => break,
            }
        }
        let n = self.i - start;
        if n < min {
            None
        } else {
            Some((v, n))
        }
    }
    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
    }
}

fn valid_date(y: i64, m: i64, d: i64) -> Option<i64> {
    if !(1..=12).contains(&m) || d < 1 || d > i64::from(days_in_month(y, m as u32)) {
        return None;
    }
    Some(days_from_civil(y, m as u32, d as u32))
}

/// Parses the date part; returns days since the epoch.
fn parse_date(c: &mut Cursor, order: DateOrder) -> Option<i64> {
    let (a, na) = c.digits(1, 4)?;
    let sep = c.peek()?;
    if !matches!(sep, b'-' | b'/' | b'.') {
        return None;
    }
    c.i += 1;
    let (b, _) = c.digits(1, 2)?;
    if !c.eat(sep) {
        return None;
    }
    if na == 4 {
        // Year first: YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD.
        let (d, _) = c.digits(1, 2)?;
        return valid_date(a, b, d);
    }
    if na > 2 {
        return None;
    }
    let (y, ny) = c.digits(4, 4)?;
    debug_assert_eq!(ny, 4);
    // Year last: '/' follows the column's order, '.' and '-' are day first.
    let (m, d) = if sep == b'/' && order == DateOrder::MonthFirst {
        (a, b)
    } else {
        (b, a)
    };
    valid_date(y, m, d)
}

/// Parses `HH:MM[:SS[.fff]]`; returns seconds into the day.
fn parse_clock(c: &mut Cursor) -> Option<i64> {
    let (h, _) = c.digits(1, 2)?;
    if !c.eat(b':') {
        return None;
    }
    let (mi, _) = c.digits(2, 2)?;
    let mut s = 0;
    if c.eat(b':') {
        s = c.digits(2, 2)?.0;
        if c.eat(b'.') || c.eat(b',') {
            c.digits(1, 12)?;
        }
    }
    if h > 23 || mi > 59 || s > 59 {
        return None;
    }
    Some(h * 3600 + mi * 60 + s)
}

/// Parses an optional UTC offset (`Z`, `UTC`, `+HH:MM`, `+HHMM`, `+HH`); returns seconds east of UTC.
fn parse_offset(c: &mut Cursor) -> Option<i64> {
    c.skip_spaces();
    if c.done() {
        return Some(0);
    }
    if c.eat(b'Z') || c.eat(b'z') {
        return Some(0);
    }
    if c.b[c.i..].eq_ignore_ascii_case(b"UTC") {
        c.i = c.b.len();
        return Some(0);
    }
    let sign = if c.eat(b'+') {
        1
    } else if c.eat(b'-') {
        -1
    } else {
        return None;
    };
    let (h, _) = c.digits(2, 2)?;
    c.eat(b':');
    let m = if c.done() { 0 } else { c.digits(2, 2)?.0 };
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}

/// Parses one timestamp written as text (see [`ACCEPTED_FORMATS`]; epoch seconds are separate,
/// [`parse_epoch_seconds`]). Surrounding spaces are ignored. Returns `None` when the text is not a
/// valid date or date-time.
pub fn parse_timestamp(text: &str, order: DateOrder) -> Option<Stamp> {
    parse_timestamp_with(text, order, &mut None)
}

/// The date part of the last cell [`parse_timestamp_with`] parsed, and its day number.
type DateMemo<'a> = Option<(&'a [u8], i64)>;

/// [`parse_timestamp`] that reuses the date of the previous cell when this one starts with the
/// same date text (consecutive rows mostly share their date).
fn parse_timestamp_with<'a>(text: &'a str, order: DateOrder, memo: &mut DateMemo<'a>) -> Option<Stamp> {
    let b = trim(text).as_bytes();
    let mut c = Cursor { b, i: 0 };
    // The same date text followed by a non-digit reads the same: `parse_date` stops at the same
    // place (its last field ends at its maximum length or at that non-digit).
    let days = match *memo {
        Some((date, days)) if same_start(b, date) && !b.get(date.len()).is_some_and(u8::is_ascii_digit) => {
            c.i = date.len();
            days
        }
        _ => {
            let days = parse_date(&mut c, order)?;
            *memo = Some((&b[..c.i], days));
            days
        }
    };
    if c.done() {
        return Some(Stamp {
            secs: days * DAY,
            date_only: true,
        });
    }
    match c.peek() {
        Some(b'T') | Some(b't') => c.i += 1,
        Some(b' ') => c.skip_spaces(),
        _ => return None,
    }
    let clock = parse_clock(&mut c)?;
    let offset = parse_offset(&mut c)?;
    if !c.done() {
        return None;
    }
    Some(Stamp {
        secs: days * DAY + clock - offset,
        date_only: false,
    })
}

/// Parses an integer number of seconds since the epoch in the plausible range
/// [`EPOCH_MIN`]..=[`EPOCH_MAX`]; anything else is `None`.
pub fn parse_epoch_seconds(text: &str) -> Option<i64> {
    let t = trim(text);
    let t = t.strip_suffix(".0").unwrap_or(t);
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) || t.len() > 12 {
        return None;
    }
    let v: i64 = t.parse().ok()?;
    (EPOCH_MIN..=EPOCH_MAX).contains(&v).then_some(v)
}

/// `text.starts_with(start)` for a short `start`, without a call to `memcmp`.
#[inline]
fn same_start(text: &[u8], start: &[u8]) -> bool {
    text.len() >= start.len() && text.iter().zip(start).all(|(a, b)| a == b)
}

/// `text.trim()`, without looking for whitespace when the text starts and ends with a visible
/// ASCII character (almost every cell).
pub fn trim(text: &str) -> &str {
    match (text.as_bytes().first(), text.as_bytes().last()) {
        (Some(a), Some(b)) if a.is_ascii_graphic() && b.is_ascii_graphic() => text,
        _ => text.trim(),
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

/// A parsed time column ([`parse_time_column`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeColumn {
    /// The time of every cell (0 for a missing cell).
    pub times: Vec<i64>,
    /// The first missing cell (0-based), if any.
    pub first_missing: Option<usize>,
    /// [`TimeKind::Date`] when every present cell is a plain date, else [`TimeKind::DateTime`].
    pub kind: TimeKind,
}

/// Parses a whole text column; `cells` gives its cells (from the first, each time it is
/// called). Cells are trimmed; empty cells are missing. All present cells must parse with one
/// reading: month-first dates, else day-first, else (with `allow_epoch`) epoch seconds. On
/// failure the first cell that the most successful reading could not parse is returned.
pub fn parse_time_column<'a, I>(cells: impl Fn() -> I, allow_epoch: bool) -> Result<TimeColumn, BadTime>
where
    I: Iterator<Item = Option<&'a str>>,
{
    let mut best: Option<BadTime> = None;
    for order in [DateOrder::MonthFirst, DateOrder::DayFirst] {
        let mut memo = None;
        match parse_cells(cells(), |text| {
            parse_timestamp_with(text, order, &mut memo).map(|s| (s.secs, s.date_only))
        }) {
            Ok((column, true)) => {
                return Ok(TimeColumn {
                    kind: TimeKind::Date,
                    ..column
                })
            }
            Ok((column, false)) => return Ok(column),
            Err(bad) => keep_furthest(&mut best, bad),
        }
    }
    if allow_epoch {
        match parse_cells(cells(), |text| parse_epoch_seconds(text).map(|v| (v, false))) {
            Ok((column, _)) => return Ok(column),
            Err(bad) => keep_furthest(&mut best, bad),
        }
    }
    Err(best.unwrap_or(BadTime {
        row: 0,
        value: String::new(),
    }))
}

/// Parse every present cell with `parse` (returning seconds and whether the cell was a plain
/// date); stops at the first cell it cannot read. The flag says whether every cell was a date
/// (the column's kind is left as date-times).
fn parse_cells<'a>(
    cells: impl Iterator<Item = Option<&'a str>>,
    mut parse: impl FnMut(&'a str) -> Option<(i64, bool)>,
) -> Result<(TimeColumn, bool), BadTime> {
    let mut column = TimeColumn {
        times: Vec::with_capacity(cells.size_hint().0),
        first_missing: None,
        kind: TimeKind::DateTime,
    };
    let mut all_dates = true;
    for (row, cell) in cells.enumerate() {
        match cell.map(trim).filter(|text| !text.is_empty()) {
            None => {
                column.first_missing.get_or_insert(row);
                column.times.push(0);
            }
            Some(text) => {
                let (secs, date_only) = parse(text).ok_or_else(|| BadTime {
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

/// Splits seconds since the epoch into (year, month, day, seconds into the day).
fn split(t: i64) -> (i64, u32, u32, i64) {
    let days = t.div_euclid(DAY);
    let (y, m, d) = civil_from_days(days);
    (y, m, d, t.rem_euclid(DAY))
}

fn is_month_end(y: i64, m: u32, d: u32) -> bool {
    d == days_in_month(y, m)
}

/// The number of calendar months from `a` to `b` when both fall on the same day of the month
/// (clamped to the month's length, or both on a month's last day) at the same time of day.
pub fn month_step(a: i64, b: i64) -> Option<u32> {
    let (y1, m1, d1, s1) = split(a);
    let (y2, m2, d2, s2) = split(b);
    if s1 != s2 {
        return None;
    }
    let months = (y2 - y1) * 12 + i64::from(m2) - i64::from(m1);
    if months <= 0 || months > 1200 {
        return None;
    }
    let aligned =
        d2 == d1.min(days_in_month(y2, m2)) || (is_month_end(y1, m1, d1) && is_month_end(y2, m2, d2));
    aligned.then_some(months as u32)
}

/// `t` moved by `months` calendar months, on day `anchor_day` (clamped to the month's length)
/// or on the month's last day when `month_end`; the time of day is kept.
pub fn add_months(t: i64, months: i64, anchor_day: u32, month_end: bool) -> i64 {
    let (y, m, _, secs) = split(t);
    let total = y * 12 + i64::from(m) - 1 + months;
    let (ny, nm) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u32);
    let dim = days_in_month(ny, nm);
    let nd = if month_end { dim } else { anchor_day.min(dim) };
    days_from_civil(ny, nm, nd) * DAY + secs
}

/// The most common positive step between consecutive times over all series (each slice sorted
/// ascending). Calendar months win when more steps are whole months (same day of month) than
/// share the most common length in seconds; ties between step lengths go to the shorter one.
/// `None` when there is no positive step at all.
pub fn infer_frequency(series_times: &[&[i64]], kind: TimeKind) -> Option<Frequency> {
    let steps = series_times
        .iter()
        .flat_map(|times| times.windows(2).map(|w| (w[0], w[1])));
    infer_frequency_of_steps(steps, kind)
}

/// [`infer_frequency`] from the consecutive pairs of times `(earlier, later)` of every series.
pub fn infer_frequency_of_steps(
    steps: impl Iterator<Item = (i64, i64)>,
    kind: TimeKind,
) -> Option<Frequency> {
    if kind == TimeKind::RowNumber {
        return Some(Frequency::Rows);
    }
    let mut secs: HashMap<i64, usize> = HashMap::new();
    let mut months: HashMap<u32, usize> = HashMap::new();
    // Runs of equal steps (most of a regular series) are counted with one map update.
    let mut run: (i64, usize) = (0, 0);
    for (a, b) in steps {
        let step = b - a;
        if step <= 0 {
            continue;
        }
        if step == run.0 {
            run.1 += 1;
        } else {
            if run.1 > 0 {
                *secs.entry(run.0).or_insert(0) += run.1;
            }
            run = (step, 1);
        }
        if step >= 28 * DAY {
            if let Some(m) = month_step(a, b) {
                *months.entry(m).or_insert(0) += 1;
            }
        }
    }
    if run.1 > 0 {
        *secs.entry(run.0).or_insert(0) += run.1;
    }
    let best_secs = secs
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))?;
    let best_months = months
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)));
    match best_months {
        Some((m, count)) if count > best_secs.1 => Some(Frequency::Months(m)),
        _ => Some(Frequency::Seconds(best_secs.0)),
    }
}

/// How the next month-stepped timestamps are anchored, judged from the last few times.
fn month_anchor(history: &[i64]) -> (u32, bool) {
    let tail = &history[history.len().saturating_sub(3)..];
    let ends = tail.iter().all(|&t| {
        let (y, m, d, _) = split(t);
        is_month_end(y, m, d) && d >= 28
    });
    let day = tail.iter().map(|&t| split(t).2).max().unwrap_or(1);
    (day, ends && tail.len() >= 2)
}

/// The time `steps` steps of `frequency` after `t` (`history` supplies the month anchor).
fn step_from(t: i64, steps: i64, frequency: Frequency, anchor: (u32, bool)) -> i64 {
    match frequency {
        Frequency::Seconds(s) => t + steps * s,
        Frequency::Months(m) => add_months(t, steps * i64::from(m), anchor.0, anchor.1),
        Frequency::Rows => t + steps,
    }
}

/// The `horizon` timestamps after the last one of `history` (sorted ascending, non-empty for a
/// meaningful answer) at `frequency`. Monthly steps keep the day of the month of the recent
/// history (or stay on month ends). An empty history starts at 0 for row numbers and returns
/// nothing otherwise.
pub fn next_timestamps(history: &[i64], frequency: Frequency, horizon: usize) -> Vec<i64> {
    let Some(&last) = history.last() else {
        return if frequency == Frequency::Rows {
            (0..horizon as i64).collect()
        } else {
            Vec::new()
        };
    };
    let anchor = month_anchor(history);
    (1..=horizon as i64)
        .map(|k| step_from(last, k, frequency, anchor))
        .collect()
}

/// The timestamps expected strictly between `a` and `b` at `frequency` (at most `limit` of them
/// returned) and how many there are in total. Month steps are anchored on `a`'s day.
pub fn missing_between(a: i64, b: i64, frequency: Frequency, limit: usize) -> (Vec<i64>, usize) {
    let mut found = Vec::new();
    let mut count = 0usize;
    match frequency {
        Frequency::Seconds(s) if s > 0 && b - a > s => {
            count = ((b - a - 1) / s) as usize;
            found = (1..=count.min(limit) as i64).map(|k| a + k * s).collect();
        }
        Frequency::Months(_) => {
            let ((ya, ma, da, _), (yb, mb, db, _)) = (split(a), split(b));
            let anchor = (
                da,
                is_month_end(ya, ma, da) && is_month_end(yb, mb, db) && da >= 28,
            );
            let mut k = 1;
            loop {
                let t = step_from(a, k, frequency, anchor);
                if t >= b || k > 100_000 {
                    break;
                }
                if found.len() < limit {
                    found.push(t);
                }
                count += 1;
                k += 1;
            }
        }
        _ => {}
    }
    (found, count)
}

/// Whether the step from `a` to `b` is a whole number of `frequency` steps.
pub fn on_grid(a: i64, b: i64, frequency: Frequency) -> bool {
    match frequency {
        Frequency::Seconds(s) => s > 0 && (b - a == s || (b - a) % s == 0),
        Frequency::Months(m) => month_step(a, b).is_some_and(|k| k % m == 0),
        Frequency::Rows => true,
    }
}

/// Writes a time back as text: `YYYY-MM-DD HH:MM:SS`, `YYYY-MM-DD` or the row number.
pub fn format_timestamp(t: i64, kind: TimeKind) -> String {
    match kind {
        TimeKind::RowNumber => t.to_string(),
        TimeKind::Date => {
            let (y, m, d, _) = split(t);
            format!("{y:04}-{m:02}-{d:02}")
        }
        TimeKind::DateTime => {
            let (y, m, d, s) = split(t);
            format!(
                "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
                s / 3600,
                s / 60 % 60,
                s % 60
            )
        }
    }
}

/// The seasonal period suggested by a frequency: hourly 24, daily 7, weekly 52, monthly 12,
/// quarterly 4, 30-minute 48, 15-minute 96, 10-minute 144, 5-minute 288; `None` otherwise.
pub fn season_guess(frequency: Frequency) -> Option<usize> {
    match frequency {
        Frequency::Seconds(3600) => Some(24),
        Frequency::Seconds(DAY) => Some(7),
        Frequency::Seconds(604_800) => Some(52),
        Frequency::Seconds(1800) => Some(48),
        Frequency::Seconds(900) => Some(96),
        Frequency::Seconds(600) => Some(144),
        Frequency::Seconds(300) => Some(288),
        Frequency::Months(1) => Some(12),
        Frequency::Months(3) => Some(4),
        _ => None,
    }
}

/// A short English name for a frequency: "hourly", "every 15 minutes", "monthly", ...
pub fn describe_frequency(frequency: Frequency) -> String {
    match frequency {
        Frequency::Rows => "one row (no time column)".to_string(),
        Frequency::Months(1) => "monthly".to_string(),
        Frequency::Months(3) => "quarterly".to_string(),
        Frequency::Months(12) => "yearly".to_string(),
        Frequency::Months(m) => format!("every {m} months"),
        Frequency::Seconds(s) => {
            let named = [
                (604_800, "week", "weekly"),
                (DAY, "day", "daily"),
                (3600, "hour", "hourly"),
            ];
            for (unit, word, adverb) in named {
                if s == unit {
                    return adverb.to_string();
                }
                if s % unit == 0 {
                    return format!("every {} {word}s", s / unit);
                }
            }
            if s % 60 == 0 {
                format!("every {} minute{}", s / 60, if s == 60 { "" } else { "s" })
            } else {
                format!("every {s} second{}", if s == 1 { "" } else { "s" })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> i64 {
        parse_timestamp(text, DateOrder::MonthFirst).expect(text).secs
    }

    #[test]
    fn civil_round_trip_and_known_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        for z in [-800_000, -1, 0, 59, 10_957, 11_016, 20_000, 2_000_000] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(days_in_month(2024, 2), 29);
    }

    #[test]
    fn parses_the_common_formats() {
        let base = ts("2016-07-01 00:00:00");
        assert_eq!(base, 1_467_331_200);
        assert_eq!(ts("2016-07-01T00:00:00"), base);
        assert_eq!(ts("2016-07-01T00:00:00Z"), base);
        assert_eq!(ts("2016-07-01T02:00:00+02:00"), base);
        assert_eq!(ts("2016-06-30T19:30:00-0430"), base);
        assert_eq!(ts("2016-07-01 00:00"), base);
        assert_eq!(ts("2016-07-01 00:00:00.750"), base);
        assert_eq!(ts(" 2016-07-01 "), base);
        assert_eq!(ts("2016/07/01"), base);
        assert_eq!(ts("07/01/2016"), base);
        assert_eq!(ts("7/1/2016"), base);
        assert_eq!(ts("01.07.2016"), base);
        assert_eq!(ts("2016-07-01 13:05:09"), base + 13 * 3600 + 5 * 60 + 9);
        assert!(
            parse_timestamp("2016-07-01", DateOrder::MonthFirst)
                .unwrap()
                .date_only
        );
        assert!(
            !parse_timestamp("2016-07-01 00:00", DateOrder::MonthFirst)
                .unwrap()
                .date_only
        );
        assert_eq!(
            parse_timestamp("01/07/2016", DateOrder::DayFirst).unwrap().secs,
            base
        );
    }

    #[test]
    fn rejects_invalid_text() {
        for bad in [
            "",
            "abc",
            "2016-13-01",
            "2016-02-30",
            "2016-07-01 24:00",
            "2016-07-01 12:60",
            "2016-07-01X",
            "2016-07-01 10:00 junk",
            "12.5",
            "20160701",
            "2016-07",
            "13/13/2016",
        ] {
            assert!(parse_timestamp(bad, DateOrder::MonthFirst).is_none(), "{bad}");
        }
    }

    #[test]
    fn epoch_seconds_need_a_plausible_integer() {
        assert_eq!(parse_epoch_seconds("1467331200"), Some(1_467_331_200));
        assert_eq!(parse_epoch_seconds("1467331200.0"), Some(1_467_331_200));
        assert_eq!(parse_epoch_seconds("17"), None);
        assert_eq!(parse_epoch_seconds("1467331200.5"), None);
        assert_eq!(parse_epoch_seconds("-1467331200"), None);
        assert_eq!(parse_epoch_seconds("99999999999"), None);
    }

    fn column(cells: &[Option<&'static str>], allow_epoch: bool) -> Result<TimeColumn, BadTime> {
        parse_time_column(|| cells.iter().copied(), allow_epoch)
    }

    #[test]
    fn column_parsing_switches_to_day_first_and_reports_the_bad_cell() {
        let cells = [Some("01/02/2020"), None, Some("25/02/2020"), Some("  ")];
        let parsed = column(&cells, false).unwrap();
        assert_eq!(parsed.kind, TimeKind::Date);
        assert_eq!(parsed.times[0], days_from_civil(2020, 2, 1) * DAY);
        assert_eq!(parsed.times[2], days_from_civil(2020, 2, 25) * DAY);
        assert_eq!(parsed.first_missing, Some(1));
        let cells = [Some("2020-01-01"), Some("2020-01-01 06:00"), Some(" nope ")];
        let bad = column(&cells, true).unwrap_err();
        assert_eq!(
            bad,
            BadTime {
                row: 2,
                value: "nope".into()
            }
        );
        let cells = [Some("1467331200"), Some("1467334800")];
        assert!(column(&cells, false).is_err());
        let parsed = column(&cells, true).unwrap();
        assert_eq!(
            (parsed.times[1], parsed.kind),
            (1_467_334_800, TimeKind::DateTime)
        );
        assert_eq!(parsed.first_missing, None);
    }

    #[test]
    fn a_shared_date_is_read_once_and_the_same_as_alone() {
        // Consecutive cells with the same date text reuse its day; the text after it still
        // decides (a digit right after the date is not the same date).
        let cells = [
            Some("2020-03-01 10:00"),
            Some("2020-03-01 11:00"),
            Some("2020-03-01T12:00:00+01:00"),
            Some("2020-03-01"),
            Some("2020-03-012"),
        ];
        let bad = column(&cells, false).unwrap_err();
        assert_eq!(bad.row, 4);
        let parsed = column(&cells[..4], false).unwrap();
        let alone: Vec<i64> = cells[..4].iter().map(|c| ts(c.unwrap())).collect();
        assert_eq!(parsed.times, alone);
        let cells = [
            Some("1/2/2020 10:00"),
            Some("1/2/2020 11:00"),
            Some("1/22/2020 11:00"),
        ];
        let parsed = column(&cells, false).unwrap();
        let alone: Vec<i64> = cells.iter().map(|c| ts(c.unwrap())).collect();
        assert_eq!(parsed.times, alone);
    }

    #[test]
    fn infers_fixed_and_calendar_frequencies() {
        let hourly: Vec<i64> = (0..50).map(|k| 1_000_000_000 + 3600 * k).collect();
        let mut with_gap = hourly.clone();
        with_gap.remove(10);
        assert_eq!(
            infer_frequency(&[&with_gap], TimeKind::DateTime),
            Some(Frequency::Seconds(3600))
        );
        let month_ends: Vec<i64> = (0..30)
            .map(|k| add_months(ts("2019-01-31"), k, 31, true))
            .collect();
        assert_eq!(format_timestamp(month_ends[1], TimeKind::Date), "2019-02-28");
        assert_eq!(
            infer_frequency(&[&month_ends], TimeKind::Date),
            Some(Frequency::Months(1))
        );
        let quarters: Vec<i64> = (0..12)
            .map(|k| add_months(ts("2019-01-01"), 3 * k, 1, false))
            .collect();
        assert_eq!(
            infer_frequency(&[&quarters], TimeKind::Date),
            Some(Frequency::Months(3))
        );
        let years: Vec<i64> = (0..9)
            .map(|k| add_months(ts("2000-01-01"), 12 * k, 1, false))
            .collect();
        assert_eq!(
            infer_frequency(&[&years], TimeKind::Date),
            Some(Frequency::Months(12))
        );
        let four_weekly: Vec<i64> = (0..20).map(|k| ts("2021-02-01") + 28 * DAY * k).collect();
        assert_eq!(
            infer_frequency(&[&four_weekly], TimeKind::Date),
            Some(Frequency::Seconds(28 * DAY))
        );
        assert_eq!(infer_frequency(&[&[5]], TimeKind::Date), None);
        assert_eq!(infer_frequency(&[], TimeKind::RowNumber), Some(Frequency::Rows));
    }

    #[test]
    fn generates_the_next_timestamps() {
        let h = [ts("2020-12-31 22:00"), ts("2020-12-31 23:00")];
        let next = next_timestamps(&h, Frequency::Seconds(3600), 2);
        assert_eq!(
            format_timestamp(next[0], TimeKind::DateTime),
            "2021-01-01 00:00:00"
        );
        assert_eq!(
            format_timestamp(next[1], TimeKind::DateTime),
            "2021-01-01 01:00:00"
        );
        let eom = [ts("2020-11-30"), ts("2020-12-31")];
        let next: Vec<String> = next_timestamps(&eom, Frequency::Months(1), 3)
            .into_iter()
            .map(|t| format_timestamp(t, TimeKind::Date))
            .collect();
        assert_eq!(next, ["2021-01-31", "2021-02-28", "2021-03-31"]);
        let clamped = [ts("2021-01-30"), ts("2021-02-28")];
        let next = next_timestamps(&clamped, Frequency::Months(1), 1);
        assert_eq!(format_timestamp(next[0], TimeKind::Date), "2021-03-30");
        assert_eq!(next_timestamps(&[4], Frequency::Rows, 2), vec![5, 6]);
    }

    #[test]
    fn finds_missing_timestamps_and_off_grid_steps() {
        let a = ts("2020-01-01 00:00");
        let (first, count) = missing_between(a, a + 5 * 3600, Frequency::Seconds(3600), 2);
        assert_eq!((first, count), (vec![a + 3600, a + 7200], 4));
        let (_, count) = missing_between(ts("2024-02-29"), ts("2024-03-31"), Frequency::Months(1), 5);
        assert_eq!(count, 0, "consecutive month ends");
        let (first, count) = missing_between(ts("2024-03-31"), ts("2024-05-31"), Frequency::Months(1), 5);
        assert_eq!(
            (count, format_timestamp(first[0], TimeKind::Date)),
            (1, "2024-04-30".to_string())
        );
        let (first, count) = missing_between(ts("2020-01-01"), ts("2020-04-01"), Frequency::Months(1), 5);
        assert_eq!(count, 2);
        assert_eq!(format_timestamp(first[1], TimeKind::Date), "2020-03-01");
        assert!(on_grid(a, a + 7200, Frequency::Seconds(3600)));
        assert!(!on_grid(a, a + 1800, Frequency::Seconds(3600)));
    }

    #[test]
    fn formats_and_describes() {
        assert_eq!(format_timestamp(-1, TimeKind::DateTime), "1969-12-31 23:59:59");
        assert_eq!(format_timestamp(7, TimeKind::RowNumber), "7");
        assert_eq!(describe_frequency(Frequency::Seconds(900)), "every 15 minutes");
        assert_eq!(describe_frequency(Frequency::Seconds(7200)), "every 2 hours");
        assert_eq!(describe_frequency(Frequency::Seconds(3600)), "hourly");
        assert_eq!(describe_frequency(Frequency::Months(3)), "quarterly");
        assert_eq!(season_guess(Frequency::Seconds(3600)), Some(24));
        assert_eq!(season_guess(Frequency::Seconds(DAY)), Some(7));
        assert_eq!(season_guess(Frequency::Months(1)), Some(12));
        assert_eq!(season_guess(Frequency::Seconds(900)), Some(96));
        assert_eq!(season_guess(Frequency::Seconds(600)), Some(144));
        assert_eq!(season_guess(Frequency::Seconds(7)), None);
    }
}
