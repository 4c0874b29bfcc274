//! `xlstm fit`: train on the training part, select on the validation part, report test errors
//! beside naive and seasonal naive, and save the model file.

use serde_json::json;

use crate::baseline::{dlinear_alpha, Baseline};
use crate::cli::FitArgs;
use crate::commands::setup::{
    load_for_modelling, model_kind, model_settings, prepare, windowing, ModelSettings, Windowing,
};
use crate::commands::{figures, print_json, table, Output};
use crate::data::io::write_atomic;
use crate::data::window::{Part, Prepared, Split, WindowSet};
use crate::data::Dataset;
use crate::error::Result;
use crate::evaluate::score;
use crate::metrics::Metrics;
use crate::model::{Model, ModelKind};
use crate::model_file::{fnv1a64, ModelFile, SeriesState};
use crate::neural::{self, config_to_json, forecaster_config};
use crate::nn::train::EpochReport;
use crate::plot::{self, Section};

/// Ridge penalties tried on the validation part when `--alpha` is not given.
const ALPHA_GRID: [f64; 6] = [0.0, 0.1, 1.0, 10.0, 100.0, 1000.0];

/// A trained model with the settings it was trained with.
pub struct TrainedModel {
    /// The model.
    pub model: Model,
    /// Kind-specific settings for the model file.
    pub config: serde_json::Value,
    /// Seconds spent training.
    pub seconds: f64,
    /// Loss per epoch (neural models).
    pub history: Vec<EpochReport>,
}

/// Train `kind` on the training windows, selecting settings on the validation windows.
pub fn train(
    kind: ModelKind,
    prepared: &Prepared,
    w: &Windowing,
    settings: &ModelSettings,
    out: Output,
) -> Result<TrainedModel> {
    let start = std::time::Instant::now();
    let train_windows = prepared.windows(Part::Train, w.stride);
    let val_windows = prepared.windows(Part::Validation, 1);
    let split = crate::data::window::describe(&w.split);
    let Some(baseline_kind) = kind.baseline() else {
        let config = forecaster_config(kind, &settings.neural, w.lookback, w.horizon)?;
        let estimate = crate::memory::neural(
            &config,
            &settings.neural.train,
            train_windows.len(),
            val_windows.len(),
        );
        out.detail(&estimate.describe());
        crate::memory::ensure_fits(&estimate, crate::memory::available())?;
        let base = match settings.neural.base {
            Some(base_kind) => {
                let alpha = match settings.alpha {
                    Some(a) => a,
                    None if base_kind != crate::baseline::BaselineKind::SeasonalNaive && !val_windows.is_empty() => {
                        select_alpha(base_kind, &train_windows, &val_windows, w.season, out)?
                    }
                    None => 0.0,
                };
                let fitted = Baseline::fit(base_kind, &train_windows, w.season, alpha)?;
                Some(fitted.affine(w.lookback, w.horizon))
            }
            None => None,
        };
        let trained = neural::fit(
            config,
            base.as_ref(),
            &settings.neural.train,
            &train_windows,
            &val_windows,
            out.quiet,
        )?;
        let t = &settings.neural.train;
        return Ok(TrainedModel {
            config: json!({
                "network": config_to_json(&trained.config),
                "epochs": t.epochs, "batch": t.batch_size, "lr": t.lr, "patience": t.patience,
                "seed": t.seed, "best_epoch": trained.best_epoch, "epochs_run": trained.history.len(),
                "best_validation_loss": trained.best_val_loss, "stride": w.stride, "split": split,
            }),
            history: trained.history.clone(),
            model: Model::Neural {
                config: trained.config,
                params: Box::new(trained.params),
            },
            seconds: start.elapsed().as_secs_f64(),
        });
    };
    if kind.is_linear() {
        let features = if kind == ModelKind::DLinear {
            2 * w.lookback
        } else {
            w.lookback
        };
        let estimate = crate::memory::linear(features, w.horizon, train_windows.len(), val_windows.len());
        out.detail(&estimate.describe());
        crate::memory::ensure_fits(&estimate, crate::memory::available())?;
    }
    let alpha = match settings.alpha {
        Some(a) => a,
        None if kind.is_linear() && !val_windows.is_empty() => {
            select_alpha(baseline_kind, &train_windows, &val_windows, w.season, out)?
        }
        None => 0.0,
    };
    let baseline = Baseline::fit(baseline_kind, &train_windows, w.season, alpha)?;
    let (alpha, kernel) = match &baseline {
        Baseline::DLinear { kernel, .. } => (dlinear_alpha(alpha, train_windows.len()), Some(*kernel)),
        _ => (alpha, None),
    };
    Ok(TrainedModel {
        model: Model::Baseline(baseline),
        config: json!({ "alpha": alpha, "kernel": kernel, "stride": w.stride, "split": split }),
        history: Vec::new(),
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// The ridge penalty with the lowest validation MSE (standardised values).
fn select_alpha(
    kind: crate::baseline::BaselineKind,
    train: &WindowSet,
    val: &WindowSet,
    season: usize,
    out: Output,
) -> Result<f64> {
    let (inputs, targets) = (val.inputs(), val.targets());
    let mut best = (f64::INFINITY, 0.0);
    for alpha in ALPHA_GRID {
        let model = Baseline::fit(kind, train, season, alpha)?;
        let mse = (model.predict(inputs.view(), val.horizon) - &targets)
            .mapv(|e| e * e)
            .mean()
            .unwrap_or(f64::NAN);
        out.detail(&format!("alpha {alpha}: validation MSE {mse:.5}"));
        if mse < best.0 {
            best = (mse, alpha);
        }
    }
    Ok(best.1)
}

/// Test metrics of `model` on `prepared`'s test windows.
pub fn test_metrics(model: &Model, dataset: &Dataset, prepared: &Prepared, w: &Windowing) -> Metrics {
    let raw: Vec<&[f64]> = dataset.series.iter().map(|s| s.values.as_slice()).collect();
    let test = prepared.windows(Part::Test, 1);
    score(prepared, &raw, &test, w.season, |x| model.predict(x, w.horizon))
}

/// A fingerprint of the data: FNV-1a over ids, times and values.
pub fn fingerprint(dataset: &Dataset) -> String {
    let mut bytes = Vec::new();
    for s in &dataset.series {
        bytes.extend_from_slice(s.id.as_bytes());
        for (t, v) in s.time.iter().zip(&s.values) {
            bytes.extend_from_slice(&t.to_le_bytes());
            bytes.extend_from_slice(&v.to_le_bytes());
        }
    }
    format!("{:016x}", fnv1a64(&bytes))
}

/// Everything a model file holds about the data and the model.
pub fn model_file(
    kind: ModelKind,
    trained: &TrainedModel,
    dataset: &Dataset,
    prepared: &Prepared,
    w: &Windowing,
    metrics: serde_json::Value,
) -> ModelFile {
    let series = dataset
        .series
        .iter()
        .zip(&prepared.scalers)
        .map(|(s, scaler)| SeriesState {
            id: s.id.clone(),
            mean: scaler.mean,
            std: scaler.std,
            times: s.time[s.time.len().saturating_sub(w.lookback)..].to_vec(),
            tail: s.values[s.values.len().saturating_sub(w.lookback)..].to_vec(),
        })
        .collect();
    ModelFile {
        kind: kind.name().to_string(),
        lookback: w.lookback,
        horizon: w.horizon,
        season: w.season,
        config: trained.config.clone(),
        time_kind: dataset.time_kind,
        frequency: dataset.frequency,
        time_column: dataset.time_column.clone(),
        targets: dataset.targets.clone(),
        id_column: dataset.id_column.clone(),
        fingerprint: fingerprint(dataset),
        series,
        weights: trained.model.weights(),
        metrics,
    }
}

/// Errors when the test part holds no complete window (nothing to report); notes an empty
/// validation part (early stopping then watches the training loss).
pub fn require_test_and_note_validation(prepared: &Prepared, w: &Windowing, out: Output) -> Result<()> {
    if prepared.windows(Part::Test, 1).is_empty() {
        return Err(crate::Error::data(format!(
            "the test part of split {} holds no complete window of horizon {}; give the test part at least {} rows",
            crate::data::window::describe(&w.split),
            w.horizon,
            w.horizon
        )));
    }
    if prepared.windows(Part::Validation, 1).is_empty() {
        out.note("note: the validation part holds no complete window: no model selection, early stopping watches the training loss");
    }
    Ok(())
}

/// A flag set by the first Ctrl-C (training then stops after its current step and the best model
/// so far is saved); a second Ctrl-C ends the process at once (exit code 130).
fn stop_on_ctrl_c(out: Output) -> Result<std::sync::Arc<std::sync::atomic::AtomicBool>> {
    use std::sync::atomic::{AtomicBool, Ordering};
    let flag = std::sync::Arc::new(AtomicBool::new(false));
    let set = flag.clone();
    ctrlc::set_handler(move || {
        if set.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        out.note("interrupted: stopping after the current step to save the best model so far (Ctrl-C again to quit)");
    })
    .map_err(|e| crate::Error::runtime(format!("cannot handle Ctrl-C for --checkpoint: {e}")))?;
    Ok(flag)
}

/// Run `xlstm fit`.
pub fn run(args: FitArgs, out: Output) -> Result<()> {
    let kind = model_kind(args.model);
    let split = Split::parse(&args.window.split)?;
    let mut settings = model_settings(&args.model_args, &args.neural)?;
    crate::data::io::ensure_replaceable(&args.out, args.force, "--out")?;
    if args.checkpoint {
        settings.neural.train.stop = Some(stop_on_ctrl_c(out)?);
    }
    let plot_size = figures::plot_size(&args.plot)?;
    let (dataset, _report) = load_for_modelling(&args.data, &args.data_args, out)?;
    let w = windowing(&dataset, &args.window, split, out)?;
    let prepared = prepare(&dataset, &w)?;
    require_test_and_note_validation(&prepared, &w, out)?;
    let trained = train(kind, &prepared, &w, &settings, out)?;
    let mut rows = vec![(
        kind.name().to_string(),
        test_metrics(&trained.model, &dataset, &prepared, &w),
    )];
    let mut references = Vec::new();
    for reference in [ModelKind::Naive, ModelKind::SeasonalNaive] {
        if reference != kind && (reference != ModelKind::SeasonalNaive || w.season <= w.lookback) {
            let model = train(reference, &prepared, &w, &settings, out)?.model;
            rows.push((
                reference.name().to_string(),
                test_metrics(&model, &dataset, &prepared, &w),
            ));
            references.push((reference.name().to_string(), model));
        }
    }
    let metrics_json = json!(rows
        .iter()
        .map(|(n, m)| json!({"model": n, "metrics": m}))
        .collect::<Vec<_>>());
    let file = model_file(kind, &trained, &dataset, &prepared, &w, metrics_json.clone());
    write_atomic(&args.out, &file.to_bytes()?)?;
    let test_windows = prepared.windows(Part::Test, 1).len();
    out.note(&format!(
        "trained {} on {} series (lookback {}, horizon {}) in {:.2}s; test errors over {} windows:",
        kind.name(),
        dataset.series.len(),
        w.lookback,
        w.horizon,
        trained.seconds,
        test_windows
    ));
    out.note(table::metrics_table(&rows).trim_end());
    out.note(&format!("saved {}", args.out.display()));
    if let (Some(size), Some(path)) = (plot_size, &args.plot.plot) {
        let mut models = vec![(kind.name().to_string(), &trained.model)];
        models.extend(references.iter().map(|(n, m)| (n.clone(), m)));
        let test = prepared.windows(Part::Test, 1);
        let ids: Vec<&str> = dataset.series.iter().map(|s| s.id.as_str()).collect();
        let panels = figures::plotted_series(&ids, args.plot.series.as_deref())?
            .into_iter()
            .filter_map(|s| figures::last_window(&test, s))
            .map(|i| figures::window_panel(&dataset, &prepared, &test, i, &models))
            .collect();
        let mut sections = vec![figures::forecast_section(&dataset, panels)];
        if !trained.history.is_empty() {
            sections.push(Section::Loss(trained.history.clone()));
        }
        let title = format!(
            "{} on {}: the last test window",
            kind.name(),
            figures::file_name(&args.data)
        );
        plot::write(path, size, &title, &sections)?;
        out.note(&format!("wrote the plot to {}", path.display()));
    }
    if args.json {
        print_json(&json!({
            "model": kind.name(),
            "model_file": args.out.display().to_string(),
            "lookback": w.lookback,
            "horizon": w.horizon,
            "season": w.season,
            "series": dataset.series.len(),
            "test_windows": test_windows,
            "train_seconds": trained.seconds,
            "history": trained.history.iter().map(|r| json!({
                "epoch": r.epoch, "train_loss": r.train_loss, "validation_loss": r.val_loss, "seconds": r.seconds,
            })).collect::<Vec<_>>(),
            "test": metrics_json,
        }))?;
    }
    Ok(())
}
