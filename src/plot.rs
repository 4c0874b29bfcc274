//! Figures: forecasts against actual values, training and validation loss per epoch, the
//! error by horizon step, and measured lines such as the training time of `xlstm bench --sweep`.
//! PNG or SVG by the file's extension, written atomically. Text is drawn with DejaVu Sans from
//! the `dejavu` crate, so no system font is needed. This is the only module that uses plotters.

use std::path::Path;
use std::sync::Once;

use plotters::chart::MeshStyle;
use plotters::coord::ranged1d::{AsRangedCoord, Ranged};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::data::io::write_atomic;
use crate::data::time::{civil_from_days, days_from_civil, format_timestamp};
use crate::data::TimeKind;
use crate::error::{Error, Result};
use crate::nn::train::EpochReport;

/// The font family every text uses (registered from the embedded DejaVu Sans).
const FONT: &str = "sans-serif";
/// Width of the legend column to the right of each chart, in pixels.
const LEGEND_WIDTH: u32 = 170;
/// Line colours (the "tab10" palette), one per model.
const COLOURS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
    RGBColor(127, 127, 127),
];
/// Colour of the observed values.
const OBSERVED: RGBColor = RGBColor(0, 0, 0);
/// Series panels drawn at most in a grid.
pub const MAX_PANELS: usize = 4;

/// The colour of the `i`-th model line.
pub fn colour(i: usize) -> RGBColor {
    COLOURS[i % COLOURS.len()]
}

/// One series: the history the models saw, the actual values after it and each model's forecast.
#[derive(Debug, Clone, Default)]
pub struct ForecastPanel {
    /// Series name shown above the panel.
    pub name: String,
    /// `(time, value)` before the forecast origin.
    pub history: Vec<(i64, f64)>,
    /// `(time, value)` actually observed over the forecast steps (empty for future forecasts).
    pub actual: Vec<(i64, f64)>,
    /// `(model, [(time, value)])` forecasts.
    pub forecasts: Vec<(String, Vec<(i64, f64)>)>,
    /// Prediction intervals of the first forecast, by ascending level.
    pub bands: Vec<BandPoints>,
}

/// One prediction interval in a panel: its level (percent) and `(time, lower, upper)` points.
pub type BandPoints = (f64, Vec<(i64, f64, f64)>);

/// One part of a figure, stacked top to bottom.
#[derive(Debug, Clone)]
pub enum Section {
    /// Forecast panels in a grid (at most [`MAX_PANELS`]).
    Forecasts {
        /// How times are written on the x axis.
        time_kind: TimeKind,
        /// x axis description (the time column).
        time_label: String,
        /// y axis description (the target and its units).
        value_label: String,
        /// The panels.
        panels: Vec<ForecastPanel>,
    },
    /// Training and validation loss per epoch.
    Loss(Vec<EpochReport>),
    /// Mean absolute error by horizon step, one line per model.
    HorizonErrors {
        /// y axis description.
        value_label: String,
        /// `(model, MAE of steps 1..=H)`.
        lines: Vec<(String, Vec<f64>)>,
    },
    /// Measured points joined by lines, one per model, on axes that start at zero (so that a
    /// proportional cost is a straight line through the origin).
    Lines {
        /// Chart caption.
        caption: String,
        /// x axis description.
        x_label: String,
        /// y axis description.
        y_label: String,
        /// `(model, [(x, y)])`.
        lines: Vec<(String, Vec<(f64, f64)>)>,
    },
}

/// Parse a `WIDTHxHEIGHT` size such as `1200x800`.
pub fn parse_size(text: &str) -> Result<(u32, u32)> {
    let bad = || {
        Error::usage(format!(
            "--plot-size '{text}' must be WIDTHxHEIGHT in pixels, each 200 to 8000, e.g. 1200x800"
        ))
    };
    let (w, h) = text
        .to_ascii_lowercase()
        .split_once('x')
        .ok_or_else(bad)
        .and_then(|(w, h)| {
            Ok((
                w.trim().parse::<u32>().map_err(|_| bad())?,
                h.trim().parse::<u32>().map_err(|_| bad())?,
            ))
        })?;
    if !(200..=8000).contains(&w) || !(200..=8000).contains(&h) {
        return Err(bad());
    }
    Ok((w, h))
}

/// Whether `path` names a PNG or SVG file; a usage error otherwise.
pub fn check_path(path: &Path) -> Result<()> {
    match extension(path).as_deref() {
        Some("png") | Some("svg") => Ok(()),
        _ => Err(Error::usage(format!(
            "--plot '{}': use a file name ending in .png or .svg",
            path.display()
        ))),
    }
}

fn extension(path: &Path) -> Option<String> {
    path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase())
}

fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // the bytes are valid TrueType fonts shipped by the dejavu crate
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

fn plot_error(e: impl std::fmt::Display) -> Error {
    Error::runtime(format!("cannot draw the plot: {e}"))
}

/// Draw `sections` under `title` into `path` (`.png` or `.svg`) of `size` pixels, atomically.
pub fn write(path: &Path, size: (u32, u32), title: &str, sections: &[Section]) -> Result<()> {
    check_path(path)?;
    register_fonts();
    if extension(path).as_deref() == Some("svg") {
        let mut text = String::new();
        {
            let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
            draw(&root, title, sections)?;
            root.present().map_err(plot_error)?;
        }
        return write_atomic(path, text.as_bytes());
    }
    // the bitmap backend encodes by the extension, so the temporary file ends in .png
    let name = path
        .file_name()
        .ok_or_else(|| Error::usage(format!("'{}' is not a file name", path.display())))?;
    let temp = path.with_file_name(format!(
        ".{}.{}.tmp.png",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        {
            let root = BitMapBackend::new(&temp, size).into_drawing_area();
            draw(&root, title, sections)?;
            root.present().map_err(plot_error)?;
        }
        std::fs::rename(&temp, path).map_err(|e| Error::io(path, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, title: &str, sections: &[Section]) -> Result<()> {
    root.fill(&WHITE).map_err(plot_error)?;
    let (_, height) = root.dim_in_pixel();
    let title_size = (height as f64 / 32.0).clamp(16.0, 30.0);
    let body = root
        .titled(title, (FONT, title_size).into_font().style(FontStyle::Bold))
        .map_err(plot_error)?;
    // forecast sections get more room than the line charts below them
    let weights: Vec<u32> = sections
        .iter()
        .map(|s| {
            if matches!(s, Section::Forecasts { .. }) {
                3
            } else {
                2
            }
        })
        .collect();
    let total: u32 = weights.iter().sum::<u32>().max(1);
    let (_, body_height) = body.dim_in_pixel();
    let mut rest = body;
    for (i, (section, weight)) in sections.iter().zip(&weights).enumerate() {
        let area = if i + 1 == sections.len() {
            rest.clone()
        } else {
            let (top, bottom) = rest.split_vertically(body_height * weight / total);
            rest = bottom;
            top
        };
        match section {
            Section::Forecasts {
                time_kind,
                time_label,
                value_label,
                panels,
            } => forecasts(&area, *time_kind, time_label, value_label, panels)?,
            Section::Loss(history) => loss(&area, history)?,
            Section::HorizonErrors { value_label, lines } => horizon(&area, value_label, lines)?,
            Section::Lines {
                caption,
                x_label,
                y_label,
                lines,
            } => measured(&area, (caption, x_label, y_label), lines)?,
        }
    }
    Ok(())
}

/// A legend column: a short line in each colour and its label.
fn legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, entries: &[(String, ShapeStyle)]) -> Result<()> {
    let style = (FONT, 15).into_font();
    for (i, (label, line)) in entries.iter().enumerate() {
        let y = 30 + 22 * i as i32;
        area.draw(&PathElement::new(vec![(8, y), (36, y)], *line))
            .map_err(plot_error)?;
        area.draw(&Text::new(label.clone(), (44, y - 8), style.clone()))
            .map_err(plot_error)?;
    }
    Ok(())
}

/// A section's chart column and, to its right, its legend column.
fn split_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
) -> (DrawingArea<DB, Shift>, DrawingArea<DB, Shift>) {
    let (width, _) = area.dim_in_pixel();
    area.split_horizontally(width.saturating_sub(LEGEND_WIDTH))
}

/// A chart on `x` × `y` coordinates.
type Chart<'a, DB, X, Y> = ChartContext<
    'a,
    DB,
    Cartesian2d<<X as AsRangedCoord>::CoordDescType, <Y as AsRangedCoord>::CoordDescType>,
>;

/// A chart in the house style: its caption above, margins, room for the axis labels.
fn new_chart<'a, DB: DrawingBackend, X: AsRangedCoord, Y: AsRangedCoord>(
    area: &'a DrawingArea<DB, Shift>,
    caption: &str,
    x: X,
    y: Y,
) -> Result<Chart<'a, DB, X, Y>> {
    ChartBuilder::on(area)
        .caption(caption, (FONT, 18))
        .margin(10)
        .margin_right(25)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(x, y)
        .map_err(plot_error)
}

/// The house style of a chart's mesh: six y labels, the axis descriptions, fonts, light grid.
fn styled<'m, 'a, 'b, X: Ranged, Y: Ranged, DB: DrawingBackend>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
    x_desc: &str,
    y_desc: &str,
) -> &'m mut MeshStyle<'a, 'b, X, Y, DB> {
    mesh.y_labels(6)
        .x_desc(x_desc)
        .y_desc(y_desc)
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 15))
        .light_line_style(RGBColor(246, 246, 246))
}

/// The `[min, max]` of `values` padded by 5 % (a unit range around a constant).
fn padded_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = if hi > lo {
        0.05 * (hi - lo)
    } else {
        0.5 * lo.abs().max(1.0)
    };
    (lo - pad, hi + pad)
}

/// How much of a time an axis label shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TickUnit {
    /// A plain number (row numbers).
    Number,
    /// `YYYY-MM-DD HH:MM`.
    Minutes,
    /// `YYYY-MM-DD`.
    Days,
    /// `YYYY-MM`.
    Months,
    /// `YYYY`.
    Years,
}

/// At most `max` axis ticks between `t0` and `t1` on round calendar times: whole hours aligned
/// to midnight, days, Mondays, first days of months or years; round numbers for row numbers.
fn time_ticks(t0: i64, t1: i64, kind: TimeKind, max: usize) -> (Vec<i64>, TickUnit) {
    let max = max.max(2) as i64;
    let span = (t1 - t0).max(1);
    let multiples = |step: i64, offset: i64| -> Vec<i64> {
        let first = (t0 - offset).div_euclid(step) * step + offset;
        let first = if first < t0 { first + step } else { first };
        (0..).map(|k| first + k * step).take_while(|t| *t <= t1).collect()
    };
    if kind == TimeKind::RowNumber {
        let mut step = 1i64;
        while span / step > max {
            step = match step.to_string().chars().next() {
                Some('1') => step * 2,
                Some('2') => step / 2 * 5,
                _ => step * 2,
            };
        }
        return (multiples(step, 0), TickUnit::Number);
    }
    const HOUR: i64 = 3600;
    const DAY: i64 = 86_400;
    let fixed = [
        60,
        300,
        900,
        1800,
        HOUR,
        2 * HOUR,
        3 * HOUR,
        6 * HOUR,
        12 * HOUR,
        DAY,
        2 * DAY,
        7 * DAY,
        14 * DAY,
    ];
    if let Some(&step) = fixed.iter().find(|&&s| span / s < max) {
        let unit = if step < DAY && kind == TimeKind::DateTime {
            TickUnit::Minutes
        } else {
            TickUnit::Days
        };
        // weeks start on Mondays (1970-01-05)
        let offset = if step % (7 * DAY) == 0 { 4 * DAY } else { 0 };
        return (multiples(step, offset), unit);
    }
    let (y0, m0, _) = civil_from_days(t0.div_euclid(DAY));
    let months_step = [1u32, 2, 3, 6, 12, 24, 60, 120, 600]
        .into_iter()
        .find(|m| span / (*m as i64 * 30 * DAY) < max)
        .unwrap_or(1200);
    let mut ticks = Vec::new();
    let (mut y, mut m) = (y0, m0);
    if months_step < 12 {
        m = (m - 1) / months_step * months_step + 1;
    } else {
        m = 1;
        y = y.div_euclid(months_step as i64 / 12) * (months_step as i64 / 12);
    }
    loop {
        let t = days_from_civil(y, m, 1) * DAY;
        if t > t1 {
            break;
        }
        if t >= t0 {
            ticks.push(t);
        }
        let next = m - 1 + months_step;
        y += (next / 12) as i64;
        m = next % 12 + 1;
    }
    let unit = if months_step >= 12 {
        TickUnit::Years
    } else {
        TickUnit::Months
    };
    (ticks, unit)
}

/// The text of an axis tick at time `t`.
fn tick_label(t: i64, kind: TimeKind, unit: TickUnit) -> String {
    let text = format_timestamp(t, kind);
    match unit {
        TickUnit::Number => text,
        TickUnit::Minutes => text.chars().take(16).collect(),
        TickUnit::Days => text.chars().take(10).collect(),
        TickUnit::Months => text.chars().take(7).collect(),
        TickUnit::Years => text.chars().take(4).collect(),
    }
}

fn finite(points: &[(i64, f64)]) -> Vec<(i64, f64)> {
    points.iter().copied().filter(|(_, v)| v.is_finite()).collect()
}

fn forecasts<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    kind: TimeKind,
    time_label_text: &str,
    value_label: &str,
    panels: &[ForecastPanel],
) -> Result<()> {
    let (charts, legend_area) = split_legend(area);
    let panels = &panels[..panels.len().min(MAX_PANELS)];
    let grid = match panels.len() {
        0 | 1 => (1, 1),
        2 => (1, 2),
        _ => (2, 2),
    };
    let cells = charts.split_evenly(grid);
    let history_style = ShapeStyle::from(&RGBColor(120, 120, 120)).stroke_width(2);
    let actual_style = ShapeStyle::from(&OBSERVED).stroke_width(3);
    let model_style = |i: usize| ShapeStyle::from(&colour(i)).stroke_width(2);
    for (panel, cell) in panels.iter().zip(&cells) {
        let times = panel
            .history
            .iter()
            .chain(&panel.actual)
            .chain(panel.forecasts.iter().flat_map(|(_, p)| p))
            .map(|(t, _)| *t);
        let (t0, t1) = times.fold((i64::MAX, i64::MIN), |(a, b), t| (a.min(t), b.max(t)));
        let (t0, t1) = if t0 <= t1 { (t0, t1.max(t0 + 1)) } else { (0, 1) };
        let band_values = panel
            .bands
            .iter()
            .flat_map(|(_, b)| b.iter().flat_map(|(_, lo, hi)| [*lo, *hi]));
        let (y0, y1) = padded_range(
            panel
                .history
                .iter()
                .chain(&panel.actual)
                .chain(panel.forecasts.iter().flat_map(|(_, p)| p))
                .map(|(_, v)| *v)
                .chain(band_values),
        );
        let (ticks, unit) = time_ticks(t0, t1, kind, if grid.1 > 1 { 3 } else { 5 });
        let formatter = |t: &i64| tick_label(*t, kind, unit);
        let mut chart = new_chart(cell, &panel.name, (t0..t1).with_key_points(ticks), y0..y1)?;
        styled(
            chart.configure_mesh().x_label_formatter(&formatter),
            time_label_text,
            value_label,
        )
        .draw()
        .map_err(plot_error)?;
        // the widest band first, so the narrower ones are drawn darker on top of it
        for (k, (_, bounds)) in panel.bands.iter().enumerate().rev() {
            chart
                .draw_series(std::iter::once(Polygon::new(
                    band_outline(bounds),
                    band_style(k, panel.bands.len()),
                )))
                .map_err(plot_error)?;
        }
        chart
            .draw_series(LineSeries::new(finite(&panel.history), history_style))
            .map_err(plot_error)?;
        if !panel.actual.is_empty() {
            // join the actual values to the last observation so the line is continuous
            let joined: Vec<(i64, f64)> = panel
                .history
                .last()
                .into_iter()
                .chain(&panel.actual)
                .copied()
                .collect();
            chart
                .draw_series(LineSeries::new(finite(&joined), actual_style))
                .map_err(plot_error)?;
        }
        for (i, (_, points)) in panel.forecasts.iter().enumerate() {
            chart
                .draw_series(LineSeries::new(finite(points), model_style(i)))
                .map_err(plot_error)?;
        }
    }
    let mut entries = vec![("history".to_string(), history_style)];
    if panels.iter().any(|p| !p.actual.is_empty()) {
        entries.push(("actual".to_string(), actual_style));
    }
    if let Some(first) = panels.first() {
        for (i, (name, _)) in first.forecasts.iter().enumerate() {
            entries.push((name.clone(), model_style(i)));
        }
        for (k, (level, _)) in first.bands.iter().enumerate() {
            let style = band_style(k, first.bands.len()).stroke_width(10);
            entries.push((
                format!("{} % interval", crate::metrics::level_name(*level)),
                style,
            ));
        }
    }
    legend(&legend_area, &entries)
}

/// The fill of band `k` of `count` (ascending levels): the first model's colour, lighter for
/// wider intervals.
fn band_style(k: usize, count: usize) -> ShapeStyle {
    let opacity = 0.35 - 0.2 * (k as f64) / (count.max(2) - 1) as f64;
    colour(0).mix(opacity).filled()
}

/// The outline of a band: the upper bounds forward, then the lower bounds back.
fn band_outline(bounds: &[(i64, f64, f64)]) -> Vec<(i64, f64)> {
    let finite = bounds
        .iter()
        .filter(|(_, lo, hi)| lo.is_finite() && hi.is_finite());
    let upper = finite.clone().map(|(t, _, hi)| (*t, *hi));
    let lower = finite.rev().map(|(t, lo, _)| (*t, *lo));
    upper.chain(lower).collect()
}

fn loss<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, history: &[EpochReport]) -> Result<()> {
    let (chart_area, legend_area) = split_legend(area);
    let epochs = history.len().max(2) as i64;
    let (y0, y1) = padded_range(history.iter().flat_map(|r| [r.train_loss, r.val_loss]));
    let caption = "loss per epoch (standardised values)";
    let mut chart = new_chart(&chart_area, caption, 1..epochs, y0.max(0.0)..y1)?;
    styled(
        chart.configure_mesh().x_labels((epochs as usize).min(10)),
        "epoch",
        "loss",
    )
    .draw()
    .map_err(plot_error)?;
    let train_style = ShapeStyle::from(&colour(0)).stroke_width(2);
    let val_style = ShapeStyle::from(&colour(1)).stroke_width(2);
    let points = |f: fn(&EpochReport) -> f64| -> Vec<(i64, f64)> {
        history
            .iter()
            .map(|r| (r.epoch as i64, f(r)))
            .filter(|(_, v)| v.is_finite())
            .collect()
    };
    chart
        .draw_series(LineSeries::new(points(|r| r.train_loss), train_style))
        .map_err(plot_error)?;
    chart
        .draw_series(LineSeries::new(points(|r| r.val_loss), val_style))
        .map_err(plot_error)?;
    legend(
        &legend_area,
        &[
            ("training".to_string(), train_style),
            ("validation".to_string(), val_style),
        ],
    )
}

fn horizon<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    value_label: &str,
    lines: &[(String, Vec<f64>)],
) -> Result<()> {
    let (chart_area, legend_area) = split_legend(area);
    let steps = lines.iter().map(|(_, v)| v.len()).max().unwrap_or(1).max(2) as i64;
    let (y0, y1) = padded_range(lines.iter().flat_map(|(_, v)| v.iter().copied()));
    let mut chart = new_chart(&chart_area, "error by horizon step", 1..steps, y0.max(0.0)..y1)?;
    styled(
        chart.configure_mesh().x_labels((steps as usize).min(12)),
        "steps ahead",
        value_label,
    )
    .draw()
    .map_err(plot_error)?;
    let mut entries = Vec::new();
    for (i, (name, values)) in lines.iter().enumerate() {
        let style = ShapeStyle::from(&colour(i)).stroke_width(2);
        let points: Vec<(i64, f64)> = values
            .iter()
            .enumerate()
            .map(|(s, v)| (s as i64 + 1, *v))
            .filter(|(_, v)| v.is_finite())
            .collect();
        chart
            .draw_series(LineSeries::new(points, style))
            .map_err(plot_error)?;
        entries.push((name.clone(), style));
    }
    legend(&legend_area, &entries)
}

fn measured<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (caption, x_label, y_label): (&str, &str, &str),
    lines: &[(String, Vec<(f64, f64)>)],
) -> Result<()> {
    let (chart_area, legend_area) = split_legend(area);
    let points = || lines.iter().flat_map(|(_, p)| p.iter().copied());
    let (_, x1) = padded_range(points().map(|(x, _)| x).chain([0.0]));
    let (_, y1) = padded_range(points().map(|(_, y)| y).chain([0.0]));
    let mut chart = new_chart(&chart_area, caption, 0.0..x1, 0.0..y1)?;
    let whole = |x: &f64| {
        if x.fract() == 0.0 {
            format!("{x:.0}")
        } else {
            format!("{x}")
        }
    };
    styled(
        chart.configure_mesh().x_labels(8).x_label_formatter(&whole),
        x_label,
        y_label,
    )
    .draw()
    .map_err(plot_error)?;
    let mut entries = Vec::new();
    for (i, (name, values)) in lines.iter().enumerate() {
        let style = ShapeStyle::from(&colour(i)).stroke_width(2);
        let points: Vec<(f64, f64)> = values
            .iter()
            .copied()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect();
        chart
            .draw_series(LineSeries::new(points.clone(), style))
            .map_err(plot_error)?;
        chart
            .draw_series(points.iter().map(|p| Circle::new(*p, 4, style.filled())))
            .map_err(plot_error)?;
        entries.push((name.clone(), style));
    }
    legend(&legend_area, &entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_bad_ones_are_usage_errors() {
        assert_eq!(parse_size("1200x800").unwrap(), (1200, 800));
        assert_eq!(parse_size("640X480").unwrap(), (640, 480));
        for bad in ["1200", "x800", "10x10", "axb", "99999x800"] {
            assert_eq!(parse_size(bad).unwrap_err().exit_code(), 2, "{bad}");
        }
    }

    #[test]
    fn only_png_and_svg_are_accepted() {
        assert!(check_path(Path::new("a.png")).is_ok());
        assert!(check_path(Path::new("a.SVG")).is_ok());
        assert_eq!(check_path(Path::new("a.jpg")).unwrap_err().exit_code(), 2);
    }

    #[test]
    fn time_ticks_fall_on_round_calendar_times() {
        let day = 86_400;
        let t0 = crate::data::time::days_from_civil(2024, 4, 27) * day + 5 * 3600;
        let (ticks, unit) = time_ticks(t0, t0 + 2 * day, TimeKind::DateTime, 5);
        assert_eq!(unit, TickUnit::Minutes);
        assert!(ticks.iter().all(|t| t % (12 * 3600) == 0), "{ticks:?}");
        assert_eq!(tick_label(ticks[0], TimeKind::DateTime, unit), "2024-04-27 12:00");
        let jan = crate::data::time::days_from_civil(2020, 1, 15) * day;
        let (ticks, unit) = time_ticks(jan, jan + 700 * day, TimeKind::Date, 5);
        assert_eq!(unit, TickUnit::Months);
        assert_eq!(tick_label(ticks[0], TimeKind::Date, unit), "2020-07");
        let (ticks, _) = time_ticks(3, 95, TimeKind::RowNumber, 5);
        assert_eq!(ticks, vec![20, 40, 60, 80]);
    }

    #[test]
    fn an_svg_has_its_size_and_title_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.svg");
        let sections = [Section::HorizonErrors {
            value_label: "MAE".into(),
            lines: vec![
                ("a".into(), vec![1.0, 2.0, 3.0]),
                ("b".into(), vec![2.0, 2.0, 2.5]),
            ],
        }];
        write(&path, (640, 480), "Title text here", &sections).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("width=\"640\"") && text.contains("height=\"480\""),
            "{}",
            &text[..200]
        );
        assert!(text.contains("Title text here"));
    }
}
