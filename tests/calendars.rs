//! Business days and sessions, one small file each under `tests/data/calendars/`, through the
//! binary: `check --json` reports the calendar, its season and the gaps on it; a fit and a
//! forecast give next timestamps that stay on the calendar.

mod common;

use common::{check_json, forecast_times, repo};
use serde_json::json;

fn report(file: &str, extra: &[&str]) -> serde_json::Value {
    check_json(&repo(&format!("tests/data/calendars/{file}")), extra)
        .unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn business_days_skip_weekends_and_holidays_are_gaps() {
    let r = report("business_days.csv", &[]);
    assert_eq!(
        r["calendar"],
        json!({ "days": "Mon,Tue,Wed,Thu,Fri", "open": 0, "close": 0 })
    );
    assert_eq!(
        (r["frequency"].clone(), r["season"].clone()),
        (json!({ "Seconds": 86_400 }), json!(5))
    );
    assert!(r["calendar_text"]
        .as_str()
        .unwrap()
        .starts_with("business days (Monday to Friday)"));
    // Two Mondays off (2024-01-15 and 2024-02-19) are gaps; no weekend is.
    assert_eq!(
        (
            r["gaps"]["count"].clone(),
            r["gaps"]["missing_timestamps"].clone()
        ),
        (json!(2), json!(2))
    );
    assert_eq!(r["gaps"]["first"][0]["first_missing"], json!(["2024-01-15"]));
    assert!(r["problems"].as_array().unwrap().is_empty());
    let filled = report("business_days.csv", &["--fill", "linear"]);
    assert_eq!(filled["missing"]["inserted_rows"], json!(2));
    // The last row is Thursday 2024-03-28: Friday, then Monday.
    let path = repo("tests/data/calendars/business_days.csv");
    assert_eq!(
        forecast_times(&path, &[]),
        ["2024-03-29", "2024-04-01", "2024-04-02"]
    );
}

#[test]
fn weekday_sessions_continue_on_monday_morning() {
    let r = report("sessions.csv", &[]);
    let calendar = json!({ "days": "Mon,Tue,Wed,Thu,Fri", "open": 9 * 3600, "close": 17 * 3600 });
    assert_eq!(r["calendar"], calendar);
    assert_eq!(
        (r["frequency"].clone(), r["season"].clone()),
        (json!({ "Seconds": 1800 }), json!(17))
    );
    let text = r["calendar_text"].as_str().unwrap();
    assert!(
        text.starts_with("sessions from 09:00 to 17:00 on Monday to Friday (17 steps each, 85 a week)"),
        "{text}"
    );
    assert_eq!(
        (r["gaps"]["count"].clone(), r["rows"].clone()),
        (json!(0), json!(255))
    );
    // The last row is Friday 2024-03-22 17:00.
    let path = repo("tests/data/calendars/sessions.csv");
    let next = forecast_times(&path, &[]);
    assert_eq!(
        next,
        [
            "2024-03-25 09:00:00",
            "2024-03-25 09:30:00",
            "2024-03-25 10:00:00"
        ]
    );
}

#[test]
fn daily_sessions_continue_the_next_morning() {
    let r = report("sessions_every_day.csv", &[]);
    assert_eq!(
        r["calendar"],
        json!({ "days": "Mon,Tue,Wed,Thu,Fri,Sat,Sun", "open": 8 * 3600, "close": 20 * 3600 })
    );
    assert_eq!(r["season"], json!(13));
    assert!(r["calendar_text"]
        .as_str()
        .unwrap()
        .starts_with("sessions from 08:00 to 20:00 every day"));
    let path = repo("tests/data/calendars/sessions_every_day.csv");
    let next = forecast_times(&path, &[]);
    assert_eq!(
        next,
        [
            "2024-05-07 08:00:00",
            "2024-05-07 09:00:00",
            "2024-05-07 10:00:00"
        ]
    );
}

#[test]
fn continuous_data_has_no_calendar() {
    let r = check_json(&common::load_hourly(), &["--target", "load_mw"]).unwrap();
    assert!(r["calendar"].is_null());
    assert_eq!(r["season"], json!(24));
    assert!(r["calendar_text"].as_str().unwrap().starts_with("continuous"));
}
