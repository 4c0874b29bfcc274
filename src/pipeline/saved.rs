//! A fitted model and the model file: what the file keeps of the data (scaling statistics, the
//! last lookback values and times, the frequency, a fingerprint) beside the model's settings and
//! weights, and the fitted model rebuilt from a file.

use std::path::Path;

use crate::data::window::describe;
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::metrics::ModelMetrics;
use crate::model::Fitted;
use crate::model_file::{fnv1a64, ChannelState, ModelFile, RefitRecord, SeriesState};

use super::experiment::Experiment;
use super::refit::Refitted;

/// A fingerprint of the data: FNV-1a over ids, times and values.
pub fn fingerprint(dataset: &Dataset) -> String {
    let mut bytes = Vec::new();
    for s in &dataset.series {
        bytes.extend_from_slice(s.id.as_bytes());
        for (t, v) in s.time.iter().zip(&s.values) {
            bytes.extend_from_slice(&t.to_le_bytes());
            bytes.extend_from_slice(&v.to_le_bytes());
        }
    }
    format!("{:016x}", fnv1a64(&bytes))
}

impl Experiment<'_> {
    /// The model file of `fitted` (fitted on this experiment) with its test `metrics`.
    pub fn model_file(&self, fitted: &Fitted, metrics: Vec<ModelMetrics>) -> ModelFile {
        let (dataset, w) = (self.dataset, &self.windowing);
        let tail = |values: &[f64]| values[values.len().saturating_sub(w.lookback)..].to_vec();
        let series = dataset
            .series
            .iter()
            .zip(&self.split.scalers)
            .enumerate()
            .map(|(k, (s, scaler))| SeriesState {
                id: s.id.clone(),
                mean: scaler.mean,
                std: scaler.std,
                log: scaler.log,
                times: s.time[s.time.len().saturating_sub(w.lookback)..].to_vec(),
                tail: tail(&s.values),
                covariates: s
                    .covariates
                    .iter()
                    .zip(self.split.channels.scalers.get(k).into_iter().flatten())
                    .map(|(values, scaler)| ChannelState {
                        mean: scaler.mean,
                        std: scaler.std,
                        tail: tail(values),
                    })
                    .collect(),
            })
            .collect();
        ModelFile {
            config: fitted.config().clone(),
            lookback: w.lookback,
            horizon: w.horizon,
            season: w.season,
            split: describe(&w.split),
            stride: w.stride,
            time_kind: dataset.time_kind,
            frequency: dataset.frequency,
            calendar: dataset.calendar,
            time_format: dataset.time_format.clone(),
            time_column: dataset.time_column.clone(),
            targets: dataset.targets.clone(),
            id_column: dataset.id_column.clone(),
            fingerprint: fingerprint(dataset),
            series,
            weights: fitted.tensors(),
            metrics,
            refit: None,
            intervals: fitted.intervals().cloned(),
            covariates: dataset.covariates.clone(),
        }
    }
}

impl Refitted<'_> {
    /// The model file of the refitted model with the evaluated model's test `metrics`.
    pub fn model_file(&self, metrics: Vec<ModelMetrics>) -> ModelFile {
        let mut file = self.experiment.model_file(&self.fitted, metrics);
        file.refit = Some(RefitRecord {
            rows: self.rows,
            evaluated_windows: self.windows.0,
            windows: self.windows.1,
        });
        file
    }
}

/// The fitted model stored in `file` (read from `path`, named in messages), with its intervals.
pub fn fitted_from_file(file: &ModelFile, path: &Path) -> Result<Fitted> {
    let damaged = |e: Error| {
        Error::runtime(format!(
            "{}: {e}; refit the model with `xlstm fit`",
            path.display()
        ))
    };
    let sizes = (file.lookback, file.horizon, file.covariates.len());
    let mut fitted = Fitted::from_tensors(file.config.clone(), sizes, &file.weights).map_err(damaged)?;
    fitted.set_intervals(file.intervals.clone()).map_err(damaged)?;
    Ok(fitted)
}

/// Read, verify and rebuild the model file at `path`.
pub fn load(path: &Path) -> Result<(ModelFile, Fitted)> {
    let file = ModelFile::load(path)?;
    let fitted = fitted_from_file(&file, path)?;
    Ok((file, fitted))
}

impl Experiment<'_> {
    /// Forecast `horizon` steps after the end of every series with `fitted` (fitted on this
    /// experiment), as a model file of it would: from the last lookback values.
    pub fn forecast_after(&self, fitted: &Fitted, horizon: usize) -> Result<Vec<super::SeriesForecast>> {
        let file = self.model_file(fitted, Vec::new());
        super::forecast(&file, fitted, &super::History::stored(&file), None, horizon)
    }
}
