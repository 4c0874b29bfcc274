//! The bad-input corpus (`tests/data/bad/`, listed in `docs/reliability.md`): one test per file,
//! each running the real binary as `xlstm fit FILE -m naive -H 3 -L 6 -o TEMP/m.xlstm`. A file
//! either works (and gives the same model as the clean file it encodes) or exits with code 1 and
//! a message naming the problem and where it is; never a panic, and nothing is left in the
//! output directory after a failure (no model file, no temporary file).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use xlstm::data::io::write_table;
use xlstm::data::table::{Column, Table};
use xlstm::data::TimeKind;

fn bad(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/bad")
        .join(name)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    v.sort();
    v
}

/// A fit of `data` into a fresh directory; returns the run, the directory and the model path.
fn fit(data: &Path, extra: &[&str]) -> (Output, tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.xlstm");
    let o = Command::new(env!("CARGO_BIN_EXE_xlstm"))
        .arg("fit")
        .arg(data)
        .args(["-m", "naive", "-H", "3", "-L", "6", "-o"])
        .arg(&model)
        .args(extra)
        .output()
        .expect("run xlstm");
    assert!(!stderr(&o).contains("panicked"), "a panic: {}", stderr(&o));
    (o, dir, model)
}

/// Exit code 1, every needle in the message, and an empty output directory.
fn fails(name: &str, extra: &[&str], needles: &[&str]) {
    fails_at(&bad(name), extra, needles);
}

fn fails_at(data: &Path, extra: &[&str], needles: &[&str]) {
    let (o, dir, _) = fit(data, extra);
    let text = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{}: {text}", data.display());
    assert!(text.starts_with("xlstm: error: "), "{text}");
    for needle in needles {
        assert!(text.contains(needle), "'{needle}' missing from: {text}");
    }
    assert!(text.len() < 2000, "a short message: {} bytes", text.len());
    assert!(
        files_in(dir.path()).is_empty(),
        "left behind: {:?}",
        files_in(dir.path())
    );
}

/// Exit code 0, only the model file in the output directory; returns the model's bytes and stderr.
fn works(name: &str, extra: &[&str]) -> (Vec<u8>, String) {
    let (o, dir, model) = fit(&bad(name), extra);
    assert!(o.status.success(), "{name}: {}", stderr(&o));
    assert_eq!(files_in(dir.path()), ["m.xlstm"]);
    (std::fs::read(model).unwrap(), stderr(&o))
}

/// The model of the clean file the legitimate variants encode: `crlf.csv` without its CRs.
fn clean_model() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(bad("crlf.csv"))
        .unwrap()
        .replace('\r', "");
    let clean = dir.path().join("clean.csv");
    std::fs::write(&clean, text).unwrap();
    let (o, _out, model) = fit(&clean, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::read(model).unwrap()
}

/// The hourly series of the corpus as a table (date-times, values), for the Parquet cases.
fn parquet_bytes() -> Vec<u8> {
    let text = std::fs::read_to_string(bad("crlf.csv")).unwrap();
    let (mut times, mut values) = (Vec::new(), Vec::new());
    for (i, line) in text.lines().skip(1).enumerate() {
        let v: f64 = line.split(',').nth(1).unwrap().trim().parse().unwrap();
        times.push(Some(1_704_067_200 + 3600 * i as i64));
        values.push(Some(v));
    }
    let table = Table::new(
        vec!["date".into(), "y".into()],
        vec![Column::Time(times, TimeKind::DateTime), Column::Number(values)],
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.parquet");
    write_table(&p, &table).unwrap();
    std::fs::read(p).unwrap()
}

#[test]
fn empty_file() {
    fails("empty.csv", &[], &["empty.csv", "is empty"]);
}

#[test]
fn header_only() {
    fails("header_only.csv", &[], &["header_only.csv", "no data rows"]);
}

#[test]
fn one_data_row() {
    fails(
        "one_row.csv",
        &[],
        &["one_row.csv", "frequency cannot be inferred", "at least two rows"],
    );
}

#[test]
fn non_numeric_target() {
    fails(
        "non_numeric_target.csv",
        &[],
        &["'y' has 'abc' at row 17 (line 18 of the file)", "not a number"],
    );
}

#[test]
fn target_entirely_missing() {
    fails(
        "target_all_missing.csv",
        &[],
        &["series 'y' has no values at all", "all 40 of its cells"],
    );
}

#[test]
fn mixed_types_in_the_target() {
    fails(
        "mixed_types_target.csv",
        &[],
        &["'y' has 'yes' at row 6 (line 7 of the file)", "not a number"],
    );
}

#[test]
fn unsorted_rows_are_sorted_with_a_note() {
    let (model, text) = works("unsorted.csv", &[]);
    assert!(text.contains("not in time order"), "{text}");
    assert!(model == clean_model(), "sorted rows give the clean file's model");
}

#[test]
fn duplicate_timestamps() {
    fails(
        "duplicate_timestamps.csv",
        &[],
        &[
            "duplicated timestamp",
            "2024-01-01 09:00:00",
            "row 10 (line 11 of the file) and row 11 (line 12 of the file)",
        ],
    );
}

#[test]
fn irregular_timestamps_train_with_a_note_naming_the_first() {
    let (_, text) = works("irregular_timestamps.csv", &[]);
    assert!(
        text.contains("not a whole number of hourly steps")
            && text.contains("2024-01-01 12:17:00")
            && text.contains("row 13 (line 14 of the file)"),
        "{text}"
    );
}

#[test]
fn mixed_utc_offsets_across_a_daylight_saving_change_are_one_hourly_series() {
    let (o, dir, model) = fit(&bad("dst_offsets.csv"), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("gap"), "{}", stderr(&o));
    let f = Command::new(env!("CARGO_BIN_EXE_xlstm"))
        .args(["forecast", "-H", "1", "-m"])
        .arg(&model)
        .output()
        .unwrap();
    // the last row is 2024-04-01T05:00:00+02:00 = 03:00 UTC; the next hour is 04:00 UTC
    let text = String::from_utf8_lossy(&f.stdout).to_string();
    assert!(text.contains("2024-04-01 04:00:00,"), "{text}");
    drop(dir);
}

#[test]
fn local_times_across_the_autumn_change_are_a_duplicate() {
    fails(
        "dst_local_no_offsets.csv",
        &[],
        &["duplicated timestamp", "2024-10-27 02:00:00", "row 13", "row 14"],
    );
}

#[test]
fn values_of_1e308() {
    fails(
        "huge_1e308.csv",
        &[],
        &[
            "too large",
            "'1e308' in series 'y'",
            "row 21 (line 22 of the file)",
        ],
    );
}

#[test]
fn inf() {
    fails(
        "inf.csv",
        &[],
        &[
            "non-finite",
            "'inf' in series 'y'",
            "row 21 (line 22 of the file)",
        ],
    );
}

#[test]
fn negative_inf() {
    fails(
        "neg_inf.csv",
        &[],
        &[
            "non-finite",
            "'-inf' in series 'y'",
            "row 21 (line 22 of the file)",
        ],
    );
}

#[test]
fn semicolon_delimiter_with_the_flag() {
    // the header's quoted comma defeats detection: without the flag the file is misread
    fails("semicolon.csv", &[], &["semicolon.csv"]);
    let (model, _) = works("semicolon.csv", &["--delimiter", ";"]);
    assert!(model == clean_model());
}

#[test]
fn utf8_byte_order_mark() {
    let (model, _) = works("bom.csv", &[]);
    assert!(model == clean_model());
}

#[test]
fn crlf_line_ends() {
    let (model, _) = works("crlf.csv", &[]);
    assert!(model == clean_model());
}

#[test]
fn latin1_bytes_in_the_header() {
    fails(
        "latin1_header.csv",
        &[],
        &[
            "line 1 is not valid UTF-8",
            "0xE9 at column 10",
            "save the file as UTF-8",
        ],
    );
}

#[test]
fn quoted_fields_with_commas_and_newlines() {
    let (model, _) = works("quoted_fields.csv", &[]);
    assert!(model == clean_model());
}

#[test]
fn parquet_file_named_csv() {
    let data = tempfile::tempdir().unwrap();
    let p = data.path().join("parquet_named.csv");
    std::fs::write(&p, parquet_bytes()).unwrap();
    fails_at(
        &p,
        &[],
        &["parquet_named.csv", "is a Parquet file", "--format parquet"],
    );
    // and it works when told
    let (o, dir, _) = fit(&p, &["--format", "parquet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(files_in(dir.path()), ["m.xlstm"]);
}

#[test]
fn csv_file_named_parquet() {
    fails(
        "csv_named.parquet",
        &[],
        &["csv_named.parquet", "not a Parquet file", "--format csv"],
    );
    let (model, _) = works("csv_named.parquet", &["--format", "csv"]);
    assert!(model == clean_model());
}

#[test]
fn truncated_parquet() {
    let data = tempfile::tempdir().unwrap();
    let bytes = parquet_bytes();
    for keep in [4, 20, bytes.len() / 2, bytes.len() - 1] {
        let p = data.path().join("truncated.parquet");
        std::fs::write(&p, &bytes[..keep]).unwrap();
        fails_at(&p, &[], &["truncated.parquet", "truncated"]);
    }
}

#[test]
fn a_very_long_line() {
    fails(
        "long_line.csv",
        &[],
        &[
            "'y' has 'xxxxxxxx",
            "(100000 characters)",
            "row 21 (line 22 of the file)",
        ],
    );
}

#[test]
fn a_panel_without_its_id_col() {
    fails(
        "panel_without_id_col.csv",
        &[],
        &["duplicated timestamp", "--id-col", "row 1 (line 2 of the file)"],
    );
    // a flag naming a column that does not exist is a usage error listing the columns
    let (o, dir, _) = fit(&bad("panel_without_id_col.csv"), &["--id-col", "store"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("'store' is not a column") && stderr(&o).contains("'unique_id'"));
    assert!(files_in(dir.path()).is_empty());
    let (o, dir, _) = fit(&bad("panel_without_id_col.csv"), &["--id-col", "unique_id"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(files_in(dir.path()), ["m.xlstm"]);
}

#[test]
fn one_series_of_a_panel_too_short() {
    fails(
        "panel_one_short.csv",
        &["--id-col", "unique_id"],
        &["series 'store_c' has 6 rows", "needs at least"],
    );
}
