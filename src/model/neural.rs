//! Fitting the neural kinds (xLSTM, sLSTM, mLSTM, LSTM): the architecture for the forecaster's
//! windows, a memory check before anything large is allocated, `nn::train` with progress, and the
//! resolved settings; the per-series loss weights (`--series-weight`); and `--base auto`, which
//! trains the network alone and keeps it, or its blend with its closed-form fallback, only when
//! that beats the fallback on both validation halves. The networks themselves live in [`crate::nn`], which knows nothing of
//! [`WindowSet`]; the bridge is the [`WindowSource`] implementation here.

use std::time::Instant;

use super::config::{BaseConfig, NeuralConfig, SeriesWeight, TrainSettings, TrainingResult};
use super::fitted::{FitReport, Fitted};
use super::forecaster::Forecaster;
use super::network::NetworkConfig;
use super::progress::{Progress, Silent};
use crate::baseline::Baseline;
use crate::data::window::WindowSet;
use crate::error::{Error, Result};
use crate::nn::forecaster::{ForecasterConfig, LinearBase};
use crate::nn::loss::Loss;
use crate::nn::train::{self, StopReason, TrainConfig, Trained, WindowSource};

impl WindowSource for WindowSet {
    fn len(&self) -> usize {
        self.starts.len()
    }
    fn lookback(&self) -> usize {
        self.lookback
    }
    fn width(&self) -> usize {
        WindowSet::width(self)
    }
    fn horizon(&self) -> usize {
        self.horizon
    }
    fn fill(&self, index: usize, input: &mut [f64], target: &mut [f64]) {
        self.input_into(index, input);
        target.copy_from_slice(self.target(index));
    }
    /// In time, per series: a window is in the later half when it starts after the midpoint of
    /// its series' first and last window start (every series contributes to both halves).
    fn later_half(&self) -> Vec<bool> {
        let mut span: std::collections::HashMap<usize, (usize, usize)> = Default::default();
        for &(s, t) in &self.starts {
            let e = span.entry(s).or_insert((t, t));
            *e = (e.0.min(t), e.1.max(t));
        }
        self.starts
            .iter()
            .map(|(s, t)| {
                let (first, last) = span[s];
                2 * t > first + last
            })
            .collect()
    }
}

/// Windows with a loss weight per series ([`series_weights`]); without weights, every window's
/// weight is 1.
struct Weighted<'a> {
    windows: &'a WindowSet,
    series: Option<&'a [f64]>, // (S)
}

impl WindowSource for Weighted<'_> {
    fn len(&self) -> usize {
        self.windows.len()
    }
    fn lookback(&self) -> usize {
        self.windows.lookback
    }
    fn width(&self) -> usize {
        self.windows.width()
    }
    fn horizon(&self) -> usize {
        self.windows.horizon
    }
    fn fill(&self, index: usize, input: &mut [f64], target: &mut [f64]) {
        WindowSource::fill(self.windows, index, input, target);
    }
    fn later_half(&self) -> Vec<bool> {
        WindowSource::later_half(self.windows)
    }
    fn weight(&self, index: usize) -> f64 {
        self.series.map_or(1.0, |w| w[self.windows.starts[index].0])
    }
}

/// The loss weight of every series (S) under `kind`, from the training windows `train`: for
/// [`SeriesWeight::Mase`] the inverse of the in-sample seasonal-naive MAE (period `season`) of
/// each series' scaled training rows, so that the loss is counted in MASE's units, normalised
/// to a mean of 1 over the training windows. A series whose scale is zero (constant training
/// rows) gets the median weight. None, i.e. every weight 1, for [`SeriesWeight::Std`] and for a
/// single series (whose weight would be 1 anyway).
fn series_weights(kind: SeriesWeight, train: &WindowSet, season: usize) -> Option<Vec<f64>> {
    if kind == SeriesWeight::Std || train.is_empty() {
        return None;
    }
    let mut end = vec![0usize; train.values.len()]; // (S) end of the training rows
    for &(s, t) in &train.starts {
        end[s] = end[s].max(t + train.lookback + train.horizon);
    }
    if end.iter().filter(|&&e| e > 0).count() < 2 {
        return None;
    }
    let inverse: Vec<Option<f64>> = train
        .values
        .iter()
        .zip(&end)
        .map(|(values, &e)| crate::metrics::mase_scale(&values[..e], season).map(|scale| 1.0 / scale))
        .collect();
    let mut known: Vec<f64> = inverse.iter().flatten().copied().collect();
    if known.is_empty() {
        return None;
    }
    known.sort_by(f64::total_cmp);
    let median = known[known.len() / 2];
    let weights: Vec<f64> = inverse.iter().map(|w| w.unwrap_or(median)).collect();
    let mean = train.starts.iter().map(|&(s, _)| weights[s]).sum::<f64>() / train.len() as f64;
    Some(weights.iter().map(|w| w / mean).collect())
}

/// Train `settings` for `forecaster` on `(train, validation)`; `start` is when fitting began.
/// With `--base auto` ([`BaseConfig::fallback`]) see [`fit_or_fall_back`]; a blend that it chose
/// ([`BaseConfig::mix`], in a refit) trains the network alone and blends it with the base.
pub(super) fn fit(
    forecaster: &Forecaster,
    settings: &NeuralConfig,
    windows: (&WindowSet, &WindowSet),
    start: Instant,
    progress: &mut dyn Progress,
) -> Result<Fitted> {
    match settings.base {
        Some(base) if base.fallback => fit_or_fall_back(forecaster, settings, base, windows, start, progress),
        Some(base @ BaseConfig { mix: Some(share), .. }) => {
            let network = fit_network(forecaster, &without_base(settings), windows, start, progress)?;
            let linear = fit_network(
                forecaster,
                &base_alone(settings, base),
                windows,
                start,
                &mut Silent,
            )?;
            let report = FitReport {
                seconds: start.elapsed().as_secs_f64(),
                ..network.report().clone()
            };
            Ok(blend(&network, &linear, share).with_report(report))
        }
        _ => fit_network(forecaster, settings, windows, start, progress),
    }
}

/// The network's shares s of the blends s·network + (1 − s)·base that `--base auto` tries
/// (1: the network alone).
const SHARES: [f64; 4] = [0.25, 0.5, 0.75, 1.0];

/// `settings` without a base: the network alone.
fn without_base(settings: &NeuralConfig) -> NeuralConfig {
    NeuralConfig {
        base: None,
        ..settings.clone()
    }
}

/// `settings` as the base alone: a network over the plain `base` with no trained epoch (a
/// point model: the base has no trained quantiles).
fn base_alone(settings: &NeuralConfig, base: BaseConfig) -> NeuralConfig {
    let mut alone = NeuralConfig {
        train: TrainSettings {
            epochs: 0,
            window_budget: None,
            ensemble: Some(1),
            member_lookbacks: Some(Vec::new()),
            ..settings.train.clone()
        },
        base: Some(BaseConfig {
            fallback: false,
            mix: None,
            ..base
        }),
        ..settings.clone()
    };
    alone.network.quantiles.clear();
    alone.train.loss = point_loss(settings.train.loss);
    alone
}

/// The loss a point forecast is judged by: the training loss, or the median's MAE for a
/// quantile network.
fn point_loss(loss: Loss) -> Loss {
    match loss {
        Loss::Quantile => Loss::Mae,
        loss => loss,
    }
}

/// The point `network` (trained without a base) blended with the base of `linear` (the base
/// alone, [`base_alone`]) as share·network + (1 − share)·base, with its settings: the network's,
/// over the resolved base with the share as [`BaseConfig::mix`].
fn blend(network: &Fitted, linear: &Fitted, share: f64) -> Fitted {
    let base = linear
        .config()
        .neural()
        .and_then(|n| n.base)
        .expect("the base alone");
    let mut config = network.config().clone();
    config.neural_mut().expect("a neural kind").base = Some(BaseConfig {
        mix: Some(share),
        ..base
    });
    network
        .blended(linear, share, config)
        .expect("a point network without a base, and a base")
}

/// `--base auto`: train the network without a base and fit `base` in closed form. The
/// candidates are the network and, for a point network, its blends with the base
/// ([`SHARES`]); their point forecasts' validation loss (the training loss; the median's MAE for
/// a quantile network; for an ensemble, the loss of its forecast, the mean of its members') is
/// measured on both halves (in time) of the validation windows. The model is the candidate with
/// the lowest mean of the two among those that beat the base on both halves, or else the base
/// alone: a network with the base and no trained epoch, so that a refit is the base on every
/// row, and a point model, whose intervals are conformal margins, when the network learned
/// quantiles. Without validation windows there is nothing to judge the network on, and the model
/// is the base. The fit report is the network's training either way.
fn fit_or_fall_back(
    forecaster: &Forecaster,
    settings: &NeuralConfig,
    base: BaseConfig,
    (train, validation): (&WindowSet, &WindowSet),
    start: Instant,
    progress: &mut dyn Progress,
) -> Result<Fitted> {
    let base_alone = base_alone(settings, base);
    let name = base.model.name();
    if validation.is_empty() {
        progress.note(&format!(
            "--base auto: no validation windows to judge a network on, so the model is its base ({name})"
        ));
        return fit_network(forecaster, &base_alone, (train, validation), start, &mut Silent);
    }
    let network = fit_network(
        forecaster,
        &without_base(settings),
        (train, validation),
        start,
        progress,
    )?;
    let fallback = fit_network(forecaster, &base_alone, (train, validation), start, &mut Silent)?;
    let weights = series_weights(settings.train.series_weight, train, forecaster.season());
    let source = Weighted {
        windows: validation,
        series: weights.as_deref(),
    };
    let (loss, threads) = (point_loss(settings.train.loss), settings.train.threads);
    let halves_of = |f: &Fitted| {
        f.point_loss_on_halves(loss, &source, threads)
            .expect("a neural model")
    };
    let theirs = halves_of(&fallback);
    let shares: &[f64] = if settings.network.quantiles.is_empty() {
        &SHARES
    } else {
        &[1.0]
    };
    let candidates: Vec<(f64, Fitted, [f64; 2])> = shares
        .iter()
        .map(|&share| {
            let model = if share == 1.0 {
                network.clone()
            } else {
                blend(&network, &fallback, share)
            };
            let halves = halves_of(&model);
            (share, model, halves)
        })
        .collect();
    let halves: Vec<[f64; 2]> = candidates.iter().map(|c| c.2).collect();
    let listed: Vec<String> = candidates
        .iter()
        .map(|(share, _, h)| format!("{share:.2}·network {:.4}, {:.4}", h[0], h[1]))
        .collect();
    progress.detail(&format!(
        "--base auto: validation loss on the earlier, then the later half: {}; {name} {:.4}, {:.4}",
        listed.join("; "),
        theirs[0],
        theirs[1]
    ));
    let chosen = choose(&halves, theirs).map(|k| &candidates[k]);
    let against = |h: &[f64; 2]| {
        format!(
            "{:.4} against {:.4}, then {:.4} against {:.4}",
            h[0], theirs[0], h[1], theirs[1]
        )
    };
    let report = FitReport {
        seconds: start.elapsed().as_secs_f64(),
        ..network.report().clone()
    };
    match chosen {
        Some((share, model, halves)) => {
            let what = if *share == 1.0 {
                "the network".to_string()
            } else {
                format!("the blend {share:.2}·network + {:.2}·{name}", 1.0 - share)
            };
            progress.note(&format!(
                "--base auto: {what} beats {name} on both validation halves ({}) with the lowest validation loss; keeping {what}",
                against(halves)
            ));
            Ok(model.clone().with_report(report))
        }
        None => {
            progress.note(&format!(
                "--base auto: neither the network nor a blend with {name} beats {name} on both validation halves (the network: {}); the model is {name}",
                against(&candidates[candidates.len() - 1].2)
            ));
            Ok(fallback.with_report(report))
        }
    }
}

/// The candidate (by index) with the lowest mean validation loss over the two halves among
/// those whose loss `candidates` (earlier half, later half) is below the base's `base` on both
/// halves; None when none is. A half without windows (NaN) does not vote.
fn choose(candidates: &[[f64; 2]], base: [f64; 2]) -> Option<usize> {
    let beats = |ours: &[f64; 2]| (0..2).all(|h| base[h].is_nan() || ours[h] < base[h]);
    let mean = |h: &[f64; 2]| if h[1].is_nan() { h[0] } else { (h[0] + h[1]) / 2.0 };
    (0..candidates.len())
        .filter(|&k| beats(&candidates[k]))
        .min_by(|&a, &b| mean(&candidates[a]).total_cmp(&mean(&candidates[b])))
}

/// Train `settings` (a network alone, or over a plain base) for `forecaster`.
fn fit_network(
    forecaster: &Forecaster,
    settings: &NeuralConfig,
    (train, validation): (&WindowSet, &WindowSet),
    start: Instant,
    progress: &mut dyn Progress,
) -> Result<Fitted> {
    let (season, lookback) = (forecaster.season(), forecaster.lookback());
    let resolved = settings.for_data(season, lookback, forecaster.horizon(), train.len());
    if resolved.network.patch != settings.network.patch {
        let networks = match (resolved.train.members(), &resolved.train.member_lookbacks) {
            (1, _) => "one network".to_string(),
            (n, Some(lookbacks)) if !lookbacks.is_empty() => {
                let list: Vec<String> = lookbacks.iter().map(|l| l.to_string()).collect();
                format!("{n} networks over the last {} steps", list.join(", "))
            }
            (n, _) => format!("{n} networks"),
        };
        progress.note(&format!(
            "patches of one season ({season} steps) side by side and {networks}: the lookback holds {} seasons (--patch, --ensemble and --member-lookbacks set them)",
            lookback / season
        ));
    }
    if resolved.network.width != settings.network.width {
        progress.note(&format!(
            "width {}: {} training windows (--hidden sets it)",
            resolved.network.width,
            train.len()
        ));
    }
    let settings = &resolved;
    let mut network = settings
        .forecaster(lookback, forecaster.horizon())
        .map_err(|e| Error::usage(format!("model settings: {e}")))?;
    network.covariates = train.channels.len();
    let member_networks = super::fitted::member_configs(settings, &network)
        .map_err(|e| Error::usage(format!("--member-lookbacks: {e}")))?;
    let mut train_config = settings.train.train_config(train.len(), progress.stop_flag());
    let mut resolved_base = settings.base;
    let base = match &mut resolved_base {
        Some(b) => {
            train_config.base_lr_scale = b.lr_scale;
            Some(fit_base(forecaster, b, (train, validation), progress)?)
        }
        None => None,
    };
    let estimate = crate::memory::neural(&network, &train_config, train.len(), validation.len());
    progress.detail(&estimate.describe());
    crate::memory::ensure_fits(&estimate, crate::memory::available())?;
    let weights = series_weights(settings.train.series_weight, train, forecaster.season());
    let weighted = |windows| Weighted {
        windows,
        series: weights.as_deref(),
    };
    let (train_source, validation_source) = (weighted(train), weighted(validation));
    let members = settings.train.members().max(1);
    let mut trained_members: Vec<Trained> = Vec::with_capacity(members);
    for (k, member_network) in member_networks.into_iter().enumerate() {
        let seed = settings.train.seed.wrapping_add(k as u64);
        if members > 1 {
            progress.detail(&format!("ensemble member {}/{members} (seed {seed})", k + 1));
        }
        progress.start(train_config.epochs);
        let member_config = TrainConfig {
            seed,
            ..train_config.clone()
        };
        let result = train::fit_with_base(
            &member_config,
            member_network,
            base.as_ref(),
            &train_source,
            &validation_source,
            &mut |r| progress.epoch(r),
        );
        let trained = match result {
            Ok(trained) => trained,
            Err(e) => {
                progress.finish(None);
                return Err(Error::runtime(e.to_string()));
            }
        };
        let member = if members > 1 {
            format!("member {}/{members}: ", k + 1)
        } else {
            String::new()
        };
        progress.finish(Some(&format!("{member}{}", summary(&trained))));
        let interrupted = trained.stop == StopReason::Interrupted;
        trained_members.push(trained);
        if interrupted {
            break; // Ctrl-C: keep the members trained so far
        }
    }
    let first = &trained_members[0];
    let mut config = forecaster.config().clone();
    *config.neural_mut().expect("a neural kind") = NeuralConfig {
        network: NetworkConfig::from(&first.config),
        train: TrainSettings {
            ensemble: Some(trained_members.len()),
            // an interrupted ensemble keeps the lookbacks of the members it trained
            member_lookbacks: settings
                .train
                .member_lookbacks
                .as_ref()
                .map(|l| l.iter().copied().take(trained_members.len()).collect()),
            ..settings.train.clone()
        },
        base: resolved_base,
        result: trained_members
            .iter()
            .map(|t| TrainingResult {
                best_epoch: t.best_epoch,
                epochs_run: t.history.len(),
                best_validation_loss: t.best_val_loss,
            })
            .collect(),
    };
    let network = ForecasterConfig {
        lookback,
        crop: 0,
        ..first.config.clone()
    };
    let report = FitReport {
        seconds: start.elapsed().as_secs_f64(),
        history: first.history.clone(),
        stop: Some(first.stop.clone()),
    };
    let params = trained_members.into_iter().map(|t| t.params).collect();
    Ok(Fitted::neural(config, network, params, report))
}

/// Fit the base of `config` in closed form on `train` (its ridge penalty chosen on `validation`
/// when not given, and written back into `config`) and return it as an affine map.
fn fit_base(
    forecaster: &Forecaster,
    config: &mut BaseConfig,
    (train, validation): (&WindowSet, &WindowSet),
    progress: &mut dyn Progress,
) -> Result<LinearBase> {
    let kind = config.model.baseline().expect("validated: a baseline");
    let alpha = match config.alpha {
        Some(a) => a,
        None if config.model.is_linear() && !validation.is_empty() => {
            super::forecaster::select_alpha(kind, train, validation, forecaster.season(), progress)?.0
        }
        None => 0.0,
    };
    config.alpha = Some(alpha);
    let baseline = Baseline::fit(kind, train, forecaster.season(), alpha)?;
    Ok(baseline.affine(forecaster.lookback(), train.channels.len(), forecaster.horizon()))
}

/// One sentence on how training ended and which weights were kept.
fn summary(trained: &Trained) -> String {
    if trained.history.is_empty() {
        return "no epoch to run: the model is its linear base (training kept the base)".into();
    }
    let why = match &trained.stop {
        StopReason::Epochs => "all epochs run".to_string(),
        StopReason::EarlyStopping => "validation loss stopped improving".to_string(),
        StopReason::TimeBudget => "time budget reached".to_string(),
        StopReason::Interrupted => "interrupted (Ctrl-C) after the current step".to_string(),
        StopReason::NonFinite { epoch, step } => {
            format!("the loss became non-finite at epoch {epoch}, step {step} (diverged: try a lower --lr)")
        }
    };
    let confirmed = match trained.halves {
        Some([[base_early, base_late], [early, late]]) if trained.best_epoch == 0 => format!(
            " (the correction early stopping chose did not beat the base on both validation halves: \
             {early:.4} against {base_early:.4}, then {late:.4} against {base_late:.4})"
        ),
        Some([[base_early, base_late], [early, late]]) => format!(
            " (it beats the base on both validation halves: {early:.4} against {base_early:.4}, \
             then {late:.4} against {base_late:.4})"
        ),
        _ => String::new(),
    };
    format!(
        "stopped after {} epoch(s): {why}; keeping the weights of epoch {} (validation loss {:.4}){confirmed}",
        trained.history.len(),
        trained.best_epoch,
        trained.best_val_loss
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::window::{ScaledSplit, Split, SplitPart};
    use crate::metrics::mase_scale;

    /// With `mase`, each series weighs the inverse of its seasonal-naive error on its scaled
    /// training rows, the weights average 1 over the training windows, and a series without that
    /// error (constant) gets the median weight; `std` and a single series have no weights.
    /// `--base auto`'s choice: the lowest mean over both halves among the candidates that beat
    /// the base on each half; a NaN half does not vote; nothing when none beats the base.
    #[test]
    fn auto_chooses_the_lowest_mean_among_candidates_beating_the_base_on_both_halves() {
        let base = [1.0, 1.0];
        // the second has the lowest mean but loses the later half; the fourth wins
        let candidates = [[0.9, 0.99], [0.5, 1.01], [0.95, 0.95], [0.8, 0.98]];
        assert_eq!(choose(&candidates, base), Some(3));
        assert_eq!(choose(&candidates[..3], base), Some(0));
        assert_eq!(choose(&[[1.0, 0.5], [0.5, 1.2]], base), None);
        // no later half: only the earlier votes
        assert_eq!(
            choose(&[[0.9, f64::NAN], [0.7, f64::NAN]], [1.0, f64::NAN]),
            Some(1)
        );
    }

    #[test]
    fn mase_weights_are_inverse_seasonal_naive_errors_averaging_one() {
        let noise = |t: usize, p: usize| ((t * 7919) % p) as f64 / p as f64;
        let a: Vec<f64> = (0..200).map(|t| (t as f64 * 0.3).sin() + noise(t, 13)).collect();
        let b: Vec<f64> = (0..300).map(|t| (t % 24) as f64 + 3.0 * noise(t, 17)).collect();
        let flat = vec![5.0; 250];
        let series = [("a", &a[..]), ("b", &b[..]), ("flat", &flat[..])];
        let split = ScaledSplit::new(&series, Split::Fractions(0.6, 0.2, 0.2), 8, 2).unwrap();
        let train = split.windows(SplitPart::Train, 1);
        let w = series_weights(SeriesWeight::Mase, &train, 24).expect("weights");
        let mean = train.starts.iter().map(|&(s, _)| w[s]).sum::<f64>() / train.len() as f64;
        assert!((mean - 1.0).abs() < 1e-12, "mean weight {mean}");
        let scale = |s: usize| mase_scale(&split.values[s][..split.bounds[s][1]], 24).unwrap();
        assert!((w[0] / w[1] - scale(1) / scale(0)).abs() < 1e-9, "{w:?}");
        assert!(w[0] != w[1], "different series, different weights: {w:?}");
        assert_eq!(
            w[2],
            w[0].max(w[1]),
            "the constant series gets the median of two: {w:?}"
        );
        assert_eq!(series_weights(SeriesWeight::Std, &train, 24), None);
        let one = ScaledSplit::new(&series[1..2], Split::Fractions(0.6, 0.2, 0.2), 8, 2).unwrap();
        let one_train = one.windows(SplitPart::Train, 1);
        assert_eq!(series_weights(SeriesWeight::Mase, &one_train, 24), None);
    }

    /// The validation halves are halves in time within every series, so each series is in both.
    #[test]
    fn validation_halves_split_each_series_in_time() {
        let a: Vec<f64> = (0..200).map(|t| (f64::from(t) * 0.3).sin()).collect();
        let b: Vec<f64> = (0..300).map(|t| (f64::from(t) * 0.2).cos()).collect();
        let split = ScaledSplit::new(&[("a", &a), ("b", &b)], Split::Fractions(0.6, 0.2, 0.2), 8, 2).unwrap();
        let validation = split.windows(SplitPart::Validation, 1);
        let later = WindowSource::later_half(&validation);
        for series in 0..2 {
            let flags: Vec<bool> = validation
                .starts
                .iter()
                .zip(&later)
                .filter(|((s, _), _)| *s == series)
                .map(|(_, l)| *l)
                .collect();
            let cut = flags.iter().position(|l| *l).expect("a later half");
            assert!(
                flags[..cut].iter().all(|l| !l) && flags[cut..].iter().all(|l| *l),
                "{flags:?}"
            );
            assert!(
                cut.abs_diff(flags.len() - cut) <= 1,
                "halves of {}: {cut}",
                flags.len()
            );
        }
    }
}
