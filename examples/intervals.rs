//! The evidence behind the default interval method (`docs/intervals.md`), on validation windows
//! only: each dataset's validation part is cut in two; the first half drives early stopping and
//! calibrates the intervals, the second half scores them. No test row is read.
//!
//!     cargo run --release --example intervals            # load_hourly.csv and ETTh1 (../shared)
//!
//! For the default xLSTM it prints, per method, the coverage of the 80 % and 95 % intervals, their
//! MSIS, the scaled CRPS, the point MASE and the epoch training kept: conformal and scaled conformal margins around the
//! point model's forecasts, and the quantiles of the same network trained on the pinball loss,
//! raw and conformalized (CQR).

use std::path::Path;

use xlstm::data::load::{load, LoadOptions};
use xlstm::data::window::{Split, SplitPart};
use xlstm::metrics::{level_name, Metrics};
use xlstm::model::{Fitted, IntervalMethod, ModelConfig, ModelKind, Silent};
use xlstm::pipeline::{Experiment, WindowRequest, Windowing};

const LEVELS: [f64; 2] = [80.0, 95.0];

/// One dataset: its file, target and the split whose "test" part is the second half of the
/// usual validation part.
struct Case {
    name: &'static str,
    path: &'static str,
    target: &'static str,
    split: Split,
}

fn main() -> xlstm::Result<()> {
    let cases = [
        Case {
            name: "load_hourly (0.7, 0.05 | 0.05)",
            path: "datasets/load_hourly.csv",
            target: "load_mw",
            split: Split::Fractions(0.7, 0.05, 0.05),
        },
        Case {
            name: "ETTh1 OT (8640, 1440 | 1440)",
            path: "../shared/datasets/ett/ETTh1.csv",
            target: "OT",
            split: Split::Rows(8640, 1440, 1440),
        },
    ];
    println!("| data | method | cov80 | cov95 | MSIS80 | MSIS95 | CRPS | MASE | kept epoch |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for case in cases {
        if !Path::new(case.path).exists() {
            eprintln!("{} is absent: skipping {}", case.path, case.name);
            continue;
        }
        let options = LoadOptions {
            target: vec![case.target.into()],
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
