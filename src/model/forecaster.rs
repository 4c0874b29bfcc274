//! [`Forecaster`]: settings checked against a lookback, horizon and season, fitted on training
//! windows with the validation windows for selection (the ridge penalty, early stopping).

use std::time::Instant;

use super::config::{LinearConfig, ModelConfig, ALPHA_GRID};
use super::fitted::{FitReport, Fitted};
use super::kind::ModelKind;
use super::neural;
use super::progress::Progress;
use crate::baseline::{Baseline, BaselineKind};
use crate::data::window::WindowSet;
use crate::error::{Error, Result};

/// A model to fit: validated settings with the window geometry they were checked against.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecaster {
    config: ModelConfig,
    lookback: usize,
    horizon: usize,
    season: usize,
}

impl Forecaster {
    /// Check `config` for windows of `lookback` → `horizon` on data with season `season` (the
    /// seasonal naive default). Usage errors name the flag to change.
    pub fn new(config: ModelConfig, lookback: usize, horizon: usize, season: usize) -> Result<Forecaster> {
        config.validate()?;
        if lookback == 0 || horizon == 0 {
            return Err(Error::usage("--lookback and --horizon must be at least 1"));
        }
        if let ModelConfig::SeasonalNaive { season: asked } = &config {
            let season = asked.unwrap_or(season);
            if season == 0 || season > lookback {
                return Err(Error::usage(format!(
                    "seasonal naive needs the season ({season}) to be between 1 and the lookback ({lookback}); \
                     pass --season N or a longer --lookback"
                )));
            }
        }
        if let Some(n) = config.neural() {
            n.forecaster(lookback, horizon)
                .map_err(|e| Error::usage(format!("model settings: {e}")))?;
        }
        Ok(Forecaster {
            config,
            lookback,
            horizon,
            season,
        })
    }

    /// The settings.
    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// The model kind.
    pub fn kind(&self) -> ModelKind {
        self.config.kind()
    }

    /// Lookback L.
    pub fn lookback(&self) -> usize {
        self.lookback
    }

    /// Horizon H.
    pub fn horizon(&self) -> usize {
        self.horizon
    }

    /// The data's season.
    pub fn season(&self) -> usize {
        self.season
    }

    /// Fit on `train`, selecting on `validation` (standardised windows of this forecaster's
    /// lookback and horizon; either may be thinned by a stride, `validation` may be empty).
    pub fn fit(
        &self,
        train: &WindowSet,
        validation: &WindowSet,
        progress: &mut dyn Progress,
    ) -> Result<Fitted> {
        for (what, windows) in [("training", train), ("validation", validation)] {
            if (windows.lookback, windows.horizon) != (self.lookback, self.horizon) {
                return Err(Error::runtime(format!(
                    "the {what} windows are {}→{} steps, the forecaster expects {}→{}",
                    windows.lookback, windows.horizon, self.lookback, self.horizon
                )));
            }
        }
        if validation.channels.len() != train.channels.len() {
            return Err(Error::runtime(format!(
                "the training windows have {} covariate channels, the validation windows {}",
                train.channels.len(),
                validation.channels.len()
            )));
        }
        let covariates = train.channels.len();
        let start = Instant::now();
        if let Some(settings) = self.config.neural() {
            return neural::fit(self, settings, (train, validation), start, progress);
        }
        let kind = self.kind();
        let baseline_kind = kind.baseline().expect("not neural, so a baseline");
        if kind.is_linear() {
            let features = if kind == ModelKind::DLinear {
                2 * self.lookback
            } else {
                self.lookback
            } + covariates * self.lookback;
            let estimate = crate::memory::linear(features, self.horizon, train.len(), validation.len());
            progress.detail(&estimate.describe());
            crate::memory::ensure_fits(&estimate, crate::memory::available())?;
        }
        let mut config = self.config.clone();
        let season = match &mut config {
            ModelConfig::SeasonalNaive { season } => *season.get_or_insert(self.season),
            _ => self.season,
        };
        let alpha = match config.linear_mut() {
            Some(LinearConfig { alpha: Some(a) }) => *a,
            Some(linear) => {
                let chosen = if validation.is_empty() {
                    0.0
                } else {
                    select_alpha(baseline_kind, train, validation, season, progress)?.0
                };
                linear.alpha = Some(chosen);
                chosen
            }
            None => 0.0,
        };
        let baseline = Baseline::fit(baseline_kind, train, season, alpha)?;
        let report = FitReport {
            seconds: start.elapsed().as_secs_f64(),
            ..FitReport::default()
        };
        Ok(Fitted::baseline(
            config,
            (self.lookback, self.horizon, covariates),
            baseline,
            report,
        ))
    }
}

/// The ridge penalty of [`ALPHA_GRID`] with the lowest validation MSE (standardised values), and
/// that MSE.
pub fn select_alpha(
    kind: BaselineKind,
    train: &WindowSet,
    validation: &WindowSet,
    season: usize,
    progress: &mut dyn Progress,
) -> Result<(f64, f64)> {
    let (inputs, targets) = (validation.inputs(), validation.targets()); // (N, L), (N, H)
    let mut best = (f64::INFINITY, 0.0);
    let models = Baseline::fit_path(kind, train, season, &ALPHA_GRID)?;
    for (alpha, model) in ALPHA_GRID.into_iter().zip(models) {
        let mse = (model.predict(inputs.view(), validation.lookback, validation.horizon) - &targets)
            .mapv(|e| e * e)
            .mean()
            .unwrap_or(f64::NAN);
        progress.detail(&format!("alpha {alpha}: validation MSE {mse:.5}"));
        if mse < best.0 {
            best = (mse, alpha);
        }
    }
    Ok((best.1, best.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::window::{ScaledSplit, Split, SplitPart};
    use crate::model::{IntervalMethod, Intervals, Silent, WindowFacts};

    /// A noisy sine of period 12: train, validation and test windows of 24 → 6.
    fn windows() -> (WindowSet, WindowSet, WindowSet) {
        windows_of(24, 6)
    }

    /// The noisy sine of period 12 in windows of `lookback` → `horizon`.
    fn windows_of(lookback: usize, horizon: usize) -> (WindowSet, WindowSet, WindowSet) {
        let raw: Vec<f64> = (0..400)
            .map(|t| (t as f64 * std::f64::consts::TAU / 12.0).sin() + 0.1 * ((t * 7919) % 13) as f64 / 13.0)
            .collect();
        let split = ScaledSplit::new(&[("y", &raw)], Split::default(), lookback, horizon).unwrap();
        (
            split.windows(SplitPart::Train, 1),
            split.windows(SplitPart::Validation, 1),
            split.windows(SplitPart::Test, 1),
        )
    }

    #[test]
    fn every_kind_fits_predicts_and_reloads_from_its_tensors_unchanged() {
        let (train, val, test) = windows();
        for kind in ModelKind::ALL {
            let mut config = ModelConfig::for_kind(kind);
            if let Some(n) = config.neural_mut() {
                (n.network.width, n.network.heads, n.train.epochs) = (8, 2, 2);
            }
            let forecaster = Forecaster::new(config, 24, 6, 12).unwrap();
            let fitted = forecaster.fit(&train, &val, &mut Silent).unwrap();
            let predicted = fitted.predict(test.inputs().view());
            assert_eq!(predicted.dim(), (test.len(), 6), "{kind:?}");
            assert!(predicted.iter().all(|v| v.is_finite()), "{kind:?}");
            let again = Fitted::from_tensors(fitted.config().clone(), (24, 6, 0), &fitted.tensors()).unwrap();
            assert_eq!(again.predict(test.inputs().view()), predicted, "{kind:?}");
            assert_eq!(
                fitted.report().history.len(),
                if kind.is_neural() { 2 } else { 0 }
            );
        }
    }

    #[test]
    fn fitting_resolves_what_was_left_to_the_data() {
        let (train, val, _) = windows();
        let fit = |kind| {
            let forecaster = Forecaster::new(ModelConfig::for_kind(kind), 24, 6, 12).unwrap();
            forecaster
                .fit(&train, &val, &mut Silent)
                .unwrap()
                .config()
                .clone()
        };
        let alpha = fit(ModelKind::NLinear).linear().unwrap().alpha.unwrap();
        assert!(ALPHA_GRID.contains(&alpha));
        assert_eq!(
            fit(ModelKind::SeasonalNaive),
            ModelConfig::SeasonalNaive { season: Some(12) }
        );
        let mut lstm = ModelConfig::for_kind(ModelKind::Lstm);
        let n = lstm.neural_mut().unwrap();
        (n.train.epochs, n.base) = (1, None);
        let fitted = Forecaster::new(lstm, 24, 6, 12)
            .unwrap()
            .fit(&train, &val, &mut Silent)
            .unwrap();
        let neural = fitted.config().neural().unwrap();
        assert_eq!((neural.network.patch, neural.network.stride), (Some(16), Some(8)));
        assert_eq!(neural.result.len(), 1);
        assert_eq!(neural.result[0].epochs_run, 1);
        assert_eq!(neural.train.ensemble, Some(1));
    }

    /// A lookback of at least 8 seasons of at least 8 steps (here 8 of 12) and a horizon within it
    /// give patches of one season side by side and three networks, the first over the whole
    /// lookback and two over its last three quarters, unless the patch, the ensemble or the member
    /// lookbacks were given; the model file stores what was trained.
    #[test]
    fn a_long_lookback_trains_three_networks_of_one_season_patches() {
        let (train, val, test) = windows_of(96, 6);
        let fit_with = |patch: Option<usize>, ensemble: Option<usize>, lookbacks: Option<Vec<usize>>| {
            let mut config = small_neural(ModelKind::Lstm, 1);
            let n = config.neural_mut().unwrap();
            (n.network.patch, n.train.ensemble, n.base) = (patch, ensemble, None);
            n.train.member_lookbacks = lookbacks;
            Forecaster::new(config, 96, 6, 12)
                .unwrap()
                .fit(&train, &val, &mut Silent)
        };
        let fit = |patch, ensemble| fit_with(patch, ensemble, None).unwrap();
        let resolved = |fitted: &Fitted| {
            let n = fitted.config().neural().unwrap().clone();
            (
                n.network.patch,
                n.network.stride,
                n.train.ensemble,
                n.result.len(),
                n.train.member_lookbacks.unwrap(),
            )
        };
        let seasonal = fit(None, None);
        assert_eq!(
            resolved(&seasonal),
            (Some(12), Some(12), Some(3), 3, vec![96, 72, 72])
        );
        assert_eq!(seasonal.tensors().len() % 3, 0);
        let again = Fitted::from_tensors(seasonal.config().clone(), (96, 6, 0), &seasonal.tensors()).unwrap();
        assert_eq!(
            again.predict(test.inputs().view()),
            seasonal.predict(test.inputs().view())
        );
        assert_eq!(
            resolved(&fit(None, Some(2))),
            (Some(12), Some(12), Some(2), 2, vec![])
        );
        assert_eq!(
            resolved(&fit(Some(16), None)),
            (Some(16), Some(8), Some(1), 1, vec![])
        );
        // member lookbacks given: as many networks, each over the last steps it was given
        let given = fit_with(Some(16), None, Some(vec![96, 40])).unwrap();
        assert_eq!(resolved(&given), (Some(16), Some(8), Some(2), 2, vec![96, 40]));
        let again = Fitted::from_tensors(given.config().clone(), (96, 6, 0), &given.tensors()).unwrap();
        assert_eq!(
            again.predict(test.inputs().view()),
            given.predict(test.inputs().view())
        );
        for (ensemble, lookbacks, says) in [
            (Some(3), vec![96, 40], "2 member lookbacks for an ensemble of 3"),
            (
                None,
                vec![96, 97],
                "a member lookback of 97 is not between 1 and the lookback 96",
            ),
        ] {
            let e = fit_with(None, ensemble, Some(lookbacks)).unwrap_err();
            assert!(e.to_string().contains(says), "{e}");
            assert!(e.to_string().contains("--member-lookbacks"), "{e}");
        }
    }

    /// A width left to the data is resolved when the network is fitted (the default 32 on a few
    /// hundred windows) and stored as trained; a given width is trained as given.
    #[test]
    fn a_width_left_open_is_resolved_by_the_fit_and_stored() {
        let (train, val, test) = windows_of(24, 6);
        let fit = |open: bool| {
            let mut config = small_neural(ModelKind::Lstm, 1);
            let n = config.neural_mut().unwrap();
            (n.network.width_open, n.base) = (open, None);
            Forecaster::new(config, 24, 6, 12)
                .unwrap()
                .fit(&train, &val, &mut Silent)
                .unwrap()
        };
        for (open, width) in [(true, 32), (false, 8)] {
            let fitted = fit(open);
            let network = &fitted.config().neural().unwrap().network;
            assert_eq!((network.width, network.width_open), (width, false));
            let again = Fitted::from_tensors(fitted.config().clone(), (24, 6, 0), &fitted.tensors()).unwrap();
            assert_eq!(
                again.predict(test.inputs().view()),
                fitted.predict(test.inputs().view())
            );
        }
    }

    fn small_neural(kind: ModelKind, epochs: usize) -> ModelConfig {
        let mut config = ModelConfig::for_kind(kind);
        let n = config.neural_mut().unwrap();
        (n.network.width, n.network.heads, n.train.epochs) = (8, 2, epochs);
        config
    }

    /// `--base auto` judges an ensemble by what it forecasts: its point loss on the validation
    /// halves is the MAE of its averaged forecasts there (checked against its predictions, which
    /// run in f32), for members over the whole lookback and over parts of it
    /// (`--member-lookbacks`), and below the mean of its members' losses.
    #[test]
    fn an_ensemble_is_judged_by_its_averaged_forecast() {
        let (train, val, _) = windows();
        let fit = |seed: u64, members: usize, lookbacks: Option<Vec<usize>>| {
            let mut config = small_neural(ModelKind::Slstm, 2);
            let n = config.neural_mut().unwrap();
            (n.train.seed, n.train.ensemble, n.base) = (seed, Some(members), None);
            n.train.member_lookbacks = lookbacks;
            Forecaster::new(config, 24, 6, 12)
                .unwrap()
                .fit(&train, &val, &mut Silent)
                .unwrap()
        };
        let halves = |f: &Fitted| {
            f.point_loss_on_halves(crate::nn::loss::Loss::Mae, &val, 1)
                .unwrap()
        };
        let later = crate::nn::train::WindowSource::later_half(&val);
        // the MAE of `f`'s predictions on each validation half
        let by_hand = |f: &Fitted| {
            let errors = (f.predict(val.inputs().view()) - val.targets()).mapv(f64::abs); // (N, H)
            [false, true].map(|half| {
                let rows: Vec<usize> = (0..val.len()).filter(|&i| later[i] == half).collect();
                rows.iter().map(|&i| errors.row(i).sum()).sum::<f64>() / (rows.len() * 6) as f64
            })
        };
        let (one, two) = (halves(&fit(7, 1, None)), halves(&fit(8, 1, None)));
        let ensemble = fit(7, 2, None);
        let cropped = fit(7, 2, Some(vec![24, 18]));
        for model in [&ensemble, &cropped] {
            let (ours, theirs) = (halves(model), by_hand(model));
            for half in 0..2 {
                let (loss, expected) = (ours[half], theirs[half]);
                assert!(
                    (loss - expected).abs() < 1e-4 * expected,
                    "half {half}: {loss} against {expected}"
                );
            }
        }
        for (half, &loss) in halves(&ensemble).iter().enumerate() {
            let members = (one[half] + two[half]) / 2.0;
            assert!(loss < members, "half {half}: {loss} not below {members}");
        }
        assert_ne!(
            halves(&cropped),
            halves(&ensemble),
            "members over 24 and 18 steps differ"
        );
    }

    /// An ensemble forecasts the average of its members, each trained alone with seed + k, and
    /// reloads from its tensors unchanged.
    #[test]
    fn an_ensemble_averages_members_trained_with_consecutive_seeds() {
        let (train, val, test) = windows();
        let fit = |seed: u64, members: usize| {
            let mut config = small_neural(ModelKind::Slstm, 2);
            let n = config.neural_mut().unwrap();
            n.base = Some(crate::model::BaseConfig::frozen(ModelKind::NLinear));
            (n.train.seed, n.train.ensemble) = (seed, Some(members));
            Forecaster::new(config, 24, 6, 12)
                .unwrap()
                .fit(&train, &val, &mut Silent)
                .unwrap()
        };
        let ensemble = fit(7, 2);
        let x = test.inputs();
        let mean = (fit(7, 1).predict(x.view()) + fit(8, 1).predict(x.view())) / 2.0;
        let got = ensemble.predict(x.view());
        let err = (&got - &mean).fold(0.0f64, |m, d| m.max(d.abs()));
        assert!(
            err < 1e-12,
            "ensemble differs from the mean of its members by {err}"
        );
        let neural = ensemble.config().neural().unwrap();
        assert_eq!((neural.train.ensemble, neural.result.len()), (Some(2), 2));
        let tensors = ensemble.tensors();
        assert!(tensors
            .iter()
            .all(|(n, _)| n.starts_with("member0.") || n.starts_with("member1.")));
        let again = Fitted::from_tensors(ensemble.config().clone(), (24, 6, 0), &tensors).unwrap();
        assert_eq!(again.predict(x.view()), got);
        let e = Fitted::from_tensors(ensemble.config().clone(), (24, 6, 0), &tensors[1..]).unwrap_err();
        assert!(e.to_string().contains("model file"), "{e}");
    }

    /// An ensemble's intervals are those of its averaged forecast: a quantile ensemble's own
    /// quantiles are the mean of its members' quantiles, and conformal margins are calibrated on
    /// the mean point forecast.
    #[test]
    fn an_ensemble_calibrates_intervals_on_the_average_of_its_members() {
        let (train, val, test) = windows();
        let fit = |seed: u64, members: usize, quantiles: bool| {
            let mut config = small_neural(ModelKind::Lstm, 2);
            let n = config.neural_mut().unwrap();
            (n.train.seed, n.train.ensemble, n.base) = (seed, Some(members), None);
            if quantiles {
                n.learn_quantiles(&[80.0]).unwrap();
            }
            Forecaster::new(config, 24, 6, 12)
                .unwrap()
                .fit(&train, &val, &mut Silent)
                .unwrap()
        };
        let x = test.inputs();
        let mut none = val.clone();
        none.starts.clear();
        // the networks' own quantiles (no calibration window: margins of zero)
        let raw_band = |mut f: Fitted| {
            f.calibrate_with(IntervalMethod::Quantile, &none, &[80.0])
                .unwrap();
            let band = f.forecast(x.view()).bands.remove(0);
            (band.lower, band.upper)
        };
        let (lower, upper) = raw_band(fit(7, 2, true));
        let members = [raw_band(fit(7, 1, true)), raw_band(fit(8, 1, true))];
        let mean_lower = (&members[0].0 + &members[1].0) / 2.0;
        let mean_upper = (&members[0].1 + &members[1].1) / 2.0;
        for (got, expected) in [(&lower, &mean_lower), (&upper, &mean_upper)] {
            let err = (got - expected).fold(0.0f64, |m, d| m.max(d.abs()));
            assert!(
                err < 1e-12,
                "ensemble quantiles differ from the members' mean by {err}"
            );
        }
        // conformal margins of a point ensemble: from the residuals of its mean forecast
        let mut ensemble = fit(7, 2, false);
        ensemble.calibrate(&val, &[80.0]).unwrap();
        let mean_point = (fit(7, 1, false).predict(val.inputs().view())
            + fit(8, 1, false).predict(val.inputs().view()))
            / 2.0;
        let facts = WindowFacts {
            scales: &[],
            bounds: &[],
        };
        let expected = Intervals::calibrate(
            IntervalMethod::Conformal,
            &[80.0],
            val.targets().view(),
            mean_point.view(),
            facts,
        )
        .unwrap();
        let got = ensemble.intervals().unwrap();
        for (a, b) in got.margins[0].iter().zip(&expected.margins[0]) {
            assert!((a - b).abs() < 1e-12, "margin {a} ≠ {b}");
        }
    }

    /// With a linear base the untrained network is the base, scored on validation as epoch 0;
    /// whatever training keeps is never worse than the base on the validation windows.
    #[test]
    fn a_residual_forecaster_is_never_worse_than_its_base_on_validation() {
        let (train, val, _) = windows();
        let mse = |f: &Fitted| {
            (f.predict(val.inputs().view()) - val.targets())
                .mapv(|e| e * e)
                .mean()
                .unwrap()
        };
        let nlinear = Forecaster::new(ModelConfig::for_kind(ModelKind::NLinear), 24, 6, 12)
            .unwrap()
            .fit(&train, &val, &mut Silent)
            .unwrap();
        let mut config = small_neural(ModelKind::Xlstm, 3);
        config.neural_mut().unwrap().base = Some(crate::model::BaseConfig::frozen(ModelKind::NLinear));
        let fitted = Forecaster::new(config, 24, 6, 12)
            .unwrap()
            .fit(&train, &val, &mut Silent)
            .unwrap();
        let neural = fitted.config().neural().unwrap();
        assert_eq!(
            neural.base.unwrap().alpha,
            nlinear.config().linear().unwrap().alpha,
            "the base's penalty is chosen as NLinear's"
        );
        assert!(
            mse(&fitted) <= mse(&nlinear) + 1e-6,
            "{} > {}",
            mse(&fitted),
            mse(&nlinear)
        );
        let again = Fitted::from_tensors(fitted.config().clone(), (24, 6, 0), &fitted.tensors()).unwrap();
        assert_eq!(
            again.predict(val.inputs().view()),
            fitted.predict(val.inputs().view())
        );
    }

    /// Progress that keeps the notes, and the details prefixed with "detail: ".
    #[derive(Default)]
    struct Notes(Vec<String>);
    impl Progress for Notes {
        fn note(&mut self, message: &str) {
            self.0.push(message.to_string());
        }
        fn detail(&mut self, message: &str) {
            self.0.push(format!("detail: {message}"));
        }
    }

    /// `--base auto` on a sine that NLinear forecasts almost exactly: a briefly trained network
    /// does not beat it on both validation halves, so the model is NLinear, resolved as a base
    /// with no trained epoch (a refit is the base on every row) and forecasting exactly as the
    /// plain base model with zero epochs.
    #[test]
    fn base_auto_falls_back_to_its_base_when_the_network_does_not_beat_it() {
        let (train, val, test) = windows();
        let mut config = small_neural(ModelKind::Xlstm, 1);
        config.neural_mut().unwrap().base = Some(crate::model::BaseConfig::fallback(ModelKind::NLinear));
        let mut notes = Notes::default();
        let fitted = Forecaster::new(config, 24, 6, 12)
            .unwrap()
            .fit(&train, &val, &mut notes)
            .unwrap();
        assert!(
            notes.0.iter().any(|n| n.contains("the model is nlinear")),
            "{:?}",
            notes.0
        );
        let neural = fitted.config().neural().unwrap();
        let base = neural.base.expect("resolved to the base");
        assert!(!base.fallback && base.alpha.is_some(), "{base:?}");
        assert_eq!((neural.train.epochs, neural.best_epochs()), (0, 0.0));
        assert!(
            !fitted.report().history.is_empty(),
            "the report is the network's training"
        );
        let mut plain = small_neural(ModelKind::Xlstm, 0);
        plain.neural_mut().unwrap().base = Some(crate::model::BaseConfig::frozen(ModelKind::NLinear));
        let plain = Forecaster::new(plain, 24, 6, 12)
            .unwrap()
            .fit(&train, &val, &mut Silent)
            .unwrap();
        assert_eq!(
            fitted.predict(test.inputs().view()),
            plain.predict(test.inputs().view())
        );
        // a quantile network's fallback is the base as a point model (conformal intervals)
        let mut quantiles = small_neural(ModelKind::Xlstm, 1);
        let n = quantiles.neural_mut().unwrap();
        n.base = Some(crate::model::BaseConfig::fallback(ModelKind::NLinear));
        n.learn_quantiles(&[80.0]).unwrap();
        let fitted = Forecaster::new(quantiles, 24, 6, 12)
            .unwrap()
            .fit(&train, &val, &mut Silent)
            .unwrap();
        assert!(fitted.quantiles().is_empty());
        assert_eq!(
            fitted.config().neural().unwrap().train.loss,
            crate::nn::loss::Loss::Mae
        );
        assert_eq!(
            fitted.predict(test.inputs().view()),
            plain.predict(test.inputs().view())
        );
    }

    /// `--base auto` whose fallback is a poor forecaster (seasonal naive with the wrong season,
    /// 5, on a period-12 sine): the network beats it on both halves and is kept, without a base.
    #[test]
    fn base_auto_keeps_a_network_that_beats_its_base_on_both_validation_halves() {
        let (train, val, _) = windows();
        let mut config = small_neural(ModelKind::Xlstm, 10);
        config.neural_mut().unwrap().base =
            Some(crate::model::BaseConfig::fallback(ModelKind::SeasonalNaive));
        let mut notes = Notes::default();
        let fitted = Forecaster::new(config, 24, 6, 5)
            .unwrap()
            .fit(&train, &val, &mut notes)
            .unwrap();
        assert!(
            notes
                .0
                .iter()
                .any(|n| n.contains("keeping the network") || n.contains("keeping the blend")),
            "{:?}",
            notes.0
        );
        // the detail lists every candidate's losses on both halves, the kept one's among them
        let listed = notes
            .0
            .iter()
            .find(|n| n.starts_with("detail: --base auto: validation loss"))
            .expect("the candidates listed");
        for candidate in [
            "0.25·network",
            "0.50·network",
            "0.75·network",
            "1.00·network",
            "snaive",
        ] {
            assert!(listed.contains(candidate), "{listed}");
        }
        // "… halves (h0 against t0, then h1 against t1) …; keeping the network|the blend s·network …"
        let kept = notes.0.iter().find(|n| n.contains("keeping the")).unwrap();
        let inner = kept.split('(').nth(1).unwrap().split(')').next().unwrap();
        let numbers: Vec<&str> = inner
            .split([' ', ','])
            .filter(|w| w.parse::<f64>().is_ok())
            .collect();
        let [h0, t0, h1, t1] = numbers[..] else {
            panic!("{kept}")
        };
        let share = match kept.split("keeping the blend ").nth(1) {
            Some(rest) => rest.split('·').next().unwrap(),
            None => "1.00",
        };
        for segment in [
            format!("{share}·network {h0}, {h1}"),
            format!("snaive {t0}, {t1}"),
        ] {
            assert!(listed.contains(&segment), "{segment} not in {listed}");
        }
        let neural = fitted.config().neural().unwrap();
        // the network alone, or a blend with the base, which is no fallback
        assert!(neural.base.is_none_or(|b| b.mix.is_some()), "{:?}", neural.base);
        assert!(neural.best_epochs() >= 1.0, "{:?}", neural.result);
    }

    /// A blend (`--base auto`'s choice, resolved as [`crate::model::BaseConfig::mix`]) trains the
    /// network alone and fits the base beside it, and forecasts share·network + (1 − share)·base
    /// (to f32 rounding: networks forecast in f32), also with members over shorter lookbacks; it
    /// reloads from its tensors unchanged, and its refit keeps the blend, the members' lookbacks
    /// and trains the kept epochs (at least one).
    #[test]
    fn a_blend_forecasts_the_convex_blend_of_the_network_and_its_base() {
        let (train, val, test) = windows();
        let fit = |config: ModelConfig| {
            Forecaster::new(config, 24, 6, 12)
                .unwrap()
                .fit(&train, &val, &mut Silent)
                .unwrap()
        };
        // one network, and two whose second reads the last 12 of the 24 steps
        for lookbacks in [None, Some(vec![24, 12])] {
            let neural = |epochs: usize, base: Option<crate::model::BaseConfig>| {
                let mut config = small_neural(ModelKind::Xlstm, epochs);
                let n = config.neural_mut().unwrap();
                (n.base, n.network.patch) = (base, Some(4));
                n.train.member_lookbacks = lookbacks.clone();
                config
            };
            let config = neural(
                2,
                Some(crate::model::BaseConfig {
                    mix: Some(0.3),
                    ..crate::model::BaseConfig::frozen(ModelKind::NLinear)
                }),
            );
            let blended = fit(config.clone());
            let network = fit(neural(2, None));
            let base = fit(neural(
                0,
                Some(crate::model::BaseConfig::frozen(ModelKind::NLinear)),
            ));
            let inputs = test.inputs();
            let want = network.predict(inputs.view()) * 0.3 + base.predict(inputs.view()) * 0.7;
            let got = blended.predict(inputs.view());
            let gap = (&got - &want).mapv(f64::abs).fold(0.0, |a: f64, &v| a.max(v));
            assert!(gap < 1e-4, "{lookbacks:?}: {gap}");
            assert!(got != base.predict(inputs.view()) && got != network.predict(inputs.view()));
            let resolved = blended.config().neural().unwrap().base.unwrap();
            assert_eq!(resolved.mix, Some(0.3));
            assert!(resolved.alpha.is_some());
            let reloaded =
                Fitted::from_tensors(blended.config().clone(), (24, 6, 0), &blended.tensors()).unwrap();
            assert_eq!(reloaded.predict(inputs.view()), got);
            let refit = blended.config().for_refit();
            assert_eq!(refit.neural().unwrap().base.unwrap().mix, Some(0.3));
            let kept = blended.config().neural().unwrap().best_epochs().round() as usize;
            assert_eq!(refit.neural().unwrap().train.epochs, kept.max(1));
            let members = refit.neural().unwrap().train.member_lookbacks.clone().unwrap();
            assert_eq!(members, lookbacks.clone().unwrap_or_default());
        }
    }

    /// The grid's choice is the penalty with the lowest validation error, found independently.
    #[test]
    fn the_chosen_alpha_has_the_lowest_validation_error() {
        let (train, val, _) = windows();
        let (chosen, mse) = select_alpha(BaselineKind::Linear, &train, &val, 12, &mut Silent).unwrap();
        let error = |alpha| {
            let m = Baseline::fit(BaselineKind::Linear, &train, 12, alpha).unwrap();
            (m.predict(val.inputs().view(), 24, 6) - val.targets())
                .mapv(|e| e * e)
                .sum()
        };
        assert!((mse - error(chosen) / (val.len() * 6) as f64).abs() < 1e-12);
        for alpha in ALPHA_GRID {
            assert!(error(chosen) <= error(alpha), "{chosen} against {alpha}");
        }
    }

    #[test]
    fn bad_geometry_and_seasons_are_refused_before_fitting() {
        let snaive = ModelConfig::for_kind(ModelKind::SeasonalNaive);
        let e = Forecaster::new(snaive, 8, 4, 24).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("--season"), "{e}");
        let mut xlstm = ModelConfig::for_kind(ModelKind::Xlstm);
        xlstm.neural_mut().unwrap().network.patch = Some(30);
        let e = Forecaster::new(xlstm, 24, 6, 12).unwrap_err();
        assert!(e.to_string().contains("model settings: patch 30"), "{e}");
        let (train, val, _) = windows();
        let other = Forecaster::new(ModelConfig::Naive, 12, 6, 12).unwrap();
        let e = other.fit(&train, &val, &mut Silent).unwrap_err();
        assert!(e.to_string().contains("24→6"), "{e}");
    }
}
