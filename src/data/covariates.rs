//! Covariates: series that are not forecast but help to forecast a target. Three kinds:
//!
//! - **past-observed** (`--covariates col,col`): other columns of the file, seen through the
//!   lookback only, like the target itself;
//! - **future-known** (`--future-covariates col,col`): other columns whose values over the
//!   horizon are known when the forecast is made (a temperature forecast, a planned promotion);
//!   after the end of the data `xlstm forecast --future FILE` supplies them;
//! - **calendar** (`--calendar auto|none|hour,weekday,...`): sine and cosine of the time's
//!   position in the day, week, month or year ([`crate::data::time::features`]), computed from the
//!   timestamps and so known for any future step.
//!
//! The loader reads covariate columns as extra series with the same checks as targets (missing
//! values, gaps, `--fill`), and [`attach`] then hangs them on the targets of the same id, aligned
//! row by row. A model sees each covariate as one more input channel of its lookback window; a
//! future-known channel (future columns and calendar features alike) is read `H` steps ahead, so
//! its window ends at the end of the horizon (see [`crate::data::window`]).

use serde::{Deserialize, Serialize};

use super::time::features::{automatic, CalendarFeature};
use super::{Dataset, Series, TimeKind};
use crate::error::{Error, Result};

/// How a covariate is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CovariateKind {
    /// Observed up to the forecast origin only.
    Past,
    /// A column whose future values come with the forecast (`forecast --future FILE`).
    Future,
    /// A calendar feature, computed from the timestamps.
    Calendar,
}

impl CovariateKind {
    /// Whether the covariate's values over the horizon are known when forecasting.
    pub fn known_ahead(self) -> bool {
        self != CovariateKind::Past
    }
}

/// One covariate channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Covariate {
    /// The column name, or `<feature>_sin` / `<feature>_cos` for calendar features.
    pub name: String,
    /// How it is known.
    pub kind: CovariateKind,
}

/// Which calendar features to compute.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CalendarRequest {
    /// None (the default).
    #[default]
    None,
    /// The features that suit the frequency ([`automatic`]).
    Auto,
    /// These features.
    Features(Vec<CalendarFeature>),
}

impl CalendarRequest {
    /// Parses `auto`, `none` or a comma-separated list of feature names.
    pub fn parse(text: &str) -> std::result::Result<CalendarRequest, String> {
        match text.trim() {
            "auto" => Ok(CalendarRequest::Auto),
            "none" | "" => Ok(CalendarRequest::None),
            list => {
                let mut features = Vec::new();
                for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                    let feature = CalendarFeature::parse(name).ok_or_else(|| {
                        let known: Vec<&str> = CalendarFeature::ALL.iter().map(|f| f.name()).collect();
                        format!(
                            "unknown calendar feature '{name}'; use auto, none or some of {}",
                            known.join(",")
                        )
                    })?;
                    if !features.contains(&feature) {
                        features.push(feature);
                    }
                }
                Ok(CalendarRequest::Features(features))
            }
        }
    }
}

/// The covariates asked for on the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CovariateRequest {
    /// Past-observed columns (`--covariates`).
    pub past: Vec<String>,
    /// Future-known columns (`--future-covariates`).
    pub future: Vec<String>,
    /// Calendar features (`--calendar`).
    pub calendar: CalendarRequest,
}

impl CovariateRequest {
    /// The covariate columns to read from the file, past then future.
    pub fn columns(&self) -> Vec<String> {
        self.past.iter().chain(&self.future).cloned().collect()
    }

    /// Whether nothing is asked for.
    pub fn is_empty(&self) -> bool {
        self.past.is_empty() && self.future.is_empty() && self.calendar == CalendarRequest::None
    }
}

/// The calendar channels of `features`: a sine and a cosine each.
pub fn calendar_channels(features: &[CalendarFeature]) -> Vec<Covariate> {
    features
        .iter()
        .flat_map(|f| {
            ["sin", "cos"].map(|part| Covariate {
                name: format!("{}_{part}", f.name()),
                kind: CovariateKind::Calendar,
            })
        })
        .collect()
}

/// The calendar feature and part (0 sine, 1 cosine) of a calendar channel's name.
pub fn calendar_part(name: &str) -> Option<(CalendarFeature, usize)> {
    let (feature, part) = name.rsplit_once('_')?;
    let part = match part {
        "sin" => 0,
        "cos" => 1,
        _ => return None,
    };
    Some((CalendarFeature::parse(feature)?, part))
}

/// The values of the calendar channel `name` at `times`.
pub fn calendar_values(name: &str, times: &[i64]) -> Result<Vec<f64>> {
    let (feature, part) =
        calendar_part(name).ok_or_else(|| Error::runtime(format!("'{name}' is not a calendar feature")))?;
    Ok(times.iter().map(|&t| feature.values(t)[part]).collect())
}

/// Turns a dataset loaded with the covariate columns of `request` as extra targets (after the
/// `targets` true targets, in the order of [`CovariateRequest::columns`]) into the dataset of the
/// true targets, each carrying its covariates (columns, then calendar features) row by row.
pub fn attach(mut dataset: Dataset, targets: usize, request: &CovariateRequest) -> Result<Dataset> {
    let columns = request.columns();
    let per_group = targets + columns.len();
    let features = match &request.calendar {
        CalendarRequest::None => Vec::new(),
        CalendarRequest::Auto => automatic(dataset.frequency),
        CalendarRequest::Features(f) => f.clone(),
    };
    if !features.is_empty() && dataset.time_kind == TimeKind::RowNumber {
        return Err(Error::usage(
            "--calendar needs a time column, and the data has none; pass --time-col or drop --calendar",
        ));
    }
    if !request.future.is_empty() && dataset.time_kind == TimeKind::RowNumber {
        return Err(Error::usage(
            "--future-covariates need a time column (their future values are matched by timestamp), \
             and the data has none; pass --time-col, or read the columns with --covariates",
        ));
    }
    let mut covariates: Vec<Covariate> = request
        .past
        .iter()
        .map(|name| Covariate {
            name: name.clone(),
            kind: CovariateKind::Past,
        })
        .chain(request.future.iter().map(|name| Covariate {
            name: name.clone(),
            kind: CovariateKind::Future,
        }))
        .collect();
    covariates.extend(calendar_channels(&features));
    debug_assert_eq!(
        dataset.series.len() % per_group,
        0,
        "the loader groups series per id"
    );
    let grouped = dataset.id_column.is_some();
    let mut series = Vec::new();
    let all = std::mem::take(&mut dataset.series);
    let groups: Vec<Vec<Series>> = if grouped {
        let mut groups = Vec::new();
        let mut it = all.into_iter();
        loop {
            let group: Vec<Series> = it.by_ref().take(per_group).collect();
            if group.is_empty() {
                break;
            }
            groups.push(group);
        }
        groups
    } else {
        vec![all]
    };
    for mut group in groups {
        let extra: Vec<Series> = group.split_off(targets);
        for mut target in group {
            if grouped && targets == 1 && !columns.is_empty() {
                // the loader named it "id/column" beside its covariates; alone it is "id"
                if let Some(id) = target.id.strip_suffix(&format!("/{}", dataset.targets[0])) {
                    target.id = id.to_string();
                }
            }
            for (covariate, column) in extra.iter().zip(&columns) {
                if covariate.time != target.time {
                    let row = covariate
                        .time
                        .iter()
                        .zip(&target.time)
                        .position(|(a, b)| a != b)
                        .unwrap_or(covariate.time.len().min(target.time.len()));
                    return Err(Error::data(format!(
                        "covariate '{column}' of series '{}' is not observed at the same times as the target \
                         ({} against {} rows, first difference at row {}); give both values on every row",
                        target.id,
                        covariate.time.len(),
                        target.time.len(),
                        row + 1
                    )));
                }
                target.covariates.push(covariate.values.clone());
            }
            for feature in &features {
                for part in 0..2 {
                    target
                        .covariates
                        .push(target.time.iter().map(|&t| feature.values(t)[part]).collect());
                }
            }
            series.push(target);
        }
    }
    dataset.targets.truncate(targets);
    dataset.series = series;
    dataset.covariates = covariates;
    Ok(dataset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_requests_parse_and_name_their_channels() {
        assert_eq!(CalendarRequest::parse("auto"), Ok(CalendarRequest::Auto));
        assert_eq!(CalendarRequest::parse("none"), Ok(CalendarRequest::None));
        assert_eq!(
            CalendarRequest::parse("hour, weekday,hour"),
            Ok(CalendarRequest::Features(vec![
                CalendarFeature::Hour,
                CalendarFeature::Weekday
            ]))
        );
        let e = CalendarRequest::parse("hour,fortnight").unwrap_err();
        assert!(e.contains("fortnight") && e.contains("weekday"), "{e}");
        let names: Vec<String> = calendar_channels(&[CalendarFeature::Hour])
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(names, ["hour_sin", "hour_cos"]);
        assert_eq!(calendar_part("hour_cos"), Some((CalendarFeature::Hour, 1)));
        assert_eq!(calendar_part("temperature"), None);
        assert_eq!(calendar_values("hour_sin", &[0, 21_600]).unwrap(), vec![0.0, 1.0]);
    }
}
