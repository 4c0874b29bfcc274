//! The model file: a versioned, checksummed JSON document with everything `forecast` needs.
//!
//! Layout: one header line `xlstm-model <version> fnv1a64:<16 hex digits>` followed by the JSON
//! body; the checksum covers the body's bytes exactly. Loading checks the header, the version and
//! the checksum before parsing, and parsing only fills plain data structures: nothing in a model
//! file is ever executed. Files are written to a temporary file and renamed.
//!
//! Versions 2 and 3 store the model's settings as the typed [`ModelConfig`] (tagged by its kind, with
//! every choice resolved: the ridge penalty, the season, the patches, the epoch kept) and the test
//! metrics as [`ModelMetrics`]. A version 1 file is refused with the fix: refit; version 2 files
//! (before ensemble members could read shorter lookbacks) read as members over the whole lookback.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::data::covariates::Covariate;
use crate::data::{Calendar, Frequency, TimeFormat, TimeKind};
use crate::error::{Error, Result};
use crate::metrics::ModelMetrics;
use crate::model::{Intervals, ModelConfig, ModelKind};

/// The longest horizon a model file may hold.
pub const MAX_HORIZON: usize = 1_000_000;
/// The most forecast values (horizon × series) a model file may ask for.
pub const MAX_FORECAST_VALUES: usize = 100_000_000;

/// The format version this build writes (3: ensemble members may read shorter lookbacks, which
/// builds that read version 2 would ignore and run over the whole window).
pub const VERSION: u32 = 3;

/// The versions this build reads: version 2 files hold no member lookbacks, so every member
/// reads the whole lookback.
pub const READS: [u32; 2] = [2, VERSION];
const MAGIC: &str = "xlstm-model";

/// Per-series state: scaling statistics and the last values, so `forecast` works without data.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SeriesState {
    /// Series id.
    pub id: String,
    /// Training mean.
    pub mean: f64,
    /// Training standard deviation.
    pub std: f64,
    /// Whether the mean and standard deviation are of the values' logarithms (`--transform
    /// log`; false in files written before it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub log: bool,
    /// Times of the last L observations.
    pub times: Vec<i64>, // (L)
    /// The last L raw values.
    pub tail: Vec<f64>, // (L)
    /// Each covariate channel's training statistics and last L raw values (none in files
    /// written before covariates, or without them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covariates: Vec<ChannelState>, // (C)
}

/// What a model file keeps of one covariate channel of one series.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ChannelState {
    /// Training mean.
    pub mean: f64,
    /// Training standard deviation.
    pub std: f64,
    /// The last L raw values, at the series' `times`.
    pub tail: Vec<f64>, // (L)
}

/// Everything stored in a model file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ModelFile {
    /// The model's kind and settings, as fitted.
    pub config: ModelConfig,
    /// Lookback L.
    pub lookback: usize,
    /// Horizon H.
    pub horizon: usize,
    /// The data's season (the MASE scale's period).
    pub season: usize,
    /// The split the model was fitted and scored with (`0.7,0.1,0.2` or row counts).
    pub split: String,
    /// Step between training windows.
    pub stride: usize,
    /// How times are represented in the data.
    pub time_kind: TimeKind,
    /// Inferred data frequency.
    pub frequency: Frequency,
    /// The observed steps of the frequency (business days, sessions), which forecasts continue;
    /// `None` (and in files written before this field): every step.
    #[serde(default)]
    pub calendar: Option<Calendar>,
    /// How the data wrote its times, so forecasts are written the same way (ISO 8601 in files
    /// written before this field).
    #[serde(default)]
    pub time_format: TimeFormat,
    /// Time column name.
    pub time_column: Option<String>,
    /// Target column names.
    pub targets: Vec<String>,
    /// Id column name.
    pub id_column: Option<String>,
    /// Fingerprint of the training data (FNV-1a 64 over times and values).
    pub fingerprint: String,
    /// One entry per series.
    pub series: Vec<SeriesState>,
    /// Named weight tensors.
    pub weights: Vec<(String, Vec<f64>)>,
    /// Test metrics measured at fit time: the model's, then the references'.
    pub metrics: Vec<ModelMetrics>,
    /// Set when the weights come from a refit on every row after the evaluation (the metrics are
    /// the evaluated model's); absent when the saved model is the evaluated one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refit: Option<RefitRecord>,
    /// The prediction intervals calibrated at fit time (`--level`), on standardised values;
    /// absent without them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intervals: Option<Intervals>,
    /// The covariate channels the model reads, in input order (none: the target alone).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covariates: Vec<Covariate>,
}

/// What a refit for production trained on (see [`crate::pipeline::Refitted`]).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct RefitRecord {
    /// Rows of the (first) series.
    pub rows: usize,
    /// Training windows of the evaluated fit.
    pub evaluated_windows: usize,
    /// Training windows of the refit (every window of the data).
    pub windows: usize,
}

/// FNV-1a 64-bit hash.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= *b as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

impl ModelFile {
    /// The model kind.
    pub fn kind(&self) -> ModelKind {
        self.config.kind()
    }

    /// The file's bytes: header line and JSON body.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        if self.weights.iter().any(|(_, v)| v.iter().any(|x| !x.is_finite())) {
            return Err(Error::runtime("refusing to save a model with non-finite weights"));
        }
        let body =
            serde_json::to_vec(self).map_err(|e| Error::runtime(format!("cannot encode the model: {e}")))?;
        let mut out = format!("{MAGIC} {VERSION} fnv1a64:{:016x}\n", fnv1a64(&body)).into_bytes();
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Parse and verify a model file's bytes; `path` is used in messages.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<ModelFile> {
        let shown = path.display();
        let newline = bytes.iter().position(|b| *b == b'\n').ok_or_else(|| {
            Error::runtime(format!(
                "{shown} is not an xlstm model file (no header line); write one with `xlstm fit`"
            ))
        })?;
        let header = std::str::from_utf8(&bytes[..newline]).unwrap_or("");
        let fields: Vec<&str> = header.split_whitespace().collect();
        if fields.len() != 3 || fields[0] != MAGIC {
            return Err(Error::runtime(format!(
                "{shown} is not an xlstm model file (its first line is not 'xlstm-model <version> <checksum>'); write one with `xlstm fit`"
            )));
        }
        if !READS.iter().any(|v| fields[1] == v.to_string()) {
            return Err(Error::runtime(format!(
                "{shown} is a version {} model file; this xlstm reads versions 2 and {VERSION}: refit the model with `xlstm fit`",
                fields[1]
            )));
        }
        let body = &bytes[newline + 1..];
        let expected = fields[2].strip_prefix("fnv1a64:").unwrap_or("");
        if format!("{:016x}", fnv1a64(body)) != expected {
            return Err(Error::runtime(format!(
                "{shown} is damaged (its checksum does not match: truncated or edited); refit the model with `xlstm fit`"
            )));
        }
        let file: ModelFile = serde_json::from_slice(body)
            .map_err(|e| Error::runtime(format!("{shown} has a valid checksum but cannot be read: {e}")))?;
        file.check_consistent().map_err(|why| {
            Error::runtime(format!(
                "{shown} is inconsistent ({why}); refit the model with `xlstm fit`"
            ))
        })?;
        Ok(file)
    }

    /// Sizes and statistics agree with each other (so nothing is allocated from a bare number).
    fn check_consistent(&self) -> std::result::Result<(), String> {
        if self.lookback == 0 || self.horizon == 0 {
            return Err("its lookback and horizon must be at least 1".into());
        }
        // The lookback is backed by the stored tails; the horizon of a model without weights
        // (naive, seasonal naive) is a bare number, and a forecast allocates horizon × series.
        if self.horizon > MAX_HORIZON || self.horizon.saturating_mul(self.series.len()) > MAX_FORECAST_VALUES
        {
            return Err(format!(
                "its horizon of {} steps for {} series is beyond what xlstm fits (at most {MAX_HORIZON} steps and {MAX_FORECAST_VALUES} forecast values)",
                self.horizon,
                self.series.len()
            ));
        }
        if self.series.is_empty() {
            return Err("it holds no series".into());
        }
        for s in &self.series {
            if s.tail.len() != s.times.len() || s.tail.len() < self.lookback {
                return Err(format!(
                    "series '{}' keeps {} values and {} times, but the lookback is {}",
                    s.id,
                    s.tail.len(),
                    s.times.len(),
                    self.lookback
                ));
            }
            if !(s.mean.is_finite() && s.std.is_finite() && s.std > 0.0) {
                return Err(format!("series '{}' has invalid scaling statistics", s.id));
            }
            if s.covariates.len() != self.covariates.len() {
                return Err(format!(
                    "series '{}' keeps {} covariate channels, the model reads {}",
                    s.id,
                    s.covariates.len(),
                    self.covariates.len()
                ));
            }
            for c in &s.covariates {
                if c.tail.len() != s.tail.len() || !(c.mean.is_finite() && c.std.is_finite() && c.std > 0.0) {
                    return Err(format!("series '{}' has an invalid covariate channel", s.id));
                }
            }
        }
        if let Some(calendar) = &self.calendar {
            let fits = matches!(self.frequency, Frequency::Seconds(step) if calendar.fits(step));
            if !fits {
                return Err(format!(
                    "its calendar {calendar:?} does not fit its frequency {:?}",
                    self.frequency
                ));
            }
        }
        if let Some(intervals) = &self.intervals {
            intervals.check(self.horizon)?;
        }
        if let TimeFormat::Pattern { read, write } = &self.time_format {
            for pattern in [read, write] {
                TimeFormat::from_pattern(pattern)?;
            }
        }
        Ok(())
    }

    /// Read and verify a model file.
    pub fn load(path: &Path) -> Result<ModelFile> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        ModelFile::from_bytes(&bytes, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ModelFile {
        ModelFile {
            config: ModelConfig::NLinear(crate::model::LinearConfig { alpha: Some(0.0) }),
            lookback: 2,
            horizon: 1,
            season: 24,
            split: "0.7,0.1,0.2".into(),
            stride: 1,
            time_kind: TimeKind::DateTime,
            frequency: Frequency::Seconds(3600),
            calendar: None,
            time_format: TimeFormat::default(),
            time_column: Some("date".into()),
            targets: vec!["OT".into()],
            id_column: None,
            fingerprint: "0".into(),
            series: vec![SeriesState {
                id: "OT".into(),
                mean: 1.5,
                std: 0.1 + 0.2,
                log: true,
                times: vec![3600, 7200],
                tail: vec![1.0, 2.0],
                covariates: Vec::new(),
            }],
            weights: vec![
                ("weights".into(), vec![0.1, 1.0 / 3.0]),
                ("bias".into(), vec![-2.5e-17]),
            ],
            metrics: vec![ModelMetrics {
                model: "nlinear".into(),
                metrics: {
                    let mut errors = crate::metrics::Accumulator::default();
                    errors.add(&[1.0, 2.0], &[1.5, 1.0 / 3.0], Some(0.7), 0.3);
                    errors.finish()
                },
            }],
            refit: None,
            intervals: None,
            covariates: Vec::new(),
        }
    }

    #[test]
    fn round_trips_bit_for_bit() {
        let file = sample();
        let bytes = file.to_bytes().unwrap();
        assert_eq!(ModelFile::from_bytes(&bytes, Path::new("m.json")).unwrap(), file);
    }

    #[test]
    fn rejects_truncated_edited_foreign_and_other_version_files() {
        let bytes = sample().to_bytes().unwrap();
        let p = Path::new("m.json");
        let truncated = &bytes[..bytes.len() - 5];
        assert!(ModelFile::from_bytes(truncated, p)
            .unwrap_err()
            .to_string()
            .contains("damaged"));
        let mut edited = bytes.clone();
        let last = edited.len() - 3;
        edited[last] ^= 1;
        assert!(ModelFile::from_bytes(&edited, p)
            .unwrap_err()
            .to_string()
            .contains("damaged"));
        assert!(ModelFile::from_bytes(b"{\"kind\": 1}", p)
            .unwrap_err()
            .to_string()
            .contains("not an xlstm model"));
        let header = format!("xlstm-model {VERSION}");
        let with_version = |v: u32| {
            String::from_utf8(bytes.clone())
                .unwrap()
                .replacen(&header, &format!("xlstm-model {v}"), 1)
        };
        let e = ModelFile::from_bytes(with_version(1).as_bytes(), p)
            .unwrap_err()
            .to_string();
        assert!(e.contains("version 1 model file") && e.contains("refit"), "{e}");
        // a version 2 file (no member lookbacks) still reads; the checksum covers the body only
        assert!(ModelFile::from_bytes(with_version(2).as_bytes(), p).is_ok());
        assert!(ModelFile::from_bytes(with_version(4).as_bytes(), p).is_err());
    }

    /// Found by `cargo run --release --example fuzz -- --target model`: a naive model file (no
    /// weights to check its horizon against) with a horizon of 559,055,983 steps made `forecast`
    /// allocate tens of gigabytes; now loading it is an error.
    #[test]
    fn refuses_a_horizon_no_fit_could_have_made() {
        for horizon in [MAX_HORIZON + 1, 559_055_983] {
            let mut file = sample();
            (file.config, file.weights, file.horizon) = (ModelConfig::Naive, Vec::new(), horizon);
            let e = ModelFile::from_bytes(&file.to_bytes().unwrap(), Path::new("m.xlstm")).unwrap_err();
            assert!(e.to_string().contains("beyond what xlstm fits"), "{e}");
        }
        let mut file = sample();
        (file.config, file.weights, file.horizon) = (ModelConfig::Naive, Vec::new(), 48);
        assert!(ModelFile::from_bytes(&file.to_bytes().unwrap(), Path::new("m.xlstm")).is_ok());
    }

    /// Calibrated intervals survive the file; margins that do not fit the horizon are refused.
    #[test]
    fn intervals_round_trip_and_inconsistent_margins_are_refused() {
        let mut file = sample();
        file.intervals = Some(Intervals {
            method: crate::model::IntervalMethod::Scaled,
            levels: vec![80.0, 99.5],
            margins: vec![vec![0.25], vec![1.0 / 3.0]],
            windows: 250,
        });
        let path = Path::new("m.xlstm");
        assert_eq!(
            ModelFile::from_bytes(&file.to_bytes().unwrap(), path).unwrap(),
            file
        );
        if let Some(i) = file.intervals.as_mut() {
            i.margins[1].push(2.0);
        }
        let e = ModelFile::from_bytes(&file.to_bytes().unwrap(), path).unwrap_err();
        assert!(e.to_string().contains("interval margins"), "{e}");
    }

    #[test]
    fn refuses_non_finite_weights() {
        let mut file = sample();
        file.weights[0].1[0] = f64::NAN;
        assert!(file.to_bytes().is_err());
    }
}
