//! `xlstm`: a command-line time-series forecaster with hand-written xLSTM (sLSTM and mLSTM)
//! networks, a classic LSTM and linear and naive baselines, usable as a library.
//!
//! Module map (see `docs/architecture.md`): [`data`] turns files into series and windows,
//! [`baseline`] and [`nn`] hold the models, [`model`] fits every kind through one API
//! (Forecaster → Fitted → predict), [`pipeline`] applies it to a dataset (windows, split,
//! scoring, backtests, forecasts after the data), [`model_file`] saves and loads fitted models,
//! [`metrics`] and [`evaluate`] score forecasts, and [`cli`] and [`commands`] implement the
//! `xlstm` command on top of the rest.

#![deny(unsafe_op_in_unsafe_fn)]

pub mod allocator;
pub mod baseline;
pub mod cli;
pub mod commands;
pub mod data;
pub mod error;
pub mod evaluate;
pub mod memory;
pub mod metrics;
pub mod model;
pub mod model_file;
pub mod nn;
pub mod pipeline;
pub mod plot;
pub mod serde_nan;

pub use error::{Error, Result};
