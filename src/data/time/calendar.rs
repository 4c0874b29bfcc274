//! Calendars: which steps of a fixed frequency a series is observed on. Daily stock prices are
//! observed on business days (weekends always absent), a call centre's 5-minute counts from 07:00
//! to 21:00 on weekdays. On a calendar the steps outside it are not gaps: windows run over the
//! observed steps as if they were contiguous, and forecasts skip to the next observed step.
//!
//! [`Calendar::infer`] looks at every time of a dataset: the weekdays that occur (over at least
//! two weeks, so an absent weekday is absent by design) and the earliest and latest time of day
//! (over at least three days, so the break between sessions has been seen twice). Steps that are
//! not whole days or do not divide a day have no calendar.

use chrono::Weekday;
use serde::{Deserialize, Serialize};

use super::civil::weekday_of_day;
use super::{Frequency, DAY};

/// Days a series must span before an absent weekday counts as a day off (every weekday occurs twice).
const WEEKDAY_SPAN_DAYS: i64 = 13;
/// Days with observations needed before a daily break counts as the time between sessions.
const SESSION_DAYS: usize = 3;

/// A set of weekdays; written `Mon,Tue,Wed,Thu,Fri` in model files and JSON reports.
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Weekdays(u8);

const NAMES: [(&str, &str); 7] = [
    ("Mon", "Monday"),
    ("Tue", "Tuesday"),
    ("Wed", "Wednesday"),
    ("Thu", "Thursday"),
    ("Fri", "Friday"),
    ("Sat", "Saturday"),
    ("Sun", "Sunday"),
];

impl Weekdays {
    /// No day.
    pub const NONE: Weekdays = Weekdays(0);
    /// Every day of the week.
    pub const ALL: Weekdays = Weekdays(0x7f);
    /// Monday to Friday.
    pub const BUSINESS: Weekdays = Weekdays(0x1f);

    /// Whether `day` is in the set.
    pub fn contains(self, day: Weekday) -> bool {
        self.0 & (1 << day.num_days_from_monday()) != 0
    }

    /// Adds `day`.
    pub fn insert(&mut self, day: Weekday) {
        self.0 |= 1 << day.num_days_from_monday();
    }

    /// Number of days in the set.
    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// True when the set has no day.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// `Monday to Friday`, `every day`, or a list like `Monday, Wednesday and Friday`.
    pub fn describe(self) -> String {
        if self == Weekdays::ALL {
            return "every day".to_string();
        }
        let days: Vec<usize> = (0..7).filter(|&k| self.0 & (1 << k) != 0).collect();
        // A run of three or more days, possibly over the weekend (Sunday to Thursday).
        for start in &days {
            let run = (0..days.len()).all(|k| days.contains(&((start + k) % 7)));
            if run && days.len() >= 3 {
                let end = (start + days.len() - 1) % 7;
                return format!("{} to {}", NAMES[*start].1, NAMES[end].1);
            }
        }
        let names: Vec<&str> = days.iter().map(|&k| NAMES[k].1).collect();
        match names.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => names.join(""),
        }
    }
}

impl std::fmt::Debug for Weekdays {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", String::from(*self))
    }
}

impl From<Weekdays> for String {
    fn from(days: Weekdays) -> String {
        let names: Vec<&str> = (0..7)
            .filter(|&k| days.0 & (1 << k) != 0)
            .map(|k| NAMES[k].0)
            .collect();
        names.join(",")
    }
}

impl TryFrom<String> for Weekdays {
    type Error = String;
    fn try_from(text: String) -> Result<Weekdays, String> {
        let mut days = Weekdays::NONE;
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let k = NAMES
                .iter()
                .position(|(short, _)| short.eq_ignore_ascii_case(name))
                .ok_or_else(|| format!("'{name}' is not a weekday (Mon, Tue, ..., Sun)"))?;
            days.0 |= 1 << k;
        }
        Ok(days)
    }
}

/// The observed steps of a fixed frequency: the weekdays, and on each of them the times of day
/// from `open` to `close` (both observed). Whole-day steps have `open == close`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calendar {
    /// The weekdays with observations.
    pub days: Weekdays,
    /// The first time of day observed (seconds after midnight).
    pub open: i64,
    /// The last time of day observed (seconds after midnight, at least `open`).
    pub close: i64,
}

impl Calendar {
    /// The calendar of a dataset's times at `frequency`, when they are not observed at every
    /// step: weekdays that never occur over two weeks or more, or a break in every day (seen on
    /// three days or more). `None` for continuous data and for steps without calendars.
    pub fn infer(times: impl Iterator<Item = i64>, frequency: Frequency) -> Option<Calendar> {
        let Frequency::Seconds(step) = frequency else {
            return None;
        };
        if step <= 0 || step > DAY || DAY % step != 0 {
            return None;
        }
        let mut days = Weekdays::NONE;
        let (mut open, mut close) = (DAY, -1);
        let (mut first, mut last) = (i64::MAX, i64::MIN);
        let (mut day_seen, mut days_observed) = (None, 0usize);
        let mut phase = None;
        for t in times {
            let (day, tod) = (t.div_euclid(DAY), t.rem_euclid(DAY));
            if day_seen != Some(day) {
                days.insert(weekday_of_day(day));
                day_seen = Some(day);
                days_observed += 1;
            }
            // Every time of day on one grid: the same remainder of the step.
            if *phase.get_or_insert(tod % step) != tod % step {
                return None;
            }
            (open, close) = (open.min(tod), close.max(tod));
            (first, last) = (first.min(t), last.max(t));
        }
        if days.is_empty() {
            return None;
        }
        let days = if (last - first) / DAY >= WEEKDAY_SPAN_DAYS {
            days
        } else {
            Weekdays::ALL
        };
        let session = step < DAY && days_observed >= SESSION_DAYS && close - open + step < DAY;
        let calendar = if session {
            Calendar { days, open, close }
        } else {
            // Every step of the observed days, from the first step of the grid after midnight.
            let first_step = open % step;
            Calendar {
                days,
                open: first_step,
                close: if step < DAY {
                    first_step + DAY - step
                } else {
                    first_step
                },
            }
        };
        (days != Weekdays::ALL || session).then_some(calendar)
    }

    /// Whether the calendar can be used with `step` seconds (model files are checked with it).
    pub fn fits(&self, step: i64) -> bool {
        step > 0
            && step <= DAY
            && !self.days.is_empty()
            && (0..DAY).contains(&self.open)
            && (self.open..DAY).contains(&self.close)
            && (self.close - self.open) % step == 0
    }

    /// Observed steps per day of `step` seconds.
    pub fn steps_per_day(&self, step: i64) -> i64 {
        if step >= DAY {
            1
        } else {
            (self.close - self.open) / step + 1
        }
    }

    /// The season a calendar suggests: a week of business days (5), or the steps of one session.
    pub fn season(&self, step: i64) -> usize {
        if step >= DAY {
            self.days.len()
        } else {
            self.steps_per_day(step) as usize
        }
    }

    /// The calendar in words, for the check report.
    pub fn describe(&self, step: i64) -> String {
        let days = self.days.describe();
        if step >= DAY {
            return if self.days == Weekdays::BUSINESS {
                "business days (Monday to Friday); weekends are not gaps and forecasts skip them".to_string()
            } else {
                format!("{days} only; other days are not gaps and forecasts skip them")
            };
        }
        let clock = |s: i64| format!("{:02}:{:02}", s / 3600, s / 60 % 60);
        let per_day = self.steps_per_day(step);
        if self.close - self.open + step >= DAY {
            return format!("{days} only, all day; other days are not gaps and forecasts skip them");
        }
        let week = if self.days.len() > 1 {
            format!(", {} a week", per_day * self.days.len() as i64)
        } else {
            String::new()
        };
        let on = if self.days == Weekdays::ALL {
            days
        } else {
            format!("on {days}")
        };
        format!(
            "sessions from {} to {} {on} ({per_day} steps each{week}); the time between \
             sessions is not a gap and forecasts stay inside sessions",
            clock(self.open),
            clock(self.close)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::time::civil::days_from_civil;

    fn at(y: i64, m: u32, d: u32) -> i64 {
        days_from_civil(y, m, d) * DAY
    }

    /// Weekdays (Monday to Friday) from Monday 2024-01-01 for `weeks` weeks, at `times` of day.
    fn weekday_times(weeks: i64, times: &[i64]) -> Vec<i64> {
        (0..7 * weeks)
            .filter(|d| d % 7 < 5)
            .flat_map(|d| times.iter().map(move |tod| at(2024, 1, 1) + d * DAY + tod))
            .collect()
    }

    #[test]
    fn weekdays_read_and_write_their_names() {
        let days = Weekdays::try_from("Mon, tue,Wed,Thu,Fri".to_string()).unwrap();
        assert_eq!(days, Weekdays::BUSINESS);
        assert_eq!(String::from(days), "Mon,Tue,Wed,Thu,Fri");
        assert_eq!(days.describe(), "Monday to Friday");
        let gulf = Weekdays::try_from("Sun,Mon,Tue,Wed,Thu".to_string()).unwrap();
        assert_eq!(gulf.describe(), "Sunday to Thursday");
        let three = Weekdays::try_from("Mon,Wed,Fri".to_string()).unwrap();
        assert_eq!(
            (three.describe(), three.len()),
            ("Monday, Wednesday and Friday".to_string(), 3)
        );
        assert!(Weekdays::try_from("Mon,Xyz".to_string()).is_err());
        assert_eq!(Weekdays::ALL.describe(), "every day");
    }

    #[test]
    fn business_days_need_two_weeks_without_weekends() {
        let daily = Frequency::Seconds(DAY);
        let three_weeks = weekday_times(3, &[0]);
        let calendar = Calendar::infer(three_weeks.iter().copied(), daily).unwrap();
        assert_eq!(
            calendar,
            Calendar {
                days: Weekdays::BUSINESS,
                open: 0,
                close: 0
            }
        );
        assert_eq!(calendar.season(DAY), 5);
        assert!(calendar.describe(DAY).starts_with("business days"));
        // One week is too short to tell; every day observed is continuous.
        assert_eq!(Calendar::infer(weekday_times(1, &[0]).into_iter(), daily), None);
        let every_day = (0..30).map(|d| at(2024, 1, 1) + d * DAY);
        assert_eq!(Calendar::infer(every_day, daily), None);
    }

    #[test]
    fn sessions_are_the_same_hours_every_day() {
        let five_minutes = Frequency::Seconds(300);
        let hours: Vec<i64> = (0..169).map(|k| 7 * 3600 + 300 * k).collect();
        let calendar = Calendar::infer(weekday_times(3, &hours).into_iter(), five_minutes).unwrap();
        assert_eq!((calendar.open, calendar.close), (7 * 3600, 21 * 3600));
        assert_eq!((calendar.days, calendar.season(300)), (Weekdays::BUSINESS, 169));
        assert!(calendar
            .describe(300)
            .contains("sessions from 07:00 to 21:00 on Monday to Friday (169 steps each, 845 a week)"));
        // Around the clock on weekdays only: no session, but the weekend is off.
        let hourly: Vec<i64> = (0..24).map(|h| h * 3600).collect();
        let calendar =
            Calendar::infer(weekday_times(3, &hourly).into_iter(), Frequency::Seconds(3600)).unwrap();
        assert_eq!(
            (calendar.open, calendar.close, calendar.season(3600)),
            (0, 23 * 3600, 24)
        );
        // Two days of partial hours are not enough to call a break a session.
        let two_days = (0..2).flat_map(|d| (9..17).map(move |h| at(2024, 1, 1) + d * DAY + h * 3600));
        assert_eq!(Calendar::infer(two_days, Frequency::Seconds(3600)), None);
    }

    #[test]
    fn off_grid_times_and_other_steps_have_no_calendar() {
        let mut times = weekday_times(3, &[9 * 3600, 10 * 3600]);
        assert!(Calendar::infer(times.iter().copied(), Frequency::Seconds(3600)).is_some());
        times[7] += 60;
        assert_eq!(Calendar::infer(times.into_iter(), Frequency::Seconds(3600)), None);
        let weekly = weekday_times(3, &[0]);
        assert_eq!(
            Calendar::infer(weekly.iter().copied(), Frequency::Seconds(7 * DAY)),
            None
        );
        assert_eq!(
            Calendar::infer(weekly.iter().copied(), Frequency::Months(1)),
            None
        );
        assert_eq!(Calendar::infer(std::iter::empty(), Frequency::Seconds(DAY)), None);
    }

    #[test]
    fn model_files_get_checked_calendars() {
        let good = Calendar {
            days: Weekdays::BUSINESS,
            open: 3600,
            close: 7200,
        };
        assert!(good.fits(1800) && !good.fits(7 * DAY) && !good.fits(0));
        assert!(!Calendar {
            days: Weekdays::NONE,
            ..good
        }
        .fits(1800));
        assert!(!Calendar { close: DAY, ..good }.fits(1800));
        assert!(!Calendar { close: 3000, ..good }.fits(1800));
    }
}
