//! `xlstm`: a command-line time-series forecaster with hand-written xLSTM (sLSTM and mLSTM)
//! networks, a classic LSTM and linear and naive baselines.
//!
//! Module map (see `docs/architecture.md`): [`data`] turns files into series and windows,
//! [`baseline`] and [`nn`] hold the models, [`metrics`] scores forecasts, [`cli`] and
//! [`commands`] implement the `xlstm` command.

pub mod data;
pub mod error;
pub mod nn;

pub use error::{Error, Result};
