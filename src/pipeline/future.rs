//! Forecasting the steps after the end of the data: each series' last lookback values, scaled
//! with the model's statistics, forecast and unscaled (with the model's calibrated intervals),
//! with the timestamps that follow.

use ndarray::Array2;

use crate::data::time::Grid;
use crate::data::window::Scaler;
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::model::Fitted;
use crate::model_file::ModelFile;

/// The recent history of one series: what a forecast starts from.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    /// Series id.
    pub id: String,
    /// Times of the observations (at least the last one; more let calendar steps find month ends).
    pub times: Vec<i64>,
    /// Observations in data units (at least the lookback).
    pub values: Vec<f64>,
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
/// `fitted` and the scaling statistics, frequency and calendar of its `file`.
pub fn forecast(
    file: &ModelFile,
    fitted: &Fitted,
    histories: &[History],
    horizon: usize,
) -> Result<Vec<SeriesForecast>> {
    let l = file.lookback;
    let mut inputs = Array2::<f64>::zeros((histories.len(), l)); // (S, L)
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
        let scaler = Scaler {
            mean: state.mean,
            std: state.std,
        };
        for (j, v) in h.values[h.values.len() - l..].iter().enumerate() {
            inputs[[row, j]] = scaler.scale(*v);
        }
        scalers.push(scaler);
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
                times: Grid::new(file.frequency, file.calendar).next_timestamps(&h.times, horizon),
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
