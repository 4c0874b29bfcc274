//! `xlstm bench`: training and inference throughput and peak memory for one configuration, on
//! the task of the PyTorch anchors (`../shared/anchors/`): ETTh1 OT, rows split 8640/2880/2880,
//! standardised with training statistics, stride-1 windows, lookback 96, horizon 24, batch 64.
//! The network mirrors the anchors as far as the architectures match: one token per step
//! (patch 1), one recurrent layer or block of width D, a linear head on the last hidden state.
//! Speed ratios against the anchors are computed by `benches/compare_torch.sh`.

use std::path::Path;
use std::time::Instant;

use ndarray::Array2;
use serde_json::json;

use crate::cli::BenchArgs;
use crate::commands::setup::{load_options, model_kind};
use crate::commands::{print_json, Output};
use crate::data::load::load;
use crate::data::window::{Part, Prepared, Split, WindowSet};
use crate::error::{Error, Result};
use crate::model::ModelKind;
use crate::neural::{forecaster_config, train_config, NeuralSettings};
use crate::nn::forecaster::HeadKind;
use crate::nn::loss::Loss;
use crate::nn::{count, train};

/// The anchors' data: ETTh1 OT when present, else a series of the same length.
fn series(args: &BenchArgs) -> Result<(String, Vec<f64>)> {
    let default = Path::new("../shared/datasets/ett/ETTh1.csv");
    let path = args.data.as_deref().or(default.exists().then_some(default));
    match path {
        Some(p) => {
            let mut options = load_options(&Default::default())?;
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

/// Run `xlstm bench`.
pub fn run(args: BenchArgs, out: Output) -> Result<()> {
    let kind = model_kind(args.model);
    if kind.baseline().is_some() {
        return Err(Error::usage(
            "xlstm bench measures the neural models: --model xlstm, slstm, mlstm or lstm",
        ));
    }
    let (source, values) = series(&args)?;
    let prepared = Prepared::new(
        &[("OT", &values)],
        Split::Rows(8640, 2880, 2880),
        args.lookback,
        args.horizon,
    )?;
    let train_windows = prepared.windows(Part::Train, 1);
    // no validation pass: the trainer then reports the training loss and the epoch time is training only
    let no_validation = WindowSet {
        starts: Vec::new(),
        ..train_windows.clone()
    };
    let mut settings = NeuralSettings {
        blocks: None,
        layers: 1,
        hidden: args.hidden,
        heads: args.heads,
        patch: Some(1),
        patch_stride: Some(1),
        head: HeadKind::Last,
        linear_skip: false,
        train: train_config(
            args.epochs,
            args.batch,
            1e-3,
            Loss::Mse,
            usize::MAX,
            None,
            args.threads,
            0,
        )?,
    };
    if kind == ModelKind::Xlstm {
        settings.blocks = Some("ms".into());
    }
    let config = forecaster_config(kind, &settings, args.lookback, args.horizon)?;
    let mut epoch_seconds = Vec::new();
    let mut last = 0.0;
    let trained = train::fit(
        &settings.train,
        config.clone(),
        &train_windows,
        &no_validation,
        &mut |r| {
            epoch_seconds.push(r.seconds - last);
            last = r.seconds;
        },
    )
    .map_err(|e| Error::runtime(e.to_string()))?;
    epoch_seconds.sort_by(f64::total_cmp);
    let train_seconds = epoch_seconds[epoch_seconds.len() / 2];
    let train_rate = train_windows.len() as f64 / train_seconds;
    let inputs: Array2<f64> = train_windows.inputs();
    let start = Instant::now();
    let predicted = train::predict(&trained.params, &config, inputs.view());
    let infer_seconds = start.elapsed().as_secs_f64();
    let infer_rate = predicted.nrows() as f64 / infer_seconds;
    let parameters = count(&trained.params);
    let peak = peak_rss_mb();
    out.note(&format!(
        "{}: {} training windows of {source}; width {}, {} thread(s), batch {}",
        kind.name(),
        train_windows.len(),
        args.hidden,
        args.threads,
        args.batch
    ));
    out.note(&format!(
        "train {train_rate:.0} samples/s, inference {infer_rate:.0} samples/s, {parameters} parameters, peak memory {peak:.0} MB"
    ));
    if args.json {
        print_json(&json!({
            "model": kind.name(),
            "train_samples_per_s": train_rate,
            "infer_samples_per_s": infer_rate,
            "peak_rss_mb": peak,
            "parameters": parameters,
            "windows": train_windows.len(),
            "hidden": args.hidden,
            "lookback": args.lookback,
            "horizon": args.horizon,
            "batch": args.batch,
            "threads": args.threads,
            "data": source,
        }))?;
    }
    Ok(())
}
