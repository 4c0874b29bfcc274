//! The step between observations: inferred as the most common step, described in words, and the
//! season it suggests.

use std::collections::HashMap;

use super::calendar::Calendar;
use super::civil::month_step;
use super::{Frequency, TimeKind, DAY};

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
        let step = b.saturating_sub(a);
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

/// The seasonal period on a calendar: a week of business days (5), the steps of one session;
/// without a calendar, [`season_guess`].
pub fn season_on(frequency: Frequency, calendar: Option<&Calendar>) -> Option<usize> {
    match (frequency, calendar) {
        (Frequency::Seconds(step), Some(calendar)) if calendar.fits(step) => Some(calendar.season(step)),
        _ => season_guess(frequency),
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
    use crate::data::time::calendar::Weekdays;
    use crate::data::time::civil::{add_months, days_from_civil};

    fn at(y: i64, m: u32, d: u32) -> i64 {
        days_from_civil(y, m, d) * DAY
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
        let months = |start, step: i64, n: i64, end| -> Vec<i64> {
            (0..n)
                .map(|k| add_months(start, step * k, 31, end).unwrap())
                .collect()
        };
        let month_ends = months(at(2019, 1, 31), 1, 30, true);
        assert_eq!(
            infer_frequency(&[&month_ends], TimeKind::Date),
            Some(Frequency::Months(1))
        );
        let quarters = months(at(2019, 1, 1), 3, 12, false);
        assert_eq!(
            infer_frequency(&[&quarters], TimeKind::Date),
            Some(Frequency::Months(3))
        );
        let years = months(at(2000, 1, 1), 12, 9, false);
        assert_eq!(
            infer_frequency(&[&years], TimeKind::Date),
            Some(Frequency::Months(12))
        );
        let four_weekly: Vec<i64> = (0..20).map(|k| at(2021, 2, 1) + 28 * DAY * k).collect();
        assert_eq!(
            infer_frequency(&[&four_weekly], TimeKind::Date),
            Some(Frequency::Seconds(28 * DAY))
        );
        assert_eq!(infer_frequency(&[&[5]], TimeKind::Date), None);
        assert_eq!(infer_frequency(&[], TimeKind::RowNumber), Some(Frequency::Rows));
    }

    #[test]
    fn describes_and_guesses_seasons() {
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
        let business = Calendar {
            days: Weekdays::BUSINESS,
            open: 0,
            close: 0,
        };
        assert_eq!(season_on(Frequency::Seconds(DAY), Some(&business)), Some(5));
        assert_eq!(season_on(Frequency::Seconds(DAY), None), Some(7));
        let session = Calendar {
            days: Weekdays::BUSINESS,
            open: 9 * 3600,
            close: 17 * 3600,
        };
        assert_eq!(season_on(Frequency::Seconds(1800), Some(&session)), Some(17));
    }
}
