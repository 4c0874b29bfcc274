//! `xlstm eval`: the public LTSF protocol (`../shared/docs/benchmarks.md` §1): train-only
//! standardisation, stride-1 windows, MSE and MAE over every test window, step and series on
//! standardised values; optionally PatchTST's drop-last test loader; every forecast to a file.

use serde::Serialize;

use crate::cli::EvalArgs;
use crate::commands::progress::Terminal;
use crate::commands::setup::{load_for_modelling, model_config, window_request};
use crate::commands::{print_json, Output};
use crate::data::io::write_table;
use crate::data::table::{Column, Table};
use crate::data::window::SplitPart;
use crate::error::Result;
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
}

/// Run `xlstm eval`.
pub fn run(args: EvalArgs, out: Output) -> Result<()> {
    let kind = args.model;
    let mut config = model_config(kind, &args.model_args, &args.neural)?;
    // the protocol's linear models are plain least squares unless a penalty is given
    if let Some(linear) = config.linear_mut() {
        linear.alpha = Some(linear.alpha.unwrap_or(0.0));
    }
    if let Some(path) = &args.predictions {
        crate::data::io::ensure_replaceable(path, args.force, "--predictions")?;
    }
    let mut progress = Terminal::new(out);
    let (dataset, _) = load_for_modelling(&args.data, &args.data_args, out)?;
    let windowing = Windowing::settle(&dataset, &window_request(&args.window), &mut progress)?;
    let experiment = Experiment::new(&dataset, windowing)?;
    let w = &experiment.windowing;
    let fitted = experiment.fit(&experiment.forecaster(config)?, &mut progress)?;
    let mut rows = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let keep_predictions = args.predictions.is_some();
    let scored =
        experiment.score_standardised(&fitted, args.score, args.drop_last, |i, actual, predicted| {
            if keep_predictions {
                for (step, (y, p)) in actual.iter().zip(predicted).enumerate() {
                    rows.0.push(i as f64);
                    rows.1.push(step as f64);
                    rows.2.push(*y);
                    rows.3.push(*p);
                }
            }
        })?;
    let (mse, mae, count) = (scored.mse, scored.mae, scored.points);
    if let Some(path) = &args.predictions {
        let some = |v: Vec<f64>| Column::Number(v.into_iter().map(Some).collect());
        let names = ["window", "step", "actual", "predicted"]
            .map(String::from)
            .to_vec();
        let table = Table::new(
            names,
            vec![some(rows.0), some(rows.1), some(rows.2), some(rows.3)],
        )?;
        write_table(path, &table)?;
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
        "{}: lookback {}, horizon {}, {} {part} windows ({mode}); standardised MSE {:.4}, MAE {:.4}",
        kind.name(),
        w.lookback,
        w.horizon,
        scored.windows,
        mse,
        mae
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
        })?;
    }
    Ok(())
}
