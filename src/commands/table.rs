//! Plain-text metric tables for stderr.

use crate::metrics::{Metric, Metrics, ModelMetrics};

/// Format a number for a table cell: NaN as "n/a", otherwise 4 significant decimals.
pub fn cell(x: f64) -> String {
    if x.is_nan() {
        "n/a".to_string()
    } else if x.abs() >= 1000.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.4}")
    }
}

/// A table with one row per model and a column per metric (MAE, RMSE, MAPE, sMAPE, MASE, MSE
/// and MAE on standardised values), then the interval scores when the models have intervals.
pub fn metrics_table(rows: &[ModelMetrics]) -> String {
    let metrics: Vec<&Metrics> = rows.iter().map(|r| &r.metrics).collect();
    let mut header = vec!["model".to_string()];
    header.extend(Metric::ALL.map(|m| m.heading().to_string()));
    header.extend(interval_headings(&metrics));
    let mut cells = vec![header];
    for row in rows {
        let mut line = vec![row.model.clone()];
        line.extend(Metric::ALL.map(|m| cell(m.of(&row.metrics))));
        line.extend(interval_cells(&row.metrics, &metrics));
        cells.push(line);
    }
    render(&cells)
}

/// The headings of the interval scores of `all` (those of the first model with intervals:
/// `cov80`, `MSIS80`, ..., `CRPS`).
pub fn interval_headings(all: &[&Metrics]) -> Vec<String> {
    interval_columns(all)
        .into_iter()
        .map(|(_, heading, _)| heading)
        .collect()
}

/// The keys, headings and values of the interval scores shown for `all`.
fn interval_columns(all: &[&Metrics]) -> Vec<(String, String, f64)> {
    all.iter()
        .map(|m| m.intervals.columns())
        .find(|c| !c.is_empty())
        .unwrap_or_default()
}

/// The cells of `metrics`' interval scores under [`interval_headings`] of `all` ("n/a" where it
/// has none).
pub fn interval_cells(metrics: &Metrics, all: &[&Metrics]) -> Vec<String> {
    let own = metrics.intervals.columns();
    interval_columns(all)
        .iter()
        .map(|(key, _, _)| {
            let value = own.iter().find(|(k, _, _)| k == key).map_or(f64::NAN, |c| c.2);
            cell(value)
        })
        .collect()
}

/// Align columns: the first left-aligned, the rest right-aligned.
pub fn render(cells: &[Vec<String>]) -> String {
    let columns = cells.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            cells
                .iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in cells {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, s)| {
                if c == 0 {
                    format!("{s:<w$}", w = widths[c])
                } else {
                    format!("{s:>w$}", w = widths[c])
                }
            })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}
