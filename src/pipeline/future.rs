//! Forecasting the steps after the end of the data: each series' last lookback values, scaled
//! with the model's statistics, forecast and unscaled (with the model's calibrated intervals),
//! with the timestamps that follow. A model with covariates also reads each channel's window:
//! past-observed channels their last L values; future-known ones (columns and calendar features)
//! the window that ends with the horizon, whose last H values come from the future file
//! ([`FutureValues`]) or, for calendar features, from the future timestamps.

use ndarray::Array2;

use crate::data::covariates::{calendar_values, CovariateKind};
use crate::data::time::Grid;
use crate::data::window::Scaler;
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::model::Fitted;
use crate::model_file::ModelFile;

use super::future_values::FutureValues;

/// The recent history of one series: what a forecast starts from.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    /// Series id.
    pub id: String,
    /// Times of the observations (at least the last one; more let calendar steps find month ends).
    pub times: Vec<i64>,
    /// Observations in data units (at least the lookback).
    pub values: Vec<f64>,
    /// The covariate channels' values at the same times as `values` (the model's channels, in
    /// order; none without covariates).
    pub covariates: Vec<Vec<f64>>, // (C)(n)
}

impl History {
    /// The histories a model file keeps: the last lookback values of every series it saw.
    pub fn stored(file: &ModelFile) -> Vec<History> {
        file.series
            .iter()
            .map(|s| History {
                id: s.id.clone(),
                times: s.times.clone(),
                values: s.tail.clone(),
                covariates: s.covariates.iter().map(|c| c.tail.clone()).collect(),
            })
            .collect()
    }

    /// Every series of `dataset`, whole.
    pub fn of(dataset: Dataset) -> Vec<History> {
        dataset
            .series
            .into_iter()
            .map(|s| History {
                id: s.id,
                times: s.time,
                values: s.values,
                covariates: s.covariates,
            })
            .collect()
    }
}

/// One series' forecast.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesForecast {
    /// Series id.
    pub id: String,
    /// Future times (see `TimeKind`).
    pub times: Vec<i64>,
    /// Forecasts in data units.
    pub values: Vec<f64>,
    /// The prediction intervals, one per level (ascending); none without calibrated intervals.
    pub bands: Vec<SeriesBand>,
}

/// The prediction interval of one series at one level, in data units.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesBand {
    /// Level in percent.
    pub level: f64,
    /// Lower bounds.
    pub lower: Vec<f64>,
    /// Upper bounds.
    pub upper: Vec<f64>,
}

/// Forecast `horizon` steps (at most the model's) after each series' history, with the model
/// `fitted` and the scaling statistics, frequency and calendar of its `file`; `future` holds the
/// values of its future-known columns over the model's horizon (needed when it has some).
pub fn forecast(
    file: &ModelFile,
    fitted: &Fitted,
    histories: &[History],
    future: Option<&FutureValues>,
    horizon: usize,
) -> Result<Vec<SeriesForecast>> {
    let l = file.lookback;
    let grid = Grid::new(file.frequency, file.calendar);
    let width = l * (1 + file.covariates.len());
    let mut inputs = Array2::<f64>::zeros((histories.len(), width)); // (S, L·(1 + C))
    let mut scalers = Vec::with_capacity(histories.len());
    for (row, h) in histories.iter().enumerate() {
        let state = file.series.iter().find(|s| s.id == h.id).ok_or_else(|| {
            let known: Vec<&str> = file.series.iter().map(|s| s.id.as_str()).collect();
            Error::data(format!(
                "series '{}' was not in the training data of this model (it knows: {}); refit with `xlstm fit`",
                h.id,
                known.join(", ")
            ))
        })?;
        if h.values.len() < l {
            return Err(Error::data(format!(
                "series '{}' has {} rows; this model needs the last {l} (its lookback)",
                h.id,
                h.values.len()
            )));
        }
        let recent = &h.values[h.values.len() - l..];
        if state.log {
            if let Some(k) = recent.iter().position(|&v| v.is_nan() || v <= 0.0) {
                return Err(Error::data(format!(
                    "series '{}' has the value {} at position {} of its last {l} values, but this model forecasts logarithms (--transform log) and needs positive values; refit with --transform none",
                    h.id,
                    recent[k],
                    k + 1
                )));
            }
        }
        let scaler = Scaler {
            mean: state.mean,
            std: state.std,
            log: state.log,
        };
        for (j, v) in h.values[h.values.len() - l..].iter().enumerate() {
            inputs[[row, j]] = scaler.scale(*v);
        }
        scalers.push(scaler);
        if !file.covariates.is_empty() {
            let ahead = grid.next_timestamps(&h.times, file.horizon);
            let windows = channel_windows(file, h, &ahead, future)?; // (C)(L)
            for (c, (window, state)) in windows.iter().zip(&state.covariates).enumerate() {
                let channel = Scaler {
                    mean: state.mean,
                    std: state.std,
                    log: false,
                };
                for (j, v) in window.iter().enumerate() {
                    inputs[[row, (1 + c) * l + j]] = channel.scale(*v);
                }
            }
        }
    }
    let predicted = fitted.forecast(inputs.view()); // (S, H) and bands
    Ok(histories
        .iter()
        .zip(scalers)
        .enumerate()
        .map(|(row, (h, scaler))| {
            let unscaled = |a: &Array2<f64>| -> Vec<f64> {
                a.row(row)
                    .iter()
                    .take(horizon)
                    .map(|v| scaler.unscale(*v))
                    .collect()
            };
            SeriesForecast {
                id: h.id.clone(),
                times: grid.next_timestamps(&h.times, horizon),
                values: unscaled(&predicted.point),
                bands: predicted
                    .bands
                    .iter()
                    .map(|b| SeriesBand {
                        level: b.level,
                        lower: unscaled(&b.lower),
                        upper: unscaled(&b.upper),
                    })
                    .collect(),
            }
        })
        .collect())
}

/// Each covariate channel's input window (L raw values) for a forecast after history `h`, whose
/// next H timestamps are `ahead`: the last L values of a past-observed channel; for a future-known
/// one the window that ends with the horizon, its last H values from `future` (columns) or the
/// timestamps (calendar features).
fn channel_windows(
    file: &ModelFile,
    h: &History,
    ahead: &[i64],
    future: Option<&FutureValues>,
) -> Result<Vec<Vec<f64>>> {
    let (l, horizon) = (file.lookback, file.horizon);
    if h.covariates.len() != file.covariates.len() {
        return Err(Error::data(format!(
            "series '{}' comes without the covariates the model reads ({}); give the data with those columns",
            h.id,
            file.covariates
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    file.covariates
        .iter()
        .zip(&h.covariates)
        .map(|(covariate, past)| {
            if covariate.kind == CovariateKind::Past {
                return Ok(past[past.len() - l..].to_vec());
            }
            // rows [n − L + H, n + H): the last L − H observed values, then the horizon's
            let known = l.saturating_sub(horizon);
            let times = &ahead[horizon - (l - known)..];
            let next = match covariate.kind {
                CovariateKind::Calendar => calendar_values(&covariate.name, times)?,
                _ => match future {
                    Some(values) => values.at(&h.id, &covariate.name, times)?,
                    None => {
                        return Err(Error::usage(format!(
                            "this model reads the future values of '{}' over the next {horizon} steps; \
                             give them with --future FILE (a time column and '{}', one row per step)",
                            covariate.name, covariate.name
                        )))
                    }
                },
            };
            let mut window = past[past.len() - known..].to_vec();
            window.extend(next);
            Ok(window)
        })
        .collect()
}
