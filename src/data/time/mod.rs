//! Times: reading them from text, inferring the step between them and the calendar they run on,
//! generating the next ones and writing them back. The only user of chrono.
//!
//! Times are `i64` seconds since 1970-01-01 00:00:00 (see [`TimeKind`]). A column is read with
//! one reading ([`reading`]): numeric dates and date-times ([`numeric`], tokenised by hand for
//! speed) or a chrono pattern ([`pattern`]: years, months, quarters, ISO weeks, month names,
//! compact digits, `--time-format`). Dates are numbered, stepped and written by chrono
//! ([`civil`]); the step is the most common one ([`frequency`]), business days and sessions are
//! found by [`calendar`], and [`grid`] steps over both.

pub mod calendar;
pub mod civil;
pub mod features;
pub mod frequency;
pub mod grid;
pub mod numeric;
pub mod pattern;
pub mod reading;

pub use calendar::{Calendar, Weekdays};
pub use civil::{civil_from_days, days_from_civil};
pub use frequency::{describe_frequency, infer_frequency, infer_frequency_of_steps, season_guess, season_on};
pub use grid::Grid;
pub use numeric::{parse_timestamp, DateOrder, Stamp};
pub use reading::{parse_time_column, BadTime, TimeColumn, TimeError, TimeFormat, TimeWriter};

use super::{Frequency, TimeKind};

/// Seconds in a day.
pub const DAY: i64 = 86_400;
/// Smallest integer accepted as epoch seconds (1973-03-03): smaller integers are counters, not times.
pub const EPOCH_MIN: i64 = 100_000_000;
/// Largest integer accepted as epoch seconds (2100-01-01 00:00:00).
pub const EPOCH_MAX: i64 = 4_102_444_800;

/// The time formats detection accepts, for error messages and docs.
pub const ACCEPTED_FORMATS: &str = "ISO 8601 dates and date-times (2020-01-31, 2020-01-31 13:45:00, \
with T, Z or +01:00), 01/31/2020 or 31/01/2020, 31.01.2020, 2020-01, 2020M01, 2020Q1, Q1 2020, \
2020-W05, month names (Jan 2020, 31 Jan 2020, Jan-31-2020) and, in a column named like a time \
column, years (2020), 20200131[1345[00]] and epoch seconds or milliseconds";

/// `text.trim()`, without looking for whitespace when the text starts and ends with a visible
/// ASCII character (almost every cell).
pub fn trim(text: &str) -> &str {
    match (text.as_bytes().first(), text.as_bytes().last()) {
        (Some(a), Some(b)) if a.is_ascii_graphic() && b.is_ascii_graphic() => text,
        _ => text.trim(),
    }
}

/// Writes a time as ISO 8601: `YYYY-MM-DD HH:MM:SS`, `YYYY-MM-DD`, or the row number; a time
/// beyond chrono's range of dates as `@` and its seconds.
pub fn format_timestamp(t: i64, kind: TimeKind) -> String {
    if kind == TimeKind::RowNumber {
        return t.to_string();
    }
    match civil::split(t) {
        None => format!("@{t}"),
        Some((date, _)) if kind == TimeKind::Date => date.format("%Y-%m-%d").to_string(),
        Some((date, secs)) => format!(
            "{} {:02}:{:02}:{:02}",
            date.format("%Y-%m-%d"),
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_iso_times_dates_and_row_numbers() {
        assert_eq!(format_timestamp(-1, TimeKind::DateTime), "1969-12-31 23:59:59");
        assert_eq!(format_timestamp(1_467_331_200, TimeKind::Date), "2016-07-01");
        assert_eq!(format_timestamp(7, TimeKind::RowNumber), "7");
        assert_eq!(
            format_timestamp(i64::MAX, TimeKind::DateTime),
            format!("@{}", i64::MAX)
        );
        assert_eq!(
            format_timestamp(days_from_civil(-44, 3, 15) * DAY, TimeKind::Date),
            "-0044-03-15"
        );
    }

    #[test]
    fn trims_only_when_needed() {
        assert_eq!(trim(" a "), "a");
        assert_eq!(trim("a"), "a");
        assert_eq!(trim("\u{a0}a"), "a");
    }
}
