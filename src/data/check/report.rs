//! The report of `xlstm check`: what the checks found, as text ([`CheckReport::render`]) or JSON.

use std::fmt::Write as _;

use serde::Serialize;

use super::{Fill, Obs};
use crate::data::time::{format_timestamp, Calendar};
use crate::data::{Frequency, TimeKind};
use crate::error::{Error, Result};

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
    /// The reading of the time column in words (`YYYY-MM-DD hh:mm:ss (ISO 8601)`, ...).
    pub time_format: String,
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
    /// The observed steps of the frequency (business days, sessions); `None`: every step.
    pub calendar: Option<Calendar>,
    /// The calendar in words.
    pub calendar_text: String,
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
    /// Covariate columns, checked like the targets (their series are in `stats`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub covariates: Vec<String>,
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

    /// Report the last `names` of the targets as covariate columns, each series of a target
    /// coming with one series per covariate.
    pub fn with_covariates(mut self, names: &[String]) -> CheckReport {
        if names.is_empty() || names.len() >= self.targets.len() {
            return self;
        }
        let targets = self.targets.len() - names.len();
        self.covariates = self.targets.split_off(targets);
        self.series = self.series * targets / (targets + names.len());
        self
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
        if self.time_column.is_some() {
            let _ = writeln!(s, "time format:  {}", self.time_format);
        }
        let _ = writeln!(s, "target:       {}", self.targets.join(", "));
        if !self.covariates.is_empty() {
            let _ = writeln!(
                s,
                "covariates:   {} (checked like the target)",
                self.covariates.join(", ")
            );
        }
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
        if self.time_column.is_some() {
            let _ = writeln!(s, "calendar:     {}", self.calendar_text);
        }
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

/// The statistics of one series' observations (`missing` values were missing before any fill).
pub(super) fn stats_of(id: &str, obs: &[Obs], missing: usize, kind: TimeKind) -> SeriesStats {
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
