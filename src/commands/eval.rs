//! `xlstm eval`: the public LTSF protocol (`../shared/docs/benchmarks.md` §1): train-only
//! standardisation, stride-1 windows, MSE and MAE over every test window, step and series on
//! standardised values; optionally PatchTST's drop-last test loader; every forecast to a file.

use serde::Serialize;

use crate::cli::EvalArgs;
use crate::commands::progress::Terminal;
use crate::commands::setup::{levels, load_for_modelling, model_config, window_request};
use crate::commands::{bound_names, print_json, Output};
use crate::data::io::write_table;
use crate::data::table::{Column, Table};
use crate::data::window::SplitPart;
use crate::error::Result;
use crate::metrics::{level_name, IntervalMetrics};
use crate::pipeline::{Experiment, Windowing};

/// The `--json` document.
#[derive(Serialize)]
struct EvalOutput<'a> {
    model: &'a str,
    lookback: usize,
    horizon: usize,
    test_windows: usize,
    drop_last: Option<usize>,
    mse: f64,
    mae: f64,
    train_seconds: f64,
    #[serde(flatten)]
    intervals: IntervalMetrics,
}

/// Run `xlstm eval`.
pub fn run(args: EvalArgs, out: Output) -> Result<()> {
    let kind = args.model;
    let levels = levels(&args.intervals, &args.neural)?;
    let mut config = model_config(kind, &args.model_args, &args.neural, &levels)?;
    // the protocol's linear models are plain least squares unless a penalty is given
    if let Some(linear) = config.linear_mut() {
        linear.alpha = Some(linear.alpha.unwrap_or(0.0));
    }
    let mut progress = Terminal::new(out);
    let (dataset, _) = load_for_modelling(&args.data, &args.data_args, out)?;
    if let Some(path) = &args.predictions {
        crate::data::io::ensure_replaceable(path, args.force, "--predictions")?;
    }
    let windowing = Windowing::settle(
        &dataset,
        &window_request(&args.window, !levels.is_empty()),
        &mut progress,
    )?;
    let experiment = Experiment::new(&dataset, windowing)?;
    let w = &experiment.windowing;
    let mut fitted = experiment.fit(&experiment.forecaster(config)?, &mut progress)?;
    experiment.calibrate(&mut fitted, &levels)?;
    // window, step, actual, predicted, then lower and upper bounds per level
    let mut rows: Vec<Vec<f64>> = vec![Vec::new(); 4 + 2 * levels.len()];
    let keep_predictions = args.predictions.is_some();
    let scored = experiment.score_standardised(
        &fitted,
        args.score,
        args.drop_last,
        |i, actual, predicted, bands| {
            if keep_predictions {
                for (step, (y, p)) in actual.iter().zip(predicted).enumerate() {
                    let bounds = bands
                        .iter()
                        .flat_map(|(_, lower, upper)| [lower[step], upper[step]]);
                    for (column, value) in rows
                        .iter_mut()
                        .zip([i as f64, step as f64, *y, *p].into_iter().chain(bounds))
                    {
                        column.push(value);
                    }
                }
            }
        },
    )?;
    let (mse, mae, count) = (scored.mse, scored.mae, scored.points);
    if let Some(path) = &args.predictions {
        let mut names: Vec<String> = ["window", "step", "actual", "predicted"]
            .map(String::from)
            .to_vec();
        names.extend(bound_names(&levels));
        let columns = rows
            .into_iter()
            .map(|v| Column::Number(v.into_iter().map(Some).collect()))
            .collect();
        write_table(path, &Table::new(names, columns)?)?;
        out.note(&format!(
            "wrote {count} standardised forecasts to {}",
            path.display()
        ));
    }
    let part = if args.score == SplitPart::Test {
        "test"
    } else {
        "validation"
    };
    let mode = match args.drop_last {
        Some(b) => format!("{part} windows truncated to a multiple of {b} (drop_last)"),
        None => format!("all {part} windows"),
    };
    out.note(&format!(
        "{}: lookback {}, horizon {}, {} {part} windows ({mode}); standardised MSE {:.4}, MAE {:.4}{}",
        kind.name(),
        w.lookback,
        w.horizon,
        scored.windows,
        mse,
        mae,
        describe_intervals(&scored.intervals, args.score)
    ));
    if args.json {
        print_json(&EvalOutput {
            model: kind.name(),
            lookback: w.lookback,
            horizon: w.horizon,
            test_windows: scored.windows,
            drop_last: args.drop_last,
            mse,
            mae,
            train_seconds: fitted.report().seconds,
            intervals: scored.intervals,
        })?;
    }
    Ok(())
}

/// The interval scores for the summary line: `; coverage 80 % 79.1, 95 % 94.0; MSIS ...`.
fn describe_intervals(m: &IntervalMetrics, part: SplitPart) -> String {
    if m.levels.is_empty() {
        return String::new();
    }
    let coverage: Vec<String> = m
        .levels
        .iter()
        .map(|l| format!("{} % {:.1}", level_name(l.level), l.coverage))
        .collect();
    let msis: Vec<String> = m
        .levels
        .iter()
        .map(|l| format!("{} % {:.3}", level_name(l.level), l.msis))
        .collect();
    // the intervals are calibrated on the validation windows: scoring them there is in-sample
    let caveat = match part {
        SplitPart::Validation => " (in-sample: the intervals are calibrated on these windows)",
        _ => "",
    };
    format!(
        "; interval coverage {}; MSIS {}; CRPS {:.4}{caveat}",
        coverage.join(", "),
        msis.join(", "),
        m.crps
    )
}
