//! Fitting the neural kinds (xLSTM, sLSTM, mLSTM, LSTM): the architecture for the forecaster's
//! windows, a memory check before anything large is allocated, `nn::train` with progress, and the
//! resolved settings. The networks themselves live in [`crate::nn`], which knows nothing of
//! [`WindowSet`]; the bridge is the [`WindowSource`] implementation here.

use std::time::Instant;

use super::config::{BaseConfig, NeuralConfig, TrainSettings, TrainingResult};
use super::fitted::{FitReport, Fitted};
use super::forecaster::Forecaster;
use super::network::NetworkConfig;
use super::progress::Progress;
use crate::baseline::Baseline;
use crate::data::window::WindowSet;
use crate::error::{Error, Result};
use crate::nn::forecaster::LinearBase;
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

/// Train `settings` for `forecaster` on `(train, validation)`; `start` is when fitting began.
pub(super) fn fit(
    forecaster: &Forecaster,
    settings: &NeuralConfig,
    (train, validation): (&WindowSet, &WindowSet),
    start: Instant,
    progress: &mut dyn Progress,
) -> Result<Fitted> {
    let mut network = settings
        .forecaster(forecaster.lookback(), forecaster.horizon())
        .map_err(|e| Error::usage(format!("model settings: {e}")))?;
    network.covariates = train.channels.len();
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
    let members = settings.train.ensemble.max(1);
    let mut trained_members: Vec<Trained> = Vec::with_capacity(members);
    for k in 0..members {
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
            network.clone(),
            base.as_ref(),
            train,
            validation,
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
            ensemble: trained_members.len(),
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
    let network = first.config.clone();
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
