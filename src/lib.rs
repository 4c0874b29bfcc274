//! `xlstm`: a command-line time-series forecaster with hand-written xLSTM (sLSTM and mLSTM)
//! networks, a classic LSTM and linear and naive baselines.
//!
//! Module map (see `docs/architecture.md`): [`data`] turns files into series and windows,
//! [`baseline`] and [`nn`] hold the models, [`model`] puts every kind behind one interface,
//! [`model_file`] saves and loads them, [`metrics`] and [`evaluate`] score forecasts, and
//! [`cli`] and [`commands`] implement the `xlstm` command.

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
pub mod neural;
pub mod nn;
pub mod plot;

pub use error::{Error, Result};
