//! The dataset-level layer between the data and the models: settle the windows of a dataset,
//! split and scale it, fit a [`Forecaster`](crate::model::Forecaster) on it, score the test part,
//! score it as the public LTSF protocol does, backtest over rolling origins, build and read the
//! model file, and forecast the steps after
//! the end of the data. The `xlstm` commands are this layer plus argument handling and output.
//!
//! ```
//! use std::path::Path;
//! use xlstm::data::load::{load, LoadOptions};
//! use xlstm::model::{ModelConfig, ModelKind, Silent};
//! use xlstm::pipeline::{Experiment, WindowRequest, Windowing};
//!
//! // read and check the data; the hourly frequency sets H = 24, the season 24 and L = 96
//! let options = LoadOptions { target: vec!["load_mw".into()], ..LoadOptions::default() };
//! let (dataset, _report) = load(Path::new("datasets/load_hourly.csv"), &options)?;
//! let windowing = Windowing::settle(&dataset, &WindowRequest::default(), &mut Silent)?;
//! let experiment = Experiment::new(&dataset, windowing)?; // split 70/10/20, training-only scaling
//!
//! // fit NLinear (its ridge penalty chosen on the validation part) and score the test part
//! let forecaster = experiment.forecaster(ModelConfig::for_kind(ModelKind::NLinear))?;
//! let fitted = experiment.fit(&forecaster, &mut Silent)?;
//! let test = experiment.score(&fitted).metrics;
//! assert!(test.mase < 1.0, "better than seasonal naive: MASE {}", test.mase);
//!
//! // forecast the 24 hours after the end of the data
//! let next = experiment.forecast_after(&fitted, 24)?;
//! assert_eq!(next[0].values.len(), 24);
//! # Ok::<(), xlstm::Error>(())
//! ```

mod backtest;
mod experiment;
mod future;
mod future_values;
mod ltsf;
mod refit;
mod saved;
mod windowing;

pub use backtest::{evaluate, fold_bounds, folds, Evaluation, Fold, Refit};
pub use experiment::Experiment;
pub use future::{forecast, History, SeriesBand, SeriesForecast};
pub use future_values::{future_columns, FutureValues};
pub use ltsf::Standardised;
pub use refit::Refitted;
pub use saved::{fingerprint, fitted_from_file, load};
pub use windowing::{default_horizon, WindowRequest, Windowing};

/// A dataset of one series `y` without a time column, for tests.
#[cfg(test)]
fn one_series(values: Vec<f64>) -> crate::data::Dataset {
    use crate::data::{Dataset, Frequency, Series, TimeKind};
    Dataset {
        series: vec![Series {
            id: "y".into(),
            time: (0..values.len() as i64).collect(),
            values,
            covariates: Vec::new(),
        }],
        time_kind: TimeKind::RowNumber,
        frequency: Frequency::Rows,
        calendar: None,
        time_format: Default::default(),
        time_column: None,
        targets: vec!["y".into()],
        id_column: None,
        covariates: Vec::new(),
    }
}
