//! The data model: a collection of named series on a common time axis, and everything that
//! turns a user's file into it (reading, time parsing, checks, repairs) and into training windows.
//!
//! Flow: [`io`] reads a CSV or Parquet file into a [`table::Table`] of raw columns (the only polars
//! user) → [`load`] picks the time, target and id columns, reads the time column with one reading
//! of [`time`] (the only chrono user), groups rows into series and runs the checks of [`check`]
//! (order, duplicates, frequency and calendar, gaps, missing values, fill) → a [`Dataset`] plus a
//! [`check::CheckReport`] → [`window`] splits each series chronologically, scales it with training
//! statistics and cuts lookback/horizon windows.

pub mod check;
pub mod covariates;
pub mod io;
pub mod load;
pub mod table;
pub mod time;
pub mod window;

use serde::{Deserialize, Serialize};

pub use time::{Calendar, TimeFormat};

/// How the time axis of a dataset is written and read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimeKind {
    /// Date-times; `Series::time` holds seconds since 1970-01-01 00:00:00 (naive, as written in the file, offsets folded to UTC).
    DateTime,
    /// Calendar dates; `Series::time` holds seconds since the epoch at midnight.
    Date,
    /// No time column: `Series::time` holds the row number within the series (0, 1, 2, ...).
    RowNumber,
}

/// The regular step between observations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Frequency {
    /// A fixed number of seconds (hours, days, weeks, 15 minutes, ...).
    Seconds(i64),
    /// A number of calendar months (1 monthly, 3 quarterly, 12 yearly).
    Months(u32),
    /// One row (no time column).
    Rows,
}

/// One univariate series.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Series identifier: the `--id-col` value, or the target column name.
    pub id: String,
    /// Time of each observation (see [`TimeKind`]), strictly increasing after loading.
    pub time: Vec<i64>, // (N)
    /// Observations in the data's own units; finite after loading succeeds.
    pub values: Vec<f64>, // (N)
    /// The covariates' values at the same times, one row per [`Dataset::covariates`] entry.
    pub covariates: Vec<Vec<f64>>, // (C)(N)
}

/// A collection of series that share a time kind and a frequency.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// The series, in order of first appearance in the file (or of `--target`).
    pub series: Vec<Series>,
    /// How times are represented.
    pub time_kind: TimeKind,
    /// The inferred (most common) step.
    pub frequency: Frequency,
    /// The observed steps of the frequency (business days, sessions); `None`: every step.
    pub calendar: Option<Calendar>,
    /// How the time column is written (forecasts are written the same way).
    pub time_format: TimeFormat,
    /// Name of the time column, if any.
    pub time_column: Option<String>,
    /// Name(s) of the target column(s).
    pub targets: Vec<String>,
    /// Name of the id column for long-format panels.
    pub id_column: Option<String>,
    /// The covariate channels every series carries (none by default; see [`covariates`]).
    pub covariates: Vec<covariates::Covariate>,
}

impl Dataset {
    /// The season the frequency and calendar suggest (see [`time::season_on`]).
    pub fn season_guess(&self) -> Option<usize> {
        time::season_on(self.frequency, self.calendar.as_ref())
    }

    /// Every series' id and target values, in order (what the window code splits and scales).
    pub fn targets_by_id(&self) -> Vec<(&str, &[f64])> {
        self.series
            .iter()
            .map(|s| (s.id.as_str(), s.values.as_slice()))
            .collect()
    }

    /// The grid the series' times lie on.
    pub fn grid(&self) -> time::Grid {
        time::Grid::new(self.frequency, self.calendar)
    }
}
