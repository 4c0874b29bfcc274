//! Prediction intervals of a fitted model, calibrated on out-of-sample windows (split conformal
//! prediction, as StatsForecast's `ConformalIntervals`): for each level ℓ and horizon step h, the
//! margin is the ⌈(n + 1)·ℓ/100⌉-th smallest of the n calibration windows' scores at step h, so
//! that on exchangeable windows at least ℓ % of new actual values fall inside (Vovk et al. 2005;
//! Angelopoulos and Bates 2021, §1). The method decides the score and the band
//! (`docs/intervals.md`):
//!
//! | method | score of a window at step h | band |
//! |---|---|---|
//! | conformal | \|y − ŷ\| | ŷ ± margin |
//! | scaled | \|y − ŷ\| / s, s the window's scale | ŷ ± margin·s |
//! | quantile | max(q_lo − y, y − q_hi) of the network's quantiles (CQR) | [q_lo − margin, q_hi + margin] |
//!
//! The window's scale s is the mean absolute one-step change of its lookback values, so a calm
//! window gets a narrow band and a volatile one a wide band. Everything is on standardised values,
//! so one margin serves every series of a panel. Bands are nested and hold the point forecast:
//! each bound is moved out to the next narrower level's bound (or to the point) when it lies
//! inside it, which only CQR's per-level margins can cause.

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use super::config::NeuralConfig;
use crate::error::{Error, Result};
use crate::nn::loss::Loss;

/// How the intervals are made (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IntervalMethod {
    /// ŷ ± the conformal quantile of the absolute errors, per step.
    Conformal,
    /// ŷ ± the conformal quantile of the errors divided by the window's scale, times its scale.
    Scaled,
    /// The network's own quantiles, widened or narrowed by conformalized quantile regression.
    Quantile,
}

impl IntervalMethod {
    /// The name in messages and the model file.
    pub fn name(self) -> &'static str {
        match self {
            IntervalMethod::Conformal => "conformal",
            IntervalMethod::Scaled => "scaled",
            IntervalMethod::Quantile => "quantile",
        }
    }
}

/// A calibrated interval method: the margins of every level at every horizon step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Intervals {
    /// How the margins are applied.
    pub method: IntervalMethod,
    /// Levels in percent, ascending.
    pub levels: Vec<f64>, // (K)
    /// The margin of each level and step, on standardised values (in window scales for `scaled`).
    pub margins: Vec<Vec<f64>>, // (K)(H)
    /// Calibration windows.
    pub windows: usize,
}

/// The interval at one level around N forecasts.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// Level in percent.
    pub level: f64,
    /// Lower bounds, (N, H).
    pub lower: Array2<f64>,
    /// Upper bounds, (N, H).
    pub upper: Array2<f64>,
}

/// Point forecasts of N windows and their intervals (none for an uncalibrated model).
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    /// Point forecasts, (N, H).
    pub point: Array2<f64>,
    /// One band per level, ascending.
    pub bands: Vec<Band>,
}

/// The loss a neural model trains with when none is asked for: the pinball loss on the quantiles
/// of `levels` when intervals are asked for (the default interval method of the neural models:
/// on the validation windows of four datasets its conformalized quantiles had a lower MSIS and
/// CRPS than conformal margins, see `docs/intervals.md`), the default point loss otherwise.
pub fn default_loss(levels: &[f64]) -> Loss {
    if levels.is_empty() {
        super::TrainSettings::default().loss
    } else {
        Loss::Quantile
    }
}

impl NeuralConfig {
    /// Train with the pinball loss on the quantiles of intervals at `levels` (percent, checked):
    /// the network forecasts those quantiles and the median, and its intervals are its own.
    pub fn learn_quantiles(&mut self, levels: &[f64]) -> Result<()> {
        self.network.quantiles = crate::nn::quantile::taus(&check_levels(levels)?);
        self.train.loss = Loss::Quantile;
        Ok(())
    }
}

/// Floor of a window's scale (standardised units), so a constant window keeps a band.
const MIN_SCALE: f64 = 1e-3;

/// The scale of each window's target values `inputs` (N, ≥ L): the mean absolute one-step change
/// over its first `lookback` columns, at least [`MIN_SCALE`].
pub fn window_scales(inputs: ArrayView2<f64>, lookback: usize) -> Vec<f64> {
    inputs
        .rows()
        .into_iter()
        .map(|x| {
            let steps = lookback.saturating_sub(1).max(1);
            let total: f64 = (1..lookback).map(|t| (x[t] - x[t - 1]).abs()).sum();
            (total / steps as f64).max(MIN_SCALE)
        })
        .collect()
}

/// Check `levels` (percent): each strictly between 0 and 100; returned ascending without repeats.
pub fn check_levels(levels: &[f64]) -> Result<Vec<f64>> {
    let mut sorted = Vec::with_capacity(levels.len());
    for &level in levels {
        if !(level > 0.0 && level < 100.0) {
            return Err(Error::usage(format!(
                "--level {level} is not a coverage in percent: give levels between 0 and 100, e.g. --level 80,95"
            )));
        }
        sorted.push(level);
    }
    sorted.sort_by(f64::total_cmp);
    sorted.dedup();
    Ok(sorted)
}

/// The conformal quantile at `level` % of `scores` (sorted in place): the ⌈(n + 1)·level/100⌉-th
/// smallest, the largest when that rank is beyond n.
fn conformal_quantile(scores: &mut [f64], level: f64) -> f64 {
    scores.sort_by(f64::total_cmp);
    let n = scores.len();
    let rank = ((n + 1) as f64 * level / 100.0).ceil() as usize;
    scores[rank.clamp(1, n) - 1]
}

/// What calibrating and applying intervals reads of N windows, beside the point forecasts.
#[derive(Debug, Clone, Copy)]
pub struct WindowFacts<'a> {
    /// Each window's scale (see [`window_scales`]); used by [`IntervalMethod::Scaled`].
    pub scales: &'a [f64], // (N)
    /// The network's quantile bounds per level, each (N, H); used by [`IntervalMethod::Quantile`].
    pub bounds: &'a [(Array2<f64>, Array2<f64>)], // (K)
}

impl Intervals {
    /// Calibrate `method` at `levels` (checked, ascending) on windows whose `actual` values and
    /// `point` forecasts are (N, H) and whose facts are `facts`. An error when there is no window.
    pub fn calibrate(
        method: IntervalMethod,
        levels: &[f64],
        actual: ArrayView2<f64>,
        point: ArrayView2<f64>,
        facts: WindowFacts,
    ) -> Result<Intervals> {
        let (n, horizon) = actual.dim();
        if n == 0 {
            return Err(Error::data(
                "prediction intervals are calibrated on the validation windows, and there are none: \
                 give the validation part at least one horizon of rows (--split), or leave out --level",
            ));
        }
        let margins = levels
            .iter()
            .enumerate()
            .map(|(k, &level)| {
                (0..horizon)
                    .map(|h| {
                        let mut scores: Vec<f64> = (0..n)
                            .map(|i| {
                                let (y, p) = (actual[[i, h]], point[[i, h]]);
                                match method {
                                    IntervalMethod::Conformal => (y - p).abs(),
                                    IntervalMethod::Scaled => (y - p).abs() / facts.scales[i],
                                    IntervalMethod::Quantile => {
                                        let (lower, upper) = &facts.bounds[k];
                                        (lower[[i, h]] - y).max(y - upper[[i, h]])
                                    }
                                }
                            })
                            .collect();
                        conformal_quantile(&mut scores, level)
                    })
                    .collect()
            })
            .collect();
        Ok(Intervals {
            method,
            levels: levels.to_vec(),
            margins,
            windows: n,
        })
    }

    /// The bands around `point` (N, H) for windows with `facts`, one per level, nested.
    pub fn bands(&self, point: ArrayView2<f64>, facts: WindowFacts) -> Vec<Band> {
        let mut bands = self.raw_bands(point, facts);
        let (mut inner_lower, mut inner_upper) = (point.to_owned(), point.to_owned());
        for band in &mut bands {
            band.lower
                .zip_mut_with(&inner_lower, |v, inner| *v = v.min(*inner));
            band.upper
                .zip_mut_with(&inner_upper, |v, inner| *v = v.max(*inner));
            (inner_lower, inner_upper) = (band.lower.clone(), band.upper.clone());
        }
        bands
    }

    /// The bands as the margins make them, before nesting.
    fn raw_bands(&self, point: ArrayView2<f64>, facts: WindowFacts) -> Vec<Band> {
        self.levels
            .iter()
            .zip(&self.margins)
            .enumerate()
            .map(|(k, (&level, margins))| {
                let margin = |i: usize, h: usize| match self.method {
                    IntervalMethod::Scaled => margins[h] * facts.scales[i],
                    _ => margins[h],
                };
                let (mut lower, mut upper) = match self.method {
                    IntervalMethod::Quantile => facts.bounds[k].clone(),
                    _ => (point.to_owned(), point.to_owned()),
                };
                for ((i, h), v) in lower.indexed_iter_mut() {
                    *v -= margin(i, h);
                }
                for ((i, h), v) in upper.indexed_iter_mut() {
                    *v += margin(i, h);
                }
                Band { level, lower, upper }
            })
            .collect()
    }

    /// Only the `wanted` levels (all when empty); an error naming the levels there are when one
    /// is missing.
    pub fn select(&self, wanted: &[f64]) -> Result<Intervals> {
        if wanted.is_empty() {
            return Ok(self.clone());
        }
        let mut out = Intervals {
            levels: Vec::new(),
            margins: Vec::new(),
            ..self.clone()
        };
        for level in check_levels(wanted)? {
            let k = self.levels.iter().position(|l| *l == level).ok_or_else(|| {
                let known: Vec<String> = self.levels.iter().map(|l| format!("{l}")).collect();
                Error::usage(format!(
                    "--level {level}: this model's intervals were calibrated at {} %; refit with --level {level} for it",
                    known.join(", ")
                ))
            })?;
            out.levels.push(level);
            out.margins.push(self.margins[k].clone());
        }
        Ok(out)
    }

    /// Checks a stored calibration against the model's horizon (for model files).
    pub fn check(&self, horizon: usize) -> std::result::Result<(), String> {
        let levels_ok = check_levels(&self.levels).is_ok_and(|sorted| sorted == self.levels);
        if !levels_ok || self.margins.len() != self.levels.len() {
            return Err(
                "its interval levels are not ascending percentages with one row of margins each".into(),
            );
        }
        if self
            .margins
            .iter()
            .any(|m| m.len() != horizon || m.iter().any(|v| !v.is_finite()))
        {
            return Err(format!(
                "its interval margins are not {horizon} finite numbers per level"
            ));
        }
        Ok(())
    }
}

/// The bounds of each level among a network's quantile outputs `quantiles` (N, Q·H), quantile τ
/// in block j of `taus`: level ℓ reads the blocks of (1 − ℓ/100)/2 and (1 + ℓ/100)/2. An error
/// naming the trained levels when a level has no quantiles.
pub fn quantile_bounds(
    quantiles: ArrayView2<f64>,
    taus: &[f64],
    levels: &[f64],
    horizon: usize,
) -> Result<Vec<(Array2<f64>, Array2<f64>)>> {
    let block = |tau: f64| -> Result<Array2<f64>> {
        let j = taus.iter().position(|t| (t - tau).abs() < 1e-9).ok_or_else(|| {
            let trained: Vec<String> = crate::nn::quantile::levels_of(taus)
                .iter()
                .map(|l| format!("{l}"))
                .collect();
            Error::usage(format!(
                "--level {}: this model learned the quantiles of the levels {} %; fit it with --level {} --loss quantile for this level",
                100.0 * (1.0 - 2.0 * tau.min(1.0 - tau)),
                trained.join(", "),
                100.0 * (1.0 - 2.0 * tau.min(1.0 - tau))
            ))
        })?;
        Ok(quantiles
            .slice(ndarray::s![.., j * horizon..(j + 1) * horizon])
            .to_owned())
    };
    levels
        .iter()
        .map(|level| Ok((block((100.0 - level) / 200.0)?, block((100.0 + level) / 200.0)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::arr2;

    #[test]
    fn the_conformal_quantile_takes_the_rank_of_n_plus_one() {
        // n = 9: level 80 → rank ⌈10·0.8⌉ = 8; level 95 → rank 10 > 9: the largest
        let mut scores: Vec<f64> = (1..=9).rev().map(f64::from).collect();
        assert_eq!(conformal_quantile(&mut scores, 80.0), 8.0);
        assert_eq!(conformal_quantile(&mut scores, 95.0), 9.0);
        assert_eq!(conformal_quantile(&mut scores, 10.0), 1.0);
    }

    /// Absolute errors 1..=9 at one step: the 80 % margin is 8, the band ŷ ± 8.
    #[test]
    fn conformal_bands_are_the_point_plus_minus_the_margin_per_step() {
        let actual = Array2::from_shape_fn((9, 2), |(i, h)| (i + 1) as f64 * if h == 0 { 1.0 } else { -2.0 });
        let point = Array2::zeros((9, 2));
        let facts = WindowFacts {
            scales: &[1.0; 9],
            bounds: &[],
        };
        let intervals = Intervals::calibrate(
            IntervalMethod::Conformal,
            &[80.0],
            actual.view(),
            point.view(),
            facts,
        )
        .unwrap();
        assert_eq!(intervals.margins, vec![vec![8.0, 16.0]]);
        let point = arr2(&[[1.0, 2.0]]);
        let bands = intervals.bands(point.view(), facts);
        assert_eq!(bands[0].lower, arr2(&[[-7.0, -14.0]]));
        assert_eq!(bands[0].upper, arr2(&[[9.0, 18.0]]));
    }

    /// With errors proportional to each window's scale, the scaled score is constant and the
    /// band follows the scale.
    #[test]
    fn scaled_bands_follow_each_window_scale() {
        let scales: Vec<f64> = (1..=19).map(f64::from).collect();
        let actual = Array2::from_shape_fn((19, 1), |(i, _)| 0.5 * scales[i]);
        let point = Array2::zeros((19, 1));
        let facts = WindowFacts {
            scales: &scales,
            bounds: &[],
        };
        let intervals = Intervals::calibrate(
            IntervalMethod::Scaled,
            &[90.0],
            actual.view(),
            point.view(),
            facts,
        )
        .unwrap();
        assert_eq!(intervals.margins, vec![vec![0.5]]);
        let two = WindowFacts {
            scales: &[2.0, 10.0],
            bounds: &[],
        };
        let bands = intervals.bands(Array2::zeros((2, 1)).view(), two);
        assert_eq!(bands[0].upper, arr2(&[[1.0], [5.0]]));
    }

    /// CQR margins are per level; a wide level narrowed below a narrow one is moved out to it.
    #[test]
    fn bands_are_nested_and_hold_the_point() {
        let intervals = Intervals {
            method: IntervalMethod::Quantile,
            levels: vec![50.0, 90.0],
            margins: vec![vec![0.5], vec![-3.0]],
            windows: 10,
        };
        let bounds = vec![
            (arr2(&[[-1.0]]), arr2(&[[1.0]])),
            (arr2(&[[-2.0]]), arr2(&[[2.0]])),
        ];
        let facts = WindowFacts {
            scales: &[1.0],
            bounds: &bounds,
        };
        let bands = intervals.bands(arr2(&[[0.0]]).view(), facts);
        assert_eq!((bands[0].lower[[0, 0]], bands[0].upper[[0, 0]]), (-1.5, 1.5));
        assert_eq!((bands[1].lower[[0, 0]], bands[1].upper[[0, 0]]), (-1.5, 1.5));
        let narrowed = Intervals {
            margins: vec![vec![-5.0], vec![0.0]],
            ..intervals
        };
        let bands = narrowed.bands(arr2(&[[0.0]]).view(), facts);
        assert_eq!((bands[0].lower[[0, 0]], bands[0].upper[[0, 0]]), (0.0, 0.0));
    }

    /// CQR: quantiles that are too narrow by 1 everywhere get a margin of 1.
    #[test]
    fn quantile_bands_widen_the_networks_own_bounds() {
        let actual = Array2::from_shape_fn((9, 1), |(i, _)| if i % 2 == 0 { 2.0 } else { -2.0 });
        let bounds = vec![(Array2::from_elem((9, 1), -1.0), Array2::from_elem((9, 1), 1.0))];
        let facts = WindowFacts {
            scales: &[1.0; 9],
            bounds: &bounds,
        };
        let point = Array2::zeros((9, 1));
        let intervals = Intervals::calibrate(
            IntervalMethod::Quantile,
            &[50.0],
            actual.view(),
            point.view(),
            facts,
        )
        .unwrap();
        assert_eq!(intervals.margins, vec![vec![1.0]]);
        let bands = intervals.bands(point.view(), facts);
        assert_eq!(bands[0].lower[[0, 0]], -2.0);
        assert_eq!(bands[0].upper[[0, 0]], 2.0);
    }

    #[test]
    fn levels_are_checked_sorted_and_selected_by_name() {
        assert_eq!(check_levels(&[95.0, 80.0, 95.0]).unwrap(), vec![80.0, 95.0]);
        for bad in [0.0, 100.0, -5.0, f64::NAN] {
            let e = check_levels(&[bad]).unwrap_err();
            assert_eq!(e.exit_code(), 2);
            assert!(e.to_string().contains("--level"), "{e}");
        }
        let intervals = Intervals {
            method: IntervalMethod::Conformal,
            levels: vec![80.0, 95.0],
            margins: vec![vec![1.0], vec![2.0]],
            windows: 3,
        };
        assert_eq!(intervals.select(&[95.0]).unwrap().margins, vec![vec![2.0]]);
        let e = intervals.select(&[90.0]).unwrap_err().to_string();
        assert!(
            e.contains("calibrated at 80, 95 %") && e.contains("--level 90"),
            "{e}"
        );
        assert!(intervals.check(1).is_ok());
        assert!(intervals.check(2).is_err());
    }

    #[test]
    fn no_calibration_window_is_a_data_error_naming_the_fix() {
        let empty = Array2::zeros((0, 3));
        let facts = WindowFacts {
            scales: &[],
            bounds: &[],
        };
        let e = Intervals::calibrate(
            IntervalMethod::Conformal,
            &[80.0],
            empty.view(),
            empty.view(),
            facts,
        )
        .unwrap_err();
        assert_eq!(e.exit_code(), 1);
        assert!(e.to_string().contains("--split"), "{e}");
    }

    #[test]
    fn window_scales_are_mean_absolute_steps_with_a_floor() {
        let x = arr2(&[[0.0, 1.0, 3.0, 9.0], [5.0, 5.0, 5.0, 5.0]]);
        assert_eq!(window_scales(x.view(), 3), vec![1.5, MIN_SCALE]);
    }
}
