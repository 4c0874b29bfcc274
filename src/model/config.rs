//! Typed settings of every model kind, as they are asked for and as the model file stores them.
//!
//! One enum, [`ModelConfig`], tagged by the kind's name (`{"kind": "nlinear", "alpha": 10.0}`).
//! Settings left to the data are `None` when asked for (the ridge penalty, chosen on the
//! validation windows; the seasonal period, the data's season) and filled in by
//! [`Forecaster::fit`](super::Forecaster::fit), so a fitted model's configuration says exactly
//! what was used. [`ModelConfig::validate`] checks everything that does not depend on the data
//! in one place (linfa's validated parameters), with usage errors that name the flag to change.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::kind::ModelKind;
use super::network::{member_lookbacks, season_patches, width_for, NetworkConfig, SEASON_ENSEMBLE};
use crate::error::{Error, Result};
use crate::nn::forecaster::{CoreKind, ForecasterConfig};
use crate::nn::loss::Loss;
use crate::nn::train::TrainConfig;

/// The settings of one model, tagged by its kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum ModelConfig {
    /// Repeat the last value.
    #[serde(rename = "naive")]
    Naive,
    /// Repeat the last season.
    #[serde(rename = "snaive")]
    SeasonalNaive {
        /// Season length (None: the data's season).
        season: Option<usize>,
    },
    /// Least squares on the window.
    #[serde(rename = "linear")]
    Linear(LinearConfig),
    /// Least squares on the window minus its last value.
    #[serde(rename = "nlinear")]
    NLinear(LinearConfig),
    /// Least squares on moving-average trend and remainder.
    #[serde(rename = "dlinear")]
    DLinear(LinearConfig),
    /// xLSTM stack of mLSTM and sLSTM blocks.
    #[serde(rename = "xlstm")]
    Xlstm(NeuralConfig),
    /// sLSTM blocks only.
    #[serde(rename = "slstm")]
    Slstm(NeuralConfig),
    /// mLSTM blocks only.
    #[serde(rename = "mlstm")]
    Mlstm(NeuralConfig),
    /// Classic LSTM.
    #[serde(rename = "lstm")]
    Lstm(NeuralConfig),
}

/// Settings of the linear models (Linear, NLinear, DLinear).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct LinearConfig {
    /// Ridge penalty (None: the value of [`ALPHA_GRID`] with the lowest validation MSE, 0 without
    /// validation windows). DLinear raises it to at least 1e-3 per training window
    /// ([`crate::baseline::dlinear_alpha`]).
    pub alpha: Option<f64>,
}

/// Ridge penalties tried on the validation windows when none is given.
pub const ALPHA_GRID: [f64; 6] = [0.0, 0.1, 1.0, 10.0, 100.0, 1000.0];

/// Settings of a neural model: its architecture, its training and, once fitted, what training did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NeuralConfig {
    /// The architecture.
    pub network: NetworkConfig,
    /// The training settings.
    pub train: TrainSettings,
    /// The linear base the network refines (None: the network forecasts alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<BaseConfig>,
    /// What training did, one entry per ensemble member (set by fitting).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub result: Vec<TrainingResult>,
}

/// The linear base of a residual-over-linear forecaster: a closed-form baseline fitted on the
/// training windows, turned into the affine map the network adds its correction to.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BaseConfig {
    /// Which baseline: `nlinear`, `dlinear`, `linear` or `snaive`.
    pub model: ModelKind,
    /// Its ridge penalty (None: chosen on the validation windows as for the linear models).
    pub alpha: Option<f64>,
    /// Learning-rate factor of the base during training: 0 keeps it at its closed-form start.
    pub lr_scale: f64,
    /// `--base auto`: the network trains without this base, and the base alone replaces the
    /// network when the network does not beat it on both halves (in time) of the validation
    /// windows. Fitting resolves it: a fitted model has no base, or this one as a plain base.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fallback: bool,
    /// The network's share s of the blend s·network + (1 − s)·base that `--base auto` chose on
    /// the validation windows (0 < s < 1): the network trains without the base and the two are
    /// blended after training ([`crate::nn::blend`]). None: the network corrects the base.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mix: Option<f64>,
}

impl BaseConfig {
    /// The base `model` with the penalty chosen on validation, frozen.
    pub fn frozen(model: ModelKind) -> BaseConfig {
        BaseConfig {
            model,
            alpha: None,
            lr_scale: 0.0,
            fallback: false,
            mix: None,
        }
    }

    /// `--base auto`: `model` (penalty chosen on validation) as the fallback of a network
    /// trained without a base ([`BaseConfig::fallback`]).
    pub fn fallback(model: ModelKind) -> BaseConfig {
        BaseConfig {
            fallback: true,
            ..BaseConfig::frozen(model)
        }
    }

    /// Whether the network trains as a correction of this base (not `--base auto`, not a blend),
    /// so that zero epochs are the base alone.
    pub fn corrected(&self) -> bool {
        !self.fallback && self.mix.is_none()
    }

    fn validate(&self) -> Result<()> {
        if !matches!(
            self.model,
            ModelKind::NLinear | ModelKind::DLinear | ModelKind::Linear | ModelKind::SeasonalNaive
        ) {
            return Err(Error::usage(format!(
                "--base {} is not a linear baseline; use nlinear, dlinear, linear, snaive or none",
                self.model.name()
            )));
        }
        if let Some(a) = self.alpha {
            if !(a.is_finite() && a >= 0.0) {
                return Err(Error::usage(format!("--alpha {a} must be a finite number ≥ 0")));
            }
        }
        if let Some(share) = self.mix {
            if !(share > 0.0 && share < 1.0) || self.fallback {
                return Err(Error::usage(format!(
                    "a blend's network share {share} must be between 0 and 1, without --base auto"
                )));
            }
        }
        if !(self.lr_scale.is_finite() && self.lr_scale >= 0.0) {
            return Err(Error::usage(format!(
                "--base-lr {} must be a finite number ≥ 0",
                self.lr_scale
            )));
        }
        Ok(())
    }
}

/// The serialisable training settings (the rest of [`TrainConfig`] keeps its defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainSettings {
    /// Maximum epochs.
    pub epochs: usize,
    /// Training windows the epochs are sized to: at most ⌈budget / training windows⌉ epochs, at
    /// least one (None: `epochs` as given). The default budget keeps large panels such as M4
    /// Hourly to the number of passes chosen on their validation windows (docs/accuracy.md)
    /// while small series train for `epochs`; `--epochs` on the command line removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_budget: Option<usize>,
    /// Windows per mini-batch.
    pub batch: usize,
    /// Peak learning rate (AdamW, warm-up then cosine decay).
    pub lr: f64,
    /// Training loss.
    #[serde(with = "LossDef")]
    pub loss: Loss,
    /// Epochs without validation improvement before stopping early.
    pub patience: usize,
    /// Wall-clock budget in seconds.
    pub max_time: Option<f64>,
    /// Seed of the initialisation and the shuffling (member k of an ensemble uses seed + k).
    pub seed: u64,
    /// Networks trained with consecutive seeds whose forecasts are averaged (None, `--ensemble`
    /// not given: one, or [`SEASON_ENSEMBLE`] when the patches are left to the data and are one
    /// season each, [`NeuralConfig::for_data`]; a fitted model stores how many it trained).
    #[serde(default = "one")]
    pub ensemble: Option<usize>,
    /// The lookback each ensemble member reads, the last steps of the model's window (None,
    /// `--member-lookbacks` not given: left to the data, [`NeuralConfig::for_data`]; empty, and
    /// in files written before it: every member reads the whole lookback).
    #[serde(default = "whole")]
    pub member_lookbacks: Option<Vec<usize>>,
    /// Worker threads. Not stored: the result is bit-identical for any count.
    #[serde(skip, default = "default_threads")]
    pub threads: usize,
    /// Models with a base: keep the network's correction only when it beats the base on both
    /// halves (in time) of the validation windows (default true, chosen on M4 Hourly's validation
    /// hold-out, docs/accuracy.md; false in files written before it).
    #[serde(default)]
    pub confirm: bool,
    /// How the training loss weighs the series of a panel (`std` in files written before it).
    #[serde(default)]
    pub series_weight: SeriesWeight,
}

/// How the training loss weighs the windows of different series. Either way the weights average
/// 1 over the training windows, so a single series trains exactly as without weights.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SeriesWeight {
    /// Every series in its scaled units, i.e. in units of its training standard deviation.
    #[default]
    Std,
    /// Every series in units of its in-sample seasonal-naive error over the training rows, the
    /// scale of MASE: a series that seasonal naive forecasts well counts more.
    Mase,
}

/// The file form of [`Loss`]: `"mse"`, `"mae"`, `{"huber": {"delta": 1.0}}` or `"quantile"`.
#[derive(Serialize, Deserialize)]
#[serde(remote = "Loss", rename_all = "lowercase")]
enum LossDef {
    Mse,
    Mae,
    Huber { delta: f64 },
    Quantile,
}

/// Files written before `--ensemble` existed hold one network.
fn one() -> Option<usize> {
    Some(1)
}

/// Files written before `--member-lookbacks` existed read the whole lookback in every member.
fn whole() -> Option<Vec<usize>> {
    Some(Vec::new())
}

fn default_threads() -> usize {
    TrainSettings::default().threads
}

impl Default for TrainSettings {
    /// The command line's defaults.
    fn default() -> Self {
        TrainSettings {
            epochs: 30,
            window_budget: Some(WINDOW_BUDGET),
            batch: 64,
            lr: 1e-3,
            loss: Loss::Mae,
            patience: 5,
            max_time: None,
            seed: 42,
            ensemble: None,
            member_lookbacks: None,
            threads: 2,
            confirm: true,
            series_weight: SeriesWeight::Std,
        }
    }
}

/// The default [`TrainSettings::window_budget`]: 5-6 passes over M4 Hourly's training windows
/// (by lookback), thirty over ETTh1's (docs/accuracy.md: 900,000 since `--base auto`, to keep M4
/// Hourly within ten minutes; 7 passes scored as well as 8 on its validation hold-out).
pub const WINDOW_BUDGET: usize = 900_000;

/// What training did: the epoch whose weights were kept and how many ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingResult {
    /// Epoch of the kept weights (from 1).
    pub best_epoch: usize,
    /// Epochs that ran.
    pub epochs_run: usize,
    /// Validation loss of the kept weights.
    pub best_validation_loss: f64,
}

impl TrainSettings {
    /// The networks to train: `ensemble`, or as many as member lookbacks were given, or one.
    pub fn members(&self) -> usize {
        match (self.ensemble, &self.member_lookbacks) {
            (Some(n), _) => n,
            (None, Some(lookbacks)) if !lookbacks.is_empty() => lookbacks.len(),
            _ => 1,
        }
    }

    /// The steps member `k` of a model with lookback `lookback` leaves out at the start of each
    /// window: `lookback` minus its member lookback (0 when every member reads the whole window).
    pub fn member_crop(&self, k: usize, lookback: usize) -> usize {
        match &self.member_lookbacks {
            Some(lookbacks) => lookbacks.get(k).map_or(0, |l| lookback.saturating_sub(*l)),
            None => 0,
        }
    }

    /// The epochs to run on `windows` training windows: `epochs`, capped by the window budget.
    pub fn epochs_for(&self, windows: usize) -> usize {
        match self.window_budget {
            Some(budget) => self.epochs.min(budget.div_ceil(windows.max(1))).max(1),
            None => self.epochs,
        }
    }

    /// The trainer's settings for one ensemble member on `windows` training windows (the
    /// wall-clock budget is shared equally by the members); `stop`, when set from outside, ends
    /// training after the current step.
    pub fn train_config(
        &self,
        windows: usize,
        stop: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    ) -> TrainConfig {
        TrainConfig {
            epochs: self.epochs_for(windows),
            batch_size: self.batch,
            lr: self.lr,
            loss: self.loss,
            patience: self.patience,
            max_time: self
                .max_time
                .map(|t| Duration::from_secs_f64(t / self.members().max(1) as f64)),
            threads: self.threads,
            seed: self.seed,
            stop,
            confirm_halves: self.confirm,
            ..TrainConfig::default()
        }
    }

    /// Checks the settings; `base`: whether a linear base is there, which allows zero epochs
    /// (the untrained model is the base: a refit of a model whose training kept its base).
    fn validate(&self, base: bool) -> Result<()> {
        if (self.epochs == 0 && !base) || self.batch == 0 || self.threads == 0 || self.ensemble == Some(0) {
            return Err(Error::usage(
                "--epochs, --batch, --threads and --ensemble must be at least 1",
            ));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(Error::usage(format!(
                "--lr {} must be a positive number",
                self.lr
            )));
        }
        if let Some(t) = self.max_time {
            if !(t.is_finite() && t >= 0.0) {
                return Err(Error::usage(format!(
                    "--max-time {t} must be a number of seconds ≥ 0"
                )));
            }
        }
        Ok(())
    }
}

impl NeuralConfig {
    /// The defaults for a neural `kind`: its core ("ms", "s", "m" or one LSTM layer), the
    /// default width, patches and training, over a frozen NLinear base (residual over linear;
    /// chosen on validation windows, docs/accuracy.md).
    pub fn for_kind(kind: ModelKind) -> NeuralConfig {
        let core = match kind {
            ModelKind::Lstm => CoreKind::Lstm { layers: 1 },
            ModelKind::Slstm => CoreKind::Xlstm { blocks: "s".into() },
            ModelKind::Mlstm => CoreKind::Xlstm { blocks: "m".into() },
            _ => CoreKind::Xlstm { blocks: "ms".into() },
        };
        NeuralConfig {
            network: NetworkConfig {
                core,
                ..NetworkConfig::default()
            },
            train: TrainSettings::default(),
            base: Some(BaseConfig::fallback(ModelKind::NLinear)),
            result: Vec::new(),
        }
    }

    /// These settings for `windows` training windows of `lookback` → `horizon` over data whose
    /// season is `season`, with what the command line left to the data resolved: the width
    /// [`width_for`] the windows when `--hidden` was not given; when no patch was given and
    /// [`season_patches`] holds, patches of one season side by side and, unless `--ensemble` or
    /// `--member-lookbacks` was given, [`SEASON_ENSEMBLE`] networks over the lookbacks of
    /// [`member_lookbacks`]; otherwise the given values, one network when neither was given, and
    /// every member over the whole lookback when no member lookbacks were given.
    pub fn for_data(&self, season: usize, lookback: usize, horizon: usize, windows: usize) -> NeuralConfig {
        let mut resolved = self.clone();
        if self.network.width_open {
            (resolved.network.width, resolved.network.width_open) = (width_for(windows), false);
        }
        let open = self.network.patch.is_none() && self.network.stride.is_none();
        let seasonal = open && season_patches(season, lookback, horizon);
        if seasonal {
            (resolved.network.patch, resolved.network.stride) = (Some(season), Some(season));
        }
        let train = &self.train;
        let left_open = train.ensemble.is_none() && train.member_lookbacks.is_none();
        resolved.train.member_lookbacks = Some(match &train.member_lookbacks {
            Some(given) => given.clone(),
            None if seasonal && left_open => member_lookbacks(lookback, season, SEASON_ENSEMBLE),
            None => Vec::new(),
        });
        resolved.train.ensemble = Some(match (train.ensemble, seasonal && left_open) {
            (Some(n), _) => n,
            (None, true) => SEASON_ENSEMBLE,
            (None, false) => resolved.train.members(),
        });
        resolved
    }

    /// The network for `lookback` → `horizon`, with a linear base when [`NeuralConfig::base`] is
    /// set; the message names the offending field.
    pub fn forecaster(
        &self,
        lookback: usize,
        horizon: usize,
    ) -> std::result::Result<ForecasterConfig, String> {
        let mut config = self.network.forecaster(lookback, horizon)?;
        config.base = self.base.is_some();
        Ok(config)
    }
}

impl ModelConfig {
    /// The default settings of `kind`.
    pub fn for_kind(kind: ModelKind) -> ModelConfig {
        let linear = LinearConfig::default();
        match kind {
            ModelKind::Naive => ModelConfig::Naive,
            ModelKind::SeasonalNaive => ModelConfig::SeasonalNaive { season: None },
            ModelKind::Linear => ModelConfig::Linear(linear),
            ModelKind::NLinear => ModelConfig::NLinear(linear),
            ModelKind::DLinear => ModelConfig::DLinear(linear),
            ModelKind::Xlstm => ModelConfig::Xlstm(NeuralConfig::for_kind(kind)),
            ModelKind::Slstm => ModelConfig::Slstm(NeuralConfig::for_kind(kind)),
            ModelKind::Mlstm => ModelConfig::Mlstm(NeuralConfig::for_kind(kind)),
            ModelKind::Lstm => ModelConfig::Lstm(NeuralConfig::for_kind(kind)),
        }
    }

    /// The kind these settings belong to.
    pub fn kind(&self) -> ModelKind {
        match self {
            ModelConfig::Naive => ModelKind::Naive,
            ModelConfig::SeasonalNaive { .. } => ModelKind::SeasonalNaive,
            ModelConfig::Linear(_) => ModelKind::Linear,
            ModelConfig::NLinear(_) => ModelKind::NLinear,
            ModelConfig::DLinear(_) => ModelKind::DLinear,
            ModelConfig::Xlstm(_) => ModelKind::Xlstm,
            ModelConfig::Slstm(_) => ModelKind::Slstm,
            ModelConfig::Mlstm(_) => ModelKind::Mlstm,
            ModelConfig::Lstm(_) => ModelKind::Lstm,
        }
    }

    /// The linear settings, for the linear kinds.
    pub fn linear(&self) -> Option<&LinearConfig> {
        match self {
            ModelConfig::Linear(c) | ModelConfig::NLinear(c) | ModelConfig::DLinear(c) => Some(c),
            _ => None,
        }
    }

    /// The linear settings to change, for the linear kinds.
    pub fn linear_mut(&mut self) -> Option<&mut LinearConfig> {
        match self {
            ModelConfig::Linear(c) | ModelConfig::NLinear(c) | ModelConfig::DLinear(c) => Some(c),
            _ => None,
        }
    }

    /// The neural settings, for the neural kinds.
    pub fn neural(&self) -> Option<&NeuralConfig> {
        match self {
            ModelConfig::Xlstm(c) | ModelConfig::Slstm(c) | ModelConfig::Mlstm(c) | ModelConfig::Lstm(c) => {
                Some(c)
            }
            _ => None,
        }
    }

    /// The neural settings to change, for the neural kinds.
    pub fn neural_mut(&mut self) -> Option<&mut NeuralConfig> {
        match self {
            ModelConfig::Xlstm(c) | ModelConfig::Slstm(c) | ModelConfig::Mlstm(c) | ModelConfig::Lstm(c) => {
                Some(c)
            }
            _ => None,
        }
    }

    /// Check every setting that does not depend on the data; usage errors name the flag.
    /// (The sizes that depend on the lookback are checked by [`super::Forecaster::new`].)
    pub fn validate(&self) -> Result<()> {
        if let Some(LinearConfig { alpha: Some(a) }) = self.linear() {
            if !(a.is_finite() && *a >= 0.0) {
                return Err(Error::usage(format!("--alpha {a} must be a finite number ≥ 0")));
            }
        }
        if let ModelConfig::SeasonalNaive { season: Some(0) } = self {
            return Err(Error::usage("--season must be at least 1"));
        }
        let Some(neural) = self.neural() else {
            return Ok(());
        };
        // zero epochs are the base alone, which needs a plain base (`--base auto` trains without)
        neural
            .train
            .validate(neural.base.is_some_and(|b| b.corrected()))?;
        if (neural.train.loss == Loss::Quantile) == neural.network.quantiles.is_empty() {
            return Err(Error::usage(
                "--loss quantile and a network's quantiles go together: give --loss quantile with --level for the quantiles it learns",
            ));
        }
        if let Some(base) = &neural.base {
            base.validate()?;
            if base.mix.is_some() && !neural.network.quantiles.is_empty() {
                return Err(Error::usage("a quantile network does not blend with its base"));
            }
        }
        let kind = self.kind();
        match (&neural.network.core, kind) {
            (CoreKind::Lstm { layers }, ModelKind::Lstm) => {
                if *layers == 0 {
                    return Err(Error::usage("--layers must be at least 1"));
                }
                Ok(())
            }
            (CoreKind::Xlstm { blocks }, ModelKind::Xlstm | ModelKind::Slstm | ModelKind::Mlstm) => {
                let only = match kind {
                    ModelKind::Slstm => Some('s'),
                    ModelKind::Mlstm => Some('m'),
                    _ => None,
                };
                if blocks.is_empty() || blocks.chars().any(|c| !matches!(c, 'm' | 's')) {
                    return Err(Error::usage(format!(
                        "--blocks '{blocks}' must list blocks as 'm' (mLSTM) and 's' (sLSTM), e.g. ms or m,s,m"
                    )));
                }
                match only {
                    Some(letter) if blocks.chars().any(|c| c != letter) => Err(Error::usage(format!(
                        "--blocks '{blocks}' mixes block kinds; use --model xlstm for mixed stacks"
                    ))),
                    _ => Ok(()),
                }
            }
            (core, kind) => Err(Error::usage(format!(
                "a {} model cannot have the core {core:?}",
                kind.name()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::network::{WIDE_FROM_WINDOWS, WIDE_WIDTH};
    use super::*;

    #[test]
    fn the_window_budget_caps_the_epochs_of_large_data_only() {
        let settings = TrainSettings::default();
        assert_eq!(settings.epochs_for(8_000), 30); // ETTh1: ⌈112.5⌉ capped at the 30 epochs
        assert_eq!(settings.epochs_for(158_000), 6); // M4 Hourly at L = 336: ⌈5.7⌉
        assert_eq!(settings.epochs_for(5_000_000), 1); // never fewer than one
        assert_eq!(settings.epochs_for(0), 30);
        let given = TrainSettings {
            window_budget: None,
            ..settings
        };
        assert_eq!(given.epochs_for(5_000_000), 30);
    }

    /// A width left to the data is 64 from 100,000 training windows (M4 Hourly) and 32 below
    /// (ETTh1, ETTm1); a given width is kept whatever the data; the resolved width is not open.
    #[test]
    fn a_width_left_open_grows_with_the_training_windows_only() {
        let mut open = NeuralConfig::for_kind(ModelKind::Xlstm);
        open.network.width_open = true;
        let width = |config: &NeuralConfig, windows| {
            let resolved = config.for_data(24, 336, 48, windows);
            assert!(!resolved.network.width_open);
            resolved.network.width
        };
        assert_eq!(width(&open, 8_000), 32); // ETTh1
        assert_eq!(width(&open, 34_000), 32); // ETTm1
        assert_eq!(width(&open, WIDE_FROM_WINDOWS - 1), 32);
        assert_eq!(width(&open, WIDE_FROM_WINDOWS), WIDE_WIDTH);
        assert_eq!(width(&open, 158_000), 64); // M4 Hourly at L = 336
        let mut given = open.clone();
        (given.network.width, given.network.width_open) = (16, false);
        assert_eq!(width(&given, 158_000), 16);
        assert_eq!(width(&given, 8_000), 16);
    }

    #[test]
    fn the_tag_is_the_kind_name_and_every_default_round_trips() {
        for kind in ModelKind::ALL {
            let config = ModelConfig::for_kind(kind);
            assert_eq!(config.kind(), kind);
            config.validate().unwrap();
            let text = serde_json::to_string(&config).unwrap();
            assert!(
                text.starts_with(&format!(r#"{{"kind":"{}""#, kind.name())),
                "{text}"
            );
            assert_eq!(serde_json::from_str::<ModelConfig>(&text).unwrap(), config);
        }
    }

    #[test]
    fn threads_are_not_stored_and_a_huber_loss_keeps_its_delta() {
        let mut neural = NeuralConfig::for_kind(ModelKind::Lstm);
        neural.train.threads = 7;
        neural.train.loss = Loss::Huber { delta: 0.5 };
        let text = serde_json::to_string(&ModelConfig::Lstm(neural)).unwrap();
        assert!(!text.contains("threads"), "{text}");
        let back: ModelConfig = serde_json::from_str(&text).unwrap();
        let train = &back.neural().unwrap().train;
        assert_eq!((train.threads, train.loss), (2, Loss::Huber { delta: 0.5 }));
    }

    #[test]
    fn bad_settings_are_usage_errors_naming_the_flag() {
        let with = |kind: ModelKind, change: &dyn Fn(&mut ModelConfig)| {
            let mut config = ModelConfig::for_kind(kind);
            change(&mut config);
            let e = config.validate().unwrap_err();
            assert_eq!(e.exit_code(), 2);
            e.to_string()
        };
        let alpha = with(ModelKind::NLinear, &|c| {
            c.linear_mut().unwrap().alpha = Some(-1.0)
        });
        assert!(alpha.contains("--alpha"), "{alpha}");
        let lr = with(ModelKind::Lstm, &|c| c.neural_mut().unwrap().train.lr = f64::NAN);
        assert!(lr.contains("--lr"), "{lr}");
        let epochs = with(ModelKind::Xlstm, &|c| {
            let n = c.neural_mut().unwrap();
            (n.train.epochs, n.base) = (0, None);
        });
        assert!(epochs.contains("--epochs"), "{epochs}");
        // zero epochs with a linear base: the model is the base (a refit of a kept base)
        let mut base_alone = ModelConfig::for_kind(ModelKind::Xlstm);
        let n = base_alone.neural_mut().unwrap();
        (n.train.epochs, n.base) = (0, Some(BaseConfig::frozen(ModelKind::NLinear)));
        base_alone.validate().unwrap();
        // but not with `--base auto`, whose network trains without the base
        let auto = with(ModelKind::Xlstm, &|c| c.neural_mut().unwrap().train.epochs = 0);
        assert!(auto.contains("--epochs"), "{auto}");
        let time = with(ModelKind::Xlstm, &|c| {
            c.neural_mut().unwrap().train.max_time = Some(-1.0)
        });
        assert!(time.contains("--max-time"), "{time}");
        let mixed = with(ModelKind::Slstm, &|c| {
            c.neural_mut().unwrap().network.core = CoreKind::Xlstm { blocks: "sm".into() }
        });
        assert!(mixed.contains("mixes block kinds"), "{mixed}");
        let letters = with(ModelKind::Xlstm, &|c| {
            c.neural_mut().unwrap().network.core = CoreKind::Xlstm { blocks: "mx".into() }
        });
        assert!(letters.contains("--blocks 'mx'"), "{letters}");
        let layers = with(ModelKind::Lstm, &|c| {
            c.neural_mut().unwrap().network.core = CoreKind::Lstm { layers: 0 }
        });
        assert!(layers.contains("--layers"), "{layers}");
    }
}
