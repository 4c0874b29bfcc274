//! `xlstm fit`: train on the training part, select on the validation part, report test errors
//! beside naive and seasonal naive, and save the model file.

use serde::Serialize;

use crate::cli::FitArgs;
use crate::commands::progress::Terminal;
use crate::commands::setup::{levels, load_for_modelling, model_config, window_request};
use crate::commands::{figures, print_json, table, Output};
use crate::data::io::write_atomic;
use crate::data::window::SplitPart;
use crate::error::Result;
use crate::metrics::ModelMetrics;
use crate::model::{Fitted, ModelConfig, ModelKind};
use crate::pipeline::{Experiment, Windowing};
use crate::plot::{self, Section};

/// The `--json` document.
#[derive(Serialize)]
struct FitOutput<'a> {
    model: &'a str,
    model_file: String,
    lookback: usize,
    horizon: usize,
    season: usize,
    series: usize,
    test_windows: usize,
    train_seconds: f64,
    history: Vec<EpochLine>,
    test: &'a [ModelMetrics],
    saved: SavedLine,
}

/// Which model the file holds.
#[derive(Serialize)]
struct SavedLine {
    /// Whether it was trained again on every row after the evaluation.
    refit: bool,
    /// Rows of the (first) series it was trained on (the training part for the evaluated model).
    rows: usize,
    training_windows: usize,
    /// Epochs trained (neural models).
    #[serde(skip_serializing_if = "Option::is_none")]
    epochs: Option<usize>,
    train_seconds: f64,
}

/// One epoch of the training log.
#[derive(Serialize)]
struct EpochLine {
    epoch: usize,
    train_loss: f64,
    validation_loss: f64,
    seconds: f64,
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
    let kind = args.model;
    let levels = levels(&args.intervals, &args.neural)?;
    let config = model_config(kind, &args.model_args, &args.neural, &levels)?;
    let (dataset, _report) = load_for_modelling(&args.data, &args.data_args, out)?;
    // after the data are read (a missing input is the first thing to hear of), before any training
    crate::data::io::ensure_replaceable(&args.out, args.force, "--out")?;
    let mut progress = Terminal::new(out);
    if args.checkpoint {
        progress = progress.with_stop_flag(stop_on_ctrl_c(out)?);
    }
    let windowing = Windowing::settle(
        &dataset,
        &window_request(&args.window, !levels.is_empty()),
        &mut progress,
    )?;
    let experiment = Experiment::new(&dataset, windowing)?;
    experiment.require_test_windows(&mut progress)?;
    let w = &experiment.windowing;
    let mut fitted = experiment.fit(&experiment.forecaster(config)?, &mut progress)?;
    experiment.calibrate(&mut fitted, &levels)?;
    let mut models = vec![fitted];
    for reference in [ModelKind::Naive, ModelKind::SeasonalNaive] {
        if reference != kind && (reference != ModelKind::SeasonalNaive || w.season <= w.lookback) {
            let forecaster = experiment.forecaster(ModelConfig::for_kind(reference))?;
            let mut fitted = experiment.fit(&forecaster, &mut progress)?;
            experiment.calibrate(&mut fitted, &levels)?;
            models.push(fitted);
        }
    }
    let rows: Vec<ModelMetrics> = models
        .iter()
        .map(|m| ModelMetrics {
            model: m.kind().name().to_string(),
            metrics: experiment.score(m).metrics,
        })
        .collect();
    let fitted = &models[0];
    let test_windows = experiment.windows(SplitPart::Test).len();
    out.note(&format!(
        "trained {} on {} series (lookback {}, horizon {}) in {:.2}s; test errors over {} windows:",
        kind.name(),
        dataset.series.len(),
        w.lookback,
        w.horizon,
        fitted.report().seconds,
        test_windows
    ));
    out.note(table::metrics_table(&rows).trim_end());
    let (file, saved) = if args.no_refit {
        let file = experiment.model_file(fitted, rows.clone());
        let saved = SavedLine {
            refit: false,
            rows: experiment.split.bounds[0][1],
            training_windows: experiment.windows(SplitPart::Train).len(),
            epochs: trained_epochs(fitted),
            train_seconds: fitted.report().seconds,
        };
        (file, saved)
    } else {
        out.note(&format!(
            "refitting {} on every row with the settings chosen above",
            kind.name()
        ));
        let refitted = experiment.refit(fitted, &mut progress)?;
        let saved = SavedLine {
            refit: true,
            rows: refitted.rows,
            training_windows: refitted.windows.1,
            epochs: trained_epochs(&refitted.fitted),
            train_seconds: refitted.fitted.report().seconds,
        };
        (refitted.model_file(rows.clone()), saved)
    };
    write_atomic(&args.out, &file.to_bytes()?)?;
    out.note(&describe_saved(&args.out, &saved));
    if let Some(path) = &args.plot.plot {
        plot_last_window(&args, &experiment, &models, path)?;
        out.note(&format!("wrote the plot to {}", path.display()));
    }
    if args.json {
        print_json(&FitOutput {
            model: kind.name(),
            model_file: args.out.display().to_string(),
            lookback: w.lookback,
            horizon: w.horizon,
            season: w.season,
            series: dataset.series.len(),
            test_windows,
            train_seconds: fitted.report().seconds,
            history: fitted
                .report()
                .history
                .iter()
                .map(|r| EpochLine {
                    epoch: r.epoch,
                    train_loss: r.train_loss,
                    validation_loss: r.val_loss,
                    seconds: r.seconds,
                })
                .collect(),
            test: &rows,
            saved,
        })?;
    }
    Ok(())
}

/// Epochs a neural model trained (the kept epoch is in its settings).
fn trained_epochs(fitted: &Fitted) -> Option<usize> {
    fitted.kind().is_neural().then(|| fitted.report().history.len())
}

/// What was saved: the refitted model (its rows, windows and epochs) or the evaluated one.
fn describe_saved(path: &std::path::Path, saved: &SavedLine) -> String {
    let path = path.display();
    if !saved.refit {
        return format!("saved {path}: the scored model, trained on the training part only (--no-refit)");
    }
    let epochs = saved.epochs.map_or(String::new(), |e| {
        format!(", {e} epoch(s): as many as the scored fit kept")
    });
    format!(
        "saved {path}: the scored model's settings refitted on all {} rows ({} training windows{epochs}) in {:.2}s, \
         scaled by all rows; the table above scores the model trained on the training part",
        saved.rows, saved.training_windows, saved.train_seconds
    )
}

/// `--plot`: the last test window of the model and its references, and the loss per epoch.
fn plot_last_window(
    args: &FitArgs,
    experiment: &Experiment,
    models: &[Fitted],
    path: &std::path::Path,
) -> Result<()> {
    let dataset = experiment.dataset;
    let named: Vec<(String, &Fitted)> = models.iter().map(|m| (m.kind().name().to_string(), m)).collect();
    let test = experiment.windows(SplitPart::Test);
    let ids: Vec<&str> = dataset.series.iter().map(|s| s.id.as_str()).collect();
    let panels = figures::plotted_series(&ids, args.plot.series.as_deref())?
        .into_iter()
        .filter_map(|s| figures::last_window(&test, s))
        .map(|i| figures::window_panel(dataset, &experiment.split, &test, i, &named))
        .collect();
    let mut sections = vec![figures::dataset_section(dataset, panels)];
    let history = &models[0].report().history;
    if !history.is_empty() {
        sections.push(Section::Loss(history.clone()));
    }
    let title = format!(
        "{} on {}: the last test window",
        models[0].kind().name(),
        figures::file_name(&args.data)
    );
    plot::write(path, args.plot.plot_size, &title, &sections)
}
