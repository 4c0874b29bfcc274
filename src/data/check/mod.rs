//! Checks and repairs of loaded series, one function per check, and the report `xlstm check`
//! prints ([`report`]).
//!
//! [`check`] takes the observations [`super::load`] extracted (time, value or missing, original
//! row) and: sorts each series by time (noting when the file was not sorted), finds duplicate
//! timestamps, infers the frequency and the calendar (business days, sessions), finds gaps
//! (missing steps of the calendar) and off-grid steps, finds missing and non-finite values, and
//! with `--fill` repairs missing values and inserts the missing steps of gaps ([`fill`]).
//! Everything found goes into a [`CheckReport`]; blocking problems (duplicates, unrepaired missing
//! values, non-finite values, ...) are listed in [`CheckReport::problems`] and no [`Dataset`] is
//! built, so `xlstm check` can report them while `xlstm fit` fails through
//! [`CheckReport::ensure_usable`].

pub mod fill;
pub mod report;

use std::str::FromStr;

use serde::Serialize;

pub use report::{
    CellEntry, CheckReport, DuplicateEntry, Duplicates, GapEntry, Gaps, Missing, SeriesStats, EXAMPLES,
};

use super::time::{
    describe_frequency, format_timestamp, infer_frequency_of_steps, season_on, Calendar, Grid, TimeFormat,
};
use super::{Dataset, Frequency, Series, TimeKind};
use crate::error::{Error, Result};

/// How to repair missing values (`--fill`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Fill {
    /// Carry the last value forward (a leading gap takes the first value: backfill).
    Ffill,
    /// Interpolate linearly between the neighbours (ends take the nearest value).
    Linear,
    /// Replace with zero.
    Zero,
}

impl Fill {
    /// The name used on the command line: `ffill`, `linear` or `zero`.
    pub fn name(self) -> &'static str {
        match self {
            Fill::Ffill => "ffill",
            Fill::Linear => "linear",
            Fill::Zero => "zero",
        }
    }
}

impl FromStr for Fill {
    type Err = Error;
    fn from_str(s: &str) -> Result<Fill> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ffill" => Ok(Fill::Ffill),
            "linear" => Ok(Fill::Linear),
            "zero" => Ok(Fill::Zero),
            other => Err(Error::usage(format!(
                "unknown --fill '{other}': use ffill, linear or zero"
            ))),
        }
    }
}

/// One observation as read from the file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Obs {
    /// Time (see [`TimeKind`]).
    pub time: i64,
    /// The value; `None` when missing (empty, NaN); may be infinite.
    pub value: Option<f64>,
    /// 0-based data row in the file; `None` for rows inserted to fill a gap.
    pub row: Option<usize>,
}

/// A series before checking.
#[derive(Debug, Clone, PartialEq)]
pub struct RawSeries {
    /// Series identifier.
    pub id: String,
    /// Observations in file order.
    pub obs: Vec<Obs>,
}

/// What [`super::load`] hands to [`check`]: the series as read, and what the file says about them.
#[derive(Debug, Clone, PartialEq)]
pub struct RawDataset {
    /// The file's name, for messages.
    pub file: String,
    /// Number of data rows in the file.
    pub rows: usize,
    /// All column names.
    pub columns: Vec<String>,
    /// The series.
    pub series: Vec<RawSeries>,
    /// Time representation.
    pub time_kind: TimeKind,
    /// The reading of the time column.
    pub time_format: TimeFormat,
    /// The reading in words, for the report.
    pub time_description: String,
    /// Time column name, if any.
    pub time_column: Option<String>,
    /// Target column names.
    pub targets: Vec<String>,
    /// Id column, if any.
    pub id_column: Option<String>,
}

/// Fails with "series X has N rows; WHY needs at least M" for the first series shorter than
/// `needed_rows`.
pub fn require_length(dataset: &Dataset, needed_rows: usize, why: &str) -> Result<()> {
    for s in &dataset.series {
        if s.values.len() < needed_rows {
            return Err(Error::data(format!(
                "series '{}' has {} rows; {why} needs at least {needed_rows}. Use a shorter \
                 --lookback or --horizon, a different --split, or more data",
                s.id,
                s.values.len()
            )));
        }
    }
    Ok(())
}

/// Largest magnitude accepted for a value: squares and sums of squares must stay finite.
pub const MAX_ABS_VALUE: f64 = 1e100;

/// Runs every check on `raw`; `label` names a 0-based file row in messages. Returns the
/// dataset when no problem blocks training, and the report in every case.
pub fn check(
    raw: RawDataset,
    fill: Option<Fill>,
    label: &dyn Fn(usize) -> String,
) -> (Option<Dataset>, CheckReport) {
    check_for(raw, fill, label, true)
}

/// [`check`] for the report alone (`xlstm check`): no dataset is built.
pub fn check_report(raw: RawDataset, fill: Option<Fill>, label: &dyn Fn(usize) -> String) -> CheckReport {
    check_for(raw, fill, label, false).1
}

/// What the checks found that does not fit a section of the report: remarks that do not stop
/// training, and problems that do (each with its fix).
#[derive(Default)]
struct Findings {
    notes: Vec<String>,
    problems: Vec<String>,
}

/// How the checks write times and name rows.
struct Names<'a> {
    kind: TimeKind,
    label: &'a dyn Fn(usize) -> String,
}

impl Names<'_> {
    fn time(&self, t: i64) -> String {
        format_timestamp(t, self.kind)
    }

    /// The 1-based row of an observation (0 for an inserted one).
    fn row(&self, o: &Obs) -> usize {
        o.row.map_or(0, |r| r + 1)
    }

    /// Where an observation is, as a message says it.
    fn place(&self, o: &Obs) -> String {
        o.row.map_or("an inserted row".to_string(), self.label)
    }
}

/// [`check`], building the dataset only when `dataset` says so: the checks in order, then the
/// repairs of `--fill`, then the report.
fn check_for(
    mut raw: RawDataset,
    fill: Option<Fill>,
    label: &dyn Fn(usize) -> String,
    dataset: bool,
) -> (Option<Dataset>, CheckReport) {
    let names = Names {
        kind: raw.time_kind,
        label,
    };
    let mut found = Findings::default();
    let mut series = std::mem::take(&mut raw.series);
    let sorted = sort_by_time(&mut series, &names, &mut found);
    let duplicates = find_duplicates(&series, raw.id_column.is_none(), &names, &mut found);
    let (frequency, calendar) = infer_grid(&series, raw.time_kind, &mut found);
    let grid = frequency
        .filter(|f| *f != Frequency::Rows)
        .map(|f| Grid::new(f, calendar));
    let gaps = grid.map_or_else(Gaps::default, |grid| {
        find_gaps(&series, grid, frequency, fill.is_some(), &names, &mut found)
    });
    let mut values = find_bad_values(&series, &raw.targets, fill, &names, &mut found);
    if let Some(f) = fill.filter(|_| duplicates.count == 0 && values.non_finite_count == 0) {
        if let (Some(grid), Some(frequency)) = (grid.filter(|_| gaps.count > 0), frequency) {
            values.missing.inserted_rows = fill::insert_gaps(&mut series, grid, frequency, &gaps, &mut found);
        }
        fill::fill_series(&mut series, f, values.missing.count, &mut found);
    }
    let stats: Vec<SeriesStats> = series
        .iter()
        .zip(&values.missing_per_series)
        .map(|(s, &m)| report::stats_of(&s.id, &s.obs, m, raw.time_kind))
        .collect();
    let first = series.iter().filter_map(|s| s.obs.first()).map(|o| o.time).min();
    let last = series.iter().filter_map(|s| s.obs.last()).map(|o| o.time).max();
    let calendar_text = match (frequency, calendar) {
        (Some(Frequency::Seconds(step)), Some(calendar)) => calendar.describe(step),
        _ => "continuous (every step of the frequency is expected)".to_string(),
    };
    let report = CheckReport {
        file: raw.file,
        rows: raw.rows,
        columns: raw.columns,
        time_column: raw.time_column.clone(),
        time_kind: raw.time_kind,
        time_format: raw.time_description,
        id_column: raw.id_column.clone(),
        targets: raw.targets.clone(),
        series: series.len(),
        first: first.map(|t| names.time(t)),
        last: last.map(|t| names.time(t)),
        frequency,
        frequency_text: frequency.map_or("unknown".to_string(), describe_frequency),
        season: frequency.and_then(|f| season_on(f, calendar.as_ref())),
        calendar,
        calendar_text,
        sorted,
        notes: found.notes,
        duplicates,
        gaps,
        missing: values.missing,
        non_finite_count: values.non_finite_count,
        non_finite: values.non_finite,
        stats,
        problems: found.problems,
        covariates: Vec::new(),
    };
    let dataset = match (dataset && report.is_usable(), frequency) {
        (true, Some(frequency)) => Some(Dataset {
            series: series
                .into_iter()
                .map(|s| Series {
                    id: s.id,
                    time: s.obs.iter().map(|o| o.time).collect(),
                    values: s.obs.iter().map(|o| o.value.unwrap_or(f64::NAN)).collect(),
                    covariates: Vec::new(),
                })
                .collect(),
            time_kind: raw.time_kind,
            frequency,
            calendar,
            time_format: raw.time_format,
            time_column: raw.time_column,
            targets: raw.targets,
            id_column: raw.id_column,
            covariates: Vec::new(),
        }),
        _ => None,
    };
    (dataset, report)
}

/// Sorts each series by time (stable, so equal times keep file order); false when a series was
/// not in time order (noted once, naming the first row out of order).
fn sort_by_time(series: &mut [RawSeries], names: &Names, found: &mut Findings) -> bool {
    let mut sorted = true;
    for s in series {
        if let Some(w) = s.obs.windows(2).find(|w| w[1].time < w[0].time) {
            if sorted {
                found.notes.push(format!(
                    "the rows were not in time order (series '{}': {} at {} comes after {}); they were sorted by time",
                    s.id,
                    names.time(w[1].time),
                    names.place(&w[1]),
                    names.time(w[0].time)
                ));
            }
            sorted = false;
            s.obs.sort_by_key(|o| o.time);
        }
    }
    sorted
}

/// Timestamps that occur more than once in a series (a problem). `hint_id_col` adds the hint
/// that a long-format file needs `--id-col`.
fn find_duplicates(
    series: &[RawSeries],
    hint_id_col: bool,
    names: &Names,
    found: &mut Findings,
) -> Duplicates {
    let mut duplicates = Duplicates::default();
    for s in series {
        for group in s.obs.chunk_by(|a, b| a.time == b.time).filter(|g| g.len() > 1) {
            duplicates.count += 1;
            if duplicates.first.len() < EXAMPLES {
                duplicates.first.push(DuplicateEntry {
                    series: s.id.clone(),
                    timestamp: names.time(group[0].time),
                    rows: group.iter().map(|o| names.row(o)).collect(),
                    location: group
                        .iter()
                        .map(|o| names.place(o))
                        .collect::<Vec<_>>()
                        .join(" and "),
                });
            }
        }
    }
    if duplicates.count > 0 {
        let list: Vec<String> = duplicates
            .first
            .iter()
            .map(|d| format!("series '{}' has {} at {}", d.series, d.timestamp, d.location))
            .collect();
        let hint = if hint_id_col {
            " (if the file holds several series in long format, name the id column with --id-col)"
        } else {
            ""
        };
        found.problems.push(format!(
            "{} duplicated timestamp(s): {}. Remove or aggregate the duplicate rows{hint}",
            duplicates.count,
            list.join("; ")
        ));
    }
    duplicates
}

/// The most common step over all series (a problem when there is none) and the calendar of its
/// observed steps.
fn infer_grid(
    series: &[RawSeries],
    kind: TimeKind,
    found: &mut Findings,
) -> (Option<Frequency>, Option<Calendar>) {
    let steps = series
        .iter()
        .flat_map(|s| s.obs.windows(2).map(|w| (w[0].time, w[1].time)));
    let Some(frequency) = infer_frequency_of_steps(steps, kind) else {
        found.problems.push(
            "the frequency cannot be inferred: no series has two different timestamps; \
             every series needs at least two rows"
                .to_string(),
        );
        return (None, None);
    };
    let times = series.iter().flat_map(|s| s.obs.iter().map(|o| o.time));
    (Some(frequency), Calendar::infer(times, frequency))
}

/// Gaps (runs of missing steps of the grid) and steps off the grid, both noted; `filling` says
/// `--fill` will insert the gaps' steps.
fn find_gaps(
    series: &[RawSeries],
    grid: Grid,
    frequency: Option<Frequency>,
    filling: bool,
    names: &Names,
    found: &mut Findings,
) -> Gaps {
    let mut gaps = Gaps::default();
    let mut first_irregular = None;
    for s in series {
        for w in s.obs.windows(2) {
            let (a, b) = (w[0].time, w[1].time);
            // Duplicates, and (most steps) exactly one step of the grid.
            if a == b || grid.is_next(a, b) {
                continue;
            }
            if !grid.on_grid(a, b) {
                gaps.irregular_steps += 1;
                first_irregular.get_or_insert_with(|| {
                    format!(
                        "series '{}' steps from {} to {} at {}",
                        s.id,
                        names.time(a),
                        names.time(b),
                        names.place(&w[1])
                    )
                });
                continue;
            }
            let (first, count) = grid.missing_between(a, b, EXAMPLES);
            if count > 0 {
                gaps.count += 1;
                gaps.missing_timestamps += count;
                if gaps.first.len() < EXAMPLES {
                    gaps.first.push(GapEntry {
                        series: s.id.clone(),
                        after: names.time(a),
                        before: names.time(b),
                        missing: count,
                        first_missing: first.into_iter().map(|t| names.time(t)).collect(),
                    });
                }
            }
        }
    }
    if gaps.count > 0 && !filling {
        found.notes.push(format!(
            "{} timestamp(s) are missing in {} gap(s); windows that span a gap treat it as \
             contiguous. --fill inserts the missing timestamps and fills them",
            gaps.missing_timestamps, gaps.count
        ));
    }
    if gaps.irregular_steps > 0 {
        found.notes.push(format!(
            "{} step(s) are not a whole number of {} steps (the first: {}); the rows are used \
             as if they were evenly spaced: fix or resample the timestamps if they are not",
            gaps.irregular_steps,
            frequency.map_or("regular".to_string(), describe_frequency),
            first_irregular.as_deref().unwrap_or("?")
        ));
    }
    gaps
}

/// Missing and non-finite values, per series.
struct BadValues {
    /// Missing values (empty or NaN cells).
    missing: Missing,
    /// Missing values of each series.
    missing_per_series: Vec<usize>,
    /// Number of non-finite or too large values.
    non_finite_count: usize,
    /// The first of them.
    non_finite: Vec<CellEntry>,
}

/// Missing values (a problem without `--fill`; a series with no value at all is one even with
/// it) and non-finite or too large values (always a problem).
fn find_bad_values(
    series: &[RawSeries],
    targets: &[String],
    fill: Option<Fill>,
    names: &Names,
    found: &mut Findings,
) -> BadValues {
    let mut bad = BadValues {
        missing: Missing {
            filled_with: fill,
            ..Missing::default()
        },
        missing_per_series: vec![0; series.len()],
        non_finite_count: 0,
        non_finite: Vec::new(),
    };
    for (k, s) in series.iter().enumerate() {
        for o in &s.obs {
            let entry = |value: Option<String>| CellEntry {
                series: s.id.clone(),
                timestamp: names.time(o.time),
                row: names.row(o),
                location: names.place(o),
                value,
            };
            match o.value {
                None => {
                    bad.missing.count += 1;
                    bad.missing_per_series[k] += 1;
                    if bad.missing.first.len() < EXAMPLES {
                        bad.missing.first.push(entry(None));
                    }
                }
                Some(v) if !v.is_finite() || v.abs() > MAX_ABS_VALUE => {
                    bad.non_finite_count += 1;
                    if bad.non_finite.len() < EXAMPLES {
                        let text = if v.is_finite() {
                            format!("{v:e}")
                        } else {
                            v.to_string()
                        };
                        bad.non_finite.push(entry(Some(text)));
                    }
                }
                Some(_) => {}
            }
        }
    }
    for (s, &m) in series.iter().zip(&bad.missing_per_series) {
        if m > 0 && m == s.obs.len() && fill.is_none() {
            found.problems.push(format!(
                "series '{}' has no values at all: all {m} of its cells in column(s) {} are empty or NaN; \
                 choose another --target, or fill the column",
                s.id,
                targets.join(", ")
            ));
        }
    }
    if bad.missing.count > 0 && fill.is_none() {
        let list: Vec<String> = bad
            .missing
            .first
            .iter()
            .map(|c| format!("series '{}' at {}, {}", c.series, c.timestamp, c.location))
            .collect();
        let more = if bad.missing.count > list.len() {
            "; ..."
        } else {
            ""
        };
        found.problems.push(format!(
            "{} missing value(s) (empty or NaN): {}{more}. Fix the file, or pass --fill ffill|linear|zero to fill them",
            bad.missing.count,
            list.join("; ")
        ));
    }
    if bad.non_finite_count > 0 {
        let list: Vec<String> = bad
            .non_finite
            .iter()
            .map(|c| {
                format!(
                    "'{}' in series '{}' at {} ({})",
                    c.value.as_deref().unwrap_or("?"),
                    c.series,
                    c.timestamp,
                    c.location
                )
            })
            .collect();
        found.problems.push(format!(
            "{} non-finite or too large value(s) (inf, or a magnitude above 1e100): {}. \
             Replace them with numbers (rescale very large ones), or empty the cells and pass --fill",
            bad.non_finite_count,
            list.join(", ")
        ));
    }
    bad
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3600;

    fn raw(obs: Vec<(i64, Option<f64>)>) -> RawDataset {
        RawDataset {
            file: "f.csv".into(),
            rows: obs.len(),
            columns: vec!["date".into(), "y".into()],
            series: vec![RawSeries {
                id: "y".into(),
                obs: obs
                    .into_iter()
                    .enumerate()
                    .map(|(r, (time, value))| Obs {
                        time,
                        value,
                        row: Some(r),
                    })
                    .collect(),
            }],
            time_kind: TimeKind::DateTime,
            time_format: TimeFormat::default(),
            time_description: "YYYY-MM-DD hh:mm:ss (ISO 8601)".into(),
            time_column: Some("date".into()),
            targets: vec!["y".into()],
            id_column: None,
        }
    }

    fn label(r: usize) -> String {
        format!("row {}", r + 1)
    }

    #[test]
    fn clean_hourly_series_is_usable() {
        let (ds, report) = check(
            raw((0..48).map(|k| (k * H, Some(k as f64))).collect()),
            None,
            &label,
        );
        let ds = ds.unwrap();
        assert_eq!(ds.frequency, Frequency::Seconds(H));
        assert_eq!(report.season, Some(24));
        assert!(report.sorted && report.problems.is_empty());
        assert_eq!(report.stats[0].mean, Some(23.5));
        assert_eq!(report.stats[0].min, Some(0.0));
        // Sample variance of 0..48 is 48 * 49 / 12 = 196.
        assert!((report.stats[0].std.unwrap() - 14.0).abs() < 1e-12);
        assert!(report.render().contains("hourly"));
    }

    #[test]
    fn sorts_and_notes_unsorted_rows() {
        let (ds, report) = check(
            raw(vec![(2 * H, Some(2.0)), (0, Some(0.0)), (H, Some(1.0))]),
            None,
            &label,
        );
        assert!(!report.sorted);
        assert!(report.notes[0].contains("not in time order"));
        assert_eq!(ds.unwrap().series[0].values, [0.0, 1.0, 2.0]);
    }

    #[test]
    fn duplicates_and_missing_values_are_problems() {
        let (ds, report) = check(
            raw(vec![
                (0, Some(0.0)),
                (H, None),
                (H, Some(1.0)),
                (2 * H, Some(2.0)),
            ]),
            None,
            &label,
        );
        assert!(ds.is_none());
        assert_eq!(report.duplicates.count, 1);
        assert_eq!(report.duplicates.first[0].rows, [2, 3]);
        assert_eq!(report.missing.count, 1);
        let e = report.ensure_usable().unwrap_err().to_string();
        assert!(e.contains("1970-01-01 01:00:00 at row 2 and row 3"), "{e}");
        assert!(e.contains("--fill"), "{e}");
    }

    #[test]
    fn fills_each_way() {
        let rows = vec![
            (0, None),
            (H, Some(1.0)),
            (2 * H, None),
            (3 * H, None),
            (4 * H, Some(4.0)),
            (5 * H, None),
        ];
        let get = |f| {
            check(raw(rows.clone()), Some(f), &label).0.unwrap().series[0]
                .values
                .clone()
        };
        assert_eq!(get(Fill::Linear), [1.0, 1.0, 2.0, 3.0, 4.0, 4.0]);
        assert_eq!(get(Fill::Ffill), [1.0, 1.0, 1.0, 1.0, 4.0, 4.0]);
        assert_eq!(get(Fill::Zero), [0.0, 1.0, 0.0, 0.0, 4.0, 0.0]);
        let (ds, report) = check(raw(vec![(0, None), (H, None)]), Some(Fill::Linear), &label);
        assert!(ds.is_none() && report.problems[0].contains("no values at all"));
    }

    #[test]
    fn reports_gaps_and_fill_inserts_them() {
        let rows = vec![
            (0, Some(0.0)),
            (H, Some(1.0)),
            (4 * H, Some(4.0)),
            (5 * H, Some(5.0)),
            (5 * H + 60, Some(6.0)),
        ];
        let (ds, report) = check(raw(rows.clone()), None, &label);
        assert!(ds.is_some());
        assert_eq!(
            (
                report.gaps.count,
                report.gaps.missing_timestamps,
                report.gaps.irregular_steps
            ),
            (1, 2, 1)
        );
        assert_eq!(
            report.gaps.first[0].first_missing,
            ["1970-01-01 02:00:00", "1970-01-01 03:00:00"]
        );
        let (ds, report) = check(raw(rows), Some(Fill::Linear), &label);
        assert_eq!(report.missing.inserted_rows, 2);
        assert_eq!(ds.unwrap().series[0].values, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    }

    #[test]
    fn infinite_values_and_single_rows_are_problems() {
        let (ds, report) = check(
            raw(vec![(0, Some(1.0)), (H, Some(f64::INFINITY))]),
            Some(Fill::Zero),
            &label,
        );
        assert!(ds.is_none() && report.problems[0].contains("non-finite"));
        let (ds, report) = check(raw(vec![(0, Some(1.0))]), None, &label);
        assert!(ds.is_none() && report.problems[0].contains("frequency cannot be inferred"));
    }

    #[test]
    fn require_length_names_the_series() {
        let (ds, _) = check(raw((0..10).map(|k| (k * H, Some(1.0))).collect()), None, &label);
        let ds = ds.unwrap();
        assert!(require_length(&ds, 10, "x").is_ok());
        let e = require_length(&ds, 11, "lookback 8 + horizon 3")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("series 'y' has 10 rows; lookback 8 + horizon 3 needs at least 11"),
            "{e}"
        );
    }

    #[test]
    fn report_serialises_to_json() {
        let (_, report) = check(raw(vec![(0, Some(1.0)), (H, None)]), Some(Fill::Ffill), &label);
        let v = serde_json::to_value(&report).unwrap();
        assert_eq!(v["missing"]["filled_with"], "ffill");
        assert_eq!(v["frequency"]["Seconds"], 3600);
    }

    #[test]
    fn business_days_are_inferred_and_holidays_are_gaps() {
        const DAY: i64 = 86_400;
        // Weekdays from Monday 2024-01-01 for four weeks, without Wednesday 2024-01-10.
        let monday = 19_723 * DAY;
        let days: Vec<i64> = (0..28)
            .filter(|d| d % 7 < 5 && *d != 9)
            .map(|d| monday + d * DAY)
            .collect();
        let obs = days.iter().map(|&t| (t, Some(1.0))).collect();
        let (ds, report) = check(raw(obs), None, &label);
        let ds = ds.unwrap();
        assert_eq!(
            ds.calendar.map(|c| c.days),
            Some(crate::data::time::Weekdays::BUSINESS)
        );
        assert_eq!((report.season, ds.season_guess()), (Some(5), Some(5)));
        assert_eq!((report.gaps.count, report.gaps.missing_timestamps), (1, 1));
        assert_eq!(report.gaps.first[0].first_missing, ["2024-01-10 00:00:00"]);
        assert!(report
            .render()
            .contains("calendar:     business days (Monday to Friday)"));
        let (ds, report) = check(
            raw(days.iter().map(|&t| (t, Some(1.0))).collect()),
            Some(Fill::Linear),
            &label,
        );
        assert_eq!(
            (report.missing.inserted_rows, ds.unwrap().series[0].time.len()),
            (1, 20)
        );
    }

    #[test]
    fn the_report_names_the_time_reading_and_the_calendar() {
        let (_, report) = check(raw((0..48).map(|k| (k * H, Some(1.0))).collect()), None, &label);
        let text = report.render();
        assert!(
            text.contains("time format:  YYYY-MM-DD hh:mm:ss (ISO 8601)"),
            "{text}"
        );
        assert!(text.contains("calendar:     continuous"), "{text}");
    }
}
