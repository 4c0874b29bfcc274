//! `xlstm eval`: the public LTSF protocol (`../shared/docs/benchmarks.md` §1): train-only
//! standardisation, stride-1 windows, MSE and MAE over every test window, step and series on
//! standardised values; optionally PatchTST's drop-last test loader; every forecast to a file.

use serde_json::json;

use crate::cli::EvalArgs;
use crate::commands::fit::train;
use crate::commands::setup::{load_for_modelling, model_kind, model_settings, prepare, windowing};
use crate::commands::{print_json, Output};
use crate::data::io::write_table;
use crate::data::table::{Column, Table};
use crate::data::window::{Part, Split};
use crate::error::{Error, Result};
use crate::evaluate::for_each_forecast;
use crate::metrics::Accumulator;

/// Run `xlstm eval`.
pub fn run(args: EvalArgs, out: Output) -> Result<()> {
    let kind = model_kind(args.model);
    let split = Split::parse(&args.window.split)?;
    let mut settings = model_settings(&args.model_args, &args.neural)?;
    if let Some(path) = &args.predictions {
        crate::data::io::ensure_replaceable(path, args.force, "--predictions")?;
    }
    let (dataset, _) = load_for_modelling(&args.data, &args.data_args, out)?;
    let w = windowing(&dataset, &args.window, split, out)?;
    let prepared = prepare(&dataset, &w)?;
    settings.alpha = Some(settings.alpha.unwrap_or(0.0));
    let trained = train(kind, &prepared, &w, &settings, out)?;
    let mut test = prepared.windows(Part::Test, 1);
    if let Some(batch) = args.drop_last {
        if batch == 0 {
            return Err(Error::usage("--drop-last needs a batch size of at least 1"));
        }
        let keep = test.len() / batch * batch;
        test.starts.truncate(keep);
    }
    if test.is_empty() {
        return Err(Error::data(
            "the test part holds no complete window; use a shorter --horizon or a larger test split",
        ));
    }
    // scored on standardised values: the accumulator's "data units" are the scaled values here
    let mut errors = Accumulator::default();
    let mut rows = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let keep_predictions = args.predictions.is_some();
    for_each_forecast(
        &test,
        |x| trained.model.predict(x, w.horizon),
        |i, predicted| {
            errors.add(test.target(i), predicted, None, 1.0);
            for (step, (p, y)) in predicted.iter().zip(test.target(i)).enumerate() {
                if keep_predictions {
                    rows.0.push(i as f64);
                    rows.1.push(step as f64);
                    rows.2.push(*y);
                    rows.3.push(*p);
                }
            }
        },
    );
    let scored = errors.finish();
    let (mse, mae, count) = (scored.mse_std, scored.mae_std, scored.points);
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
    let mode = match args.drop_last {
        Some(b) => format!("test windows truncated to a multiple of {b} (drop_last)"),
        None => "all test windows".to_string(),
    };
    out.note(&format!(
        "{}: lookback {}, horizon {}, {} test windows ({mode}); standardised MSE {:.4}, MAE {:.4}",
        kind.name(),
        w.lookback,
        w.horizon,
        test.len(),
        mse,
        mae
    ));
    if args.json {
        print_json(&json!({
            "model": kind.name(),
            "lookback": w.lookback,
            "horizon": w.horizon,
            "test_windows": test.len(),
            "drop_last": args.drop_last,
            "mse": mse,
            "mae": mae,
            "train_seconds": trained.seconds,
        }))?;
    }
    Ok(())
}
