//! Calendar features: the position of a time in the day, the week, the month and the year, as a
//! sine and cosine pair each, so that 23:00 lies next to 00:00 and December next to January.
//! They are known for any future time, so forecasts can read them over the horizon.
//!
//! A feature with period P at phase φ ∈ [0, 1) gives sin(2πφ) and cos(2πφ):
//!
//! | feature | phase φ of time t |
//! |---|---|
//! | `hour` | seconds into the day / 86 400 |
//! | `weekday` | (days from Monday + φ_hour) / 7 |
//! | `monthday` | (day of month − 1) / days in the month |
//! | `month` | (month − 1) / 12 |
//! | `yearday` | (day of year − 1) / days in the year |

use std::f64::consts::TAU;

use serde::{Deserialize, Serialize};

use super::civil::{civil_from_days, days_from_civil, days_in_month, weekday_of_day};
use super::{Frequency, DAY};

/// One calendar feature (two columns: its sine and cosine).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CalendarFeature {
    /// Time of day.
    Hour,
    /// Day of the week.
    Weekday,
    /// Day of the month.
    Monthday,
    /// Month of the year.
    Month,
    /// Day of the year.
    Yearday,
}

impl CalendarFeature {
    /// Every feature, in the order of `--calendar` help.
    pub const ALL: [CalendarFeature; 5] = [
        CalendarFeature::Hour,
        CalendarFeature::Weekday,
        CalendarFeature::Monthday,
        CalendarFeature::Month,
        CalendarFeature::Yearday,
    ];

    /// The name on the command line and in column names.
    pub fn name(self) -> &'static str {
        match self {
            CalendarFeature::Hour => "hour",
            CalendarFeature::Weekday => "weekday",
            CalendarFeature::Monthday => "monthday",
            CalendarFeature::Month => "month",
            CalendarFeature::Yearday => "yearday",
        }
    }

    /// The feature called `name`.
    pub fn parse(name: &str) -> Option<CalendarFeature> {
        CalendarFeature::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The phase φ ∈ [0, 1) of time `t` (seconds since 1970-01-01) in this feature's cycle.
    pub fn phase(self, t: i64) -> f64 {
        let days = t.div_euclid(DAY);
        let of_day = t.rem_euclid(DAY) as f64 / DAY as f64;
        match self {
            CalendarFeature::Hour => of_day,
            CalendarFeature::Weekday => (weekday_of_day(days).num_days_from_monday() as f64 + of_day) / 7.0,
            CalendarFeature::Monthday => {
                let (y, m, d) = civil_from_days(days);
                (d as f64 - 1.0) / days_in_month(y, m) as f64
            }
            CalendarFeature::Month => {
                let (_, m, _) = civil_from_days(days);
                (m as f64 - 1.0) / 12.0
            }
            CalendarFeature::Yearday => {
                let (y, _, _) = civil_from_days(days);
                let start = days_from_civil(y, 1, 1);
                let length = days_from_civil(y + 1, 1, 1) - start;
                (days - start) as f64 / length.max(1) as f64
            }
        }
    }

    /// [sin 2πφ, cos 2πφ] of time `t`.
    pub fn values(self, t: i64) -> [f64; 2] {
        let angle = TAU * self.phase(t);
        [angle.sin(), angle.cos()]
    }
}

/// The features that vary at a frequency and repeat within the data's usual span (`--calendar
/// auto`): time of day and weekday below a day; weekday and month for daily data; the day of the
/// year for weekly data; the month for monthly and quarterly data; none for yearly data or rows.
pub fn automatic(frequency: Frequency) -> Vec<CalendarFeature> {
    use CalendarFeature::*;
    match frequency {
        Frequency::Seconds(s) if s < DAY => vec![Hour, Weekday],
        Frequency::Seconds(s) if s < 7 * DAY => vec![Weekday, Month],
        Frequency::Seconds(s) if s < 28 * DAY => vec![Yearday],
        Frequency::Seconds(_) => vec![Month],
        Frequency::Months(m) if m < 12 => vec![Month],
        Frequency::Months(_) | Frequency::Rows => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i64, m: u32, d: u32, hour: i64) -> i64 {
        days_from_civil(y, m, d) * DAY + hour * 3600
    }

    #[test]
    fn phases_follow_the_clock_and_the_calendar() {
        // 2024-01-01 was a Monday
        assert_eq!(CalendarFeature::Hour.phase(at(2024, 1, 1, 6)), 0.25);
        assert_eq!(CalendarFeature::Weekday.phase(at(2024, 1, 1, 0)), 0.0);
        assert!((CalendarFeature::Weekday.phase(at(2024, 1, 3, 12)) - 2.5 / 7.0).abs() < 1e-12);
        assert_eq!(CalendarFeature::Month.phase(at(2024, 7, 15, 0)), 0.5);
        assert_eq!(CalendarFeature::Monthday.phase(at(2024, 2, 15, 0)), 14.0 / 29.0);
        assert_eq!(CalendarFeature::Yearday.phase(at(2024, 12, 31, 0)), 365.0 / 366.0);
        // the cycle closes: 23:00 is as close to 00:00 as 01:00 is
        let [s0, c0] = CalendarFeature::Hour.values(at(2024, 1, 1, 0));
        let [s23, c23] = CalendarFeature::Hour.values(at(2024, 1, 1, 23));
        let [s1, c1] = CalendarFeature::Hour.values(at(2024, 1, 1, 1));
        let distance = |a: f64, b: f64, c: f64, d: f64| ((a - c).powi(2) + (b - d).powi(2)).sqrt();
        assert!((distance(s0, c0, s23, c23) - distance(s0, c0, s1, c1)).abs() < 1e-12);
    }

    #[test]
    fn automatic_features_depend_on_the_frequency() {
        use CalendarFeature::*;
        assert_eq!(automatic(Frequency::Seconds(3600)), vec![Hour, Weekday]);
        assert_eq!(automatic(Frequency::Seconds(DAY)), vec![Weekday, Month]);
        assert_eq!(automatic(Frequency::Seconds(7 * DAY)), vec![Yearday]);
        assert_eq!(automatic(Frequency::Months(1)), vec![Month]);
        assert_eq!(automatic(Frequency::Months(12)), Vec::<CalendarFeature>::new());
        assert_eq!(automatic(Frequency::Rows), Vec::<CalendarFeature>::new());
        for f in CalendarFeature::ALL {
            assert_eq!(CalendarFeature::parse(f.name()), Some(f));
        }
    }
}
