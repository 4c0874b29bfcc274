//! `xlstm compare`: train several models on identical windows and splits and rank them, either
//! on the test part of the split or over a rolling-origin backtest (`--folds K --step S`): K
//! forecast origins S steps apart at the end of each series, an expanding training window, the
//! validation tail just before each fold's test block, and scaling statistics from the fold's
//! training rows only.

use serde_json::{json, Value};

use crate::cli::{CompareArgs, MetricArg, RefitArg};
use crate::commands::figures::{
    self, forecast_section, last_window, plot_size, plotted_series, window_panel,
};
use crate::commands::fit::{require_test_and_note_validation, train};
use crate::commands::setup::{load_for_modelling, model_kind, model_settings, prepare, windowing, Windowing};
use crate::commands::{print_json, table, Output};
use crate::data::io::write_table;
use crate::data::table::{Column, Table};
use crate::data::time::format_timestamp;
use crate::data::window::{Part, Prepared, Scaler, Split};
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::evaluate::score_by_step;
use crate::metrics::Metrics;
use crate::model::{Model, ModelKind};
use crate::plot::{self, Section};

/// One model's results.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The model kind.
    pub kind: ModelKind,
    /// Metrics of each fold (one entry without backtesting).
    pub folds: Vec<Metrics>,
    /// Mean over folds of each metric.
    pub mean: Metrics,
    /// Standard deviation over folds (population; 0 for one fold).
    pub std: Metrics,
    /// MAE of each horizon step (data units), averaged over folds.
    pub mae_by_step: Vec<f64>,
    /// Seconds spent training, over all fits.
    pub train_seconds: f64,
    /// Number of weights of the (last) fitted model.
    pub parameters: usize,
}

/// The value of `metric` in `m`.
pub fn metric_value(m: &Metrics, metric: MetricArg) -> f64 {
    match metric {
        MetricArg::Mase => m.mase,
        MetricArg::Mae => m.mae,
        MetricArg::Rmse => m.rmse,
        MetricArg::Smape => m.smape,
        MetricArg::Mse => m.mse_std,
    }
}

fn metric_name(metric: MetricArg) -> &'static str {
    match metric {
        MetricArg::Mase => "mase",
        MetricArg::Mae => "mae",
        MetricArg::Rmse => "rmse",
        MetricArg::Smape => "smape",
        MetricArg::Mse => "mse_std",
    }
}

/// Mean and population standard deviation of each metric over `folds`.
pub fn mean_std(folds: &[Metrics]) -> (Metrics, Metrics) {
    let n = folds.len().max(1) as f64;
    let get: [fn(&Metrics) -> f64; 7] = [
        |m| m.mae,
        |m| m.rmse,
        |m| m.mape,
        |m| m.smape,
        |m| m.mase,
        |m| m.mse_std,
        |m| m.mae_std,
    ];
    let mut mean = [0.0; 7];
    let mut std = [0.0; 7];
    for (k, f) in get.iter().enumerate() {
        mean[k] = folds.iter().map(f).sum::<f64>() / n;
        std[k] = (folds.iter().map(|m| (f(m) - mean[k]).powi(2)).sum::<f64>() / n).sqrt();
    }
    let build = |v: [f64; 7]| Metrics {
        mae: v[0],
        rmse: v[1],
        mape: v[2],
        smape: v[3],
        mase: v[4],
        mse_std: v[5],
        mae_std: v[6],
        points: folds.iter().map(|m| m.points).sum(),
    };
    (build(mean), build(std))
}

/// One evaluation: the prepared series and where its test block starts (per series).
struct Fold {
    prepared: Prepared,
    /// First test row of each series.
    origins: Vec<usize>,
}

/// Row boundaries of every fold for one series of `n` rows: the test block of fold k is
/// `[n − (K−1−k)·S − H, n − (K−1−k)·S)`, the validation tail the `val` rows before it and
/// training everything before that.
pub fn fold_bounds(
    n: usize,
    folds: usize,
    step: usize,
    horizon: usize,
    val: usize,
) -> Option<Vec<[usize; 4]>> {
    (0..folds)
        .map(|k| {
            let test_end = n.checked_sub((folds - 1 - k).checked_mul(step)?)?;
            let test_start = test_end.checked_sub(horizon)?;
            let train_end = test_start.checked_sub(val)?;
            Some([0, train_end, test_start, test_end])
        })
        .collect()
}

fn backtest_folds(
    dataset: &Dataset,
    w: &Windowing,
    k: usize,
    step: usize,
    refit: RefitArg,
) -> Result<Vec<Fold>> {
    let (l, h) = (w.lookback, w.horizon);
    let mut per_series = Vec::with_capacity(dataset.series.len()); // (S)(K)
    for s in &dataset.series {
        let n = s.values.len();
        let b = w.split.bounds(n);
        let val = (b[2] - b[1]).max(h);
        let bounds = fold_bounds(n, k, step, h, val).filter(|b| b[0][1] >= l + h).ok_or_else(|| {
            Error::data(format!(
                "series '{}' has {n} rows, but {k} folds {step} steps apart with lookback {l}, horizon {h} and a validation tail of {val} rows need at least {} rows; \
                 use fewer --folds, a smaller --step or a shorter --lookback",
                s.id,
                (k - 1) * step + h + val + l + h
            ))
        })?;
        per_series.push(bounds);
    }
    let series: Vec<(&str, &[f64])> = dataset
        .series
        .iter()
        .map(|s| (s.id.as_str(), s.values.as_slice()))
        .collect();
    let scalers_of = |fold: usize| -> Vec<Scaler> {
        series
            .iter()
            .zip(&per_series)
            .map(|((_, raw), b)| Scaler::fit(&raw[..b[fold][1]]))
            .collect()
    };
    let first_scalers = scalers_of(0);
    Ok((0..k)
        .map(|fold| {
            let bounds: Vec<[usize; 4]> = per_series.iter().map(|b| b[fold]).collect();
            let scalers = match refit {
                RefitArg::Every => scalers_of(fold),
                // the model of fold 0 sees every later fold through fold 0's scaling
                RefitArg::Once => first_scalers.clone(),
            };
            Fold {
                origins: bounds.iter().map(|b| b[2]).collect(),
                prepared: Prepared::from_parts(&series, bounds, scalers, l, h),
            }
        })
        .collect())
}

/// Run `xlstm compare`.
pub fn run(args: CompareArgs, out: Output) -> Result<()> {
    let split = Split::parse(&args.window.split)?;
    let settings = model_settings(&args.model_args, &args.neural)?;
    let size = plot_size(&args.plot)?;
    let mut kinds: Vec<ModelKind> = Vec::new();
    for k in args
        .models
        .as_deref()
        .map(|m| m.iter().map(|a| model_kind(*a)).collect::<Vec<_>>())
        .unwrap_or_else(|| ModelKind::ALL.to_vec())
    {
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    if kinds.is_empty() {
        return Err(Error::usage("--models needs at least one model"));
    }
    if args.folds == Some(0) {
        return Err(Error::usage("--folds must be at least 1"));
    }
    if args.step == Some(0) {
        return Err(Error::usage("--step must be at least 1"));
    }
    let (dataset, _) = load_for_modelling(&args.data, &args.data_args, out)?;
    let w = windowing(&dataset, &args.window, split, out)?;
    if w.season > w.lookback && kinds.contains(&ModelKind::SeasonalNaive) {
        out.note(&format!(
            "note: snaive left out: its season {} is longer than the lookback {}",
            w.season, w.lookback
        ));
        kinds.retain(|k| *k != ModelKind::SeasonalNaive);
        if kinds.is_empty() {
            return Err(Error::usage("no model left to compare; pass a longer --lookback"));
        }
    }
    let step = args.step.unwrap_or(w.horizon);
    let folds = match args.folds {
        Some(k) => backtest_folds(&dataset, &w, k, step, args.refit)?,
        None => {
            let prepared = prepare(&dataset, &w)?;
            require_test_and_note_validation(&prepared, &w, out)?;
            let origins = prepared.bounds.iter().map(|b| b[2]).collect();
            vec![Fold { prepared, origins }]
        }
    };
    let refit_every = args.folds.is_none() || args.refit == RefitArg::Every;
    // epoch lines only with -v: a leaderboard trains many models
    let inner = Output {
        quiet: out.quiet || !out.verbose,
        verbose: out.verbose,
    };
    let raw: Vec<&[f64]> = dataset.series.iter().map(|s| s.values.as_slice()).collect();
    let ids: Vec<&str> = dataset.series.iter().map(|s| s.id.as_str()).collect();
    let shown = match size {
        Some(_) => plotted_series(&ids, args.plot.series.as_deref())?,
        None => Vec::new(),
    };
    let last = folds.last().expect("at least one fold");
    let last_test = last.prepared.windows(Part::Test, 1);
    let mut entries = Vec::with_capacity(kinds.len());
    let mut last_models: Vec<(String, Model)> = Vec::new();
    for &kind in &kinds {
        let mut fold_metrics = Vec::with_capacity(folds.len());
        let mut step_sums = vec![0.0; w.horizon];
        let mut seconds = 0.0;
        let mut model: Option<Model> = None;
        for (i, fold) in folds.iter().enumerate() {
            if refit_every || model.is_none() {
                let trained = train(kind, &fold.prepared, &w, &settings, inner)?;
                seconds += trained.seconds;
                model = Some(trained.model);
            }
            let m = model.as_ref().expect("trained above");
            let test = fold.prepared.windows(Part::Test, 1);
            let scored = score_by_step(&fold.prepared, &raw, &test, w.season, |x| m.predict(x, w.horizon));
            for (sum, v) in step_sums.iter_mut().zip(&scored.mae_by_step) {
                *sum += v;
            }
            if folds.len() > 1 {
                out.detail(&format!(
                    "{} fold {}/{}: MAE {:.4}, MASE {:.4}",
                    kind.name(),
                    i + 1,
                    folds.len(),
                    scored.metrics.mae,
                    scored.metrics.mase
                ));
            }
            fold_metrics.push(scored.metrics);
        }
        let model = model.expect("at least one fold");
        let (mean, std) = mean_std(&fold_metrics);
        out.note(&format!(
            "{}: {} {:.4} ({:.1}s)",
            kind.name(),
            metric_name(args.metric),
            metric_value(&mean, args.metric),
            seconds
        ));
        entries.push(Entry {
            kind,
            mean,
            std,
            mae_by_step: step_sums.iter().map(|s| s / folds.len() as f64).collect(),
            train_seconds: seconds,
            parameters: model.weights().iter().map(|(_, v)| v.len()).sum(),
            folds: fold_metrics,
        });
        if size.is_some() {
            last_models.push((kind.name().to_string(), model));
        }
    }
    // rank: lower is better; NaN last
    let key = |e: &Entry| {
        let v = metric_value(&e.mean, args.metric);
        if v.is_nan() {
            f64::INFINITY
        } else {
            v
        }
    };
    entries.sort_by(|a, b| key(a).total_cmp(&key(b)));
    let backtest = args.folds.map(|k| (k, step, args.refit));
    out.note(&describe(&dataset, &w, &folds, backtest));
    out.note(leaderboard(&entries, args.metric, backtest.is_some()).trim_end());
    if backtest.is_some() {
        out.note(&format!(
            "{} of each fold (origin of the first series):",
            metric_name(args.metric)
        ));
        out.note(fold_table(&dataset, &folds, &entries, args.metric).trim_end());
    }
    if let Some(path) = &args.out {
        write_table(path, &leaderboard_table(&entries)?)?;
        out.note(&format!("wrote the leaderboard to {}", path.display()));
    }
    if let (Some(size), Some(path)) = (size, &args.plot.plot) {
        let models: Vec<(String, &Model)> = entries
            .iter()
            .filter_map(|e| {
                last_models
                    .iter()
                    .find(|(n, _)| n == e.kind.name())
                    .map(|(n, m)| (n.clone(), m))
            })
            .collect();
        let panels = shown
            .iter()
            .filter_map(|&s| last_window(&last_test, s))
            .map(|i| window_panel(&dataset, &last.prepared, &last_test, i, &models))
            .collect();
        let unit = dataset.targets.join(", ");
        let sections = [
            forecast_section(&dataset, panels),
            Section::HorizonErrors {
                value_label: format!("MAE ({unit})"),
                lines: entries
                    .iter()
                    .map(|e| (e.kind.name().to_string(), e.mae_by_step.clone()))
                    .collect(),
            },
        ];
        let title = match backtest {
            Some((k, _, _)) => format!(
                "{}: {} models, {k}-fold backtest, forecast from the last origin",
                figures::file_name(&args.data),
                entries.len()
            ),
            None => format!(
                "{}: {} models on the test part",
                figures::file_name(&args.data),
                entries.len()
            ),
        };
        plot::write(path, size, &title, &sections)?;
        out.note(&format!("wrote the plot to {}", path.display()));
    }
    if args.json {
        print_json(&to_json(&dataset, &w, &folds, &entries, args.metric, backtest))?;
    }
    Ok(())
}

fn describe(
    dataset: &Dataset,
    w: &Windowing,
    folds: &[Fold],
    backtest: Option<(usize, usize, RefitArg)>,
) -> String {
    let series = dataset.series.len();
    match backtest {
        None => format!(
            "leaderboard on {series} series (lookback {}, horizon {}), {} test windows:",
            w.lookback,
            w.horizon,
            folds[0].prepared.windows(Part::Test, 1).len()
        ),
        Some((k, step, refit)) => {
            let first = &dataset.series[0];
            let origin = |f: &Fold| format_timestamp(first.time[f.origins[0]], dataset.time_kind);
            format!(
                "leaderboard on {series} series (lookback {}, horizon {}): backtest of {k} origins {step} steps apart ({} to {}{}), refit {}; mean over folds:",
                w.lookback,
                w.horizon,
                origin(&folds[0]),
                origin(&folds[folds.len() - 1]),
                if series > 1 { format!(" in '{}'", first.id) } else { String::new() },
                match refit {
                    RefitArg::Every => "at every origin",
                    RefitArg::Once => "once",
                }
            )
        }
    }
}

/// The leaderboard as text, best first; with folds, the ranking metric's standard deviation over folds too.
pub fn leaderboard(entries: &[Entry], metric: MetricArg, with_folds: bool) -> String {
    let mut header: Vec<String> = ["model", "MAE", "RMSE", "sMAPE", "MASE", "MSE(std)"]
        .map(String::from)
        .to_vec();
    if with_folds {
        header.push(format!("±{}", metric_name(metric)));
    }
    header.extend(["train s".to_string(), "params".to_string()]);
    let mut cells = vec![header];
    for e in entries {
        let m = &e.mean;
        let mut row = vec![
            e.kind.name().to_string(),
            table::cell(m.mae),
            table::cell(m.rmse),
            table::cell(m.smape),
            table::cell(m.mase),
            table::cell(m.mse_std),
        ];
        if with_folds {
            row.push(table::cell(metric_value(&e.std, metric)));
        }
        row.extend([format!("{:.2}", e.train_seconds), e.parameters.to_string()]);
        cells.push(row);
    }
    table::render(&cells)
}

/// The ranking metric of every fold: one row per model, one column per origin.
fn fold_table(dataset: &Dataset, folds: &[Fold], entries: &[Entry], metric: MetricArg) -> String {
    let first = &dataset.series[0];
    let mut header = vec!["model".to_string()];
    header.extend(
        folds
            .iter()
            .map(|f| format_timestamp(first.time[f.origins[0]], dataset.time_kind)),
    );
    let mut cells = vec![header];
    for e in entries {
        let mut row = vec![e.kind.name().to_string()];
        row.extend(e.folds.iter().map(|m| table::cell(metric_value(m, metric))));
        cells.push(row);
    }
    table::render(&cells)
}

fn leaderboard_table(entries: &[Entry]) -> Result<Table> {
    let number = |f: &dyn Fn(&Entry) -> f64| Column::Number(entries.iter().map(|e| Some(f(e))).collect());
    let names = [
        "rank",
        "model",
        "mae",
        "rmse",
        "mape",
        "smape",
        "mase",
        "mse_std",
        "mae_std",
        "mae_sd",
        "mase_sd",
        "folds",
        "train_seconds",
        "parameters",
    ]
    .map(String::from)
    .to_vec();
    let columns = vec![
        Column::Number((1..=entries.len()).map(|r| Some(r as f64)).collect()),
        Column::Text(entries.iter().map(|e| Some(e.kind.name().to_string())).collect()),
        number(&|e| e.mean.mae),
        number(&|e| e.mean.rmse),
        number(&|e| e.mean.mape),
        number(&|e| e.mean.smape),
        number(&|e| e.mean.mase),
        number(&|e| e.mean.mse_std),
        number(&|e| e.mean.mae_std),
        number(&|e| e.std.mae),
        number(&|e| e.std.mase),
        number(&|e| e.folds.len() as f64),
        number(&|e| e.train_seconds),
        number(&|e| e.parameters as f64),
    ];
    Table::new(names, columns)
}

fn finite(x: f64) -> Value {
    if x.is_finite() {
        json!(x)
    } else {
        Value::Null
    }
}

fn metrics_json(m: &Metrics) -> serde_json::Map<String, Value> {
    let mut map = serde_json::Map::new();
    for (k, v) in [
        ("mae", m.mae),
        ("rmse", m.rmse),
        ("mape", m.mape),
        ("smape", m.smape),
        ("mase", m.mase),
        ("mse_std", m.mse_std),
        ("mae_std", m.mae_std),
    ] {
        map.insert(k.to_string(), finite(v));
    }
    map
}

fn to_json(
    dataset: &Dataset,
    w: &Windowing,
    folds: &[Fold],
    entries: &[Entry],
    metric: MetricArg,
    backtest: Option<(usize, usize, RefitArg)>,
) -> Value {
    let models: Vec<Value> = entries
        .iter()
        .enumerate()
        .map(|(rank, e)| {
            let mut o = serde_json::Map::new();
            o.insert("rank".into(), json!(rank + 1));
            o.insert("model".into(), json!(e.kind.name()));
            o.extend(metrics_json(&e.mean));
            o.insert("points".into(), json!(e.mean.points));
            o.insert("train_seconds".into(), json!(e.train_seconds));
            o.insert("parameters".into(), json!(e.parameters));
            o.insert(
                "mae_by_step".into(),
                json!(e.mae_by_step.iter().map(|v| finite(*v)).collect::<Vec<_>>()),
            );
            if backtest.is_some() {
                o.insert("std".into(), Value::Object(metrics_json(&e.std)));
                let list: Vec<Value> = e
                    .folds
                    .iter()
                    .zip(folds)
                    .enumerate()
                    .map(|(i, (m, f))| {
                        let mut fo = serde_json::Map::new();
                        fo.insert("fold".into(), json!(i + 1));
                        fo.insert(
                            "origin".into(),
                            json!(format_timestamp(
                                dataset.series[0].time[f.origins[0]],
                                dataset.time_kind
                            )),
                        );
                        fo.extend(metrics_json(m));
                        fo.insert("points".into(), json!(m.points));
                        Value::Object(fo)
                    })
                    .collect();
                o.insert("folds".into(), json!(list));
            }
            Value::Object(o)
        })
        .collect();
    let mut doc = json!({
        "metric": metric_name(metric),
        "lookback": w.lookback,
        "horizon": w.horizon,
        "season": w.season,
        "series": dataset.series.len(),
        "models": models,
    });
    if let Some((k, step, refit)) = backtest {
        doc["backtest"] = json!({
            "folds": k, "step": step,
            "refit": match refit { RefitArg::Every => "every", RefitArg::Once => "once" },
        });
    } else {
        doc["test_windows"] = json!(folds[0].prepared.windows(Part::Test, 1).len());
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_end_at_the_data_end_step_apart_with_an_expanding_window() {
        let b = fold_bounds(100, 3, 5, 4, 10).unwrap();
        assert_eq!(b, vec![[0, 76, 86, 90], [0, 81, 91, 95], [0, 86, 96, 100]]);
        assert!(fold_bounds(20, 3, 5, 4, 10).is_none());
    }

    #[test]
    fn fold_scaling_and_early_stopping_never_see_the_test_block() {
        use crate::data::{Frequency, Series, TimeKind};
        // a huge jump in the last rows: any scaler that saw them would be far from the training mean
        let mut values: Vec<f64> = (0..200).map(|i| (i as f64 * 0.3).sin()).collect();
        values[190..].iter_mut().for_each(|v| *v += 1e6);
        let dataset = Dataset {
            series: vec![Series {
                id: "y".into(),
                time: (0..200).collect(),
                values: values.clone(),
            }],
            time_kind: TimeKind::RowNumber,
            frequency: Frequency::Rows,
            calendar: None,
            time_format: Default::default(),
            time_column: None,
            targets: vec!["y".into()],
            id_column: None,
        };
        let w = Windowing {
            lookback: 20,
            horizon: 10,
            season: 1,
            split: Split::Fractions(0.7, 0.1, 0.2),
            stride: 1,
        };
        for refit in [RefitArg::Every, RefitArg::Once] {
            let folds = backtest_folds(&dataset, &w, 3, 5, refit).unwrap();
            for (k, fold) in folds.iter().enumerate() {
                let b = fold.prepared.bounds[0];
                assert_eq!(b[3], 200 - (2 - k) * 5);
                assert_eq!(b[2], b[3] - 10);
                assert_eq!(fold.origins[0], b[2]);
                let scaled_on = if refit == RefitArg::Every {
                    b[1]
                } else {
                    folds[0].prepared.bounds[0][1]
                };
                assert_eq!(fold.prepared.scalers[0], Scaler::fit(&values[..scaled_on]));
                assert!(fold.prepared.scalers[0].mean.abs() < 1.0);
                // training and validation targets end before the test block
                let val = fold.prepared.windows(Part::Validation, 1);
                let (_, last) = *val.starts.last().unwrap();
                assert!(last + 20 + 10 <= b[2]);
                assert_eq!(fold.prepared.windows(Part::Test, 1).len(), 1);
            }
        }
    }

    #[test]
    fn mean_and_std_over_folds() {
        let m = |mae: f64| Metrics {
            mae,
            rmse: mae,
            mape: mae,
            smape: mae,
            mase: mae,
            mse_std: mae,
            mae_std: mae,
            points: 2,
        };
        let (mean, std) = mean_std(&[m(1.0), m(3.0)]);
        assert_eq!(mean.mae, 2.0);
        assert_eq!(std.mase, 1.0);
        assert_eq!(mean.points, 4);
    }
}
