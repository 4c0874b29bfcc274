//! Integration tests of loading and checking: one test per bad-input case of the data checks,
//! each on a small CSV written into a temporary directory.

use std::path::{Path, PathBuf};

use xlstm::data::check::{require_length, Fill};
use xlstm::data::load::{inspect, load, LoadOptions};
use xlstm::data::{Frequency, TimeKind};
use xlstm::Error;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn hourly(rows: &[(&str, &str)]) -> String {
    let mut s = String::from("date,y\n");
    for (t, v) in rows {
        s.push_str(&format!("2024-01-01 {t}:00:00,{v}\n"));
    }
    s
}

fn opts() -> LoadOptions {
    LoadOptions::default()
}

fn data_error(result: Result<impl std::fmt::Debug, Error>) -> String {
    let e = result.unwrap_err();
    assert_eq!(e.exit_code(), 1, "{e}");
    e.to_string()
}

#[test]
fn unsorted_rows_load_sorted_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "u.csv",
        &hourly(&[("02", "2"), ("00", "0"), ("01", "1"), ("03", "3")]),
    );
    let (ds, report) = load(&p, &opts()).unwrap();
    assert_eq!(ds.series[0].values, [0.0, 1.0, 2.0, 3.0]);
    assert!(!report.sorted);
    assert!(
        report.notes.iter().any(|n| n.contains("not in time order")),
        "{:?}",
        report.notes
    );
    assert!(report.render().contains("NOT sorted"));
}

/// A first line of numbers only is read as column names (pandas writes `0,1` as a real header)
/// with a note saying the file may lack a header line; a named header gets no such note.
#[test]
fn a_header_of_numbers_only_is_read_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let values: String = (0..30).map(|i| format!("{}\n", i % 5)).collect();
    let bare = write(dir.path(), "bare.csv", &format!("1.5\n{values}"));
    let (ds, report) = load(&bare, &opts()).unwrap();
    assert_eq!(ds.series[0].values.len(), 30, "the first line is not a row");
    let note = |report: &xlstm::data::check::CheckReport| {
        report
            .notes
            .iter()
            .any(|n| n.contains("'1.5'") && n.contains("add one naming the columns"))
    };
    assert!(note(&report), "{:?}", report.notes);
    assert!(inspect(&bare, &opts())
        .unwrap()
        .render()
        .contains("holds only numbers"));
    let named = write(dir.path(), "named.csv", &format!("y\n{values}"));
    let (_, report) = load(&named, &opts()).unwrap();
    assert!(
        !note(&report) && !report.render().contains("holds only numbers"),
        "{:?}",
        report.notes
    );
}

#[test]
fn duplicate_timestamps_are_an_error_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "d.csv",
        &hourly(&[("00", "0"), ("01", "1"), ("01", "1.5"), ("02", "2")]),
    );
    let e = data_error(load(&p, &opts()));
    assert!(e.contains("2024-01-01 01:00:00"), "{e}");
    assert!(
        e.contains("row 2 (line 3 of the file) and row 3 (line 4 of the file)"),
        "{e}"
    );
    assert!(e.contains("--id-col"), "{e}");
    let report = inspect(&p, &opts()).unwrap();
    assert_eq!(report.duplicates.count, 1);
    assert_eq!(report.duplicates.first[0].rows, [2, 3]);
    assert!(!report.is_usable());
}

#[test]
fn gaps_are_reported_with_the_first_missing_timestamps() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "g.csv",
        &hourly(&[("00", "0"), ("01", "1"), ("02", "2"), ("06", "6"), ("07", "7")]),
    );
    let (ds, report) = load(&p, &opts()).unwrap();
    assert_eq!(ds.frequency, Frequency::Seconds(3600));
    assert_eq!(
        ds.series[0].values.len(),
        5,
        "without --fill the gap is only reported"
    );
    assert_eq!(report.gaps.count, 1);
    assert_eq!(report.gaps.missing_timestamps, 3);
    assert_eq!(
        report.gaps.first[0].first_missing,
        [
            "2024-01-01 03:00:00",
            "2024-01-01 04:00:00",
            "2024-01-01 05:00:00"
        ]
    );
    assert!(report.render().contains("1 gap(s), 3 missing timestamp(s)"));
}

#[test]
fn missing_values_are_an_error_naming_rows() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "m.csv",
        &hourly(&[("00", "0"), ("01", ""), ("02", "NaN"), ("03", "3")]),
    );
    let e = data_error(load(&p, &opts()));
    assert!(e.contains("2 missing value(s)"), "{e}");
    assert!(
        e.contains("row 2 (line 3 of the file)") && e.contains("row 3 (line 4 of the file)"),
        "{e}"
    );
    assert!(e.contains("--fill ffill|linear|zero"), "{e}");
    let report = inspect(&p, &opts()).unwrap();
    assert_eq!(report.missing.count, 2);
    assert_eq!(report.missing.first[0].row, 2);
}

fn filled(fill: Fill) -> Vec<f64> {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "f.csv",
        &hourly(&[
            ("00", ""),
            ("01", "1"),
            ("02", ""),
            ("03", ""),
            ("04", "4"),
            ("05", ""),
        ]),
    );
    let (ds, report) = load(
        &p,
        &LoadOptions {
            fill: Some(fill),
            ..opts()
        },
    )
    .unwrap();
    assert_eq!(report.missing.count, 4);
    assert_eq!(report.missing.filled_with, Some(fill));
    ds.series[0].values.clone()
}

#[test]
fn fill_linear_interpolates_between_neighbours() {
    assert_eq!(filled(Fill::Linear), [1.0, 1.0, 2.0, 3.0, 4.0, 4.0]);
}

#[test]
fn fill_ffill_carries_forward_and_backfills_the_start() {
    assert_eq!(filled(Fill::Ffill), [1.0, 1.0, 1.0, 1.0, 4.0, 4.0]);
}

#[test]
fn fill_zero_writes_zeros() {
    assert_eq!(filled(Fill::Zero), [0.0, 1.0, 0.0, 0.0, 4.0, 0.0]);
}

#[test]
fn fill_also_inserts_the_missing_timestamps_of_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "g.csv",
        &hourly(&[("00", "0"), ("03", "3"), ("04", "")]),
    );
    let (ds, report) = load(
        &p,
        &LoadOptions {
            fill: Some(Fill::Linear),
            ..opts()
        },
    )
    .unwrap();
    assert_eq!(report.missing.inserted_rows, 2);
    assert_eq!(ds.series[0].values, [0.0, 1.0, 2.0, 3.0, 3.0]);
    assert_eq!(ds.series[0].time[1] - ds.series[0].time[0], 3600);
}

#[test]
fn too_short_series_error_says_how_many_rows_are_needed() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "s.csv",
        &hourly(&[("00", "0"), ("01", "1"), ("02", "2")]),
    );
    let (ds, _) = load(&p, &opts()).unwrap();
    let e = data_error(require_length(&ds, 12, "lookback 8 + horizon 4"));
    assert!(
        e.contains("series 'y' has 3 rows; lookback 8 + horizon 4 needs at least 12"),
        "{e}"
    );
    assert!(require_length(&ds, 3, "x").is_ok());
}

#[test]
fn non_numeric_target_value_is_named_with_row_and_fix() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "n.csv",
        &hourly(&[("00", "0"), ("01", "1"), ("02", "two")]),
    );
    let e = data_error(load(&p, &opts()));
    assert!(
        e.contains("target column 'y' has 'two' at row 3 (line 4 of the file)"),
        "{e}"
    );
    assert!(e.contains("not a number"), "{e}");
    let p = write(dir.path(), "c.csv", "date;y\n2024-01-01;1,5\n2024-01-02;2,5\n");
    let e = data_error(load(&p, &opts()));
    assert!(e.contains("decimal commas"), "{e}");
}

#[test]
fn no_target_found_lists_the_numeric_columns() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "t.csv",
        "date,load,temp,site\n2024-01-01,1,2,a\n2024-01-02,3,4,b\n",
    );
    let e = data_error(load(&p, &opts()));
    assert!(e.contains("the numeric columns are 'load', 'temp'"), "{e}");
    assert!(e.contains("--target"), "{e}");
    let p = write(dir.path(), "none.csv", "date,site\n2024-01-01,a\n2024-01-02,b\n");
    let e = data_error(load(&p, &opts()));
    assert!(e.contains("no numeric column"), "{e}");
}

#[test]
fn a_missing_id_col_column_is_a_usage_error_listing_columns() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "i.csv", &hourly(&[("00", "0"), ("01", "1")]));
    let e = load(
        &p,
        &LoadOptions {
            id_col: Some("store".into()),
            ..opts()
        },
    )
    .unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(e.to_string().contains("--id-col 'store' is not a column"), "{e}");
    assert!(e.to_string().contains("'date', 'y'"), "{e}");
    let e = load(
        &p,
        &LoadOptions {
            target: vec!["nope".into()],
            ..opts()
        },
    )
    .unwrap_err();
    assert_eq!(e.exit_code(), 2);
}

#[test]
fn several_targets_make_several_series() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "w.csv",
        "date,a,b,c\n2024-01-01,1,10,x\n2024-02-01,2,20,y\n2024-03-01,3,30,z\n",
    );
    let options = LoadOptions {
        target: LoadOptions::parse_targets("b, a"),
        ..opts()
    };
    let (ds, report) = load(&p, &options).unwrap();
    assert_eq!(ds.series.len(), 2);
    assert_eq!(ds.series[0].id, "b");
    assert_eq!(ds.series[0].values, [10.0, 20.0, 30.0]);
    assert_eq!(ds.series[1].values, [1.0, 2.0, 3.0]);
    assert_eq!(ds.frequency, Frequency::Months(1));
    assert_eq!(report.season, Some(12));
    assert_eq!(ds.time_kind, TimeKind::Date);
}

#[test]
fn long_format_panel_keeps_order_of_first_appearance() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/panel_long.csv");
    let (ds, report) = load(
        &p,
        &LoadOptions {
            id_col: Some("unique_id".into()),
            ..opts()
        },
    )
    .unwrap();
    let ids: Vec<&str> = ds.series.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["store_b", "store_a"]);
    assert_eq!(ds.series[1].values, [1.0, 2.0, 3.0, 4.0]);
    assert_eq!(ds.time_column.as_deref(), Some("ds"));
    assert_eq!(ds.frequency, Frequency::Seconds(86_400));
    assert_eq!(report.stats.len(), 2);
    assert_eq!(report.stats[0].mean, Some(11.5));
    // Without --id-col the same file has duplicate timestamps.
    assert!(load(&p, &opts())
        .unwrap_err()
        .to_string()
        .contains("duplicated timestamp"));
}

#[test]
fn infinite_values_are_an_error_even_with_fill() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "inf.csv",
        &hourly(&[("00", "0"), ("01", "inf"), ("02", "2")]),
    );
    let e = data_error(load(
        &p,
        &LoadOptions {
            fill: Some(Fill::Linear),
            ..opts()
        },
    ));
    assert!(
        e.contains("non-finite") && e.contains("row 2 (line 3 of the file)"),
        "{e}"
    );
}

#[test]
fn bad_timestamps_and_empty_time_cells_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "bt.csv", "date,y\n2024-01-01,1\n2024-13-01,2\n");
    let e = data_error(load(&p, &opts()));
    assert!(e.contains("'2024-13-01' at row 2 (line 3 of the file)"), "{e}");
    let p = write(dir.path(), "et.csv", "date,y\n2024-01-01,1\n,2\n");
    let e = data_error(load(&p, &opts()));
    assert!(e.contains("empty at row 2"), "{e}");
}

#[test]
fn check_report_renders_and_serialises() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "r.csv",
        &hourly(&[("00", "1"), ("01", "2"), ("02", "3"), ("04", "")]),
    );
    let report = inspect(&p, &opts()).unwrap();
    let text = report.render();
    for needle in [
        "rows:         4 in 1 series",
        "hourly (season guess: 24)",
        "gaps:",
        "missing:      1 value(s)",
        "NOT usable",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["rows"], 4);
    assert_eq!(json["gaps"]["missing_timestamps"], 1);
    assert_eq!(json["stats"][0]["max"], 3.0);
}

#[test]
fn time_col_flag_day_first_dates_and_utc_offsets() {
    let dir = tempfile::tempdir().unwrap();
    // A time column with an unusual name, chosen by the flag; day-first dates (25 > 12).
    let p = write(
        dir.path(),
        "dm.csv",
        "when,y\n24/12/2023,1\n25/12/2023,2\n26/12/2023,3\n",
    );
    let options = LoadOptions {
        time_col: Some("WHEN".into()),
        ..opts()
    };
    let (ds, report) = load(&p, &options).unwrap();
    assert_eq!(ds.time_column.as_deref(), Some("when"));
    assert_eq!(report.first.as_deref(), Some("2023-12-24"));
    assert_eq!(ds.frequency, Frequency::Seconds(86_400));
    // Offsets are folded to UTC, so a daylight-saving change is not a gap.
    let p = write(
        dir.path(),
        "dst.csv",
        "time,y\n2024-03-31T00:00:00+01:00,1\n2024-03-31T01:00:00+01:00,2\n2024-03-31T03:00:00+02:00,3\n",
    );
    let (ds, report) = load(&p, &opts()).unwrap();
    assert_eq!(report.gaps.count, 0);
    assert_eq!(ds.series[0].time[2] - ds.series[0].time[1], 3600);
    // A named time column that does not parse is an error naming the cell and the fix.
    let p = write(dir.path(), "bad.csv", "time,y\n0,1\n1,2\n");
    let e = data_error(load(&p, &opts()));
    assert!(
        e.contains("time column 'time' has '0' at row 1") && e.contains("--time-col"),
        "{e}"
    );
}
