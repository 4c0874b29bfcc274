//! End-to-end tests of `xlstm compare` (leaderboard, backtest) and of the `--plot` figures.

mod common;

use std::path::Path;

use common::{repo, stderr, xlstm};

use serde_json::Value;

/// Tiny neural settings so every model trains in about a second.
const TINY: [&str; 12] = [
    "--target",
    "load_mw",
    "--hidden",
    "8",
    "--heads",
    "2",
    "--epochs",
    "2",
    "--lookback",
    "48",
    "--stride",
    "4",
];

fn compare(extra: &[&str]) -> Value {
    let data = repo("datasets/load_hourly.csv");
    let mut args = vec!["compare", data.as_str()];
    args.extend(TINY);
    args.extend(extra);
    args.push("--json");
    let o = xlstm(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("JSON on stdout")
}

fn models(doc: &Value) -> &Vec<Value> {
    doc["models"].as_array().expect("a models array")
}

#[test]
fn every_default_model_appears_with_finite_metrics_ranked_by_mase() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("board.csv");
    let doc = compare(&["--out", csv.to_str().unwrap()]);
    let rows = models(&doc);
    let mut names: Vec<&str> = rows.iter().map(|r| r["model"].as_str().unwrap()).collect();
    names.sort();
    let mut expected = vec![
        "xlstm", "slstm", "mlstm", "lstm", "linear", "nlinear", "dlinear", "naive", "snaive",
    ];
    expected.sort();
    assert_eq!(names, expected);
    for r in rows {
        for key in ["mae", "rmse", "smape", "mase", "mse_std", "train_seconds"] {
            let v = r[key].as_f64().unwrap_or(f64::NAN);
            assert!(v.is_finite(), "{} {key} = {}", r["model"], r[key]);
        }
        let naive = matches!(r["model"].as_str(), Some("naive" | "snaive"));
        assert_eq!(r["parameters"].as_u64().unwrap() == 0, naive, "{}", r["model"]);
        assert_eq!(r["mae_by_step"].as_array().unwrap().len(), 24);
    }
    let mase: Vec<f64> = rows.iter().map(|r| r["mase"].as_f64().unwrap()).collect();
    assert!(mase.windows(2).all(|w| w[0] <= w[1]), "not ranked: {mase:?}");
    let table = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(table.lines().count(), 10, "{table}");
    assert!(table.starts_with("rank,model,mae,rmse"), "{table}");
}

/// A hand-made series scored independently: naive forecasts over every test window.
#[test]
fn metrics_agree_with_an_independent_computation() {
    let y: Vec<f64> = (0..40)
        .map(|i| 10.0 + (i % 4) as f64 * 2.0 + (i as f64) * 0.25 + if i % 7 == 0 { 3.0 } else { 0.0 })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.csv");
    let mut text = String::from("y\n");
    for v in &y {
        text.push_str(&format!("{v}\n"));
    }
    std::fs::write(&path, text).unwrap();
    let o = xlstm(&[
        "compare",
        path.to_str().unwrap(),
        "--models",
        "naive,snaive",
        "--split",
        "20,5,10",
        "--lookback",
        "4",
        "--horizon",
        "2",
        "--season",
        "2",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    // independent computation: test targets lie in rows [25, 35); a window with targets
    // starting at row s forecasts rows s, s+1
    let train = &y[..20];
    let mean = train.iter().sum::<f64>() / 20.0;
    let std = (train.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 20.0).sqrt();
    // M4's MASE: the in-sample seasonal-naive error of everything before the window's origin s
    let scale = |s: usize| (2..s).map(|t| (y[t] - y[t - 2]).abs()).sum::<f64>() / (s - 2) as f64;
    for (model, forecast) in [
        (
            "naive",
            Box::new(|s: usize, _h: usize| y[s - 1]) as Box<dyn Fn(usize, usize) -> f64>,
        ),
        ("snaive", Box::new(|s: usize, h: usize| y[s - 2 + h % 2])),
    ] {
        let (mut abs, mut sq, mut smape, mut scaled, mut n) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for s in 25..=33 {
            for h in 0..2 {
                let (a, p) = (y[s + h], forecast(s, h));
                abs += (a - p).abs();
                scaled += (a - p).abs() / scale(s);
                sq += (a - p).powi(2);
                smape += 200.0 * (a - p).abs() / (a.abs() + p.abs());
                n += 1.0;
            }
        }
        let row = models(&doc).iter().find(|r| r["model"] == model).unwrap();
        let close = |key: &str, want: f64| {
            let got = row[key].as_f64().unwrap();
            assert!(
                (got - want).abs() < 1e-9 * want.abs().max(1.0),
                "{model} {key}: {got} vs {want}"
            );
        };
        close("mae", abs / n);
        close("rmse", (sq / n).sqrt());
        close("smape", smape / n);
        close("mase", scaled / n);
        close("mse_std", sq / n / (std * std));
    }
    assert_eq!(doc["test_windows"], 9);
}

#[test]
fn a_backtest_with_k_folds_reports_k_entries_per_model() {
    for refit in ["every", "once"] {
        let doc = compare(&[
            "--models",
            "lstm,nlinear,naive,snaive",
            "--folds",
            "3",
            "--step",
            "12",
            "--refit",
            refit,
        ]);
        assert_eq!(doc["backtest"]["folds"], 3);
        assert_eq!(models(&doc).len(), 4);
        for r in models(&doc) {
            let folds = r["folds"].as_array().unwrap();
            assert_eq!(folds.len(), 3, "{}", r["model"]);
            let origins: Vec<&str> = folds.iter().map(|f| f["origin"].as_str().unwrap()).collect();
            // origins 12 hours apart, the last one H = 24 rows before the end (2024-04-29 23:00)
            assert_eq!(origins[2], "2024-04-29 00:00:00");
            assert_eq!(origins[1], "2024-04-28 12:00:00");
            assert_eq!(origins[0], "2024-04-28 00:00:00");
            let maes: Vec<f64> = folds.iter().map(|f| f["mae"].as_f64().unwrap()).collect();
            let mean = maes.iter().sum::<f64>() / 3.0;
            assert!((r["mae"].as_f64().unwrap() - mean).abs() < 1e-9, "{}", r["model"]);
            assert!(r["std"]["mae"].as_f64().unwrap().is_finite());
            assert_eq!(folds[0]["points"], 24);
        }
    }
}

/// `--predictions` writes every forecast scored, one row per series, fold and step, in the data's
/// units: the naive forecast is the value at the cutoff, the time is the cutoff plus the step,
/// and the file's errors are the leaderboard's. An existing file needs `--force`.
#[test]
fn predictions_hold_every_forecast_scored_with_its_cutoff_and_actual_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("forecasts.csv");
    let file = path.to_str().unwrap();
    let backtest = ["--models", "snaive,naive", "--folds", "2", "--step", "12"];
    let doc = compare(&[&backtest[..], &["--predictions", file]].concat());
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    // models best first, as the leaderboard ranks them
    let ranked: Vec<&str> = models(&doc)
        .iter()
        .map(|r| r["model"].as_str().unwrap())
        .collect();
    assert_eq!(
        header,
        format!("series,cutoff,timestamp,step,actual,{}", ranked.join(","))
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 2 * 24, "two folds of 24 steps");
    let load: Vec<Vec<String>> = std::fs::read_to_string(repo("datasets/load_hourly.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    let row_of = |time: &str| {
        load.iter()
            .position(|r| r[0] == time)
            .expect("a time of the data")
    };
    let naive = 5 + ranked.iter().position(|m| *m == "naive").unwrap();
    for (k, row) in rows.iter().enumerate() {
        assert_eq!(row[0], "load_mw");
        // the origins are 12 hours apart, the last 24 rows before the end (2024-04-29 23:00)
        let cutoff = if k < 24 {
            "2024-04-28 11:00:00"
        } else {
            "2024-04-28 23:00:00"
        };
        assert_eq!(row[1], cutoff);
        let (cutoff, time) = (row_of(row[1]), row_of(row[2]));
        let step: usize = row[3].parse().unwrap();
        assert_eq!((time, step), (cutoff + (k % 24) + 1, k % 24 + 1));
        let value = |r: usize| load[r][1].parse::<f64>().unwrap();
        assert_eq!(row[4].parse::<f64>().unwrap(), value(time));
        // the naive forecast, through the scaling and back (a rounding error apart)
        let forecast = row[naive].parse::<f64>().unwrap();
        assert!(
            (forecast - value(cutoff)).abs() < 1e-9 * value(cutoff),
            "{forecast}"
        );
    }
    // each model's MAE over the file is the leaderboard's (the mean over the two folds)
    for (m, r) in models(&doc).iter().enumerate() {
        let mae = rows
            .iter()
            .map(|row| (row[4].parse::<f64>().unwrap() - row[5 + m].parse::<f64>().unwrap()).abs())
            .sum::<f64>()
            / rows.len() as f64;
        let want = r["mae"].as_f64().unwrap();
        assert!(
            (mae - want).abs() < 1e-9 * want,
            "{}: {mae} vs {want}",
            r["model"]
        );
    }
    // an existing file is kept without --force, and replaced with it
    let data = repo("datasets/load_hourly.csv");
    let again = [
        &["compare", data.as_str()][..],
        &TINY,
        &backtest,
        &["--predictions", file],
    ]
    .concat();
    let o = xlstm(&again);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    std::fs::write(&path, "old").unwrap();
    let o = xlstm(&[&again[..], &["--force"]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    // a data column named like one of the file's stops the command before any training
    let clash = dir.path().join("clash.csv");
    let rows: String = (0..60)
        .map(|d| format!("2024-01-{:02} {:02}:00:00,{d}\n", d / 24 + 1, d % 24))
        .collect();
    std::fs::write(&clash, format!("cutoff,y\n{rows}")).unwrap();
    let other = dir.path().join("other.csv");
    let o = xlstm(&[
        "compare",
        clash.to_str().unwrap(),
        "--predictions",
        other.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("'cutoff'"), "{}", stderr(&o));
    assert!(!other.exists());
    // so does a file name whose format cannot be told, for --predictions and --out alike
    for flag in ["--predictions", "--out"] {
        let unknown = dir.path().join("forecasts.xlsx");
        let mut args = vec!["compare", data.as_str(), flag, unknown.to_str().unwrap()];
        args.extend(TINY);
        let o = xlstm(&args);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("cannot tell the output format"),
            "{}",
            stderr(&o)
        );
        // before any model trained: no model's score was printed
        assert!(!stderr(&o).contains(": mase "), "{}", stderr(&o));
    }
}

/// `--score-refit` scores the models trained again on the validation rows too, as `fit` saves
/// them: with folds or on the split's test part, the plot included; `--refit once` refuses it.
#[test]
fn a_backtest_can_score_the_models_refitted_before_each_origin() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("refit.svg");
    let folds = ["--models", "lstm,nlinear", "--folds", "2"];
    let fitted = compare(&folds);
    let mut flags = folds.to_vec();
    flags.extend(["--score-refit", "--plot", svg.to_str().unwrap()]);
    let refitted = compare(&flags);
    assert_eq!(
        (&fitted["score_refit"], &refitted["score_refit"]),
        (&Value::Bool(false), &Value::Bool(true))
    );
    assert!(svg.exists());
    for (a, b) in models(&fitted).iter().zip(models(&refitted)) {
        let mae = |r: &Value| {
            r["folds"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["mae"].as_f64().unwrap())
                .collect::<Vec<_>>()
        };
        assert!(mae(b).iter().all(|v| v.is_finite()), "{}", b["model"]);
        // the same test blocks, other models
        assert_ne!(mae(a), mae(b), "{}", a["model"]);
    }
    let data = repo("datasets/load_hourly.csv");
    let mut args = vec!["compare", data.as_str()];
    args.extend(TINY);
    args.extend(["--models", "nlinear", "--score-refit"]);
    let o = xlstm(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("each model scored as refitted on every row before the origin"),
        "{}",
        stderr(&o)
    );
    args.extend(["--folds", "2", "--refit", "once"]);
    let o = xlstm(&args);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--score-refit"), "{}", stderr(&o));
}

/// Width and height from a PNG's IHDR chunk, after checking the signature.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

#[test]
fn plots_are_valid_png_and_svg_of_the_requested_size_with_the_title() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("compare.png");
    compare(&[
        "--models",
        "nlinear,naive,snaive",
        "--plot",
        png.to_str().unwrap(),
        "--plot-size",
        "800x600",
    ]);
    assert_eq!(png_size(&std::fs::read(&png).unwrap()), (800, 600));
    let svg = dir.path().join("compare.svg");
    compare(&[
        "--models",
        "nlinear,naive",
        "--folds",
        "2",
        "--plot",
        svg.to_str().unwrap(),
        "--plot-size",
        "640x480",
    ]);
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains("<svg") && text.contains("width=\"640\"") && text.contains("height=\"480\""));
    assert!(
        text.contains("load_hourly.csv: 2 models, 2-fold backtest"),
        "title missing"
    );
    assert!(text.contains("error by horizon step") && text.contains("nlinear"));
    // fit: forecast and loss per epoch; forecast: the steps after the data
    let model = dir.path().join("m.xlstm");
    let fit_png = dir.path().join("fit.png");
    let data = repo("datasets/load_hourly.csv");
    let mut args = vec!["fit", data.as_str()];
    args.extend(TINY);
    args.extend([
        "--model",
        "mlstm",
        "--out",
        model.to_str().unwrap(),
        "--plot",
        fit_png.to_str().unwrap(),
    ]);
    let o = xlstm(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(png_size(&std::fs::read(&fit_png).unwrap()), (1200, 800));
    let fc_svg = dir.path().join("forecast.svg");
    let o = xlstm(&[
        "forecast",
        "-m",
        model.to_str().unwrap(),
        "--plot",
        fc_svg.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&fc_svg).unwrap();
    assert!(text.contains("mlstm forecast, 24 steps ahead"));
    assert!(text.contains("2024-04-30"), "future timestamps on the axis");
    // nothing but the figures, the model and the board: no temporary files left behind
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["compare.png", "compare.svg", "fit.png", "forecast.svg", "m.xlstm"]
    );
}

#[test]
fn a_panel_plots_a_grid_or_one_series_and_bad_plot_flags_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let data = repo("datasets/retail_daily_panel.csv");
    let png = dir.path().join("panel.svg");
    let o = xlstm(&[
        "compare",
        &data,
        "--id-col",
        "unique_id",
        "--models",
        "nlinear,snaive",
        "--plot",
        png.to_str().unwrap(),
        "--series",
        "store_03",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&png).unwrap();
    assert!(text.contains("store_03") && !text.contains("store_01"));
    for bad in [
        vec!["--plot", "x.jpg"],
        vec!["--plot", "x.png", "--plot-size", "big"],
        vec!["--plot", "x.png", "--series", "nope"],
        vec!["--folds", "0"],
    ] {
        let mut args = vec![
            "compare",
            data.as_str(),
            "--id-col",
            "unique_id",
            "--models",
            "naive",
        ];
        args.extend(bad.iter().copied());
        let o = xlstm(&args);
        assert_eq!(o.status.code(), Some(2), "{bad:?}: {}", stderr(&o));
    }
    assert!(!Path::new("x.png").exists());
}
