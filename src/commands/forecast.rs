//! `xlstm forecast`: the H steps after the end of the data, with their timestamps.

use crate::cli::ForecastArgs;
use crate::commands::setup::load_for_modelling;
use crate::commands::{figures, Output};
use crate::data::io::{write_csv, write_table};
use crate::data::table::{Column, Table};
use crate::data::TimeFormat;
use crate::error::{Error, Result};
use crate::pipeline::{self, forecast, History};
use crate::plot::{self, ForecastPanel};

/// Run `xlstm forecast`.
pub fn run(args: ForecastArgs, out: Output) -> Result<()> {
    if let Some(path) = &args.out {
        crate::data::io::ensure_replaceable(path, args.force, "--out")?;
    }
    let (file, fitted) = pipeline::load(&args.model)?;
    let kind = file.kind();
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
            let (dataset, _) = load_for_modelling(path, &data_args, out)?;
            History::of(dataset)
        }
        None => History::stored(&file),
    };
    let forecasts = forecast(&file, &fitted, &histories, horizon)?;
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
                }
            })
            .collect();
        let section =
            figures::forecast_section(file.time_kind, file.time_column.as_deref(), &file.targets, panels);
        let title = format!("{} forecast, {horizon} steps ahead", kind.name());
        plot::write(path, args.plot.plot_size, &title, &[section])?;
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
