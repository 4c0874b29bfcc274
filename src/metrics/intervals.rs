//! Scores of prediction intervals, as the public protocols define them.
//!
//! For an interval [L, U] at level ℓ % (α = 1 − ℓ/100) and the actual value y:
//! - **coverage**: the share of actual values inside [L, U], in percent (nominal: ℓ);
//! - **MSIS** (M4): the interval score (U − L) + (2/α)(L − y)·1[y < L] + (2/α)(y − U)·1[y > U],
//!   divided by the MASE scale (the series' in-sample seasonal-naive error over everything before
//!   the forecast origin, [`super::MaseScales`]) and averaged
//!   over every point (M4 averages it over the horizon, then over series of equal horizons);
//! - **scaled CRPS**: the weighted quantile loss over the quantiles the intervals give (each
//!   level's bounds are the quantiles (1 − ℓ/100)/2 and (1 + ℓ/100)/2; the point forecast is the
//!   median): mean over quantiles τ of 2·Σ ρ_τ(y − q_τ) / Σ |y|, with the pinball loss
//!   ρ_τ(u) = max(τu, (τ − 1)u) (GluonTS' `mean_wQuantileLoss`, a discrete approximation of
//!   the CRPS scaled by the mean absolute actual value).
//!
//! In JSON and CSV the scores of level ℓ are `coverage_ℓ` and `msis_ℓ` (`coverage_80`,
//! `msis_99.5`), and the scaled CRPS is `crps`.

use std::collections::BTreeMap;

use serde::de::Deserializer;
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

/// The interval scores at one level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LevelMetrics {
    /// Nominal coverage in percent (80 for an 80 % interval).
    pub level: f64,
    /// Share of actual values inside the interval, in percent; NaN without points.
    pub coverage: f64,
    /// Mean scaled interval score; NaN when a series has no MASE scale.
    pub msis: f64,
}

/// Interval scores of one model: per level (ascending), and the scaled CRPS.
#[derive(Debug, Clone)]
pub struct IntervalMetrics {
    /// One entry per level; empty when the model gave no intervals.
    pub levels: Vec<LevelMetrics>,
    /// Weighted quantile loss over the levels' bounds and the median; NaN without intervals.
    pub crps: f64,
}

impl PartialEq for IntervalMetrics {
    /// Equal levels and CRPS; a CRPS without a value (no intervals) equals another without one.
    fn eq(&self, other: &Self) -> bool {
        self.levels == other.levels
            && (self.crps == other.crps || (self.crps.is_nan() && other.crps.is_nan()))
    }
}

impl Default for IntervalMetrics {
    /// No intervals.
    fn default() -> Self {
        IntervalMetrics {
            levels: Vec::new(),
            crps: f64::NAN,
        }
    }
}

/// A level as it appears in keys and column names: `80`, `99.5`.
pub fn level_name(level: f64) -> String {
    format!("{level}")
}

/// One level's score: the key prefix (`coverage`), its table heading (`cov`) and how to read and
/// write it.
type LevelColumn = (
    &'static str,
    &'static str,
    fn(&LevelMetrics) -> f64,
    fn(&mut LevelMetrics, f64),
);

/// Every per-level score, in table order: the one list of [`LevelMetrics`]' fields.
pub const LEVEL_COLUMNS: [LevelColumn; 2] = [
    ("coverage", "cov", |m| m.coverage, |m, v| m.coverage = v),
    ("msis", "MSIS", |m| m.msis, |m, v| m.msis = v),
];

impl IntervalMetrics {
    /// Every score as `(key, table heading, value)`: per level the [`LEVEL_COLUMNS`], then `crps`;
    /// nothing without intervals.
    pub fn columns(&self) -> Vec<(String, String, f64)> {
        let mut out = Vec::new();
        for m in &self.levels {
            let name = level_name(m.level);
            for (key, heading, get, _) in LEVEL_COLUMNS {
                out.push((format!("{key}_{name}"), format!("{heading}{name}"), get(m)));
            }
        }
        if !self.levels.is_empty() {
            out.push(("crps".into(), "CRPS".into(), self.crps));
        }
        out
    }

    /// Mean and population standard deviation over `folds` of each score (the folds share
    /// their levels; a fold with other levels makes the result empty).
    pub fn mean_and_std(folds: &[&IntervalMetrics]) -> (IntervalMetrics, IntervalMetrics) {
        let Some(first) = folds.first() else {
            return Default::default();
        };
        let same = |m: &&IntervalMetrics| {
            m.levels.len() == first.levels.len()
                && m.levels
                    .iter()
                    .zip(&first.levels)
                    .all(|(a, b)| a.level == b.level)
        };
        if first.levels.is_empty() || !folds.iter().all(same) {
            return Default::default();
        }
        let stats = |values: Vec<f64>| {
            let n = values.len() as f64;
            let mean = values.iter().sum::<f64>() / n;
            let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
            (mean, sd)
        };
        let (mut mean, mut std) = ((*first).clone(), (*first).clone());
        for (k, (m, s)) in mean.levels.iter_mut().zip(&mut std.levels).enumerate() {
            for (_, _, get, set) in LEVEL_COLUMNS {
                let (mu, sd) = stats(folds.iter().map(|f| get(&f.levels[k])).collect());
                set(m, mu);
                set(s, sd);
            }
        }
        (mean.crps, std.crps) = stats(folds.iter().map(|f| f.crps).collect());
        (mean, std)
    }
}

impl Serialize for IntervalMetrics {
    /// Flat keys, `coverage_80`, `msis_80`, ..., `crps` (NaN as `null`); nothing without intervals.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let columns = self.columns();
        let mut map = serializer.serialize_map(Some(columns.len()))?;
        for (key, _, value) in columns {
            map.serialize_entry(&key, &value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for IntervalMetrics {
    /// The flat keys back (other keys are ignored; `null` reads as NaN).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, serde_json::Value>::deserialize(deserializer)?;
        let value = |key: &str| {
            map.get(key)
                .and_then(serde_json::Value::as_f64)
                .unwrap_or(f64::NAN)
        };
        let mut levels: Vec<LevelMetrics> = map
            .keys()
            .filter_map(|k| k.strip_prefix(&format!("{}_", LEVEL_COLUMNS[0].0)))
            .filter_map(|name| name.parse::<f64>().ok())
            .map(|level| {
                let mut m = LevelMetrics {
                    level,
                    coverage: f64::NAN,
                    msis: f64::NAN,
                };
                for (key, _, _, set) in LEVEL_COLUMNS {
                    set(&mut m, value(&format!("{key}_{}", level_name(level))));
                }
                m
            })
            .collect();
        levels.sort_by(|a, b| a.level.total_cmp(&b.level));
        Ok(IntervalMetrics {
            crps: if levels.is_empty() {
                f64::NAN
            } else {
                value("crps")
            },
            levels,
        })
    }
}

/// Running sums of one level's scores.
#[derive(Debug, Clone, Default)]
struct LevelSums {
    level: f64,
    points: usize,
    covered: usize,
    scaled_score: f64,
    scaled_points: usize,
}

/// Accumulates interval scores over forecast windows of possibly several series.
#[derive(Debug, Clone, Default)]
pub struct IntervalAccumulator {
    levels: Vec<LevelSums>,
    /// Σ over quantiles and points of 2·ρ_τ(y − q_τ).
    quantile_loss: f64,
    /// Quantiles per point (2 per level and the median).
    quantiles: usize,
    /// Σ |y| over points.
    abs_actual: f64,
}

/// One interval of a forecast window: its level (percent) and lower and upper bounds (H each).
pub type Band<'a> = (f64, &'a [f64], &'a [f64]);

/// The pinball loss ρ_τ(u) = max(τu, (τ − 1)u) of the residual u = y − q.
pub fn pinball(tau: f64, u: f64) -> f64 {
    (tau * u).max((tau - 1.0) * u)
}

impl IntervalAccumulator {
    /// Add one window: `actual` and `point` (H), its `bands` (the same levels, in the same
    /// order, for every window), `mase_scale` the series' in-sample seasonal-naive MAE before the
    /// window's origin ([`super::MaseScales::at`]).
    pub fn add(&mut self, actual: &[f64], point: &[f64], bands: &[Band], mase_scale: Option<f64>) {
        if self.levels.is_empty() {
            self.levels = bands
                .iter()
                .map(|(level, ..)| LevelSums {
                    level: *level,
                    ..LevelSums::default()
                })
                .collect();
            self.quantiles = 2 * bands.len() + 1;
        }
        debug_assert_eq!(
            bands.len(),
            self.levels.len(),
            "intervals: the same levels in every window"
        );
        for (sums, (level, lower, upper)) in self.levels.iter_mut().zip(bands) {
            let alpha = 1.0 - level / 100.0;
            for ((&y, &lo), &hi) in actual.iter().zip(*lower).zip(*upper) {
                sums.points += 1;
                sums.covered += usize::from(lo <= y && y <= hi);
                if let Some(scale) = mase_scale {
                    let below = if y < lo { 2.0 / alpha * (lo - y) } else { 0.0 };
                    let above = if y > hi { 2.0 / alpha * (y - hi) } else { 0.0 };
                    sums.scaled_score += (hi - lo + below + above) / scale;
                    sums.scaled_points += 1;
                }
                self.quantile_loss +=
                    2.0 * (pinball(alpha / 2.0, y - lo) + pinball(1.0 - alpha / 2.0, y - hi));
            }
        }
        for (&y, &p) in actual.iter().zip(point) {
            self.quantile_loss += 2.0 * pinball(0.5, y - p);
            self.abs_actual += y.abs();
        }
    }

    /// The scores so far (no levels when nothing was added).
    pub fn finish(&self) -> IntervalMetrics {
        if self.levels.is_empty() {
            return IntervalMetrics::default();
        }
        let ratio = |sum: f64, count: usize| if count == 0 { f64::NAN } else { sum / count as f64 };
        let levels = self
            .levels
            .iter()
            .map(|s| LevelMetrics {
                level: s.level,
                coverage: 100.0 * ratio(s.covered as f64, s.points),
                msis: if s.scaled_points == s.points {
                    ratio(s.scaled_score, s.scaled_points)
                } else {
                    f64::NAN
                },
            })
            .collect();
        let crps = if self.abs_actual > 0.0 {
            self.quantile_loss / self.quantiles as f64 / self.abs_actual
        } else {
            f64::NAN
        };
        IntervalMetrics { levels, crps }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// actual [1, 5, 10], point [2, 4, 6], one 80 % band [0, 3, 7]..[3, 6, 9]: y = 10 is above
    /// 9, the rest inside. α = 0.2: IS = 3 + 3 + (2 + 10·1) = 18 over 3 points, scale 2 → MSIS 3.
    /// Quantile losses (×2): τ 0.1 at [0, 3, 7]: 0.1·(1 + 2 + 3) = 0.6; τ 0.9 at [3, 6, 9]:
    /// 0.1·(2 + 1) + 0.9·1 = 1.2; τ 0.5 at [2, 4, 6]: 0.5·(1 + 1 + 4) = 3. CRPS = 2·4.8 / 3 / 16.
    #[test]
    fn hand_computed_coverage_msis_and_crps() {
        let mut acc = IntervalAccumulator::default();
        let (lower, upper) = ([0.0, 3.0, 7.0], [3.0, 6.0, 9.0]);
        acc.add(
            &[1.0, 5.0, 10.0],
            &[2.0, 4.0, 6.0],
            &[(80.0, &lower, &upper)],
            Some(2.0),
        );
        let m = acc.finish();
        assert_eq!(m.levels.len(), 1);
        assert!((m.levels[0].coverage - 200.0 / 3.0).abs() < 1e-12);
        assert!((m.levels[0].msis - 3.0).abs() < 1e-12, "{}", m.levels[0].msis);
        assert!((m.crps - 2.0 * 4.8 / 3.0 / 16.0).abs() < 1e-12, "{}", m.crps);
    }

    #[test]
    fn without_a_scale_msis_has_no_value_and_without_bands_there_are_no_scores() {
        let mut acc = IntervalAccumulator::default();
        acc.add(&[1.0], &[1.0], &[(95.0, &[0.0], &[2.0])], None);
        let m = acc.finish();
        assert!(m.levels[0].msis.is_nan());
        assert_eq!(m.levels[0].coverage, 100.0);
        assert_eq!(
            IntervalAccumulator::default().finish(),
            IntervalMetrics::default()
        );
        assert!(IntervalMetrics::default().columns().is_empty());
    }

    #[test]
    fn flat_keys_round_trip_through_json_with_nan_as_null() {
        let m = IntervalMetrics {
            levels: vec![
                LevelMetrics {
                    level: 80.0,
                    coverage: 79.5,
                    msis: f64::NAN,
                },
                LevelMetrics {
                    level: 99.5,
                    coverage: 99.0,
                    msis: 12.25,
                },
            ],
            crps: 0.125,
        };
        let json = serde_json::to_value(&m).unwrap();
        assert_eq!(json["coverage_80"], 79.5);
        assert!(json["msis_80"].is_null());
        assert_eq!(json["msis_99.5"], 12.25);
        assert_eq!(json["crps"], 0.125);
        let back: IntervalMetrics = serde_json::from_value(json).unwrap();
        assert_eq!(back.levels[1], m.levels[1]);
        assert!(back.levels[0].msis.is_nan() && back.crps == 0.125);
    }

    #[test]
    fn mean_and_std_over_folds_per_level() {
        let fold = |coverage: f64| IntervalMetrics {
            levels: vec![LevelMetrics {
                level: 95.0,
                coverage,
                msis: 2.0 * coverage,
            }],
            crps: coverage,
        };
        let (a, b) = (fold(90.0), fold(100.0));
        let (mean, std) = IntervalMetrics::mean_and_std(&[&a, &b]);
        assert_eq!((mean.levels[0].coverage, std.levels[0].coverage), (95.0, 5.0));
        assert_eq!((mean.levels[0].msis, std.levels[0].msis), (190.0, 10.0));
        assert_eq!((mean.crps, std.crps), (95.0, 5.0));
    }
}
