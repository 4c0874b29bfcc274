//! Refitting for production: after a model is scored on the test part, the model that is saved
//! is trained again on every row of the data with the settings the evaluation chose, so its
//! forecasts use the most recent observations.
//!
//! The refit reuses what selection resolved and selects nothing itself (there is no held-out
//! part left): the ridge penalty chosen on validation, the season, the patches, and for neural
//! models the number of epochs early stopping kept, over the larger data
//! ([`ModelConfig::for_refit`](crate::model::ModelConfig::for_refit)). Scaling statistics come
//! from every row. The prediction intervals keep the evaluated model's calibration (no part of
//! the data is left to calibrate on). The scores reported are those of the evaluated model; the
//! model file says which model it holds.

use crate::data::window::{Split, SplitPart};
use crate::error::Result;
use crate::model::{Fitted, Progress};

use super::experiment::Experiment;
use super::windowing::Windowing;

/// A model refitted on all rows, with the experiment it was fitted on.
#[derive(Debug, Clone)]
pub struct Refitted<'a> {
    /// Every row as training data, scaled by every row.
    pub experiment: Experiment<'a>,
    /// The refitted model.
    pub fitted: Fitted,
    /// Rows per series the refit trained on (the first series; all of them for a single series).
    pub rows: usize,
    /// Training windows of the evaluated fit and of the refit.
    pub windows: (usize, usize),
}

impl<'a> Experiment<'a> {
    /// The same data and windows with every row in the training part (scaling statistics from
    /// every row, no validation or test part).
    pub fn all_rows(&self) -> Result<Experiment<'a>> {
        let windowing = Windowing {
            split: Split::Fractions(1.0, 0.0, 0.0),
            ..self.windowing.clone()
        };
        Experiment::new(self.dataset, windowing)
    }

    /// Train `evaluated` (fitted on this experiment's training part) again on every row, with
    /// the settings its fit resolved; the refit's epochs and notes go to `progress`.
    pub fn refit(&self, evaluated: &Fitted, progress: &mut dyn Progress) -> Result<Refitted<'a>> {
        let all = self.all_rows()?;
        let windows = (
            self.windows(SplitPart::Train).len(),
            all.windows(SplitPart::Train).len(),
        );
        let fitted = all.fit_again(evaluated, progress)?;
        Ok(Refitted {
            rows: self.dataset.series.first().map_or(0, |s| s.values.len()),
            experiment: all,
            fitted,
            windows,
        })
    }

    /// Train `evaluated` (fitted on fewer rows of the same series) again on this experiment's
    /// training part, with the settings its fit resolved and as many epochs as it kept (over
    /// more windows); the intervals keep `evaluated`'s calibration (no part is left out to
    /// calibrate on).
    pub fn fit_again(&self, evaluated: &Fitted, progress: &mut dyn Progress) -> Result<Fitted> {
        let config = evaluated.config().for_refit();
        let mut fitted = self.fit(&self.forecaster(config)?, progress)?;
        fitted.set_intervals(evaluated.intervals().cloned())?;
        Ok(fitted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::window::Transform;
    use crate::model::{ModelConfig, ModelKind, Silent};
    use crate::nn::rng::Rng;

    /// Noise around 0 for the first four fifths, around 10 in the last fifth (the test part).
    fn level_shift() -> crate::data::Dataset {
        let mut rng = Rng::new(5);
        let values = (0..600)
            .map(|t| if t < 480 { 0.0 } else { 10.0 } + rng.normal())
            .collect();
        crate::pipeline::one_series(values)
    }

    fn experiment(dataset: &crate::data::Dataset) -> Experiment<'_> {
        let windowing = Windowing {
            lookback: 24,
            horizon: 6,
            season: 1,
            split: Split::default(),
            stride: 1,
            transform: Transform::None,
        };
        Experiment::new(dataset, windowing).unwrap()
    }

    fn mean_forecast(experiment: &Experiment, fitted: &Fitted) -> f64 {
        let next = experiment.forecast_after(fitted, 6).unwrap();
        next[0].values.iter().sum::<f64>() / 6.0
    }

    /// With `--transform log` an exponential series is a line: NLinear forecasts its logarithms
    /// exactly, so the forecast after the data (through the model file's statistics, which keep
    /// the transform) continues the growth, refitted or not.
    #[test]
    fn a_log_model_forecasts_the_continuation_of_exponential_growth() {
        let dataset = crate::pipeline::one_series((0..300).map(|t| 3.0 * (0.01 * t as f64).exp()).collect());
        let windowing = Windowing {
            transform: Transform::Log,
            ..experiment(&dataset).windowing.clone()
        };
        let experiment = Experiment::new(&dataset, windowing).unwrap();
        assert!(experiment.split.scalers[0].log);
        let nlinear = experiment
            .forecaster(ModelConfig::for_kind(ModelKind::NLinear))
            .unwrap();
        let fitted = experiment.fit(&nlinear, &mut Silent).unwrap();
        let file = experiment.model_file(&fitted, Vec::new());
        assert!(file.series[0].log);
        // a history with a value ≤ 0 cannot be forecast on logarithms: a data error
        let mut history = crate::pipeline::History::stored(&file);
        *history[0].values.last_mut().unwrap() = 0.0;
        let err = crate::pipeline::forecast(&file, &fitted, &history, None, 6).unwrap_err();
        assert!(
            err.to_string().contains("logarithms") && err.exit_code() == 1,
            "{err}"
        );
        let refitted = experiment.refit(&fitted, &mut Silent).unwrap();
        for (experiment, fitted) in [(&experiment, &fitted), (&refitted.experiment, &refitted.fitted)] {
            let next = experiment.forecast_after(fitted, 6).unwrap();
            for (k, v) in next[0].values.iter().enumerate() {
                let want = 3.0 * (0.01 * (300 + k) as f64).exp();
                assert!((v / want - 1.0).abs() < 1e-3, "step {k}: {v} against {want}");
            }
        }
    }

    /// The evaluated model never saw the new level; the refitted one did, and its forecast
    /// after the end of the data follows it.
    #[test]
    fn after_a_level_shift_in_the_last_fifth_the_refitted_forecast_follows_the_new_level() {
        let dataset = level_shift();
        let experiment = experiment(&dataset);
        let linear = experiment
            .forecaster(ModelConfig::for_kind(ModelKind::Linear))
            .unwrap();
        let evaluated = experiment.fit(&linear, &mut Silent).unwrap();
        let refitted = experiment.refit(&evaluated, &mut Silent).unwrap();
        let before = mean_forecast(&experiment, &evaluated);
        let after = mean_forecast(&refitted.experiment, &refitted.fitted);
        assert!((after - 10.0).abs() < 1.5, "refitted forecast {after}");
        assert!((before - 10.0).abs() > 4.0, "evaluated forecast {before}");
        // scaling from every row: the mean sees the new level
        let scaler = refitted.experiment.split.scalers[0];
        assert!((scaler.mean - 2.0).abs() < 0.3, "{scaler:?}");
        assert_eq!(refitted.rows, 600);
        assert!(refitted.windows.1 > refitted.windows.0);
        // the penalty was chosen once, on validation, and reused
        assert_eq!(
            refitted.fitted.config().linear().unwrap().alpha,
            evaluated.config().linear().unwrap().alpha
        );
    }

    /// A neural refit trains as many epochs as early stopping kept, over every row, with no
    /// early stopping of its own.
    #[test]
    fn a_neural_refit_trains_the_kept_epochs_over_all_rows() {
        let dataset = level_shift();
        let experiment = experiment(&dataset);
        let mut config = ModelConfig::for_kind(ModelKind::Lstm);
        let n = config.neural_mut().unwrap();
        (n.network.width, n.train.epochs, n.train.patience) = (8, 3, 1);
        let evaluated = experiment
            .fit(&experiment.forecaster(config).unwrap(), &mut Silent)
            .unwrap();
        let refitted = experiment.refit(&evaluated, &mut Silent).unwrap();
        let kept = evaluated.config().neural().unwrap().best_epochs();
        let (train, all) = refitted.windows;
        // at least one epoch, or none when training kept the linear base alone
        let least = usize::from(n_base(&evaluated).is_none());
        let expected = (kept.round() as usize).max(least);
        assert!(all > train, "{all} {train}");
        let refit = refitted.fitted.config().neural().unwrap();
        assert_eq!(refit.train.epochs, expected);
        assert_eq!(refit.train.patience, 0);
        assert_eq!(refitted.fitted.report().history.len(), expected);
    }

    fn n_base(fitted: &Fitted) -> Option<crate::model::BaseConfig> {
        fitted.config().neural().unwrap().base
    }

    /// A network whose training kept epoch 0 is its linear base; its refit trains no epoch and
    /// is the base fitted on every row (the resolved penalty), not a network trained unwatched.
    #[test]
    fn a_refit_of_a_model_that_kept_its_base_is_the_base_on_all_rows() {
        let dataset = level_shift();
        let experiment = experiment(&dataset);
        let mut config = ModelConfig::for_kind(ModelKind::Lstm);
        let n = config.neural_mut().unwrap();
        n.network.width = 8;
        n.base = Some(crate::model::BaseConfig {
            alpha: Some(1.0),
            ..crate::model::BaseConfig::frozen(ModelKind::NLinear)
        });
        n.result = vec![crate::model::TrainingResult {
            best_epoch: 0,
            epochs_run: 5,
            best_validation_loss: 0.5,
        }];
        let all = experiment.all_rows().unwrap();
        let refit = config.for_refit();
        assert_eq!(refit.neural().unwrap().train.epochs, 0);
        let fitted = all.fit(&all.forecaster(refit).unwrap(), &mut Silent).unwrap();
        assert!(fitted.report().history.is_empty());
        // the loss it records is finite, so the model file can store it
        assert!(fitted.config().neural().unwrap().result[0]
            .best_validation_loss
            .is_finite());
        let mut nlinear = ModelConfig::for_kind(ModelKind::NLinear);
        nlinear.linear_mut().unwrap().alpha = Some(1.0);
        let base = all.fit(&all.forecaster(nlinear).unwrap(), &mut Silent).unwrap();
        let x = all.windows(SplitPart::Train).inputs();
        let err = (fitted.predict(x.view()) - base.predict(x.view())).fold(0.0f64, |m, d| m.max(d.abs()));
        assert!(err < 1e-5, "the refit differs from its base by {err}");
    }
}
