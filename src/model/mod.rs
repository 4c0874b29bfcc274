//! The model API: Fit → Fitted → Predict for every kind.
//!
//! A [`ModelConfig`] holds the typed settings of one kind (naive, seasonal naive, the linear
//! family, LSTM and the xLSTM family), validated in one place. A [`Forecaster`] checks them
//! against a lookback, horizon and season and [`fit`](Forecaster::fit)s them on training windows,
//! selecting on validation windows (the ridge penalty, early stopping), into a [`Fitted`] model.
//! A fitted model forecasts standardised windows, (N, L) → (N, H), and turns into named tensors
//! plus its resolved settings (the model file's form) and back. Fitting reports through the
//! [`Progress`] trait; [`Silent`] ignores it.
//!
//! ```
//! use xlstm::data::window::{ScaledSplit, Split, SplitPart};
//! use xlstm::model::{Forecaster, ModelConfig, ModelKind, Silent};
//!
//! let raw: Vec<f64> = (0..500).map(|t| (t as f64 * 0.5).sin()).collect();
//! let split = ScaledSplit::new(&[("y", &raw)], Split::default(), 48, 12)?;
//! let (train, validation) = (split.windows(SplitPart::Train, 1), split.windows(SplitPart::Validation, 1));
//! let forecaster = Forecaster::new(ModelConfig::for_kind(ModelKind::NLinear), 48, 12, 1)?;
//! let fitted = forecaster.fit(&train, &validation, &mut Silent)?;
//! let test = split.windows(SplitPart::Test, 1);
//! let forecasts = fitted.predict(test.inputs().view()); // (N, 12), standardised
//! let mse = (forecasts - test.targets()).mapv(|e| e * e).mean().unwrap();
//! assert!(mse < 1e-6, "a sine is linear in its past: {mse}");
//! # Ok::<(), xlstm::Error>(())
//! ```

mod config;
mod fitted;
mod forecaster;
mod intervals;
mod kind;
mod network;
mod neural;
mod progress;
mod refit;

pub use config::{
    BaseConfig, LinearConfig, ModelConfig, NeuralConfig, SeriesWeight, TrainSettings, TrainingResult,
    ALPHA_GRID,
};
pub use fitted::{FitReport, Fitted, NamedTensor};
pub use forecaster::{select_alpha, Forecaster};
pub use intervals::{
    check_levels, default_loss, window_scales, Band, Forecast, IntervalMethod, Intervals, WindowFacts,
};
pub use kind::ModelKind;
pub use network::{member_lookbacks, season_patches, NetworkConfig, SEASON_ENSEMBLE};
pub use progress::{Progress, Silent};
