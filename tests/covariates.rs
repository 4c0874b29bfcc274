//! Covariates end to end: past-observed and future-known columns and calendar features read by
//! the models, recorded in the model file, and supplied to `forecast` (`--future FILE`), with the
//! errors for missing or misaligned values.

mod common;

use std::fmt::Write as _;

use common::{load_hourly, stderr, stdout, temp, xlstm};
use xlstm::data::window::{ScaledSplit, Split, SplitPart};
use xlstm::model::{Forecaster, ModelConfig, ModelKind, Silent};

/// A target that is a future-known column H steps ahead plus noise-free structure the lookback
/// cannot see: y_t = driver_t. With the driver as a future channel a linear model is exact; the
/// target alone (a random walk) cannot be forecast.
#[test]
fn a_future_known_channel_lets_a_linear_model_forecast_what_its_lookback_cannot() {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut walk = 0.0;
    let driver: Vec<f64> = (0..600)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            walk += (state % 1000) as f64 / 500.0 - 1.0;
            walk
        })
        .collect();
    let target = driver.clone();
    let (l, h) = (16, 4);
    let mse = |ahead: Option<usize>| {
        let mut split = ScaledSplit::new(&[("y", &target)], Split::default(), l, h).unwrap();
        if let Some(ahead) = ahead {
            split = split.with_channels(&[std::slice::from_ref(&driver)], vec![ahead]);
        }
        let forecaster = Forecaster::new(ModelConfig::for_kind(ModelKind::Linear), l, h, 1).unwrap();
        let (train, validation) = (
            split.windows(SplitPart::Train, 1),
            split.windows(SplitPart::Validation, 1),
        );
        let fitted = forecaster.fit(&train, &validation, &mut Silent).unwrap();
        assert_eq!(fitted.covariates(), usize::from(ahead.is_some()));
        let test = split.windows(SplitPart::Test, 1);
        (fitted.predict(test.inputs().view()) - test.targets())
            .mapv(|e| e * e)
            .mean()
            .unwrap()
    };
    let (alone, past, future) = (mse(None), mse(Some(0)), mse(Some(h)));
    assert!(future < 1e-6, "the future channel holds the answer: {future}");
    assert!(
        alone > 0.01 && past > 0.01,
        "without the future the walk is unforecastable: {alone}, {past}"
    );
}

/// A model file with covariates and the future file `forecast --future` reads.
fn fit_with_covariates(dir: &std::path::Path, kind: &str, extra: &[&str]) -> String {
    let model = dir.join(format!("{kind}.xlstm")).display().to_string();
    let data = load_hourly();
    let args = [
        &[
            "fit", &data, "--target", "load_mw", "-q", "-o", &model, "-m", kind, "--epochs", "1",
        ],
        extra,
    ]
    .concat();
    let o = xlstm(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    model
}

/// The 24 hours after the end of `datasets/load_hourly.csv` (2024-04-29 23:00), one temperature
/// each, skipping the hour `skip`.
fn future_file(dir: &std::path::Path, skip: Option<usize>) -> String {
    let mut text = String::from("timestamp,temperature_c\n");
    for k in 0..24 {
        if Some(k) != skip {
            let day = 30 + k / 24;
            writeln!(
                text,
                "2024-04-{day:02} {:02}:00:00,{}",
                k % 24,
                15.0 + k as f64 * 0.1
            )
            .unwrap();
        }
    }
    let path = dir.join(format!("future-{skip:?}.csv"));
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn a_model_with_future_covariates_forecasts_from_the_future_file_and_names_a_missing_step() {
    let dir = temp();
    for kind in ["nlinear", "xlstm"] {
        let model = fit_with_covariates(
            dir.path(),
            kind,
            &["--future-covariates", "temperature_c", "--calendar", "auto"],
        );
        let file = std::fs::read_to_string(&model).unwrap();
        for name in ["temperature_c", "hour_sin", "weekday_cos"] {
            assert!(file.contains(name), "the model file lists covariate {name}");
        }
        // without the future values: a usage error that says how to give them
        let o = xlstm(&["forecast", "-m", &model]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("--future"), "{}", stderr(&o));
        // a missing hour: a data error naming its timestamp
        let o = xlstm(&[
            "forecast",
            "-m",
            &model,
            "--future",
            &future_file(dir.path(), Some(5)),
        ]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert!(stderr(&o).contains("2024-04-30 05:00"), "{}", stderr(&o));
        // complete: 24 forecasts, and the temperatures move them
        let o = xlstm(&[
            "forecast",
            "-m",
            &model,
            "--future",
            &future_file(dir.path(), None),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let text = stdout(&o);
        let rows: Vec<&str> = text.lines().skip(1).collect();
        assert_eq!(rows.len(), 24, "{text}");
        assert!(rows[0].starts_with("2024-04-30 00:00:00,"), "{text}");
    }
}

#[test]
fn calendar_and_past_covariates_need_no_future_file_and_new_data_must_carry_them() {
    let dir = temp();
    let model = fit_with_covariates(
        dir.path(),
        "linear",
        &["--covariates", "temperature_c", "--calendar", "hour,weekday"],
    );
    let o = xlstm(&["forecast", "-m", &model]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 25);
    // new data read with the model's covariates: the same forecast from the same rows
    let again = xlstm(&["forecast", "-m", &model, &load_hourly()]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(stdout(&again), stdout(&o));
    // new data without the covariate column: an error naming it
    let bare = dir.path().join("bare.csv");
    let text: String = std::fs::read_to_string(load_hourly())
        .unwrap()
        .lines()
        .map(|l| l.rsplit_once(',').unwrap().0.to_string() + "\n")
        .collect();
    std::fs::write(&bare, text).unwrap();
    let o = xlstm(&["forecast", "-m", &model, &bare.display().to_string()]);
    assert_ne!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("temperature_c"), "{}", stderr(&o));
}

#[test]
fn bad_covariate_requests_are_clear_errors() {
    let data = load_hourly();
    let run =
        |extra: &[&str]| xlstm(&[&["eval", &data, "--target", "load_mw", "-m", "naive"], extra].concat());
    let o = run(&["--covariates", "humidity"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("humidity") && stderr(&o).contains("temperature_c"),
        "{}",
        stderr(&o)
    );
    let o = run(&["--covariates", "load_mw"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("both a covariate"), "{}", stderr(&o));
    let o = run(&["--calendar", "fortnight"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("fortnight"), "{}", stderr(&o));
    // a covariate with a missing value names its column and row
    let dir = temp();
    let holed = dir.path().join("holed.csv");
    let mut lines: Vec<String> = std::fs::read_to_string(&data)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    lines[100] = lines[100].rsplit_once(',').unwrap().0.to_string() + ",";
    std::fs::write(&holed, lines.join("\n") + "\n").unwrap();
    let o = xlstm(&[
        "eval",
        &holed.display().to_string(),
        "--target",
        "load_mw",
        "--covariates",
        "temperature_c",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("temperature_c"), "{}", stderr(&o));
    // the target is found among the other columns when --target is not given
    let o = xlstm(&["eval", &data, "-m", "naive", "--covariates", "temperature_c"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// A small hourly panel written under `dir`: ids `a/1` and `b/2` (slashes included), two targets
/// and a promotion column known in advance; 240 hours from 2024-03-01.
fn panel(dir: &std::path::Path) -> String {
    let mut text = String::from("id,time,y,y2,promo\n");
    for (k, id) in ["a/1", "b/2"].iter().enumerate() {
        for t in 0..240 {
            let promo = ((t / 7) % 3 == 0) as u8;
            let y = 10.0 + k as f64 + (t as f64 * 0.26).sin() + 3.0 * promo as f64;
            writeln!(
                text,
                "{id},2024-03-{:02} {:02}:00:00,{y:.3},{:.3},{promo}",
                1 + t / 24,
                t % 24,
                2.0 * y
            )
            .unwrap();
        }
    }
    let path = dir.join("panel.csv");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn panels_keep_their_ids_and_several_targets_read_their_group_s_future_values() {
    let dir = temp();
    let data = panel(dir.path());
    let model = dir.path().join("m.xlstm").display().to_string();
    // ids with a slash stay whole, with and without covariates
    for extra in [&[][..], &["--covariates", "promo"][..]] {
        let o = xlstm(
            &[
                &[
                    "fit", &data, "--id-col", "id", "--target", "y", "-m", "linear", "-L", "24", "-H", "6",
                    "-q", "-o", &model, "--force",
                ],
                extra,
            ]
            .concat(),
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let o = xlstm(&["forecast", "-m", &model]);
        let text = stdout(&o);
        assert!(
            text.contains("\na/1,") && text.contains("\nb/2,"),
            "{extra:?}: {text}"
        );
    }
    // two targets per id, and the promotion known ahead: each series reads its id's rows
    let o = xlstm(&[
        "fit",
        &data,
        "--id-col",
        "id",
        "--target",
        "y,y2",
        "--future-covariates",
        "promo",
        "-m",
        "linear",
        "-L",
        "24",
        "-H",
        "6",
        "-q",
        "-o",
        &model,
        "--force",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut future = String::from("id,time,promo\n");
    for id in ["a/1", "b/2"] {
        for h in 0..6 {
            writeln!(future, "{id},2024-03-11 {h:02}:00:00,1").unwrap();
        }
    }
    let future_path = dir.path().join("future.csv");
    std::fs::write(&future_path, future).unwrap();
    let o = xlstm(&[
        "forecast",
        "-m",
        &model,
        "--future",
        &future_path.display().to_string(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    for id in ["a/1/y", "a/1/y2", "b/2/y", "b/2/y2"] {
        assert_eq!(
            text.lines().filter(|l| l.starts_with(&format!("{id},"))).count(),
            6,
            "{id}: {text}"
        );
    }
}

#[test]
fn future_known_channels_need_a_time_column_and_a_lookback_of_a_horizon() {
    let dir = temp();
    let data = panel(dir.path());
    let o = xlstm(&[
        "eval",
        &data,
        "--id-col",
        "id",
        "--target",
        "y",
        "--future-covariates",
        "promo",
        "-L",
        "4",
        "-H",
        "6",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("lookback 4 < horizon 6"), "{}", stderr(&o));
    let o = xlstm(&[
        "compare",
        &data,
        "--id-col",
        "id",
        "--target",
        "y",
        "--calendar",
        "auto",
        "-L",
        "4",
        "-H",
        "6",
        "--folds",
        "2",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let rows = dir.path().join("rows.csv");
    let text: String = (0..200).map(|t| format!("{},{}\n", t, t % 7)).collect();
    std::fs::write(&rows, format!("y,f\n{text}")).unwrap();
    let o = xlstm(&[
        "eval",
        &rows.display().to_string(),
        "--target",
        "y",
        "--future-covariates",
        "f",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("time column"), "{}", stderr(&o));
}

#[test]
fn the_future_file_is_read_with_the_data_s_time_pattern() {
    let dir = temp();
    let mut text = String::from("when,y,f\n");
    for t in 0..300 {
        writeln!(
            text,
            "{:02}/01/2024 {:02}:00,{},{}",
            1 + t / 24,
            t % 24,
            (t as f64 * 0.3).sin() + (t % 5) as f64,
            t % 5
        )
        .unwrap();
    }
    let data = dir.path().join("pattern.csv");
    std::fs::write(&data, text).unwrap();
    let model = dir.path().join("m.xlstm").display().to_string();
    let o = xlstm(&[
        "fit",
        &data.display().to_string(),
        "--target",
        "y",
        "--time-format",
        "%d/%m/%Y %H:%M",
        "--future-covariates",
        "f",
        "-m",
        "linear",
        "-L",
        "24",
        "-H",
        "6",
        "-q",
        "-o",
        &model,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut future = String::from("when,f\n");
    // the data end at 13/01/2024 11:00 (300 hours from the 1st)
    for h in 12..18 {
        writeln!(future, "13/01/2024 {h:02}:00,{}", h % 5).unwrap();
    }
    let future_path = dir.path().join("future.csv");
    std::fs::write(&future_path, future).unwrap();
    let o = xlstm(&[
        "forecast",
        "-m",
        &model,
        "--future",
        &future_path.display().to_string(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("13/01/2024 17:00"), "{}", stdout(&o));
}

#[test]
fn check_reports_covariates_apart_from_the_target() {
    let o = xlstm(&[
        "check",
        &load_hourly(),
        "--target",
        "load_mw",
        "--covariates",
        "temperature_c",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("in 1 series"), "{text}");
    assert!(text.contains("target:       load_mw\n"), "{text}");
    assert!(text.contains("covariates:   temperature_c"), "{text}");
}
