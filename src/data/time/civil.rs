//! Calendar dates through chrono: days since 1970-01-01 to and from dates, weekdays, and steps of
//! calendar months. Every other part of `xlstm` sees times as `i64` seconds; this is where they
//! meet the proleptic Gregorian calendar.

use chrono::{Datelike, Months, NaiveDate, Weekday};

use super::DAY;

/// Days from 0001-01-01 (day 1 in chrono's count) to 1970-01-01.
const EPOCH_FROM_CE: i64 = 719_163;

/// The date of day number `days` since 1970-01-01; `None` outside chrono's range (about ±262,000 years).
pub fn date_of_day(days: i64) -> Option<NaiveDate> {
    let from_ce = i32::try_from(days.checked_add(EPOCH_FROM_CE)?).ok()?;
    NaiveDate::from_num_days_from_ce_opt(from_ce)
}

/// The day number since 1970-01-01 of `date`.
pub fn day_of_date(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) - EPOCH_FROM_CE
}

/// The date of time `t` (seconds) and the seconds into that day.
pub fn split(t: i64) -> Option<(NaiveDate, i64)> {
    Some((date_of_day(t.div_euclid(DAY))?, t.rem_euclid(DAY)))
}

/// Days since 1970-01-01 of a date (`m` in 1..=12, `d` in 1..=31); 0 for a date that does not exist.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    i32::try_from(y)
        .ok()
        .and_then(|y| NaiveDate::from_ymd_opt(y, m, d))
        .map_or(0, day_of_date)
}

/// The date `(year, month, day)` of a day number since 1970-01-01 (1970-01-01 outside chrono's range).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    date_of_day(days).map_or((1970, 1, 1), |date| {
        (i64::from(date.year()), date.month(), date.day())
    })
}

/// Number of days in month `m` (1..=12) of year `y`.
pub fn days_in_month(y: i64, m: u32) -> u32 {
    i32::try_from(y)
        .ok()
        .zip(u8::try_from(m).ok())
        .and_then(|(y, m)| chrono::Month::try_from(m).ok()?.num_days(y))
        .map_or(31, u32::from)
}

/// The weekday of day number `days` since 1970-01-01 (a Thursday).
pub fn weekday_of_day(days: i64) -> Weekday {
    date_of_day(days).map_or_else(
        // Outside chrono's range the weekday still follows the seven-day cycle (0 is Monday).
        || Weekday::try_from(((days.rem_euclid(7) + 3) % 7) as u8).unwrap_or(Weekday::Mon),
        |date| date.weekday(),
    )
}

fn is_month_end(date: NaiveDate) -> bool {
    date.succ_opt().is_none_or(|next| next.month() != date.month())
}

/// The number of calendar months from `a` to `b` when both fall on the same day of the month
/// (clamped to the month's length, or both on a month's last day) at the same time of day.
pub fn month_step(a: i64, b: i64) -> Option<u32> {
    let ((da, sa), (db, sb)) = (split(a)?, split(b)?);
    if sa != sb {
        return None;
    }
    let months =
        (i64::from(db.year()) - i64::from(da.year())) * 12 + i64::from(db.month()) - i64::from(da.month());
    if months <= 0 || months > 1200 {
        return None;
    }
    let clamped = da.day().min(days_in_month(i64::from(db.year()), db.month()));
    let aligned = db.day() == clamped || (is_month_end(da) && is_month_end(db));
    aligned.then_some(months as u32)
}

/// Whether time `t` falls on the last day of its month.
pub fn on_month_end(t: i64) -> bool {
    split(t).is_some_and(|(date, _)| is_month_end(date))
}

/// The day of the month of time `t` (1 outside chrono's range).
pub fn day_of_month(t: i64) -> u32 {
    split(t).map_or(1, |(date, _)| date.day())
}

/// `t` moved by `months` calendar months, on day `anchor_day` (clamped to the month's length)
/// or on the month's last day when `month_end`; the time of day is kept. `None` outside chrono's range.
pub fn add_months(t: i64, months: i64, anchor_day: u32, month_end: bool) -> Option<i64> {
    let (date, secs) = split(t)?;
    let first = date.with_day(1)?;
    let count = Months::new(u32::try_from(months.unsigned_abs()).ok()?);
    let month = if months >= 0 {
        first.checked_add_months(count)?
    } else {
        first.checked_sub_months(count)?
    };
    let length = days_in_month(i64::from(month.year()), month.month());
    let day = if month_end {
        length
    } else {
        anchor_day.clamp(1, length)
    };
    Some(day_of_date(month.with_day(day)?) * DAY + secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_round_trip_through_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(days_from_civil(2021, 2, 30), 0, "no such date");
        for z in [-800_000, -1, 0, 59, 10_957, 11_016, 20_000, 2_000_000] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(civil_from_days(i64::MAX / DAY), (1970, 1, 1));
        assert_eq!((days_in_month(2000, 2), days_in_month(1900, 2)), (29, 28));
        assert_eq!((days_in_month(2024, 2), days_in_month(2023, 12)), (29, 31));
    }

    #[test]
    fn weekdays_follow_the_calendar_and_the_cycle_beyond_it() {
        assert_eq!(weekday_of_day(0), Weekday::Thu);
        assert_eq!(weekday_of_day(days_from_civil(2024, 6, 1)), Weekday::Sat);
        assert_eq!(weekday_of_day(-1), Weekday::Wed);
        let far = i64::MAX / DAY;
        assert_eq!(weekday_of_day(far + 1), weekday_of_day(far).succ());
    }

    #[test]
    fn months_step_on_their_anchor_day_or_month_end() {
        let t = |y, m, d| days_from_civil(y, m, d) * DAY;
        assert_eq!(add_months(t(2021, 1, 31), 1, 31, false), Some(t(2021, 2, 28)));
        assert_eq!(add_months(t(2021, 2, 28), 1, 31, false), Some(t(2021, 3, 31)));
        assert_eq!(add_months(t(2021, 4, 30), 1, 30, true), Some(t(2021, 5, 31)));
        assert_eq!(
            add_months(t(2021, 3, 15) + 7, -3, 15, false),
            Some(t(2020, 12, 15) + 7)
        );
        assert_eq!(add_months(i64::MAX, 1, 1, false), None);
        assert_eq!(month_step(t(2024, 1, 31), t(2024, 2, 29)), Some(1));
        assert_eq!(month_step(t(2024, 2, 29), t(2024, 3, 31)), Some(1), "month ends");
        assert_eq!(month_step(t(2024, 1, 1), t(2024, 4, 1)), Some(3));
        assert_eq!(month_step(t(2024, 1, 1), t(2024, 1, 2)), None);
        assert!(on_month_end(t(2023, 2, 28)) && !on_month_end(t(2024, 2, 28)));
        assert_eq!(day_of_month(t(2024, 2, 29) + 5), 29);
    }
}
