//! `xlstm compare`: train several models on identical windows and splits and rank them, either
//! on the test part of the split or over a rolling-origin backtest (`--folds K --step S`, the
//! folds of [`crate::pipeline::folds`]). This file ranks and prints; fitting and scoring are the
//! library's ([`crate::pipeline::evaluate`]).

use serde::Serialize;

use crate::cli::CompareArgs;
use crate::commands::figures::{self, dataset_section, last_window, plotted_series, window_panel};
use crate::commands::progress::Terminal;
use crate::commands::setup::{levels, load_for_modelling, model_configs, window_request};
use crate::commands::{print_json, table, Output};
use crate::data::io::write_table;
use crate::data::table::{Column, Table};
use crate::data::time::format_timestamp;
use crate::data::window::SplitPart;
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::metrics::{Metric, Metrics};
use crate::model::{Fitted, ModelKind};
use crate::pipeline::{self, evaluate, Evaluation, Experiment, Fold, Refit, Windowing};
use crate::plot::{self, Section};

/// One model's results.
struct Entry {
    kind: ModelKind,
    evaluation: Evaluation,
    parameters: usize,
}

/// Metrics shown in the leaderboard table, in order.
const LEADERBOARD: [Metric; 5] = [
    Metric::Mae,
    Metric::Rmse,
    Metric::Smape,
    Metric::Mase,
    Metric::MseStd,
];

/// The backtest's settings, when there is one.
#[derive(Debug, Clone, Copy, Serialize)]
struct Backtest {
    folds: usize,
    step: usize,
    refit: Refit,
}

/// Run `xlstm compare`.
pub fn run(args: CompareArgs, out: Output) -> Result<()> {
    let mut kinds: Vec<ModelKind> = Vec::new();
    for k in args.models.clone().unwrap_or_else(|| ModelKind::ALL.to_vec()) {
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    if kinds.is_empty() {
        return Err(Error::usage("--models needs at least one model"));
    }
    let levels = levels(&args.intervals, &args.neural)?;
    let mut configs = model_configs(&kinds, &args.model_args, &args.neural, &levels)?;
    let mut progress = Terminal::new(out);
    let (dataset, _) = load_for_modelling(&args.data, &args.data_args, out)?;
    // what would stop the writing after training stops the command before it
    if let Some(path) = &args.predictions {
        crate::data::io::ensure_replaceable(path, args.force, "--predictions")?;
        crate::data::io::output_format(path)?;
        prediction_names(&dataset, &kinds)?;
    }
    if let Some(path) = &args.out {
        crate::data::io::output_format(path)?;
    }
    let w = Windowing::settle(
        &dataset,
        &window_request(&args.window, !levels.is_empty()),
        &mut progress,
    )?;
    if w.season > w.lookback && kinds.contains(&ModelKind::SeasonalNaive) {
        out.note(&format!(
            "note: snaive left out: its season {} is longer than the lookback {}",
            w.season, w.lookback
        ));
        configs.retain(|c| c.kind() != ModelKind::SeasonalNaive);
        if configs.is_empty() {
            return Err(Error::usage("no model left to compare; pass a longer --lookback"));
        }
    }
    let step = args.step.unwrap_or(w.horizon);
    let folds = match args.folds {
        Some(k) => pipeline::folds(&dataset, &w, k, step, args.refit)?,
        None => {
            let experiment = Experiment::new(&dataset, w.clone())?;
            experiment.require_test_windows(&mut progress)?;
            vec![Fold::whole(experiment)]
        }
    };
    let refit = if args.folds.is_some() {
        args.refit
    } else {
        Refit::Every
    };
    let backtest = args.folds.map(|k| Backtest {
        folds: k,
        step,
        refit: args.refit,
    });
    let shown = match &args.plot.plot {
        Some(_) => {
            let ids: Vec<&str> = dataset.series.iter().map(|s| s.id.as_str()).collect();
            plotted_series(&ids, args.plot.series.as_deref())?
        }
        None => Vec::new(),
    };
    // epoch lines only with -v: a leaderboard trains many models
    let mut inner = Terminal::new(out).epochs_only_when_verbose();
    let mut entries = Vec::with_capacity(kinds.len());
    for config in configs {
        let evaluation = evaluate(
            &config,
            &folds,
            (refit, args.score_refit),
            &levels,
            args.predictions.is_some(),
            &mut inner,
        )?;
        out.note(&format!(
            "{}: {} {:.4} ({:.1}s)",
            config.kind().name(),
            args.metric.key(),
            args.metric.of(&evaluation.mean),
            evaluation.train_seconds
        ));
        entries.push(Entry {
            kind: config.kind(),
            parameters: evaluation.last.parameters(),
            evaluation,
        });
    }
    // rank: lower is better; NaN last
    let key = |e: &Entry| {
        let v = args.metric.of(&e.evaluation.mean);
        if v.is_nan() {
            f64::INFINITY
        } else {
            v
        }
    };
    entries.sort_by(|a, b| key(a).total_cmp(&key(b)));
    out.note(&describe(&dataset, &w, &folds, backtest, args.score_refit));
    out.note(leaderboard(&entries, args.metric, backtest.is_some()).trim_end());
    if backtest.is_some() {
        out.note(&format!(
            "{} of each fold (origin of the first series):",
            args.metric.key()
        ));
        out.note(fold_table(&dataset, &folds, &entries, args.metric).trim_end());
    }
    if let Some(path) = &args.out {
        write_table(path, &leaderboard_table(&entries)?)?;
        out.note(&format!("wrote the leaderboard to {}", path.display()));
    }
    if let Some(path) = &args.predictions {
        let table = predictions_table(&dataset, &folds, &entries)?;
        let rows = table.columns.first().map_or(0, Column::len);
        write_table(path, &table)?;
        out.note(&format!(
            "wrote {rows} forecasts of each model to {}",
            path.display()
        ));
    }
    if let Some(path) = &args.plot.plot {
        plot_last_fold(&args, &dataset, &folds, &entries, &shown, path)?;
        out.note(&format!("wrote the plot to {}", path.display()));
    }
    if args.json {
        print_json(&output(
            &dataset,
            &w,
            &folds,
            &entries,
            args.metric,
            backtest,
            args.score_refit,
        ))?;
    }
    Ok(())
}

/// `--plot`: the last test window of the last fold for every model, and the error by step.
fn plot_last_fold(
    args: &CompareArgs,
    dataset: &Dataset,
    folds: &[Fold],
    entries: &[Entry],
    shown: &[usize],
    path: &std::path::Path,
) -> Result<()> {
    let fold = folds.last().expect("at least one fold");
    // a refitted model reads its windows scaled as it was trained: by every row before the origin
    let last = &if args.score_refit {
        fold.with_validation_in_training()
    } else {
        fold.experiment.clone()
    };
    let test = last.windows(SplitPart::Test);
    let models: Vec<(String, &Fitted)> = entries
        .iter()
        .map(|e| (e.kind.name().to_string(), &e.evaluation.last))
        .collect();
    let panels = shown
        .iter()
        .filter_map(|&s| last_window(&test, s))
        .map(|i| window_panel(dataset, &last.split, &test, i, &models))
        .collect();
    let unit = dataset.targets.join(", ");
    let sections = [
        dataset_section(dataset, panels),
        Section::HorizonErrors {
            value_label: format!("MAE ({unit})"),
            lines: entries
                .iter()
                .map(|e| (e.kind.name().to_string(), e.evaluation.mae_by_step.clone()))
                .collect(),
        },
    ];
    let name = figures::file_name(&args.data);
    let title = match args.folds {
        Some(k) => format!(
            "{name}: {} models, {k}-fold backtest, forecast from the last origin",
            entries.len()
        ),
        None => format!("{name}: {} models on the test part", entries.len()),
    };
    plot::write(path, args.plot.plot_size, &title, &sections)
}

/// The origin of `fold` in the first series, as a timestamp.
fn origin(dataset: &Dataset, fold: &Fold) -> String {
    format_timestamp(dataset.series[0].time[fold.origins[0]], dataset.time_kind)
}

fn describe(
    dataset: &Dataset,
    w: &Windowing,
    folds: &[Fold],
    backtest: Option<Backtest>,
    refitted: bool,
) -> String {
    let series = dataset.series.len();
    let scored = if refitted {
        "; each model scored as refitted on every row before the origin"
    } else {
        ""
    };
    let text = match backtest {
        None => format!(
            "leaderboard on {series} series (lookback {}, horizon {}), {} test windows:",
            w.lookback,
            w.horizon,
            folds[0].experiment.windows(SplitPart::Test).len()
        ),
        Some(b) => format!(
            "leaderboard on {series} series (lookback {}, horizon {}): backtest of {} origins {} steps apart ({} to {}{}), refit {}; mean over folds:",
            w.lookback,
            w.horizon,
            b.folds,
            b.step,
            origin(dataset, &folds[0]),
            origin(dataset, &folds[folds.len() - 1]),
            if series > 1 {
                format!(" in '{}'", dataset.series[0].id)
            } else {
                String::new()
            },
            match b.refit {
                Refit::Every => "at every origin",
                Refit::Once => "once",
            }
        ),
    };
    match text.strip_suffix(':') {
        Some(head) if refitted => format!("{head}{scored}:"),
        _ => text,
    }
}

/// The leaderboard as text, best first; with folds, the ranking metric's standard deviation over
/// folds too; with intervals, their coverage and MSIS per level and the scaled CRPS.
fn leaderboard(entries: &[Entry], metric: Metric, with_folds: bool) -> String {
    let all: Vec<&Metrics> = entries.iter().map(|e| &e.evaluation.mean).collect();
    let mut header = vec!["model".to_string()];
    header.extend(LEADERBOARD.map(|m| m.heading().to_string()));
    if with_folds {
        header.push(format!("±{}", metric.key()));
    }
    header.extend(table::interval_headings(&all));
    header.extend(["train s".to_string(), "params".to_string()]);
    let mut cells = vec![header];
    for e in entries {
        let mut row = vec![e.kind.name().to_string()];
        row.extend(LEADERBOARD.map(|m| table::cell(m.of(&e.evaluation.mean))));
        if with_folds {
            row.push(table::cell(metric.of(&e.evaluation.std)));
        }
        row.extend(table::interval_cells(&e.evaluation.mean, &all));
        row.extend([
            format!("{:.2}", e.evaluation.train_seconds),
            e.parameters.to_string(),
        ]);
        cells.push(row);
    }
    table::render(&cells)
}

/// The ranking metric of every fold: one row per model, one column per origin.
fn fold_table(dataset: &Dataset, folds: &[Fold], entries: &[Entry], metric: Metric) -> String {
    let mut header = vec!["model".to_string()];
    header.extend(folds.iter().map(|f| origin(dataset, f)));
    let mut cells = vec![header];
    for e in entries {
        let mut row = vec![e.kind.name().to_string()];
        row.extend(e.evaluation.folds.iter().map(|m| table::cell(metric.of(m))));
        cells.push(row);
    }
    table::render(&cells)
}

/// `--out`: rank, model, every metric's mean, the MAE and MASE deviation over folds, the fold
/// count, training seconds and parameters.
fn leaderboard_table(entries: &[Entry]) -> Result<Table> {
    let number = |f: &dyn Fn(&Entry) -> f64| Column::Number(entries.iter().map(|e| Some(f(e))).collect());
    let mut names = vec!["rank".to_string(), "model".to_string()];
    let mut columns = vec![
        Column::Number((1..=entries.len()).map(|r| Some(r as f64)).collect()),
        Column::Text(entries.iter().map(|e| Some(e.kind.name().to_string())).collect()),
    ];
    for metric in Metric::ALL {
        names.push(metric.key().to_string());
        columns.push(number(&|e| metric.of(&e.evaluation.mean)));
    }
    for metric in [Metric::Mae, Metric::Mase] {
        names.push(format!("{}_sd", metric.key()));
        columns.push(number(&|e| metric.of(&e.evaluation.std)));
    }
    // the interval scores (the same keys for every model: all are calibrated at the same levels)
    let keys: Vec<String> = entries
        .first()
        .map(|e| {
            e.evaluation
                .mean
                .intervals
                .columns()
                .into_iter()
                .map(|c| c.0)
                .collect()
        })
        .unwrap_or_default();
    for (k, key) in keys.into_iter().enumerate() {
        names.push(key);
        columns.push(number(&|e| {
            e.evaluation
                .mean
                .intervals
                .columns()
                .get(k)
                .map_or(f64::NAN, |c| c.2)
        }));
    }
    names.extend(["folds", "train_seconds", "parameters"].map(String::from));
    columns.extend([
        number(&|e| e.evaluation.folds.len() as f64),
        number(&|e| e.evaluation.train_seconds),
        number(&|e| e.parameters as f64),
    ]);
    Table::new(names, columns)
}

/// `--predictions`: every model's test forecasts of every fold in the data's units, one row per
/// series, fold and step: the series id, the cutoff (the last time the forecast saw), the time
/// forecast, the step (1..=H), the actual value and one column per model, best first.
fn predictions_table(dataset: &Dataset, folds: &[Fold], entries: &[Entry]) -> Result<Table> {
    let (mut ids, mut cutoffs, mut times, mut steps, mut actual) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut models: Vec<Vec<Option<f64>>> = vec![Vec::new(); entries.len()]; // (models)(rows)
    for (f, fold) in folds.iter().enumerate() {
        let test = fold.experiment.windows(SplitPart::Test);
        let (l, h) = (test.lookback, test.horizon);
        for (i, &(s, t)) in test.starts.iter().enumerate() {
            let series = &dataset.series[s];
            for k in 0..h {
                ids.push(Some(series.id.clone()));
                cutoffs.push(Some(series.time[t + l - 1]));
                times.push(Some(series.time[t + l + k]));
                steps.push(Some((k + 1) as f64));
                actual.push(Some(series.values[t + l + k]));
                for (column, e) in models.iter_mut().zip(entries) {
                    column.push(Some(e.evaluation.forecasts[f][[i, k]]));
                }
            }
        }
    }
    let (kind, format) = (dataset.time_kind, &dataset.time_format);
    let kinds: Vec<ModelKind> = entries.iter().map(|e| e.kind).collect();
    let mut columns = vec![
        Column::Text(ids),
        Column::styled_times(cutoffs, kind, format),
        Column::styled_times(times, kind, format),
        Column::Number(steps),
        Column::Number(actual),
    ];
    columns.extend(models.into_iter().map(Column::Number));
    Table::new(prediction_names(dataset, &kinds)?, columns)
}

/// The column names of `--predictions`: the id and time columns' own names (`series` and `time`
/// without them), `cutoff`, `step`, `actual` and the models'; a usage error when two are equal.
fn prediction_names(dataset: &Dataset, kinds: &[ModelKind]) -> Result<Vec<String>> {
    let mut names = vec![
        dataset.id_column.clone().unwrap_or_else(|| "series".into()),
        "cutoff".into(),
        dataset.time_column.clone().unwrap_or_else(|| "time".into()),
        "step".into(),
        "actual".into(),
    ];
    names.extend(kinds.iter().map(|k| k.name().to_string()));
    for (i, name) in names.iter().enumerate() {
        if names[..i].contains(name) {
            return Err(Error::usage(format!(
                "--predictions: two of its columns would be named '{name}' (the data's id and time \
                 columns keep their names beside cutoff, step, actual and one column per model); \
                 rename the data's column"
            )));
        }
    }
    Ok(names)
}

/// The `--json` document.
#[derive(Serialize)]
struct CompareOutput {
    metric: &'static str,
    lookback: usize,
    horizon: usize,
    season: usize,
    series: usize,
    models: Vec<ModelRow>,
    /// The models scored were refitted on every row before the origin (`--score-refit`).
    score_refit: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    backtest: Option<Backtest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    test_windows: Option<usize>,
}

/// One model of the `--json` document: its mean metrics over folds, and with a backtest their
/// standard deviation and every fold.
#[derive(Serialize)]
struct ModelRow {
    rank: usize,
    model: &'static str,
    #[serde(flatten)]
    mean: Metrics,
    train_seconds: f64,
    parameters: usize,
    mae_by_step: Vec<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    std: Option<Metrics>,
    #[serde(skip_serializing_if = "Option::is_none")]
    folds: Option<Vec<FoldRow>>,
}

/// One fold of a model in the `--json` document.
#[derive(Serialize)]
struct FoldRow {
    fold: usize,
    origin: String,
    #[serde(flatten)]
    metrics: Metrics,
}

fn output(
    dataset: &Dataset,
    w: &Windowing,
    folds: &[Fold],
    entries: &[Entry],
    metric: Metric,
    backtest: Option<Backtest>,
    score_refit: bool,
) -> CompareOutput {
    let models = entries
        .iter()
        .enumerate()
        .map(|(rank, e)| {
            let ev = &e.evaluation;
            ModelRow {
                rank: rank + 1,
                model: e.kind.name(),
                mean: ev.mean.clone(),
                train_seconds: ev.train_seconds,
                parameters: e.parameters,
                mae_by_step: ev.mae_by_step.clone(),
                std: backtest.map(|_| ev.std.clone()),
                folds: backtest.map(|_| {
                    ev.folds
                        .iter()
                        .zip(folds)
                        .enumerate()
                        .map(|(i, (m, f))| FoldRow {
                            fold: i + 1,
                            origin: origin(dataset, f),
                            metrics: m.clone(),
                        })
                        .collect()
                }),
            }
        })
        .collect();
    CompareOutput {
        metric: metric.key(),
        lookback: w.lookback,
        horizon: w.horizon,
        season: w.season,
        series: dataset.series.len(),
        models,
        score_refit,
        test_windows: backtest
            .is_none()
            .then(|| folds[0].experiment.windows(SplitPart::Test).len()),
        backtest,
    }
}
