//! A fitted model of any kind: its resolved settings, its weights and how fitting went. It
//! forecasts standardised windows and turns into named tensors for the model file and back.
//!
//! The weights sit in a private [`Model`], so a fitted model can later hold more than one network
//! (an ensemble of seeds, a linear base under a neural correction) without changing how callers
//! fit, predict or save it. Beside them sits the interval calibrator ([`Intervals`]), set by
//! [`Fitted::calibrate`] on out-of-sample windows; [`Fitted::forecast`] then gives the bands.

use ndarray::{s, Array1, Array2, ArrayView2};

use super::config::ModelConfig;
use super::intervals::{quantile_bounds, window_scales, Forecast, IntervalMethod, Intervals, WindowFacts};
use crate::baseline::{Baseline, LinearMap, DLINEAR_KERNEL};
use crate::data::window::WindowSet;
use crate::error::{Error, Result};
use crate::nn::forecaster::{self, CoreKind, ForecasterConfig, ForecasterParams};
use crate::nn::loss::Loss;
use crate::nn::train::{self, EpochReport, StopReason, WindowSource};

/// A named tensor as stored in the model file.
pub type NamedTensor = (String, Vec<f64>);

/// How fitting went.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FitReport {
    /// Seconds spent fitting (selection included).
    pub seconds: f64,
    /// Loss per epoch (neural models; empty for the others).
    pub history: Vec<EpochReport>,
    /// Why training ended (neural models).
    pub stop: Option<StopReason>,
}

/// The weights of a fitted model.
#[derive(Debug, Clone)]
enum Model {
    /// A classic baseline.
    Baseline(Baseline),
    /// A neural forecaster (xLSTM, sLSTM, mLSTM or LSTM core), or an ensemble of them whose
    /// forecasts are averaged.
    Neural {
        /// Their architecture, over the whole lookback.
        config: ForecasterConfig,
        /// The weights of each member (one for a single network).
        members: Vec<ForecasterParams<f64>>,
        /// Each member's architecture: `config`, or over the last steps of the window only
        /// ([`ForecasterConfig::crop`], `--member-lookbacks`).
        configs: Vec<ForecasterConfig>,
    },
}

/// A fitted model: resolved settings, weights and the fit report.
#[derive(Debug, Clone)]
pub struct Fitted {
    config: ModelConfig,
    lookback: usize,
    horizon: usize,
    /// Covariate channels C beside the target in every input window.
    covariates: usize,
    model: Model,
    report: FitReport,
    intervals: Option<Intervals>,
}

impl Fitted {
    /// A fitted baseline.
    pub(super) fn baseline(
        config: ModelConfig,
        (lookback, horizon, covariates): (usize, usize, usize),
        baseline: Baseline,
        report: FitReport,
    ) -> Fitted {
        Fitted {
            config,
            lookback,
            horizon,
            covariates,
            model: Model::Baseline(baseline),
            report,
            intervals: None,
        }
    }

    /// A fitted neural forecaster: one network, or the members of an ensemble.
    pub(super) fn neural(
        config: ModelConfig,
        network: ForecasterConfig,
        members: Vec<ForecasterParams<f64>>,
        report: FitReport,
    ) -> Fitted {
        debug_assert!(!members.is_empty(), "a neural model has at least one network");
        let train = &config.neural().expect("a neural kind").train;
        let configs = (0..members.len())
            .map(|k| member_config(&network, train.member_crop(k, network.lookback)))
            .collect();
        Fitted {
            config,
            lookback: network.lookback,
            horizon: network.horizon,
            covariates: network.covariates,
            model: Model::Neural {
                config: network,
                members,
                configs,
            },
            report,
            intervals: None,
        }
    }

    /// The settings as used: chosen ridge penalty and season, resolved patches, the epoch kept.
    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// The model kind.
    pub fn kind(&self) -> super::ModelKind {
        self.config.kind()
    }

    /// Lookback L: the length of each input window.
    pub fn lookback(&self) -> usize {
        self.lookback
    }

    /// Horizon H: the steps each forecast covers.
    pub fn horizon(&self) -> usize {
        self.horizon
    }

    /// Covariate channels C read beside the target: inputs are (N, L·(1 + C)).
    pub fn covariates(&self) -> usize {
        self.covariates
    }

    /// A neural model's point-forecast loss on the earlier and the later half of `validation`
    /// ([`train::point_loss_on_halves`]): an ensemble's is that of its forecast, the mean of its
    /// members'; None for a baseline.
    pub(super) fn point_loss_on_halves(
        &self,
        loss: Loss,
        validation: &dyn WindowSource,
        threads: usize,
    ) -> Option<[f64; 2]> {
        let Model::Neural { members, configs, .. } = &self.model else {
            return None;
        };
        let members: Vec<_> = members.iter().zip(configs).collect();
        Some(train::point_loss_on_halves(&members, loss, validation, threads))
    }

    /// This network (trained without a base; point forecasts) blended with the linear base of
    /// `base` (a network over its base with no trained epoch) as share·self + (1 − share)·base,
    /// one network over a blended base ([`crate::nn::blend`]), with the settings `config`.
    /// None unless both are such networks.
    pub(super) fn blended(&self, base: &Fitted, share: f64, config: ModelConfig) -> Option<Fitted> {
        let (
            Model::Neural {
                config: network,
                members,
                configs,
            },
            Model::Neural {
                members: base_members,
                ..
            },
        ) = (&self.model, &base.model)
        else {
            return None;
        };
        let linear = base_members[0].base.as_ref()?;
        if network.base || !network.quantiles.is_empty() {
            return None;
        }
        let members = members
            .iter()
            .zip(configs)
            .map(|(params, member)| crate::nn::blend::blend(params, member, &linear.w, &linear.b, share).0)
            .collect();
        let blended = ForecasterConfig {
            base: true,
            ..network.clone()
        };
        Some(Fitted::neural(config, blended, members, self.report.clone()))
    }

    /// The same model with `report` as its fit report.
    pub(super) fn with_report(mut self, report: FitReport) -> Fitted {
        self.report = report;
        self
    }

    /// How fitting went.
    pub fn report(&self) -> &FitReport {
        &self.report
    }

    /// Forecast standardised windows: inputs (N, L·(1 + C)) → forecasts (N, H) (a quantile
    /// network's median).
    pub fn predict(&self, inputs: ArrayView2<f64>) -> Array2<f64> {
        self.point_of(self.predict_outputs(inputs))
    }

    /// The point forecasts (N, H) among the model's `outputs`: all of them, or the median block.
    fn point_of(&self, outputs: Array2<f64>) -> Array2<f64> {
        match self.quantiles() {
            [] => outputs,
            taus => {
                let m = taus.len() / 2;
                outputs
                    .slice(s![.., m * self.horizon..(m + 1) * self.horizon])
                    .to_owned()
            }
        }
    }

    /// Every output of the model for inputs (N, L): (N, H), or (N, Q·H) for a quantile network.
    fn predict_outputs(&self, inputs: ArrayView2<f64>) -> Array2<f64> {
        match &self.model {
            Model::Baseline(b) => b.predict(inputs, self.lookback, self.horizon),
            Model::Neural { members, configs, .. } => {
                let mut sum = crate::nn::train::predict(&members[0], &configs[0], inputs); // (N, H)
                for (params, config) in members.iter().zip(configs).skip(1) {
                    sum += &crate::nn::train::predict(params, config, inputs);
                }
                if members.len() > 1 {
                    sum /= members.len() as f64;
                }
                sum
            }
        }
    }

    /// The quantiles τ a quantile network forecasts (`--loss quantile`); empty for point models.
    pub fn quantiles(&self) -> &[f64] {
        match &self.model {
            Model::Neural { config, .. } => &config.quantiles,
            Model::Baseline(_) => &[],
        }
    }

    /// The calibrated intervals, if any.
    pub fn intervals(&self) -> Option<&Intervals> {
        self.intervals.as_ref()
    }

    /// Set (or remove) the calibrated intervals: from a model file, or another fit's calibration
    /// of the same settings. An error when they do not fit this model (its horizon, or quantile
    /// intervals of levels the network has no quantiles for).
    pub fn set_intervals(&mut self, intervals: Option<Intervals>) -> Result<()> {
        if let Some(i) = &intervals {
            i.check(self.horizon).map_err(Error::runtime)?;
            let probe = Array2::zeros((0, self.quantiles().len().max(1) * self.horizon));
            self.bounds_of(i.method, probe.view(), &i.levels)?;
        }
        self.intervals = intervals;
        Ok(())
    }

    /// Calibrate intervals at `levels` (percent) on out-of-sample `windows` with the default
    /// method: conformalized quantiles for a quantile network, conformal margins otherwise
    /// (the evidence is in `docs/intervals.md`).
    pub fn calibrate(&mut self, windows: &WindowSet, levels: &[f64]) -> Result<()> {
        let method = if self.quantiles().is_empty() {
            IntervalMethod::Conformal
        } else {
            IntervalMethod::Quantile
        };
        self.calibrate_with(method, windows, levels)
    }

    /// Calibrate intervals of `method` at `levels` on `windows`. A quantile network without
    /// calibration windows keeps its own quantiles as they are.
    pub fn calibrate_with(
        &mut self,
        method: IntervalMethod,
        windows: &WindowSet,
        levels: &[f64],
    ) -> Result<()> {
        let levels = super::intervals::check_levels(levels)?;
        let inputs = windows.inputs(); // (N, L)
        let outputs = self.predict_outputs(inputs.view());
        let bounds = self.bounds_of(method, outputs.view(), &levels)?;
        let intervals = if windows.is_empty() && method == IntervalMethod::Quantile {
            Intervals {
                method,
                margins: vec![vec![0.0; self.horizon]; levels.len()],
                levels,
                windows: 0,
            }
        } else {
            let facts = WindowFacts {
                scales: &window_scales(inputs.view(), self.lookback),
                bounds: &bounds,
            };
            let point = self.predict(inputs.view());
            Intervals::calibrate(method, &levels, windows.targets().view(), point.view(), facts)?
        };
        self.intervals = Some(intervals);
        Ok(())
    }

    /// A quantile network's bounds of `levels` among its `outputs`, for the quantile method.
    fn bounds_of(
        &self,
        method: IntervalMethod,
        outputs: ArrayView2<f64>,
        levels: &[f64],
    ) -> Result<Vec<(Array2<f64>, Array2<f64>)>> {
        if method != IntervalMethod::Quantile {
            return Ok(Vec::new());
        }
        if self.quantiles().is_empty() {
            return Err(Error::usage(format!(
                "quantile intervals need a network trained with --loss quantile; this {} model forecasts points",
                self.kind().name()
            )));
        }
        quantile_bounds(outputs, self.quantiles(), levels, self.horizon)
    }

    /// Forecast standardised windows (N, L) with the calibrated intervals (no bands without
    /// them): the point forecasts (N, H) and one band per level.
    pub fn forecast(&self, inputs: ArrayView2<f64>) -> Forecast {
        let outputs = self.predict_outputs(inputs);
        let bounds = self
            .intervals
            .as_ref()
            .map(|i| self.bounds_of(i.method, outputs.view(), &i.levels));
        let point = self.point_of(outputs);
        let bands = match (&self.intervals, bounds) {
            // set_intervals checked that the bounds exist
            (Some(intervals), Some(Ok(bounds))) => {
                let facts = WindowFacts {
                    scales: &window_scales(inputs, self.lookback),
                    bounds: &bounds,
                };
                intervals.bands(point.view(), facts)
            }
            _ => Vec::new(),
        };
        Forecast { point, bands }
    }

    /// The number of weights.
    pub fn parameters(&self) -> usize {
        self.tensors().iter().map(|(_, v)| v.len()).sum()
    }

    /// The weights as named tensors (none for the naive models; the intervals are not weights).
    pub fn tensors(&self) -> Vec<NamedTensor> {
        match &self.model {
            Model::Baseline(
                Baseline::Linear(m) | Baseline::NLinear(m) | Baseline::DLinear { map: m, .. },
            ) => vec![
                ("weights".to_string(), m.weights.iter().cloned().collect()),
                ("bias".to_string(), m.bias.to_vec()),
            ],
            Model::Baseline(Baseline::Naive | Baseline::SeasonalNaive { .. }) => Vec::new(),
            Model::Neural { members, .. } if members.len() == 1 => forecaster::params_to_named(&members[0]),
            // an ensemble stores member k's tensors under "member{k}."
            Model::Neural { members, .. } => members
                .iter()
                .enumerate()
                .flat_map(|(k, params)| {
                    forecaster::params_to_named(params)
                        .into_iter()
                        .map(move |(name, values)| (format!("member{k}.{name}"), values))
                })
                .collect(),
        }
    }

    /// Rebuild a fitted model from its settings and named tensors (as the model file stores
    /// them), checked against the lookback and horizon. Errors speak of the model file.
    pub fn from_tensors(
        config: ModelConfig,
        (lookback, horizon, covariates): (usize, usize, usize),
        tensors: &[NamedTensor],
    ) -> Result<Fitted> {
        let extra = covariates.saturating_mul(lookback);
        let report = FitReport::default();
        let baseline = match &config {
            ModelConfig::Xlstm(neural)
            | ModelConfig::Slstm(neural)
            | ModelConfig::Mlstm(neural)
            | ModelConfig::Lstm(neural) => {
                let mut network = neural.forecaster(lookback, horizon).map_err(|e| {
                    Error::runtime(format!("the model file's network settings are invalid: {e}"))
                })?;
                network.covariates = covariates;
                let members = neural.train.members();
                if members == 0 || members > tensors.len().max(1) {
                    return Err(Error::runtime(format!(
                        "the model file's ensemble of {members} networks does not fit its {} tensors",
                        tensors.len()
                    )));
                }
                let per_member = tensors.len() / members;
                check_network_size(&network, &tensors[..per_member])?;
                let configs = member_configs(neural, &network).map_err(|e| {
                    Error::runtime(format!("the model file's member lookbacks are invalid: {e}"))
                })?;
                let mut params = Vec::with_capacity(members);
                for (k, chunk) in tensors.chunks(per_member.max(1)).enumerate() {
                    let named: Vec<NamedTensor> = if members == 1 {
                        chunk.to_vec()
                    } else {
                        let prefix = format!("member{k}.");
                        chunk
                            .iter()
                            .map(|(name, values)| {
                                let name = name.strip_prefix(&prefix).ok_or_else(|| {
                                    Error::runtime(format!(
                                        "the model file's tensor '{name}' is not a tensor of ensemble member {k}"
                                    ))
                                })?;
                                Ok((name.to_string(), values.clone()))
                            })
                            .collect::<Result<_>>()?
                    };
                    let member = configs.get(k).unwrap_or(&network);
                    params.push(forecaster::load_named(member, &named).map_err(|e| {
                        Error::runtime(format!("the model file's weights do not fit its network: {e}"))
                    })?);
                }
                if params.len() != members || !tensors.len().is_multiple_of(members) {
                    return Err(Error::runtime(format!(
                        "the model file holds {} tensors, not a whole number for its {members} ensemble members",
                        tensors.len()
                    )));
                }
                return Ok(Fitted::neural(config, network, params, report));
            }
            ModelConfig::Naive => Baseline::Naive,
            ModelConfig::SeasonalNaive { season } => {
                // as at fit time: forecasting reads the last `season` values of the lookback
                let season = season.unwrap_or(0);
                if season == 0 || season > lookback {
                    return Err(Error::runtime(format!(
                        "the model file's season ({season}) is not between 1 and its lookback ({lookback})"
                    )));
                }
                Baseline::SeasonalNaive { season }
            }
            ModelConfig::Linear(_) => {
                Baseline::Linear(linear_map(&config, tensors, lookback + extra, horizon)?)
            }
            ModelConfig::NLinear(_) => {
                Baseline::NLinear(linear_map(&config, tensors, lookback + extra, horizon)?)
            }
            ModelConfig::DLinear(_) => Baseline::DLinear {
                kernel: DLINEAR_KERNEL,
                map: linear_map(&config, tensors, 2 * lookback + extra, horizon)?,
            },
        };
        Ok(Fitted::baseline(
            config,
            (lookback, horizon, covariates),
            baseline,
            report,
        ))
    }
}

/// The linear map of `features` → `horizon` stored as the tensors `weights` (F·H) and `bias` (H).
fn linear_map(
    config: &ModelConfig,
    tensors: &[NamedTensor],
    features: usize,
    horizon: usize,
) -> Result<LinearMap> {
    let tensor = |name: &str, len: usize| -> Result<Vec<f64>> {
        let found = tensors.iter().find(|(n, _)| n == name).ok_or_else(|| {
            Error::runtime(format!(
                "the model file has no tensor '{name}' for a {} model",
                config.kind().name()
            ))
        })?;
        if found.1.len() != len {
            return Err(Error::runtime(format!(
                "tensor '{name}' in the model file has {} values, expected {len}",
                found.1.len()
            )));
        }
        Ok(found.1.clone())
    };
    let weights = Array2::from_shape_vec((features, horizon), tensor("weights", features * horizon)?)
        .map_err(|e| Error::runtime(e.to_string()))?; // (F, H)
    Ok(LinearMap {
        weights,
        bias: Array1::from(tensor("bias", horizon)?), // (H)
    })
}

/// The architecture of each member of `neural`'s ensemble over `network` (its whole lookback),
/// checked: as many member lookbacks as members, each between the patch and the lookback.
pub(super) fn member_configs(
    neural: &super::NeuralConfig,
    network: &ForecasterConfig,
) -> std::result::Result<Vec<ForecasterConfig>, String> {
    let (train, lookback) = (&neural.train, network.lookback);
    let members = train.members();
    if let Some(lookbacks) = train.member_lookbacks.as_ref().filter(|l| !l.is_empty()) {
        if lookbacks.len() != members {
            return Err(format!(
                "{} member lookbacks for an ensemble of {members} networks",
                lookbacks.len()
            ));
        }
        if let Some(l) = lookbacks.iter().find(|&&l| l == 0 || l > lookback) {
            return Err(format!(
                "a member lookback of {l} is not between 1 and the lookback {lookback}"
            ));
        }
    }
    (0..members)
        .map(|k| {
            let member = member_config(network, train.member_crop(k, lookback));
            member.validate().map(|_| member)
        })
        .collect()
}

/// Member `network` over the last `lookback − crop` steps of each window (itself for crop 0).
fn member_config(network: &ForecasterConfig, crop: usize) -> ForecasterConfig {
    ForecasterConfig {
        lookback: network.lookback - crop,
        crop,
        ..network.clone()
    }
}

/// Before allocating the network: its sizes must agree with the weights stored, so a damaged
/// size (a width or conv kernel of 10^18) is an error, not a huge allocation.
fn check_network_size(network: &ForecasterConfig, tensors: &[NamedTensor]) -> Result<()> {
    let stored: usize = tensors.iter().map(|(_, v)| v.len()).sum();
    let (core, head) = crate::memory::parameters(network);
    let blocks = match &network.kind {
        CoreKind::Xlstm { blocks } => blocks.len(),
        CoreKind::Lstm { layers } => *layers,
        CoreKind::Cell { .. } => 1,
    };
    let conv = network.conv_kernel as f64 * network.width as f64 * blocks as f64;
    if core + head + conv > 64.0 * stored as f64 + 1e6 {
        return Err(Error::runtime(format!(
            "the model file's network settings describe about {:.3e} weights but it stores {stored}",
            core + head + conv
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ModelKind, NetworkConfig, NeuralConfig};
    use crate::nn::forecaster::{init, params_to_named};

    /// Found by `cargo run --release --example fuzz -- --target model`: a model file whose
    /// network settings hold a huge conv kernel or width panicked (shape overflow) or tried to
    /// allocate terabytes while rebuilding the network; now it is an error.
    #[test]
    fn huge_network_sizes_in_a_model_file_are_an_error_not_an_allocation() {
        let mut c = ForecasterConfig::new(CoreKind::Xlstm { blocks: "s".into() }, 8, 3);
        (c.width, c.heads, c.patch, c.stride) = (4, 2, 4, 2);
        let weights = params_to_named(&init::<f64>(&c, 3));
        let config = |c: &ForecasterConfig| {
            ModelConfig::Slstm(NeuralConfig {
                network: NetworkConfig::from(c),
                base: None,
                ..NeuralConfig::for_kind(ModelKind::Slstm)
            })
        };
        assert!(Fitted::from_tensors(config(&c), (8, 3, 0), &weights).is_ok());
        for (conv_kernel, width) in [(usize::MAX / 2, 4), (0, 1 << 31), (1 << 40, 4)] {
            let mut huge = c.clone();
            (huge.conv_kernel, huge.width) = (conv_kernel, width);
            let e = Fitted::from_tensors(config(&huge), (8, 3, 0), &weights).unwrap_err();
            assert!(e.to_string().contains("but it stores"), "{e}");
        }
    }

    /// A model file's member lookbacks must name one lookback per member, each between the
    /// patch and the model's lookback: anything else is an error naming them, not a panic.
    #[test]
    fn member_lookbacks_in_a_model_file_are_checked() {
        let mut c = ForecasterConfig::new(CoreKind::Xlstm { blocks: "s".into() }, 8, 3);
        (c.width, c.heads, c.patch, c.stride) = (4, 2, 4, 4);
        let members = |lookbacks: &[usize]| {
            let mut neural = NeuralConfig {
                network: NetworkConfig::from(&c),
                base: None,
                ..NeuralConfig::for_kind(ModelKind::Slstm)
            };
            neural.train.ensemble = Some(lookbacks.len().max(1));
            neural.train.member_lookbacks = Some(lookbacks.to_vec());
            let weights: Vec<NamedTensor> = lookbacks
                .iter()
                .enumerate()
                .flat_map(|(k, &l)| {
                    let member = member_config(&c, 8 - l.clamp(4, 8));
                    params_to_named(&init::<f64>(&member, 3))
                        .into_iter()
                        .map(move |(name, v)| (format!("member{k}.{name}"), v))
                })
                .collect();
            (ModelConfig::Slstm(neural), weights)
        };
        let (config, weights) = members(&[8, 4]);
        let model = Fitted::from_tensors(config, (8, 3, 0), &weights).unwrap();
        // the loaded ensemble forecasts, and its first member reads every step
        let x = ndarray::Array2::from_shape_fn((1, 8), |(_, t)| t as f64 * 0.3);
        let mut early = x.clone();
        early[[0, 1]] += 1.0;
        assert_ne!(model.predict(x.view()), model.predict(early.view()));
        for (bad, says) in [
            (&[8, 9][..], "not between 1 and the lookback 8"),
            (&[8, 0][..], "not between 1 and the lookback 8"),
            (&[8, 2][..], "patch 4"),
        ] {
            let (config, weights) = members(bad);
            let e = Fitted::from_tensors(config, (8, 3, 0), &weights).unwrap_err();
            assert!(e.to_string().contains(says), "{bad:?}: {e}");
        }
        let (mut config, weights) = members(&[8, 4]);
        config.neural_mut().unwrap().train.ensemble = Some(1);
        let e = Fitted::from_tensors(config, (8, 3, 0), &weights[..weights.len() / 2]).unwrap_err();
        assert!(
            e.to_string().contains("2 member lookbacks for an ensemble of 1"),
            "{e}"
        );
    }

    /// Found by the fuzzer: a seasonal naive model file with a season longer than its lookback
    /// (or 0) panicked with an index out of bounds when forecasting; now loading it is an error.
    #[test]
    fn a_seasonal_naive_season_outside_the_lookback_is_an_error() {
        let snaive = |season| ModelConfig::SeasonalNaive { season };
        for season in [None, Some(0), Some(4)] {
            let e = Fitted::from_tensors(snaive(season), (1, 3, 0), &[]).unwrap_err();
            assert!(e.to_string().contains("not between 1 and its lookback"), "{e}");
        }
        let model = Fitted::from_tensors(snaive(Some(4)), (4, 3, 0), &[]).unwrap();
        let x = ndarray::arr2(&[[1.0, 2.0, 3.0, 4.0]]);
        assert_eq!(model.predict(x.view()), ndarray::arr2(&[[1.0, 2.0, 3.0]]));
    }

    #[test]
    fn a_linear_model_needs_its_tensors_at_their_sizes() {
        let config = ModelConfig::for_kind(ModelKind::NLinear);
        let e = Fitted::from_tensors(config.clone(), (4, 2, 0), &[]).unwrap_err();
        assert!(e.to_string().contains("no tensor 'weights'"), "{e}");
        let short = [
            ("weights".to_string(), vec![0.0; 7]),
            ("bias".to_string(), vec![0.0; 2]),
        ];
        let e = Fitted::from_tensors(config.clone(), (4, 2, 0), &short).unwrap_err();
        assert!(e.to_string().contains("has 7 values, expected 8"), "{e}");
        let ok = [
            ("weights".to_string(), vec![0.0; 8]),
            ("bias".to_string(), vec![1.0; 2]),
        ];
        let fitted = Fitted::from_tensors(config, (4, 2, 0), &ok).unwrap();
        assert_eq!((fitted.parameters(), fitted.horizon()), (10, 2));
        // NLinear adds the last value back
        let x = ndarray::arr2(&[[0.0, 0.0, 0.0, 5.0]]);
        assert_eq!(fitted.predict(x.view()), ndarray::arr2(&[[6.0, 6.0]]));
    }
}
