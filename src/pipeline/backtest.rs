//! Rolling-origin backtests: K forecast origins S steps apart at the end of every series, an
//! expanding training window, the validation tail just before each fold's test block, and
//! scaling statistics from the fold's training rows only; and one model scored over every fold.

use ndarray::Array2;

use crate::data::window::{ScaledSplit, Scaler};
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::metrics::Metrics;
use crate::model::{Fitted, ModelConfig, Progress};

use super::experiment::Experiment;
use super::windowing::Windowing;

/// When a backtest fits its models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Refit {
    /// Fit again at every forecast origin (expanding window).
    Every,
    /// Fit once, at the first origin, and forecast every later one with that model.
    Once,
}

/// One evaluation: the data cut at one forecast origin.
#[derive(Debug, Clone)]
pub struct Fold<'a> {
    /// The split of this fold (its test part is the block after the origin).
    pub experiment: Experiment<'a>,
    /// First test row of each series.
    pub origins: Vec<usize>,
}

impl<'a> Fold<'a> {
    /// The experiment's own split as the only fold (no backtest).
    pub fn whole(experiment: Experiment<'a>) -> Fold<'a> {
        let origins = experiment.split.bounds.iter().map(|b| b[2]).collect();
        Fold { experiment, origins }
    }

    /// The same fold with its validation rows moved into training, as `fit` refits: every row
    /// before the origin trains and scales (the target and the covariate channels), nothing is
    /// left to validate on, and the test block is the fold's.
    pub fn with_validation_in_training(&self) -> Experiment<'a> {
        let experiment = &self.experiment;
        let (dataset, windowing) = (experiment.dataset, &experiment.windowing);
        let series = dataset.targets_by_id();
        let bounds: Vec<[usize; 4]> = experiment
            .split
            .bounds
            .iter()
            .map(|b| [b[0], b[2], b[2], b[3]])
            .collect();
        let scalers = series
            .iter()
            .zip(&self.origins)
            .map(|((_, raw), &origin)| Scaler::fit_with(&raw[..origin], windowing.transform))
            .collect();
        let split = ScaledSplit::from_parts(&series, bounds, scalers, windowing.lookback, windowing.horizon);
        Experiment {
            dataset,
            windowing: windowing.clone(),
            split: super::experiment::with_covariates(dataset, windowing, split, &self.origins),
        }
    }
}

/// Row boundaries of every fold for one series of `n` rows: the test block of fold k is
/// `[n − (K−1−k)·S − H, n − (K−1−k)·S)`, the validation tail the `val` rows before it and
/// training everything before that.
pub fn fold_bounds(
    n: usize,
    folds: usize,
    step: usize,
    horizon: usize,
    val: usize,
) -> Option<Vec<[usize; 4]>> {
    (0..folds)
        .map(|k| {
            let test_end = n.checked_sub((folds - 1 - k).checked_mul(step)?)?;
            let test_start = test_end.checked_sub(horizon)?;
            let train_end = test_start.checked_sub(val)?;
            Some([0, train_end, test_start, test_end])
        })
        .collect()
}

/// The `k` folds `step` rows apart at the end of every series. The validation tail is the
/// split's validation share (at least H rows); with [`Refit::Once`] every fold is scaled like
/// the first, whose model forecasts them all.
pub fn folds<'a>(
    dataset: &'a Dataset,
    windowing: &Windowing,
    k: usize,
    step: usize,
    refit: Refit,
) -> Result<Vec<Fold<'a>>> {
    let (l, h) = (windowing.lookback, windowing.horizon);
    if k == 0 || step == 0 {
        return Err(Error::usage("--folds and --step must be at least 1"));
    }
    super::experiment::check_covariate_lookback(dataset, windowing)?;
    let mut per_series = Vec::with_capacity(dataset.series.len()); // (S)(K)
    for s in &dataset.series {
        let n = s.values.len();
        let b = windowing.split.bounds(n);
        let val = (b[2] - b[1]).max(h);
        let bounds = fold_bounds(n, k, step, h, val).filter(|b| b[0][1] >= l + h).ok_or_else(|| {
            Error::data(format!(
                "series '{}' has {n} rows, but {k} folds {step} steps apart with lookback {l}, horizon {h} and a validation tail of {val} rows need at least {} rows; \
                 use fewer --folds, a smaller --step or a shorter --lookback",
                s.id,
                (k - 1) * step + h + val + l + h
            ))
        })?;
        per_series.push(bounds);
    }
    let series = dataset.targets_by_id();
    let scalers_of = |fold: usize| -> Vec<Scaler> {
        series
            .iter()
            .zip(&per_series)
            .map(|((_, raw), b)| Scaler::fit_with(&raw[..b[fold][1]], windowing.transform))
            .collect()
    };
    let first_scalers = scalers_of(0);
    // the rows each fold's covariate channels are scaled on, as its target
    let scaled_on = |fold: usize| -> Vec<usize> {
        let fold = if refit == Refit::Once { 0 } else { fold };
        per_series.iter().map(|b| b[fold][1]).collect()
    };
    Ok((0..k)
        .map(|fold| {
            let bounds: Vec<[usize; 4]> = per_series.iter().map(|b| b[fold]).collect();
            let scalers = match refit {
                Refit::Every => scalers_of(fold),
                // the model of fold 0 sees every later fold through fold 0's scaling
                Refit::Once => first_scalers.clone(),
            };
            Fold {
                origins: bounds.iter().map(|b| b[2]).collect(),
                experiment: Experiment {
                    dataset,
                    windowing: windowing.clone(),
                    split: super::experiment::with_covariates(
                        dataset,
                        windowing,
                        ScaledSplit::from_parts(&series, bounds, scalers, l, h),
                        &scaled_on(fold),
                    ),
                },
            }
        })
        .collect())
}

/// One model over every fold.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// Metrics of each fold.
    pub folds: Vec<Metrics>,
    /// Mean over folds of each metric.
    pub mean: Metrics,
    /// Population standard deviation over folds (0 for one fold).
    pub std: Metrics,
    /// MAE of each horizon step (data units), averaged over folds.
    pub mae_by_step: Vec<f64>,
    /// Seconds spent fitting, over all fits.
    pub train_seconds: f64,
    /// The last model fitted.
    pub last: Fitted,
    /// With `keep_forecasts`, each fold's test forecasts in data units, (N, H) in the order of its
    /// test windows; else empty.
    pub forecasts: Vec<Array2<f64>>,
}

/// Fit `config` on each fold (or once, on the first), calibrate its intervals at `levels` on the
/// fold's validation tail (none when `levels` is empty) and score its test block. With
/// `refitted`, the model scored is the fitted one trained again on every row before the origin
/// with the settings its fit resolved, as `fit` saves it (its intervals keep the fitted model's
/// calibration; `refit` must be [`Refit::Every`]). Each fold's MAE and MASE are details. With
/// `keep_forecasts` the evaluation keeps every fold's test forecasts too.
pub fn evaluate(
    config: &ModelConfig,
    folds: &[Fold],
    (refit, refitted): (Refit, bool),
    levels: &[f64],
    keep_forecasts: bool,
    progress: &mut dyn Progress,
) -> Result<Evaluation> {
    if refitted && refit == Refit::Once {
        return Err(Error::usage(
            "scoring refitted models needs a model per origin: drop --refit once or --score-refit",
        ));
    }
    let horizon = folds.first().map_or(0, |f| f.experiment.windowing.horizon);
    let mut fold_metrics = Vec::with_capacity(folds.len());
    let mut step_sums = vec![0.0; horizon];
    let mut seconds = 0.0;
    let mut model: Option<Fitted> = None;
    let mut forecasts = Vec::new();
    for (i, fold) in folds.iter().enumerate() {
        let mut experiment = &fold.experiment;
        let all_before_origin;
        if refit == Refit::Every || model.is_none() {
            let mut fitted = experiment.fit(&experiment.forecaster(config.clone())?, progress)?;
            experiment.calibrate(&mut fitted, levels)?;
            seconds += fitted.report().seconds;
            if refitted {
                all_before_origin = fold.with_validation_in_training();
                fitted = all_before_origin.fit_again(&fitted, progress)?;
                seconds += fitted.report().seconds;
                experiment = &all_before_origin;
            }
            model = Some(fitted);
        }
        let fitted = model.as_ref().expect("fitted above");
        let scored = experiment.score(fitted);
        if keep_forecasts {
            forecasts.push(experiment.forecasts(fitted));
        }
        for (sum, v) in step_sums.iter_mut().zip(&scored.mae_by_step) {
            *sum += v;
        }
        if folds.len() > 1 {
            progress.detail(&format!(
                "{} fold {}/{}: MAE {:.4}, MASE {:.4}",
                config.kind().name(),
                i + 1,
                folds.len(),
                scored.metrics.mae,
                scored.metrics.mase
            ));
        }
        fold_metrics.push(scored.metrics);
    }
    let last = model.ok_or_else(|| Error::usage("a backtest needs at least one fold"))?;
    let (mean, std) = Metrics::mean_and_std(&fold_metrics);
    Ok(Evaluation {
        mean,
        std,
        mae_by_step: step_sums.iter().map(|s| s / folds.len() as f64).collect(),
        train_seconds: seconds,
        last,
        folds: fold_metrics,
        forecasts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::window::{Split, SplitPart, Transform};
    use crate::model::{ModelKind, Silent};

    #[test]
    fn folds_end_at_the_data_end_step_apart_with_an_expanding_window() {
        let b = fold_bounds(100, 3, 5, 4, 10).unwrap();
        assert_eq!(b, vec![[0, 76, 86, 90], [0, 81, 91, 95], [0, 86, 96, 100]]);
        assert!(fold_bounds(20, 3, 5, 4, 10).is_none());
    }

    fn jump() -> Dataset {
        // a huge jump in the last rows: any scaler that saw them would be far from the training mean
        let mut values: Vec<f64> = (0..200).map(|i| (i as f64 * 0.3).sin()).collect();
        values[190..].iter_mut().for_each(|v| *v += 1e6);
        crate::pipeline::one_series(values)
    }

    fn windowing() -> Windowing {
        Windowing {
            lookback: 20,
            horizon: 10,
            season: 1,
            split: Split::Fractions(0.7, 0.1, 0.2),
            stride: 1,
            transform: Transform::None,
        }
    }

    #[test]
    fn fold_scaling_and_early_stopping_never_see_the_test_block() {
        let dataset = jump();
        let values = &dataset.series[0].values;
        for refit in [Refit::Every, Refit::Once] {
            let folds = folds(&dataset, &windowing(), 3, 5, refit).unwrap();
            for (k, fold) in folds.iter().enumerate() {
                let split = &fold.experiment.split;
                let b = split.bounds[0];
                assert_eq!(b[3], 200 - (2 - k) * 5);
                assert_eq!(b[2], b[3] - 10);
                assert_eq!(fold.origins[0], b[2]);
                let scaled_on = if refit == Refit::Every {
                    b[1]
                } else {
                    folds[0].experiment.split.bounds[0][1]
                };
                assert_eq!(split.scalers[0], Scaler::fit(&values[..scaled_on]));
                assert!(split.scalers[0].mean.abs() < 1.0);
                // training and validation targets end before the test block
                let val = fold.experiment.windows(SplitPart::Validation);
                let (_, last) = *val.starts.last().unwrap();
                assert!(last + 20 + 10 <= b[2]);
                assert_eq!(fold.experiment.windows(SplitPart::Test).len(), 1);
            }
        }
    }

    #[test]
    fn fitting_once_fits_one_model_and_every_fold_is_scored() {
        let dataset = jump();
        let folds = folds(&dataset, &windowing(), 3, 5, Refit::Once).unwrap();
        let config = ModelConfig::for_kind(ModelKind::NLinear);
        let once = evaluate(&config, &folds, (Refit::Once, false), &[], false, &mut Silent).unwrap();
        let every = evaluate(&config, &folds, (Refit::Every, false), &[], false, &mut Silent).unwrap();
        assert_eq!((once.folds.len(), every.folds.len()), (3, 3));
        // the first fold is fitted alike; later ones differ only when refitted
        assert_eq!(once.folds[0], every.folds[0]);
        assert_eq!(once.mae_by_step.len(), 10);
        let too_many = super::folds(&dataset, &windowing(), 30, 5, Refit::Every).unwrap_err();
        assert!(too_many.to_string().contains("--folds"), "{too_many}");
    }

    #[test]
    fn a_fold_refitted_trains_and_scales_on_every_row_before_its_origin() {
        let dataset = jump();
        let values = &dataset.series[0].values;
        for fold in folds(&dataset, &windowing(), 3, 5, Refit::Every).unwrap() {
            let merged = fold.with_validation_in_training();
            let (b, before) = (merged.split.bounds[0], fold.experiment.split.bounds[0]);
            assert_eq!(b, [0, before[2], before[2], before[3]]);
            assert_eq!(merged.split.scalers[0], Scaler::fit(&values[..fold.origins[0]]));
            assert!(merged.windows(SplitPart::Validation).is_empty());
            // the validation rows train now, and no training target reaches the test block
            let train = merged.windows(SplitPart::Train);
            let (_, last) = *train.starts.last().unwrap();
            assert_eq!(last + 20 + 10, b[2]);
            assert!(train.len() > fold.experiment.windows(SplitPart::Train).len());
            assert_eq!(merged.windows(SplitPart::Test).len(), 1);
        }
    }

    /// Noise around 0 until a shift to 10 inside the validation tail: the model fitted before
    /// the tail never saw the new level; refitted on every row before the origin it has.
    #[test]
    fn a_refitted_model_is_scored_with_the_rows_before_the_origin() {
        let mut rng = crate::nn::rng::Rng::new(3);
        let values = (0..600)
            .map(|t| if t < 550 { 0.0 } else { 10.0 } + 0.1 * rng.normal())
            .collect();
        let dataset = crate::pipeline::one_series(values);
        let windowing = Windowing {
            horizon: 6,
            lookback: 24,
            ..windowing()
        };
        let folds = folds(&dataset, &windowing, 1, 6, Refit::Every).unwrap();
        assert_eq!(folds[0].experiment.split.bounds[0], [0, 534, 594, 600]);
        let config = ModelConfig::for_kind(ModelKind::Linear);
        let fitted = evaluate(&config, &folds, (Refit::Every, false), &[], false, &mut Silent).unwrap();
        let refitted = evaluate(&config, &folds, (Refit::Every, true), &[], false, &mut Silent).unwrap();
        assert!(fitted.mean.mae > 5.0, "{:?}", fitted.mean);
        assert!(refitted.mean.mae < 1.0, "{:?}", refitted.mean);
        // one model per origin is needed to refit it
        let once = evaluate(&config, &folds, (Refit::Once, true), &[], false, &mut Silent).unwrap_err();
        assert!(once.to_string().contains("--score-refit"), "{once}");
    }
}
