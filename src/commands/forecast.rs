//! `xlstm forecast`: the H steps after the end of the data, with their timestamps.

use std::path::Path;

use ndarray::Array2;

use crate::cli::ForecastArgs;
use crate::commands::setup::load_for_modelling;
use crate::commands::{figures, Output};
use crate::data::io::{write_csv, write_table};
use crate::data::table::{Column, Table};
use crate::data::time::Grid;
use crate::data::window::Scaler;
use crate::data::TimeFormat;
use crate::error::{Error, Result};
use crate::model::{Model, ModelKind};
use crate::model_file::ModelFile;
use crate::plot::{self, ForecastPanel, Section};

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
    )
    .map_err(|e| {
        Error::runtime(format!(
            "{}: {e}; refit the model with `xlstm fit`",
            path.display()
        ))
    })?;
    Ok((kind, model))
}

/// The recent history of one series: what a forecast starts from.
pub struct History {
    /// Series id.
    pub id: String,
    /// Times of the observations (at least the last one; more let calendar steps find month ends).
    pub times: Vec<i64>,
    /// Observations in data units (at least the lookback).
    pub values: Vec<f64>,
}

/// Forecast `horizon` steps after each series' history.
pub fn forecast(
    file: &ModelFile,
    model: &Model,
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
    let predicted = model.predict(inputs.view(), file.horizon); // (S, H)
    Ok(histories
        .iter()
        .zip(scalers)
        .enumerate()
        .map(|(row, (h, scaler))| SeriesForecast {
            id: h.id.clone(),
            times: Grid::new(file.frequency, file.calendar).next_timestamps(&h.times, horizon),
            values: predicted
                .row(row)
                .iter()
                .take(horizon)
                .map(|v| scaler.unscale(*v))
                .collect(),
        })
        .collect())
}

/// Run `xlstm forecast`.
pub fn run(args: ForecastArgs, out: Output) -> Result<()> {
    let plot_size = figures::plot_size(&args.plot)?;
    if let Some(path) = &args.out {
        crate::data::io::ensure_replaceable(path, args.force, "--out")?;
    }
    let file = ModelFile::load(&args.model)?;
    let (kind, model) = model_from_file(&file, &args.model)?;
    let horizon = args.horizon.unwrap_or(file.horizon);
    if horizon == 0 || horizon > file.horizon {
        return Err(Error::usage(format!(
            "--horizon {horizon}: this model forecasts 1 to {} steps; fit a model with a longer --horizon for more",
            file.horizon
        )));
    }
    let histories: Vec<History> = match &args.data {
        Some(path) => {
            let mut data_args = args.data_args.clone();
            data_args.time_col = data_args.time_col.or(file.time_column.clone());
            data_args.id_col = data_args.id_col.or(file.id_column.clone());
            // New data are read the way the training data were, when that was a pattern.
            if let (None, TimeFormat::Pattern { read, .. }) = (&data_args.time_format, &file.time_format) {
                data_args.time_format = Some(read.clone());
            }
            if data_args.target.is_none() {
                data_args.target = Some(file.targets.join(","));
            }
            let (dataset, _) = load_for_modelling(path, &data_args, out)?;
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
        None => file
            .series
            .iter()
            .map(|s| History {
                id: s.id.clone(),
                times: s.times.clone(),
                values: s.tail.clone(),
            })
            .collect(),
    };
    let forecasts = forecast(&file, &model, &histories, horizon)?;
    out.detail(&format!(
        "{} forecast for {} series, {horizon} steps",
        kind.name(),
        forecasts.len()
    ));
    if let (Some(size), Some(path)) = (plot_size, &args.plot.plot) {
        let ids: Vec<&str> = histories.iter().map(|h| h.id.as_str()).collect();
        let panels = figures::plotted_series(&ids, args.plot.series.as_deref())?
            .into_iter()
            .map(|i| {
                let (h, f) = (&histories[i], &forecasts[i]);
                // the lookback the model reads, at least three horizons
                let shown = h
                    .values
                    .len()
                    .min(h.times.len())
                    .min(file.lookback.max(3 * horizon));
                let (from, from_time) = (h.values.len() - shown, h.times.len() - shown);
                ForecastPanel {
                    name: h.id.clone(),
                    history: h.times[from_time..]
                        .iter()
                        .copied()
                        .zip(h.values[from..].iter().copied())
                        .collect(),
                    actual: Vec::new(),
                    forecasts: vec![(
                        kind.name().to_string(),
                        f.times.iter().copied().zip(f.values.iter().copied()).collect(),
                    )],
                }
            })
            .collect();
        let section = Section::Forecasts {
            time_kind: file.time_kind,
            time_label: file
                .time_column
                .as_ref()
                .map_or("row".to_string(), |c| format!("time ({c})")),
            value_label: file.targets.join(", "),
            panels,
        };
        let title = format!("{} forecast, {horizon} steps ahead", kind.name());
        plot::write(path, size, &title, &[section])?;
        out.note(&format!("wrote the plot to {}", path.display()));
    }
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
    columns.push(Column::styled_times(stamps, file.time_kind, &file.time_format));
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
