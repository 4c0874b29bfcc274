// Writes the small demonstration datasets in `datasets/` from a fixed seed, byte for byte the
// same on every machine: `cargo run --release --example make-datasets [OUT_DIR]`.
// See `datasets/README.md` for what each file holds.

use std::f64::consts::PI;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use xlstm::nn::rng::Rng;

/// 2024-01-01 00:00:00 as seconds since the epoch.
const START: i64 = 1_704_067_200;

fn stamp(t: i64) -> String {
    xlstm::data::time::format_timestamp(t, xlstm::data::TimeKind::DateTime)
}

fn date(t: i64) -> String {
    xlstm::data::time::format_timestamp(t, xlstm::data::TimeKind::Date)
}

/// Hourly electricity load (MW) with daily and weekly seasonality, a slow trend, and a
/// temperature column that drives part of the load (cooling in the afternoon heat).
fn load_hourly() -> String {
    load_hourly_and_future().0
}

/// The temperatures of the 24 hours after `load_hourly.csv` ends, from the same weather: the
/// future-known covariate a planner would have as a forecast (`xlstm forecast --future`).
fn load_hourly_future() -> String {
    load_hourly_and_future().1
}

/// The load series, then the next day's temperatures.
fn load_hourly_and_future() -> (String, String) {
    let mut rng = Rng::new(2024);
    let mut out = String::from("timestamp,load_mw,temperature_c\n");
    let mut future = String::from("timestamp,temperature_c\n");
    let (mut noise, mut weather) = (0.0f64, 0.0f64);
    for k in 0..(121 * 24) {
        let t = START + k as i64 * 3600;
        let hour = (k % 24) as f64;
        let day = (k / 24) as f64;
        let weekday = (k / 24) % 7; // 2024-01-01 is a Monday
        weather = 0.97 * weather + 0.5 * rng.normal();
        let temperature = 8.0
            + 10.0 * (2.0 * PI * (day - 30.0) / 365.0).sin()
            + 5.0 * (2.0 * PI * (hour - 9.0) / 24.0).sin()
            + weather;
        let daily = 60.0 * (2.0 * PI * (hour - 7.0) / 24.0).sin().max(0.0)
            + 35.0 * (-((hour - 19.0) / 2.0).powi(2)).exp();
        let weekly = if weekday >= 5 { -45.0 } else { 0.0 };
        let cooling = 4.0 * (temperature - 15.0).max(0.0);
        let heating = 3.0 * (10.0 - temperature).max(0.0);
        noise = 0.8 * noise + 4.0 * rng.normal();
        let load = 400.0 + 0.05 * k as f64 + daily + weekly + cooling + heating + noise;
        if k < 120 * 24 {
            let _ = writeln!(out, "{},{load:.2},{temperature:.1}", stamp(t));
        } else {
            let _ = writeln!(future, "{},{temperature:.1}", stamp(t));
        }
    }
    (out, future)
}

/// Daily unit sales of 20 stores in long format (`unique_id,ds,y`), each with its own level,
/// trend and weekly pattern; counts are non-negative integers.
fn retail_daily_panel() -> String {
    let mut rng = Rng::new(7);
    let mut out = String::from("unique_id,ds,y\n");
    for store in 0..20 {
        let level = 20.0 + 180.0 * rng.uniform();
        let trend = 0.1 * rng.normal();
        let weekend_boost = 0.1 + 0.5 * rng.uniform();
        let phase = 2.0 * PI * rng.uniform();
        for d in 0..365 {
            let t = START + d as i64 * 86_400;
            let weekday = d % 7;
            let weekly = if weekday >= 5 { 1.0 + weekend_boost } else { 1.0 };
            let yearly = 1.0 + 0.15 * (2.0 * PI * d as f64 / 365.0 + phase).sin();
            let mean = (level + trend * d as f64).max(1.0) * weekly * yearly;
            let y = (mean + mean.sqrt() * rng.normal()).round().max(0.0);
            let _ = writeln!(out, "store_{:02},{},{y}", store + 1, date(t));
        }
    }
    out
}

/// A 10-minute sensor series with what real loggers produce: a few missing timestamps (gaps)
/// and some empty readings. `xlstm check` reports both; `--fill linear` repairs the readings.
fn sensor_gaps() -> String {
    let mut rng = Rng::new(99);
    let mut out = String::from("time,reading\n");
    let mut drift = 0.0f64;
    for k in 0..2000 {
        let t = START + k as i64 * 600;
        drift = 0.99 * drift + 0.05 * rng.normal();
        let value = 20.0 + 2.0 * (2.0 * PI * k as f64 / 144.0).sin() + drift + 0.1 * rng.normal();
        let gap = (700..703).contains(&k) || (1500..1506).contains(&k);
        if gap {
            continue;
        }
        let missing = k % 157 == 31 || (1200..1204).contains(&k);
        if missing {
            let _ = writeln!(out, "{},", stamp(t));
        } else {
            let _ = writeln!(out, "{},{value:.3}", stamp(t));
        }
    }
    out
}

/// Every dataset as (file name, contents).
pub fn datasets() -> Vec<(&'static str, String)> {
    vec![
        ("load_hourly.csv", load_hourly()),
        ("load_hourly_future.csv", load_hourly_future()),
        ("retail_daily_panel.csv", retail_daily_panel()),
        ("sensor_gaps.csv", sensor_gaps()),
    ]
}

fn main() {
    let dir: PathBuf = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new("datasets").to_path_buf());
    for (name, text) in datasets() {
        let path = dir.join(name);
        if let Err(e) = std::fs::write(&path, text) {
            eprintln!("cannot write {}: {e}", path.display());
            std::process::exit(1);
        }
        println!("wrote {}", path.display());
    }
}
