//! `xlstm bench`: training and inference throughput, peak memory and arithmetic efficiency for one
//! configuration, on the task of the PyTorch anchors (`../shared/anchors/`): ETTh1 OT, rows split
//! 8640/2880/2880, standardised with training statistics, stride-1 windows, lookback 96, horizon
//! 24, batch 64. The networks are the anchors' as far as the architectures match: one token per
//! step (patch 1: the input Linear 1 → D), one recurrent layer of width D (`lstm`, a bare sLSTM
//! cell `slstm`, a bare mLSTM layer `mlstm` / `mlstm_par`) or the block stack "ms" (`xlstm`), and
//! a linear head on the last hidden state; RevIN and the LayerNorm of the last state are the only
//! additions. Speed ratios against the anchors are computed by `benches/compare_torch.sh`.
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

use ndarray::Array2;
use serde_json::{json, Value};

use crate::cli::{BenchArgs, BenchModelArg};
use crate::commands::setup::load_options;
use crate::commands::{print_json, Output};
use crate::data::load::load;
use crate::data::window::{ScaledSplit, Split, SplitPart, WindowSet};
use crate::error::{Error, Result};
use crate::model::{NetworkConfig, TrainSettings};
use crate::nn::count;
use crate::nn::forecaster::{CellKind, CoreKind, ForecasterConfig, HeadKind};
use crate::nn::kernel::fma_peak_gflops;
use crate::nn::loss::Loss;
use crate::nn::train::{self, TrainConfig, Trained};
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
        BenchModelArg::Xlstm => "xlstm",
    }
}

/// The anchor-shaped network: patch 1, one recurrent layer (or the blocks "ms"), width `width`,
/// a head on the last hidden state, no linear skip.
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
            cell: CellKind::Mlstm { parallel: false },
        },
        BenchModelArg::MlstmPar => CoreKind::Cell {
            cell: CellKind::Mlstm { parallel: true },
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
pub fn analytic_flops(model: BenchModelArg, l: usize, h: usize, d: usize, nh: usize) -> Option<Flops> {
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
        ensemble: 1,
        threads: args.threads,
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

/// Train `config` on `windows` for `--epochs`; returns the median epoch's windows per second and
/// the trained model. There is no validation pass, so an epoch's time is training only.
fn time_training(
    settings: &TrainConfig,
    config: &ForecasterConfig,
    windows: &WindowSet,
) -> Result<(f64, Trained)> {
    let no_validation = WindowSet {
        starts: Vec::new(),
        ..windows.clone()
    };
    let mut epoch_seconds = Vec::new();
    let mut last = 0.0;
    let trained = train::fit(settings, config.clone(), windows, &no_validation, &mut |r| {
        epoch_seconds.push(r.seconds - last);
        last = r.seconds;
    })
    .map_err(|e| Error::runtime(e.to_string()))?;
    epoch_seconds.sort_by(f64::total_cmp);
    let median = epoch_seconds
        .get(epoch_seconds.len() / 2)
        .copied()
        .ok_or_else(|| Error::runtime("no training epoch ran"))?;
    Ok((windows.len() as f64 / median, trained))
}

/// Run `xlstm bench`.
pub fn run(args: BenchArgs, out: Output) -> Result<()> {
    if args.sweep {
        return sweep(args, out);
    }
    let config = network(args.model, (args.hidden, args.heads), args.lookback, args.horizon)?;
    let settings = settings(&args);
    let (source, values) = series(&args)?;
    let train_windows = training_windows(&args, &values, args.lookback)?;
    let (train_rate, trained) = time_training(&settings, &config, &train_windows)?;
    let inputs: Array2<f64> = train_windows.inputs();
    // inference: the median of three passes over all training windows, on --threads workers
    let mut infer_rates: Vec<f64> = (0..3)
        .map(|_| {
            let start = Instant::now();
            let predicted =
                train::predict_with_threads(&trained.params, &config, inputs.view(), args.threads);
            predicted.nrows() as f64 / start.elapsed().as_secs_f64()
        })
        .collect();
    infer_rates.sort_by(f64::total_cmp);
    let infer_rate = infer_rates[1];
    let parameters = count(&trained.params);
    let peak = peak_rss_mb();
    let flops = analytic_flops(args.model, args.lookback, args.horizon, args.hidden, args.heads);
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
        args.hidden,
        args.heads,
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
            "hidden": args.hidden,
            "heads": args.heads,
            "lookback": args.lookback,
            "horizon": args.horizon,
            "batch": args.batch,
            "threads": args.threads,
            "epochs": args.epochs,
            "data": source,
            "network": NetworkConfig::from(&config),
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
    let settings = settings(&args);
    // every configuration first, so that a bad size stops the sweep before any training
    let mut configs = Vec::new();
    for &model in &args.models {
        let along_lookback = args.lookbacks.iter().map(|&l| (l, args.hidden));
        let along_width = args.widths.iter().map(|&w| (args.lookback, w));
        for (l, w) in along_lookback.chain(along_width) {
            network(model, (w, args.heads), l, args.horizon)?;
            configs.push((model, l, w));
        }
    }
    let (source, values) = series(&args)?;
    let mut windows = BTreeMap::new();
    let mut points: BTreeMap<(&str, usize, usize), Point> = BTreeMap::new();
    out.note(&format!(
        "training time per window on {source}: horizon {}, batch {}, {} thread(s), {} heads",
        args.horizon, args.batch, args.threads, args.heads
    ));
    out.note(&format!(
        "{:<10} {:>8} {:>6} {:>8} {:>10} {:>10}",
        "model", "lookback", "width", "windows", "train/s", "ms/window"
    ));
    for (model, l, w) in configs {
        if points.contains_key(&(name(model), l, w)) {
            continue;
        }
        let set = match windows.entry(l) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(training_windows(&args, &values, l)?),
        };
        let config = network(model, (w, args.heads), l, args.horizon)?;
        let (train_rate, _) = time_training(&settings, &config, set)?;
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
            args.lookbacks.iter().map(|&l| (l, args.hidden)).collect()
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
                caption: format!("against lookback (width {})", args.hidden),
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
        let train = |m| analytic_flops(m, 96, 24, 64, 4).unwrap().train();
        assert_eq!(train(BenchModelArg::Lstm), 19_252_224.0);
        assert_eq!(train(BenchModelArg::Slstm), 12_248_064.0);
        assert_eq!(train(BenchModelArg::Mlstm), 11_676_672.0);
        assert_eq!(train(BenchModelArg::MlstmPar), 17_777_664.0);
        assert!(analytic_flops(BenchModelArg::Xlstm, 96, 24, 64, 4).is_none());
    }

    #[test]
    fn recurrent_flops_grow_linearly_with_the_lookback() {
        for m in [BenchModelArg::Lstm, BenchModelArg::Slstm, BenchModelArg::Mlstm] {
            let f = |l| analytic_flops(m, l, 24, 64, 4).unwrap().train();
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
