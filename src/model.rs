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
            // Before allocating the network: its sizes must agree with the weights stored, so a
            // damaged size (a width or conv kernel of 10^18) is an error, not a huge allocation.
            let stored: usize = weights.iter().map(|(_, v)| v.len()).sum();
            let (core, head) = crate::memory::parameters(&config);
            let blocks = match &config.kind {
                crate::nn::forecaster::CoreKind::Xlstm { blocks } => blocks.len(),
                crate::nn::forecaster::CoreKind::Lstm { layers } => *layers,
                crate::nn::forecaster::CoreKind::Cell { .. } => 1,
            };
            let conv = config.conv_kernel as f64 * config.width as f64 * blocks as f64;
            if core + head + conv > 64.0 * stored as f64 + 1e6 {
                return Err(Error::runtime(format!(
                    "the model file's network settings describe about {:.3e} weights but it stores {stored}",
                    core + head + conv
                )));
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
            BaselineKind::SeasonalNaive => {
                // as at fit time: forecasting reads the last `season` values of the lookback
                if season == 0 || season > lookback {
                    return Err(Error::runtime(format!(
                        "the model file's season ({season}) is not between 1 and its lookback ({lookback})"
                    )));
                }
                Baseline::SeasonalNaive { season }
            }
            BaselineKind::Linear => Baseline::Linear(map(lookback)?),
            BaselineKind::NLinear => Baseline::NLinear(map(lookback)?),
            BaselineKind::DLinear => Baseline::DLinear {
                kernel: DLINEAR_KERNEL,
                map: map(2 * lookback)?,
            },
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::forecaster::{init, params_to_named, CoreKind};

    /// Found by `cargo run --release --example fuzz -- --target model`: a model file whose
    /// network settings hold a huge conv kernel or width panicked (shape overflow) or tried to
    /// allocate terabytes while rebuilding the network; now it is an error.
    #[test]
    fn huge_network_sizes_in_a_model_file_are_an_error_not_an_allocation() {
        let mut c = ForecasterConfig::new(CoreKind::Xlstm { blocks: "s".into() }, 8, 3);
        (c.width, c.heads, c.patch, c.stride) = (4, 2, 4, 2);
        let weights = params_to_named(&init::<f64>(&c, 3));
        let json = |c: &ForecasterConfig| serde_json::json!({ "network": crate::neural::config_to_json(c) });
        assert!(Model::from_weights(ModelKind::Slstm, &weights, 8, 3, 4, &json(&c)).is_ok());
        for (conv_kernel, width) in [(usize::MAX / 2, 4), (0, 1 << 31), (1 << 40, 4)] {
            let mut huge = c.clone();
            (huge.conv_kernel, huge.width) = (conv_kernel, width);
            let e = Model::from_weights(ModelKind::Slstm, &weights, 8, 3, 4, &json(&huge)).unwrap_err();
            assert!(e.to_string().contains("but it stores"), "{e}");
        }
    }

    /// Found by the fuzzer: a seasonal naive model file with a season longer than its lookback
    /// (or 0) panicked with an index out of bounds when forecasting; now loading it is an error.
    #[test]
    fn a_seasonal_naive_season_outside_the_lookback_is_an_error() {
        let json = serde_json::json!({});
        for season in [0, 4] {
            let e = Model::from_weights(ModelKind::SeasonalNaive, &[], 1, 3, season, &json).unwrap_err();
            assert!(e.to_string().contains("not between 1 and its lookback"), "{e}");
        }
        let model = Model::from_weights(ModelKind::SeasonalNaive, &[], 4, 3, 4, &json).unwrap();
        let x = ndarray::arr2(&[[1.0, 2.0, 3.0, 4.0]]);
        assert_eq!(model.predict(x.view(), 3), ndarray::arr2(&[[1.0, 2.0, 3.0]]));
    }
}
