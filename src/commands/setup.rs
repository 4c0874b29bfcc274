//! What every modelling command does first: read and check the data, then settle the lookback,
//! horizon, season and split (filling in defaults from the frequency and the data's length).

use crate::cli::{
    DataArgs, FillArg, FormatArg, HeadArg, LossArg, ModelArg, ModelArgs, NeuralArgs, WindowArgs,
};
use crate::commands::Output;
use crate::data::check::CheckReport;
use crate::data::check::Fill;
use crate::data::load::{load, LoadOptions};
use crate::data::time::season_guess;
use crate::data::window::{rows_needed, Prepared, Split};
use crate::data::{Dataset, Frequency};
use crate::error::{Error, Result};
use crate::model::ModelKind;
use crate::neural::{parse_blocks, train_config, NeuralSettings};
use crate::nn::forecaster::HeadKind;
use crate::nn::loss::Loss;
use crate::nn::train::TrainConfig;

/// The model kind a `--model` value names.
pub fn model_kind(arg: ModelArg) -> ModelKind {
    match arg {
        ModelArg::Xlstm => ModelKind::Xlstm,
        ModelArg::Slstm => ModelKind::Slstm,
        ModelArg::Mlstm => ModelKind::Mlstm,
        ModelArg::Lstm => ModelKind::Lstm,
        ModelArg::Linear => ModelKind::Linear,
        ModelArg::Nlinear => ModelKind::NLinear,
        ModelArg::Dlinear => ModelKind::DLinear,
        ModelArg::Naive => ModelKind::Naive,
        ModelArg::Snaive => ModelKind::SeasonalNaive,
    }
}

/// Every model setting from the flags.
#[derive(Debug, Clone)]
pub struct ModelSettings {
    /// Ridge penalty (None: choose on validation).
    pub alpha: Option<f64>,
    /// Neural settings.
    pub neural: NeuralSettings,
}

/// Validate and collect the model flags.
pub fn model_settings(model: &ModelArgs, neural: &NeuralArgs) -> Result<ModelSettings> {
    if let Some(a) = model.alpha {
        if !(a.is_finite() && a >= 0.0) {
            return Err(Error::usage(format!("--alpha {a} must be a finite number ≥ 0")));
        }
    }
    let loss = match neural.loss {
        LossArg::Mse => Loss::Mse,
        LossArg::Mae => Loss::Mae,
        LossArg::Huber => Loss::Huber { delta: 1.0 },
    };
    let train = train_config(
        neural.epochs,
        neural.batch,
        neural.lr,
        loss,
        neural.patience,
        neural.max_time,
        neural.threads,
        model.seed,
    )?;
    Ok(ModelSettings {
        alpha: model.alpha,
        neural: NeuralSettings {
            blocks: parse_blocks(neural.blocks.as_deref(), neural.ratio.as_deref())?,
            layers: neural.layers,
            hidden: neural.hidden,
            heads: neural.heads,
            patch: neural.patch,
            patch_stride: neural.patch_stride,
            head: match neural.head {
                HeadArg::Flatten => HeadKind::Flatten,
                HeadArg::Last => HeadKind::Last,
            },
            linear_skip: neural.linear_skip,
            base: match neural.base {
                crate::cli::BaseArg::None => None,
                crate::cli::BaseArg::Nlinear => Some(crate::baseline::BaselineKind::NLinear),
                crate::cli::BaseArg::Dlinear => Some(crate::baseline::BaselineKind::DLinear),
                crate::cli::BaseArg::Linear => Some(crate::baseline::BaselineKind::Linear),
                crate::cli::BaseArg::Snaive => Some(crate::baseline::BaselineKind::SeasonalNaive),
            },
            train: TrainConfig { base_lr_scale: neural.base_lr, ..train },
        },
    })
}

/// Turn the data flags into loader options.
pub fn load_options(args: &DataArgs) -> Result<LoadOptions> {
    let delimiter = match args.delimiter {
        None => None,
        Some(c) if c.is_ascii() => Some(c as u8),
        Some(c) => {
            return Err(Error::usage(format!(
                "--delimiter '{c}' must be a single ASCII character"
            )))
        }
    };
    Ok(LoadOptions {
        time_col: args.time_col.clone(),
        target: args
            .target
            .as_deref()
            .map(LoadOptions::parse_targets)
            .unwrap_or_default(),
        id_col: args.id_col.clone(),
        fill: args.fill.map(|f| match f {
            FillArg::Ffill => Fill::Ffill,
            FillArg::Linear => Fill::Linear,
            FillArg::Zero => Fill::Zero,
        }),
        format: args.format.map(|f| match f {
            FormatArg::Csv => crate::data::io::Format::Csv,
            FormatArg::Parquet => crate::data::io::Format::Parquet,
        }),
        delimiter,
    })
}

/// Read, check and (strictly) validate the data file for modelling.
pub fn load_for_modelling(
    path: &std::path::Path,
    args: &DataArgs,
    out: Output,
) -> Result<(Dataset, CheckReport)> {
    let options = load_options(args)?;
    let (dataset, report) = load(path, &options)?;
    for note in &report.notes {
        out.note(&format!("note: {note}"));
    }
    Ok((dataset, report))
}

/// Lookback, horizon, season, split and stride, all settled.
#[derive(Debug, Clone)]
pub struct Windowing {
    /// Lookback L.
    pub lookback: usize,
    /// Horizon H.
    pub horizon: usize,
    /// Season m (1 when the frequency suggests none).
    pub season: usize,
    /// The split.
    pub split: Split,
    /// Stride between training windows.
    pub stride: usize,
}

/// The default horizon for a frequency: M4's horizons where they apply, one day for sub-hourly data.
pub fn default_horizon(frequency: Frequency) -> usize {
    match frequency {
        Frequency::Seconds(3600) => 24,
        Frequency::Seconds(86_400) => 14,
        Frequency::Seconds(604_800) => 13,
        Frequency::Seconds(s) if s > 0 && s < 3600 && 86_400 % s == 0 => (86_400 / s as usize).min(96),
        Frequency::Months(1) => 18,
        Frequency::Months(3) => 8,
        Frequency::Months(12) => 6,
        _ => 12,
    }
}

/// Settle the windowing from the flags, the frequency and the shortest series.
/// `split` is the parsed `--split`, checked before the data are read so usage errors come first.
pub fn windowing(dataset: &Dataset, args: &WindowArgs, split: Split, out: Output) -> Result<Windowing> {
    if args.stride == 0 {
        return Err(Error::usage("--stride must be at least 1"));
    }
    let horizon = args.horizon.unwrap_or_else(|| default_horizon(dataset.frequency));
    if horizon == 0 {
        return Err(Error::usage("--horizon must be at least 1"));
    }
    if args.lookback == Some(0) {
        return Err(Error::usage("--lookback must be at least 1"));
    }
    let season = args
        .season
        .or_else(|| season_guess(dataset.frequency))
        .unwrap_or(1)
        .max(1);
    let shortest = dataset.series.iter().map(|s| s.values.len()).min().unwrap_or(0);
    let lookback = match args.lookback {
        Some(l) => l,
        None => {
            let wanted = (4 * horizon).max(2 * season).max(8);
            let fits = |l: usize| rows_needed(&split, l, horizon) <= shortest;
            let chosen = (1..=wanted).rev().find(|&l| fits(l)).unwrap_or(wanted);
            if chosen < wanted {
                out.note(&format!(
                    "note: lookback {chosen} (the default {wanted} does not fit the shortest series of {shortest} rows)"
                ));
            }
            chosen
        }
    };
    out.detail(&format!(
        "lookback {lookback}, horizon {horizon}, season {season}, split {}",
        args.split
    ));
    Ok(Windowing {
        lookback,
        horizon,
        season,
        split,
        stride: args.stride,
    })
}

/// Split and scale the dataset's series.
pub fn prepare(dataset: &Dataset, w: &Windowing) -> Result<Prepared> {
    let series: Vec<(&str, &[f64])> = dataset
        .series
        .iter()
        .map(|s| (s.id.as_str(), s.values.as_slice()))
        .collect();
    Prepared::new(&series, w.split, w.lookback, w.horizon)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_horizons_follow_m4_and_one_day_for_sub_hourly_data() {
        assert_eq!(default_horizon(Frequency::Seconds(3600)), 24);
        assert_eq!(default_horizon(Frequency::Seconds(86_400)), 14);
        assert_eq!(default_horizon(Frequency::Months(1)), 18);
        assert_eq!(default_horizon(Frequency::Months(12)), 6);
        assert_eq!(default_horizon(Frequency::Seconds(900)), 96);
        assert_eq!(default_horizon(Frequency::Rows), 12);
    }
}
