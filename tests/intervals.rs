//! End-to-end tests of prediction intervals: `--level` on fit, forecast, compare and eval, the
//! bound columns in every output format, `--loss quantile`, and the errors.

mod common;

use common::{load_hourly, stderr, stdout, temp, xlstm};

/// `forecast -m model` writes 80 and 95 % bounds that do not cross and hold the forecast.
fn assert_nested_80_95(model: &str) {
    let (header, rows) = forecast_rows(&["-m", model]);
    assert_eq!(header, "timestamp,forecast,lo-80,hi-80,lo-95,hi-95");
    for r in &rows {
        assert!(
            r[3] <= r[1] && r[1] <= r[0] && r[0] <= r[2] && r[2] <= r[4],
            "{r:?}"
        );
    }
}

/// `fit --level` with `extra` flags into `model`: the `--json` document.
fn fit(model: &str, extra: &[&str]) -> serde_json::Value {
    let data = load_hourly();
    let args = [
        &["fit", &data, "--target", "load_mw", "-q", "-o", model, "--json"],
        extra,
    ]
    .concat();
    let o = xlstm(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("JSON")
}

/// The rows of a forecast CSV as numbers after the timestamp, with its header.
fn forecast_rows(args: &[&str]) -> (String, Vec<Vec<f64>>) {
    let o = xlstm(&[&["forecast"], args].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let mut lines = text.lines();
    let header = lines.next().unwrap().to_string();
    let rows = lines
        .map(|l| l.split(',').skip(1).map(|v| v.parse().unwrap()).collect())
        .collect();
    (header, rows)
}

#[test]
fn fit_scores_and_saves_intervals_and_forecast_writes_their_bounds_in_every_format() {
    let dir = temp();
    let model = dir.path().join("m.xlstm").display().to_string();
    let doc = fit(&model, &["-m", "nlinear", "--level", "95,80"]);
    for row in doc["test"].as_array().unwrap() {
        let m = &row["metrics"];
        for key in ["coverage_80", "msis_80", "coverage_95", "msis_95", "crps"] {
            assert!(m[key].as_f64().unwrap().is_finite(), "{key} of {}", row["model"]);
        }
        assert!(m["coverage_80"].as_f64() < m["coverage_95"].as_f64());
    }
    let (header, rows) = forecast_rows(&["-m", &model, "-H", "6"]);
    assert_eq!(header, "timestamp,forecast,lo-80,hi-80,lo-95,hi-95");
    assert_eq!(rows.len(), 6);
    for r in &rows {
        let [point, lo80, hi80, lo95, hi95] = r[..] else {
            panic!("{r:?}")
        };
        assert!(
            lo95 < lo80 && lo80 < point && point < hi80 && hi80 < hi95,
            "{r:?}"
        );
    }
    let (header, _) = forecast_rows(&["-m", &model, "-H", "2", "--level", "95"]);
    assert_eq!(header, "timestamp,forecast,lo-95,hi-95");
    let (header, _) = forecast_rows(&["-m", &model, "-H", "2", "--level", "none"]);
    assert_eq!(header, "timestamp,forecast");
    for ext in ["json", "parquet", "csv"] {
        let out = dir.path().join(format!("f.{ext}")).display().to_string();
        let o = xlstm(&["forecast", "-m", &model, "-o", &out]);
        assert!(o.status.success(), "{}", stderr(&o));
        let bytes = std::fs::read(&out).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("hi-95"), "{ext} has the bound columns");
    }
    let o = xlstm(&["forecast", "-m", &model, "--level", "90"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("calibrated at 80, 95 %"), "{}", stderr(&o));
}

#[test]
fn a_model_without_intervals_says_how_to_get_them() {
    let dir = temp();
    let model = dir.path().join("m.xlstm").display().to_string();
    let doc = fit(&model, &["-m", "naive"]);
    assert!(doc["test"][0]["metrics"].get("coverage_80").is_none());
    let (header, _) = forecast_rows(&["-m", &model]);
    assert_eq!(header, "timestamp,forecast");
    let o = xlstm(&["forecast", "-m", &model, "--level", "80"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("fit it with --level"), "{}", stderr(&o));
    let data = load_hourly();
    let o = xlstm(&[
        "fit",
        &data,
        "--target",
        "load_mw",
        "-m",
        "naive",
        "--split",
        "0.8,0,0.2",
        "--level",
        "80",
        "-o",
        &model,
        "--force",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("validation windows"), "{}", stderr(&o));
}

/// `compare --json` reports each model's coverage and MSIS per level (what benches/m4.sh reads),
/// also over backtest folds.
#[test]
fn compare_reports_coverage_and_msis_of_every_model() {
    let data = load_hourly();
    for folds in [None, Some("2")] {
        let mut args = vec![
            "compare",
            &data,
            "--target",
            "load_mw",
            "--models",
            "nlinear,snaive",
            "--level",
            "95",
            "--json",
            "-q",
        ];
        if let Some(k) = folds {
            args.extend(["--folds", k]);
        }
        let o = xlstm(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        for row in doc["models"].as_array().unwrap() {
            for key in ["coverage_95", "msis_95", "crps"] {
                assert!(
                    row[key].as_f64().unwrap().is_finite(),
                    "{key} of {}",
                    row["model"]
                );
            }
            if folds.is_some() {
                assert!(row["folds"][1]["msis_95"].as_f64().is_some());
                assert!(row["std"]["msis_95"].as_f64().is_some());
            }
        }
    }
}

#[test]
fn eval_scores_intervals_and_writes_their_bounds() {
    let dir = temp();
    let predictions = dir.path().join("p.csv").display().to_string();
    let data = load_hourly();
    let o = xlstm(&[
        "eval",
        &data,
        "--target",
        "load_mw",
        "-m",
        "nlinear",
        "--level",
        "80",
        "--predictions",
        &predictions,
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let coverage = doc["coverage_80"].as_f64().unwrap();
    assert!(coverage > 50.0 && coverage < 100.0, "{coverage}");
    assert!(stderr(&o).contains("interval coverage 80 %"), "{}", stderr(&o));
    let text = std::fs::read_to_string(&predictions).unwrap();
    assert!(
        text.starts_with("window,step,actual,predicted,lo-80,hi-80\n"),
        "{}",
        &text[..80]
    );
}

/// `--loss quantile` learns the quantiles of 80 and 95 % intervals (the default levels) and
/// forecasts them without crossing.
#[test]
fn a_quantile_loss_learns_its_own_intervals() {
    let dir = temp();
    let model = dir.path().join("q.xlstm").display().to_string();
    let doc = fit(
        &model,
        &[
            "-m", "lstm", "--loss", "quantile", "--epochs", "2", "--hidden", "8", "--base", "none",
        ],
    );
    assert!(doc["test"][0]["metrics"]["coverage_95"].as_f64().is_some());
    let file = std::fs::read_to_string(&model).unwrap();
    assert!(
        file.contains("\"method\":\"quantile\""),
        "the file keeps the method"
    );
    assert_nested_80_95(&model);
}

/// With `--level` and no `--loss`, a neural model learns the quantiles (the default interval
/// method of neural models, docs/intervals.md; `--base none`, as a network that `--base auto`
/// replaces by NLinear is a point model); an explicit point loss keeps conformal margins, as
/// every other model has.
#[test]
fn intervals_default_to_learned_quantiles_for_neural_models_only() {
    let dir = temp();
    let file_of = |name: &str, extra: &[&str]| {
        let model = dir.path().join(name).display().to_string();
        fit(
            &model,
            &[&["--level", "90", "--epochs", "1", "--hidden", "8"], extra].concat(),
        );
        std::fs::read_to_string(&model).unwrap()
    };
    let default = file_of("default.xlstm", &["-m", "lstm", "--base", "none"]);
    assert!(default.contains("\"loss\":\"quantile\"") && default.contains("\"method\":\"quantile\""));
    let point = file_of("mae.xlstm", &["-m", "lstm", "--loss", "mae"]);
    assert!(point.contains("\"loss\":\"mae\"") && point.contains("\"method\":\"conformal\""));
    let linear = file_of("linear.xlstm", &["-m", "nlinear"]);
    assert!(linear.contains("\"method\":\"conformal\""));
}

/// A quantile ensemble over a linear base, refitted for production: the model file keeps the
/// base, both members and the quantile calibration, and the forecast's bands hold its median.
#[test]
fn an_ensemble_over_a_linear_base_forecasts_nested_intervals() {
    let dir = temp();
    let model = dir.path().join("e.xlstm").display().to_string();
    let doc = fit(
        &model,
        &[
            "-m",
            "lstm",
            "--level",
            "80,95",
            "--epochs",
            "1",
            "--hidden",
            "8",
            "--ensemble",
            "2",
            "--base",
            "nlinear",
            "--loss",
            "quantile",
        ],
    );
    let coverage = doc["test"][0]["metrics"]["coverage_80"].as_f64().unwrap();
    assert!((0.0..=100.0).contains(&coverage), "{coverage}");
    let file = std::fs::read_to_string(&model).unwrap();
    for needed in [
        "\"method\":\"quantile\"",
        "\"ensemble\":2",
        "\"base\":{",
        "member1.",
    ] {
        assert!(file.contains(needed), "the model file lacks {needed}");
    }
    assert_nested_80_95(&model);
}
