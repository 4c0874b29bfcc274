//! Chronological splits, training-only scaling and lookback/horizon windows.
//!
//! Each series is split into train / validation / test parts in time order, either by fractions
//! (`0.7,0.1,0.2`: train = ⌊0.7·N⌋, test = ⌊0.2·N⌋, validation = the rest, as LTSF's
//! `Dataset_Custom`) or by absolute row counts (`8640,2880,2880`: rows after the three parts are
//! unused, as in the ETT protocol). A window starting at row t has input rows [t, t+L) and target
//! rows [t+L, t+L+H). A window belongs to the part that holds all of its target rows; its input may
//! reach back L rows into the previous part, as in the public protocol. Scaling statistics (mean
//! and population standard deviation) come from each series' training rows only.
//!
//! Covariate channels ([`Channels`], `crate::data::covariates`) are scaled the same way, each with
//! its own series' training rows. A window's model input is its target lookback followed by each
//! channel's L values: rows [t, t+L) for a past-observed channel, rows [t+H, t+H+L) for a
//! future-known one, whose window therefore ends with the horizon's H values.

use std::sync::Arc;

use crate::error::{Error, Result};

/// How each series is divided into train, validation and test parts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Split {
    /// Fractions of the series length; they must sum to at most 1.
    Fractions(f64, f64, f64),
    /// Absolute row counts from the start of the series.
    Rows(usize, usize, usize),
}

impl Default for Split {
    fn default() -> Self {
        Split::Fractions(0.7, 0.1, 0.2)
    }
}

impl Split {
    /// Parse `0.7,0.1,0.2` (fractions) or `8640,2880,2880` (row counts).
    pub fn parse(text: &str) -> Result<Split> {
        let parts: Vec<&str> = text.split(',').map(str::trim).collect();
        let bad = || {
            Error::usage(format!(
                "--split '{text}' is not valid: give three fractions like 0.7,0.1,0.2 or three row counts like 8640,2880,2880"
            ))
        };
        if parts.len() != 3 {
            return Err(bad());
        }
        if parts
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty())
        {
            let n: Vec<usize> = parts
                .iter()
                .map(|p| p.parse().map_err(|_| bad()))
                .collect::<Result<_>>()?;
            if n.iter().try_fold(0usize, |a, b| a.checked_add(*b)).is_none() {
                return Err(Error::usage(format!(
                    "--split '{text}': the row counts are too large"
                )));
            }
            if n[0] == 0 {
                return Err(Error::usage(format!(
                    "--split '{text}': the training part needs at least one row"
                )));
            }
            return Ok(Split::Rows(n[0], n[1], n[2]));
        }
        let f: Vec<f64> = parts
            .iter()
            .map(|p| p.parse::<f64>().map_err(|_| bad()))
            .collect::<Result<_>>()?;
        if f.iter().any(|x| !x.is_finite() || *x < 0.0 || *x > 1.0) || f[0] <= 0.0 {
            return Err(bad());
        }
        if f.iter().sum::<f64>() > 1.0 + 1e-9 {
            return Err(Error::usage(format!(
                "--split '{text}': the fractions add up to more than 1"
            )));
        }
        Ok(Split::Fractions(f[0], f[1], f[2]))
    }

    /// Row boundaries `[0, train_end, val_end, test_end]` for a series of `n` rows.
    pub fn bounds(&self, n: usize) -> [usize; 4] {
        match *self {
            Split::Fractions(train, val, test) => {
                let n_train = (train * n as f64 + 1e-9).floor() as usize;
                let n_test = (test * n as f64 + 1e-9).floor() as usize;
                // fractions adding up to 1: validation is the rest (LTSF); otherwise its own share
                let n_val = if train + val + test > 1.0 - 1e-9 {
                    n.saturating_sub(n_train + n_test)
                } else {
                    ((val * n as f64 + 1e-9).floor() as usize).min(n.saturating_sub(n_train + n_test))
                };
                [0, n_train, n_train + n_val, n_train + n_val + n_test]
            }
            Split::Rows(a, b, c) => [0, a, a + b, a + b + c],
        }
    }
}

/// The three parts of a split, used to pick windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitPart {
    /// Training rows.
    Train,
    /// Validation rows (model selection, early stopping).
    Validation,
    /// Test rows (reported errors only).
    Test,
}

/// What a series' values go through before standardisation (`--transform`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Transform {
    /// The values as they are.
    #[default]
    None,
    /// Natural logarithms (every value must be positive): the models see relative changes, and
    /// forecasts are exp of theirs (the median, not the mean, of a log-symmetric error).
    Log,
}

/// Per-series standardisation with training statistics, of the values or of their logarithms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scaler {
    /// Mean of the training rows (of their logarithms with `log`).
    pub mean: f64,
    /// Population standard deviation of the training rows (1 when it is 0).
    pub std: f64,
    /// Whether values are standardised as natural logarithms ([`Transform::Log`]).
    pub log: bool,
}

/// Smallest value the log transform takes the logarithm of: a value at or below zero (which
/// the pipeline refuses before it gets here) is clamped to it.
const LOG_FLOOR: f64 = 1e-12;

/// Largest logarithm unscaling takes exp of (e^700 is near the top of f64's range).
const EXP_CEILING: f64 = 700.0;

impl Scaler {
    /// Statistics of `train` under `transform` (of ln `train` for [`Transform::Log`]).
    pub fn fit_with(train: &[f64], transform: Transform) -> Scaler {
        match transform {
            Transform::None => Scaler::fit(train),
            Transform::Log => {
                let logs: Vec<f64> = train.iter().map(|v| v.max(LOG_FLOOR).ln()).collect();
                Scaler {
                    log: true,
                    ..Scaler::fit(&logs)
                }
            }
        }
    }

    /// Statistics of `train` (population standard deviation, ddof = 0).
    pub fn fit(train: &[f64]) -> Scaler {
        let n = train.len().max(1) as f64;
        let mean = train.iter().sum::<f64>() / n;
        let var = train.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        let std = if var.sqrt() > 1e-12 * mean.abs().max(1.0) {
            var.sqrt()
        } else {
            1.0
        };
        Scaler {
            mean,
            std,
            log: false,
        }
    }
    /// (x − mean) / std, or (ln x − mean) / std with `log`.
    pub fn scale(&self, x: f64) -> f64 {
        let x = if self.log { x.max(LOG_FLOOR).ln() } else { x };
        (x - self.mean) / self.std
    }
    /// x·std + mean, or exp(x·std + mean) with `log`.
    pub fn unscale(&self, x: f64) -> f64 {
        let y = x * self.std + self.mean;
        if self.log {
            y.min(EXP_CEILING).exp()
        } else {
            y
        }
    }
}

/// Rows needed by one series for this split, lookback and horizon (at least one window per part).
pub fn rows_needed(split: &Split, lookback: usize, horizon: usize) -> usize {
    match *split {
        Split::Rows(a, b, c) => (a + b + c).max(lookback + horizon),
        Split::Fractions(train, val, test) => {
            // smallest n with a training window and, for non-empty parts, H validation / test rows;
            // the training part alone needs n ≥ (L + H) / train, so the search starts there
            let start = ((lookback + horizon) as f64 / train).floor().min(1e15) as usize;
            (start.max(1)..start.max(1).saturating_add(1_000_000))
                .find(|&n| {
                    let [_, t, v, e] = split.bounds(n);
                    t >= lookback + horizon
                        && (val == 0.0 || v - t >= horizon)
                        && (test == 0.0 || e - v >= horizon)
                        && e <= n
                })
                .unwrap_or(usize::MAX)
        }
    }
}

/// Covariate channels of every series, scaled with training statistics, and how far ahead of
/// the target window each is read.
#[derive(Debug, Clone, Default)]
pub struct Channels {
    /// Scaled values of every channel of every series.
    pub values: Arc<Vec<Vec<Vec<f64>>>>, // (S)(C)(N_s)
    /// The scaler of every channel of every series, fitted on its training rows.
    pub scalers: Vec<Vec<Scaler>>, // (S)(C)
    /// Rows each channel is read ahead: 0 past-observed, H future-known.
    pub ahead: Vec<usize>, // (C)
}

impl Channels {
    /// Number of channels C.
    pub fn len(&self) -> usize {
        self.ahead.len()
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ahead.is_empty()
    }
}

/// Windows of several series: scaled values shared between the train, validation and test sets.
#[derive(Debug, Clone)]
pub struct WindowSet {
    /// Scaled values of every series.
    pub values: Arc<Vec<Vec<f64>>>, // (S)(N_s)
    /// Lookback L.
    pub lookback: usize,
    /// Horizon H.
    pub horizon: usize,
    /// `(series index, start row)` of each window, in series then time order.
    pub starts: Vec<(usize, usize)>,
    /// Covariate channels (none by default).
    pub channels: Channels,
}

impl WindowSet {
    /// Number of windows.
    pub fn len(&self) -> usize {
        self.starts.len()
    }
    /// Whether there are no windows.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }
    /// Target input rows [t, t+L) of window `index`.
    pub fn input(&self, index: usize) -> &[f64] {
        let (s, t) = self.starts[index];
        &self.values[s][t..t + self.lookback]
    }
    /// Values of one model input: L·(1 + C), the target lookback then each channel's window.
    pub fn width(&self) -> usize {
        self.lookback * (1 + self.channels.len())
    }
    /// Write the model input of window `index` into `out` (length [`WindowSet::width`]).
    pub fn input_into(&self, index: usize, out: &mut [f64]) {
        let (s, t) = self.starts[index];
        let l = self.lookback;
        out[..l].copy_from_slice(&self.values[s][t..t + l]);
        for (c, ahead) in self.channels.ahead.iter().enumerate() {
            let start = t + ahead;
            out[(1 + c) * l..(2 + c) * l].copy_from_slice(&self.channels.values[s][c][start..start + l]);
        }
    }
    /// Target rows [t+L, t+L+H) of window `index`.
    pub fn target(&self, index: usize) -> &[f64] {
        let (s, t) = self.starts[index];
        &self.values[s][t + self.lookback..t + self.lookback + self.horizon]
    }
    /// All model inputs as a matrix, (N, L·(1 + C)).
    pub fn inputs(&self) -> ndarray::Array2<f64> {
        let mut out = ndarray::Array2::zeros((self.len(), self.width())); // (N, L·(1 + C))
        for (i, mut r) in out.rows_mut().into_iter().enumerate() {
            self.input_into(i, r.as_slice_mut().expect("standard layout"));
        }
        out
    }
    /// All targets as a matrix.
    pub fn targets(&self) -> ndarray::Array2<f64> {
        self.matrix(self.horizon, |i| self.target(i))
    }
    fn matrix<'a>(&'a self, width: usize, row: impl Fn(usize) -> &'a [f64]) -> ndarray::Array2<f64> {
        let mut out = ndarray::Array2::zeros((self.len(), width)); // (N, width)
        for (i, mut r) in out.rows_mut().into_iter().enumerate() {
            r.assign(&ndarray::ArrayView1::from(row(i)));
        }
        out
    }
}

/// Scaled series with their split boundaries, from which window sets are cut.
#[derive(Debug, Clone)]
pub struct ScaledSplit {
    /// Scaled values of every series.
    pub values: Arc<Vec<Vec<f64>>>, // (S)(N_s)
    /// One scaler per series, fitted on its training rows.
    pub scalers: Vec<Scaler>,
    /// `[0, train_end, val_end, test_end]` per series.
    pub bounds: Vec<[usize; 4]>,
    /// Lookback L.
    pub lookback: usize,
    /// Horizon H.
    pub horizon: usize,
    /// Covariate channels (none by default; [`ScaledSplit::with_channels`]).
    pub channels: Channels,
}

impl ScaledSplit {
    /// Split and scale `series` (raw values, one `Vec` per series). Errors name the short series.
    pub fn new(
        series: &[(&str, &[f64])],
        split: Split,
        lookback: usize,
        horizon: usize,
    ) -> Result<ScaledSplit> {
        ScaledSplit::with_transform(series, split, lookback, horizon, Transform::None)
    }

    /// [`ScaledSplit::new`] with the values under `transform` (positive values for
    /// [`Transform::Log`], which the caller checks).
    pub fn with_transform(
        series: &[(&str, &[f64])],
        split: Split,
        lookback: usize,
        horizon: usize,
        transform: Transform,
    ) -> Result<ScaledSplit> {
        let mut scalers = Vec::with_capacity(series.len());
        let mut bounds = Vec::with_capacity(series.len());
        for (id, raw) in series {
            let b = split.bounds(raw.len());
            let needed = rows_needed(&split, lookback, horizon);
            if b[3] > raw.len() || b[1] < lookback + horizon || raw.len() < needed {
                return Err(Error::data(format!(
                    "series '{id}' has {} rows, but lookback {lookback} + horizon {horizon} with split {} needs at least {needed} rows; \
                     use a shorter --lookback or --horizon, or a different --split",
                    raw.len(),
                    describe(&split)
                )));
            }
            scalers.push(Scaler::fit_with(&raw[..b[1]], transform));
            bounds.push(b);
        }
        Ok(ScaledSplit::from_parts(
            series, bounds, scalers, lookback, horizon,
        ))
    }

    /// Scale `series` with the given `scalers` and keep the given `bounds` (one per series),
    /// unchecked: for rolling-origin folds, whose bounds and scalers the caller derives from rows
    /// before each fold's test block.
    pub fn from_parts(
        series: &[(&str, &[f64])],
        bounds: Vec<[usize; 4]>,
        scalers: Vec<Scaler>,
        lookback: usize,
        horizon: usize,
    ) -> ScaledSplit {
        let values = series
            .iter()
            .zip(&scalers)
            .map(|((_, raw), scaler)| raw.iter().map(|x| scaler.scale(*x)).collect())
            .collect();
        ScaledSplit {
            values: Arc::new(values),
            scalers,
            bounds,
            lookback,
            horizon,
            channels: Channels::default(),
        }
    }

    /// Add covariate channels: `raw` holds every series' channels (S)(C)(N_s) in data units,
    /// aligned with its target; `ahead` says how many rows ahead each is read (0 or H). Each
    /// channel is scaled by its own series' training rows.
    pub fn with_channels(self, raw: &[&[Vec<f64>]], ahead: Vec<usize>) -> ScaledSplit {
        let ends: Vec<usize> = self.bounds.iter().map(|b| b[1]).collect();
        self.with_channels_scaled_on(raw, ahead, &ends)
    }

    /// [`ScaledSplit::with_channels`], each series' channels scaled by its rows before
    /// `train_ends` (a rolling-origin fold scaled like another).
    pub fn with_channels_scaled_on(
        mut self,
        raw: &[&[Vec<f64>]],
        ahead: Vec<usize>,
        train_ends: &[usize],
    ) -> ScaledSplit {
        debug_assert_eq!(raw.len(), self.bounds.len(), "channels: one list per series");
        let mut scalers = Vec::with_capacity(raw.len());
        let mut values = Vec::with_capacity(raw.len());
        for (series, &end) in raw.iter().zip(train_ends) {
            debug_assert_eq!(series.len(), ahead.len(), "channels: one row per channel");
            let fitted: Vec<Scaler> = series.iter().map(|c| Scaler::fit(&c[..end])).collect();
            values.push(
                series
                    .iter()
                    .zip(&fitted)
                    .map(|(c, sc)| c.iter().map(|x| sc.scale(*x)).collect())
                    .collect(),
            );
            scalers.push(fitted);
        }
        self.channels = Channels {
            values: Arc::new(values),
            scalers,
            ahead,
        };
        self
    }

    /// The windows whose targets lie in `part`, every `stride` rows.
    pub fn windows(&self, part: SplitPart, stride: usize) -> WindowSet {
        let (l, h) = (self.lookback, self.horizon);
        let mut starts = Vec::new();
        for (s, b) in self.bounds.iter().enumerate() {
            let (first_target, end) = match part {
                SplitPart::Train => (l, b[1]),
                SplitPart::Validation => (b[1], b[2]),
                SplitPart::Test => (b[2], b[3]),
            };
            let mut target_start = first_target.max(l);
            while target_start + h <= end {
                starts.push((s, target_start - l));
                target_start += stride.max(1);
            }
        }
        WindowSet {
            values: self.values.clone(),
            lookback: l,
            horizon: h,
            starts,
            channels: self.channels.clone(),
        }
    }
}

/// Human-readable split, for messages.
pub fn describe(split: &Split) -> String {
    match split {
        Split::Fractions(a, b, c) => format!("{a},{b},{c}"),
        Split::Rows(a, b, c) => format!("{a},{b},{c}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fractions_and_rows_and_rejects_nonsense() {
        assert_eq!(
            Split::parse("0.7,0.1,0.2").unwrap(),
            Split::Fractions(0.7, 0.1, 0.2)
        );
        assert_eq!(
            Split::parse("8640, 2880, 2880").unwrap(),
            Split::Rows(8640, 2880, 2880)
        );
        for bad in ["0.7,0.1", "a,b,c", "0.9,0.2,0.2", "-0.1,0.5,0.5", "0,10,10"] {
            let err = Split::parse(bad).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad}");
        }
    }

    #[test]
    fn fractions_below_one_leave_the_rest_unused_and_huge_row_counts_are_rejected() {
        assert_eq!(Split::parse("0.6,0.2,0.1").unwrap().bounds(100), [0, 60, 80, 90]);
        let err = Split::parse("18446744073709551615,1,0").unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn fraction_bounds_follow_the_ltsf_rule() {
        // N = 7588 (Exchange): train int(0.7N) = 5311, test int(0.2N) = 1517, val the rest = 760
        assert_eq!(Split::default().bounds(7588), [0, 5311, 6071, 7588]);
    }

    #[test]
    fn ett_windows_count_and_reach_back_into_the_previous_part() {
        let raw: Vec<f64> = (0..14_400).map(|i| (i as f64 * 0.1).sin()).collect();
        let prepared = ScaledSplit::new(&[("OT", &raw)], Split::Rows(8640, 2880, 2880), 336, 96).unwrap();
        let test = prepared.windows(SplitPart::Test, 1);
        assert_eq!(test.len(), 2880 - 96 + 1);
        assert_eq!(test.starts[0], (0, 11_520 - 336));
        let val = prepared.windows(SplitPart::Validation, 1);
        assert_eq!(val.starts[0], (0, 8640 - 336));
        let train = prepared.windows(SplitPart::Train, 1);
        assert_eq!(train.len(), 8640 - 336 - 96 + 1);
        // no training target reaches the validation rows
        let (_, last) = *train.starts.last().unwrap();
        assert_eq!(last + 336 + 96, 8640);
    }

    #[test]
    fn scaling_uses_training_rows_only() {
        let mut raw = vec![1.0, 3.0, 1.0, 3.0, 1.0, 3.0, 1.0, 3.0];
        raw.extend([1000.0, 2000.0]);
        let prepared = ScaledSplit::new(&[("y", &raw)], Split::Rows(8, 1, 1), 2, 1).unwrap();
        assert_eq!(
            prepared.scalers[0],
            Scaler {
                mean: 2.0,
                std: 1.0,
                log: false
            }
        );
        assert_eq!(prepared.values[0][8], 998.0);
    }

    #[test]
    fn too_short_series_gets_an_error_with_the_needed_rows() {
        let raw = vec![1.0; 50];
        let err = ScaledSplit::new(&[("load", &raw)], Split::default(), 48, 24)
            .unwrap_err()
            .to_string();
        assert!(err.contains("series 'load' has 50 rows"), "{err}");
        assert!(err.contains("needs at least"), "{err}");
    }

    #[test]
    fn channels_are_scaled_on_training_rows_and_future_ones_are_read_a_horizon_ahead() {
        let target: Vec<f64> = (0..40).map(|i| i as f64).collect();
        let past: Vec<f64> = (0..40).map(|i| 100.0 + i as f64).collect();
        let future: Vec<f64> = (0..40).map(|i| 2.0 * i as f64).collect();
        let covariates = vec![past, future];
        let split = ScaledSplit::new(&[("y", &target)], Split::Rows(20, 10, 10), 4, 3)
            .unwrap()
            .with_channels(&[&covariates], vec![0, 3]);
        assert_eq!(split.channels.scalers[0][0], Scaler::fit(&covariates[0][..20]));
        let test = split.windows(SplitPart::Test, 1);
        assert_eq!(test.width(), 12);
        let inputs = test.inputs(); // (N, 12)
        let (_, t) = test.starts[0];
        let unscale = |c: usize, j: usize| split.channels.scalers[0][c].unscale(inputs[[0, (1 + c) * 4 + j]]);
        for j in 0..4 {
            assert!((split.scalers[0].unscale(inputs[[0, j]]) - (t + j) as f64).abs() < 1e-9);
            assert!((unscale(0, j) - (100 + t + j) as f64).abs() < 1e-9);
            // the future channel's window ends with the last target row t + L + H − 1
            assert!((unscale(1, j) - 2.0 * (t + 3 + j) as f64).abs() < 1e-9);
        }
        assert_eq!(t + 3 + 3, t + test.lookback + test.horizon - 1);
    }

    #[test]
    fn stride_thins_training_windows() {
        let raw: Vec<f64> = (0..100).map(|i| i as f64).collect();
        let prepared = ScaledSplit::new(&[("y", &raw)], Split::Rows(60, 20, 20), 10, 5).unwrap();
        let all = prepared.windows(SplitPart::Train, 1).len();
        let thinned = prepared.windows(SplitPart::Train, 4).len();
        assert_eq!(all, 60 - 15 + 1);
        assert_eq!(thinned, all.div_ceil(4));
    }

    /// With `--transform log` a series is standardised as logarithms (the statistics of ln x),
    /// and unscaling is exp of the standardised value, so scale and unscale invert each other.
    #[test]
    fn log_scaling_standardises_logarithms_and_unscales_exactly() {
        let raw = [1.0, 10.0, 100.0, 0.5, 3.0];
        let scaler = Scaler::fit_with(&raw, Transform::Log);
        let logs: Vec<f64> = raw.iter().map(|v: &f64| v.ln()).collect();
        assert_eq!(
            scaler,
            Scaler {
                log: true,
                ..Scaler::fit(&logs)
            }
        );
        for v in raw {
            assert!((scaler.scale(v) - (v.ln() - scaler.mean) / scaler.std).abs() < 1e-12);
            assert!((scaler.unscale(scaler.scale(v)) - v).abs() < 1e-12 * v);
        }
        assert_eq!(Scaler::fit_with(&raw, Transform::None), Scaler::fit(&raw));
        let split =
            ScaledSplit::with_transform(&[("y", &raw)], Split::Rows(3, 1, 1), 1, 1, Transform::Log).unwrap();
        assert_eq!(split.scalers[0], Scaler::fit_with(&raw[..3], Transform::Log));
    }
}
