//! The command line, as clap derive types only; no logic lives here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    #[arg(long, value_name = "COL[,COL...]")]
    pub target: Option<String>,
    /// Series id column for long-format panels (like unique_id in StatsForecast).
    #[arg(long, value_name = "COL")]
    pub id_col: Option<String>,
    /// Repair missing values instead of stopping with an error.
    #[arg(long, value_enum)]
    pub fill: Option<FillArg>,
    /// File format (default: from the extension).
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// CSV field delimiter (default ',').
    #[arg(long, value_name = "CHAR")]
    pub delimiter: Option<char>,
}

/// How to repair missing values.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum FillArg {
    /// Carry the last value forward (the first values backward).
    Ffill,
    /// Interpolate linearly between neighbours.
    Linear,
    /// Replace with zero.
    Zero,
}

/// Input file formats.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum FormatArg {
    /// Comma-separated values.
    Csv,
    /// Apache Parquet.
    Parquet,
}

/// Options that say how windows and splits are cut.
#[derive(Debug, Args, Clone, Default)]
pub struct WindowArgs {
    /// Lookback L: past steps the model sees (default: max(4·horizon, 2·season), shortened to fit the data).
    #[arg(long, short = 'L', value_name = "L")]
    pub lookback: Option<usize>,
    /// Horizon H: steps to forecast (default from the frequency: hourly 24, daily 14, weekly 13, monthly 18, quarterly 8, yearly 6, else 12).
    #[arg(long, short = 'H', value_name = "H")]
    pub horizon: Option<usize>,
    /// Step between training windows.
    #[arg(long, default_value_t = 1)]
    pub stride: usize,
    /// Chronological train,validation,test split: fractions (0.7,0.1,0.2) or row counts (8640,2880,2880).
    #[arg(long, default_value = "0.7,0.1,0.2")]
    pub split: String,
    /// Season length for seasonal naive and MASE (default from the frequency: hourly 24, daily 7, monthly 12, ...).
    #[arg(long, value_name = "N")]
    pub season: Option<usize>,
}

/// Model kinds.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ModelArg {
    /// xLSTM stack mixing mLSTM and sLSTM blocks.
    Xlstm,
    /// sLSTM blocks only.
    Slstm,
    /// mLSTM blocks only.
    Mlstm,
    /// Classic LSTM with the same input and output path.
    Lstm,
    /// Least squares on the lookback window.
    Linear,
    /// Linear on the window minus its last value.
    Nlinear,
    /// Linear on moving-average trend and remainder.
    Dlinear,
    /// Repeat the last value.
    Naive,
    /// Repeat the last season.
    Snaive,
}

/// Options of the model and its training.
#[derive(Debug, Args, Clone)]
pub struct ModelArgs {
    /// Ridge penalty for linear models (default: chosen on the validation part for fit, 0 for eval).
    #[arg(long)]
    pub alpha: Option<f64>,
    /// Random seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// Options of the neural models (xlstm, slstm, mlstm, lstm).
#[derive(Debug, Args, Clone)]
pub struct NeuralArgs {
    /// xLSTM block order, 'm' mLSTM and 's' sLSTM, e.g. "ms" or "m,s,m" (default: xlstm "ms", slstm "s", mlstm "m").
    #[arg(long, value_name = "LETTERS")]
    pub blocks: Option<String>,
    /// xLSTM[a:b] ratio of mLSTM to sLSTM blocks, e.g. 1:1 (an alternative to --blocks).
    #[arg(long, value_name = "A:B", conflicts_with = "blocks")]
    pub ratio: Option<String>,
    /// Stacked LSTM layers (lstm model).
    #[arg(long, default_value_t = 1)]
    pub layers: usize,
    /// Model width D (32 won on validation loss on every dataset tried; see docs/results.md).
    #[arg(long, default_value_t = 32)]
    pub hidden: usize,
    /// Heads of the sLSTM/mLSTM cells (the width must be a multiple).
    #[arg(long, default_value_t = 4)]
    pub heads: usize,
    /// Patch length: input steps per token (1 = one token per step; default min(16, lookback)).
    #[arg(long)]
    pub patch: Option<usize>,
    /// Step between patches (default: half the patch length).
    #[arg(long)]
    pub patch_stride: Option<usize>,
    /// What the linear head reads: all hidden states flattened, or the last one.
    #[arg(long, value_enum, default_value_t = HeadArg::Flatten)]
    pub head: HeadArg,
    /// Add a linear map of the normalised window to the output (the network refines a linear forecast).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "true|false")]
    pub linear_skip: bool,
    /// Linear base the network refines (residual-over-linear): fitted in closed form on the
    /// training windows, the network's head starts at zero.
    #[arg(long, value_enum, default_value_t = BaseArg::None)]
    pub base: BaseArg,
    /// Learning-rate factor of the linear base: 0 keeps it frozen, 1 trains it jointly.
    #[arg(long, default_value_t = 0.0)]
    pub base_lr: f64,
    /// Maximum training epochs.
    #[arg(long, default_value_t = 30)]
    pub epochs: usize,
    /// Windows per mini-batch.
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// Peak learning rate (AdamW, warm-up then cosine decay).
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// Training loss.
    #[arg(long, value_enum, default_value_t = LossArg::Mse)]
    pub loss: LossArg,
    /// Epochs without validation improvement before stopping early.
    #[arg(long, default_value_t = 5)]
    pub patience: usize,
    /// Wall-clock training budget in seconds.
    #[arg(long, value_name = "SECONDS")]
    pub max_time: Option<f64>,
    /// Worker threads (results are bit-identical for any count).
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
}

/// The linear head's input.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum HeadArg {
    /// All hidden states, flattened (T·D → H).
    Flatten,
    /// The last hidden state (D → H).
    Last,
}

/// Linear bases of the residual forecaster.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum BaseArg {
    /// No base: the network forecasts alone.
    None,
    /// NLinear (ridge, penalty chosen on validation).
    Nlinear,
    /// DLinear (ridge, penalty chosen on validation).
    Dlinear,
    /// Linear (ridge, penalty chosen on validation).
    Linear,
    /// Seasonal naive.
    Snaive,
}

/// Training losses.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum LossArg {
    /// Mean squared error.
    Mse,
    /// Mean absolute error.
    Mae,
    /// Huber loss (δ = 1 on standardised values).
    Huber,
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
    #[arg(long, short, value_enum, default_value_t = ModelArg::Xlstm)]
    pub model: ModelArg,
    #[command(flatten)]
    pub model_args: ModelArgs,
    #[command(flatten)]
    pub neural: NeuralArgs,
    /// Where to save the model file.
    #[arg(long, short, default_value = "model.xlstm")]
    pub out: PathBuf,
    /// Replace an existing file at --out (without it, an existing file is an error).
    #[arg(long)]
    pub force: bool,
    /// On Ctrl-C, stop after the current training step and save the best model so far (without it, Ctrl-C ends the run and saves nothing).
    #[arg(long)]
    pub checkpoint: bool,
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
    #[arg(long, short = 'H')]
    pub horizon: Option<usize>,
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
    #[arg(long, short, value_enum, default_value_t = ModelArg::Nlinear)]
    pub model: ModelArg,
    #[command(flatten)]
    pub model_args: ModelArgs,
    #[command(flatten)]
    pub neural: NeuralArgs,
    /// Write every test window's standardised forecasts and actual values (window, step, actual, predicted).
    #[arg(long, value_name = "FILE")]
    pub predictions: Option<PathBuf>,
    /// Replace an existing file at --predictions (without it, an existing file is an error).
    #[arg(long)]
    pub force: bool,
    /// Drop the incomplete last batch of test windows, for this batch size (PatchTST's drop_last).
    #[arg(long, value_name = "BATCH")]
    pub drop_last: Option<usize>,
    /// Print the results as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `xlstm bench`: the PyTorch anchors' task (ETTh1 OT, rows 8640/2880/2880, stride-1 windows).
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Network to measure: the anchors' one-layer networks, or the xLSTM block stack "ms".
    #[arg(long, short, value_enum, default_value_t = BenchModelArg::Slstm)]
    pub model: BenchModelArg,
    /// Width D.
    #[arg(long, default_value_t = 64)]
    pub hidden: usize,
    /// Heads of the sLSTM/mLSTM cells.
    #[arg(long, default_value_t = 4)]
    pub heads: usize,
    /// Lookback L.
    #[arg(long, default_value_t = 96)]
    pub lookback: usize,
    /// Horizon H.
    #[arg(long, default_value_t = 24)]
    pub horizon: usize,
    /// Windows per mini-batch.
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// Worker threads.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Training epochs to time (the median epoch is reported).
    #[arg(long, default_value_t = 1)]
    pub epochs: usize,
    /// Train on the first N training windows only (a quicker measurement; rates are per window).
    #[arg(long, value_name = "N")]
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
        default_value = "48,96,192,384"
    )]
    pub lookbacks: Vec<usize>,
    /// Widths of the sweep.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "LIST",
        default_value = "16,32,64,128"
    )]
    pub widths: Vec<usize>,
    /// Draw the sweep's training time against lookback and width into FILE (.png or .svg).
    #[arg(long, value_name = "FILE", requires = "sweep")]
    pub plot: Option<PathBuf>,
    /// Figure size in pixels.
    #[arg(long, value_name = "WxH", default_value = "1200x800")]
    pub plot_size: String,
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
    /// The xLSTM block stack "ms" (mLSTM and sLSTM residual blocks; no anchor).
    Xlstm,
}

/// Options of the figures (`--plot`).
#[derive(Debug, Args, Clone)]
pub struct PlotArgs {
    /// Draw a figure into FILE (.png or .svg, by the extension).
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// Figure size in pixels.
    #[arg(long, value_name = "WxH", default_value = "1200x800")]
    pub plot_size: String,
    /// Series to plot (default: the first few, in a grid).
    #[arg(long, value_name = "ID")]
    pub series: Option<String>,
}

/// Leaderboard metrics.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum MetricArg {
    /// Mean absolute scaled error.
    Mase,
    /// Mean absolute error.
    Mae,
    /// Root mean squared error.
    Rmse,
    /// Symmetric MAPE (0-200).
    Smape,
    /// Mean squared error on standardised values.
    Mse,
}

/// When backtesting refits the models.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum RefitArg {
    /// Train again at every forecast origin (expanding window).
    Every,
    /// Train once, at the first origin, and forecast every later one with that model.
    Once,
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
    pub models: Option<Vec<ModelArg>>,
    /// Metric that ranks the leaderboard.
    #[arg(long, value_enum, default_value_t = MetricArg::Mase)]
    pub metric: MetricArg,
    #[command(flatten)]
    pub model_args: ModelArgs,
    #[command(flatten)]
    pub neural: NeuralArgs,
    /// Rolling-origin backtest: K forecast origins at the end of each series (expanding window).
    #[arg(long, value_name = "K")]
    pub folds: Option<usize>,
    /// Steps between the backtest's origins (default: the horizon).
    #[arg(long, value_name = "S", requires = "folds")]
    pub step: Option<usize>,
    /// Refit at every origin or once at the first.
    #[arg(long, value_enum, default_value_t = RefitArg::Every, requires = "folds")]
    pub refit: RefitArg,
    /// Print the leaderboard as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Write the leaderboard to a .csv (or .parquet, .json) file.
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub plot: PlotArgs,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}
