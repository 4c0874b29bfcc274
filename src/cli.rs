//! The command line as clap derive types, parsed completely by clap: every flag is checked by a
//! value parser or a range (usage errors exit with 2 and name the flag), and the library's enums
//! are command-line values through the `ValueEnum` implementations at the end of this file, the
//! one place that names them. The only module that uses clap besides `main.rs`.

use std::path::PathBuf;

use clap::builder::PossibleValue;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::data::check::Fill;
use crate::data::covariates::CalendarRequest;
use crate::data::io::Format;
use crate::data::window::{Split, SplitPart, Transform};
use crate::data::TimeFormat;
use crate::metrics::Metric;
use crate::model::{ModelKind, NetworkConfig, SeriesWeight, TrainSettings};
use crate::nn::ffn::FfnFactor;
use crate::nn::forecaster::HeadKind;
use crate::nn::loss::Loss;
use crate::pipeline::Refit;

/// xlstm: train small xLSTM forecasters on a CSV or Parquet file, compare them with classic
/// baselines and forecast the next steps with their timestamps.
#[derive(Debug, Parser)]
#[command(name = "xlstm", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
    /// Print nothing on stderr but errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Print more detail (estimated memory, chosen defaults).
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Report on a data file without training: rows, span, frequency, season, gaps, missing values, statistics.
    Check(CheckArgs),
    /// Train a model, report test errors beside naive baselines and save the model file.
    Fit(FitArgs),
    /// Forecast the steps after the end of the data with a saved model.
    Forecast(ForecastArgs),
    /// Run the public LTSF protocol (train-only scaling, stride-1 windows, MSE/MAE on standardised values).
    Eval(EvalArgs),
    /// Train several models on identical windows and rank them (optionally over rolling origins).
    Compare(CompareArgs),
    /// Measure training and inference speed and peak memory for one configuration.
    Bench(BenchArgs),
}

/// Options that say how to read the data file.
#[derive(Debug, Args, Clone, Default)]
pub struct DataArgs {
    /// Time column (default: detected from its name or contents; none means row numbers).
    #[arg(long, value_name = "COL")]
    pub time_col: Option<String>,
    /// Target column(s), comma-separated (default: the only numeric column, or one named y, value, target or OT).
    #[arg(long, value_name = "COL[,COL...]", value_delimiter = ',')]
    pub target: Vec<String>,
    /// Series id column for long-format panels (like unique_id in StatsForecast).
    #[arg(long, value_name = "COL")]
    pub id_col: Option<String>,
    /// Repair missing values instead of stopping with an error.
    #[arg(long, value_enum)]
    pub fill: Option<Fill>,
    /// File format (default: from the extension).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// CSV field delimiter (default ',').
    #[arg(long, value_name = "CHAR", value_parser = ascii_char)]
    pub delimiter: Option<u8>,
    /// How the time column is written, as a chrono/strftime pattern such as '%d.%m.%Y %H:%M' or '%Y-%m' (default: detected).
    #[arg(long, value_name = "FMT", value_parser = time_format)]
    pub time_format: Option<TimeFormat>,
    /// Past-observed covariates: other columns the models read through the lookback beside the target (comma-separated).
    #[arg(long, value_name = "COL[,COL...]", value_delimiter = ',')]
    pub covariates: Vec<String>,
    /// Future-known covariates: columns whose values over the horizon are known in advance (a temperature forecast, a promotion plan); `xlstm forecast --future FILE` gives them after the end of the data.
    #[arg(long, value_name = "COL[,COL...]", value_delimiter = ',')]
    pub future_covariates: Vec<String>,
    /// Calendar features from the timestamps, known for the future: auto (by frequency: hour,weekday below a day; weekday,month for days; yearday for weeks; month for months), none, or a list of hour, weekday, monthday, month, yearday.
    #[arg(long, value_name = "FEATURES", default_value = "none", value_parser = calendar_request)]
    pub calendar: CalendarRequest,
}

/// Options that say how windows and splits are cut.
#[derive(Debug, Args, Clone, Default)]
pub struct WindowArgs {
    /// Lookback L: past steps the model sees (default: max(4·horizon, 2·season), shortened to fit the data).
    #[arg(long, short = 'L', value_name = "L", value_parser = at_least_one)]
    pub lookback: Option<usize>,
    /// Horizon H: steps to forecast (default from the frequency: hourly 24, daily 14, weekly 13, monthly 18, quarterly 8, yearly 6, else 12).
    #[arg(long, short = 'H', value_name = "H", value_parser = at_least_one)]
    pub horizon: Option<usize>,
    /// Step between training windows.
    #[arg(long, default_value_t = 1, value_parser = at_least_one)]
    pub stride: usize,
    /// Chronological train,validation,test split: fractions (0.7,0.1,0.2) or row counts (8640,2880,2880).
    #[arg(long, default_value = "0.7,0.1,0.2", value_parser = split)]
    pub split: Split,
    /// Season length for seasonal naive and MASE (default from the frequency: hourly 24, daily 7, monthly 12, ...).
    #[arg(long, value_name = "N", value_parser = at_least_one)]
    pub season: Option<usize>,
    /// What the target's values go through before scaling: auto (default: logarithms when every
    /// target value is positive and NLinear's validation errors, sMAPE and MASE on average, are
    /// lower on them, and no --level is asked for; docs/accuracy.md), log (every value must be
    /// positive) or none.
    #[arg(long, value_name = "TRANSFORM", default_value = "auto", value_parser = transform)]
    pub transform: TransformChoice,
}

/// The value of `--transform`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TransformChoice {
    /// Chosen on the validation windows.
    #[default]
    Auto,
    /// This transform.
    Fixed(Transform),
}

/// `--transform`: `auto`, `log` or `none`.
fn transform(text: &str) -> Result<TransformChoice, String> {
    match text.to_ascii_lowercase().as_str() {
        "auto" => Ok(TransformChoice::Auto),
        "log" => Ok(TransformChoice::Fixed(Transform::Log)),
        "none" => Ok(TransformChoice::Fixed(Transform::None)),
        _ => Err("give auto, log or none".into()),
    }
}

/// Options of the model and its training.
#[derive(Debug, Args, Clone)]
pub struct ModelArgs {
    /// Ridge penalty for linear models (default: chosen on the validation part for fit, 0 for eval).
    #[arg(long, value_parser = non_negative)]
    pub alpha: Option<f64>,
    /// Random seed.
    #[arg(long, default_value_t = TrainSettings::default().seed)]
    pub seed: u64,
}

/// Prediction intervals.
#[derive(Debug, Args, Clone, Default)]
pub struct IntervalArgs {
    /// Prediction intervals at these levels in percent, e.g. 80,95, calibrated on the validation windows: neural models learn their quantiles (pinball loss, conformalized), the others get conformal margins. --loss quantile alone means 80,95.
    #[arg(long, value_name = "LEVELS", value_delimiter = ',', value_parser = level)]
    pub level: Vec<f64>,
}

/// Options of the neural models (xlstm, slstm, mlstm, lstm); the defaults are the library's.
#[derive(Debug, Args, Clone)]
pub struct NeuralArgs {
    /// xLSTM block order, 'm' mLSTM and 's' sLSTM, e.g. "ms" or "m,s,m" (default: xlstm "ms", slstm "s", mlstm "m").
    #[arg(long, value_name = "LETTERS", value_parser = block_letters)]
    pub blocks: Option<String>,
    /// xLSTM[a:b] ratio of mLSTM to sLSTM blocks, e.g. 1:1 (an alternative to --blocks).
    #[arg(long, value_name = "A:B", conflicts_with = "blocks", value_parser = block_ratio)]
    pub ratio: Option<String>,
    /// Stacked LSTM layers (lstm model).
    #[arg(long, default_value_t = 1, value_parser = at_least_one)]
    pub layers: usize,
    /// Model width D (default 32, or 64 on large data: at least 100,000 training windows, such as M4 Hourly; chosen on validation windows, docs/accuracy.md).
    #[arg(long, value_parser = at_least_one)]
    pub hidden: Option<usize>,
    /// Heads of the sLSTM/mLSTM cells (the width must be a multiple).
    #[arg(long, default_value_t = NetworkConfig::default().heads, value_parser = at_least_one)]
    pub heads: usize,
    /// Patch length: input steps per token (1 = one token per step; default one season, side by side, when the season is at least 8 steps, the lookback holds at least 8 seasons and the horizon is at most the lookback, else min(16, lookback)).
    #[arg(long, value_parser = at_least_one)]
    pub patch: Option<usize>,
    /// Step between patches (default: half the patch length; the patch length when the patches are one season each, see --patch).
    #[arg(long, value_parser = at_least_one)]
    pub patch_stride: Option<usize>,
    /// What the linear head reads: all hidden states flattened, or the last one.
    #[arg(long, value_enum, default_value_t = NetworkConfig::default().head)]
    pub head: HeadKind,
    /// Add a linear map of the normalised window to the output (the network refines a linear forecast).
    #[arg(long, default_value_t = NetworkConfig::default().linear_skip, action = clap::ArgAction::Set, value_name = "true|false")]
    pub linear_skip: bool,
    /// Causal depthwise convolution of the xLSTM blocks: K taps in mLSTM blocks and before the i/f
    /// gates of sLSTM blocks, as the paper (default 4, as the official code); 0 removes it from
    /// both.
    #[arg(long, value_name = "K")]
    pub conv_kernel: Option<usize>,
    /// Block size of head-wise (block-diagonal) q, k, v projections in mLSTM blocks (official 4;
    /// 0: dense).
    #[arg(long, value_name = "B", default_value_t = NetworkConfig::default().qkv_blocksize)]
    pub qkv_blocksize: usize,
    /// Head-wise gate input projections in sLSTM blocks (one block per head, as the official code).
    #[arg(long, value_name = "true|false", default_value_t = NetworkConfig::default().headwise_gates, action = clap::ArgAction::Set)]
    pub headwise_gates: bool,
    /// FFN factor of the sLSTM blocks: 1.3 (official, default) or 4/3.
    #[arg(long, value_name = "FACTOR", default_value = "1.3", value_parser = ffn_factor)]
    pub ffn_factor: FfnFactor,
    /// Dropout rate in the xLSTM blocks during training (0: none).
    #[arg(long, value_name = "P", default_value_t = NetworkConfig::default().dropout, value_parser = probability)]
    pub dropout: f64,
    /// Dropout rate on the head's input during training (0: none).
    #[arg(long, value_name = "P", default_value_t = NetworkConfig::default().head_dropout, value_parser = probability)]
    pub head_dropout: f64,
    /// The linear forecast behind the network. auto (default, chosen on validation windows:
    /// docs/accuracy.md): the network trains alone beside a closed-form NLinear; the network or
    /// its blend with NLinear (s·network + (1 − s)·NLinear, s = 0.25, 0.5, 0.75) with the lowest
    /// validation loss is kept among those that beat NLinear on both halves (in time) of the
    /// validation windows, and NLinear when none does. nlinear,
    /// dlinear, linear or snaive: a base fitted in closed form on the training windows (its
    /// ridge penalty from --alpha or chosen on validation) that the network refines; its head
    /// starts at zero, so the untrained model is the base. none: the network alone.
    #[arg(long, value_name = "MODEL", default_value = "auto", value_parser = base_model)]
    pub base: BaseChoice,
    /// Learning-rate factor of the linear base: 0 keeps it frozen at its closed-form start.
    #[arg(long, value_name = "FACTOR", default_value_t = 0.0, value_parser = non_negative)]
    pub base_lr: f64,
    /// Maximum training epochs (default 30, fewer on large data: at most ⌈900,000 / training
    /// windows⌉, see docs/accuracy.md; giving --epochs removes that cap).
    #[arg(long, value_parser = at_least_one)]
    pub epochs: Option<usize>,
    /// Windows per mini-batch.
    #[arg(long, default_value_t = TrainSettings::default().batch, value_parser = at_least_one)]
    pub batch: usize,
    /// Peak learning rate (AdamW, warm-up then cosine decay).
    #[arg(long, default_value_t = TrainSettings::default().lr, value_parser = positive)]
    pub lr: f64,
    /// Training loss (default: mae; quantile when --level asks for intervals, the default interval method of the neural models, see docs/intervals.md).
    #[arg(long, value_enum)]
    pub loss: Option<Loss>,
    /// Epochs without validation improvement before stopping early.
    #[arg(long, default_value_t = TrainSettings::default().patience)]
    pub patience: usize,
    /// Train this many networks with consecutive seeds and average their forecasts (one model file; default 1, or 3 when the patches are one season each, see --patch and --member-lookbacks).
    #[arg(long, value_name = "N", value_parser = at_least_one)]
    pub ensemble: Option<usize>,
    /// The lookback each ensemble member reads, the last steps of the window, comma-separated (one per network; default: the whole lookback, or with one-season patches three networks, the first over the whole lookback and two over its last three quarters in whole seasons).
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = at_least_one)]
    pub member_lookbacks: Option<Vec<usize>>,
    /// Wall-clock training budget in seconds.
    #[arg(long, value_name = "SECONDS", value_parser = non_negative)]
    pub max_time: Option<f64>,
    /// Worker threads (results are bit-identical for any count).
    #[arg(long, default_value_t = TrainSettings::default().threads, value_parser = at_least_one)]
    pub threads: usize,
    /// Models with a --base: keep the network's correction only if it beats the base on both halves (in time) of the validation windows, else keep the base (true or false).
    #[arg(long, value_name = "BOOL", default_value_t = TrainSettings::default().confirm, action = clap::ArgAction::Set)]
    pub confirm: bool,
    /// How the training loss weighs the series of a panel: std (each in units of its training standard deviation) or mase (each in units of its in-sample seasonal-naive error, the scale of MASE). The weights average 1, so a single series is unaffected.
    #[arg(long, value_name = "WEIGHT", default_value_t = TrainSettings::default().series_weight, value_enum)]
    pub series_weight: SeriesWeight,
}

/// `xlstm check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Data file (.csv or .parquet).
    pub data: PathBuf,
    #[command(flatten)]
    pub data_args: DataArgs,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `xlstm fit`.
#[derive(Debug, Args)]
pub struct FitArgs {
    /// Data file (.csv or .parquet).
    pub data: PathBuf,
    #[command(flatten)]
    pub data_args: DataArgs,
    #[command(flatten)]
    pub window: WindowArgs,
    /// Model to train.
    #[arg(long, short, value_enum, default_value_t = ModelKind::Xlstm)]
    pub model: ModelKind,
    #[command(flatten)]
    pub model_args: ModelArgs,
    #[command(flatten)]
    pub neural: NeuralArgs,
    #[command(flatten)]
    pub intervals: IntervalArgs,
    /// Where to save the model file.
    #[arg(long, short, default_value = "model.xlstm")]
    pub out: PathBuf,
    /// Replace an existing file at --out (without it, an existing file is an error).
    #[arg(long)]
    pub force: bool,
    /// On Ctrl-C, stop after the current training step and save the best model so far (without it, Ctrl-C ends the run and saves nothing).
    #[arg(long)]
    pub checkpoint: bool,
    /// Save the evaluated model (trained on the training part) instead of training it again on every row.
    #[arg(long)]
    pub no_refit: bool,
    /// Print the results as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub plot: PlotArgs,
}

/// `xlstm forecast`.
#[derive(Debug, Args)]
pub struct ForecastArgs {
    /// Model file written by `xlstm fit`.
    #[arg(long, short, default_value = "model.xlstm")]
    pub model: PathBuf,
    /// Data to forecast from (default: the data the model saw, stored in the model file).
    pub data: Option<PathBuf>,
    #[command(flatten)]
    pub data_args: DataArgs,
    /// Steps to forecast (at most the model's horizon).
    #[arg(long, short = 'H', value_parser = at_least_one)]
    pub horizon: Option<usize>,
    /// The values of the model's future-known covariates over the next H steps: a file with the time column (and id column) of the data and one row per future step.
    #[arg(long, value_name = "FILE")]
    pub future: Option<PathBuf>,
    /// Interval levels to write, among those the model was fitted with (default: all of them; `none` for the point forecast only).
    #[arg(long, value_name = "LEVELS", value_delimiter = ',', value_parser = level_or_none)]
    pub level: Vec<Option<f64>>,
    /// Output file (.csv, .parquet or .json); CSV on stdout without it.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Replace an existing file at --out (without it, an existing file is an error).
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub plot: PlotArgs,
}

/// `xlstm eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Data file (.csv or .parquet).
    pub data: PathBuf,
    #[command(flatten)]
    pub data_args: DataArgs,
    #[command(flatten)]
    pub window: WindowArgs,
    /// Model to evaluate.
    #[arg(long, short, value_enum, default_value_t = ModelKind::NLinear)]
    pub model: ModelKind,
    #[command(flatten)]
    pub model_args: ModelArgs,
    #[command(flatten)]
    pub neural: NeuralArgs,
    #[command(flatten)]
    pub intervals: IntervalArgs,
    /// Write every test window's standardised forecasts and actual values (window, step, actual, predicted, and lo-/hi- bounds with --level).
    #[arg(long, value_name = "FILE")]
    pub predictions: Option<PathBuf>,
    /// Replace an existing file at --predictions (without it, an existing file is an error).
    #[arg(long)]
    pub force: bool,
    /// Drop the incomplete last batch of test windows, for this batch size (PatchTST's drop_last).
    #[arg(long, value_name = "BATCH", value_parser = at_least_one)]
    pub drop_last: Option<usize>,
    /// Which windows to score: the test part (the protocol), or the validation part (for choosing
    /// settings without looking at the test part).
    #[arg(long, value_enum, default_value_t = SplitPart::Test)]
    pub score: SplitPart,
    /// Print the results as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `xlstm bench`: the PyTorch anchors' task (ETTh1 OT, rows 8640/2880/2880, stride-1 windows).
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Network to measure: the anchors' one-layer networks, or the default xLSTM forecaster.
    #[arg(long, short, value_enum, default_value_t = BenchModelArg::Slstm)]
    pub model: BenchModelArg,
    /// Width D (default: 64 for the anchors' networks, the library's default width for xlstm).
    #[arg(long, value_parser = at_least_one)]
    pub hidden: Option<usize>,
    /// Heads of the sLSTM/mLSTM cells (default: 4 for the anchors' networks, the library's
    /// default for xlstm).
    #[arg(long, value_parser = at_least_one)]
    pub heads: Option<usize>,
    /// Lookback L.
    #[arg(long, default_value_t = 96, value_parser = at_least_one)]
    pub lookback: usize,
    /// Horizon H.
    #[arg(long, default_value_t = 24, value_parser = at_least_one)]
    pub horizon: usize,
    /// Chunk length of `mlstm_chunk` (default: the blocks' chunk length for the head width).
    #[arg(long, value_name = "L", value_parser = at_least_one)]
    pub chunk: Option<usize>,
    /// Windows per mini-batch.
    #[arg(long, default_value_t = 64, value_parser = at_least_one)]
    pub batch: usize,
    /// Worker threads.
    #[arg(long, default_value_t = 2, value_parser = at_least_one)]
    pub threads: usize,
    /// Training epochs to time (the median epoch is reported).
    #[arg(long, default_value_t = 1, value_parser = at_least_one)]
    pub epochs: usize,
    /// Train on the first N training windows only (a quicker measurement; rates are per window).
    #[arg(long, value_name = "N", value_parser = at_least_one)]
    pub max_windows: Option<usize>,
    /// Data file (default: ../shared/datasets/ett/ETTh1.csv, else a synthetic series of the same length).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Print a JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// Scaling sweep instead of one configuration: time one training epoch of every --models at
    /// every --lookbacks (width --hidden) and at every --widths (lookback --lookback).
    #[arg(long)]
    pub sweep: bool,
    /// Networks of the sweep.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        value_name = "LIST",
        default_value = "lstm,slstm,mlstm"
    )]
    pub models: Vec<BenchModelArg>,
    /// Lookbacks of the sweep.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "LIST",
        default_value = "48,96,192,384",
        value_parser = at_least_one
    )]
    pub lookbacks: Vec<usize>,
    /// Widths of the sweep.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "LIST",
        default_value = "16,32,64,128",
        value_parser = at_least_one
    )]
    pub widths: Vec<usize>,
    /// Draw the sweep's training time against lookback and width into FILE (.png or .svg).
    #[arg(long, value_name = "FILE", requires = "sweep", value_parser = plot_path)]
    pub plot: Option<PathBuf>,
    /// Figure size in pixels.
    #[arg(long, value_name = "WxH", default_value = "1200x800", value_parser = plot_size)]
    pub plot_size: (u32, u32),
}

/// Networks of `xlstm bench`: input Linear(1 → D) per step, one recurrent layer of width D and
/// a linear head on the last hidden state, like the PyTorch anchors.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum BenchModelArg {
    /// Classic LSTM layer (anchor `lstm`).
    Lstm,
    /// Bare sLSTM cell, no block (anchor `slstm`).
    Slstm,
    /// Bare mLSTM layer, recurrent form (anchor `mlstm_rec`).
    #[value(alias = "mlstm_rec")]
    Mlstm,
    /// Bare mLSTM layer, parallel form (anchor `mlstm_par`).
    #[value(name = "mlstm_par", alias = "mlstm-par")]
    MlstmPar,
    /// Bare mLSTM layer, chunkwise form (no anchor of its own; the anchors' fastest mLSTM is
    /// `mlstm_par`).
    #[value(name = "mlstm_chunk", alias = "mlstm-chunk")]
    MlstmChunk,
    /// The default forecaster of `xlstm fit -m xlstm`, as the library configures it (blocks,
    /// patches, head, linear base and training settings; no anchor).
    Xlstm,
}

/// Options of the figures (`--plot`).
#[derive(Debug, Args, Clone)]
pub struct PlotArgs {
    /// Draw a figure into FILE (.png or .svg, by the extension).
    #[arg(long, value_name = "FILE", value_parser = plot_path)]
    pub plot: Option<PathBuf>,
    /// Figure size in pixels.
    #[arg(long, value_name = "WxH", default_value = "1200x800", value_parser = plot_size)]
    pub plot_size: (u32, u32),
    /// Series to plot (default: the first few, in a grid).
    #[arg(long, value_name = "ID")]
    pub series: Option<String>,
}

/// `xlstm compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Data file (.csv or .parquet).
    pub data: PathBuf,
    #[command(flatten)]
    pub data_args: DataArgs,
    #[command(flatten)]
    pub window: WindowArgs,
    /// Models to compare, comma-separated (default: all of them).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "LIST")]
    pub models: Option<Vec<ModelKind>>,
    /// Metric that ranks the leaderboard.
    #[arg(long, value_enum, default_value_t = Metric::Mase)]
    pub metric: Metric,
    #[command(flatten)]
    pub model_args: ModelArgs,
    #[command(flatten)]
    pub neural: NeuralArgs,
    #[command(flatten)]
    pub intervals: IntervalArgs,
    /// Rolling-origin backtest: K forecast origins at the end of each series (expanding window).
    #[arg(long, value_name = "K", value_parser = at_least_one)]
    pub folds: Option<usize>,
    /// Steps between the backtest's origins (default: the horizon).
    #[arg(long, value_name = "S", requires = "folds", value_parser = at_least_one)]
    pub step: Option<usize>,
    /// Refit at every origin or once at the first.
    #[arg(long, value_enum, default_value_t = Refit::Every, requires = "folds")]
    pub refit: Refit,
    /// Score each model trained again on every row before the origin (validation rows too) with
    /// the settings its fit chose, as `fit` saves it, instead of the model fitted before the
    /// validation rows (about twice the training time; not with --refit once).
    #[arg(long)]
    pub score_refit: bool,
    /// Print the leaderboard as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Write the leaderboard to a .csv (or .parquet, .json) file.
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write every forecast scored to a .csv (or .parquet, .json) file, in the data's units: one
    /// row per series, forecast origin and step (id, cutoff, time, step, actual) with one column
    /// per model, as StatsForecast's cross_validation returns them.
    #[arg(long, value_name = "FILE")]
    pub predictions: Option<PathBuf>,
    /// Replace an existing file at --predictions (without it, an existing file is an error).
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub plot: PlotArgs,
}

/// Counts and sizes: a whole number of at least 1.
fn at_least_one(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("give a whole number of at least 1".into()),
    }
}

/// `--level`: a coverage in percent, strictly between 0 and 100.
fn level(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(x) if x > 0.0 && x < 100.0 => Ok(x),
        _ => Err("give interval levels in percent between 0 and 100, e.g. 80,95".into()),
    }
}

/// `forecast --level`: a level, or `none`.
fn level_or_none(text: &str) -> Result<Option<f64>, String> {
    if text.trim().eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    level(text).map(Some)
}

/// `--split`: three fractions or three row counts.
fn split(text: &str) -> Result<Split, String> {
    Split::parse(text).map_err(|e| e.to_string())
}

/// A number > 0 (`--lr`).
fn positive(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err("give a positive number".into()),
    }
}

/// A finite number ≥ 0 (`--alpha`, `--max-time`).
fn non_negative(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        _ => Err("give a finite number ≥ 0".into()),
    }
}

/// `--delimiter`: one ASCII character.
fn ascii_char(text: &str) -> Result<u8, String> {
    match text.as_bytes() {
        [c] if c.is_ascii() => Ok(*c),
        _ => Err("give a single ASCII character".into()),
    }
}

/// `--time-format`: a chrono/strftime pattern with a year (or epoch seconds).
fn time_format(text: &str) -> Result<TimeFormat, String> {
    TimeFormat::from_pattern(text)
}

fn calendar_request(text: &str) -> Result<CalendarRequest, String> {
    CalendarRequest::parse(text)
}

/// `--blocks`: the letters 'm' and 's', optionally separated by commas or spaces.
fn block_letters(text: &str) -> Result<String, String> {
    let letters: String = text.chars().filter(|c| !matches!(c, ',' | ' ')).collect();
    if letters.is_empty() || letters.chars().any(|c| !matches!(c, 'm' | 's')) {
        return Err("list blocks as 'm' (mLSTM) and 's' (sLSTM), e.g. ms or m,s,m".into());
    }
    Ok(letters)
}

/// `--ratio A:B`: A mLSTM then B sLSTM blocks ("3:1" → "mmms").
fn block_ratio(text: &str) -> Result<String, String> {
    let parts: Vec<Option<usize>> = text.split(':').map(|p| p.trim().parse().ok()).collect();
    match parts.as_slice() {
        [Some(a), Some(b)] if (1..=12).contains(&a.saturating_add(*b)) => {
            Ok("m".repeat(*a) + &"s".repeat(*b))
        }
        _ => Err("give A:B with A mLSTM and B sLSTM blocks, 1 to 12 in all, e.g. 1:1".into()),
    }
}

/// `--ffn-factor`: `1.3` or `4/3`.
fn ffn_factor(text: &str) -> Result<FfnFactor, String> {
    match text {
        "1.3" => Ok(FfnFactor::OnePointThree),
        "4/3" => Ok(FfnFactor::FourThirds),
        _ => Err("give 1.3 (the official factor) or 4/3".into()),
    }
}

/// A rate in [0, 1) (`--dropout`).
fn probability(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(p) if (0.0..1.0).contains(&p) => Ok(p),
        _ => Err("give a rate from 0 up to (not including) 1".into()),
    }
}

/// The value of `--base`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseChoice {
    /// The network forecasts alone.
    None,
    /// The network refines this linear baseline.
    Base(ModelKind),
    /// The network forecasts alone or blended with NLinear, or NLinear replaces it, as
    /// validation says.
    Auto,
}

/// `--base`: `auto`, `none` or a linear baseline's name.
fn base_model(text: &str) -> Result<BaseChoice, String> {
    match text {
        "none" => Ok(BaseChoice::None),
        "auto" => Ok(BaseChoice::Auto),
        _ => match ModelKind::from_name(text) {
            Some(
                kind @ (ModelKind::NLinear
                | ModelKind::DLinear
                | ModelKind::Linear
                | ModelKind::SeasonalNaive),
            ) => Ok(BaseChoice::Base(kind)),
            _ => Err("give auto, nlinear, dlinear, linear, snaive or none".into()),
        },
    }
}

/// `--plot`: a file ending in .png or .svg.
fn plot_path(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text);
    crate::plot::check_path(&path).map_err(|e| e.to_string())?;
    Ok(path)
}

/// `--plot-size WxH`.
fn plot_size(text: &str) -> Result<(u32, u32), String> {
    crate::plot::parse_size(text).map_err(|e| e.to_string())
}

/// `impl ValueEnum` for a library enum: each accepted value, its name and its help.
macro_rules! value_enum {
    ($type:ty { $($value:expr => $name:literal: $help:literal,)+ }) => {
        impl ValueEnum for $type {
            fn value_variants<'a>() -> &'a [Self] {
                &[$($value),+]
            }
            fn to_possible_value(&self) -> Option<PossibleValue> {
                $(if *self == $value {
                    return Some(PossibleValue::new($name).help($help));
                })+
                None
            }
        }
    };
}

value_enum!(ModelKind {
    ModelKind::Xlstm => "xlstm": "xLSTM stack mixing mLSTM and sLSTM blocks",
    ModelKind::Slstm => "slstm": "sLSTM blocks only",
    ModelKind::Mlstm => "mlstm": "mLSTM blocks only",
    ModelKind::Lstm => "lstm": "Classic LSTM with the same input and output path",
    ModelKind::Linear => "linear": "Least squares on the lookback window",
    ModelKind::NLinear => "nlinear": "Linear on the window minus its last value",
    ModelKind::DLinear => "dlinear": "Linear on moving-average trend and remainder",
    ModelKind::Naive => "naive": "Repeat the last value",
    ModelKind::SeasonalNaive => "snaive": "Repeat the last season",
});

value_enum!(Fill {
    Fill::Ffill => "ffill": "Carry the last value forward (the first values backward)",
    Fill::Linear => "linear": "Interpolate linearly between neighbours",
    Fill::Zero => "zero": "Replace with zero",
});

value_enum!(Format {
    Format::Csv => "csv": "Comma-separated values",
    Format::Parquet => "parquet": "Apache Parquet",
});

value_enum!(HeadKind {
    HeadKind::Flatten => "flatten": "All hidden states, flattened (T·D → H)",
    HeadKind::Last => "last": "The last hidden state (D → H)",
});

value_enum!(Loss {
    Loss::Mse => "mse": "Mean squared error",
    Loss::Mae => "mae": "Mean absolute error",
    Loss::Huber { delta: 1.0 } => "huber": "Huber loss (δ = 1 on standardised values)",
    Loss::Quantile => "quantile": "Pinball loss over the quantiles of the --level intervals (non-crossing)",
});

value_enum!(SeriesWeight {
    SeriesWeight::Std => "std": "Each series in units of its training standard deviation",
    SeriesWeight::Mase => "mase": "Each series in units of its in-sample seasonal-naive error (MASE's scale)",
});

value_enum!(Metric {
    Metric::Mase => "mase": "Mean absolute scaled error",
    Metric::Mae => "mae": "Mean absolute error",
    Metric::Rmse => "rmse": "Root mean squared error",
    Metric::Smape => "smape": "Symmetric MAPE (0-200)",
    Metric::MseStd => "mse": "Mean squared error on standardised values",
});

value_enum!(SplitPart {
    SplitPart::Test => "test": "The test part (the public protocol)",
    SplitPart::Validation => "validation": "The validation part (choosing settings)",
});

value_enum!(Refit {
    Refit::Every => "every": "Train again at every forecast origin (expanding window)",
    Refit::Once => "once": "Train once, at the first origin, and forecast every later one with that model",
});

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn model_values_are_the_kind_names() {
        for kind in ModelKind::ALL {
            assert_eq!(kind.to_possible_value().unwrap().get_name(), kind.name());
        }
        assert_eq!(ModelKind::value_variants().len(), ModelKind::ALL.len());
    }

    #[test]
    fn every_flag_is_parsed_by_clap_with_the_flag_named_in_errors() {
        let parse = |args: &[&str]| Cli::try_parse_from([&["xlstm"], args].concat());
        let Command::Fit(fit) = parse(&[
            "fit",
            "d.csv",
            "--split",
            "8640,2880,2880",
            "--target",
            "a,b",
            "--ratio",
            "3:1",
        ])
        .unwrap()
        .command
        else {
            panic!("fit")
        };
        assert_eq!(fit.window.split, Split::Rows(8640, 2880, 2880));
        assert_eq!(fit.data_args.target, ["a", "b"]);
        assert_eq!(fit.neural.ratio.as_deref(), Some("mmms"));
        assert_eq!(fit.plot.plot_size, (1200, 800));
        for (flag, value) in [
            ("--split", "0.9,0.9,0.9"),
            ("--blocks", "mx"),
            ("--ratio", "0:0"),
            ("--epochs", "0"),
            ("--lr", "-1"),
            ("--alpha", "nan"),
            ("--plot-size", "big"),
            ("--plot", "x.jpg"),
            ("--delimiter", "ab"),
            ("--loss", "l3"),
            ("--level", "100"),
            ("--level", "80,abc"),
        ] {
            let e = parse(&["fit", "d.csv", &format!("{flag}={value}")]).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{flag} {value}");
            assert!(e.to_string().contains(flag), "{flag}: {e}");
        }
    }
}
