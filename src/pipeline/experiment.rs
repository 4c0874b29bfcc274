//! [`Experiment`]: one dataset cut one way (settled windows, a chronological split, training-only
//! scaling), on which models are fitted and their test windows scored in the data's units.

use crate::data::window::{describe, ScaledSplit, SplitPart, WindowSet};
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::evaluate::{score_by_step, Scored};
use crate::model::{Fitted, Forecaster, ModelConfig, Progress};

use super::windowing::Windowing;

/// A dataset with its settled windows and scaled split.
#[derive(Debug, Clone)]
pub struct Experiment<'a> {
    /// The data.
    pub dataset: &'a Dataset,
    /// The window geometry.
    pub windowing: Windowing,
    /// Every series scaled by its training rows, with its split bounds.
    pub split: ScaledSplit,
}

impl<'a> Experiment<'a> {
    /// Split and scale `dataset` as `windowing` says; errors name a series that is too short.
    pub fn new(dataset: &'a Dataset, windowing: Windowing) -> Result<Experiment<'a>> {
        let series: Vec<(&str, &[f64])> = dataset
            .series
            .iter()
            .map(|s| (s.id.as_str(), s.values.as_slice()))
            .collect();
        let split = ScaledSplit::new(&series, windowing.split, windowing.lookback, windowing.horizon)?;
        Ok(Experiment {
            dataset,
            windowing,
            split,
        })
    }

    /// A forecaster of `config` for these windows.
    pub fn forecaster(&self, config: ModelConfig) -> Result<Forecaster> {
        let w = &self.windowing;
        Forecaster::new(config, w.lookback, w.horizon, w.season)
    }

    /// The windows whose targets lie in `part` (training windows thinned by the stride).
    pub fn windows(&self, part: SplitPart) -> WindowSet {
        let stride = match part {
            SplitPart::Train => self.windowing.stride,
            SplitPart::Validation | SplitPart::Test => 1,
        };
        self.split.windows(part, stride)
    }

    /// An error when the test part holds no complete window (nothing to score); a note when the
    /// validation part holds none (no selection: early stopping watches the training loss).
    pub fn require_test_windows(&self, progress: &mut dyn Progress) -> Result<()> {
        let w = &self.windowing;
        if self.windows(SplitPart::Test).is_empty() {
            return Err(Error::data(format!(
                "the test part of split {} holds no complete window of horizon {}; give the test part at least {} rows",
                describe(&w.split),
                w.horizon,
                w.horizon
            )));
        }
        if self.windows(SplitPart::Validation).is_empty() {
            progress.note("note: the validation part holds no complete window: no model selection, early stopping watches the training loss");
        }
        Ok(())
    }

    /// Fit `forecaster` on the training windows, selecting on the validation windows.
    pub fn fit(&self, forecaster: &Forecaster, progress: &mut dyn Progress) -> Result<Fitted> {
        let train = self.windows(SplitPart::Train);
        let validation = self.windows(SplitPart::Validation);
        forecaster.fit(&train, &validation, progress)
    }

    /// The test windows' metrics in the data's units (MASE scaled by each series' training part)
    /// and on standardised values, with the MAE of each horizon step.
    pub fn score(&self, fitted: &Fitted) -> Scored {
        let raw: Vec<&[f64]> = self.dataset.series.iter().map(|s| s.values.as_slice()).collect();
        let test = self.windows(SplitPart::Test);
        score_by_step(&self.split, &raw, &test, self.windowing.season, |x| {
            fitted.predict(x)
        })
    }
}
