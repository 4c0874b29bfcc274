//! A neural model's architecture as it is asked for and as it is stored in the model file: the
//! serialisable mirror of [`ForecasterConfig`] without the lookback and horizon (those belong to
//! the [`Forecaster`](super::Forecaster)), converted to and from it here and nowhere else.
//!
//! Keeping the file's shape in its own type keeps `nn` free of serde and makes the model file a
//! stable contract: a change inside `nn` must be mirrored here (the conversion from
//! [`ForecasterConfig`] names every field, so a new one stops the build until it is).

use serde::{Deserialize, Serialize};

use crate::nn::forecaster::{CellKind, CoreKind, ForecasterConfig, HeadKind};

/// The file form of [`CoreKind`]: `"core": "xlstm", "blocks": "ms"` (or `"layers"`, `"cell"`).
#[derive(Serialize, Deserialize)]
#[serde(remote = "CoreKind", tag = "core", rename_all = "lowercase")]
enum CoreKindDef {
    Lstm {
        layers: usize,
    },
    Xlstm {
        blocks: String,
    },
    Cell {
        #[serde(with = "CellKindDef")]
        cell: CellKind,
    },
}

/// The file form of [`CellKind`].
#[derive(Serialize, Deserialize)]
#[serde(remote = "CellKind", rename_all = "lowercase")]
enum CellKindDef {
    Slstm,
    Mlstm { parallel: bool },
}

/// The file form of [`HeadKind`].
#[derive(Serialize, Deserialize)]
#[serde(remote = "HeadKind", rename_all = "lowercase")]
enum HeadKindDef {
    Flatten,
    Last,
}

/// The architecture of a neural forecaster, independent of its lookback and horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkConfig {
    /// The recurrent core: LSTM layers, xLSTM block letters ('m' mLSTM, 's' sLSTM) or a bare cell.
    #[serde(flatten, with = "CoreKindDef")]
    pub core: CoreKind,
    /// Model width D (`--hidden`).
    pub width: usize,
    /// Heads of the sLSTM and mLSTM cells (the width must be a multiple).
    pub heads: usize,
    /// Input steps per token (None: min(16, lookback)).
    pub patch: Option<usize>,
    /// Steps between patches (None: half the patch length, at least 1).
    pub stride: Option<usize>,
    /// Causal-convolution kernel of the xLSTM blocks (None: the network's default).
    pub conv_kernel: Option<usize>,
    /// What the linear head reads.
    #[serde(with = "HeadKindDef")]
    pub head: HeadKind,
    /// Add a linear map of the normalised window to the output.
    pub linear_skip: bool,
}

impl Default for NetworkConfig {
    /// The command line's defaults: the xLSTM stack "ms" of width 32 with 4 heads, patches of
    /// min(16, L) at half-patch stride, a flattened head and the linear skip.
    fn default() -> Self {
        NetworkConfig {
            core: CoreKind::Xlstm { blocks: "ms".into() },
            width: 32,
            heads: 4,
            patch: None,
            stride: None,
            conv_kernel: None,
            head: HeadKind::Flatten,
            linear_skip: true,
        }
    }
}

impl NetworkConfig {
    /// The full architecture for `lookback` → `horizon`, checked; the message names the field.
    pub fn forecaster(&self, lookback: usize, horizon: usize) -> Result<ForecasterConfig, String> {
        let mut config = ForecasterConfig::new(self.core.clone(), lookback, horizon);
        config.width = self.width;
        config.heads = self.heads;
        config.head = self.head;
        config.linear_skip = self.linear_skip;
        if let Some(kernel) = self.conv_kernel {
            config.conv_kernel = kernel;
        }
        if let Some(patch) = self.patch {
            config.patch = patch;
            config.stride = (patch / 2).max(1);
        }
        if let Some(stride) = self.stride {
            config.stride = stride;
        }
        if let CoreKind::Xlstm { blocks } = &config.kind {
            if blocks.is_empty() {
                return Err("an xLSTM core needs at least one block".into());
            }
        }
        config.validate()?;
        Ok(config)
    }
}

impl From<&ForecasterConfig> for NetworkConfig {
    /// The architecture with every default resolved (patch, stride and conv kernel as used).
    fn from(config: &ForecasterConfig) -> Self {
        // every field named: a new field in `nn` must be added to the file form too
        let ForecasterConfig {
            kind,
            lookback: _,
            horizon: _,
            patch,
            stride,
            width,
            heads,
            conv_kernel,
            head,
            linear_skip,
            base: _, // whether there is a base is NeuralConfig::base
        } = config;
        NetworkConfig {
            core: kind.clone(),
            width: *width,
            heads: *heads,
            patch: Some(*patch),
            stride: Some(*stride),
            conv_kernel: Some(*conv_kernel),
            head: *head,
            linear_skip: *linear_skip,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_round_trips_through_the_forecaster_config_and_json() {
        let cores = [
            CoreKind::Xlstm { blocks: "msm".into() },
            CoreKind::Lstm { layers: 2 },
            CoreKind::Cell {
                cell: CellKind::Slstm,
            },
            CoreKind::Cell {
                cell: CellKind::Mlstm { parallel: true },
            },
        ];
        for core in cores {
            let asked = NetworkConfig {
                core,
                head: HeadKind::Last,
                ..NetworkConfig::default()
            };
            let built = asked.forecaster(96, 24).unwrap();
            let resolved = NetworkConfig::from(&built);
            assert_eq!((resolved.patch, resolved.stride), (Some(16), Some(8)));
            assert_eq!(resolved.forecaster(96, 24).unwrap(), built);
            let text = serde_json::to_string(&resolved).unwrap();
            assert_eq!(serde_json::from_str::<NetworkConfig>(&text).unwrap(), resolved);
        }
    }

    #[test]
    fn the_file_form_names_the_core_beside_the_sizes() {
        let text = serde_json::to_string(&NetworkConfig::default()).unwrap();
        assert!(
            text.contains(r#""core":"xlstm","blocks":"ms","width":32"#),
            "{text}"
        );
        assert!(text.contains(r#""head":"flatten""#), "{text}");
    }

    #[test]
    fn a_patch_sets_a_half_stride_and_bad_sizes_name_the_field() {
        let c = NetworkConfig {
            patch: Some(6),
            ..NetworkConfig::default()
        };
        assert_eq!(c.forecaster(48, 12).unwrap().stride, 3);
        let too_long = NetworkConfig {
            patch: Some(49),
            ..NetworkConfig::default()
        };
        assert!(too_long.forecaster(48, 12).unwrap_err().contains("patch 49"));
        let odd = NetworkConfig {
            width: 10,
            ..NetworkConfig::default()
        };
        assert!(odd.forecaster(48, 12).unwrap_err().contains("width 10"));
        let empty = NetworkConfig {
            core: CoreKind::Xlstm {
                blocks: String::new(),
            },
            ..NetworkConfig::default()
        };
        assert!(empty
            .forecaster(48, 12)
            .unwrap_err()
            .contains("at least one block"));
    }
}
