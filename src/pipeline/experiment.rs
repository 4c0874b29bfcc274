//! [`Experiment`]: one dataset cut one way (settled windows, a chronological split, training-only
//! scaling), on which models are fitted and their test windows scored in the data's units.

use ndarray::Array2;

use crate::data::window::{describe, ScaledSplit, SplitPart, WindowSet};
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::evaluate::{point_forecasts, score_by_step, Scored};
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
        let series = dataset.targets_by_id();
        let (l, h) = (windowing.lookback, windowing.horizon);
        check_covariate_lookback(dataset, &windowing)?;
        let split = ScaledSplit::with_transform(&series, windowing.split, l, h, windowing.transform)?;
        let ends: Vec<usize> = split.bounds.iter().map(|b| b[1]).collect();
        let split = with_covariates(dataset, &windowing, split, &ends);
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

    /// Calibrate `fitted`'s prediction intervals at `levels` (percent) on the validation windows
    /// (nothing when `levels` is empty); an error when there are no validation windows.
    pub fn calibrate(&self, fitted: &mut Fitted, levels: &[f64]) -> Result<()> {
        if levels.is_empty() {
            return Ok(());
        }
        fitted.calibrate(&self.windows(SplitPart::Validation), levels)
    }

    /// The test windows' metrics in the data's units (MASE and MSIS scaled by each series'
    /// training part) and on standardised values, with the interval scores when `fitted` has
    /// calibrated intervals and the MAE of each horizon step.
    pub fn score(&self, fitted: &Fitted) -> Scored {
        let raw: Vec<&[f64]> = self.dataset.series.iter().map(|s| s.values.as_slice()).collect();
        let test = self.windows(SplitPart::Test);
        score_by_step(&self.split, &raw, &test, self.windowing.season, fitted)
    }

    /// The point forecasts of every test window in the data's units: (N, H), in the order of
    /// [`Experiment::windows`]'s test windows.
    pub fn forecasts(&self, fitted: &Fitted) -> Array2<f64> {
        point_forecasts(&self.split, &self.windows(SplitPart::Test), fitted)
    }
}

/// Future-known channels are read over the horizon through a window of the lookback's length, so
/// they need L ≥ H (with L < H the first H − L steps would not see their own values).
pub(crate) fn check_covariate_lookback(dataset: &Dataset, windowing: &Windowing) -> Result<()> {
    let (l, h) = (windowing.lookback, windowing.horizon);
    if l < h && dataset.covariates.iter().any(|c| c.kind.known_ahead()) {
        return Err(Error::usage(format!(
            "future-known covariates and calendar features are read over the horizon through a window of \
             the lookback's length, so they need a lookback of at least the horizon; lookback {l} < horizon {h}: \
             pass a longer --lookback or a shorter --horizon"
        )));
    }
    Ok(())
}

/// `split` with the covariate channels of `dataset` (unchanged without), each scaled by its
/// series' rows before `train_ends`; future-known channels are read a horizon ahead.
pub(crate) fn with_covariates(
    dataset: &Dataset,
    windowing: &Windowing,
    split: ScaledSplit,
    train_ends: &[usize],
) -> ScaledSplit {
    if dataset.covariates.is_empty() {
        return split;
    }
    let raw: Vec<&[Vec<f64>]> = dataset.series.iter().map(|s| s.covariates.as_slice()).collect();
    let ahead = dataset
        .covariates
        .iter()
        .map(|c| {
            if c.kind.known_ahead() {
                windowing.horizon
            } else {
                0
            }
        })
        .collect();
    split.with_channels_scaled_on(&raw, ahead, train_ends)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::window::{Split, Transform};
    use crate::model::{IntervalMethod, ModelKind, Silent};
    use crate::nn::rng::Rng;

    /// White noise: every window is exchangeable, so conformal intervals calibrated on the
    /// validation windows cover the test windows at about their level.
    fn noise() -> crate::data::Dataset {
        let mut rng = Rng::new(11);
        crate::pipeline::one_series((0..4000).map(|_| 5.0 + rng.normal()).collect())
    }

    fn experiment(dataset: &crate::data::Dataset) -> Experiment<'_> {
        let windowing = Windowing {
            lookback: 16,
            horizon: 4,
            season: 1,
            split: Split::Fractions(0.5, 0.25, 0.25),
            stride: 1,
            transform: Transform::None,
        };
        Experiment::new(dataset, windowing).unwrap()
    }

    #[test]
    fn conformal_intervals_cover_exchangeable_test_windows_at_their_level() {
        let dataset = noise();
        let experiment = experiment(&dataset);
        for method in [IntervalMethod::Conformal, IntervalMethod::Scaled] {
            let forecaster = experiment
                .forecaster(ModelConfig::for_kind(ModelKind::Linear))
                .unwrap();
            let mut fitted = experiment.fit(&forecaster, &mut Silent).unwrap();
            let validation = experiment.windows(SplitPart::Validation);
            fitted.calibrate_with(method, &validation, &[80.0, 95.0]).unwrap();
            let scored = experiment.score(&fitted).metrics;
            let levels = &scored.intervals.levels;
            assert_eq!(levels.len(), 2, "{method:?}");
            for (m, nominal) in levels.iter().zip([80.0, 95.0]) {
                assert_eq!(m.level, nominal);
                assert!((m.coverage - nominal).abs() < 3.0, "{method:?}: {m:?}");
                assert!(m.msis.is_finite() && m.msis > 0.0);
            }
            assert!(scored.intervals.crps > 0.0 && scored.intervals.crps < 1.0);
        }
    }

    /// A network trained on the pinball loss forecasts its own quantiles; calibrated by CQR
    /// they cover the test windows, and its bands never cross.
    #[test]
    fn a_quantile_network_gives_ordered_calibrated_bands() {
        let dataset = noise();
        let experiment = experiment(&dataset);
        let mut config = ModelConfig::for_kind(ModelKind::Lstm);
        let neural = config.neural_mut().unwrap();
        (neural.network.width, neural.train.epochs, neural.base) = (8, 3, None);
        neural.learn_quantiles(&[80.0, 95.0]).unwrap();
        let mut fitted = experiment
            .fit(&experiment.forecaster(config).unwrap(), &mut Silent)
            .unwrap();
        assert_eq!(fitted.quantiles(), &[0.025, 0.1, 0.5, 0.9, 0.975]);
        experiment.calibrate(&mut fitted, &[80.0, 95.0]).unwrap();
        assert_eq!(fitted.intervals().unwrap().method, IntervalMethod::Quantile);
        let test = experiment.windows(SplitPart::Test);
        let forecast = fitted.forecast(test.inputs().view());
        let [eighty, ninety_five] = &forecast.bands[..] else {
            panic!("two bands")
        };
        for (((lo95, lo80), hi80), hi95) in (ninety_five.lower.iter().zip(&eighty.lower))
            .zip(&eighty.upper)
            .zip(&ninety_five.upper)
        {
            assert!(lo95 <= lo80 && lo80 <= hi80 && hi80 <= hi95);
        }
        let coverage = experiment.score(&fitted).metrics.intervals.levels[1].coverage;
        assert!((coverage - 95.0).abs() < 3.0, "{coverage}");
        // a level the network has no quantiles for cannot be calibrated by CQR
        let e = fitted.calibrate(&test, &[90.0]).unwrap_err();
        assert!(e.to_string().contains("--level 90"), "{e}");
    }

    #[test]
    fn intervals_need_validation_windows() {
        let dataset = noise();
        let mut windowing = experiment(&dataset).windowing;
        windowing.split = Split::Fractions(0.75, 0.0, 0.25);
        let experiment = Experiment::new(&dataset, windowing).unwrap();
        let mut fitted = experiment
            .fit(&experiment.forecaster(ModelConfig::Naive).unwrap(), &mut Silent)
            .unwrap();
        experiment.calibrate(&mut fitted, &[]).unwrap();
        assert!(fitted.intervals().is_none());
        let e = experiment.calibrate(&mut fitted, &[90.0]).unwrap_err();
        assert!(e.to_string().contains("validation"), "{e}");
    }
}
