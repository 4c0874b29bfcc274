//! A neural model's architecture as it is asked for and as it is stored in the model file: the
//! serialisable mirror of [`ForecasterConfig`] without the lookback and horizon (those belong to
//! the [`Forecaster`](super::Forecaster)), converted to and from it here and nowhere else.
//!
//! Keeping the file's shape in its own type keeps `nn` free of serde and makes the model file a
//! stable contract: a change inside `nn` must be mirrored here (the conversion from
//! [`ForecasterConfig`] names every field, so a new one stops the build until it is). The block
//! options (conv scope, head-wise projections, FFN factor, dropout) carry serde defaults, so files
//! written before them read as the network they hold.

use serde::{Deserialize, Serialize};

use crate::nn::ffn::FfnFactor;
use crate::nn::forecaster::{CellKind, ConvScope, CoreKind, ForecasterConfig, HeadKind};
use crate::nn::mlstm_block::MlstmForm;

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
    Mlstm {
        #[serde(with = "MlstmFormDef")]
        form: MlstmForm,
    },
}

/// The file form of [`MlstmForm`]: `"recurrent"`, `"parallel"` or `{"chunkwise": {"chunk": 16}}`.
#[derive(Serialize, Deserialize)]
#[serde(remote = "MlstmForm", rename_all = "lowercase")]
enum MlstmFormDef {
    Recurrent,
    Parallel,
    Chunkwise { chunk: usize },
}

/// The file form of [`HeadKind`].
#[derive(Serialize, Deserialize)]
#[serde(remote = "HeadKind", rename_all = "lowercase")]
enum HeadKindDef {
    Flatten,
    Last,
}

/// The file form of [`ConvScope`]: `"legacy"` or `"both"`.
#[derive(Serialize, Deserialize)]
#[serde(remote = "ConvScope", rename_all = "lowercase")]
enum ConvScopeDef {
    Legacy,
    Both,
}

/// The file form of [`FfnFactor`]: `"4/3"` or `"1.3"`.
#[derive(Serialize, Deserialize)]
#[serde(remote = "FfnFactor")]
enum FfnFactorDef {
    #[serde(rename = "4/3")]
    FourThirds,
    #[serde(rename = "1.3")]
    OnePointThree,
}

/// The block options' defaults, for files written before the options existed.
mod block_defaults {
    use super::{ConvScope, FfnFactor};

    pub(super) fn conv_scope() -> ConvScope {
        ConvScope::Legacy
    }
    pub(super) fn ffn_factor() -> FfnFactor {
        FfnFactor::FourThirds
    }
    pub(super) fn ffn_multiple() -> usize {
        8
    }
}

/// Whether the patches left to the data are one season each, side by side: when the season is at
/// least [`SEASON_PATCH_MIN`] steps, the lookback holds at least [`SEASON_PATCH_TOKENS`] seasons
/// (hourly data at L = 336: 14 daily tokens instead of 41 of the default 16/8) and the horizon is
/// at most the lookback. Chosen on validation windows (docs/accuracy.md, "Daily patches on
/// long lookbacks"): on M4 Hourly's hold-out three networks of daily patches were 2.9 % better
/// than one of 16/8 at about the same cost, on ETTh1 the two tied up to H = 336 and at H = 720
/// (a horizon beyond the lookback) the finer patches were 8 % better.
pub fn season_patches(season: usize, lookback: usize, horizon: usize) -> bool {
    season >= SEASON_PATCH_MIN && lookback >= SEASON_PATCH_TOKENS * season && horizon <= lookback
}

/// The lookbacks of `members` networks over one-season patches: the first reads the whole
/// `lookback`, the others its last three quarters rounded down to whole seasons (M4 Hourly at
/// L = 336: 336, 240 and 240 steps, 14 and 10 days). Chosen on M4 Hourly's validation hold-out
/// (docs/accuracy.md, "Members over shorter lookbacks"): single networks over 240 steps scored
/// better than over 336, 288 or 168, and three networks over 336, 240 and 240 better than three
/// over 336 (0.8-1.7 % in OWA) or over 336, 240 and 168.
pub fn member_lookbacks(lookback: usize, season: usize, members: usize) -> Vec<usize> {
    let season = season.max(1);
    let shorter = (lookback * 3 / 4 / season * season).clamp(season.min(lookback), lookback);
    (0..members)
        .map(|k| if k == 0 { lookback } else { shorter })
        .collect()
}

/// The shortest season [`season_patches`] makes a patch of (shorter seasons keep 16/8).
pub const SEASON_PATCH_MIN: usize = 8;

/// The fewest one-season tokens [`season_patches`] accepts.
pub const SEASON_PATCH_TOKENS: usize = 8;

/// Networks trained with one-season patches when `--ensemble` is not given: three networks of
/// about a third of the tokens cost about what one network of the default patches costs.
pub const SEASON_ENSEMBLE: usize = 3;

/// The width of networks trained on at least [`WIDE_FROM_WINDOWS`] training windows when
/// `--hidden` is not given (the default width, 32, below).
pub const WIDE_WIDTH: usize = 64;

/// The training windows from which the width left to the data is [`WIDE_WIDTH`]: ten times
/// ETTh1's (8,000) and about two thirds of M4 Hourly's (157,104 on its test run at L = 336).
/// Chosen on validation windows (docs/accuracy.md, "A wider network on large data"): at width 64
/// three networks scored 5 % better on M4 Hourly's hold-out, while on ETTh1 the network alone was
/// 3 % worse on its validation windows.
pub const WIDE_FROM_WINDOWS: usize = 100_000;

/// The width of a network trained on `windows` training windows when none was given.
pub fn width_for(windows: usize) -> usize {
    if windows >= WIDE_FROM_WINDOWS {
        WIDE_WIDTH
    } else {
        NetworkConfig::default().width
    }
}

/// The architecture of a neural forecaster, independent of its lookback and horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkConfig {
    /// The recurrent core: LSTM layers, xLSTM block letters ('m' mLSTM, 's' sLSTM) or a bare cell.
    #[serde(flatten, with = "CoreKindDef")]
    pub core: CoreKind,
    /// Model width D (`--hidden`; with [`NetworkConfig::width_open`], the width until the
    /// training windows are counted).
    pub width: usize,
    /// Whether the width is left to the data (`--hidden` not given): [`width_for`] the training
    /// windows. Not stored: a model file holds the width it trained.
    #[serde(skip)]
    pub width_open: bool,
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
    /// Which xLSTM blocks take the conv (see [`ConvScope`]); absent in older files: legacy.
    #[serde(with = "ConvScopeDef", default = "block_defaults::conv_scope")]
    pub conv_scope: ConvScope,
    /// Head-wise q, k, v blocks of the mLSTM blocks (0: dense).
    #[serde(default)]
    pub qkv_blocksize: usize,
    /// Head-wise gate input projections in the sLSTM blocks.
    #[serde(default)]
    pub headwise_gates: bool,
    /// FFN factor of the sLSTM blocks.
    #[serde(with = "FfnFactorDef", default = "block_defaults::ffn_factor")]
    pub ffn_factor: FfnFactor,
    /// The FFN width is rounded up to a multiple of this.
    #[serde(default = "block_defaults::ffn_multiple")]
    pub ffn_multiple: usize,
    /// Dropout rate in the blocks during training.
    #[serde(default)]
    pub dropout: f64,
    /// Dropout rate on the head input during training.
    #[serde(default)]
    pub head_dropout: f64,
    /// The quantiles the head forecasts (`--loss quantile`); empty (and absent): a point forecast.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quantiles: Vec<f64>,
}

impl Default for NetworkConfig {
    /// The command line's defaults: the xLSTM stack "ms" of width 32 (fixed here; the command
    /// line leaves it to the data with [`NetworkConfig::width_open`]) with 4 heads, patches of
    /// min(16, L) at half-patch stride, a flattened head and the linear skip, and the paper's
    /// blocks as the official code builds them: a causal conv of 4 taps in both block kinds,
    /// head-wise q, k, v blocks of 4, head-wise sLSTM gate projections and an FFN factor of 1.3
    /// (chosen on validation windows, docs/accuracy.md). Files written before these options
    /// existed read the older blocks ([`block_defaults`]).
    fn default() -> Self {
        NetworkConfig {
            core: CoreKind::Xlstm { blocks: "ms".into() },
            width: 32,
            width_open: false,
            heads: 4,
            patch: None,
            stride: None,
            conv_kernel: Some(4),
            head: HeadKind::Flatten,
            linear_skip: true,
            conv_scope: ConvScope::Both,
            qkv_blocksize: 4,
            headwise_gates: true,
            ffn_factor: FfnFactor::OnePointThree,
            ffn_multiple: block_defaults::ffn_multiple(),
            dropout: 0.0,
            head_dropout: 0.0,
            quantiles: Vec::new(),
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
        (config.conv_scope, config.qkv_blocksize) = (self.conv_scope, self.qkv_blocksize);
        (config.headwise_gates, config.ffn_factor) = (self.headwise_gates, self.ffn_factor);
        config.ffn_multiple = self.ffn_multiple;
        (config.dropout, config.head_dropout) = (self.dropout, self.head_dropout);
        config.quantiles = self.quantiles.clone();
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
            conv_scope,
            qkv_blocksize,
            headwise_gates,
            ffn_factor,
            ffn_multiple,
            dropout,
            head_dropout,
            quantiles,
            base: _,       // whether there is a base is NeuralConfig::base
            covariates: _, // the data's channels, kept by the model file
            crop: _,       // each ensemble member's, kept as its lookback by `TrainSettings`
        } = config;
        NetworkConfig {
            core: kind.clone(),
            width: *width,
            width_open: false,
            heads: *heads,
            patch: Some(*patch),
            stride: Some(*stride),
            conv_kernel: Some(*conv_kernel),
            head: *head,
            linear_skip: *linear_skip,
            conv_scope: *conv_scope,
            qkv_blocksize: *qkv_blocksize,
            headwise_gates: *headwise_gates,
            ffn_factor: *ffn_factor,
            ffn_multiple: *ffn_multiple,
            dropout: *dropout,
            head_dropout: *head_dropout,
            quantiles: quantiles.clone(),
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
                cell: CellKind::Mlstm {
                    form: MlstmForm::Parallel,
                },
            },
            CoreKind::Cell {
                cell: CellKind::Mlstm {
                    form: MlstmForm::Chunkwise { chunk: 16 },
                },
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

    /// Every block option round-trips through the file form; a file written before the options
    /// (none of their fields) reads as the defaults; a bad value is an error naming the field.
    #[test]
    fn block_options_round_trip_and_older_files_get_the_defaults() {
        let asked = NetworkConfig {
            conv_kernel: Some(4),
            conv_scope: ConvScope::Both,
            qkv_blocksize: 4,
            headwise_gates: true,
            ffn_factor: FfnFactor::OnePointThree,
            ffn_multiple: 64,
            dropout: 0.1,
            head_dropout: 0.25,
            ..NetworkConfig::default()
        };
        let built = asked.forecaster(96, 24).unwrap();
        assert_eq!(
            (built.conv_scope, built.ffn_width(), built.dropout),
            (ConvScope::Both, 64, 0.1)
        );
        let resolved = NetworkConfig::from(&built);
        let text = serde_json::to_string(&resolved).unwrap();
        assert!(
            text.contains(r#""conv_scope":"both""#) && text.contains(r#""ffn_factor":"1.3""#),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<NetworkConfig>(&text).unwrap(), resolved);
        let mut old = serde_json::to_value(NetworkConfig::default()).unwrap();
        for field in [
            "conv_scope",
            "qkv_blocksize",
            "headwise_gates",
            "ffn_factor",
            "ffn_multiple",
            "dropout",
            "head_dropout",
        ] {
            assert!(old.as_object_mut().unwrap().remove(field).is_some(), "{field}");
        }
        let read: NetworkConfig = serde_json::from_value(old).unwrap();
        let before_the_options = NetworkConfig {
            conv_scope: ConvScope::Legacy,
            qkv_blocksize: 0,
            headwise_gates: false,
            ffn_factor: FfnFactor::FourThirds,
            ffn_multiple: 8,
            dropout: 0.0,
            head_dropout: 0.0,
            ..NetworkConfig::default()
        };
        assert_eq!(read, before_the_options);
        let e = serde_json::from_str::<NetworkConfig>(&text.replace(r#""1.3""#, r#""2""#)).unwrap_err();
        assert!(e.to_string().contains("unknown variant"), "{e}");
        let bad = NetworkConfig {
            qkv_blocksize: 5,
            ..asked
        };
        assert!(bad.forecaster(96, 24).unwrap_err().contains("block size 5"));
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

    /// One-season patches need a season of 8 or more steps, 8 of them in the lookback and a
    /// horizon within the lookback.
    #[test]
    fn season_patches_need_a_long_lookback_of_long_seasons() {
        assert!(season_patches(24, 336, 48)); // M4 Hourly at 7 horizons
        assert!(season_patches(24, 192, 192)); // a horizon equal to the lookback
        assert!(season_patches(8, 64, 8)); // the shortest season, the fewest seasons
        assert!(!season_patches(24, 336, 720)); // ETTh1 at H = 720: beyond the lookback
        assert!(!season_patches(96, 336, 96)); // ETTm1: 3.5 seasons
        assert!(!season_patches(24, 168, 24)); // 7 days of hours
        assert!(!season_patches(7, 336, 14)); // a weekly season of days
        assert!(!season_patches(0, 336, 14)); // no season
    }

    /// The first member reads the whole lookback, the others its last three quarters in whole
    /// seasons (never shorter than one season, never longer than the lookback).
    #[test]
    fn members_read_the_whole_lookback_then_three_quarters_of_it() {
        assert_eq!(member_lookbacks(336, 24, 3), vec![336, 240, 240]); // M4 Hourly: 14, 10, 10 days
        assert_eq!(member_lookbacks(192, 24, 3), vec![192, 144, 144]);
        assert_eq!(member_lookbacks(96, 12, 2), vec![96, 72]);
        assert_eq!(member_lookbacks(100, 24, 1), vec![100]);
        assert_eq!(member_lookbacks(20, 24, 2), vec![20, 20]); // a season longer than the lookback
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
