//! The public LTSF protocol's score (`../shared/docs/benchmarks.md` §1): MSE and MAE over every
//! test window, step and series on standardised values, optionally over whole batches of test
//! windows only (PatchTST's `drop_last` test loader). Calibrated intervals are scored on the same
//! standardised values: coverage and MSIS (scaled, as MASE, by the standardised series before
//! each window's origin) are what they are in data units; the CRPS is relative to the standardised values' mean |y|.

use crate::data::window::SplitPart;
use crate::error::{Error, Result};
use crate::evaluate::for_each_forecast;
use crate::metrics::{Accumulator, Band, IntervalMetrics, MaseScales};
use crate::model::Fitted;

use super::experiment::Experiment;

/// Standardised errors over the test windows.
#[derive(Debug, Clone, PartialEq)]
pub struct Standardised {
    /// Test windows scored.
    pub windows: usize,
    /// Mean squared error on standardised values.
    pub mse: f64,
    /// Mean absolute error on standardised values.
    pub mae: f64,
    /// Points scored (windows × horizon).
    pub points: usize,
    /// Scores of the calibrated intervals (none without them).
    pub intervals: IntervalMetrics,
}

impl Experiment<'_> {
    /// Score `fitted` on the windows of `part` (the test part, or the validation part when
    /// choosing settings) as the LTSF protocol does; with `drop_last` only the first whole
    /// batches of that many windows. `visit(window, actual, predicted, bands)` sees every
    /// forecast and its intervals (standardised values).
    pub fn score_standardised(
        &self,
        fitted: &Fitted,
        part: SplitPart,
        drop_last: Option<usize>,
        mut visit: impl FnMut(usize, &[f64], &[f64], &[Band]),
    ) -> Result<Standardised> {
        let mut test = self.windows(part);
        if let Some(batch) = drop_last {
            let keep = test.len() / batch.max(1) * batch.max(1);
            test.starts.truncate(keep);
        }
        if test.is_empty() {
            let name = if part == SplitPart::Test {
                "test"
            } else {
                "validation"
            };
            return Err(Error::data(format!(
                "the {name} part holds no complete window; use a shorter --horizon or a larger {name} split"
            )));
        }
        // the accumulator's "data units" are the standardised values here
        let mut errors = Accumulator::default();
        let scales: Vec<MaseScales> = (self.split.values.iter())
            .map(|v| MaseScales::new(v, self.windowing.season))
            .collect();
        for_each_forecast(
            &test,
            |x| fitted.forecast(x),
            |i, forecast, row| {
                let row_of = |a: &ndarray::Array2<f64>| a.row(row).to_vec();
                let predicted = row_of(&forecast.point);
                let bounds: Vec<(f64, Vec<f64>, Vec<f64>)> = forecast
                    .bands
                    .iter()
                    .map(|b| (b.level, row_of(&b.lower), row_of(&b.upper)))
                    .collect();
                let bands: Vec<Band> = bounds
                    .iter()
                    .map(|(l, lo, hi)| (*l, lo.as_slice(), hi.as_slice()))
                    .collect();
                errors.add(test.target(i), &predicted, None, 1.0);
                if !bands.is_empty() {
                    let (s, t) = test.starts[i];
                    let scale = scales[s].at(t + test.lookback);
                    errors.add_intervals(test.target(i), &predicted, &bands, scale);
                }
                visit(i, test.target(i), &predicted, &bands);
            },
        );
        let scored = errors.finish();
        Ok(Standardised {
            windows: test.len(),
            mse: scored.mse_std,
            mae: scored.mae_std,
            points: scored.points,
            intervals: scored.intervals,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::window::{Split, Transform};
    use crate::model::{ModelConfig, Silent};
    use crate::pipeline::Windowing;

    /// Repeat-last on a ramp: every standardised error is a multiple of the ramp's step.
    #[test]
    fn naive_errors_on_a_ramp_and_whole_batches_only() {
        let dataset = crate::pipeline::one_series((0..100).map(f64::from).collect());
        let windowing = Windowing {
            lookback: 4,
            horizon: 2,
            season: 1,
            split: Split::Rows(60, 20, 20),
            stride: 1,
            transform: Transform::None,
        };
        let experiment = Experiment::new(&dataset, windowing).unwrap();
        let naive = experiment.forecaster(ModelConfig::Naive).unwrap();
        let fitted = experiment.fit(&naive, &mut Silent).unwrap();
        let std = experiment.split.scalers[0].std;
        let mut seen = 0;
        let all = experiment
            .score_standardised(&fitted, SplitPart::Test, None, |_, actual, predicted, _| {
                seen += 1;
                assert_eq!(actual.len(), predicted.len());
            })
            .unwrap();
        // errors of 1 and 2 steps, in standardised units
        assert_eq!((all.windows, seen, all.points), (19, 19, 38));
        assert!((all.mae - 1.5 / std).abs() < 1e-12);
        assert!((all.mse - 2.5 / (std * std)).abs() < 1e-12);
        let batched = experiment
            .score_standardised(&fitted, SplitPart::Test, Some(8), |_, _, _, _| {})
            .unwrap();
        assert_eq!(batched.windows, 16);
    }
}
