//! Numeric dates and date-times, read without a pattern: ISO 8601 (`2016-07-01`,
//! `2016-07-01T13:05:09.250+02:00`), year-first dates with `/` or `.` (`2016/07/01`), and
//! year-last dates (`07/01/2016`, `01-07-2016`, `01.07.2016`) in one [`DateOrder`] per column.
//!
//! This is the reading of almost every large file, so it tokenises the cell by hand and reuses the
//! day number of the previous cell when the cell starts with the same date text (consecutive rows
//! mostly share their date); the date itself is checked and numbered by chrono ([`super::civil`]).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::civil::day_of_date;
use super::DAY;

/// How to read year-last dates `aa/bb/YYYY` and `aa-bb-YYYY` (`aa.bb.YYYY` is always day first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
    /// True when the other [`DateOrder`] would read the date differently (`01/02/2020`, not
    /// `2020-01-02` or `05/05/2020`).
    pub order_matters: bool,
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
        (n >= min).then_some((v, n))
    }
    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
    }
}

/// The day number of a date, when it exists.
fn day_number(y: i64, m: i64, d: i64) -> Option<i64> {
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(y).ok()?,
        u32::try_from(m).ok()?,
        u32::try_from(d).ok()?,
    )?;
    Some(day_of_date(date))
}

/// Parses the date part; returns days since the epoch and whether the order mattered.
fn parse_date(c: &mut Cursor, order: DateOrder) -> Option<(i64, bool)> {
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
        return Some((day_number(a, b, d)?, false));
    }
    if na > 2 {
        return None;
    }
    let (y, _) = c.digits(4, 4)?;
    // Year last: '/' and '-' follow the column's order, '.' is day first.
    let follows_order = sep != b'.';
    let (m, d) = if follows_order && order == DateOrder::MonthFirst {
        (a, b)
    } else {
        (b, a)
    };
    Some((day_number(y, m, d)?, follows_order && a != b))
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
    if c.done() || c.eat(b'Z') || c.eat(b'z') {
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

/// Parses one numeric timestamp (surrounding spaces ignored); `None` when the text is not a valid
/// date or date-time of this reading.
pub fn parse_timestamp(text: &str, order: DateOrder) -> Option<Stamp> {
    parse_with(text, order, &mut None)
}

/// The date part of the last cell [`parse_with`] read: its text, day number and whether the
/// order mattered.
pub type DateMemo<'a> = Option<(&'a [u8], i64, bool)>;

/// [`parse_timestamp`] that reuses the date of the previous cell when this one starts with the
/// same date text.
pub fn parse_with<'a>(text: &'a str, order: DateOrder, memo: &mut DateMemo<'a>) -> Option<Stamp> {
    let b = super::trim(text).as_bytes();
    let mut c = Cursor { b, i: 0 };
    // The same date text followed by a non-digit reads the same: `parse_date` stops at the same
    // place (its last field ends at its maximum length or at that non-digit).
    let (days, order_matters) = match *memo {
        Some((date, days, matters))
            if same_start(b, date) && !b.get(date.len()).is_some_and(u8::is_ascii_digit) =>
        {
            c.i = date.len();
            (days, matters)
        }
        _ => {
            let (days, matters) = parse_date(&mut c, order)?;
            *memo = Some((&b[..c.i], days, matters));
            (days, matters)
        }
    };
    let date_secs = days.checked_mul(DAY)?;
    if c.done() {
        return Some(Stamp {
            secs: date_secs,
            date_only: true,
            order_matters,
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
        secs: date_secs + clock - offset,
        date_only: false,
        order_matters,
    })
}

/// The layout of a numeric cell for the check report, like `YYYY-MM-DD hh:mm:ss` or
/// `DD/MM/YYYY`: digits become the letters of their field.
pub fn layout(text: &str, order: DateOrder) -> String {
    let text = super::trim(text);
    let year_first = text.bytes().take_while(u8::is_ascii_digit).count() == 4;
    let day_first_dots = text.bytes().find(|b| !b.is_ascii_digit()) == Some(b'.');
    let date_fields: [&str; 3] = if year_first {
        ["YYYY", "MM", "DD"]
    } else if order == DateOrder::DayFirst || day_first_dots {
        ["DD", "MM", "YYYY"]
    } else {
        ["MM", "DD", "YYYY"]
    };
    let (mut out, mut field, mut in_digits) = (String::new(), 0, false);
    for ch in text.chars() {
        if ch.is_ascii_digit() {
            if !in_digits {
                out.push_str(match field {
                    0..=2 => date_fields[field],
                    3 => "hh",
                    4 => "mm",
                    5 => "ss",
                    _ => "fff",
                });
                field += 1;
            }
            in_digits = true;
            continue;
        }
        in_digits = false;
        // After the minutes, a sign or a letter starts the offset.
        if field >= 5 && matches!(ch, '+' | '-' | 'Z' | 'z' | 'U' | 'u') {
            out.push_str(match ch {
                '+' | '-' => "±hh:mm",
                'Z' | 'z' => "Z",
                _ => "UTC",
            });
            break;
        }
        out.push(ch);
    }
    out
}

/// `text.starts_with(start)` for a short `start`, without a call to `memcmp`.
#[inline]
fn same_start(text: &[u8], start: &[u8]) -> bool {
    text.len() >= start.len() && text.iter().zip(start).all(|(a, b)| a == b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::time::civil::days_from_civil;

    fn ts(text: &str) -> i64 {
        parse_timestamp(text, DateOrder::MonthFirst).expect(text).secs
    }

    #[test]
    fn parses_the_common_numeric_formats() {
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
        assert_eq!(ts("1990/1/1 0:00"), days_from_civil(1990, 1, 1) * DAY);
        assert_eq!(ts("07/01/2016"), base);
        assert_eq!(ts("7/1/2016"), base);
        assert_eq!(ts("07-01-2016"), base);
        assert_eq!(ts("01.07.2016"), base);
        assert_eq!(ts("2016-07-01 13:05:09"), base + 13 * 3600 + 5 * 60 + 9);
        let day_first = |t: &str| parse_timestamp(t, DateOrder::DayFirst).map(|s| s.secs);
        assert_eq!(day_first("01/07/2016"), Some(base));
        assert_eq!(day_first("01-07-2016"), Some(base));
        assert_eq!(day_first("01.07.2016"), Some(base));
    }

    #[test]
    fn notes_dates_only_and_dates_the_order_changes() {
        let stamp = |t| parse_timestamp(t, DateOrder::MonthFirst).unwrap();
        assert!(stamp("2016-07-01").date_only && !stamp("2016-07-01 00:00").date_only);
        assert!(stamp("01/02/2020").order_matters && stamp("01-02-2020").order_matters);
        for unchanged in ["2020-01-02", "2020/01/02", "05/05/2020", "01.02.2020"] {
            assert!(!stamp(unchanged).order_matters, "{unchanged}");
        }
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
            "99999-01-01",
        ] {
            assert!(parse_timestamp(bad, DateOrder::MonthFirst).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_shared_date_is_read_once_and_the_same_as_alone() {
        // The text after a remembered date still decides (a digit right after it is not the same date).
        let cells = [
            "2020-03-01 10:00",
            "2020-03-01T12:00:00+01:00",
            "2020-03-01",
            "2020-03-012",
        ];
        let mut memo = None;
        let parsed: Vec<Option<i64>> = cells
            .iter()
            .map(|c| parse_with(c, DateOrder::MonthFirst, &mut memo).map(|s| s.secs))
            .collect();
        let alone: Vec<Option<i64>> = cells
            .iter()
            .map(|c| parse_timestamp(c, DateOrder::MonthFirst).map(|s| s.secs))
            .collect();
        assert_eq!(parsed, alone);
        assert_eq!(parsed[3], None);
    }

    #[test]
    fn layouts_name_the_fields() {
        assert_eq!(
            layout("2016-07-01 13:05:09", DateOrder::MonthFirst),
            "YYYY-MM-DD hh:mm:ss"
        );
        assert_eq!(layout("01/07/2016", DateOrder::DayFirst), "DD/MM/YYYY");
        assert_eq!(layout("7/1/2016 9:30", DateOrder::MonthFirst), "MM/DD/YYYY hh:mm");
        assert_eq!(layout("01.07.2016", DateOrder::MonthFirst), "DD.MM.YYYY");
        let iso = layout("2016-07-01T00:00:00.5+02:00", DateOrder::MonthFirst);
        assert_eq!(iso, "YYYY-MM-DDThh:mm:ss.fff±hh:mm");
        assert_eq!(
            layout("2016-07-01 00:00Z", DateOrder::MonthFirst),
            "YYYY-MM-DD hh:mmZ"
        );
    }
}
