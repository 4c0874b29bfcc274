//! Times written in a strftime pattern (chrono's syntax: `%Y`, `%m`, `%d`, `%b`, `%H`, `%q`,
//! `%G-W%V`, ...): the readings that `--time-format` names and that detection tries for years,
//! months, quarters, ISO weeks, month names and compact digits.
//!
//! chrono parses the cell; fields a pattern leaves out take their first value: a year alone is
//! 1 January, a month is its first day, a quarter the first day of its first month, an ISO week its
//! Monday, and a time of day is midnight. The same pattern writes times back in the input's style.

use std::fmt::Write as _;

use chrono::format::{self, Item, Parsed, StrftimeItems};
use chrono::{NaiveDateTime, Timelike, Weekday};

use super::civil::{day_of_date, split};
use super::DAY;

/// A compiled strftime pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    items: Vec<Item<'static>>,
}

impl Pattern {
    /// Compiles `text`; the error says what is wrong with it.
    pub fn new(text: &str) -> Result<Pattern, String> {
        let items = StrftimeItems::new(text)
            .parse_to_owned()
            .map_err(|e| format!("'{text}' is not a valid chrono/strftime pattern ({e})"))?;
        let has = |wanted: fn(&format::Numeric) -> bool| {
            items
                .iter()
                .any(|item| matches!(item, Item::Numeric(n, _) if wanted(n)))
        };
        use format::Numeric as N;
        let dated = has(|n| matches!(n, N::Year | N::IsoYear | N::YearMod100 | N::Timestamp))
            || items
                .iter()
                .any(|i| matches!(i, Item::Fixed(format::Fixed::RFC3339 | format::Fixed::RFC2822)));
        if !dated {
            return Err(format!(
                "'{text}' has no year (%Y, %G or %y) or epoch seconds (%s): it cannot place a time in history"
            ));
        }
        Ok(Pattern { items })
    }

    /// Parses one cell (already trimmed): seconds since the epoch and whether it had no time of day.
    pub fn parse(&self, text: &str) -> Option<(i64, bool)> {
        let mut parsed = Parsed::new();
        format::parse(&mut parsed, text, self.items.iter()).ok()?;
        resolve(&mut parsed)
    }

    /// Writes time `t` in this pattern; `None` when the pattern cannot write it (an offset or
    /// time zone a plain date-time does not have) or `t` is beyond chrono's range.
    pub fn format(&self, t: i64) -> Option<String> {
        let (date, secs) = split(t)?;
        let time = chrono::NaiveTime::from_num_seconds_from_midnight_opt(u32::try_from(secs).ok()?, 0)?;
        let mut out = String::new();
        write!(
            out,
            "{}",
            NaiveDateTime::new(date, time).format_with_items(self.items.iter())
        )
        .ok()?;
        Some(out)
    }
}

/// The time `parsed` describes, with the fields the pattern left out at their first value.
fn resolve(parsed: &mut Parsed) -> Option<(i64, bool)> {
    if let Some(seconds) = parsed.timestamp() {
        return Some((seconds, false));
    }
    let week_given =
        parsed.isoweek().is_some() || parsed.week_from_mon().is_some() || parsed.week_from_sun().is_some();
    if week_given && parsed.weekday().is_none() {
        parsed.set_weekday(Weekday::Mon).ok()?;
    }
    if !week_given && parsed.ordinal().is_none() {
        if parsed.month().is_none() {
            let first_month = parsed.quarter().map_or(1, |q| 3 * i64::from(q) - 2);
            parsed.set_month(first_month).ok()?;
        }
        if parsed.day().is_none() {
            parsed.set_day(1).ok()?;
        }
    }
    let date = parsed.to_naive_date().ok()?;
    let timed = parsed.hour_div_12().is_some() || parsed.hour_mod_12().is_some();
    let clock = if timed {
        if parsed.minute().is_none() {
            parsed.set_minute(0).ok()?;
        }
        i64::from(parsed.to_naive_time().ok()?.num_seconds_from_midnight())
    } else {
        0
    };
    let offset = i64::from(parsed.offset().unwrap_or(0));
    Some((day_of_date(date).checked_mul(DAY)? + clock - offset, !timed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::time::civil::days_from_civil;

    fn at(y: i64, m: u32, d: u32) -> i64 {
        days_from_civil(y, m, d) * DAY
    }

    fn read(pattern: &str, text: &str) -> Option<(i64, bool)> {
        Pattern::new(pattern).unwrap().parse(text)
    }

    #[test]
    fn missing_fields_take_their_first_value() {
        assert_eq!(read("%Y", "1871"), Some((at(1871, 1, 1), true)));
        assert_eq!(read("%Y-%m", "1749-01"), Some((at(1749, 1, 1), true)));
        assert_eq!(read("%YM%m", "2020M11"), Some((at(2020, 11, 1), true)));
        assert_eq!(read("%YQ%q", "2020Q3"), Some((at(2020, 7, 1), true)));
        assert_eq!(read("Q%q %Y", "Q4 2019"), Some((at(2019, 10, 1), true)));
        assert_eq!(read("%G-W%V", "2020-W06"), Some((at(2020, 2, 3), true)));
        assert_eq!(read("%G-W%V", "2021-W01"), Some((at(2021, 1, 4), true)));
        assert_eq!(read("%B %Y", "January 2020"), Some((at(2020, 1, 1), true)));
        assert_eq!(read("%B-%d-%Y", "Jan-1-1995"), Some((at(1995, 1, 1), true)));
        assert_eq!(read("%Y%m%d", "19580329"), Some((at(1958, 3, 29), true)));
        let t = at(2020, 1, 31) + 13 * 3600 + 45 * 60;
        assert_eq!(read("%Y%m%d%H%M", "202001311345"), Some((t, false)));
        assert_eq!(read("%d.%m.%Y %Hh", "31.01.2020 13h"), Some((t - 45 * 60, false)));
        assert_eq!(read("%s", "1467331200"), Some((1_467_331_200, false)));
    }

    #[test]
    fn impossible_and_trailing_text_is_refused() {
        assert_eq!(read("%Y-%m", "2020-13"), None);
        assert_eq!(read("%YQ%q", "2020Q5"), None);
        assert_eq!(read("%G-W%V", "2020-W54"), None);
        assert_eq!(read("%Y-%m", "2020-01-15"), None);
        assert_eq!(read("%B %Y", "Jam 2020"), None);
    }

    #[test]
    fn writes_back_in_the_same_pattern() {
        let write = |pattern: &str, t| Pattern::new(pattern).unwrap().format(t).unwrap();
        assert_eq!(write("%YQ%q", at(2010, 4, 1)), "2010Q2");
        assert_eq!(write("%G-W%V", at(2020, 2, 3)), "2020-W06");
        assert_eq!(write("%b-%-d-%Y", at(1995, 1, 2)), "Jan-2-1995");
        assert_eq!(write("%Y %b", at(1960, 3, 1)), "1960 Mar");
        assert_eq!(
            Pattern::new("%Y %z").unwrap().format(0),
            None,
            "a naive time has no offset"
        );
        assert_eq!(Pattern::new("%Y").unwrap().format(i64::MAX), None);
    }

    #[test]
    fn patterns_without_a_year_or_with_errors_are_refused() {
        assert!(Pattern::new("%m/%d").unwrap_err().contains("no year"));
        assert!(Pattern::new("%Y-%").unwrap_err().contains("not a valid"));
        assert!(Pattern::new("%Q").is_err());
    }
}
