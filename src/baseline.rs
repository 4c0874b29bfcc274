//! Classic baselines: naive, seasonal naive, and linear maps from the lookback window to the
//! horizon (Linear, NLinear, DLinear), all predicting the H steps directly on standardised values.
//!
//! The linear maps are fitted in closed form by (ridge-)regularised least squares with an
//! unpenalised intercept: one Gram matrix `[X 1]ᵀ[X 1]` accumulated over the training windows and
//! one Cholesky solve (linfa-linalg) for all H outputs at once. This is the exact OLS solution
//! (α = 0) that linfa-linear's `LinearRegression` computes one target at a time by SVD (the tests
//! cross-check both, and ridge against linfa-elasticnet), at a cost that stays in seconds for
//! L = 336, H = 720. NLinear subtracts the window's last value from input and target and adds it
//! back. DLinear splits the window into a moving-average trend (kernel 25, edges padded with the
//! first and last values) and the remainder and fits one linear map on each; because the two parts
//! together span the same space as the raw window, an unpenalised fit equals Linear, so DLinear
//! is always fitted with a ridge penalty (at least 1e-3 per window).
//!
//! Covariate channels (`crate::data::covariates`) enter the linear models as extra regressors:
//! each channel's L window values follow the target's features, unchanged (NLinear subtracts the
//! last target value from the target only). The naive models read the target alone.

use linfa_linalg::cholesky::SolveC;
use ndarray::{s, Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut1};

use crate::data::window::WindowSet;
use crate::error::{Error, Result};
use crate::nn::forecaster::LinearBase;

/// Which baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaselineKind {
    /// Repeat the last value.
    Naive,
    /// Repeat the last season.
    SeasonalNaive,
    /// Least squares on the raw window.
    Linear,
    /// Least squares on the window minus its last value.
    NLinear,
    /// Least squares on trend and remainder.
    DLinear,
}

/// A linear map from features to the horizon.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearMap {
    /// Weights.
    pub weights: Array2<f64>, // (F, H)
    /// Intercept.
    pub bias: Array1<f64>, // (H)
}

/// A fitted baseline.
#[derive(Debug, Clone, PartialEq)]
pub enum Baseline {
    /// ŷ_{t+h} = x_t.
    Naive,
    /// ŷ_{t+h} = x_{t+h−m·k}, the value one (or more) seasons back.
    SeasonalNaive {
        /// Season length m.
        season: usize,
    },
    /// ŷ = W x + b.
    Linear(LinearMap),
    /// ŷ = W (x − x_L) + b + x_L.
    NLinear(LinearMap),
    /// ŷ = W_t trend(x) + W_s (x − trend(x)) + b, stacked as one map over 2L features.
    DLinear {
        /// Moving-average kernel.
        kernel: usize,
        /// The map over [trend, remainder].
        map: LinearMap,
    },
}

/// The ridge penalty DLinear is fitted with: at least 1e-3 per training window (see the module doc).
pub fn dlinear_alpha(alpha: f64, windows: usize) -> f64 {
    alpha.max(1e-3 * windows as f64)
}

/// Moving-average kernel of DLinear.
pub const DLINEAR_KERNEL: usize = 25;

impl Baseline {
    /// Fit `kind` on the training windows. `alpha` is the ridge penalty (0 = OLS).
    pub fn fit(kind: BaselineKind, train: &WindowSet, season: usize, alpha: f64) -> Result<Baseline> {
        Ok(Baseline::fit_path(kind, train, season, &[alpha])?.remove(0))
    }

    /// Fit `kind` once for each ridge penalty of `alphas` (in that order). The linear models
    /// accumulate their normal equations once and solve them for every penalty.
    pub fn fit_path(
        kind: BaselineKind,
        train: &WindowSet,
        season: usize,
        alphas: &[f64],
    ) -> Result<Vec<Baseline>> {
        let features = match kind {
            BaselineKind::Naive => return Ok(vec![Baseline::Naive; alphas.len()]),
            BaselineKind::SeasonalNaive => {
                if season == 0 || season > train.lookback {
                    return Err(Error::usage(format!(
                        "seasonal naive needs the season ({season}) to be between 1 and the lookback ({}); \
                         pass --season N or a longer --lookback",
                        train.lookback
                    )));
                }
                return Ok(vec![Baseline::SeasonalNaive { season }; alphas.len()]);
            }
            BaselineKind::Linear => Features::Raw,
            BaselineKind::NLinear => Features::LastValue,
            BaselineKind::DLinear => Features::Decomposed(DLINEAR_KERNEL),
        };
        let normal = NormalEquations::accumulate(train, features)?;
        alphas
            .iter()
            .map(|&alpha| {
                Ok(match kind {
                    BaselineKind::Linear => Baseline::Linear(normal.solve(alpha)?),
                    BaselineKind::NLinear => Baseline::NLinear(normal.solve(alpha)?),
                    _ => Baseline::DLinear {
                        kernel: DLINEAR_KERNEL,
                        map: normal.solve(dlinear_alpha(alpha, train.len()))?,
                    },
                })
            })
            .collect()
    }

    /// Forecast every row of `inputs` (N, L·(1 + C)) → (N, H), on standardised values: the
    /// target's window of `lookback` values, then each covariate channel's.
    pub fn predict(&self, inputs: ArrayView2<f64>, lookback: usize, horizon: usize) -> Array2<f64> {
        let (n, width) = inputs.dim();
        let l = lookback;
        let mut out = Array2::zeros((n, horizon)); // (N, H)
        let features = match self {
            Baseline::Linear(_) => Some(Features::Raw),
            Baseline::NLinear(_) => Some(Features::LastValue),
            Baseline::DLinear { kernel, .. } => Some(Features::Decomposed(*kernel)),
            _ => None,
        };
        let mut row = Array1::zeros(features.map_or(0, |f| f.width(l) + width - l)); // (F)
        for (x, mut y) in inputs.rows().into_iter().zip(out.rows_mut()) {
            let last = x[l - 1];
            match (self, features) {
                (Baseline::Naive, _) => y.fill(last),
                (Baseline::SeasonalNaive { season }, _) => {
                    for h in 0..horizon {
                        y[h] = x[l - season + h % season];
                    }
                }
                (Baseline::Linear(map) | Baseline::NLinear(map) | Baseline::DLinear { map, .. }, Some(f)) => {
                    let shift = f.build(x, l, row.view_mut());
                    y.assign(&(map.apply(row.view()) + shift));
                }
                _ => unreachable!("the linear baselines have features"),
            }
        }
        out
    }
}

impl Baseline {
    /// The baseline as the affine map y = w x + b over a window of `lookback` values and
    /// `covariates` channels, found by forecasting the zero window (b) and each unit window
    /// (b + column j of w): every baseline here is affine in its window. w is (H, L·(1 + C)), b
    /// is (H).
    pub fn affine(&self, lookback: usize, covariates: usize, horizon: usize) -> LinearBase {
        let width = lookback * (1 + covariates);
        let mut probes = Array2::zeros((width + 1, width)); // (W+1, W): zero, then e_j
        for j in 0..width {
            probes[[j + 1, j]] = 1.0;
        }
        let out = self.predict(probes.view(), lookback, horizon); // (W+1, H)
        let b = out.row(0).to_owned();
        let w = Array2::from_shape_fn((horizon, width), |(h, j)| out[[j + 1, h]] - b[h]);
        LinearBase { w, b }
    }
}

impl LinearMap {
    fn apply(&self, x: ArrayView1<f64>) -> Array1<f64> {
        x.dot(&self.weights) + &self.bias
    }
}

/// DLinear features: [trend (L), remainder (L)] with a centred moving average whose edges repeat
/// the first and last values.
fn dlinear_features(x: ArrayView1<f64>, kernel: usize, mut out: ArrayViewMut1<f64>) {
    let l = x.len();
    let half = (kernel - 1) / 2;
    let padded = |i: isize| x[i.clamp(0, l as isize - 1) as usize];
    for t in 0..l {
        let sum: f64 = (t as isize - half as isize..=t as isize + half as isize)
            .map(padded)
            .sum();
        let trend = sum / (2 * half + 1) as f64;
        out[t] = trend;
        out[l + t] = x[t] - trend;
    }
}

/// How a window becomes regression features (and whether targets are shifted).
#[derive(Debug, Clone, Copy)]
enum Features {
    /// The raw window (L features).
    Raw,
    /// The window minus its last value; targets shifted by the same value (L features).
    LastValue,
    /// [trend, remainder] (2L features).
    Decomposed(usize),
}

impl Features {
    /// Features of the target window alone.
    fn width(self, lookback: usize) -> usize {
        match self {
            Features::Decomposed(_) => 2 * lookback,
            _ => lookback,
        }
    }
    /// Write the features of the input `x` (target window of `lookback` values, then the
    /// covariate channels) into `out` and return the shift applied to targets.
    fn build(self, x: ArrayView1<f64>, lookback: usize, mut out: ArrayViewMut1<f64>) -> f64 {
        let target = x.slice(s![..lookback]);
        let last = target[lookback - 1];
        let own = self.width(lookback);
        out.slice_mut(s![own..]).assign(&x.slice(s![lookback..]));
        let mut out = out.slice_mut(s![..own]);
        match self {
            Features::Raw => {
                out.assign(&target);
                0.0
            }
            Features::LastValue => {
                out.zip_mut_with(&target, |o, v| *o = v - last);
                last
            }
            Features::Decomposed(kernel) => {
                dlinear_features(target, kernel, out);
                0.0
            }
        }
    }
}

/// The normal equations of min ‖[X 1] [W; b] − Y‖² + α‖W‖² over the training windows (targets
/// shifted as the features say), accumulated in chunks so the design matrix is never whole.
struct NormalEquations {
    /// [X 1]ᵀ[X 1], (F+1, F+1).
    gram: Array2<f64>,
    /// [X 1]ᵀ Y, (F+1, H).
    cross: Array2<f64>,
    /// Feature count F.
    width: usize,
}

impl NormalEquations {
    fn accumulate(train: &WindowSet, features: Features) -> Result<NormalEquations> {
        let (n, h) = (train.len(), train.horizon);
        if n == 0 {
            return Err(Error::data(
                "no training windows: the training part is shorter than lookback + horizon",
            ));
        }
        let width = features.width(train.lookback) + train.width() - train.lookback;
        let chunk = 2048.min(n);
        let mut gram = Array2::<f64>::zeros((width + 1, width + 1)); // (F+1, F+1)
        let mut cross = Array2::<f64>::zeros((width + 1, h)); // (F+1, H)
        let mut design = Array2::<f64>::zeros((chunk, width + 1)); // (chunk, F+1)
        let mut target = Array2::<f64>::zeros((chunk, h)); // (chunk, H)
        let mut input = vec![0.0; train.width()]; // (L·(1 + C))
        for begin in (0..n).step_by(chunk) {
            let rows = chunk.min(n - begin);
            for r in 0..rows {
                let i = begin + r;
                train.input_into(i, &mut input);
                let shift = features.build(
                    ArrayView1::from(&input),
                    train.lookback,
                    design.slice_mut(s![r, ..width]),
                );
                design[[r, width]] = 1.0;
                for (t, y) in target.row_mut(r).iter_mut().zip(train.target(i)) {
                    *t = y - shift;
                }
            }
            let d = design.slice(s![..rows, ..]);
            gram += &d.t().dot(&d);
            cross += &d.t().dot(&target.slice(s![..rows, ..]));
        }
        Ok(NormalEquations { gram, cross, width })
    }

    /// The map for ridge penalty `alpha` (the intercept is not penalised).
    fn solve(&self, alpha: f64) -> Result<LinearMap> {
        let mut gram = self.gram.clone();
        for j in 0..self.width {
            gram[[j, j]] += alpha;
        }
        let solution = solve(&gram, &self.cross)?;
        Ok(LinearMap {
            weights: solution.slice(s![..self.width, ..]).to_owned(),
            bias: solution.row(self.width).to_owned(),
        })
    }
}

/// Solve the symmetric positive (semi-)definite system, adding a tiny ridge if it is singular.
fn solve(gram: &Array2<f64>, cross: &Array2<f64>) -> Result<Array2<f64>> {
    let mut jitter = 0.0;
    let scale = gram.diag().iter().cloned().fold(0.0f64, f64::max).max(1e-300);
    for _ in 0..6 {
        let mut a = gram.clone();
        a.diag_mut().iter_mut().for_each(|d| *d += jitter);
        if let Ok(sol) = a.solvec(cross) {
            if sol.iter().all(|v| v.is_finite()) {
                return Ok(sol);
            }
        }
        jitter = if jitter == 0.0 {
            1e-10 * scale
        } else {
            jitter * 100.0
        };
    }
    Err(Error::runtime("the least-squares system for the linear baseline could not be solved (the training windows are degenerate)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every baseline is affine in its window and covariate channels, so its affine form
    /// forecasts exactly as it does.
    #[test]
    fn the_affine_form_of_every_baseline_forecasts_like_the_baseline() {
        for covariates in [0, 2] {
            affine_form_matches(covariates);
        }
    }

    fn affine_form_matches(covariates: usize) {
        let (l, h) = (30, 7);
        let extra = covariates * l;
        let map = |features: usize, seed: f64| LinearMap {
            weights: Array2::from_shape_fn((features, h), |(i, j)| ((i * 7 + j) as f64 * seed).sin() * 0.1),
            bias: Array1::from_shape_fn(h, |j| (j as f64 * seed).cos() * 0.2),
        };
        let windows = Array2::from_shape_fn((5, l + extra), |(r, t)| {
            ((r * l + t) as f64 * 0.37).sin() * 3.0 + r as f64
        });
        for baseline in [
            Baseline::Naive,
            Baseline::SeasonalNaive { season: 12 },
            Baseline::Linear(map(l + extra, 0.3)),
            Baseline::NLinear(map(l + extra, 0.7)),
            Baseline::DLinear {
                kernel: DLINEAR_KERNEL,
                map: map(2 * l + extra, 1.1),
            },
        ] {
            let base = baseline.affine(l, covariates, h);
            let expected = baseline.predict(windows.view(), l, h);
            let got = windows.dot(&base.w.t()) + &base.b;
            let err = (&got - &expected).fold(0.0f64, |m, d| m.max(d.abs()));
            assert!(
                err < 1e-12,
                "{baseline:?} ({covariates} channels): affine form differs by {err}"
            );
        }
    }
}
