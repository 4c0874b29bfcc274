//! Reading and writing tables: the only module that uses polars.
//!
//! One file per job: [`csv`] reads CSV files (polars splits them; every column stays text so
//! that [`super::load`] decides what a cell means), [`csv_scan`] is the second pass that names
//! the line of a problem, [`parquet`] reads Parquet files, and [`write`] writes `.csv`,
//! `.parquet` and `.json` outputs atomically.

pub mod csv;
pub mod csv_scan;
pub mod csv_text;
pub mod parquet;
pub mod write;

use std::path::Path;
use std::str::FromStr;

pub use csv_text::{CsvText, CsvTextIter};
pub use write::{
    ensure_replaceable, output_format, write_atomic, write_atomic_with, write_csv, write_json, write_table,
    write_table_as,
};

use super::table::Table;
use crate::error::{Error, Result};

/// A file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma- (or otherwise) separated text with a header line.
    Csv,
    /// Apache Parquet.
    Parquet,
    /// JSON array of row objects (output only).
    Json,
}

impl Format {
    /// The format named by a path's extension (case-insensitive), if any.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "tsv" | "txt" => Some(Format::Csv),
            "parquet" | "pq" => Some(Format::Parquet),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

impl FromStr for Format {
    type Err = Error;
    fn from_str(s: &str) -> Result<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "parquet" => Ok(Format::Parquet),
            "json" => Ok(Format::Json),
            other => Err(Error::usage(format!(
                "unknown format '{other}': use csv, parquet or json"
            ))),
        }
    }
}

fn name_of(path: &Path) -> String {
    path.display().to_string()
}

/// The four bytes that start and end every Parquet file.
const PARQUET_MAGIC: &[u8] = b"PAR1";

/// Reads a CSV or Parquet file into a [`Table`]. `format` overrides the extension; `delimiter`
/// sets the CSV field separator (default: `,`, or `;` / tab when the header line has no comma
/// but has those).
pub fn read_table(path: &Path, format: Option<Format>, delimiter: Option<u8>) -> Result<Table> {
    let file = name_of(path);
    let format = match format.or_else(|| Format::from_path(path)) {
        Some(f) => f,
        None => {
            return Err(Error::usage(format!(
                "cannot tell the format of '{file}' from its name: use a .csv or .parquet file, \
                 or pass --format csv|parquet"
            )))
        }
    };
    if path.is_dir() {
        return Err(Error::data(format!("'{file}' is a directory, not a data file")));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Error::data(format!(
            "'{file}' is empty: expected a header line and at least one data row"
        )));
    }
    match format {
        Format::Csv => csv::read_csv(path, &bytes, delimiter),
        Format::Parquet => parquet::read_parquet(path, &bytes),
        Format::Json => Err(Error::usage(format!(
            "cannot read '{file}': JSON input is not supported; convert it to CSV or Parquet"
        ))),
    }
}

/// Runs a polars call, turning a panic inside polars (malformed input it does not expect) into a
/// data error naming the file.
/// The panic message is not printed (the user gets the error instead).
fn guard<T>(file: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(hook);
    result.unwrap_or_else(|_| {
        Err(Error::data(format!(
            "could not read '{file}': the reader failed on malformed content"
        )))
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::path::PathBuf;

    use super::*;
    use crate::data::table::Column;
    use crate::data::TimeKind;

    fn write(dir: &Path, name: &str, text: &[u8]) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn texts(c: &Column) -> Vec<Option<String>> {
        (0..c.len()).map(|i| c.cell_text(i)).collect()
    }

    #[test]
    fn reads_csv_as_text_with_line_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "a.csv",
            b"\xef\xbb\xbfdate,y\r\n2020-01-01,1\r\n\r\n\"2020-01-02\",\"2,5\"\r\n2020-01-03,\r\n",
        );
        let t = read_table(&p, None, None).unwrap();
        assert_eq!(t.names, ["date", "y"]);
        assert_eq!(texts(&t.columns[1]), [Some("1".into()), Some("2,5".into()), None]);
        assert_eq!(t.lines.all(), Some(&[2, 4, 5][..]));
        assert_eq!(t.row_label(1), "row 2 (line 4 of the file)");
    }

    #[test]
    fn detects_semicolons_and_reports_ragged_and_truncated_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "s.csv", b"date;y\n2020-01-01;1,5\n");
        let t = read_table(&p, None, None).unwrap();
        assert_eq!(texts(&t.columns[1]), [Some("1,5".into())]);
        let p = write(dir.path(), "r.csv", b"a,b,c\n1,2,3\n1,2\n4,5,6\n");
        let e = read_table(&p, None, None).unwrap_err().to_string();
        assert!(e.contains("line 3 has 2 field(s) but the header has 3"), "{e}");
        let p = write(dir.path(), "q.csv", b"a,b\n\"1,2\n3,4\n");
        let e = read_table(&p, None, None).unwrap_err().to_string();
        assert!(e.contains("opened on line 2 is never closed"), "{e}");
        let p = write(dir.path(), "t.csv", b"a,b,c\n1,2,3\n4,5");
        let e = read_table(&p, None, None).unwrap_err().to_string();
        assert!(e.contains("truncated"), "{e}");
    }

    #[test]
    fn empty_header_only_missing_and_unknown_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_table(&write(dir.path(), "e.csv", b" \n"), None, None).unwrap_err();
        assert!(e.to_string().contains("is empty"), "{e}");
        let e = read_table(&write(dir.path(), "h.csv", b"a,b\n"), None, None).unwrap_err();
        assert!(e.to_string().contains("no data rows"), "{e}");
        let e = read_table(&dir.path().join("nope.csv"), None, None).unwrap_err();
        assert!(matches!(e, Error::Io { .. }));
        let e = read_table(&write(dir.path(), "x.dat", b"a\n1\n"), None, None).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(read_table(&dir.path().join("x.dat"), Some(Format::Csv), None).is_ok());
        let e = read_table(&write(dir.path(), "bad.parquet", b"not parquet"), None, None).unwrap_err();
        assert!(e.to_string().contains("not a Parquet file"), "{e}");
    }

    #[test]
    fn writes_csv_json_and_parquet_that_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let table = Table::new(
            vec!["id".into(), "timestamp".into(), "forecast".into()],
            vec![
                Column::Text(vec![Some("a \"b\"".into()), None]),
                Column::Time(vec![Some(1_467_331_200), Some(1_467_334_800)], TimeKind::DateTime),
                Column::Number(vec![Some(1.25), Some(f64::NAN)]),
            ],
        )
        .unwrap();
        let csv_path = dir.path().join("f.csv");
        write_table(&csv_path, &table).unwrap();
        let text = std::fs::read_to_string(&csv_path).unwrap();
        assert_eq!(
            text,
            "id,timestamp,forecast\n\"a \"\"b\"\"\",2016-07-01 00:00:00,1.25\n,2016-07-01 01:00:00,NaN\n"
        );
        let json_path = dir.path().join("f.json");
        write_table(&json_path, &table).unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
        assert_eq!(v[0]["timestamp"], "2016-07-01 00:00:00");
        assert_eq!(v[0]["forecast"], 1.25);
        assert!(v[1]["forecast"].is_null() && v[1]["id"].is_null());
        let pq = dir.path().join("f.parquet");
        write_table(&pq, &table).unwrap();
        let back = read_table(&pq, None, None).unwrap();
        assert_eq!(back.names, table.names);
        assert_eq!(back.columns[0], table.columns[0]);
        assert_eq!(back.columns[1], table.columns[1]);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".tmp")
            })
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn atomic_write_leaves_the_old_file_on_failure() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.csv");
        write_atomic(&p, b"old").unwrap();
        let r = write_atomic_with(&p, |w| {
            w.write_all(b"half").unwrap();
            Err(Error::runtime("boom"))
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert!(write_atomic(&dir.path().join("missing/x.csv"), b"x").is_err());
    }

    fn cells(t: &Table) -> Vec<Vec<Option<String>>> {
        (0..t.rows())
            .map(|r| t.columns.iter().map(|c| c.cell_text(r)).collect())
            .collect()
    }

    #[test]
    fn quotes_follow_rfc_4180_and_carriage_returns_end_fields() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "q.csv",
            b"\"a \"\"b\"\"\",c,\n\"\",x,\"1\r\n2\"\r\n \"z\",\"\"\"\",v\rw\r\n\n",
        );
        let t = read_table(&p, None, None).unwrap();
        // `""` in a quoted name is a quote; an empty name is named by its position.
        assert_eq!(t.names, ["a \"b\"", "c", "column_3"]);
        let s = |x: &str| Some(x.to_string());
        assert_eq!(
            cells(&t),
            [
                // A quoted empty field is missing; a quoted field keeps its line break.
                vec![None, s("x"), s("1\r\n2")],
                // A quote after a space does not start a quoted field; a carriage return
                // inside a field is kept.
                vec![s(" \"z\""), s("\""), s("v\rw")],
            ]
        );
        assert_eq!(t.lines.all(), Some(&[2, 4][..]));
        // A record with only a quoted empty field is not a blank line.
        let p = write(dir.path(), "one.csv", b"a\n\"\"\n1\n");
        let t = read_table(&p, None, None).unwrap();
        assert_eq!(
            (cells(&t), t.lines.all()),
            (vec![vec![None], vec![s("1")]], Some(&[2, 3][..]))
        );
        // A lone quote inside a field is named with its line.
        let p = write(dir.path(), "inch.csv", b"a,b\n12\" pipe,3\n4,5\n");
        let e = read_table(&p, None, None).unwrap_err().to_string();
        assert!(e.contains("line 2 has a quote (\") inside a field"), "{e}");
    }

    #[test]
    fn blank_lines_are_skipped_and_rows_keep_their_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "b.csv",
            b"\n  \ndate,y\n2020-01-01,1\n\n   \n2020-01-02,2\n\n",
        );
        let t = read_table(&p, None, None).unwrap();
        assert_eq!(
            cells(&t),
            [
                vec![Some("2020-01-01".to_string()), Some("1".to_string())],
                vec![Some("2020-01-02".to_string()), Some("2".to_string())]
            ]
        );
        assert_eq!(t.lines.all(), Some(&[4, 7][..]));
        let p = write(dir.path(), "one.csv", b"y\n1\n   \n2\n");
        let t = read_table(&p, None, None).unwrap();
        assert_eq!(
            (t.rows(), t.row_label(1)),
            (2, "row 2 (line 4 of the file)".to_string())
        );
        // Lines of a file polars read whole are found when a message first needs one.
        let p = write(dir.path(), "plain.csv", b"a,b\n1,1\n2,3\n");
        let t = read_table(&p, None, None).unwrap();
        assert_eq!(format!("{:?}", t.lines), "RowLines(not yet found)");
        assert_eq!(t.row_label(1), "row 2 (line 3 of the file)");
        // A quote polars and the rules read differently is refused, naming its line.
        let p = write(dir.path(), "odd.csv", b"a;b\nx\"y;1\n\"z;2\n");
        let e = read_table(&p, None, None).unwrap_err().to_string();
        assert!(e.contains("odd.csv") && e.contains("line 3"), "{e}");
    }

    #[test]
    fn repeated_names_are_numbered_as_polars_did() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "d.csv", b"a,a, b ,a,\xef\xbb\xbfc\n1,2,3,4,5\n");
        let t = read_table(&p, None, None).unwrap();
        assert_eq!(t.names, ["a", "a_duplicated_0", "b", "a_duplicated_1", "c"]);
        let p = write(dir.path(), "e.csv", b"a, a\n1,2\n");
        let e = read_table(&p, None, None).unwrap_err().to_string();
        assert!(e.contains("column name 'a' appears twice"), "{e}");
    }

    #[test]
    fn text_after_a_closing_quote_and_odd_separators_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "q.csv", b"a,b\n1,2\n\"3\"x,4\n");
        let e = read_table(&p, None, None).unwrap_err().to_string();
        assert!(e.contains("line 3 has text after the closing quote"), "{e}");
        assert!(!e.contains("--delimiter"), "{e}");
        // A comma file read with ';': the quoted fields are followed by commas.
        let p = write(dir.path(), "c.csv", b"\"a\",\"b\"\n1,2\n");
        let e = read_table(&p, None, Some(b';')).unwrap_err().to_string();
        assert!(
            e.contains("line 1 has text after the closing quote") && e.contains("','"),
            "{e}"
        );
        for bad in [b'"', b'\n', b'\r', 0xE9] {
            let e = read_table(&p, None, Some(bad)).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{e}");
        }
        // An unclosed quote is named by the line it opens on, before any other problem.
        let p = write(dir.path(), "u.csv", b"a,b\n1\n\"2,3\n4,5\n");
        let e = read_table(&p, None, None).unwrap_err().to_string();
        assert!(e.contains("opened on line 3 is never closed"), "{e}");
    }

    /// Pseudo-random CSV-like inputs: mutations of well-formed files and byte soup.
    fn messy_inputs() -> Vec<Vec<u8>> {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as usize
        };
        let mut well_formed = String::from("\u{feff}time,\"note\",y\r\n");
        for k in 0..40 {
            let note = match k % 5 {
                0 => "\"a, \"\"b\"\"\"".to_string(),
                1 => "\"two\nlines\"".to_string(),
                2 => String::new(),
                _ => format!("n{k}"),
            };
            let end = if k % 7 == 0 { "\r\n\n" } else { "\n" };
            well_formed.push_str(&format!("2024-01-01 {:02}:00,{note},{k}.5{end}", k % 24));
        }
        let plain: String = (0..60).map(|k| format!("{k},{}\n", k * 3)).collect();
        let seeds = [well_formed.into_bytes(), format!("a,b\n{plain}").into_bytes()];
        let alphabet = b",;\"\n\r0123456789.-: aZ\t";
        let mut inputs: Vec<Vec<u8>> = seeds.to_vec();
        for k in 0..1500 {
            let mut b = seeds[k % 2].clone();
            for _ in 0..1 + next() % 4 {
                let i = next() % b.len();
                match next() % 4 {
                    0 => b[i] = alphabet[next() % alphabet.len()],
                    1 => b.insert(i, alphabet[next() % alphabet.len()]),
                    2 => {
                        b.remove(i);
                    }
                    _ => b.truncate(i.max(1)),
                }
            }
            inputs.push(b);
        }
        for _ in 0..500 {
            let len = 1 + next() % 120;
            inputs.push((0..len).map(|_| alphabet[next() % alphabet.len()]).collect());
        }
        inputs
    }

    #[test]
    fn messy_inputs_read_or_fail_and_rows_keep_their_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.csv");
        let mut read = 0;
        for bytes in messy_inputs() {
            std::fs::write(&p, &bytes).unwrap();
            for delimiter in [b',', b';'] {
                let text = String::from_utf8_lossy(&bytes);
                match read_table(&p, None, Some(delimiter)) {
                    Ok(t) => {
                        read += 1;
                        let lines = t.lines.all().unwrap_or_else(|| panic!("no lines: {text:?}"));
                        assert_eq!(lines.len(), t.rows(), "{text:?}");
                        assert!(lines.windows(2).all(|w| w[0] < w[1]), "{text:?}");
                    }
                    Err(e) => assert!(e.to_string().contains("m.csv"), "{text:?}: {e}"),
                }
            }
        }
        assert!(read > 500, "{read} inputs read");
    }
}
