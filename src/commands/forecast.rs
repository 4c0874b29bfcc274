//! `xlstm forecast`: the H steps after the end of the data, with their timestamps.

use std::path::Path;

use ndarray::Array2;

use crate::cli::ForecastArgs;
use crate::commands::setup::load_options;
use crate::commands::Output;
use crate::data::io::{write_csv, write_table};
use crate::data::load::load;
use crate::data::table::{Column, Table};
use crate::data::time::next_timestamps;
use crate::error::{Error, Result};
use crate::model::{Model, ModelKind};
use crate::model_file::ModelFile;

/// One series' forecast.
pub struct SeriesForecast {
    /// Series id.
    pub id: String,
    /// Future times (see `TimeKind`).
    pub times: Vec<i64>,
    /// Forecasts in data units.
    pub values: Vec<f64>,
}

/// Rebuild the model stored in `file`.
pub fn model_from_file(file: &ModelFile, path: &Path) -> Result<(ModelKind, Model)> {
    let kind = ModelKind::from_name(&file.kind)
        .ok_or_else(|| Error::runtime(format!("{}: unknown model kind '{}'", path.display(), file.kind)))?;
    let model = Model::from_weights(
        kind,
        &file.weights,
        file.lookback,
        file.horizon,
        file.season,
        &file.config,
    )?;
    Ok((kind, model))
}

/// Forecast `horizon` steps after each series' `(last time, last L values)`.
pub fn forecast(
    file: &ModelFile,
    model: &Model,
    tails: &[(String, i64, Vec<i64>, Vec<f64>)],
    horizon: usize,
) -> Result<Vec<SeriesForecast>> {
    let l = file.lookback;
    let mut inputs = Array2::<f64>::zeros((tails.len(), l)); // (S, L)
    let mut scalers = Vec::with_capacity(tails.len());
    for (row, (id, _, _, values)) in tails.iter().enumerate() {
        let state = file.series.iter().find(|s| &s.id == id).ok_or_else(|| {
            let known: Vec<&str> = file.series.iter().map(|s| s.id.as_str()).collect();
            Error::data(format!("series '{id}' was not in the training data of this model (it knows: {}); refit with `xlstm fit`", known.join(", ")))
        })?;
        if values.len() < l {
            return Err(Error::data(format!(
                "series '{id}' has {} rows; this model needs the last {l} (its lookback)",
                values.len()
            )));
        }
        for (j, v) in values[values.len() - l..].iter().enumerate() {
            inputs[[row, j]] = (v - state.mean) / state.std;
        }
        scalers.push((state.mean, state.std));
    }
    let predicted = model.predict(inputs.view(), file.horizon); // (S, H)
    Ok(tails
        .iter()
        .zip(scalers)
        .enumerate()
        .map(|(row, ((id, _, history, _), (mean, std)))| SeriesForecast {
            id: id.clone(),
            times: next_timestamps(history, file.frequency, horizon),
            values: predicted
                .row(row)
                .iter()
                .take(horizon)
                .map(|v| v * std + mean)
                .collect(),
        })
        .collect())
}

/// Run `xlstm forecast`.
pub fn run(args: ForecastArgs, out: Output) -> Result<()> {
    let file = ModelFile::load(&args.model)?;
    let (kind, model) = model_from_file(&file, &args.model)?;
    let horizon = args.horizon.unwrap_or(file.horizon);
    if horizon == 0 || horizon > file.horizon {
        return Err(Error::usage(format!(
            "--horizon {horizon}: this model forecasts 1 to {} steps; fit a model with a longer --horizon for more",
            file.horizon
        )));
    }
    let tails: Vec<(String, i64, Vec<i64>, Vec<f64>)> = match &args.data {
        Some(path) => {
            let mut data_args = args.data_args.clone();
            data_args.time_col = data_args.time_col.or(file.time_column.clone());
            data_args.id_col = data_args.id_col.or(file.id_column.clone());
            if data_args.target.is_none() {
                data_args.target = Some(file.targets.join(","));
            }
            let (dataset, _) = load(path, &load_options(&data_args)?)?;
            dataset
                .series
                .into_iter()
                .map(|s| (s.id, *s.time.last().unwrap_or(&0), s.time, s.values))
                .collect()
        }
        None => file
            .series
            .iter()
            .map(|s| {
                let history = history_times(s.last_time, s.tail.len(), &file);
                (s.id.clone(), s.last_time, history, s.tail.clone())
            })
            .collect(),
    };
    let forecasts = forecast(&file, &model, &tails, horizon)?;
    out.detail(&format!(
        "{} forecast for {} series, {horizon} steps",
        kind.name(),
        forecasts.len()
    ));
    let several = forecasts.len() > 1 || file.id_column.is_some();
    let mut ids = Vec::new();
    let mut stamps = Vec::new();
    let mut values = Vec::new();
    for f in &forecasts {
        for (t, v) in f.times.iter().zip(&f.values) {
            ids.push(Some(f.id.clone()));
            stamps.push(Some(*t));
            values.push(Some(*v));
        }
    }
    let rows = values.len();
    let mut names = Vec::new();
    let mut columns = Vec::new();
    if several {
        names.push("id".to_string());
        columns.push(Column::Text(ids));
    }
    names.extend(["timestamp".to_string(), "forecast".to_string()]);
    columns.push(Column::Time(stamps, file.time_kind));
    columns.push(Column::Number(values));
    let table = Table::new(names, columns)?;
    match &args.out {
        Some(path) => {
            write_table(path, &table)?;
            out.note(&format!("wrote {rows} forecasts to {}", path.display()));
        }
        None => write_csv(std::io::stdout().lock(), &table)?,
    }
    Ok(())
}

/// The regular times of a stored tail of `n` values ending at `last` (for the calendar logic of
/// `next_timestamps`, which looks at the history).
fn history_times(last: i64, n: usize, file: &ModelFile) -> Vec<i64> {
    match file.frequency {
        crate::data::Frequency::Seconds(step) => {
            (0..n as i64).map(|k| last - (n as i64 - 1 - k) * step).collect()
        }
        _ => vec![last],
    }
}
