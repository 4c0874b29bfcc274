//! `xlstm bench`: the anchor-shaped networks and the scaling sweep, at toy sizes (the timings
//! themselves are not checked, only that every figure is reported).
mod common;

use common::{stderr, temp, xlstm};

/// Toy sizes: width 8, 2 heads, lookback 12, 64 windows, one thread.
const SMALL: [&str; 12] = [
    "--hidden",
    "8",
    "--heads",
    "2",
    "--lookback",
    "12",
    "--horizon",
    "4",
    "--max-windows",
    "64",
    "--threads",
    "1",
];

fn json(args: &[&str]) -> serde_json::Value {
    let o = xlstm(args);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn every_anchor_network_reports_throughput_and_flops() {
    for model in ["slstm", "mlstm", "mlstm_par", "mlstm_chunk"] {
        let mut args = vec!["bench", "-m", model, "--json", "-q"];
        args.extend(SMALL);
        let doc = json(&args);
        assert_eq!(doc["model"], model);
        assert_eq!(doc["network"]["core"], "cell");
        assert_eq!(doc["windows"], 64);
        for key in [
            "train_samples_per_s",
            "infer_samples_per_s",
            "peak_rss_mb",
            "flops_per_train_sample",
        ] {
            let v = doc[key].as_f64().unwrap();
            assert!(v.is_finite() && v > 0.0, "{model} {key} = {v}");
        }
    }
    // the default forecaster has no anchor and no analytic count; it is the library's network
    // (patches, flattened head), at the given sizes
    let mut args = vec!["bench", "-m", "xlstm", "--json", "-q"];
    args.extend(SMALL);
    let doc = json(&args);
    assert!(doc["flops_per_train_sample"].is_null() && doc["fraction_of_peak"].is_null());
    assert_eq!(doc["network"]["core"], "xlstm");
    assert_eq!(
        (doc["hidden"].as_u64(), doc["heads"].as_u64()),
        (Some(8), Some(2))
    );
    assert!(doc["train_samples_per_s"].as_f64().unwrap() > 0.0);
}

#[test]
fn the_sweep_measures_every_point_and_draws_the_figure() {
    let dir = temp();
    let figure = dir.path().join("scaling.svg");
    let mut args = vec![
        "bench",
        "--sweep",
        "--models",
        "lstm,mlstm",
        "--lookbacks",
        "6,12",
        "--widths",
        "4,8",
        "--plot",
        figure.to_str().unwrap(),
        "--json",
        "-q",
    ];
    args.extend(SMALL);
    let doc = json(&args);
    // per model: lookbacks 6, 12 at width 8 and widths 4, 8 at lookback 12 (one point shared)
    assert_eq!(doc["points"].as_array().unwrap().len(), 6);
    for model in doc["models"].as_array().unwrap() {
        assert!(
            model["lookback_exponent"].as_f64().unwrap().is_finite(),
            "{model}"
        );
    }
    let svg = std::fs::read_to_string(&figure).unwrap();
    assert!(svg.contains("against lookback") && svg.contains("mlstm"));
}

#[test]
fn bad_bench_settings_are_usage_errors() {
    for args in [
        &["bench", "--hidden", "10", "--heads", "4"][..],
        &["bench", "--max-windows", "0"],
        &["bench", "--plot", "x.png"],
        &["bench", "--sweep", "--plot", "x.jpg"],
        &["bench", "-m", "linear"],
    ] {
        let o = xlstm(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    }
}
