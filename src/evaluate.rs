//! Scoring a model on a set of windows: forecasts in batches, metrics in data units and on
//! standardised values, and the per-window forecasts for `--predictions`.

use ndarray::{Array2, ArrayView2};

use crate::data::window::{ScaledSplit, WindowSet};
use crate::metrics::{Accumulator, MaseScales, Metrics};

/// Windows forecast per batch when scoring (bounds memory for long test sets).
const BATCH: usize = 4096;

/// Forecast every window of `windows` with `predict` ((N, L) standardised → (N, H)), in batches,
/// calling `visit(window index, predicted row)` for each.
pub fn for_each_forecast<P>(windows: &WindowSet, mut predict: P, mut visit: impl FnMut(usize, &[f64]))
where
    P: FnMut(ArrayView2<f64>) -> Array2<f64>,
{
    let (l, n) = (windows.lookback, windows.len());
    let mut inputs = Array2::<f64>::zeros((BATCH.min(n.max(1)), l)); // (batch, L)
    for begin in (0..n).step_by(BATCH) {
        let rows = BATCH.min(n - begin);
        for r in 0..rows {
            inputs
                .row_mut(r)
                .assign(&ndarray::ArrayView1::from(windows.input(begin + r)));
        }
        let out = predict(inputs.slice(ndarray::s![..rows, ..])); // (rows, H)
        for r in 0..rows {
            visit(begin + r, out.row(r).as_slice().expect("standard layout"));
        }
    }
}

/// Metrics with the mean absolute error (data units) of each horizon step.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// Metrics over every window and step.
    pub metrics: Metrics,
    /// MAE of step 1..=H, in data units.
    pub mae_by_step: Vec<f64>,
}

/// Score forecasts of `windows`: data-unit metrics (MASE scaled, as M4 does, by each series'
/// in-sample seasonal-naive error with period `season` over everything before the window's
/// origin) and standardised MSE/MAE.
pub fn score<P>(
    prepared: &ScaledSplit,
    raw: &[&[f64]],
    windows: &WindowSet,
    season: usize,
    predict: P,
) -> Metrics
where
    P: FnMut(ArrayView2<f64>) -> Array2<f64>,
{
    score_by_step(prepared, raw, windows, season, predict).metrics
}

/// [`score`], plus the MAE of each horizon step.
pub fn score_by_step<P>(
    prepared: &ScaledSplit,
    raw: &[&[f64]],
    windows: &WindowSet,
    season: usize,
    predict: P,
) -> Scored
where
    P: FnMut(ArrayView2<f64>) -> Array2<f64>,
{
    // M4's MASE: each window is scaled by the series' in-sample error before its own origin
    let scales: Vec<MaseScales> = raw.iter().map(|r| MaseScales::new(r, season)).collect();
    let mut acc = Accumulator::default();
    let h = windows.horizon;
    let mut actual = vec![0.0; h];
    let mut predicted = vec![0.0; h];
    let mut step_abs = vec![0.0; h];
    for_each_forecast(windows, predict, |i, row| {
        let (s, t) = windows.starts[i];
        let scaler = prepared.scalers[s];
        actual.copy_from_slice(&raw[s][t + windows.lookback..t + windows.lookback + h]);
        for (p, v) in predicted.iter_mut().zip(row) {
            *p = scaler.unscale(*v);
        }
        acc.add(
            &actual,
            &predicted,
            scales[s].at(t + windows.lookback),
            scaler.std,
        );
        for (sum, (y, p)) in step_abs.iter_mut().zip(actual.iter().zip(&predicted)) {
            *sum += (y - p).abs();
        }
    });
    let n = windows.len() as f64;
    Scored {
        metrics: acc.finish(),
        mae_by_step: step_abs.into_iter().map(|s| s / n).collect(),
    }
}
