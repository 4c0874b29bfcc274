//! Forecast error metrics, defined as the public protocols define them.
//!
//! In the data's own units: MAE, RMSE, MAPE (%, over points whose actual value is not zero),
//! sMAPE (% on the M4 scale, 0–200: mean of 200·|y − ŷ| / (|y| + |ŷ|)) and MASE (mean |y − ŷ|
//! divided by the in-sample mean absolute error of the seasonal naive forecast with period m, as in
//! M4: "in-sample" is everything in the series before the forecast origin, [`MaseScales`]). On
//! standardised values: MSE and MAE, the LTSF convention (`../shared/docs/benchmarks.md` §1.1,
//! §3.1). Prediction intervals are scored by coverage, MSIS (scaled as MASE) and the scaled CRPS
//! ([`intervals`]).

mod intervals;

use serde::{Deserialize, Serialize};

pub use intervals::{
    level_name, pinball, Band, IntervalAccumulator, IntervalMetrics, LevelMetrics, LEVEL_COLUMNS,
};

/// Accumulates errors over many forecast windows of possibly several series.
#[derive(Debug, Clone, Default)]
pub struct Accumulator {
    count: usize,
    abs: f64,
    sq: f64,
    ape: f64,
    ape_count: usize,
    sape: f64,
    sape_count: usize,
    scaled_abs: f64,
    scaled_count: usize,
    std_abs: f64,
    std_sq: f64,
    intervals: IntervalAccumulator,
}

/// Final metrics of one model. In JSON a metric without a value (NaN) is `null`; the interval
/// scores follow the point metrics as flat keys (`coverage_80`, `msis_80`, `crps`) when there are
/// intervals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Mean absolute error, data units.
    #[serde(deserialize_with = "crate::serde_nan::float")]
    pub mae: f64,
    /// Root mean squared error, data units.
    #[serde(deserialize_with = "crate::serde_nan::float")]
    pub rmse: f64,
    /// Mean absolute percentage error (%), over non-zero actual values; NaN if none.
    #[serde(deserialize_with = "crate::serde_nan::float")]
    pub mape: f64,
    /// Symmetric MAPE on the M4 scale (0–200).
    #[serde(deserialize_with = "crate::serde_nan::float")]
    pub smape: f64,
    /// Mean absolute scaled error (seasonal-naive in-sample scale); NaN if the scale is zero.
    #[serde(deserialize_with = "crate::serde_nan::float")]
    pub mase: f64,
    /// Mean squared error on standardised values (LTSF).
    #[serde(deserialize_with = "crate::serde_nan::float")]
    pub mse_std: f64,
    /// Mean absolute error on standardised values (LTSF).
    #[serde(deserialize_with = "crate::serde_nan::float")]
    pub mae_std: f64,
    /// Number of scored points.
    pub points: usize,
    /// Scores of the prediction intervals (none when the model gave none).
    #[serde(flatten)]
    pub intervals: IntervalMetrics,
}

/// One metric of [`Metrics`]: what tables, rankings and CSV columns are made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// [`Metrics::mae`].
    Mae,
    /// [`Metrics::rmse`].
    Rmse,
    /// [`Metrics::mape`].
    Mape,
    /// [`Metrics::smape`].
    Smape,
    /// [`Metrics::mase`].
    Mase,
    /// [`Metrics::mse_std`].
    MseStd,
    /// [`Metrics::mae_std`].
    MaeStd,
}

/// A metric's JSON/CSV key, its table heading, and how to read and write it.
type Column = (
    &'static str,
    &'static str,
    fn(&Metrics) -> f64,
    fn(&mut Metrics, f64),
);

/// Every metric, in [`Metric`] order: the one list of the metric fields.
const COLUMNS: [Column; 7] = [
    ("mae", "MAE", |m| m.mae, |m, v| m.mae = v),
    ("rmse", "RMSE", |m| m.rmse, |m, v| m.rmse = v),
    ("mape", "MAPE%", |m| m.mape, |m, v| m.mape = v),
    ("smape", "sMAPE", |m| m.smape, |m, v| m.smape = v),
    ("mase", "MASE", |m| m.mase, |m, v| m.mase = v),
    ("mse_std", "MSE(std)", |m| m.mse_std, |m, v| m.mse_std = v),
    ("mae_std", "MAE(std)", |m| m.mae_std, |m, v| m.mae_std = v),
];

impl Metric {
    /// Every metric, in table order.
    pub const ALL: [Metric; 7] = [
        Metric::Mae,
        Metric::Rmse,
        Metric::Mape,
        Metric::Smape,
        Metric::Mase,
        Metric::MseStd,
        Metric::MaeStd,
    ];

    fn column(self) -> &'static Column {
        &COLUMNS[self as usize]
    }

    /// The JSON and CSV key (`mae`, `mse_std`, ...).
    pub fn key(self) -> &'static str {
        self.column().0
    }

    /// The heading of a text table (`MAE`, `MAPE%`, `MSE(std)`, ...).
    pub fn heading(self) -> &'static str {
        self.column().1
    }

    /// Its value in `m`.
    pub fn of(self, m: &Metrics) -> f64 {
        (self.column().2)(m)
    }

    fn set(self, m: &mut Metrics, value: f64) {
        (self.column().3)(m, value)
    }
}

impl Metrics {
    /// Mean and population standard deviation of each metric over `folds`; `points` is their sum.
    pub fn mean_and_std(folds: &[Metrics]) -> (Metrics, Metrics) {
        let n = folds.len().max(1) as f64;
        let mut mean = Accumulator::default().finish();
        mean.points = folds.iter().map(|m| m.points).sum();
        let mut std = mean.clone();
        for metric in Metric::ALL {
            let mu = folds.iter().map(|m| metric.of(m)).sum::<f64>() / n;
            let sd = (folds.iter().map(|m| (metric.of(m) - mu).powi(2)).sum::<f64>() / n).sqrt();
            metric.set(&mut mean, mu);
            metric.set(&mut std, sd);
        }
        let intervals: Vec<&IntervalMetrics> = folds.iter().map(|m| &m.intervals).collect();
        (mean.intervals, std.intervals) = IntervalMetrics::mean_and_std(&intervals);
        (mean, std)
    }
}

/// One model's metrics, as `fit` reports and the model file keeps them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelMetrics {
    /// The model's name (`xlstm`, `snaive`, ...).
    pub model: String,
    /// Its metrics.
    pub metrics: Metrics,
}

impl Accumulator {
    /// Add one forecast: `actual` and `predicted` in data units, `mase_scale` the series' in-sample
    /// seasonal-naive MAE (None when it is zero or unknown), `std` the series' scaling deviation.
    pub fn add(&mut self, actual: &[f64], predicted: &[f64], mase_scale: Option<f64>, std: f64) {
        for (&y, &p) in actual.iter().zip(predicted) {
            let e = y - p;
            self.count += 1;
            self.abs += e.abs();
            self.sq += e * e;
            if y != 0.0 {
                self.ape += (e / y).abs() * 100.0;
                self.ape_count += 1;
            }
            let denom = y.abs() + p.abs();
            if denom > 0.0 {
                self.sape += 200.0 * e.abs() / denom;
            }
            self.sape_count += 1; // both zero: a perfect forecast, 0 %
            if let Some(scale) = mase_scale {
                self.scaled_abs += e.abs() / scale;
                self.scaled_count += 1;
            }
            let es = e / std;
            self.std_abs += es.abs();
            self.std_sq += es * es;
        }
    }

    /// Add the intervals of one forecast already added with [`Accumulator::add`]: `actual`,
    /// `point` and the `bands` in data units (see [`IntervalAccumulator::add`]).
    pub fn add_intervals(&mut self, actual: &[f64], point: &[f64], bands: &[Band], mase_scale: Option<f64>) {
        self.intervals.add(actual, point, bands, mase_scale);
    }

    /// The metrics so far.
    /// With no points every metric is NaN.
    pub fn finish(&self) -> Metrics {
        let n = if self.count == 0 {
            f64::NAN
        } else {
            self.count as f64
        };
        let ratio = |sum: f64, count: usize| if count == 0 { f64::NAN } else { sum / count as f64 };
        Metrics {
            mae: self.abs / n,
            rmse: (self.sq / n).sqrt(),
            mape: ratio(self.ape, self.ape_count),
            smape: ratio(self.sape, self.sape_count),
            mase: if self.scaled_count == self.count {
                ratio(self.scaled_abs, self.scaled_count)
            } else {
                f64::NAN
            },
            mse_std: self.std_sq / n,
            mae_std: self.std_abs / n,
            points: self.count,
            intervals: self.intervals.finish(),
        }
    }
}

/// M4's MASE scale of one series at every forecast origin: the mean absolute seasonal difference
/// |y_t − y_{t−m}| over everything observed before the origin (prefix sums, so each origin costs
/// O(1)). As [`mase_scale`] of the series cut at the origin, including its fallback to period 1.
#[derive(Debug, Clone)]
pub struct MaseScales {
    season: usize,
    /// Σ_{m ≤ t < i} |y_t − y_{t−m}|, (N + 1).
    seasonal: Vec<f64>,
    /// Σ_{1 ≤ t < i} |y_t − y_{t−1}|, (N + 1).
    lag_one: Vec<f64>,
}

impl MaseScales {
    /// The prefix sums of `series` (all of it, in data units) for period `season`.
    pub fn new(series: &[f64], season: usize) -> MaseScales {
        let prefix = |m: usize| {
            let mut sums = Vec::with_capacity(series.len() + 1);
            let mut total = 0.0;
            for i in 0..=series.len() {
                sums.push(total);
                if i >= m && i < series.len() && m >= 1 {
                    total += (series[i] - series[i - m]).abs();
                }
            }
            sums
        };
        MaseScales {
            season,
            seasonal: prefix(season.max(1)),
            lag_one: prefix(1),
        }
    }

    /// The scale for a forecast whose first step is row `origin` (so rows 0..origin are known).
    pub fn at(&self, origin: usize) -> Option<f64> {
        let origin = origin.min(self.seasonal.len() - 1);
        let (m, sums) = if self.season >= 1 && origin > self.season {
            (self.season, &self.seasonal)
        } else {
            (1, &self.lag_one)
        };
        if origin <= m {
            return None;
        }
        let scale = sums[origin] / (origin - m) as f64;
        (scale > 0.0).then_some(scale)
    }
}

/// In-sample mean absolute error of the seasonal naive forecast with period `season`
/// (M4's MASE scale): mean over t ≥ m of |y_t − y_{t−m}|. Falls back to period 1 when the
/// series is not longer than one season; None when the scale is zero.
pub fn mase_scale(history: &[f64], season: usize) -> Option<f64> {
    let m = if season >= 1 && history.len() > season {
        season
    } else {
        1
    };
    if history.len() <= m {
        return None;
    }
    let total: f64 = history.windows(m + 1).map(|w| (w[m] - w[0]).abs()).sum();
    let scale = total / (history.len() - m) as f64;
    (scale > 0.0).then_some(scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// actual [1, 2, 4], predicted [2, 2, 2]: errors −1, 0, 2.
    /// MAE 1, RMSE √(5/3), MAPE (100 + 0 + 50)/3 = 50, sMAPE (200·1/3 + 0 + 200·2/6)/3 = 44.44…,
    /// with MASE scale 2: mean(|e|)/2 = 0.5; with std 2: MSE_std = (0.25 + 0 + 1)/3, MAE_std 0.5.
    #[test]
    fn hand_computed_case() {
        let mut acc = Accumulator::default();
        acc.add(&[1.0, 2.0, 4.0], &[2.0, 2.0, 2.0], Some(2.0), 2.0);
        let m = acc.finish();
        assert!((m.mae - 1.0).abs() < 1e-12);
        assert!((m.rmse - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert!((m.mape - 50.0).abs() < 1e-12);
        assert!((m.smape - (200.0 / 3.0 + 200.0 / 3.0) / 3.0).abs() < 1e-12);
        assert!((m.mase - 0.5).abs() < 1e-12);
        assert!((m.mse_std - 1.25 / 3.0).abs() < 1e-12);
        assert!((m.mae_std - 0.5).abs() < 1e-12);
        assert_eq!(m.points, 3);
    }

    #[test]
    fn mape_skips_zero_actuals_and_mase_needs_a_scale() {
        let mut acc = Accumulator::default();
        acc.add(&[0.0, 2.0], &[1.0, 1.0], None, 1.0);
        let m = acc.finish();
        assert!((m.mape - 50.0).abs() < 1e-12);
        assert!(m.mase.is_nan());
    }

    #[test]
    fn the_metric_table_reads_every_field_under_its_serde_key() {
        let mut acc = Accumulator::default();
        acc.add(&[1.0, 2.0, 4.0], &[2.0, 2.0, 2.0], Some(2.0), 2.0);
        let m = acc.finish();
        let json = serde_json::to_value(&m).unwrap();
        for metric in Metric::ALL {
            assert_eq!(json[metric.key()].as_f64(), Some(metric.of(&m)), "{metric:?}");
        }
        assert_eq!(
            json.as_object().unwrap().len(),
            Metric::ALL.len() + 1,
            "and points"
        );
    }

    /// The interval scores sit beside the point metrics under flat keys and read back.
    #[test]
    fn interval_scores_join_the_point_metrics_in_json() {
        let mut acc = Accumulator::default();
        let (actual, point) = ([1.0, 2.0], [1.5, 2.5]);
        acc.add(&actual, &point, Some(1.0), 1.0);
        acc.add_intervals(&actual, &point, &[(90.0, &[0.0, 3.0], &[2.0, 4.0])], Some(1.0));
        let m = acc.finish();
        assert_eq!(m.intervals.levels[0].coverage, 50.0);
        let json = serde_json::to_value(&m).unwrap();
        assert_eq!(json["coverage_90"], 50.0);
        assert_eq!(json["mae"], 0.5);
        let back: Metrics = serde_json::from_value(json).unwrap();
        assert_eq!(back, m);
    }

    #[test]
    fn mean_and_std_over_folds() {
        let m = |v: f64| {
            let mut m = Accumulator::default().finish();
            Metric::ALL.iter().for_each(|k| k.set(&mut m, v));
            m.points = 2;
            m
        };
        let (mean, std) = Metrics::mean_and_std(&[m(1.0), m(3.0)]);
        for metric in Metric::ALL {
            assert_eq!((metric.of(&mean), metric.of(&std)), (2.0, 1.0), "{metric:?}");
        }
        assert_eq!(mean.points, 4);
    }

    #[test]
    fn metrics_without_a_value_survive_a_json_round_trip() {
        let mut acc = Accumulator::default();
        acc.add(&[0.0, 0.0], &[1.0, 1.0], None, 1.0);
        let m = acc.finish();
        assert!(m.mape.is_nan() && m.mase.is_nan());
        let back: Metrics = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
        assert!(back.mape.is_nan() && back.mase.is_nan());
        assert_eq!(back.mae, m.mae);
        assert!(back.intervals.levels.is_empty());
    }

    #[test]
    fn mase_scale_is_the_seasonal_naive_in_sample_error() {
        // period 2: |3−1|, |2−2|, |5−3| → mean 4/3
        let s = mase_scale(&[1.0, 2.0, 3.0, 2.0, 5.0], 2).unwrap();
        assert!((s - 4.0 / 3.0).abs() < 1e-12);
        assert_eq!(mase_scale(&[1.0, 1.0, 1.0], 1), None);
        // too short for the season: falls back to period 1
        assert!((mase_scale(&[1.0, 2.0, 4.0], 24).unwrap() - 1.5).abs() < 1e-12);
    }

    /// The scale at an origin is the in-sample scale of everything before it, whatever follows.
    #[test]
    fn mase_scales_at_each_origin_equal_the_scale_of_the_history_before_it() {
        let series: Vec<f64> = (0..60)
            .map(|t| ((t * 7 % 11) as f64).sin() * 3.0 + t as f64 * 0.1)
            .collect();
        for season in [1, 4, 24] {
            let scales = MaseScales::new(&series, season);
            for origin in 0..=series.len() {
                let expected = mase_scale(&series[..origin], season);
                match (scales.at(origin), expected) {
                    (Some(a), Some(b)) => {
                        assert!((a - b).abs() < 1e-12 * b.max(1.0), "{season} {origin}: {a} {b}")
                    }
                    (a, b) => assert_eq!(a, b, "season {season}, origin {origin}"),
                }
            }
        }
    }
}
