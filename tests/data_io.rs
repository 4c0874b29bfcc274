//! Integration tests of reading and writing files: CSV dialects, Parquet, broken files, output
//! formats, atomic writes, and a million-row file read whole and with problems deep inside.

use std::path::{Path, PathBuf};

use xlstm::data::io::{read_table, write_atomic, write_table, Format};
use xlstm::data::load::{inspect, load, LoadOptions};
use xlstm::data::table::{Column, Table};
use xlstm::data::time::format_timestamp;
use xlstm::data::{Frequency, TimeKind};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn bom_crlf_and_quoted_fields_are_read() {
    let p = fixture("bom_crlf_quoted.csv");
    let table = read_table(&p, None, None).unwrap();
    assert_eq!(table.names, ["timestamp", "note", "value"]);
    let notes: Vec<String> = (0..4).map(|i| table.columns[1].cell_text(i).unwrap()).collect();
    assert_eq!(notes, ["plain", "with, comma", "with \"quotes\"", "two\r\nlines"]);
    // The fourth row starts on line 5 and its quoted field runs onto line 6.
    assert_eq!(table.lines.all(), Some(&[2, 3, 4, 5][..]));
    let (ds, _) = load(&p, &LoadOptions::default()).unwrap();
    assert_eq!(ds.targets, ["value"]);
    assert_eq!(ds.time_kind, TimeKind::DateTime);
    assert_eq!(ds.frequency, Frequency::Seconds(3600));
    assert_eq!(ds.series[0].values, [1.0, 2.0, 3.0, 4.0]);
}

#[test]
fn semicolon_delimiter_with_the_flag_and_detected() {
    let p = fixture("semicolon.csv");
    let options = LoadOptions {
        delimiter: Some(b';'),
        target: vec!["Wert".into()],
        ..Default::default()
    };
    let (ds, _) = load(&p, &options).unwrap();
    assert_eq!(ds.time_column.as_deref(), Some("Datum"));
    assert_eq!(ds.series[0].values, [1.5, 2.5, 3.5, 4.5]);
    let detected = read_table(&p, None, None).unwrap();
    assert_eq!(detected.names, ["Datum", "Wert", "Temperatur"]);
    // Forcing the wrong delimiter gives one column, and no number to forecast.
    let e = load(
        &p,
        &LoadOptions {
            delimiter: Some(b','),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("Datum;Wert;Temperatur"), "{e}");
}

#[test]
fn parquet_round_trip_through_write_table() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = 1_704_067_200; // 2024-01-01 00:00:00
    let table = Table::new(
        vec!["ds".into(), "unique_id".into(), "y".into()],
        vec![
            Column::Time(
                (0..6).map(|k| Some(t0 + 3600 * (k % 3))).collect(),
                TimeKind::DateTime,
            ),
            Column::Text(
                (0..6)
                    .map(|k| Some(if k < 3 { "a" } else { "b" }.to_string()))
                    .collect(),
            ),
            Column::Number((0..6).map(|k| Some(k as f64 * 0.5)).collect()),
        ],
    )
    .unwrap();
    let p = dir.path().join("panel.parquet");
    write_table(&p, &table).unwrap();
    let back = read_table(&p, None, None).unwrap();
    assert_eq!(back.names, table.names);
    assert_eq!(back.columns, table.columns);
    let (ds, _) = load(
        &p,
        &LoadOptions {
            id_col: Some("unique_id".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(ds.series.len(), 2);
    assert_eq!(ds.series[1].values, [1.5, 2.0, 2.5]);
    assert_eq!(ds.frequency, Frequency::Seconds(3600));
    // Dates survive as dates.
    let dates = Table::new(
        vec!["date".into(), "v".into()],
        vec![
            Column::Time(vec![Some(0), Some(86_400)], TimeKind::Date),
            Column::Number(vec![Some(1.0), None]),
        ],
    )
    .unwrap();
    let p = dir.path().join("dates.PARQUET");
    write_table(&p, &dates).unwrap();
    assert_eq!(read_table(&p, None, None).unwrap().columns, dates.columns);
}

#[test]
fn broken_files_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], &str); 5] = [
        ("empty.csv", b"", "is empty"),
        ("header.csv", b"date,y\r\n", "no data rows"),
        (
            "truncated.csv",
            b"date,y,z\n2024-01-01,1,2\n2024-01-02,3",
            "truncated",
        ),
        (
            "ragged.csv",
            b"date,y\n2024-01-01,1,5\n2024-01-02,3\n",
            "line 2 has 3 field(s)",
        ),
        (
            "bad.parquet",
            b"PAR1 this is not parquet",
            "incomplete Parquet file",
        ),
    ];
    for (name, bytes, needle) in cases {
        let p = write(dir.path(), name, bytes);
        let e = load(&p, &LoadOptions::default()).unwrap_err();
        assert_eq!(e.exit_code(), 1, "{name}");
        assert!(e.to_string().contains(needle), "{name}: {e}");
        assert!(e.to_string().contains(name), "{name} not named: {e}");
    }
    let e = load(&dir.path().join("absent.csv"), &LoadOptions::default()).unwrap_err();
    assert!(e.to_string().contains("absent.csv"), "{e}");
    let e = read_table(&write(dir.path(), "data.xlsx", b"x"), None, None).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(read_table(&dir.path().join("data.xlsx"), Some(Format::Csv), None).is_err());
}

#[test]
fn outputs_are_written_by_extension_and_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let table = Table::new(
        vec!["id".into(), "timestamp".into(), "forecast".into()],
        vec![
            Column::Text(vec![Some("a".into()), Some("a".into())]),
            Column::Time(vec![Some(1_704_067_200), Some(1_704_070_800)], TimeKind::DateTime),
            Column::Number(vec![Some(1.5), Some(-2.0)]),
        ],
    )
    .unwrap();
    let csv = dir.path().join("f.csv");
    write_table(&csv, &table).unwrap();
    assert_eq!(
        std::fs::read_to_string(&csv).unwrap(),
        "id,timestamp,forecast\na,2024-01-01 00:00:00,1.5\na,2024-01-01 01:00:00,-2\n"
    );
    let json = dir.path().join("f.json");
    write_table(&json, &table).unwrap();
    let text = std::fs::read_to_string(&json).unwrap();
    assert!(
        text.find("\"id\"").unwrap() < text.find("\"timestamp\"").unwrap(),
        "column order kept"
    );
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert_eq!(v[1]["forecast"], -2.0);
    assert!(write_table(&dir.path().join("f.xlsx"), &table).is_err());
    write_atomic(&dir.path().join("m.bin"), b"model").unwrap();
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    assert_eq!(std::fs::read(dir.path().join("m.bin")).unwrap(), b"model");
}

/// Every prefix of a valid file, and some byte soup, loads or fails with an error: never a panic.
#[test]
fn truncated_and_garbled_files_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(fixture("bom_crlf_quoted.csv")).unwrap();
    let panel = std::fs::read(fixture("panel_long.csv")).unwrap();
    let mut inputs: Vec<Vec<u8>> = (0..good.len()).map(|n| good[..n].to_vec()).collect();
    inputs.extend((0..panel.len()).step_by(7).map(|n| panel[..n].to_vec()));
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    for len in [1, 10, 100, 1000] {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                b",;\"\n\r0123456789.-:T aZ"[(state % 22) as usize]
            })
            .collect();
        inputs.push(bytes);
    }
    let mut loaded = 0;
    for (k, bytes) in inputs.iter().enumerate() {
        let p = write(dir.path(), &format!("f{k}.csv"), bytes);
        for options in [
            LoadOptions::default(),
            LoadOptions {
                id_col: Some("unique_id".into()),
                fill: Some(xlstm::data::check::Fill::Linear),
                ..Default::default()
            },
        ] {
            match load(&p, &options) {
                Ok(_) => loaded += 1,
                Err(e) => assert!(!e.to_string().is_empty()),
            }
        }
    }
    assert!(loaded > 0, "some prefixes are valid files");
}

/// The rows of a million-row file like the one `benches/io.sh` writes: minutely timestamps from
/// 2020-01-01 and three numeric columns; `load` of row `k` is `500 + (k % 1000) / 8` (exact in
/// binary, so sums can be checked exactly).
fn million_rows() -> (Vec<String>, Vec<i64>, Vec<f64>) {
    let t0 = 1_577_836_800; // 2020-01-01 00:00:00
    let times: Vec<i64> = (0..1_000_000).map(|k| t0 + 60 * k).collect();
    let loads: Vec<f64> = (0..1_000_000).map(|k| 500.0 + (k % 1000) as f64 / 8.0).collect();
    let lines = times
        .iter()
        .zip(&loads)
        .enumerate()
        .map(|(k, (&t, load))| {
            let temperature = 12.0 + (k % 97) as f64 / 4.0;
            format!(
                "{},{load:.3},{temperature:.2},{:.4}",
                format_timestamp(t, TimeKind::DateTime),
                40.0 + (k % 13) as f64 / 16.0
            )
        })
        .collect();
    (lines, times, loads)
}

fn write_rows(dir: &Path, name: &str, rows: &[String]) -> PathBuf {
    let mut text = String::with_capacity(rows.len() * 45 + 40);
    text.push_str("timestamp,load,temperature,price\n");
    for row in rows {
        text.push_str(row);
        text.push('\n');
    }
    write(dir, name, text.as_bytes())
}

/// Replaces field `k` of a generated row (its fields hold no separator).
fn set_field(row: &mut String, k: usize, value: &str) {
    let mut fields: Vec<&str> = row.split(',').collect();
    fields[k] = value;
    *row = fields.join(",");
}

fn target_load() -> LoadOptions {
    LoadOptions {
        target: vec!["load".into()],
        ..Default::default()
    }
}

#[test]
fn a_million_rows_are_read_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let (rows, times, loads) = million_rows();
    let p = write_rows(dir.path(), "rows.csv", &rows);
    let report = inspect(&p, &target_load()).unwrap();
    assert_eq!((report.rows, report.series), (1_000_000, 1));
    assert_eq!(report.columns, ["timestamp", "load", "temperature", "price"]);
    assert_eq!(report.first.as_deref(), Some("2020-01-01 00:00:00"));
    assert_eq!(report.last.as_deref(), Some("2021-11-25 10:39:00"));
    assert_eq!(report.frequency, Some(Frequency::Seconds(60)));
    assert!(
        report.sorted && report.problems.is_empty(),
        "{:?}",
        report.problems
    );
    assert_eq!(
        (report.duplicates.count, report.gaps.count, report.missing.count),
        (0, 0, 0)
    );
    let stats = &report.stats[0];
    let sum = loads.iter().fold(-0.0, |a, b| a + b);
    assert_eq!(
        (stats.count, stats.min, stats.max),
        (1_000_000, Some(500.0), Some(624.875))
    );
    assert_eq!(stats.mean, Some(sum / 1e6));
    let (ds, _) = load(&p, &target_load()).unwrap();
    assert_eq!(ds.series[0].time, times);
    assert_eq!(ds.series[0].values, loads);
}

#[test]
fn problems_deep_in_a_million_rows_are_found_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let (mut rows, times, _) = million_rows();
    let stamp = |k: usize| format_timestamp(times[k], TimeKind::DateTime);
    // Row 600,001 has a quoted field over two lines, so later rows start one line further down.
    let temperature = rows[600_000].split(',').nth(2).unwrap().to_string();
    set_field(&mut rows[600_000], 2, &format!("\"{temperature}\n\""));
    let line_of = |k: usize| k + 2 + usize::from(k > 600_000);
    // A duplicate (and so a gap), a missing value and two rows out of order.
    set_field(&mut rows[700_000], 0, &stamp(699_999));
    set_field(&mut rows[800_000], 1, "");
    rows.swap(900_000, 900_001);
    let p = write_rows(dir.path(), "problems.csv", &rows);
    let report = inspect(&p, &target_load()).unwrap();
    assert_eq!(report.rows, 1_000_000);
    assert_eq!(report.duplicates.count, 1);
    let dup = &report.duplicates.first[0];
    assert_eq!(
        (dup.timestamp.as_str(), dup.rows.as_slice()),
        (stamp(699_999).as_str(), &[700_000, 700_001][..])
    );
    assert_eq!(
        dup.location,
        format!(
            "row 700000 (line {} of the file) and row 700001 (line {} of the file)",
            line_of(699_999),
            line_of(700_000)
        )
    );
    assert_eq!((report.gaps.count, report.gaps.missing_timestamps), (1, 1));
    assert_eq!(report.gaps.first[0].first_missing, [stamp(700_000)]);
    assert_eq!(report.missing.count, 1);
    assert_eq!(
        report.missing.first[0].location,
        format!("row 800001 (line {} of the file)", line_of(800_000))
    );
    assert!(!report.sorted);
    assert!(
        report.notes[0].contains(&format!("row 900002 (line {} of the file)", line_of(900_001))),
        "{}",
        report.notes[0]
    );
    assert_eq!(report.problems.len(), 2, "{:?}", report.problems);
    let e = load(&p, &target_load()).unwrap_err().to_string();
    assert!(
        e.contains("1 duplicated timestamp(s)") && e.contains("1 missing value(s)"),
        "{e}"
    );

    // A value and a timestamp that do not parse are named with their row and line.
    let (mut rows, _, _) = million_rows();
    set_field(&mut rows[654_321], 1, "abc");
    let p = write_rows(dir.path(), "bad_value.csv", &rows);
    let e = inspect(&p, &target_load()).unwrap_err().to_string();
    assert!(
        e.contains("target column 'load' has 'abc' at row 654322 (line 654323 of the file)"),
        "{e}"
    );
    set_field(&mut rows[950_000], 0, "2021-13-01 00:00:00");
    let p = write_rows(dir.path(), "bad_time.csv", &rows);
    let e = load(&p, &target_load()).unwrap_err().to_string();
    assert!(
        e.contains(
            "time column 'timestamp' has '2021-13-01 00:00:00' at row 950001 (line 950002 of the file)"
        ),
        "{e}"
    );
}
