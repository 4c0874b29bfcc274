//! `xlstm` as a library: fit a model on a CSV file, score the test part and forecast the steps
//! after the end of the data (the README's "Use it as a library"). Run from the repository:
//! `cargo run --release --example library`.

use std::path::Path;

use xlstm::data::load::{load, LoadOptions};
use xlstm::data::time::format_timestamp;
use xlstm::model::{ModelConfig, ModelKind, Silent};
use xlstm::pipeline::{Experiment, WindowRequest, Windowing};

fn main() -> xlstm::Result<()> {
    // read and check the data; the hourly frequency sets H = 24 and the season 24, and the
    // lookback is chosen on the validation windows
    let options = LoadOptions {
        target: vec!["load_mw".into()],
        ..LoadOptions::default()
    };
    let (dataset, _report) = load(Path::new("datasets/load_hourly.csv"), &options)?;
    let windowing = Windowing::settle(&dataset, &WindowRequest::default(), &mut Silent)?;
    let experiment = Experiment::new(&dataset, windowing)?; // split 70/10/20, training-only scaling

    // an xLSTM with 10 epochs at most; every other setting keeps its default
    let mut config = ModelConfig::for_kind(ModelKind::Xlstm);
    if let Some(neural) = config.neural_mut() {
        neural.train.epochs = 10;
    }
    let fitted = experiment.fit(&experiment.forecaster(config)?, &mut Silent)?;
    let test = experiment.score(&fitted).metrics;
    println!("test MAE {:.4}, MASE {:.4}", test.mae, test.mase);

    // the six hours after the end of the data
    for forecast in experiment.forecast_after(&fitted, 6)? {
        for (t, value) in forecast.times.iter().zip(&forecast.values) {
            println!("{},{value:.2}", format_timestamp(*t, dataset.time_kind));
        }
    }
    Ok(())
}
