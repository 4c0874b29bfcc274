//! The evidence behind the default interval method (`docs/intervals.md`), on validation windows
//! only: each dataset's validation part is cut in two; the first half drives early stopping and
//! calibrates the intervals, the second half scores them. No test row is read.
//!
//!     cargo run --release --example intervals            # datasets/, ETTh1 and ETTm1 (../shared)
//!     cargo run --release --example intervals -- test    # the same on the test parts, for the
//!                                                        # record once the choice was made
//!
//! For the default xLSTM it prints, per method, the coverage of the 80 % and 95 % intervals, their
//! MSIS, the scaled CRPS, the point MASE and the epoch training kept: conformal and scaled
//! conformal margins around the point model's forecasts, and the quantiles of the same network trained on the pinball loss,
//! raw and conformalized (CQR).

use std::path::Path;

use xlstm::data::load::{load, LoadOptions};
use xlstm::data::window::{Split, SplitPart};
use xlstm::metrics::{level_name, Metrics};
use xlstm::model::{Fitted, IntervalMethod, ModelConfig, ModelKind, Silent};
use xlstm::pipeline::{Experiment, WindowRequest, Windowing};

const LEVELS: [f64; 2] = [80.0, 95.0];

/// One dataset: its file, target and the split (whose "test" part is the second half of the
/// usual validation part, unless the test parts are asked for).
struct Case {
    name: &'static str,
    path: &'static str,
    target: &'static str,
    id_col: Option<&'static str>,
    split: Split,
}

fn main() -> xlstm::Result<()> {
    let test = std::env::args().nth(1).as_deref() == Some("test");
    // the usual splits: calibrated on the whole validation part, scored on the test part
    let (fractions, etth, ettm) = if test {
        let f = Split::Fractions(0.7, 0.1, 0.2);
        (f, Split::Rows(8640, 2880, 2880), Split::Rows(34560, 11520, 11520))
    } else {
        let f = Split::Fractions(0.7, 0.05, 0.05);
        (f, Split::Rows(8640, 1440, 1440), Split::Rows(34560, 5760, 5760))
    };
    let cases = [
        Case {
            name: "load_hourly",
            path: "datasets/load_hourly.csv",
            target: "load_mw",
            id_col: None,
            split: fractions,
        },
        Case {
            name: "retail panel",
            path: "datasets/retail_daily_panel.csv",
            target: "y",
            id_col: Some("unique_id"),
            split: fractions,
        },
        Case {
            name: "ETTh1 OT",
            path: "../shared/datasets/ett/ETTh1.csv",
            target: "OT",
            id_col: None,
            split: etth,
        },
        Case {
            name: "ETTm1 OT",
            path: "../shared/datasets/ett/ETTm1.csv",
            target: "OT",
            id_col: None,
            split: ettm,
        },
    ];
    let part = if test {
        "test part"
    } else {
        "second half of the validation part"
    };
    println!("scored on the {part}");
    println!("| data | method | cov80 | cov95 | MSIS80 | MSIS95 | CRPS | MASE | kept epoch |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for case in cases {
        if !Path::new(case.path).exists() {
            eprintln!("{} is absent: skipping {}", case.path, case.name);
            continue;
        }
        let options = LoadOptions {
            target: vec![case.target.into()],
            id_col: case.id_col.map(String::from),
            ..LoadOptions::default()
        };
        let (dataset, _) = load(Path::new(case.path), &options)?;
        let request = WindowRequest {
            split: case.split,
            ..WindowRequest::default()
        };
        let windowing = Windowing::settle(&dataset, &request, &mut Silent)?;
        let experiment = Experiment::new(&dataset, windowing)?;
        let calibration = experiment.windows(SplitPart::Validation);
        let fit = |quantiles: bool| -> xlstm::Result<Fitted> {
            let mut config = ModelConfig::for_kind(ModelKind::Xlstm);
            if let (true, Some(neural)) = (quantiles, config.neural_mut()) {
                neural.learn_quantiles(&LEVELS)?;
            }
            experiment.fit(&experiment.forecaster(config)?, &mut Silent)
        };
        let point = fit(false)?;
        let quantile = fit(true)?;
        let runs: [(&str, &Fitted, Option<IntervalMethod>); 4] = [
            ("conformal", &point, Some(IntervalMethod::Conformal)),
            ("scaled conformal", &point, Some(IntervalMethod::Scaled)),
            ("quantile loss, raw", &quantile, None),
            ("quantile loss + CQR", &quantile, Some(IntervalMethod::Quantile)),
        ];
        for (method, fitted, calibration_method) in runs {
            let mut fitted = fitted.clone();
            match calibration_method {
                Some(m) => fitted.calibrate_with(m, &calibration, &LEVELS)?,
                // no calibration windows: the network's own quantiles as they are
                None => fitted.calibrate_with(IntervalMethod::Quantile, &empty(&calibration), &LEVELS)?,
            }
            let scored = experiment.score(&fitted).metrics;
            // the epoch whose weights training kept (0: the linear base alone)
            let kept = fitted.config().neural().map_or(0, |n| n.result[0].best_epoch);
            println!("| {} | {method} | {} | {kept} |", case.name, row(&scored));
        }
    }
    Ok(())
}

/// The windows of `windows` without any window.
fn empty(windows: &xlstm::data::window::WindowSet) -> xlstm::data::window::WindowSet {
    let mut none = windows.clone();
    none.starts.clear();
    none
}

/// Coverage and MSIS at 80 and 95 %, the CRPS and the MASE as table cells.
fn row(m: &Metrics) -> String {
    let level = |l: f64| {
        m.intervals
            .levels
            .iter()
            .find(|x| level_name(x.level) == level_name(l))
    };
    let cells: Vec<String> = [80.0, 95.0]
        .iter()
        .map(|l| level(*l).map_or("n/a".into(), |x| format!("{:.1}", x.coverage)))
        .chain(
            [80.0, 95.0]
                .iter()
                .map(|l| level(*l).map_or("n/a".into(), |x| format!("{:.3}", x.msis))),
        )
        .chain([format!("{:.4}", m.intervals.crps), format!("{:.3}", m.mase)])
        .collect();
    cells.join(" | ")
}
