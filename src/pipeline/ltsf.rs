//! The public LTSF protocol's score (`../shared/docs/benchmarks.md` §1): MSE and MAE over every
//! test window, step and series on standardised values, optionally over whole batches of test
//! windows only (PatchTST's `drop_last` test loader).

use crate::data::window::SplitPart;
use crate::error::{Error, Result};
use crate::evaluate::for_each_forecast;
use crate::metrics::Accumulator;
use crate::model::Fitted;

use super::experiment::Experiment;

/// Standardised errors over the test windows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Standardised {
    /// Test windows scored.
    pub windows: usize,
    /// Mean squared error on standardised values.
    pub mse: f64,
    /// Mean absolute error on standardised values.
    pub mae: f64,
    /// Points scored (windows × horizon).
    pub points: usize,
}

impl Experiment<'_> {
    /// Score `fitted` on the windows of `part` (the test part, or the validation part when
    /// choosing settings) as the LTSF protocol does; with `drop_last` only the first whole
    /// batches of that many windows. `visit(window, actual, predicted)` sees every forecast
    /// (standardised values).
    pub fn score_standardised(
        &self,
        fitted: &Fitted,
        part: SplitPart,
        drop_last: Option<usize>,
        mut visit: impl FnMut(usize, &[f64], &[f64]),
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
        for_each_forecast(
            &test,
            |x| fitted.predict(x),
            |i, predicted| {
                errors.add(test.target(i), predicted, None, 1.0);
                visit(i, test.target(i), predicted);
            },
        );
        let scored = errors.finish();
        Ok(Standardised {
            windows: test.len(),
            mse: scored.mse_std,
            mae: scored.mae_std,
            points: scored.points,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::window::Split;
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
        };
        let experiment = Experiment::new(&dataset, windowing).unwrap();
        let naive = experiment.forecaster(ModelConfig::Naive).unwrap();
        let fitted = experiment.fit(&naive, &mut Silent).unwrap();
        let std = experiment.split.scalers[0].std;
        let mut seen = 0;
        let all = experiment
            .score_standardised(&fitted, SplitPart::Test, None, |_, actual, predicted| {
                seen += 1;
                assert_eq!(actual.len(), predicted.len());
            })
            .unwrap();
        // errors of 1 and 2 steps, in standardised units
        assert_eq!((all.windows, seen, all.points), (19, 19, 38));
        assert!((all.mae - 1.5 / std).abs() < 1e-12);
        assert!((all.mse - 2.5 / (std * std)).abs() < 1e-12);
        let batched = experiment
            .score_standardised(&fitted, SplitPart::Test, Some(8), |_, _, _| {})
            .unwrap();
        assert_eq!(batched.windows, 16);
    }
}
