//! Every time format `xlstm` detects, one small file each under `tests/data/formats/`, through
//! the binary: `check --json` names the reading and gives the parsed span (ISO 8601) and the
//! frequency; a fit and a forecast give the next timestamps in the input's own style.

mod common;

use common::{check_json, forecast_times, repo};
use serde_json::{json, Value};

/// What a file must read as, and its next three timestamps.
struct Expect<'a> {
    /// The start of the reading's description in the report.
    reading: &'a str,
    /// The first and last times, as the report writes them (ISO 8601).
    span: (&'a str, &'a str),
    /// The frequency as the JSON report writes it.
    frequency: Value,
    /// The three forecast timestamps.
    next: [&'a str; 3],
}

fn reads(file: &str, extra: &[&str], expect: Expect) {
    let path = repo(&format!("tests/data/formats/{file}"));
    let report = check_json(&path, extra).unwrap_or_else(|e| panic!("{file}: {e}"));
    let reading = report["time_format"].as_str().unwrap();
    assert!(reading.starts_with(expect.reading), "{file}: read as {reading}");
    assert_eq!(
        (report["first"].as_str(), report["last"].as_str()),
        (Some(expect.span.0), Some(expect.span.1)),
        "{file}"
    );
    assert_eq!(report["frequency"], expect.frequency, "{file}");
    assert_eq!(
        (
            report["gaps"]["count"].as_u64(),
            report["gaps"]["irregular_steps"].as_u64()
        ),
        (Some(0), Some(0)),
        "{file}"
    );
    assert!(report["calendar"].is_null(), "{file}: {}", report["calendar"]);
    assert_eq!(forecast_times(&path, extra), expect.next, "{file}");
}

fn months(n: u32) -> Value {
    json!({ "Months": n })
}

fn seconds(n: u32) -> Value {
    json!({ "Seconds": n })
}

#[test]
fn bare_years() {
    let next = ["1921", "1922", "1923"];
    reads(
        "years.csv",
        &[],
        Expect {
            reading: "years (%Y",
            span: ("1871-01-01", "1920-01-01"),
            frequency: months(12),
            next,
        },
    );
}

#[test]
fn year_month_with_a_dash() {
    let next = ["1753-01", "1753-02", "1753-03"];
    let expect = Expect {
        reading: "year-month (%Y-%m",
        span: ("1749-01-01", "1752-12-01"),
        frequency: months(1),
        next,
    };
    reads("year_month_dash.csv", &[], expect);
}

#[test]
fn year_month_with_a_slash() {
    let next = ["2022/01", "2022/02", "2022/03"];
    let expect = Expect {
        reading: "year-month (%Y/%m",
        span: ("2018-01-01", "2021-12-01"),
        frequency: months(1),
        next,
    };
    reads("year_month_slash.csv", &[], expect);
}

#[test]
fn year_month_with_an_m() {
    let next = ["2022M01", "2022M02", "2022M03"];
    let expect = Expect {
        reading: "year-month (%YM%m",
        span: ("2018-01-01", "2021-12-01"),
        frequency: months(1),
        next,
    };
    reads("year_month_m.csv", &[], expect);
}

fn quarters(file: &str, reading: &str, next: [&str; 3]) {
    reads(
        file,
        &[],
        Expect {
            reading,
            span: ("1959-01-01", "1970-10-01"),
            frequency: months(3),
            next,
        },
    );
}

#[test]
fn quarters_written_2020q1() {
    quarters("quarters.csv", "quarters (%YQ%q", ["1971Q1", "1971Q2", "1971Q3"]);
}

#[test]
fn quarters_written_2020_q1() {
    quarters(
        "quarters_space.csv",
        "quarters (%Y Q%q",
        ["1971 Q1", "1971 Q2", "1971 Q3"],
    );
}

#[test]
fn quarters_written_2020_dash_q1() {
    quarters(
        "quarters_dash.csv",
        "quarters (%Y-Q%q",
        ["1971-Q1", "1971-Q2", "1971-Q3"],
    );
}

#[test]
fn quarters_written_q1_2020() {
    quarters(
        "quarters_first.csv",
        "quarters (Q%q %Y",
        ["Q1 1971", "Q2 1971", "Q3 1971"],
    );
}

#[test]
fn iso_weeks_over_a_53_week_year() {
    // 2020-W40 to 2021-W26 passes 2020-W53: no gap means every week was read.
    let next = ["2021-W27", "2021-W28", "2021-W29"];
    let expect = Expect {
        reading: "ISO weeks (%G-W%V",
        span: ("2020-09-28", "2021-06-28"),
        frequency: seconds(604_800),
        next,
    };
    reads("weeks.csv", &[], expect);
}

#[test]
fn iso_weeks_with_a_space() {
    let next = ["1991 W18", "1991 W19", "1991 W20"];
    let expect = Expect {
        reading: "ISO weeks (%G W%V",
        span: ("1990-07-23", "1991-04-22"),
        frequency: seconds(604_800),
        next,
    };
    reads("weeks_space.csv", &[], expect);
}

#[test]
fn iso_weeks_compact() {
    let next = ["2021W27", "2021W28", "2021W29"];
    let expect = Expect {
        reading: "ISO weeks (%GW%V",
        span: ("2020-09-28", "2021-06-28"),
        frequency: seconds(604_800),
        next,
    };
    reads("weeks_compact.csv", &[], expect);
}

#[test]
fn abbreviated_month_then_year() {
    let next = ["Jan 1953", "Feb 1953", "Mar 1953"];
    let expect = Expect {
        reading: "month names (%b %Y",
        span: ("1949-01-01", "1952-12-01"),
        frequency: months(1),
        next,
    };
    reads("month_year.csv", &[], expect);
}

#[test]
fn year_then_abbreviated_month() {
    let next = ["1964 Jan", "1964 Feb", "1964 Mar"];
    let expect = Expect {
        reading: "month names (%Y %b",
        span: ("1960-01-01", "1963-12-01"),
        frequency: months(1),
        next,
    };
    reads("year_month_name.csv", &[], expect);
}

#[test]
fn full_month_names() {
    let next = ["January 2023", "February 2023", "March 2023"];
    let expect = Expect {
        reading: "month names (%B %Y",
        span: ("2019-01-01", "2022-12-01"),
        frequency: months(1),
        next,
    };
    reads("full_month_year.csv", &[], expect);
}

fn daily_1995(file: &str, reading: &str, next: [&str; 3]) {
    reads(
        file,
        &[],
        Expect {
            reading,
            span: ("1995-01-01", "1995-03-01"),
            frequency: seconds(86_400),
            next,
        },
    );
}

#[test]
fn month_day_year_with_names() {
    daily_1995(
        "month_day_year.csv",
        "month names (%b-%-d-%Y",
        ["Mar-2-1995", "Mar-3-1995", "Mar-4-1995"],
    );
}

#[test]
fn day_month_year_with_names() {
    daily_1995(
        "day_month_year.csv",
        "month names (%-d %b %Y",
        ["2 Mar 1995", "3 Mar 1995", "4 Mar 1995"],
    );
}

#[test]
fn day_month_year_with_names_and_dashes() {
    daily_1995(
        "day_mon_year_dash.csv",
        "month names (%d-%b-%Y",
        ["02-Mar-1995", "03-Mar-1995", "04-Mar-1995"],
    );
}

#[test]
fn day_first_numeric_dates_come_back_as_iso() {
    daily_1995(
        "day_first.csv",
        "DD/MM/YYYY (day first)",
        ["1995-03-02", "1995-03-03", "1995-03-04"],
    );
}

#[test]
fn month_first_numeric_dates_come_back_as_iso() {
    daily_1995(
        "month_first.csv",
        "MM/DD/YYYY (month first)",
        ["1995-03-02", "1995-03-03", "1995-03-04"],
    );
}

#[test]
fn compact_dates() {
    let next = ["19580528", "19580529", "19580530"];
    let expect = Expect {
        reading: "compact digits (%Y%m%d,",
        span: ("1958-03-29", "1958-05-27"),
        frequency: seconds(86_400),
        next,
    };
    reads("compact_date.csv", &[], expect);
}

#[test]
fn compact_date_times_to_the_minute() {
    let next = ["202103031200", "202103031300", "202103031400"];
    let span = ("2021-03-01 00:00:00", "2021-03-03 11:00:00");
    reads(
        "compact_minutes.csv",
        &[],
        Expect {
            reading: "compact digits (%Y%m%d%H%M,",
            span,
            frequency: seconds(3600),
            next,
        },
    );
}

#[test]
fn compact_date_times_to_the_second() {
    let next = ["20210302130000", "20210302131500", "20210302133000"];
    let span = ("2021-03-01 22:00:00", "2021-03-02 12:45:00");
    reads(
        "compact_seconds.csv",
        &[],
        Expect {
            reading: "compact digits (%Y%m%d%H%M%S",
            span,
            frequency: seconds(900),
            next,
        },
    );
}

fn epochs(file: &str, reading: &str) {
    let span = ("2023-11-14 22:00:00", "2023-11-17 09:00:00");
    let next = [
        "2023-11-17 10:00:00",
        "2023-11-17 11:00:00",
        "2023-11-17 12:00:00",
    ];
    reads(
        file,
        &[],
        Expect {
            reading,
            span,
            frequency: seconds(3600),
            next,
        },
    );
}

#[test]
fn epoch_seconds_come_back_as_iso() {
    epochs("epoch_seconds.csv", "epoch seconds");
}

#[test]
fn epoch_milliseconds_come_back_as_iso() {
    epochs("epoch_millis.csv", "epoch milliseconds");
}

#[test]
fn anything_else_with_time_format() {
    let path = repo("tests/data/formats/custom.csv");
    let e = check_json(&path, &[]).unwrap_err();
    assert!(
        e.contains("'01|03|2021 00h' at row 1 (line 2 of the file)") && e.contains("--time-format"),
        "{e}"
    );
    let flag = ["--time-format", "%d|%m|%Y %Hh"];
    let next = ["03|03|2021 12h", "03|03|2021 13h", "03|03|2021 14h"];
    let span = ("2021-03-01 00:00:00", "2021-03-03 11:00:00");
    reads(
        "custom.csv",
        &flag,
        Expect {
            reading: "--time-format '%d|%m|%Y %Hh'",
            span,
            frequency: seconds(3600),
            next,
        },
    );
    let e = check_json(&path, &["--time-format", "%d.%m.%Y"]).unwrap_err();
    assert!(e.contains("does not match --time-format '%d.%m.%Y'"), "{e}");
    let e = common::xlstm(&["check", &path, "--time-format", "%m/%d"]);
    assert_eq!(
        e.status.code(),
        Some(2),
        "a pattern without a year is a usage error"
    );
}

#[test]
fn two_readings_are_refused_until_time_format_decides() {
    let path = repo("tests/data/formats/ambiguous.csv");
    let e = check_json(&path, &[]).unwrap_err();
    for needle in [
        "can be read two ways",
        "'01/02/2018' at row 2 (line 3 of the file)",
        "2018-01-02 read as MM/DD/YYYY (month first)",
        "2018-02-01 read as DD/MM/YYYY (day first)",
        "--time-format '%m/%d/%Y' or --time-format '%d/%m/%Y'",
    ] {
        assert!(e.contains(needle), "'{needle}' missing from: {e}");
    }
    let next = ["01/01/2022", "01/02/2022", "01/03/2022"];
    let flag = ["--time-format", "%d/%m/%Y"];
    reads(
        "ambiguous.csv",
        &flag,
        Expect {
            reading: "--time-format",
            span: ("2018-01-01", "2021-12-01"),
            frequency: months(1),
            next,
        },
    );
}

#[test]
fn forecasting_from_new_data_reads_it_the_way_the_model_was_fitted() {
    // The model was fitted with --time-format; the data file alone could be read two ways.
    let path = repo("tests/data/formats/ambiguous.csv");
    let dir = common::temp();
    let model = dir.path().join("m.xlstm").display().to_string();
    let fit = [
        "fit",
        &path,
        "-m",
        "nlinear",
        "-H",
        "3",
        "-L",
        "6",
        "-q",
        "-o",
        &model,
        "--time-format",
        "%d/%m/%Y",
    ];
    assert!(common::xlstm(&fit).status.success());
    let o = common::xlstm(&["forecast", &path, "-m", &model, "-H", "1"]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    assert!(
        common::stdout(&o).starts_with("timestamp,forecast\n01/01/2022,"),
        "{}",
        common::stdout(&o)
    );
}
