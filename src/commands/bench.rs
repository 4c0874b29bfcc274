//! `xlstm bench`: training and inference throughput, peak memory and arithmetic efficiency for one
//! configuration, on the task of the PyTorch anchors (`../shared/anchors/`): ETTh1 OT, rows split
//! 8640/2880/2880, standardised with training statistics, stride-1 windows, lookback 96, horizon
//! 24, batch 64. The networks are the anchors' as far as the architectures match: one token per
//! step (patch 1: the input Linear 1 → D), one recurrent layer of width D (`lstm`, a bare sLSTM
//! cell `slstm`, a bare mLSTM layer `mlstm` / `mlstm_par` / `mlstm_chunk` in its three forms) and
//! a linear head on the last hidden state; RevIN and the LayerNorm of the last state are the only
//! additions. Speed ratios against the anchors are computed by `benches/compare_torch.sh`.
//!
//! `xlstm` is instead the default forecaster of `xlstm fit`, read from the library
//! (`ModelConfig::for_kind(ModelKind::Xlstm)`: its blocks, block options, patches, head, linear
//! base and training settings) and trained through the model API (`Forecaster::fit`) without
//! validation windows and without early stopping; only `--hidden` and `--heads`, when given,
//! replace the library's sizes.
//!
//! FLOPs per training sample are counted analytically with the anchors' convention
//! (`analytic_flops` in `torch_anchor.py`): 2 per multiply-accumulate of every weight touched per
//! step plus a rough count of the elementwise work, training = 3 × forward. The fraction of peak
//! divides the achieved rate by the measured f32 FMA throughput of the same threads
//! ([`fma_peak_gflops`]).
//!
//! `--sweep` times one training epoch of several networks over lookbacks and widths instead and
//! can draw training time per window against both (`--plot`), the figure of `docs/performance.md`.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use ndarray::{Array2, ArrayView2};
use serde_json::{json, Value};

use crate::cli::{BenchArgs, BenchModelArg};
use crate::commands::setup::load_options;
use crate::commands::{print_json, Output};
use crate::data::load::load;
use crate::data::window::{ScaledSplit, Split, SplitPart, WindowSet};
use crate::error::{Error, Result};
use crate::model::{
    Forecaster, ModelConfig, ModelKind, NetworkConfig, Progress, SeriesWeight, TrainSettings,
};
use crate::nn::count;
use crate::nn::forecaster::{CellKind, CoreKind, ForecasterConfig, HeadKind};
use crate::nn::kernel::fma_peak_gflops;
use crate::nn::loss::Loss;
use crate::nn::mlstm_block::MlstmForm;
use crate::nn::mlstm_chunkwise::chunk_for;
use crate::nn::train::{self, EpochReport, TrainConfig};
use crate::plot::{self, Section};

/// The anchors' data: ETTh1 OT when present, else a series of the same length.
fn series(args: &BenchArgs) -> Result<(String, Vec<f64>)> {
    let default = Path::new("../shared/datasets/ett/ETTh1.csv");
    let path = args.data.as_deref().or(default.exists().then_some(default));
    match path {
        Some(p) => {
            let mut options = load_options(&Default::default());
            options.target = vec!["OT".into()];
            let (dataset, _) = load(p, &options)?;
            let s = dataset
                .series
                .into_iter()
                .next()
                .ok_or_else(|| Error::data("no series"))?;
            Ok((p.display().to_string(), s.values))
        }
        None => {
            let v = (0..17_420)
                .map(|t| (t as f64 * 0.2618).sin() + 0.001 * t as f64)
                .collect();
            Ok(("synthetic sine, 17420 rows".into(), v))
        }
    }
}

/// Peak resident memory of this process in MB (Linux), or NaN.
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// The bench name of a network (the anchors' names, `mlstm` for their `mlstm_rec`).
pub fn name(model: BenchModelArg) -> &'static str {
    match model {
        BenchModelArg::Lstm => "lstm",
        BenchModelArg::Slstm => "slstm",
        BenchModelArg::Mlstm => "mlstm",
        BenchModelArg::MlstmPar => "mlstm_par",
        BenchModelArg::MlstmChunk => "mlstm_chunk",
        BenchModelArg::Xlstm => "xlstm",
    }
}

/// Width and heads of the anchors' networks, when `--hidden` and `--heads` are not given.
pub const ANCHOR_SIZES: (usize, usize) = (64, 4);

/// Season of the anchors' hourly data, for a seasonal base of the default forecaster.
const SEASON: usize = 24;

/// What one measurement trains.
#[derive(Debug, Clone)]
pub enum Subject {
    /// An anchor-shaped network, trained by `nn::train`.
    Network(ForecasterConfig),
    /// The default forecaster (`xlstm`), trained by the model API.
    Default(Box<Forecaster>),
}

/// What `model` trains at `lookback`: [`network`] for the anchors' networks, [`default_model`]
/// for `xlstm`; `sizes` are `--hidden` and `--heads` (or a sweep's width) when given.
pub fn subject(
    model: BenchModelArg,
    sizes: (Option<usize>, Option<usize>),
    lookback: usize,
    args: &BenchArgs,
) -> Result<Subject> {
    if model == BenchModelArg::Xlstm {
        return Ok(Subject::Default(Box::new(default_model(sizes, lookback, args)?)));
    }
    let width = sizes.0.unwrap_or(ANCHOR_SIZES.0);
    let heads = sizes.1.unwrap_or(ANCHOR_SIZES.1);
    let mut config = network(model, (width, heads), lookback, args.horizon)?;
    if let (Some(chunk), BenchModelArg::MlstmChunk) = (args.chunk, model) {
        config.kind = CoreKind::Cell {
            cell: CellKind::Mlstm {
                form: MlstmForm::Chunkwise { chunk },
            },
        };
    }
    Ok(Subject::Network(config))
}

/// The default forecaster of the library for `lookback` → `--horizon`, with `--epochs`,
/// `--batch` and `--threads`, no early stopping and no time budget; every other setting (network,
/// base, loss, learning rate, seed, …) as `ModelConfig::for_kind(ModelKind::Xlstm)` gives it,
/// except that a fallback base (`--base auto`) is dropped: the network alone is what it trains.
pub fn default_model(
    (width, heads): (Option<usize>, Option<usize>),
    lookback: usize,
    args: &BenchArgs,
) -> Result<Forecaster> {
    let mut config = ModelConfig::for_kind(ModelKind::Xlstm);
    let neural = config.neural_mut().expect("xlstm is a neural model");
    if let Some(w) = width {
        neural.network.width = w;
    }
    if let Some(h) = heads {
        neural.network.heads = h;
    }
    if neural.base.is_some_and(|b| b.fallback) {
        // `--base auto` trains the network alone (without validation windows it would keep its
        // fallback and train nothing)
        neural.base = None;
    }
    neural.train = TrainSettings {
        epochs: args.epochs,
        batch: args.batch,
        patience: usize::MAX,
        max_time: None,
        threads: args.threads,
        ..neural.train.clone()
    };
    config
        .validate()
        .map_err(|e| Error::usage(format!("bench settings: {e}")))?;
    Forecaster::new(config, lookback, args.horizon, SEASON)
        .map_err(|e| Error::usage(format!("bench settings: {e}")))
}

/// The anchor-shaped network: patch 1, one recurrent layer (the block stack "ms" for `xlstm`),
/// width `width`, a head on the last hidden state, no linear skip.
pub fn network(
    model: BenchModelArg,
    (width, heads): (usize, usize),
    lookback: usize,
    horizon: usize,
) -> Result<ForecasterConfig> {
    let kind = match model {
        BenchModelArg::Lstm => CoreKind::Lstm { layers: 1 },
        BenchModelArg::Slstm => CoreKind::Cell {
            cell: CellKind::Slstm,
        },
        BenchModelArg::Mlstm => CoreKind::Cell {
            cell: CellKind::Mlstm {
                form: MlstmForm::Recurrent,
            },
        },
        BenchModelArg::MlstmPar => CoreKind::Cell {
            cell: CellKind::Mlstm {
                form: MlstmForm::Parallel,
            },
        },
        BenchModelArg::MlstmChunk => CoreKind::Cell {
            cell: CellKind::Mlstm {
                form: MlstmForm::Chunkwise {
                    chunk: chunk_for(width / heads.max(1)),
                },
            },
        },
        BenchModelArg::Xlstm => CoreKind::Xlstm { blocks: "ms".into() },
    };
    let mut config = ForecasterConfig::new(kind, lookback, horizon);
    (config.width, config.heads) = (width, heads);
    (config.patch, config.stride) = (1, 1);
    (config.head, config.linear_skip) = (HeadKind::Last, false);
    config
        .validate()
        .map_err(|e| Error::usage(format!("bench settings: {e}")))?;
    Ok(config)
}

/// Forward FLOPs per sample by the anchors' convention, split as they split them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Flops {
    /// Products with weights (and the parallel mLSTM's Q Kᵀ and S V).
    pub forward_matmul: f64,
    /// State arithmetic of the cell, counted roughly.
    pub forward_elementwise: f64,
}

impl Flops {
    /// One training sample: forward and backward, 3 × forward.
    pub fn train(&self) -> f64 {
        3.0 * (self.forward_matmul + self.forward_elementwise)
    }
}

/// `analytic_flops` of `../shared/anchors/torch_anchor.py` for lookback `l`, horizon `h`, width
/// `d` and `nh` heads (None for the block stack, which has no anchor).
/// `mlstm_chunk` runs chunks of `chunk` steps.
pub fn analytic_flops(
    model: BenchModelArg,
    (l, h, d, nh): (usize, usize, usize, usize),
    chunk: usize,
) -> Option<Flops> {
    let dh = (d / nh.max(1)) as f64;
    let (l, h, d, nh) = (l as f64, h as f64, d as f64, nh as f64);
    let head = 2.0 * d * h;
    let inp = 2.0 * d; // input projection 1 → D per step
    let (forward_matmul, forward_elementwise) = match model {
        BenchModelArg::Lstm => {
            let per_step = inp + 2.0 * (4.0 * d * d) + 2.0 * (4.0 * d * d); // W_ih, W_hh
            (l * per_step + head, l * (4.0 * d * 3.0 + d * 6.0))
        }
        BenchModelArg::Slstm => {
            let per_step = inp + 2.0 * (4.0 * d * d) + 2.0 * (nh * dh * 4.0 * dh); // W, block-diagonal R
            (l * per_step + head, l * (4.0 * d * 2.0 + d * 14.0))
        }
        BenchModelArg::Mlstm => {
            let proj = inp + 2.0 * d * (4.0 * d + 2.0 * nh);
            let state = nh * (6.0 * dh * dh + 5.0 * dh); // outer product, C update, C q, n, n·q
            (
                l * (proj + nh * 2.0 * dh * dh) + head,
                l * (state - nh * 2.0 * dh * dh + 2.0 * d),
            )
        }
        BenchModelArg::MlstmPar => {
            let proj = inp + 2.0 * d * (4.0 * d + 2.0 * nh);
            // Q Kᵀ and S V over the full L × L square per head; the D matrix about 8 L² per head
            (
                l * proj + nh * 4.0 * l * l * dh + head,
                nh * 8.0 * l * l + l * 2.0 * d,
            )
        }
        BenchModelArg::MlstmChunk => {
            // our count (no anchor): per step and head, the causal half of Q Kᵀ and P V inside
            // a chunk of c steps ((c + 1)/2 · d multiply-adds each), C_prevᵀ q and the chunk's
            // share of the state update (d² each); the decay matrix about 8 (c + 1)/2 per entry
            let c = (chunk as f64).min(l);
            let proj = inp + 2.0 * d * (4.0 * d + 2.0 * nh);
            let cell = nh * (2.0 * (c + 1.0) * dh + 4.0 * dh * dh);
            (l * (proj + cell) + head, l * (nh * 4.0 * (c + 1.0) + 2.0 * d))
        }
        BenchModelArg::Xlstm => return None,
    };
    Some(Flops {
        forward_matmul,
        forward_elementwise,
    })
}

/// The training settings of every measurement: Adam(W) at lr 1e-3, MSE, no early stopping.
fn settings(args: &BenchArgs) -> TrainConfig {
    let settings = TrainSettings {
        epochs: args.epochs,
        window_budget: None,
        batch: args.batch,
        lr: 1e-3,
        loss: Loss::Mse,
        patience: usize::MAX,
        max_time: None,
        seed: 0,
        ensemble: Some(1),
        member_lookbacks: Some(Vec::new()),
        threads: args.threads,
        confirm: false,
        series_weight: SeriesWeight::Std,
    };
    settings.train_config(0, None) // no window budget: the windows do not matter
}

/// The training windows for `lookback` (the first `--max-windows` of them when given).
fn training_windows(args: &BenchArgs, values: &[f64], lookback: usize) -> Result<WindowSet> {
    let prepared = ScaledSplit::new(
        &[("OT", values)],
        Split::Rows(8640, 2880, 2880),
        lookback,
        args.horizon,
    )?;
    let mut windows = prepared.windows(SplitPart::Train, 1);
    if let Some(n) = args.max_windows {
        windows.starts.truncate(n);
    }
    Ok(windows)
}

/// Seconds of every training epoch, from the epoch reports (restarted for every ensemble member).
#[derive(Default)]
struct EpochTimes {
    seconds: Vec<f64>,
    last: f64,
}

impl EpochTimes {
    fn record(&mut self, report: &EpochReport) {
        self.seconds.push(report.seconds - self.last);
        self.last = report.seconds;
    }

    /// Windows per second of the median epoch.
    fn median_rate(mut self, windows: usize) -> Result<f64> {
        self.seconds.sort_by(f64::total_cmp);
        let median = self
            .seconds
            .get(self.seconds.len() / 2)
            .copied()
            .ok_or_else(|| Error::runtime("no training epoch ran"))?;
        Ok(windows as f64 / median)
    }
}

impl Progress for EpochTimes {
    fn start(&mut self, _epochs: usize) {
        self.last = 0.0;
    }
    fn epoch(&mut self, report: &EpochReport) {
        self.record(report);
    }
}

/// Forecasts of standardised windows (N, L) → (N, H).
type Predictor = Box<dyn Fn(ArrayView2<f64>) -> Array2<f64>>;

/// A trained subject: its median epoch's training rate and its forecasts.
struct Measured {
    /// Training windows per second (median epoch; training only, no validation pass).
    train_rate: f64,
    /// Trainable parameters.
    parameters: usize,
    /// The network as trained.
    network: NetworkConfig,
    /// Forecasts of standardised windows (N, L) → (N, H) on `--threads` workers.
    predict: Predictor,
}

/// Train `subject` on `windows` for `--epochs` without validation windows.
fn measure(args: &BenchArgs, subject: &Subject, windows: &WindowSet) -> Result<Measured> {
    let no_validation = WindowSet {
        starts: Vec::new(),
        ..windows.clone()
    };
    let mut times = EpochTimes::default();
    match subject {
        Subject::Network(config) => {
            let trained = train::fit(
                &settings(args),
                config.clone(),
                windows,
                &no_validation,
                &mut |r| times.record(r),
            )
            .map_err(|e| Error::runtime(e.to_string()))?;
            let (config, threads) = (config.clone(), args.threads);
            Ok(Measured {
                train_rate: times.median_rate(windows.len())?,
                parameters: count(&trained.params),
                network: NetworkConfig::from(&config),
                predict: Box::new(move |x| train::predict_with_threads(&trained.params, &config, x, threads)),
            })
        }
        Subject::Default(forecaster) => {
            let fitted = forecaster.fit(windows, &no_validation, &mut times)?;
            let network = fitted
                .config()
                .neural()
                .expect("xlstm is a neural model")
                .network
                .clone();
            Ok(Measured {
                train_rate: times.median_rate(windows.len())?,
                parameters: fitted.parameters(),
                network,
                predict: Box::new(move |x| fitted.predict(x)),
            })
        }
    }
}

/// Run `xlstm bench`.
pub fn run(args: BenchArgs, out: Output) -> Result<()> {
    if args.sweep {
        return sweep(args, out);
    }
    let subject = subject(args.model, (args.hidden, args.heads), args.lookback, &args)?;
    let (source, values) = series(&args)?;
    let train_windows = training_windows(&args, &values, args.lookback)?;
    let measured = measure(&args, &subject, &train_windows)?;
    let (train_rate, parameters) = (measured.train_rate, measured.parameters);
    let inputs: Array2<f64> = train_windows.inputs();
    // inference: the median of three passes over all training windows, on --threads workers
    let mut infer_rates: Vec<f64> = (0..3)
        .map(|_| {
            let start = Instant::now();
            let predicted = (measured.predict)(inputs.view());
            predicted.nrows() as f64 / start.elapsed().as_secs_f64()
        })
        .collect();
    infer_rates.sort_by(f64::total_cmp);
    let infer_rate = infer_rates[1];
    let peak = peak_rss_mb();
    let (width, heads) = (measured.network.width, measured.network.heads);
    let sizes = (args.lookback, args.horizon, width, heads);
    let chunk = args.chunk.unwrap_or(chunk_for(width / heads.max(1)));
    let flops = analytic_flops(args.model, sizes, chunk);
    let flops_per_sample = flops.map(|f| f.train());
    // the best of three short probes: a momentary load elsewhere lowers a probe, never raises it
    let peak_gflops = (0..3)
        .map(|_| fma_peak_gflops(args.threads, 0.3))
        .fold(0.0, f64::max);
    let achieved = flops_per_sample.map(|f| f * train_rate / 1e9);
    let fraction = achieved.filter(|_| peak_gflops > 0.0).map(|a| a / peak_gflops);
    let model = name(args.model);
    out.note(&format!(
        "{model}: {} training windows of {source}; width {}, {} heads, lookback {}, horizon {}, {} thread(s), batch {}",
        train_windows.len(),
        width,
        heads,
        args.lookback,
        args.horizon,
        args.threads,
        args.batch
    ));
    out.note(&format!(
        "train {train_rate:.0} samples/s, inference {infer_rate:.0} samples/s, {parameters} parameters, peak memory {peak:.0} MB"
    ));
    out.note(&match (flops_per_sample, achieved) {
        (Some(f), Some(a)) => format!(
            "{:.1} MFLOP per training sample (analytic), {a:.1} GFLOP/s achieved = {} of the measured f32 FMA peak of {peak_gflops:.0} GFLOP/s",
            f / 1e6,
            fraction.map_or("an unknown fraction".to_string(), |x| format!("{:.2}%", 100.0 * x))
        ),
        _ => format!(
            "no analytic FLOP count for {model}; measured f32 FMA peak {peak_gflops:.0} GFLOP/s"
        ),
    });
    if args.json {
        print_json(&json!({
            "model": model,
            "train_samples_per_s": train_rate,
            "infer_samples_per_s": infer_rate,
            "peak_rss_mb": peak,
            "flops_per_train_sample": flops_per_sample,
            "peak_gflops": peak_gflops,
            "achieved_gflops": achieved,
            "fraction_of_peak": fraction,
            "parameters": parameters,
            "windows": train_windows.len(),
            "hidden": width,
            "heads": heads,
            "lookback": args.lookback,
            "horizon": args.horizon,
            "batch": args.batch,
            "threads": args.threads,
            "epochs": args.epochs,
            "data": source,
            "network": measured.network,
        }))?;
    }
    Ok(())
}

/// One measured point of a sweep.
#[derive(Debug, Clone, Copy)]
struct Point {
    windows: usize,
    train_rate: f64,
}

impl Point {
    /// Training time per window in milliseconds.
    fn ms_per_window(&self) -> f64 {
        1e3 / self.train_rate
    }
}

/// Least-squares slope of ln y against ln x: the exponent k of y ∝ x^k (NaN for < 2 points).
fn growth_exponent(points: &[(f64, f64)]) -> f64 {
    let logs: Vec<(f64, f64)> = points
        .iter()
        .filter(|(x, y)| *x > 0.0 && *y > 0.0)
        .map(|(x, y)| (x.ln(), y.ln()))
        .collect();
    let n = logs.len() as f64;
    let (mx, my) = (
        logs.iter().map(|p| p.0).sum::<f64>() / n,
        logs.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let sxx: f64 = logs.iter().map(|(x, _)| (x - mx).powi(2)).sum();
    let sxy: f64 = logs.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    if logs.len() < 2 || sxx == 0.0 {
        f64::NAN
    } else {
        sxy / sxx
    }
}

/// `xlstm bench --sweep`: every model over the lookbacks (at width `--hidden`) and over the
/// widths (at lookback `--lookback`); training only, one point per configuration.
fn sweep(args: BenchArgs, out: Output) -> Result<()> {
    if args.models.is_empty() || args.lookbacks.is_empty() || args.widths.is_empty() {
        return Err(Error::usage(
            "--models, --lookbacks and --widths need at least one value each",
        ));
    }
    // the width of the lookback sweep (the default forecaster too takes the sweep's widths)
    let hidden = args.hidden.unwrap_or(ANCHOR_SIZES.0);
    // every configuration first, so that a bad size stops the sweep before any training
    let mut configs = Vec::new();
    for &model in &args.models {
        let along_lookback = args.lookbacks.iter().map(|&l| (l, hidden));
        let along_width = args.widths.iter().map(|&w| (args.lookback, w));
        for (l, w) in along_lookback.chain(along_width) {
            configs.push((model, l, w, subject(model, (Some(w), args.heads), l, &args)?));
        }
    }
    let (source, values) = series(&args)?;
    let mut windows = BTreeMap::new();
    let mut points: BTreeMap<(&str, usize, usize), Point> = BTreeMap::new();
    out.note(&format!(
        "training time per window on {source}: horizon {}, batch {}, {} thread(s), {} heads",
        args.horizon,
        args.batch,
        args.threads,
        args.heads.map_or("default".to_string(), |h| h.to_string())
    ));
    out.note(&format!(
        "{:<10} {:>8} {:>6} {:>8} {:>10} {:>10}",
        "model", "lookback", "width", "windows", "train/s", "ms/window"
    ));
    for (model, l, w, subject) in configs {
        if points.contains_key(&(name(model), l, w)) {
            continue;
        }
        let set = match windows.entry(l) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(training_windows(&args, &values, l)?),
        };
        let train_rate = measure(&args, &subject, set)?.train_rate;
        let point = Point {
            windows: set.len(),
            train_rate,
        };
        out.note(&format!(
            "{:<10} {l:>8} {w:>6} {:>8} {train_rate:>10.0} {:>10.4}",
            name(model),
            point.windows,
            point.ms_per_window()
        ));
        points.insert((name(model), l, w), point);
    }
    let line = |model: BenchModelArg, along_lookback: bool| -> Vec<(f64, f64)> {
        let keys: Vec<(usize, usize)> = if along_lookback {
            args.lookbacks.iter().map(|&l| (l, hidden)).collect()
        } else {
            args.widths.iter().map(|&w| (args.lookback, w)).collect()
        };
        keys.into_iter()
            .map(|(l, w)| {
                let x = if along_lookback { l } else { w };
                (x as f64, points[&(name(model), l, w)].ms_per_window())
            })
            .collect()
    };
    let mut summary = Vec::new();
    for &model in &args.models {
        let (by_lookback, by_width) = (line(model, true), line(model, false));
        let (kl, kw) = (growth_exponent(&by_lookback), growth_exponent(&by_width));
        out.note(&format!(
            "{}: time per window grows as lookback^{kl:.2} and width^{kw:.2} (1.00: linear)",
            name(model)
        ));
        summary.push((model, by_lookback, by_width, kl, kw));
    }
    if let Some(path) = &args.plot {
        // legend: the name and the exponent k of a power-law fit (1: linear)
        let lines = |along_lookback: bool| -> Vec<(String, Vec<(f64, f64)>)> {
            summary
                .iter()
                .map(|(m, bl, bw, kl, kw)| {
                    let (k, points) = if along_lookback { (kl, bl) } else { (kw, bw) };
                    (format!("{}  k = {k:.2}", name(*m)), points.clone())
                })
                .collect()
        };
        let sections = [
            Section::Lines {
                caption: format!("against lookback (width {hidden})"),
                x_label: "lookback L (steps)".into(),
                y_label: "ms per training window".into(),
                lines: lines(true),
            },
            Section::Lines {
                caption: format!("against width (lookback {})", args.lookback),
                x_label: "width D".into(),
                y_label: "ms per training window".into(),
                lines: lines(false),
            },
        ];
        let title = format!(
            "training time per window (batch {}, {} thread(s)); k: power-law exponent, 1 = linear",
            args.batch, args.threads
        );
        plot::write(path, args.plot_size, &title, &sections)?;
        out.note(&format!("wrote {}", path.display()));
    }
    if args.json {
        let list: Vec<Value> = points
            .iter()
            .map(|(&(model, l, w), p)| {
                json!({
                    "model": model, "lookback": l, "hidden": w, "windows": p.windows,
                    "train_samples_per_s": p.train_rate, "ms_per_window": p.ms_per_window(),
                })
            })
            .collect();
        let models: Vec<Value> = summary
            .iter()
            .map(
                |(m, _, _, kl, kw)| json!({"model": name(*m), "lookback_exponent": kl, "width_exponent": kw}),
            )
            .collect();
        print_json(&json!({
            "points": list,
            "models": models,
            "heads": args.heads,
            "horizon": args.horizon,
            "batch": args.batch,
            "threads": args.threads,
            "epochs": args.epochs,
            "data": source,
        }))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::forecaster;

    /// The anchors' figures (`../shared/anchors/README.md`): lstm 19.3, slstm 12.2, mlstm_rec
    /// 11.7, mlstm_par 17.8 MFLOP per training sample at L = 96, H = 24, D = 64, 4 heads; the
    /// exact values come from `torch_anchor.py`'s `analytic_flops`.
    #[test]
    fn flops_match_the_anchors() {
        let train = |m| analytic_flops(m, (96, 24, 64, 4), 8).unwrap().train();
        assert_eq!(train(BenchModelArg::Lstm), 19_252_224.0);
        assert_eq!(train(BenchModelArg::Slstm), 12_248_064.0);
        assert_eq!(train(BenchModelArg::Mlstm), 11_676_672.0);
        assert_eq!(train(BenchModelArg::MlstmPar), 17_777_664.0);
        assert!(analytic_flops(BenchModelArg::Xlstm, (96, 24, 64, 4), 8).is_none());
        // the chunkwise form's own count: below the full parallel square at L = 96
        assert!(train(BenchModelArg::MlstmChunk) < train(BenchModelArg::MlstmPar));
    }

    #[test]
    fn recurrent_flops_grow_linearly_with_the_lookback() {
        let linear = [
            BenchModelArg::Lstm,
            BenchModelArg::Slstm,
            BenchModelArg::Mlstm,
            BenchModelArg::MlstmChunk,
        ];
        for m in linear {
            let f = |l| analytic_flops(m, (l, 24, 64, 4), 8).unwrap().train();
            let ratio = f(384) / f(48);
            assert!((7.9..8.0).contains(&ratio), "{m:?}: ×{ratio}");
        }
    }

    #[test]
    fn networks_have_the_anchor_shape() {
        for m in [
            BenchModelArg::Lstm,
            BenchModelArg::Slstm,
            BenchModelArg::Mlstm,
            BenchModelArg::MlstmPar,
            BenchModelArg::MlstmChunk,
            BenchModelArg::Xlstm,
        ] {
            let c = network(m, (64, 4), 96, 24).unwrap();
            assert_eq!((c.tokens(), c.head, c.linear_skip), (96, HeadKind::Last, false));
            let _: forecaster::ForecasterParams<f32> = forecaster::init(&c, 0);
        }
        assert_eq!(
            network(BenchModelArg::Slstm, (64, 3), 96, 24)
                .unwrap_err()
                .exit_code(),
            2
        );
    }

    fn bench_args(extra: &[&str]) -> BenchArgs {
        use clap::Parser;
        let argv = ["xlstm", "bench"].iter().chain(extra);
        match crate::cli::Cli::try_parse_from(argv).unwrap().command {
            crate::cli::Command::Bench(args) => args,
            _ => unreachable!("a bench command"),
        }
    }

    /// `xlstm` measures the library's default forecaster: its network and training settings as
    /// `ModelConfig::for_kind` gives them, except what the bench sets (epochs, batch, threads, no
    /// early stopping or time budget) and the sizes when given.
    #[test]
    fn the_default_model_is_the_librarys() {
        let args = bench_args(&["-m", "xlstm", "--epochs", "3", "--threads", "1"]);
        let Subject::Default(forecaster) = subject(BenchModelArg::Xlstm, (None, None), 96, &args).unwrap()
        else {
            panic!("xlstm is the default forecaster");
        };
        let (mut want, got) = (
            ModelConfig::for_kind(ModelKind::Xlstm),
            forecaster.config().clone(),
        );
        let want_neural = want.neural_mut().unwrap();
        let got_neural = got.neural().unwrap();
        assert_eq!(got_neural.network, want_neural.network);
        want_neural.train.epochs = 3;
        want_neural.train.threads = 1;
        want_neural.train.patience = usize::MAX;
        assert_eq!(got_neural.train, want_neural.train);
        assert_eq!((forecaster.lookback(), forecaster.horizon()), (96, 24));
        let sized = subject(BenchModelArg::Xlstm, (Some(16), Some(2)), 48, &args).unwrap();
        let Subject::Default(sized) = sized else {
            panic!("xlstm is the default forecaster");
        };
        let network = &sized.config().neural().unwrap().network;
        assert_eq!((network.width, network.heads), (16, 2));
        // the anchors' networks keep the anchors' sizes unless given
        let Subject::Network(c) = subject(BenchModelArg::Mlstm, (None, None), 96, &args).unwrap() else {
            panic!("mlstm is an anchor network");
        };
        assert_eq!((c.width, c.heads), ANCHOR_SIZES);
    }

    #[test]
    fn growth_exponent_recovers_a_power_law() {
        let pts: Vec<(f64, f64)> = [48.0, 96.0, 192.0]
            .iter()
            .map(|&x: &f64| (x, 0.3 * x.powf(1.5)))
            .collect();
        assert!((growth_exponent(&pts) - 1.5).abs() < 1e-12);
        assert!(growth_exponent(&pts[..1]).is_nan());
    }
}
