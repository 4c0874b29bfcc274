//! Scoring a model on a set of windows: forecasts in batches, metrics in data units and on
//! standardised values (with the interval scores when the model has calibrated intervals), and
//! the per-window forecasts for `--predictions`.

use ndarray::{Array2, ArrayView2};

use crate::data::window::{ScaledSplit, Scaler, WindowSet};
use crate::metrics::{Accumulator, MaseScales, Metrics};
use crate::model::{Fitted, Forecast};

/// Windows forecast per batch when scoring (bounds memory for long test sets).
const BATCH: usize = 4096;

/// Forecast every window of `windows` with `forecast` ((N, L) standardised → point forecasts and
/// bands), in batches, calling `visit(window index, batch forecast, row in the batch)` for each.
pub fn for_each_forecast<P>(
    windows: &WindowSet,
    mut forecast: P,
    mut visit: impl FnMut(usize, &Forecast, usize),
) where
    P: FnMut(ArrayView2<f64>) -> Forecast,
{
    let (width, n) = (windows.width(), windows.len());
    let mut inputs = Array2::<f64>::zeros((BATCH.min(n.max(1)), width)); // (batch, L·(1 + C))
    for begin in (0..n).step_by(BATCH) {
        let rows = BATCH.min(n - begin);
        for r in 0..rows {
            let row = inputs.row_mut(r).into_slice().expect("standard layout");
            windows.input_into(begin + r, row);
        }
        let out = forecast(inputs.slice(ndarray::s![..rows, ..])); // (rows, H) and bands
        for r in 0..rows {
            visit(begin + r, &out, r);
        }
    }
}

/// The point forecasts of `fitted` for every window of `windows`, in data units: (N, H), row i
/// the forecast of window i (`compare --predictions`).
pub fn point_forecasts(prepared: &ScaledSplit, windows: &WindowSet, fitted: &Fitted) -> Array2<f64> {
    let mut out = Array2::<f64>::zeros((windows.len(), windows.horizon)); // (N, H)
    for_each_forecast(
        windows,
        |x| fitted.forecast(x),
        |i, forecast, row| {
            let scaler = prepared.scalers[windows.starts[i].0];
            for (o, v) in out.row_mut(i).iter_mut().zip(forecast.point.row(row)) {
                *o = scaler.unscale(*v);
            }
        },
    );
    out
}

/// Metrics with the mean absolute error (data units) of each horizon step.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// Metrics over every window and step.
    pub metrics: Metrics,
    /// MAE of step 1..=H, in data units.
    pub mae_by_step: Vec<f64>,
}

/// Score `fitted`'s forecasts of `windows`: data-unit metrics (MASE and MSIS scaled, as M4 does,
/// by each series' in-sample seasonal-naive error with period `season` over everything before
/// the window's origin), standardised MSE/MAE, the interval scores when it has calibrated
/// intervals, and the MAE of each horizon step.
pub fn score_by_step(
    prepared: &ScaledSplit,
    raw: &[&[f64]],
    windows: &WindowSet,
    season: usize,
    fitted: &Fitted,
) -> Scored {
    // M4's MASE: each window is scaled by the series' in-sample error before its own origin
    let scales: Vec<MaseScales> = raw.iter().map(|r| MaseScales::new(r, season)).collect();
    // standardised errors are in units of each series' training standard deviation of its values,
    // whatever the models forecast (logarithms with `--transform log`)
    let value_std: Vec<f64> = (prepared.scalers.iter().zip(&prepared.bounds).zip(raw))
        .map(|((scaler, b), r)| {
            if scaler.log {
                Scaler::fit(&r[..b[1]]).std
            } else {
                scaler.std
            }
        })
        .collect();
    let mut acc = Accumulator::default();
    let h = windows.horizon;
    let mut actual = vec![0.0; h];
    let mut predicted = vec![0.0; h];
    let mut step_abs = vec![0.0; h];
    let mut bounds: Vec<(f64, Vec<f64>, Vec<f64>)> = Vec::new(); // (level, lower (H), upper (H))
    for_each_forecast(
        windows,
        |x| fitted.forecast(x),
        |i, forecast, row| {
            let (s, t) = windows.starts[i];
            let scaler = prepared.scalers[s];
            let unscale = |out: &mut [f64], from: &Array2<f64>| {
                for (o, v) in out.iter_mut().zip(from.row(row)) {
                    *o = scaler.unscale(*v);
                }
            };
            actual.copy_from_slice(&raw[s][t + windows.lookback..t + windows.lookback + h]);
            unscale(&mut predicted, &forecast.point);
            let scale = scales[s].at(t + windows.lookback);
            acc.add(&actual, &predicted, scale, value_std[s]);
            for (sum, (y, p)) in step_abs.iter_mut().zip(actual.iter().zip(&predicted)) {
                *sum += (y - p).abs();
            }
            if !forecast.bands.is_empty() {
                bounds.resize_with(forecast.bands.len(), || (0.0, vec![0.0; h], vec![0.0; h]));
                for ((level, lower, upper), band) in bounds.iter_mut().zip(&forecast.bands) {
                    *level = band.level;
                    unscale(lower, &band.lower);
                    unscale(upper, &band.upper);
                }
                let bands: Vec<_> = bounds
                    .iter()
                    .map(|(level, lower, upper)| (*level, lower.as_slice(), upper.as_slice()))
                    .collect();
                acc.add_intervals(&actual, &predicted, &bands, scale);
            }
        },
    );
    let n = windows.len() as f64;
    Scored {
        metrics: acc.finish(),
        mae_by_step: step_abs.into_iter().map(|s| s / n).collect(),
    }
}
