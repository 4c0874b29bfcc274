//! What the `--plot` options of `fit`, `forecast` and `compare` share: which series to draw and
//! the forecast panel of one test window. Drawing itself is in [`crate::plot`].

use crate::data::window::{ScaledSplit, WindowSet};
use crate::data::{Dataset, TimeKind};
use crate::error::{Error, Result};
use crate::model::Fitted;
use crate::plot::{ForecastPanel, Section, MAX_PANELS};

/// Indices of the series to draw: `--series ID`, or the first few.
pub fn plotted_series(ids: &[&str], wanted: Option<&str>) -> Result<Vec<usize>> {
    match wanted {
        None => Ok((0..ids.len().min(MAX_PANELS)).collect()),
        Some(id) => ids.iter().position(|s| *s == id).map(|i| vec![i]).ok_or_else(|| {
            let shown: Vec<&str> = ids.iter().take(10).copied().collect();
            Error::usage(format!(
                "--series '{id}' is not in the data (series: {}{})",
                shown.join(", "),
                if ids.len() > 10 { ", ..." } else { "" }
            ))
        }),
    }
}

/// The last window of series `s` in `windows`, if it has one.
pub fn last_window(windows: &WindowSet, s: usize) -> Option<usize> {
    windows.starts.iter().rposition(|(series, _)| *series == s)
}

/// A panel for window `index` of `windows`: its input as history, its targets as actual values,
/// each model's forecast and the first model's prediction intervals, all in data units with
/// their times.
pub fn window_panel(
    dataset: &Dataset,
    split: &ScaledSplit,
    windows: &WindowSet,
    index: usize,
    models: &[(String, &Fitted)],
) -> ForecastPanel {
    let (s, t) = windows.starts[index];
    let (l, h) = (windows.lookback, windows.horizon);
    let series = &dataset.series[s];
    let scaler = split.scalers[s];
    let points = |range: std::ops::Range<usize>| -> Vec<(i64, f64)> {
        range.map(|r| (series.time[r], series.values[r])).collect()
    };
    let mut input = ndarray::Array2::zeros((1, windows.width())); // (1, L·(1 + C))
    windows.input_into(index, input.as_slice_mut().expect("standard layout"));
    let time = |j: usize| series.time[t + l + j];
    let mut bands = Vec::new();
    let mut forecasts = Vec::with_capacity(models.len());
    for (k, (name, model)) in models.iter().enumerate() {
        let forecast = model.forecast(input.view()); // (1, H) and bands
        let line = (0..h)
            .map(|j| (time(j), scaler.unscale(forecast.point[[0, j]])))
            .collect();
        forecasts.push((name.clone(), line));
        if k == 0 {
            bands = forecast
                .bands
                .iter()
                .map(|b| {
                    let bounds = (0..h).map(|j| {
                        let (lower, upper) = (b.lower[[0, j]], b.upper[[0, j]]);
                        (time(j), scaler.unscale(lower), scaler.unscale(upper))
                    });
                    (b.level, bounds.collect())
                })
                .collect();
        }
    }
    ForecastPanel {
        name: series.id.clone(),
        history: points(t..t + l),
        actual: points(t + l..t + l + h),
        forecasts,
        bands,
    }
}

/// The forecast section of a figure for `panels` of data with these times and targets.
pub fn forecast_section(
    time_kind: TimeKind,
    time_column: Option<&str>,
    targets: &[String],
    panels: Vec<ForecastPanel>,
) -> Section {
    let time_label = match time_column {
        Some(c) => format!("time ({c})"),
        None => "row".to_string(),
    };
    Section::Forecasts {
        time_kind,
        time_label,
        value_label: targets.join(", "),
        panels,
    }
}

/// The forecast section of a figure for `panels` of `dataset`.
pub fn dataset_section(dataset: &Dataset, panels: Vec<ForecastPanel>) -> Section {
    forecast_section(
        dataset.time_kind,
        dataset.time_column.as_deref(),
        &dataset.targets,
        panels,
    )
}

/// The file name of `path`, for titles.
pub fn file_name(path: &std::path::Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| path.display().to_string())
}
