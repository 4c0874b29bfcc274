//! What every modelling command does first: turn the parsed flags into the library's requests
//! (loader options, window request, model settings) and read and check the data.

use crate::cli::{BaseChoice, DataArgs, IntervalArgs, ModelArgs, NeuralArgs, TransformChoice, WindowArgs};
use crate::commands::Output;
use crate::data::check::CheckReport;
use crate::data::covariates::CovariateRequest;
use crate::data::load::{load, LoadOptions};
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::model::{
    check_levels, default_loss, BaseConfig, LinearConfig, ModelConfig, ModelKind, NetworkConfig,
    NeuralConfig, TrainSettings,
};
use crate::nn::forecaster::{ConvScope, CoreKind};
use crate::nn::loss::Loss;
use crate::pipeline::WindowRequest;

/// The loader options of the data flags.
pub fn load_options(args: &DataArgs) -> LoadOptions {
    LoadOptions {
        time_col: args.time_col.clone(),
        target: args
            .target
            .iter()
            .map(|t| t.trim())
            .filter(|t| !t.is_empty())
            .map(String::from)
            .collect(),
        id_col: args.id_col.clone(),
        fill: args.fill,
        format: args.format,
        delimiter: args.delimiter,
        time_format: args.time_format.clone(),
        covariates: CovariateRequest {
            past: trimmed(&args.covariates),
            future: trimmed(&args.future_covariates),
            calendar: args.calendar.clone(),
        },
    }
}

/// The non-empty, trimmed names of a comma-separated list flag.
fn trimmed(names: &[String]) -> Vec<String> {
    names
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .map(String::from)
        .collect()
}

/// Read, check and (strictly) validate the data file for modelling; notes go to stderr.
pub fn load_for_modelling(
    path: &std::path::Path,
    args: &DataArgs,
    out: Output,
) -> Result<(Dataset, CheckReport)> {
    let (dataset, report) = load(path, &load_options(args))?;
    for note in &report.notes {
        out.note(&format!("note: {note}"));
    }
    Ok((dataset, report))
}

/// The window geometry the flags ask for; `intervals`: whether prediction intervals are.
pub fn window_request(args: &WindowArgs, intervals: bool) -> WindowRequest {
    WindowRequest {
        lookback: args.lookback,
        horizon: args.horizon,
        season: args.season,
        split: args.split,
        stride: args.stride,
        transform: match args.transform {
            TransformChoice::Auto => None,
            TransformChoice::Fixed(t) => Some(t),
        },
        intervals,
    }
}

/// The interval levels asked for: `--level`, or 80 and 95 with `--loss quantile`; checked and
/// ascending.
pub fn levels(intervals: &IntervalArgs, neural: &NeuralArgs) -> Result<Vec<f64>> {
    match (intervals.level.as_slice(), neural.loss) {
        ([], Some(Loss::Quantile)) => Ok(vec![80.0, 95.0]),
        (levels, _) => check_levels(levels),
    }
}

/// The settings of `kind` from the model flags, validated (usage errors name the flag); a neural
/// model with `--loss quantile`, or without `--loss` when `levels` asks for intervals, learns the
/// quantiles of `levels` ([`default_loss`]).
pub fn model_config(
    kind: ModelKind,
    model: &ModelArgs,
    neural: &NeuralArgs,
    levels: &[f64],
) -> Result<ModelConfig> {
    let mut config = ModelConfig::for_kind(kind);
    if let Some(linear) = config.linear_mut() {
        *linear = LinearConfig { alpha: model.alpha };
    }
    if let Some(settings) = config.neural_mut() {
        if neural.base == BaseChoice::Auto && neural.base_lr != 0.0 {
            return Err(Error::usage(
                "--base-lr trains a named base jointly, but --base auto trains the network without one; \
                 give --base nlinear (or another base) with --base-lr",
            ));
        }
        let blocks = neural.blocks.as_ref().or(neural.ratio.as_ref());
        let core = match (&settings.network.core, blocks) {
            (CoreKind::Lstm { .. }, _) => CoreKind::Lstm {
                layers: neural.layers,
            },
            (_, Some(letters)) => CoreKind::Xlstm {
                blocks: letters.clone(),
            },
            (core, None) => core.clone(),
        };
        *settings = NeuralConfig {
            network: NetworkConfig {
                core,
                width: neural.hidden.unwrap_or(NetworkConfig::default().width),
                width_open: neural.hidden.is_none(),
                heads: neural.heads,
                patch: neural.patch,
                stride: neural.patch_stride,
                head: neural.head,
                linear_skip: neural.linear_skip,
                qkv_blocksize: neural.qkv_blocksize,
                headwise_gates: neural.headwise_gates,
                ffn_factor: neural.ffn_factor,
                dropout: neural.dropout,
                head_dropout: neural.head_dropout,
                ..match neural.conv_kernel {
                    // a kernel on the command line applies to both block kinds, as in the paper
                    Some(k) => NetworkConfig {
                        conv_kernel: Some(k),
                        conv_scope: ConvScope::Both,
                        ..NetworkConfig::default()
                    },
                    None => NetworkConfig::default(),
                }
            },
            train: TrainSettings {
                epochs: neural.epochs.unwrap_or(TrainSettings::default().epochs),
                window_budget: match neural.epochs {
                    Some(_) => None,
                    None => TrainSettings::default().window_budget,
                },
                batch: neural.batch,
                lr: neural.lr,
                loss: neural.loss.unwrap_or_else(|| default_loss(levels)),
                patience: neural.patience,
                max_time: neural.max_time,
                seed: model.seed,
                ensemble: neural.ensemble,
                member_lookbacks: neural.member_lookbacks.clone(),
                threads: neural.threads,
                confirm: neural.confirm,
                series_weight: neural.series_weight,
            },
            base: match neural.base {
                BaseChoice::None => None,
                BaseChoice::Auto => Some(BaseConfig {
                    alpha: model.alpha,
                    ..BaseConfig::fallback(ModelKind::NLinear)
                }),
                BaseChoice::Base(kind) => Some(BaseConfig {
                    alpha: model.alpha,
                    lr_scale: neural.base_lr,
                    ..BaseConfig::frozen(kind)
                }),
            },
            result: Vec::new(),
        };
        if settings.train.loss == Loss::Quantile {
            settings.learn_quantiles(levels)?;
        }
    }
    config.validate()?;
    Ok(config)
}

/// The settings of each kind in `kinds`, all checked before any data is read.
pub fn model_configs(
    kinds: &[ModelKind],
    model: &ModelArgs,
    neural: &NeuralArgs,
    levels: &[f64],
) -> Result<Vec<ModelConfig>> {
    kinds
        .iter()
        .map(|&k| model_config(k, model, neural, levels))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// The model flags alone, parsed as the commands parse them.
    #[derive(Parser)]
    struct Flags {
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        neural: NeuralArgs,
    }

    /// Without `--hidden` every neural kind's width is left to the data (32 until the windows
    /// are counted); with it the width is the given one, fixed.
    #[test]
    fn a_width_is_left_to_the_data_unless_hidden_is_given() {
        let network = |args: &[&str], kind| {
            let flags = Flags::try_parse_from(args).unwrap();
            let config = model_config(kind, &flags.model, &flags.neural, &[]).unwrap();
            let n = &config.neural().unwrap().network;
            (n.width, n.width_open)
        };
        for kind in [
            ModelKind::Xlstm,
            ModelKind::Slstm,
            ModelKind::Mlstm,
            ModelKind::Lstm,
        ] {
            assert_eq!(network(&["xlstm"], kind), (32, true));
            assert_eq!(network(&["xlstm", "--hidden", "64"], kind), (64, false));
            assert_eq!(network(&["xlstm", "--hidden", "32"], kind), (32, false));
        }
    }
}
