//! End-to-end tests of the `xlstm` binary: fit, forecast, eval, check, exit codes and outputs.

mod common;

use common::{ett, files_in, repo, stderr, stdout, temp, xlstm};

#[test]
fn fit_linear_reports_test_errors_beside_naive_baselines_and_saves_a_model() {
    let dir = temp();
    let model = dir.path().join("m.xlstm");
    let o = xlstm(&[
        "fit",
        &repo("datasets/load_hourly.csv"),
        "--target",
        "load_mw",
        "--model",
        "nlinear",
        "--out",
        model.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    let names: Vec<&str> = doc["test"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["model"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["nlinear", "naive", "snaive"]);
    for row in doc["test"].as_array().unwrap() {
        for key in ["mae", "rmse", "mape", "smape", "mase", "mse_std", "mae_std"] {
            assert!(
                row["metrics"][key].as_f64().unwrap().is_finite(),
                "{key} of {}",
                row["model"]
            );
        }
    }
    assert_eq!(doc["horizon"], 24, "hourly data defaults to a 24-step horizon");
    assert_eq!(
        doc["saved"]["refit"], true,
        "the saved model is refitted on every row"
    );
    assert_eq!(doc["saved"]["rows"], 2880);
    assert!(stderr(&o).contains("MASE"), "table on stderr: {}", stderr(&o));
    assert!(model.exists());
    assert_eq!(files_in(dir.path()), vec![model], "no temporary files are left");
}

/// `--no-refit` saves the scored model (trained on the training part, scaled by it); without it
/// the saved model is trained again on every row, and the model file says so.
#[test]
fn no_refit_saves_the_scored_model_and_the_default_saves_a_refit_on_every_row() {
    let dir = temp();
    let data = repo("datasets/load_hourly.csv");
    let fit_and_forecast = |name: &str, extra: &[&str]| {
        let model = dir.path().join(name).display().to_string();
        let o = xlstm(
            &[
                &[
                    "fit", &data, "--target", "load_mw", "-m", "linear", "-q", "-o", &model, "--json",
                ],
                extra,
            ]
            .concat(),
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let file = std::fs::read_to_string(&model).unwrap();
        let forecast = xlstm(&["forecast", "-m", &model, "-H", "3"]);
        assert!(forecast.status.success(), "{}", stderr(&forecast));
        (doc, file, stdout(&forecast))
    };
    let (refit, refit_file, refit_forecast) = fit_and_forecast("refit.xlstm", &[]);
    let (kept, kept_file, kept_forecast) = fit_and_forecast("kept.xlstm", &["--no-refit"]);
    assert_eq!(refit["test"], kept["test"], "both report the scored model");
    assert_eq!(kept["saved"]["refit"], false);
    assert_eq!(
        kept["saved"]["rows"], 2016,
        "the training part: 70 % of 2880 rows"
    );
    assert!(
        refit_file.contains("\"refit\":{\"rows\":2880"),
        "the file records the refit"
    );
    assert!(!kept_file.contains("\"refit\""));
    assert_ne!(refit_forecast, kept_forecast);
}

#[test]
fn forecast_continues_the_timestamps_after_the_data() {
    let dir = temp();
    let model = dir.path().join("m.xlstm");
    let fit = xlstm(&[
        "fit",
        &repo("datasets/load_hourly.csv"),
        "--target",
        "load_mw",
        "-m",
        "linear",
        "-o",
        model.to_str().unwrap(),
        "-q",
    ]);
    assert!(fit.status.success(), "{}", stderr(&fit));
    assert!(fit.stderr.is_empty(), "-q prints nothing: {}", stderr(&fit));
    let o = xlstm(&["forecast", "--model", model.to_str().unwrap(), "--horizon", "3"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "timestamp,forecast");
    assert_eq!(lines.len(), 4);
    // the file ends at 2024-04-29 23:00:00 (120 days of hours from 2024-01-01)
    assert!(lines[1].starts_with("2024-04-30 00:00:00,"), "{}", lines[1]);
    assert!(lines[3].starts_with("2024-04-30 02:00:00,"), "{}", lines[3]);
    let value: f64 = lines[1].split(',').nth(1).unwrap().parse().unwrap();
    assert!(value > 100.0 && value < 1500.0, "a load-like value: {value}");
    // from the data file too, and to files of each format
    for ext in ["csv", "json", "parquet"] {
        let out = dir.path().join(format!("f.{ext}"));
        let o = xlstm(&[
            "forecast",
            "-m",
            model.to_str().unwrap(),
            &repo("datasets/load_hourly.csv"),
            "--target",
            "load_mw",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{ext}: {}", stderr(&o));
        assert!(std::fs::metadata(&out).unwrap().len() > 0);
    }
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("f.json")).unwrap()).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 24);
}

#[test]
fn panels_in_long_format_forecast_every_series_with_an_id_column() {
    let dir = temp();
    let model = dir.path().join("m.xlstm");
    let data = repo("datasets/retail_daily_panel.csv");
    let fit = xlstm(&[
        "fit",
        &data,
        "--id-col",
        "unique_id",
        "-m",
        "nlinear",
        "-o",
        model.to_str().unwrap(),
        "-q",
    ]);
    assert!(fit.status.success(), "{}", stderr(&fit));
    let o = xlstm(&["forecast", "-m", model.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "id,timestamp,forecast");
    assert_eq!(
        lines.len(),
        1 + 20 * 14,
        "20 stores × 14 days (the daily default horizon)"
    );
    assert!(lines[1].starts_with("store_01,2024-12-31,"), "{}", lines[1]);
}

#[test]
fn missing_values_stop_fit_unless_a_fill_is_asked_for() {
    let dir = temp();
    let model = dir.path().join("m.xlstm");
    let data = repo("datasets/sensor_gaps.csv");
    let o = xlstm(&["fit", &data, "-m", "linear", "-o", model.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--fill"),
        "the message names the fix: {}",
        stderr(&o)
    );
    assert!(!model.exists(), "no model file after a failure");
    let o = xlstm(&[
        "fit",
        &data,
        "-m",
        "linear",
        "--fill",
        "linear",
        "-o",
        model.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn check_reports_frequency_gaps_and_missing_values_without_training() {
    let o = xlstm(&["check", &repo("datasets/sensor_gaps.csv")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o).to_lowercase();
    for word in ["rows", "frequency", "gap", "missing"] {
        assert!(text.contains(word), "'{word}' in the report:\n{text}");
    }
}

#[test]
fn usage_errors_exit_2_and_data_errors_exit_1() {
    let data = repo("datasets/load_hourly.csv");
    let bad_split = xlstm(&[
        "fit",
        &data,
        "--target",
        "load_mw",
        "--split",
        "0.9,0.9,0.9",
        "-o",
        "/nonexistent/m.json",
    ]);
    assert_eq!(bad_split.status.code(), Some(2), "{}", stderr(&bad_split));
    let ambiguous = xlstm(&["fit", &data]);
    assert_eq!(ambiguous.status.code(), Some(1));
    assert!(
        stderr(&ambiguous).contains("'load_mw', 'temperature_c'"),
        "{}",
        stderr(&ambiguous)
    );
    assert!(stderr(&ambiguous).contains("--target"), "{}", stderr(&ambiguous));
    let bad_lr = xlstm(&["fit", &data, "--target", "load_mw", "--lr", "-1"]);
    assert_eq!(bad_lr.status.code(), Some(2), "{}", stderr(&bad_lr));
    let base_lr_without_base = xlstm(&["fit", &data, "--target", "load_mw", "--base-lr", "1"]);
    assert_eq!(base_lr_without_base.status.code(), Some(2));
    assert!(
        stderr(&base_lr_without_base).contains("--base nlinear"),
        "{}",
        stderr(&base_lr_without_base)
    );
    let bad_transform = xlstm(&["fit", &data, "--target", "load_mw", "--transform", "sqrt"]);
    assert_eq!(bad_transform.status.code(), Some(2), "{}", stderr(&bad_transform));
    assert!(
        stderr(&bad_transform).contains("auto, log or none"),
        "{}",
        stderr(&bad_transform)
    );
    // logarithms of a panel with a zero: a data error naming the series and row
    let panel = repo("datasets/retail_daily_panel.csv");
    let zero = xlstm(&[
        "fit",
        &panel,
        "--id-col",
        "unique_id",
        "-m",
        "naive",
        "--transform",
        "log",
    ]);
    assert_eq!(zero.status.code(), Some(1), "{}", stderr(&zero));
    assert!(
        stderr(&zero).contains("--transform log needs positive values") && stderr(&zero).contains("row "),
        "{}",
        stderr(&zero)
    );
    let unknown_flag = xlstm(&["fit", &data, "--no-such-flag"]);
    assert_eq!(unknown_flag.status.code(), Some(2));
    let missing_file = xlstm(&["fit", "/nonexistent/data.csv"]);
    assert_eq!(missing_file.status.code(), Some(1));
    assert!(
        stderr(&missing_file).contains("/nonexistent/data.csv"),
        "{}",
        stderr(&missing_file)
    );
    let dir = temp();
    let junk = dir.path().join("junk.json");
    std::fs::write(&junk, "{\"not\": \"a model\"}").unwrap();
    let bad_model = xlstm(&["forecast", "-m", junk.to_str().unwrap()]);
    assert_eq!(bad_model.status.code(), Some(1));
    assert!(
        stderr(&bad_model).contains("not an xlstm model file"),
        "{}",
        stderr(&bad_model)
    );
}

#[test]
fn a_failed_write_leaves_no_file_behind() {
    let dir = temp();
    let target = dir.path().join("missing-dir").join("m.xlstm");
    let o = xlstm(&[
        "fit",
        &repo("datasets/load_hourly.csv"),
        "--target",
        "load_mw",
        "-m",
        "naive",
        "-o",
        target.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(files_in(dir.path()).is_empty());
}

/// The published univariate NLinear row for ETTh1 with L = 336 (benchmarks.md §2.1, §2.7).
#[test]
#[ignore = "needs ../shared"]
fn eval_reproduces_the_published_nlinear_ett_h1_row() {
    let data = ett("ETTh1.csv");
    let dir = temp();
    for (horizon, published) in [(96, 0.053), (192, 0.069), (336, 0.081), (720, 0.080)] {
        let predictions = dir.path().join(format!("p{horizon}.csv"));
        let mut args = vec![
            "eval",
            &data,
            "--target",
            "OT",
            "--split",
            "8640,2880,2880",
            "--lookback",
            "336",
            "--model",
            "nlinear",
            "--json",
        ];
        let h = horizon.to_string();
        args.extend(["--horizon", &h]);
        let p = predictions.to_str().unwrap().to_string();
        if horizon == 96 {
            args.extend(["--predictions", &p]);
        }
        let o = xlstm(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let mse = doc["mse"].as_f64().unwrap();
        assert!(
            (mse - published).abs() <= 0.002,
            "H={horizon}: MSE {mse:.4}, published {published}"
        );
        assert_eq!(doc["test_windows"], 2880 - horizon + 1);
        if horizon == 96 {
            // an independent re-scoring of the written predictions gives the same MSE
            let text = std::fs::read_to_string(&predictions).unwrap();
            let mut lines = text.lines();
            assert_eq!(lines.next(), Some("window,step,actual,predicted"));
            let (mut sum, mut n) = (0.0, 0);
            for line in lines {
                let f: Vec<f64> = line.split(',').map(|v| v.parse().unwrap()).collect();
                sum += (f[3] - f[2]).powi(2);
                n += 1;
            }
            assert_eq!(n, (2880 - 96 + 1) * 96);
            assert!((sum / n as f64 - mse).abs() < 1e-9);
        }
    }
}

/// A quick neural configuration for tests: small width, few epochs.
const QUICK: [&str; 10] = [
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

#[test]
fn every_neural_kind_fits_saves_loads_forecasts_and_evaluates() {
    let dir = temp();
    let data = repo("datasets/load_hourly.csv");
    for kind in ["xlstm", "slstm", "mlstm", "lstm"] {
        let model = dir.path().join(format!("{kind}.xlstm"));
        let mut args = vec![
            "fit",
            &data,
            "--target",
            "load_mw",
            "-m",
            kind,
            "-o",
            model.to_str().unwrap(),
            "--json",
            "-q",
        ];
        args.extend(QUICK);
        let o = xlstm(&args);
        assert!(o.status.success(), "{kind}: {}", stderr(&o));
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(
            doc["history"].as_array().unwrap().len(),
            2,
            "{kind}: one history entry per epoch"
        );
        let mase = doc["test"][0]["metrics"]["mase"].as_f64().unwrap();
        assert!(mase.is_finite(), "{kind}: MASE {mase}");
        let f = xlstm(&["forecast", "-m", model.to_str().unwrap(), "-H", "5"]);
        assert!(f.status.success(), "{kind}: {}", stderr(&f));
        assert_eq!(stdout(&f).lines().count(), 6, "{kind}: header + 5 rows");
        let mut eval = vec![
            "eval", &data, "--target", "load_mw", "-m", kind, "--json", "-q", "-H", "24",
        ];
        eval.extend(QUICK);
        let e = xlstm(&eval);
        assert!(e.status.success(), "{kind}: {}", stderr(&e));
        let doc: serde_json::Value = serde_json::from_slice(&e.stdout).unwrap();
        assert!(doc["mse"].as_f64().unwrap().is_finite());
    }
}

#[test]
fn the_same_seed_gives_identical_model_files_and_forecasts_with_one_and_two_threads() {
    let dir = temp();
    let data = repo("datasets/load_hourly.csv");
    let mut files = Vec::new();
    for kind in ["xlstm", "slstm", "mlstm", "lstm"] {
        let mut runs = Vec::new();
        for threads in ["1", "2"] {
            let model = dir.path().join(format!("{kind}-t{threads}.xlstm"));
            let mut args = vec![
                "fit",
                &data,
                "--target",
                "load_mw",
                "-m",
                kind,
                "-o",
                model.to_str().unwrap(),
                "-q",
                "--threads",
                threads,
                "--seed",
                "7",
            ];
            args.extend(QUICK);
            let o = xlstm(&args);
            assert!(o.status.success(), "{kind}: {}", stderr(&o));
            let forecast = stdout(&xlstm(&["forecast", "-m", model.to_str().unwrap()]));
            runs.push((std::fs::read(&model).unwrap(), forecast));
        }
        assert!(
            runs[0].0 == runs[1].0,
            "{kind}: model files differ between --threads 1 and 2"
        );
        assert_eq!(runs[0].1, runs[1].1, "{kind}: forecasts differ");
        if kind == "xlstm" {
            files = runs;
        }
    }
    let other = dir.path().join("seed8.xlstm");
    let mut args = vec![
        "fit",
        &data,
        "--target",
        "load_mw",
        "-o",
        other.to_str().unwrap(),
        "-q",
        "--seed",
        "8",
    ];
    args.extend(QUICK);
    assert!(xlstm(&args).status.success());
    assert!(
        std::fs::read(&other).unwrap() != files[0].0,
        "a different seed gives a different model"
    );
}

#[test]
fn a_diverging_run_is_reported_and_keeps_the_last_finite_weights() {
    let dir = temp();
    let model = dir.path().join("m.xlstm");
    let data = repo("datasets/load_hourly.csv");
    let mut args = vec![
        "fit", &data, "--target", "load_mw", "-m", "lstm", "--lr", "1e6", "--seed", "42", "--loss",
        "mse", // the bounded gradients of the default MAE do not blow up in two epochs
    ];
    args.extend(QUICK);
    args.extend(["-o", model.to_str().unwrap()]);
    let o = xlstm(&args);
    let text = stderr(&o);
    assert!(o.status.success(), "{text}");
    assert!(
        text.contains("became non-finite") && text.contains("lower --lr"),
        "{text}"
    );
    let bytes = std::fs::read(&model).unwrap();
    let body = &bytes[bytes.iter().position(|b| *b == b'\n').unwrap() + 1..];
    let doc: serde_json::Value = serde_json::from_slice(body).unwrap();
    for tensor in doc["weights"].as_array().unwrap() {
        for v in tensor[1].as_array().unwrap() {
            assert!(
                v.as_f64().is_some_and(f64::is_finite),
                "weight {v} in {}",
                tensor[0]
            );
        }
    }
}

#[test]
fn month_end_series_forecast_month_ends_with_or_without_the_data_file() {
    let dir = temp();
    let data = dir.path().join("monthly.csv");
    let mut text = String::from("month,sales\n");
    let ends = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    for year in 2015..2021 {
        for (m, last) in ends.iter().enumerate() {
            let day = if m == 1 && year % 4 == 0 { 29 } else { *last };
            text.push_str(&format!(
                "{year}-{:02}-{day},{}\n",
                m + 1,
                100 + (year - 2015) * 12 + m as i32
            ));
        }
    }
    std::fs::write(&data, text).unwrap();
    let model = dir.path().join("m.xlstm");
    let fit = xlstm(&[
        "fit",
        data.to_str().unwrap(),
        "-m",
        "naive",
        "-H",
        "3",
        "-o",
        model.to_str().unwrap(),
        "-q",
    ]);
    assert!(fit.status.success(), "{}", stderr(&fit));
    let stored = stdout(&xlstm(&["forecast", "-m", model.to_str().unwrap(), "-H", "3"]));
    let from_data = stdout(&xlstm(&[
        "forecast",
        "-m",
        model.to_str().unwrap(),
        data.to_str().unwrap(),
        "-H",
        "3",
    ]));
    assert_eq!(stored, from_data);
    let lines: Vec<&str> = stored.lines().collect();
    // the series ends at 2020-12-31 with the value 171: naive repeats it at the next month ends
    assert_eq!(lines[1..], ["2021-01-31,171", "2021-02-28,171", "2021-03-31,171"]);
}

#[test]
#[ignore = "needs ../shared"]
fn drop_last_truncates_the_test_windows_to_whole_batches() {
    let data = ett("ETTh1.csv");
    let o = xlstm(&[
        "eval",
        &data,
        "--target",
        "OT",
        "--split",
        "8640,2880,2880",
        "-L",
        "336",
        "-H",
        "96",
        "-m",
        "naive",
        "--drop-last",
        "32",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["test_windows"], (2880 - 96 + 1) / 32 * 32);
    assert_eq!(doc["drop_last"], 32);
    // Repeat on ETTh1 S with all windows is 0.069 (benchmarks.md §2.7); drop-last moves it little
    assert!(
        (doc["mse"].as_f64().unwrap() - 0.069).abs() < 0.003,
        "{}",
        doc["mse"]
    );
}

#[test]
fn a_split_without_test_windows_is_a_clear_error() {
    let dir = temp();
    let data = repo("datasets/load_hourly.csv");
    let model = dir.path().join("m.xlstm");
    let o = xlstm(&[
        "fit",
        &data,
        "--target",
        "load_mw",
        "-m",
        "naive",
        "--split",
        "2000,500,10",
        "-o",
        model.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("test part"), "{}", stderr(&o));
    assert!(!model.exists());
}

#[test]
fn bench_reports_throughput_and_memory_as_json() {
    let o = xlstm(&[
        "bench",
        "-m",
        "lstm",
        "--hidden",
        "8",
        "--heads",
        "2",
        "--lookback",
        "24",
        "--horizon",
        "4",
        "--json",
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["model"], "lstm");
    for key in [
        "train_samples_per_s",
        "infer_samples_per_s",
        "peak_rss_mb",
        "flops_per_train_sample",
        "achieved_gflops",
    ] {
        let v = doc[key].as_f64().unwrap();
        assert!(v.is_finite() && v > 0.0, "{key} = {v}");
    }
    // 0 (and a null fraction) only on a CPU without AVX2/FMA
    assert!(doc["peak_gflops"].as_f64().unwrap() >= 0.0);
    assert!(doc["fraction_of_peak"].is_null() || doc["fraction_of_peak"].as_f64().unwrap() > 0.0);
    let baseline = xlstm(&["bench", "-m", "naive"]);
    assert_eq!(baseline.status.code(), Some(2));
}

/// A reader that stops early (`xlstm check … | head -1`) ends the output quietly: exit code 0,
/// no panic message and no error. The pipe is closed before the binary has loaded the file, so
/// its first write meets a broken pipe.
#[test]
fn a_closed_stdout_ends_the_output_quietly() {
    use std::process::{Command, Stdio};
    let dir = temp();
    let model = dir.path().join("m.xlstm");
    let data = repo("datasets/load_hourly.csv");
    let fit = xlstm(&[
        "fit",
        &data,
        "--target",
        "load_mw",
        "-m",
        "nlinear",
        "--out",
        model.to_str().unwrap(),
        "-q",
    ]);
    assert!(fit.status.success(), "{}", stderr(&fit));
    let model = model.to_str().unwrap();
    for args in [
        vec!["check", &data, "--target", "load_mw", "--json"],
        vec!["check", &data, "--target", "load_mw"],
        vec!["forecast", "--model", model],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_xlstm"))
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        drop(child.stdout.take());
        let o = child.wait_with_output().expect("the binary ends");
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        assert!(
            !stderr(&o).contains("panicked") && !stderr(&o).contains("error"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
}

/// A lookback of 8 days of hourly data: `fit` says it trains three networks over patches of one
/// day, the first over the 8 days and two over the last 6, the model file keeps them (patch and
/// stride 24, three members and their lookbacks), and `forecast` reads it; `--ensemble 1` keeps
/// the daily patches with one network; `--member-lookbacks` sets the members and their lookbacks,
/// and one that does not fit `--ensemble` is a usage error.
#[test]
fn a_long_hourly_lookback_trains_three_networks_of_daily_patches() {
    let (dir, data) = (temp(), repo("datasets/load_hourly.csv"));
    let run = |name: &str, extra: &[&str]| {
        let model = dir.path().join(name);
        let mut args = vec![
            "fit",
            &data,
            "--target",
            "load_mw",
            "-m",
            "lstm",
            "-L",
            "192",
            "--hidden",
            "8",
            "--epochs",
            "1",
            "--base",
            "none",
            "--no-refit",
            "-o",
            model.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        (xlstm(&args), model)
    };
    let fit = |name: &str, extra: &[&str]| {
        let (o, model) = run(name, extra);
        assert!(o.status.success(), "{}", stderr(&o));
        (stderr(&o), std::fs::read_to_string(&model).unwrap(), model)
    };
    let (text, file, model) = fit("three.xlstm", &[]);
    assert!(
        text.contains(
            "patches of one season (24 steps) side by side and 3 networks over the last 192, 144, 144 steps: the lookback holds 8 seasons"
        ),
        "{text}"
    );
    for needed in [
        "\"patch\":24",
        "\"stride\":24",
        "\"ensemble\":3",
        "\"member_lookbacks\":[192,144,144]",
        "member2.",
    ] {
        assert!(file.contains(needed), "the model file lacks {needed}");
    }
    let out = dir.path().join("f.csv");
    let o = xlstm(&[
        "forecast",
        "-m",
        model.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 25); // header + 24 steps
    let (text, file, _) = fit("one.xlstm", &["--ensemble", "1"]);
    assert!(text.contains("side by side and one network:"), "{text}");
    assert!(file.contains("\"patch\":24") && file.contains("\"ensemble\":1") && !file.contains("member1."));
    let (_, file, _) = fit("two.xlstm", &["--member-lookbacks", "192,120"]);
    assert!(file.contains("\"ensemble\":2") && file.contains("\"member_lookbacks\":[192,120]"));
    let (o, model) = run("bad.xlstm", &["--member-lookbacks", "192,120", "--ensemble", "3"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--member-lookbacks: 2 member lookbacks for an ensemble of 3"),
        "{}",
        stderr(&o)
    );
    assert!(!model.exists());
}
