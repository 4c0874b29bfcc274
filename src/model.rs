//! Fitted models of every kind behind one interface: forecast standardised windows, and turn
//! weights into named tensors for the model file and back.

use ndarray::{Array1, Array2, ArrayView2};

use crate::baseline::{Baseline, BaselineKind, LinearMap, DLINEAR_KERNEL};
use crate::error::{Error, Result};
use crate::nn::forecaster::{self, ForecasterConfig, ForecasterParams};

/// Every model kind `xlstm` knows, by its command-line name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModelKind {
    /// xLSTM stack (mLSTM and sLSTM blocks).
    Xlstm,
    /// sLSTM blocks only.
    Slstm,
    /// mLSTM blocks only.
    Mlstm,
    /// Classic LSTM.
    Lstm,
    /// Linear on the window.
    Linear,
    /// NLinear.
    NLinear,
    /// DLinear.
    DLinear,
    /// Naive.
    Naive,
    /// Seasonal naive.
    SeasonalNaive,
}

impl ModelKind {
    /// Every kind, in leaderboard order.
    pub const ALL: [ModelKind; 9] = [
        ModelKind::Xlstm,
        ModelKind::Slstm,
        ModelKind::Mlstm,
        ModelKind::Lstm,
        ModelKind::Linear,
        ModelKind::NLinear,
        ModelKind::DLinear,
        ModelKind::Naive,
        ModelKind::SeasonalNaive,
    ];

    /// The command-line name (`snaive`, `nlinear`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Xlstm => "xlstm",
            ModelKind::Slstm => "slstm",
            ModelKind::Mlstm => "mlstm",
            ModelKind::Lstm => "lstm",
            ModelKind::Linear => "linear",
            ModelKind::NLinear => "nlinear",
            ModelKind::DLinear => "dlinear",
            ModelKind::Naive => "naive",
            ModelKind::SeasonalNaive => "snaive",
        }
    }

    /// The kind called `name`.
    pub fn from_name(name: &str) -> Option<ModelKind> {
        ModelKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The baseline behind this kind, if it is one.
    pub fn baseline(self) -> Option<BaselineKind> {
        Some(match self {
            ModelKind::Linear => BaselineKind::Linear,
            ModelKind::NLinear => BaselineKind::NLinear,
            ModelKind::DLinear => BaselineKind::DLinear,
            ModelKind::Naive => BaselineKind::Naive,
            ModelKind::SeasonalNaive => BaselineKind::SeasonalNaive,
            _ => return None,
        })
    }

    /// Whether the linear models' ridge penalty applies.
    pub fn is_linear(self) -> bool {
        matches!(self, ModelKind::Linear | ModelKind::NLinear | ModelKind::DLinear)
    }
}

/// A fitted model of any kind.
#[derive(Debug, Clone)]
pub enum Model {
    /// A classic baseline.
    Baseline(Baseline),
    /// A neural forecaster (xLSTM, sLSTM, mLSTM or LSTM core).
    Neural {
        /// Its architecture.
        config: ForecasterConfig,
        /// Its weights.
        params: Box<ForecasterParams<f64>>,
    },
}

/// A named tensor as stored in the model file.
pub type NamedTensor = (String, Vec<f64>);

impl Model {
    /// Forecast standardised windows (N, L) → (N, H).
    pub fn predict(&self, inputs: ArrayView2<f64>, horizon: usize) -> Array2<f64> {
        match self {
            Model::Baseline(b) => b.predict(inputs, horizon),
            Model::Neural { config, params } => crate::nn::train::predict(params, config, inputs),
        }
    }

    /// The weights as named tensors (empty for the naive models).
    pub fn weights(&self) -> Vec<NamedTensor> {
        let map_tensors = |m: &LinearMap| {
            vec![
                ("weights".to_string(), m.weights.iter().cloned().collect()),
                ("bias".to_string(), m.bias.to_vec()),
            ]
        };
        match self {
            Model::Baseline(
                Baseline::Linear(m) | Baseline::NLinear(m) | Baseline::DLinear { map: m, .. },
            ) => map_tensors(m),
            Model::Baseline(Baseline::Naive | Baseline::SeasonalNaive { .. }) => Vec::new(),
            Model::Neural { params, .. } => forecaster::params_to_named(params.as_ref()),
        }
    }

    /// Rebuild a model of `kind` from its weights (checked against the lookback and horizon) and,
    /// for neural models, the network settings stored under `network` in `config`.
    pub fn from_weights(
        kind: ModelKind,
        weights: &[NamedTensor],
        lookback: usize,
        horizon: usize,
        season: usize,
        config: &serde_json::Value,
    ) -> Result<Model> {
        let Some(baseline_kind) = kind.baseline() else {
            let config = crate::neural::config_from_json(&config["network"])?;
            if (config.lookback, config.horizon) != (lookback, horizon) {
                return Err(Error::runtime(
                    "the model file's network settings disagree with its lookback and horizon",
                ));
            }
            let params = forecaster::load_named(&config, weights).map_err(|e| {
                Error::runtime(format!("the model file's weights do not fit its network: {e}"))
            })?;
            return Ok(Model::Neural {
                config,
                params: Box::new(params),
            });
        };
        let tensor = |name: &str, len: usize| -> Result<Vec<f64>> {
            let found = weights.iter().find(|(n, _)| n == name).ok_or_else(|| {
                Error::runtime(format!(
                    "the model file has no tensor '{name}' for a {} model",
                    kind.name()
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
        let map = |features: usize| -> Result<LinearMap> {
            let weights = Array2::from_shape_vec((features, horizon), tensor("weights", features * horizon)?)
                .map_err(|e| Error::runtime(e.to_string()))?;
            Ok(LinearMap {
                weights,
                bias: Array1::from(tensor("bias", horizon)?),
            })
        };
        Ok(Model::Baseline(match baseline_kind {
            BaselineKind::Naive => Baseline::Naive,
            BaselineKind::SeasonalNaive => Baseline::SeasonalNaive { season },
            BaselineKind::Linear => Baseline::Linear(map(lookback)?),
            BaselineKind::NLinear => Baseline::NLinear(map(lookback)?),
            BaselineKind::DLinear => Baseline::DLinear {
                kernel: DLINEAR_KERNEL,
                map: map(2 * lookback)?,
            },
        }))
    }
}
