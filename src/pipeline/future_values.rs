//! The values of future-known covariates after the end of the data, read from the file that
//! `xlstm forecast --future FILE` names: one row per future timestamp (and series, in a panel),
//! with the model's future-known columns. A model input reads them for the H steps after each
//! series' last observation; a missing timestamp or value is an error that names it.

use std::collections::HashMap;
use std::path::Path;

use crate::data::covariates::{Covariate, CovariateKind};
use crate::data::load::{read_values, LoadOptions};
use crate::data::time::format_timestamp;
use crate::data::{TimeFormat, TimeKind};
use crate::error::{Error, Result};
use crate::model_file::ModelFile;

/// Future values per series id (or for every series, without an id column) and column.
#[derive(Debug, Clone, PartialEq)]
pub struct FutureValues {
    /// The file, for messages.
    file: String,
    /// (series id or "" for every series, column) → time → value (None when missing).
    values: HashMap<(String, String), HashMap<i64, Option<f64>>>,
    /// How times are written, for messages.
    time_kind: TimeKind,
    /// The model's target columns: a panel with several targets names its series "id/target".
    targets: Vec<String>,
}

/// The future-known columns (not calendar features) among `covariates`.
pub fn future_columns(covariates: &[Covariate]) -> Vec<String> {
    covariates
        .iter()
        .filter(|c| c.kind == CovariateKind::Future)
        .map(|c| c.name.clone())
        .collect()
}

impl FutureValues {
    /// Read the future-known columns of `model` from `path` (its time and id columns as the
    /// training data's; `options` gives the other reading flags).
    pub fn read(path: &Path, model: &ModelFile, options: &LoadOptions) -> Result<FutureValues> {
        let columns = future_columns(&model.covariates);
        if columns.is_empty() {
            return Err(Error::usage(
                "--future: this model reads no future-known covariates (fit it with --future-covariates COL to use them)",
            ));
        }
        // read the way the training data were, when that was a pattern
        let time_format = match (&options.time_format, &model.time_format) {
            (None, TimeFormat::Pattern { read, .. }) => TimeFormat::from_pattern(read).ok(),
            (given, _) => given.clone(),
        };
        let options = LoadOptions {
            target: columns.clone(),
            time_col: options.time_col.clone().or(model.time_column.clone()),
            id_col: options.id_col.clone().or(model.id_column.clone()),
            time_format,
            covariates: Default::default(),
            ..options.clone()
        };
        let raw = read_values(path, &options)?;
        let mut values = HashMap::new();
        for series in raw.series {
            // the loader names series "id/column" (several columns), "id" or "column"
            let (id, column) = match (&raw.id_column, columns.len()) {
                (Some(_), 1) => (series.id.clone(), columns[0].clone()),
                (Some(_), _) => match series.id.rsplit_once('/') {
                    Some((id, column)) => (id.to_string(), column.to_string()),
                    None => (series.id.clone(), columns[0].clone()),
                },
                (None, _) => (String::new(), series.id.clone()),
            };
            let by_time: HashMap<i64, Option<f64>> = series.obs.iter().map(|o| (o.time, o.value)).collect();
            values.insert((id, column), by_time);
        }
        Ok(FutureValues {
            file: path.display().to_string(),
            values,
            time_kind: model.time_kind,
            targets: model.targets.clone(),
        })
    }

    /// The values of `column` for series `id` at `times`, or an error naming the first
    /// timestamp without a value.
    pub fn at(&self, id: &str, column: &str, times: &[i64]) -> Result<Vec<f64>> {
        let kind = self.time_kind;
        // the series' own rows, its group's (a panel with several targets), or every series'
        let group = self
            .targets
            .iter()
            .find_map(|t| id.strip_suffix(&format!("/{t}")))
            .unwrap_or(id);
        let series = [id, group, ""]
            .iter()
            .find_map(|key| self.values.get(&(key.to_string(), column.to_string())))
            .ok_or_else(|| {
                Error::data(format!(
                    "{}: no future values of '{column}' for series '{id}'; add its rows for the next {} steps",
                    self.file,
                    times.len()
                ))
            })?;
        times
            .iter()
            .map(|t| match series.get(t) {
                Some(Some(v)) if v.is_finite() => Ok(*v),
                Some(_) => Err(Error::data(format!(
                    "{}: the future value of '{column}' for series '{id}' at {} is missing; give a number",
                    self.file,
                    format_timestamp(*t, kind)
                ))),
                None => Err(Error::data(format!(
                    "{}: no row for series '{id}' at {}: the future values of '{column}' must cover every step of the \
                     model's horizon, also with a shorter -H ({} to {})",
                    self.file,
                    format_timestamp(*t, kind),
                    format_timestamp(times[0], kind),
                    format_timestamp(times[times.len() - 1], kind)
                ))),
            })
            .collect()
    }
}
