//! The grid a dataset's times lie on: a [`Frequency`] and, for business days and sessions, the
//! [`Calendar`] of its observed steps. The checks count gaps on it, `--fill` inserts its missing
//! steps, and forecasts continue it.

use super::calendar::Calendar;
use super::civil::{add_months, day_of_month, month_step, on_month_end, weekday_of_day};
use super::{Frequency, DAY};

/// A frequency and the calendar of its observed steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grid {
    frequency: Frequency,
    /// Only for steps of at most a day, and only a calendar that fits the step.
    calendar: Option<Calendar>,
}

/// The day of the month new monthly steps fall on, and whether they stay on month ends.
type MonthAnchor = (u32, bool);

impl Grid {
    /// The grid of `frequency` on `calendar` (a calendar that does not fit the step is ignored).
    pub fn new(frequency: Frequency, calendar: Option<Calendar>) -> Grid {
        let calendar = match frequency {
            Frequency::Seconds(step) => calendar.filter(|c| c.fits(step)),
            _ => None,
        };
        Grid { frequency, calendar }
    }

    /// The time `steps` steps after `t`; `None` beyond the range of dates.
    fn step_from(&self, t: i64, steps: i64, anchor: MonthAnchor) -> Option<i64> {
        match (self.frequency, self.calendar) {
            (Frequency::Seconds(step), None) => t.checked_add(steps.checked_mul(step)?),
            (Frequency::Seconds(step), Some(calendar)) => {
                (0..steps).try_fold(t, |u, _| next_on_calendar(&calendar, step, u))
            }
            (Frequency::Months(m), _) => add_months(t, steps.checked_mul(i64::from(m))?, anchor.0, anchor.1),
            (Frequency::Rows, _) => t.checked_add(steps),
        }
    }

    /// Whether `b` is exactly one step after `a`.
    pub fn is_next(&self, a: i64, b: i64) -> bool {
        match (self.frequency, self.calendar) {
            (Frequency::Seconds(step), None) => b - a == step,
            (Frequency::Seconds(step), Some(calendar)) => next_on_calendar(&calendar, step, a) == Some(b),
            (Frequency::Months(m), _) => month_step(a, b) == Some(m),
            (Frequency::Rows, _) => b - a == 1,
        }
    }

    /// Whether the step from `a` to `b` is a whole number of steps on the grid.
    pub fn on_grid(&self, a: i64, b: i64) -> bool {
        match (self.frequency, self.calendar) {
            (Frequency::Seconds(step), None) => step > 0 && (b - a) % step == 0,
            (Frequency::Seconds(step), Some(calendar)) => {
                is_observed(&calendar, step, a) && is_observed(&calendar, step, b)
            }
            (Frequency::Months(m), _) => month_step(a, b).is_some_and(|k| k % m == 0),
            (Frequency::Rows, _) => true,
        }
    }

    /// The steps strictly between `a` and `b` (on the grid, `a` before `b`): at most `limit` of
    /// them, and how many there are. Month steps are anchored on `a`'s day of the month.
    pub fn missing_between(&self, a: i64, b: i64, limit: usize) -> (Vec<i64>, usize) {
        let count = match (self.frequency, self.calendar) {
            (Frequency::Seconds(step), None) if step > 0 && b - a > step => ((b - a - 1) / step) as usize,
            (Frequency::Seconds(step), Some(calendar)) if b > a => {
                let between = slot_index(&calendar, step, b) - slot_index(&calendar, step, a) - 1;
                usize::try_from(between).unwrap_or(0)
            }
            (Frequency::Months(_), _) => return self.missing_months(a, b, limit),
            _ => 0,
        };
        let next = |t: &i64| self.step_from(*t, 1, (1, false));
        let found = std::iter::successors(next(&a), next)
            .take(count.min(limit))
            .collect();
        (found, count)
    }

    /// [`Grid::missing_between`] for month steps, counted one by one (at most 100,000).
    fn missing_months(&self, a: i64, b: i64, limit: usize) -> (Vec<i64>, usize) {
        let anchor = (
            day_of_month(a),
            on_month_end(a) && on_month_end(b) && day_of_month(a) >= 28,
        );
        let (mut found, mut count) = (Vec::new(), 0);
        for k in 1..=100_000 {
            match self.step_from(a, k, anchor) {
                Some(t) if t < b => {
                    if found.len() < limit {
                        found.push(t);
                    }
                    count += 1;
                }
                _ => break,
            }
        }
        (found, count)
    }

    /// The `horizon` times after the last one of `history` (sorted ascending). Monthly steps
    /// keep the day of the month of the recent history (or stay on month ends). An empty history
    /// starts at 0 for row numbers and gives nothing otherwise; beyond the range of dates the
    /// times go on one second apart (there is no calendar there to follow).
    pub fn next_timestamps(&self, history: &[i64], horizon: usize) -> Vec<i64> {
        let Some(&last) = history.last() else {
            return if self.frequency == Frequency::Rows {
                (0..horizon as i64).collect()
            } else {
                Vec::new()
            };
        };
        let anchor = month_anchor(history);
        (1..=horizon as i64)
            .map(|k| {
                self.step_from(last, k, anchor)
                    .unwrap_or_else(|| last.saturating_add(k))
            })
            .collect()
    }
}

/// How the next month-stepped times are anchored, judged from the last few times.
fn month_anchor(history: &[i64]) -> MonthAnchor {
    let tail = &history[history.len().saturating_sub(3)..];
    let ends = tail.iter().all(|&t| on_month_end(t) && day_of_month(t) >= 28);
    let day = tail.iter().map(|&t| day_of_month(t)).max().unwrap_or(1);
    (day, ends && tail.len() >= 2)
}

/// Whether `t` is an observed step of `calendar`.
fn is_observed(calendar: &Calendar, step: i64, t: i64) -> bool {
    let tod = t.rem_euclid(DAY);
    calendar.days.contains(weekday_of_day(t.div_euclid(DAY)))
        && (calendar.open..=calendar.close).contains(&tod)
        && (tod - calendar.open) % step == 0
}

/// The first observed step of `calendar` after `t`.
fn next_on_calendar(calendar: &Calendar, step: i64, t: i64) -> Option<i64> {
    let (day, tod) = (t.div_euclid(DAY), t.rem_euclid(DAY));
    if calendar.days.contains(weekday_of_day(day)) {
        // The next step of the day's grid, if the session still has one.
        let next = if tod < calendar.open {
            calendar.open
        } else {
            calendar.open + ((tod - calendar.open) / step + 1) * step
        };
        if next <= calendar.close {
            return day.checked_mul(DAY)?.checked_add(next);
        }
    }
    let open_day = (day + 1..=day + 7).find(|&d| calendar.days.contains(weekday_of_day(d)))?;
    open_day.checked_mul(DAY)?.checked_add(calendar.open)
}

/// The number of observed steps of `calendar` before `t` (an observed step), counted from
/// 1970-01-01: whole weeks of observed days, the observed days of the week so far, and the steps
/// of `t`'s day before it.
fn slot_index(calendar: &Calendar, step: i64, t: i64) -> i64 {
    let (day, tod) = (t.div_euclid(DAY), t.rem_euclid(DAY));
    let (weeks, rest) = (day.div_euclid(7), day.rem_euclid(7));
    let days_this_week = (0..rest)
        .filter(|k| calendar.days.contains(weekday_of_day(weeks * 7 + k)))
        .count() as i64;
    let days_before = weeks * calendar.days.len() as i64 + days_this_week;
    days_before * calendar.steps_per_day(step) + (tod - calendar.open) / step
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::time::calendar::Weekdays;
    use crate::data::time::civil::days_from_civil;
    use crate::data::time::format_timestamp;
    use crate::data::TimeKind;

    fn at(y: i64, m: u32, d: u32) -> i64 {
        days_from_civil(y, m, d) * DAY
    }

    fn show(times: &[i64]) -> Vec<String> {
        times
            .iter()
            .map(|&t| format_timestamp(t, TimeKind::DateTime))
            .collect()
    }

    #[test]
    fn continuous_steps_and_months() {
        let hourly = Grid::new(Frequency::Seconds(3600), None);
        let h = [at(2020, 12, 31) + 22 * 3600, at(2020, 12, 31) + 23 * 3600];
        assert_eq!(
            show(&hourly.next_timestamps(&h, 2)),
            ["2021-01-01 00:00:00", "2021-01-01 01:00:00"]
        );
        let monthly = Grid::new(Frequency::Months(1), None);
        let next = monthly.next_timestamps(&[at(2020, 11, 30), at(2020, 12, 31)], 3);
        assert_eq!(next, [at(2021, 1, 31), at(2021, 2, 28), at(2021, 3, 31)]);
        let next = monthly.next_timestamps(&[at(2021, 1, 30), at(2021, 2, 28)], 1);
        assert_eq!(next, [at(2021, 3, 30)]);
        assert_eq!(Grid::new(Frequency::Rows, None).next_timestamps(&[4], 2), [5, 6]);
        assert_eq!(Grid::new(Frequency::Rows, None).next_timestamps(&[], 2), [0, 1]);
        let far = i64::MAX - 10;
        assert_eq!(hourly.next_timestamps(&[far], 3), [far + 1, far + 2, far + 3]);
    }

    #[test]
    fn missing_steps_and_off_grid_steps() {
        let a = at(2020, 1, 1);
        let hourly = Grid::new(Frequency::Seconds(3600), None);
        assert_eq!(
            hourly.missing_between(a, a + 5 * 3600, 2),
            (vec![a + 3600, a + 7200], 4)
        );
        assert!(hourly.on_grid(a, a + 7200) && !hourly.on_grid(a, a + 1800));
        assert!(hourly.is_next(a, a + 3600) && !hourly.is_next(a, a + 7200));
        let monthly = Grid::new(Frequency::Months(1), None);
        assert_eq!(
            monthly.missing_between(at(2024, 2, 29), at(2024, 3, 31), 5).1,
            0,
            "month ends"
        );
        assert_eq!(
            monthly.missing_between(at(2024, 3, 31), at(2024, 5, 31), 5),
            (vec![at(2024, 4, 30)], 1)
        );
        assert_eq!(monthly.missing_between(at(2020, 1, 1), at(2020, 4, 1), 5).1, 2);
        assert!(monthly.is_next(at(2024, 1, 31), at(2024, 2, 29)));
    }

    #[test]
    fn business_days_skip_weekends() {
        let calendar = Calendar {
            days: Weekdays::BUSINESS,
            open: 0,
            close: 0,
        };
        let grid = Grid::new(Frequency::Seconds(DAY), Some(calendar));
        let friday = at(2024, 6, 7);
        assert_eq!(
            grid.next_timestamps(&[friday], 3),
            [at(2024, 6, 10), at(2024, 6, 11), at(2024, 6, 12)]
        );
        assert!(grid.is_next(friday, at(2024, 6, 10)));
        // Friday to Tuesday: the Monday (a holiday) is missing, the weekend is not.
        assert_eq!(
            grid.missing_between(friday, at(2024, 6, 11), 5),
            (vec![at(2024, 6, 10)], 1)
        );
        assert_eq!(grid.missing_between(friday, at(2024, 6, 21), 2).1, 9);
        assert!(
            !grid.on_grid(friday, at(2024, 6, 8)),
            "a Saturday is off the calendar"
        );
    }

    #[test]
    fn sessions_stay_inside_their_hours() {
        let calendar = Calendar {
            days: Weekdays::BUSINESS,
            open: 7 * 3600,
            close: 21 * 3600,
        };
        let grid = Grid::new(Frequency::Seconds(300), Some(calendar));
        let friday_close = at(2024, 6, 7) + 21 * 3600;
        let next = grid.next_timestamps(&[friday_close - 300, friday_close], 2);
        assert_eq!(show(&next), ["2024-06-10 07:00:00", "2024-06-10 07:05:00"]);
        let monday = at(2024, 6, 10) + 7 * 3600;
        assert_eq!(grid.missing_between(friday_close, monday, 1).1, 0);
        assert!(grid.is_next(friday_close, monday));
        // Monday 07:00 to Tuesday 07:10: the rest of Monday (168) and Tuesday 07:00 and 07:05.
        let (first, count) = grid.missing_between(monday, monday + DAY + 600, 2);
        assert_eq!((count, show(&first)), (170, show(&[monday + 300, monday + 600])));
        assert!(
            !grid.on_grid(monday, monday + 15 * 3600),
            "22:00 is outside the session"
        );
        // A calendar that does not fit the step is ignored.
        let weekly = Grid::new(Frequency::Seconds(7 * DAY), Some(calendar));
        assert_eq!(weekly.next_timestamps(&[monday], 1), [monday + 7 * DAY]);
    }
}
