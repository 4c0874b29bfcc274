//! `xlstm forecast`: the H steps after the end of the data, with their timestamps.

use crate::cli::ForecastArgs;
use crate::commands::setup::{load_for_modelling, load_options};
use crate::commands::{bound_names, figures, print_stdout, Output};
use crate::data::covariates::{calendar_part, CalendarRequest, CovariateKind};
use crate::data::io::{write_csv, write_table};
use crate::data::table::{Column, Table};
use crate::data::TimeFormat;
use crate::error::{Error, Result};
use crate::model::Fitted;
use crate::model_file::ModelFile;
use crate::pipeline::{self, forecast, FutureValues, History, SeriesForecast};
use crate::plot::{self, ForecastPanel};

/// Run `xlstm forecast`.
pub fn run(args: ForecastArgs, out: Output) -> Result<()> {
    let (file, mut fitted) = pipeline::load(&args.model)?;
    if let Some(path) = &args.out {
        crate::data::io::ensure_replaceable(path, args.force, "--out")?;
    }
    let kind = file.kind();
    select_levels(&mut fitted, &args.level)?;
    let horizon = args.horizon.unwrap_or(file.horizon);
    if horizon > file.horizon {
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
                data_args.time_format = TimeFormat::from_pattern(read).ok();
            }
            if data_args.target.is_empty() {
                data_args.target = file.targets.clone();
            }
            // the model's covariates, read as it was fitted
            data_args.covariates = covariate_columns(&file, CovariateKind::Past);
            data_args.future_covariates = covariate_columns(&file, CovariateKind::Future);
            data_args.calendar = calendar_of(&file);
            let (dataset, _) = load_for_modelling(path, &data_args, out)?;
            History::of(dataset)
        }
        None => History::stored(&file),
    };
    let future = match &args.future {
        Some(path) => Some(FutureValues::read(path, &file, &load_options(&args.data_args))?),
        None => None,
    };
    let forecasts = forecast(&file, &fitted, &histories, future.as_ref(), horizon)?;
    out.detail(&format!(
        "{} forecast for {} series, {horizon} steps",
        kind.name(),
        forecasts.len()
    ));
    if let Some(path) = &args.plot.plot {
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
                    bands: f
                        .bands
                        .iter()
                        .map(|b| {
                            let points = (f.times.iter().zip(&b.lower).zip(&b.upper))
                                .map(|((t, lo), hi)| (*t, *lo, *hi))
                                .collect();
                            (b.level, points)
                        })
                        .collect(),
                }
            })
            .collect();
        let section =
            figures::forecast_section(file.time_kind, file.time_column.as_deref(), &file.targets, panels);
        let title = format!("{} forecast, {horizon} steps ahead", kind.name());
        plot::write(path, args.plot.plot_size, &title, &[section])?;
        out.note(&format!("wrote the plot to {}", path.display()));
    }
    let table = forecast_table(&file, &forecasts)?;
    let rows = table.rows();
    match &args.out {
        Some(path) => {
            write_table(path, &table)?;
            out.note(&format!("wrote {rows} forecasts to {}", path.display()));
        }
        None => {
            let mut csv = Vec::new();
            write_csv(&mut csv, &table)?;
            print_stdout(&csv)?;
        }
    }
    Ok(())
}

/// The names of the model's covariate columns of `kind`.
fn covariate_columns(file: &ModelFile, kind: CovariateKind) -> Vec<String> {
    file.covariates
        .iter()
        .filter(|c| c.kind == kind)
        .map(|c| c.name.clone())
        .collect()
}

/// The calendar features the model reads (each has a sine and a cosine channel).
fn calendar_of(file: &ModelFile) -> CalendarRequest {
    let mut features = Vec::new();
    for c in &file.covariates {
        if let Some((feature, _)) = calendar_part(&c.name).filter(|_| c.kind == CovariateKind::Calendar) {
            if !features.contains(&feature) {
                features.push(feature);
            }
        }
    }
    if features.is_empty() {
        CalendarRequest::None
    } else {
        CalendarRequest::Features(features)
    }
}

/// Keep the model's intervals at the `--level` levels (all without the flag; none for `none`).
fn select_levels(fitted: &mut Fitted, wanted: &[Option<f64>]) -> Result<()> {
    if wanted.contains(&None) {
        if wanted.len() > 1 {
            return Err(Error::usage("--level none cannot be combined with levels"));
        }
        return fitted.set_intervals(None);
    }
    let levels: Vec<f64> = wanted.iter().flatten().copied().collect();
    match fitted.intervals() {
        None if !levels.is_empty() => Err(Error::usage(
            "--level: this model has no prediction intervals; fit it with --level (e.g. --level 80,95)",
        )),
        None => Ok(()),
        Some(intervals) => {
            let chosen = intervals.select(&levels)?;
            fitted.set_intervals(Some(chosen))
        }
    }
}

/// The forecasts as a table: `id` (panels), `timestamp`, `forecast`, then `lo-ℓ` and `hi-ℓ` of
/// each level.
fn forecast_table(file: &ModelFile, forecasts: &[SeriesForecast]) -> Result<Table> {
    let several = forecasts.len() > 1 || file.id_column.is_some();
    let levels: Vec<f64> = forecasts
        .first()
        .map(|f| f.bands.iter().map(|b| b.level).collect())
        .unwrap_or_default();
    let mut ids = Vec::new();
    let mut stamps = Vec::new();
    let mut values = Vec::new();
    let mut bounds: Vec<Vec<Option<f64>>> = vec![Vec::new(); 2 * levels.len()];
    for f in forecasts {
        for (step, (t, v)) in f.times.iter().zip(&f.values).enumerate() {
            ids.push(Some(f.id.clone()));
            stamps.push(Some(*t));
            values.push(Some(*v));
            let row = f.bands.iter().flat_map(|b| [b.lower[step], b.upper[step]]);
            for (column, value) in bounds.iter_mut().zip(row) {
                column.push(Some(value));
            }
        }
    }
    let mut names = Vec::new();
    let mut columns = Vec::new();
    if several {
        names.push("id".to_string());
        columns.push(Column::Text(ids));
    }
    names.extend(["timestamp".to_string(), "forecast".to_string()]);
    columns.push(Column::styled_times(stamps, file.time_kind, &file.time_format));
    columns.push(Column::Number(values));
    names.extend(bound_names(&levels));
    columns.extend(bounds.into_iter().map(Column::Number));
    Table::new(names, columns)
}
