//! Settling the window geometry of a dataset: lookback, horizon, season, split and stride, each
//! either asked for or filled in from the frequency and the length of the shortest series.

use crate::baseline::BaselineKind;
use crate::data::time::format_timestamp;
use crate::data::window::{describe, rows_needed, ScaledSplit, Split, SplitPart, Transform};
use crate::data::{Dataset, Frequency};
use crate::error::{Error, Result};
use crate::model::{select_alpha, Forecaster, ModelConfig, ModelKind, Progress, Silent};

/// The window geometry asked for; `None` leaves a value to the data.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowRequest {
    /// Lookback L (None: chosen on the validation windows among [`LOOKBACK_GRID`] multiples of
    /// the horizon, see [`choose_lookback`]; without validation windows max(4·horizon,
    /// 2·season, 8); shortened to fit the shortest series).
    pub lookback: Option<usize>,
    /// Horizon H (None: [`default_horizon`] of the frequency).
    pub horizon: Option<usize>,
    /// Season m (None: the guess of the frequency and the calendar, else 1).
    pub season: Option<usize>,
    /// The chronological split.
    pub split: Split,
    /// Step between training windows.
    pub stride: usize,
    /// What the target goes through before scaling (None: chosen on the validation windows,
    /// see [`choose_transform`], or the values when `intervals`).
    pub transform: Option<Transform>,
    /// Whether prediction intervals are asked for: then the automatic transform keeps the values
    /// (on M4's validation hold-out, bands on logarithms were 16 % wider in MSIS).
    pub intervals: bool,
}

impl Default for WindowRequest {
    fn default() -> Self {
        WindowRequest {
            lookback: None,
            horizon: None,
            season: None,
            split: Split::default(),
            stride: 1,
            transform: None,
            intervals: false,
        }
    }
}

/// Lookback, horizon, season, split and stride, all settled.
#[derive(Debug, Clone, PartialEq)]
pub struct Windowing {
    /// Lookback L.
    pub lookback: usize,
    /// Horizon H.
    pub horizon: usize,
    /// Season m (1 when the frequency suggests none).
    pub season: usize,
    /// The split.
    pub split: Split,
    /// Stride between training windows.
    pub stride: usize,
    /// What the target goes through before scaling.
    pub transform: Transform,
}

/// The default horizon for a frequency: M4's horizons where they apply, one day for sub-hourly data.
pub fn default_horizon(frequency: Frequency) -> usize {
    match frequency {
        Frequency::Seconds(3600) => 24,
        Frequency::Seconds(86_400) => 14,
        Frequency::Seconds(604_800) => 13,
        Frequency::Seconds(s) if s > 0 && s < 3600 && 86_400 % s == 0 => (86_400 / s as usize).min(96),
        Frequency::Months(1) => 18,
        Frequency::Months(3) => 8,
        Frequency::Months(12) => 6,
        _ => 12,
    }
}

/// Lookbacks tried when none is asked for, in horizons (N-BEATS' range of 2 to 7 horizons).
pub const LOOKBACK_GRID: [usize; 5] = [2, 3, 4, 5, 7];

/// Longest lookback the grid tries (the closed-form fits grow with its square).
const LONGEST_TRIED: usize = 1024;

/// The lookback of [`LOOKBACK_GRID`] (in horizons, at least the season and 8 steps, at most
/// [`LONGEST_TRIED`], each fitting the shortest series) whose NLinear, fitted in closed form on
/// the training windows with its ridge penalty chosen on the validation windows, has the lowest
/// validation MSE. NLinear stands in for every model: it is fitted in seconds, and one lookback
/// keeps every model of a comparison on identical windows. None when fewer than two candidates
/// fit or there are no validation windows; `Some((chosen, tried))` otherwise.
pub fn choose_lookback(
    dataset: &Dataset,
    request: &WindowRequest,
    horizon: usize,
    season: usize,
    fits: &dyn Fn(usize) -> bool,
) -> Result<Option<(usize, Vec<usize>)>> {
    let mut tried: Vec<usize> = LOOKBACK_GRID
        .iter()
        .map(|k| (k * horizon).max(season).max(8))
        .filter(|&l| l <= LONGEST_TRIED && fits(l))
        .collect();
    tried.dedup();
    if tried.len() < 2 {
        return Ok(None);
    }
    let series = dataset.targets_by_id();
    let mut best: Option<(f64, usize)> = None;
    for &lookback in &tried {
        let split = ScaledSplit::new(&series, request.split, lookback, horizon)?;
        let (train, validation) = (
            split.windows(SplitPart::Train, request.stride),
            split.windows(SplitPart::Validation, 1),
        );
        if validation.is_empty() || train.is_empty() {
            return Ok(None);
        }
        let (_, mse) = select_alpha(BaselineKind::NLinear, &train, &validation, season, &mut Silent)?;
        if best.is_none_or(|(b, _)| mse < b) {
            best = Some((mse, lookback));
        }
    }
    Ok(best.map(|(_, lookback)| (lookback, tried)))
}

/// The first target value that is not positive: (series id, row, timestamp), or None.
fn first_non_positive(dataset: &Dataset) -> Option<(String, usize, String)> {
    dataset.series.iter().find_map(|s| {
        let row = s.values.iter().position(|&v| v.is_nan() || v <= 0.0)?;
        let time = s.time.get(row).map(|&t| format_timestamp(t, dataset.time_kind));
        Some((s.id.clone(), row, time.unwrap_or_default()))
    })
}

/// NLinear's validation sMAPE and MASE (data units) under each transform, for `--transform
/// auto`: `[(sMAPE, MASE) without, (sMAPE, MASE) with logarithms]`. None when a target value is
/// not positive (logarithms are out), there are no validation windows, or the lookback is over
/// [`LONGEST_TRIED`] (`--transform log` still applies).
pub fn transform_scores(
    dataset: &Dataset,
    split: Split,
    (lookback, horizon, season, stride): (usize, usize, usize, usize),
) -> Result<Option<[(f64, f64); 2]>> {
    // the closed-form fits grow with L²: past the lookback grid's longest, logarithms are asked for
    if first_non_positive(dataset).is_some() || lookback > LONGEST_TRIED {
        return Ok(None);
    }
    let series = dataset.targets_by_id();
    let raw: Vec<&[f64]> = series.iter().map(|s| s.1).collect();
    let mut scores = [(0.0, 0.0); 2];
    for (score, transform) in scores.iter_mut().zip([Transform::None, Transform::Log]) {
        let split = ScaledSplit::with_transform(&series, split, lookback, horizon, transform)?;
        let (train, validation) = (
            split.windows(SplitPart::Train, stride),
            split.windows(SplitPart::Validation, 1),
        );
        if validation.is_empty() || train.is_empty() {
            return Ok(None);
        }
        let nlinear = Forecaster::new(
            ModelConfig::for_kind(ModelKind::NLinear),
            lookback,
            horizon,
            season,
        )?;
        let fitted = nlinear.fit(&train, &validation, &mut Silent)?;
        let metrics = crate::evaluate::score_by_step(&split, &raw, &validation, season, &fitted).metrics;
        *score = (metrics.smape, metrics.mase);
    }
    Ok(Some(scores))
}

/// `--transform auto`'s choice from [`transform_scores`]: logarithms when the mean of the ratios
/// (with / without) of NLinear's validation sMAPE and MASE is below 1, M4's OWA-like average.
pub fn choose_transform(scores: Option<[(f64, f64); 2]>) -> Transform {
    let Some([(smape, mase), (smape_log, mase_log)]) = scores else {
        return Transform::None;
    };
    let ratio = (smape_log / smape + mase_log / mase) / 2.0;
    if ratio < 1.0 {
        Transform::Log
    } else {
        Transform::None
    }
}

impl Windowing {
    /// Settle `request` for `dataset`: a shortened default lookback is a note, the result a detail.
    pub fn settle(
        dataset: &Dataset,
        request: &WindowRequest,
        progress: &mut dyn Progress,
    ) -> Result<Windowing> {
        if request.stride == 0 {
            return Err(Error::usage("--stride must be at least 1"));
        }
        let horizon = request
            .horizon
            .unwrap_or_else(|| default_horizon(dataset.frequency));
        if horizon == 0 {
            return Err(Error::usage("--horizon must be at least 1"));
        }
        if request.lookback == Some(0) {
            return Err(Error::usage("--lookback must be at least 1"));
        }
        let season = request
            .season
            .or_else(|| dataset.season_guess())
            .unwrap_or(1)
            .max(1);
        let shortest = dataset.series.iter().map(|s| s.values.len()).min().unwrap_or(0);
        let fits = |l: usize| rows_needed(&request.split, l, horizon) <= shortest;
        let lookback = match request.lookback {
            Some(l) => l,
            None => match choose_lookback(dataset, request, horizon, season, &fits)? {
                Some((chosen, tried)) => {
                    progress.note(&format!(
                        "note: lookback {chosen}, chosen on the validation windows among {} (NLinear's error; --lookback to set it)",
                        tried.iter().map(|l| l.to_string()).collect::<Vec<_>>().join(", ")
                    ));
                    chosen
                }
                None => {
                    let wanted = (4 * horizon).max(2 * season).max(8);
                    let chosen = (1..=wanted).rev().find(|&l| fits(l)).unwrap_or(wanted);
                    if chosen < wanted {
                        progress.note(&format!(
                            "note: lookback {chosen} (the default {wanted} does not fit the shortest series of {shortest} rows)"
                        ));
                    }
                    chosen
                }
            },
        };
        let transform = match request.transform {
            Some(Transform::Log) => match first_non_positive(dataset) {
                Some((id, row, time)) => {
                    return Err(Error::data(format!(
                        "--transform log needs positive values, but series '{id}' has a value ≤ 0 at row {} ({time}); use --transform none",
                        row + 1
                    )))
                }
                None => Transform::Log,
            },
            Some(Transform::None) => Transform::None,
            None if request.intervals => {
                if first_non_positive(dataset).is_none() {
                    progress.note(
                        "note: forecasting the values as they are, since intervals are asked for (bands on logarithms were wider on validation: docs/intervals.md); --transform log to forecast logarithms",
                    );
                }
                Transform::None
            }
            None => {
                let geometry = (lookback, horizon, season, request.stride);
                let scores = transform_scores(dataset, request.split, geometry)?;
                let chosen = choose_transform(scores);
                if let Some([(smape, mase), (smape_log, mase_log)]) = scores {
                    let verdict = match chosen {
                        Transform::Log => "forecasting logarithms",
                        Transform::None => "forecasting the values as they are",
                    };
                    progress.note(&format!(
                        "note: {verdict}, chosen on the validation windows (NLinear's sMAPE {smape:.3} and MASE {mase:.3} on the values, {smape_log:.3} and {mase_log:.3} on their logarithms; --transform to set it)"
                    ));
                }
                chosen
            }
        };
        progress.detail(&format!(
            "lookback {lookback}, horizon {horizon}, season {season}, split {}",
            describe(&request.split)
        ));
        Ok(Windowing {
            lookback,
            horizon,
            season,
            split: request.split,
            stride: request.stride,
            transform,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Series, TimeKind};
    use crate::model::Silent;

    fn hourly(rows: usize) -> Dataset {
        Dataset {
            series: vec![Series {
                id: "y".into(),
                time: (0..rows as i64).map(|t| 3600 * t).collect(),
                values: (0..rows).map(|t| (t as f64 * 0.3).sin()).collect(),
                covariates: Vec::new(),
            }],
            time_kind: TimeKind::DateTime,
            frequency: Frequency::Seconds(3600),
            calendar: None,
            time_format: Default::default(),
            time_column: Some("time".into()),
            targets: vec!["y".into()],
            id_column: None,
            covariates: Vec::new(),
        }
    }

    /// `--transform auto` forecasts logarithms of a positive series whose daily swing grows with
    /// its level (NLinear's validation sMAPE and MASE are lower on them); one value ≤ 0 rules
    /// them out, and `--transform log` with it is a data error that names the series and row.
    #[test]
    fn auto_forecasts_logarithms_of_positive_multiplicative_series_only() {
        let mut data = hourly(2000);
        data.series[0].values = (0..2000)
            .map(|t| {
                let day = (t as f64 * std::f64::consts::TAU / 24.0).sin();
                let noise = ((t * 7919) % 101) as f64 / 101.0 - 0.5;
                (0.002 * t as f64).exp() * (1.0 + 0.6 * day) * (1.0 + 0.1 * noise)
            })
            .collect();
        let request = WindowRequest {
            lookback: Some(48),
            horizon: Some(24),
            ..WindowRequest::default()
        };
        let mut notes = Notes(Vec::new());
        let windowing = Windowing::settle(&data, &request, &mut notes).unwrap();
        assert_eq!(windowing.transform, Transform::Log, "{:?}", notes.0);
        assert!(
            notes.0.iter().any(|n| n.contains("forecasting logarithms")),
            "{:?}",
            notes.0
        );
        let scores = transform_scores(&data, request.split, (48, 24, 24, 1))
            .unwrap()
            .unwrap();
        assert!(
            scores[1].0 < scores[0].0 && scores[1].1 < scores[0].1,
            "{scores:?}"
        );
        let fixed = |transform| WindowRequest {
            transform: Some(transform),
            ..request.clone()
        };
        assert_eq!(
            Windowing::settle(&data, &fixed(Transform::None), &mut Silent)
                .unwrap()
                .transform,
            Transform::None
        );
        // with intervals asked for, `auto` keeps the values and says so
        let intervals = WindowRequest {
            intervals: true,
            ..request.clone()
        };
        let mut notes = Notes(Vec::new());
        let kept = Windowing::settle(&data, &intervals, &mut notes).unwrap();
        assert_eq!(kept.transform, Transform::None);
        assert!(
            notes.0.iter().any(|n| n.contains("intervals are asked for")),
            "{:?}",
            notes.0
        );
        data.series[0].values[100] = 0.0;
        assert_eq!(
            Windowing::settle(&data, &request, &mut Silent).unwrap().transform,
            Transform::None
        );
        let err = Windowing::settle(&data, &fixed(Transform::Log), &mut Silent).unwrap_err();
        assert!(
            err.to_string().contains("'y'") && err.to_string().contains("row 101"),
            "{err}"
        );
        assert_eq!(err.exit_code(), 1, "a data error");
    }

    #[test]
    fn default_horizons_follow_m4_and_one_day_for_sub_hourly_data() {
        assert_eq!(default_horizon(Frequency::Seconds(3600)), 24);
        assert_eq!(default_horizon(Frequency::Seconds(86_400)), 14);
        assert_eq!(default_horizon(Frequency::Months(1)), 18);
        assert_eq!(default_horizon(Frequency::Months(12)), 6);
        assert_eq!(default_horizon(Frequency::Seconds(900)), 96);
        assert_eq!(default_horizon(Frequency::Rows), 12);
    }

    struct Notes(Vec<String>);
    impl Progress for Notes {
        fn note(&mut self, message: &str) {
            self.0.push(message.to_string());
        }
    }

    /// A sine of period 24 whose amplitude drifts, plus noise: lookbacks differ in error.
    fn noisy(rows: usize) -> Dataset {
        let mut d = hourly(rows);
        let mut rng = crate::nn::rng::Rng::new(3);
        d.series[0].values = (0..rows)
            .map(|t| {
                let t = t as f64;
                (1.0 + 0.5 * (t / 500.0).sin()) * (t * std::f64::consts::TAU / 24.0).sin()
                    + 0.3 * rng.normal()
            })
            .collect();
        d
    }

    /// Without --lookback the grid's lookback with the lowest NLinear validation error is chosen
    /// (checked against an independent fit of every candidate), and a note says so.
    #[test]
    fn the_default_lookback_is_the_grids_best_on_validation() {
        let data = noisy(2000);
        let mut notes = Notes(Vec::new());
        let w = Windowing::settle(&data, &WindowRequest::default(), &mut notes).unwrap();
        assert_eq!((w.horizon, w.season), (24, 24));
        let candidates: Vec<usize> = LOOKBACK_GRID.iter().map(|k| k * 24).collect();
        assert!(candidates.contains(&w.lookback), "{}", w.lookback);
        let error = |lookback: usize| {
            let split =
                ScaledSplit::new(&[("y", &data.series[0].values)], Split::default(), lookback, 24).unwrap();
            let (train, val) = (
                split.windows(SplitPart::Train, 1),
                split.windows(SplitPart::Validation, 1),
            );
            select_alpha(BaselineKind::NLinear, &train, &val, 24, &mut Silent)
                .unwrap()
                .1
        };
        for l in candidates {
            assert!(error(w.lookback) <= error(l), "{} against {l}", w.lookback);
        }
        assert!(
            notes
                .0
                .iter()
                .any(|n| n.contains("chosen on the validation windows")),
            "{:?}",
            notes.0
        );
        // no validation part: the fixed default
        let no_validation = WindowRequest {
            split: Split::Fractions(0.8, 0.0, 0.2),
            ..WindowRequest::default()
        };
        let fixed = Windowing::settle(&data, &no_validation, &mut Silent).unwrap();
        assert_eq!(fixed.lookback, 96);
    }

    #[test]
    fn defaults_come_from_the_frequency_and_shrink_to_fit_short_series() {
        let mut notes = Notes(Vec::new());
        let half = WindowRequest {
            split: Split::Fractions(0.5, 0.3, 0.2),
            ..WindowRequest::default()
        };
        let short = Windowing::settle(&hourly(150), &half, &mut notes).unwrap();
        assert!(short.lookback < 96);
        assert!(rows_needed(&short.split, short.lookback, 24) <= 150);
        assert!(rows_needed(&short.split, short.lookback + 1, 24) > 150);
        assert_eq!(notes.0.len(), 1, "{:?}", notes.0);
        let zero = WindowRequest {
            stride: 0,
            ..WindowRequest::default()
        };
        let e = Windowing::settle(&hourly(300), &zero, &mut Silent).unwrap_err();
        assert!(e.to_string().contains("--stride") && e.exit_code() == 2);
    }
}
