//! Checks and repairs of loaded series, and the report `xlstm check` prints.
//!
//! [`check`] takes the observations [`super::load`] extracted (time, value or missing, original
//! row) and: sorts each series by time (noting when the file was not sorted), finds duplicate
//! timestamps, infers the frequency, finds gaps (missing timestamps) and off-grid steps, finds
//! missing and non-finite values, and with `--fill` repairs missing values (and inserts the
//! missing timestamps of gaps). Everything found goes into a [`CheckReport`]; blocking problems
//! (duplicates, unrepaired missing values, non-finite values, ...) are listed in
//! [`CheckReport::problems`] and no [`Dataset`] is built, so `xlstm check` can report them while
//! `xlstm fit` fails through [`CheckReport::ensure_usable`].

use std::fmt::Write as _;
use std::str::FromStr;

use serde::Serialize;

use super::time::{
    describe_frequency, format_timestamp, infer_frequency_of_steps, missing_between, on_grid, season_guess,
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

/// What [`super::load`] hands to [`check`].
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
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
    /// Time column name, if any.
    pub time_column: Option<String>,
    /// Target column names.
    pub targets: Vec<String>,
    /// Id column, if any.
    pub id_column: Option<String>,
}

/// How many examples each list of the report keeps.
pub const EXAMPLES: usize = 5;

/// A duplicated timestamp.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DuplicateEntry {
    /// Series id.
    pub series: String,
    /// The timestamp, formatted.
    pub timestamp: String,
    /// 1-based data rows that share it.
    pub rows: Vec<usize>,
    /// The rows as a message names them.
    pub location: String,
}

/// A run of missing timestamps between two observations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GapEntry {
    /// Series id.
    pub series: String,
    /// Last timestamp before the gap.
    pub after: String,
    /// First timestamp after the gap.
    pub before: String,
    /// Number of missing timestamps.
    pub missing: usize,
    /// The first missing timestamps.
    pub first_missing: Vec<String>,
}

/// A cell with a missing or non-finite value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellEntry {
    /// Series id.
    pub series: String,
    /// The timestamp, formatted.
    pub timestamp: String,
    /// 1-based data row.
    pub row: usize,
    /// The row as a message names it.
    pub location: String,
    /// The value found (for non-finite values).
    pub value: Option<String>,
}

/// Duplicate timestamps.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Duplicates {
    /// Number of timestamps that occur more than once in a series.
    pub count: usize,
    /// The first ones.
    pub first: Vec<DuplicateEntry>,
}

/// Gaps and irregular steps.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Gaps {
    /// Number of gaps (runs of missing timestamps).
    pub count: usize,
    /// Number of missing timestamps in all gaps.
    pub missing_timestamps: usize,
    /// Steps that are not a whole number of the frequency.
    pub irregular_steps: usize,
    /// The first gaps.
    pub first: Vec<GapEntry>,
}

/// Missing values.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Missing {
    /// Number of missing values (empty or NaN cells).
    pub count: usize,
    /// The first ones.
    pub first: Vec<CellEntry>,
    /// The repair applied, if any.
    pub filled_with: Option<Fill>,
    /// Rows inserted for the missing timestamps of gaps (only with a fill).
    pub inserted_rows: usize,
}

/// Basic statistics of one series (over its finite values, after any fill).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesStats {
    /// Series id.
    pub id: String,
    /// Rows (after any inserted rows).
    pub rows: usize,
    /// Missing values before any fill.
    pub missing: usize,
    /// First timestamp.
    pub first: Option<String>,
    /// Last timestamp.
    pub last: Option<String>,
    /// Number of finite values.
    pub count: usize,
    /// Mean.
    pub mean: Option<f64>,
    /// Sample standard deviation (n − 1).
    pub std: Option<f64>,
    /// Minimum.
    pub min: Option<f64>,
    /// Maximum.
    pub max: Option<f64>,
}

/// Everything `xlstm check` reports about a data file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckReport {
    /// The file.
    pub file: String,
    /// Data rows in the file.
    pub rows: usize,
    /// All columns of the file.
    pub columns: Vec<String>,
    /// The time column, if any.
    pub time_column: Option<String>,
    /// How times are represented.
    pub time_kind: TimeKind,
    /// The id column of a long-format panel, if any.
    pub id_column: Option<String>,
    /// Target column(s).
    pub targets: Vec<String>,
    /// Number of series.
    pub series: usize,
    /// Earliest timestamp over all series.
    pub first: Option<String>,
    /// Latest timestamp over all series.
    pub last: Option<String>,
    /// Inferred frequency (`None` when it cannot be inferred).
    pub frequency: Option<Frequency>,
    /// The frequency in words.
    pub frequency_text: String,
    /// Suggested season length.
    pub season: Option<usize>,
    /// True when the rows were already in time order.
    pub sorted: bool,
    /// Remarks that do not stop training (sorting, gaps, fills).
    pub notes: Vec<String>,
    /// Duplicate timestamps.
    pub duplicates: Duplicates,
    /// Gaps.
    pub gaps: Gaps,
    /// Missing values.
    pub missing: Missing,
    /// Number of non-finite values (inf).
    pub non_finite_count: usize,
    /// The first non-finite values.
    pub non_finite: Vec<CellEntry>,
    /// Statistics per series.
    pub stats: Vec<SeriesStats>,
    /// Problems that make the data unusable for training, each with its fix; empty when usable.
    pub problems: Vec<String>,
}

impl CheckReport {
    /// True when no problem blocks training.
    pub fn is_usable(&self) -> bool {
        self.problems.is_empty()
    }

    /// `Ok` when usable, else a data error listing every problem.
    pub fn ensure_usable(&self) -> Result<()> {
        match self.problems.as_slice() {
            [] => Ok(()),
            [one] => Err(Error::data(format!("{}: {one}", self.file))),
            many => Err(Error::data(format!(
                "{} cannot be used as it is:\n- {}",
                self.file,
                many.join("\n- ")
            ))),
        }
    }

    /// A readable text report.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "file:         {}", self.file);
        let _ = writeln!(
            s,
            "rows:         {} in {} series (columns: {})",
            self.rows,
            self.series,
            self.columns.join(", ")
        );
        let time = match (&self.time_column, self.time_kind) {
            (Some(c), TimeKind::Date) => format!("'{c}' (dates)"),
            (Some(c), _) => format!("'{c}' (date-times)"),
            (None, _) => "none: the row number is the time axis".to_string(),
        };
        let _ = writeln!(s, "time column:  {time}");
        let _ = writeln!(s, "target:       {}", self.targets.join(", "));
        if let Some(id) = &self.id_column {
            let _ = writeln!(s, "id column:    {id}");
        }
        if let (Some(a), Some(b)) = (&self.first, &self.last) {
            let _ = writeln!(s, "span:         {a} to {b}");
        }
        let season = self.season.map_or("none".to_string(), |p| p.to_string());
        let _ = writeln!(
            s,
            "frequency:    {} (season guess: {season})",
            self.frequency_text
        );
        let _ = writeln!(
            s,
            "order:        {}",
            if self.sorted {
                "sorted by time"
            } else {
                "NOT sorted by time (sorted on loading)"
            }
        );
        if self.duplicates.count == 0 {
            let _ = writeln!(s, "duplicates:   none");
        } else {
            let _ = writeln!(
                s,
                "duplicates:   {} duplicated timestamp(s)",
                self.duplicates.count
            );
            for d in &self.duplicates.first {
                let _ = writeln!(
                    s,
                    "              series '{}' at {}: {}",
                    d.series, d.timestamp, d.location
                );
            }
        }
        if self.gaps.count == 0 {
            let _ = writeln!(s, "gaps:         none");
        } else {
            let _ = writeln!(
                s,
                "gaps:         {} gap(s), {} missing timestamp(s)",
                self.gaps.count, self.gaps.missing_timestamps
            );
            for g in &self.gaps.first {
                let more = if g.missing > g.first_missing.len() {
                    ", ..."
                } else {
                    ""
                };
                let _ = writeln!(
                    s,
                    "              series '{}': {} missing after {} (first: {}{more})",
                    g.series,
                    g.missing,
                    g.after,
                    g.first_missing.join(", ")
                );
            }
        }
        if self.gaps.irregular_steps > 0 {
            let _ = writeln!(
                s,
                "irregular:    {} step(s) off the {} grid",
                self.gaps.irregular_steps, self.frequency_text
            );
        }
        if self.missing.count == 0 {
            let _ = writeln!(s, "missing:      none");
        } else {
            let fill = match self.missing.filled_with {
                Some(f) => format!(" (filled with {})", f.name()),
                None => String::new(),
            };
            let _ = writeln!(s, "missing:      {} value(s){fill}", self.missing.count);
            for c in &self.missing.first {
                let _ = writeln!(
                    s,
                    "              series '{}' at {}: {}",
                    c.series, c.timestamp, c.location
                );
            }
        }
        if self.non_finite_count > 0 {
            let _ = writeln!(s, "non-finite:   {} value(s)", self.non_finite_count);
        }
        let _ = writeln!(s, "statistics:");
        let _ = writeln!(
            s,
            "  {:<20} {:>8} {:>8} {:>12} {:>12} {:>12} {:>12}",
            "series", "rows", "missing", "mean", "std", "min", "max"
        );
        let num = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.4}"));
        for st in &self.stats {
            let _ = writeln!(
                s,
                "  {:<20} {:>8} {:>8} {:>12} {:>12} {:>12} {:>12}",
                st.id,
                st.rows,
                st.missing,
                num(st.mean),
                num(st.std),
                num(st.min),
                num(st.max)
            );
        }
        for n in &self.notes {
            let _ = writeln!(s, "note: {n}");
        }
        if self.problems.is_empty() {
            let _ = writeln!(s, "result:       usable");
        } else {
            let _ = writeln!(s, "result:       NOT usable for training:");
            for p in &self.problems {
                let _ = writeln!(s, "  - {p}");
            }
        }
        s
    }
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

fn stats_of(id: &str, obs: &[Obs], missing: usize, kind: TimeKind) -> SeriesStats {
    // Two passes over the finite values, without copying them (a series can have millions):
    // count, sum (in order, from -0.0 like `Iterator::sum`), minimum and maximum, then the
    // squared deviations.
    let finite = || obs.iter().filter_map(|o| o.value).filter(|v| v.is_finite());
    let (mut n, mut sum) = (0usize, -0.0);
    let (mut min, mut max): (Option<f64>, Option<f64>) = (None, None);
    for v in finite() {
        n += 1;
        sum += v;
        min = Some(min.map_or(v, |m| m.min(v)));
        max = Some(max.map_or(v, |m| m.max(v)));
    }
    let mean = (n > 0).then(|| sum / n as f64);
    let std = mean
        .filter(|_| n > 1)
        .map(|m| (finite().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1) as f64).sqrt());
    SeriesStats {
        id: id.to_string(),
        rows: obs.len(),
        missing,
        first: obs.first().map(|o| format_timestamp(o.time, kind)),
        last: obs.last().map(|o| format_timestamp(o.time, kind)),
        count: n,
        mean,
        std,
        min,
        max,
    }
}

/// Fills the missing values of one series in place; false when it has no value at all.
fn fill_values(values: &mut [Option<f64>], fill: Fill) -> bool {
    let known: Vec<usize> = (0..values.len()).filter(|&i| values[i].is_some()).collect();
    if fill == Fill::Zero {
        values.iter_mut().for_each(|v| *v = Some(v.unwrap_or(0.0)));
        return true;
    }
    let (Some(&first), Some(&last)) = (known.first(), known.last()) else {
        return false;
    };
    let first_value = values[first];
    values[..first].iter_mut().for_each(|v| *v = first_value);
    for pair in known.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let (va, vb) = (values[a].unwrap_or(0.0), values[b].unwrap_or(0.0));
        for (offset, slot) in values[a + 1..b].iter_mut().enumerate() {
            let i = a + 1 + offset;
            *slot = Some(match fill {
                Fill::Linear => va + (vb - va) * (i - a) as f64 / (b - a) as f64,
                _ => va,
            });
        }
    }
    let last_value = values[last];
    values[last + 1..].iter_mut().for_each(|v| *v = last_value);
    true
}

/// Largest magnitude accepted for a value: squares and sums of squares must stay finite.
pub const MAX_ABS_VALUE: f64 = 1e100;

/// Most rows `--fill` may insert for gaps, to stop a misread frequency from exploding memory.
const MAX_INSERTED: usize = 10_000_000;

/// Runs every check on `prepared`; `label` names a 0-based file row in messages. Returns the
/// dataset when no problem blocks training, and the report in every case.
pub fn check(
    prepared: Prepared,
    fill: Option<Fill>,
    label: &dyn Fn(usize) -> String,
) -> (Option<Dataset>, CheckReport) {
    check_for(prepared, fill, label, true)
}

/// [`check`] for the report alone (`xlstm check`): no dataset is built.
pub fn check_report(prepared: Prepared, fill: Option<Fill>, label: &dyn Fn(usize) -> String) -> CheckReport {
    check_for(prepared, fill, label, false).1
}

/// [`check`], building the dataset only when `dataset` says so.
fn check_for(
    prepared: Prepared,
    fill: Option<Fill>,
    label: &dyn Fn(usize) -> String,
    dataset: bool,
) -> (Option<Dataset>, CheckReport) {
    let kind = prepared.time_kind;
    let fmt = |t: i64| format_timestamp(t, kind);
    let row_of = |o: &Obs| o.row.map_or(0, |r| r + 1);
    let where_of = |o: &Obs| o.row.map_or("an inserted row".to_string(), label);
    let mut notes = Vec::new();
    let mut problems = Vec::new();
    let mut series = prepared.series;

    // 1. Sort by time (stable, so equal times keep file order).
    let mut sorted = true;
    for s in &mut series {
        if let Some(w) = s.obs.windows(2).find(|w| w[1].time < w[0].time) {
            if sorted {
                notes.push(format!(
                    "the rows were not in time order (series '{}': {} at {} comes after {}); they were sorted by time",
                    s.id,
                    fmt(w[1].time),
                    where_of(&w[1]),
                    fmt(w[0].time)
                ));
            }
            sorted = false;
            s.obs.sort_by_key(|o| o.time);
        }
    }

    // 2. Duplicates.
    let mut duplicates = Duplicates::default();
    for s in &series {
        let mut i = 0;
        while i < s.obs.len() {
            let mut j = i + 1;
            while j < s.obs.len() && s.obs[j].time == s.obs[i].time {
                j += 1;
            }
            if j - i > 1 {
                duplicates.count += 1;
                if duplicates.first.len() < EXAMPLES {
                    let group = &s.obs[i..j];
                    duplicates.first.push(DuplicateEntry {
                        series: s.id.clone(),
                        timestamp: fmt(s.obs[i].time),
                        rows: group.iter().map(row_of).collect(),
                        location: group.iter().map(where_of).collect::<Vec<_>>().join(" and "),
                    });
                }
            }
            i = j;
        }
    }
    if duplicates.count > 0 {
        let list: Vec<String> = duplicates
            .first
            .iter()
            .map(|d| format!("series '{}' has {} at {}", d.series, d.timestamp, d.location))
            .collect();
        let hint = if prepared.id_column.is_none() {
            " (if the file holds several series in long format, name the id column with --id-col)"
        } else {
            ""
        };
        problems.push(format!(
            "{} duplicated timestamp(s): {}. Remove or aggregate the duplicate rows{hint}",
            duplicates.count,
            list.join("; ")
        ));
    }

    // 3. Frequency.
    let steps = series
        .iter()
        .flat_map(|s| s.obs.windows(2).map(|w| (w[0].time, w[1].time)));
    let frequency = infer_frequency_of_steps(steps, kind);
    if frequency.is_none() {
        problems.push(
            "the frequency cannot be inferred: no series has two different timestamps; \
             every series needs at least two rows"
                .to_string(),
        );
    }

    // 4. Gaps and off-grid steps.
    let mut gaps = Gaps::default();
    let mut first_irregular = None;
    if let Some(freq) = frequency.filter(|f| *f != Frequency::Rows) {
        for s in &series {
            for w in s.obs.windows(2) {
                let (a, b) = (w[0].time, w[1].time);
                // Duplicates, and (most steps) exactly one step of the frequency.
                if a == b || Frequency::Seconds(b - a) == freq {
                    continue;
                }
                if !on_grid(a, b, freq) {
                    gaps.irregular_steps += 1;
                    if first_irregular.is_none() {
                        first_irregular = Some(format!(
                            "series '{}' steps from {} to {} at {}",
                            s.id,
                            fmt(a),
                            fmt(b),
                            where_of(&w[1])
                        ));
                    }
                    continue;
                }
                let (first, count) = missing_between(a, b, freq, EXAMPLES);
                if count > 0 {
                    gaps.count += 1;
                    gaps.missing_timestamps += count;
                    if gaps.first.len() < EXAMPLES {
                        gaps.first.push(GapEntry {
                            series: s.id.clone(),
                            after: fmt(a),
                            before: fmt(b),
                            missing: count,
                            first_missing: first.into_iter().map(fmt).collect(),
                        });
                    }
                }
            }
        }
        if gaps.count > 0 && fill.is_none() {
            notes.push(format!(
                "{} timestamp(s) are missing in {} gap(s); windows that span a gap treat it as \
                 contiguous. --fill inserts the missing timestamps and fills them",
                gaps.missing_timestamps, gaps.count
            ));
        }
        if gaps.irregular_steps > 0 {
            notes.push(format!(
                "{} step(s) are not a whole number of {} steps (the first: {}); the rows are used \
                 as if they were evenly spaced: fix or resample the timestamps if they are not",
                gaps.irregular_steps,
                describe_frequency(freq),
                first_irregular.as_deref().unwrap_or("?")
            ));
        }
    }

    // 5. Missing and non-finite values.
    let mut missing = Missing {
        filled_with: fill,
        ..Missing::default()
    };
    let mut missing_per_series = vec![0usize; series.len()];
    let mut non_finite = Vec::new();
    let mut non_finite_count = 0;
    for (k, s) in series.iter().enumerate() {
        for o in &s.obs {
            let entry = |value: Option<String>| CellEntry {
                series: s.id.clone(),
                timestamp: fmt(o.time),
                row: row_of(o),
                location: where_of(o),
                value,
            };
            match o.value {
                None => {
                    missing.count += 1;
                    missing_per_series[k] += 1;
                    if missing.first.len() < EXAMPLES {
                        missing.first.push(entry(None));
                    }
                }
                Some(v) if !v.is_finite() || v.abs() > MAX_ABS_VALUE => {
                    non_finite_count += 1;
                    if non_finite.len() < EXAMPLES {
                        non_finite.push(entry(Some(if v.is_finite() {
                            format!("{v:e}")
                        } else {
                            v.to_string()
                        })));
                    }
                }
                Some(_) => {}
            }
        }
    }
    for (s, &m) in series.iter().zip(&missing_per_series) {
        if m > 0 && m == s.obs.len() && fill.is_none() {
            problems.push(format!(
                "series '{}' has no values at all: all {m} of its cells in column(s) {} are empty or NaN; \
                 choose another --target, or fill the column",
                s.id,
                prepared.targets.join(", ")
            ));
        }
    }
    if missing.count > 0 && fill.is_none() {
        let list: Vec<String> = missing
            .first
            .iter()
            .map(|c| format!("series '{}' at {}, {}", c.series, c.timestamp, c.location))
            .collect();
        let more = if missing.count > list.len() { "; ..." } else { "" };
        problems.push(format!(
            "{} missing value(s) (empty or NaN): {}{more}. Fix the file, or pass --fill ffill|linear|zero to fill them",
            missing.count,
            list.join("; ")
        ));
    }
    if non_finite_count > 0 {
        let list: Vec<String> = non_finite
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
        problems.push(format!(
            "{non_finite_count} non-finite or too large value(s) (inf, or a magnitude above 1e100): {}. \
             Replace them with numbers (rescale very large ones), or empty the cells and pass --fill",
            list.join(", ")
        ));
    }

    // 6. Repairs.
    if let (Some(f), true) = (fill, duplicates.count == 0 && non_finite_count == 0) {
        if let Some(freq) = frequency.filter(|fr| *fr != Frequency::Rows && gaps.count > 0) {
            if gaps.missing_timestamps <= MAX_INSERTED {
                for s in &mut series {
                    let mut out = Vec::with_capacity(s.obs.len());
                    for (k, o) in s.obs.iter().enumerate() {
                        if let Some(prev) = k.checked_sub(1).map(|p| s.obs[p].time) {
                            if on_grid(prev, o.time, freq) {
                                let (inserted, _) = missing_between(prev, o.time, freq, usize::MAX);
                                missing.inserted_rows += inserted.len();
                                out.extend(inserted.into_iter().map(|t| Obs {
                                    time: t,
                                    value: None,
                                    row: None,
                                }));
                            }
                        }
                        out.push(*o);
                    }
                    s.obs = out;
                }
                notes.push(format!(
                    "--fill inserted {} row(s) for missing timestamps",
                    missing.inserted_rows
                ));
            } else {
                problems.push(format!(
                    "filling the gaps would insert {} rows: check the time column and the inferred frequency ({})",
                    gaps.missing_timestamps,
                    describe_frequency(freq)
                ));
            }
        }
        for s in &mut series {
            let mut values: Vec<Option<f64>> = s.obs.iter().map(|o| o.value).collect();
            if values.iter().any(Option::is_none) {
                if !fill_values(&mut values, f) {
                    problems.push(format!(
                        "series '{}' has no values at all, so --fill has nothing to fill from; remove it or choose --fill zero",
                        s.id
                    ));
                }
                for (o, v) in s.obs.iter_mut().zip(values) {
                    o.value = v;
                }
            }
        }
        if missing.count > 0 {
            notes.push(format!(
                "{} missing value(s) were filled ({})",
                missing.count,
                f.name()
            ));
        }
    }

    // 7. Statistics and the result.
    let stats: Vec<SeriesStats> = series
        .iter()
        .zip(&missing_per_series)
        .map(|(s, &m)| stats_of(&s.id, &s.obs, m, kind))
        .collect();
    let first = series
        .iter()
        .filter_map(|s| s.obs.first().map(|o| o.time))
        .min()
        .map(fmt);
    let last = series
        .iter()
        .filter_map(|s| s.obs.last().map(|o| o.time))
        .max()
        .map(fmt);
    let report = CheckReport {
        file: prepared.file,
        rows: prepared.rows,
        columns: prepared.columns,
        time_column: prepared.time_column.clone(),
        time_kind: kind,
        id_column: prepared.id_column.clone(),
        targets: prepared.targets.clone(),
        series: series.len(),
        first,
        last,
        frequency,
        frequency_text: frequency.map_or("unknown".to_string(), describe_frequency),
        season: frequency.and_then(season_guess),
        sorted,
        notes,
        duplicates,
        gaps,
        missing,
        non_finite_count,
        non_finite,
        stats,
        problems,
    };
    let dataset = match (dataset && report.is_usable(), frequency) {
        (true, Some(frequency)) => Some(Dataset {
            series: series
                .into_iter()
                .map(|s| Series {
                    id: s.id,
                    time: s.obs.iter().map(|o| o.time).collect(),
                    values: s.obs.iter().map(|o| o.value.unwrap_or(f64::NAN)).collect(),
                })
                .collect(),
            time_kind: kind,
            frequency,
            time_column: prepared.time_column,
            targets: prepared.targets,
            id_column: prepared.id_column,
        }),
        _ => None,
    };
    (dataset, report)
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3600;

    fn prepared(obs: Vec<(i64, Option<f64>)>) -> Prepared {
        Prepared {
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
            prepared((0..48).map(|k| (k * H, Some(k as f64))).collect()),
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
            prepared(vec![(2 * H, Some(2.0)), (0, Some(0.0)), (H, Some(1.0))]),
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
            prepared(vec![
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
        let raw = vec![
            (0, None),
            (H, Some(1.0)),
            (2 * H, None),
            (3 * H, None),
            (4 * H, Some(4.0)),
            (5 * H, None),
        ];
        let get = |f| {
            check(prepared(raw.clone()), Some(f), &label).0.unwrap().series[0]
                .values
                .clone()
        };
        assert_eq!(get(Fill::Linear), [1.0, 1.0, 2.0, 3.0, 4.0, 4.0]);
        assert_eq!(get(Fill::Ffill), [1.0, 1.0, 1.0, 1.0, 4.0, 4.0]);
        assert_eq!(get(Fill::Zero), [0.0, 1.0, 0.0, 0.0, 4.0, 0.0]);
        let (ds, report) = check(prepared(vec![(0, None), (H, None)]), Some(Fill::Linear), &label);
        assert!(ds.is_none() && report.problems[0].contains("no values at all"));
    }

    #[test]
    fn reports_gaps_and_fill_inserts_them() {
        let raw = vec![
            (0, Some(0.0)),
            (H, Some(1.0)),
            (4 * H, Some(4.0)),
            (5 * H, Some(5.0)),
            (5 * H + 60, Some(6.0)),
        ];
        let (ds, report) = check(prepared(raw.clone()), None, &label);
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
        let (ds, report) = check(prepared(raw), Some(Fill::Linear), &label);
        assert_eq!(report.missing.inserted_rows, 2);
        assert_eq!(ds.unwrap().series[0].values, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    }

    #[test]
    fn infinite_values_and_single_rows_are_problems() {
        let (ds, report) = check(
            prepared(vec![(0, Some(1.0)), (H, Some(f64::INFINITY))]),
            Some(Fill::Zero),
            &label,
        );
        assert!(ds.is_none() && report.problems[0].contains("non-finite"));
        let (ds, report) = check(prepared(vec![(0, Some(1.0))]), None, &label);
        assert!(ds.is_none() && report.problems[0].contains("frequency cannot be inferred"));
    }

    #[test]
    fn require_length_names_the_series() {
        let (ds, _) = check(
            prepared((0..10).map(|k| (k * H, Some(1.0))).collect()),
            None,
            &label,
        );
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
        let (_, report) = check(
            prepared(vec![(0, Some(1.0)), (H, None)]),
            Some(Fill::Ffill),
            &label,
        );
        let v = serde_json::to_value(&report).unwrap();
        assert_eq!(v["missing"]["filled_with"], "ffill");
        assert_eq!(v["frequency"]["Seconds"], 3600);
    }
}
