//! Plain-text metric tables for stderr.

use crate::metrics::{Metric, ModelMetrics};

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
/// and MAE on standardised values).
pub fn metrics_table(rows: &[ModelMetrics]) -> String {
    let mut header = vec!["model".to_string()];
    header.extend(Metric::ALL.map(|m| m.heading().to_string()));
    let mut cells = vec![header];
    for row in rows {
        let mut line = vec![row.model.clone()];
        line.extend(Metric::ALL.map(|m| cell(m.of(&row.metrics))));
        cells.push(line);
    }
    render(&cells)
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
