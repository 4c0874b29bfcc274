//! M4 Hourly as a new user runs it (the competition's wide files turned into one long CSV, the
//! 48-hour hold-out through `xlstm compare --folds 1`): the official scores of the naive
//! benchmarks come out to three decimals (`../shared/docs/benchmarks.md` §3.3).
mod common;

use std::io::Write;
use std::path::Path;

use common::{stderr, temp, xlstm};

/// `Hourly-train.csv` and `Hourly-test.csv` with the starts of `Hourly-info.csv` as one long
/// `unique_id,ds,y` file (the test hours appended), written to `out`.
fn write_long(m4: &Path, out: &Path) {
    let rows = |name: &str| -> Vec<Vec<String>> {
        let text = std::fs::read_to_string(m4.join(name)).expect("M4 file");
        text.lines()
            .skip(1)
            .map(|l| {
                l.split(',')
                    .map(|v| v.trim_matches('"').to_string())
                    .filter(|v| !v.is_empty() && v != "NA")
                    .collect()
            })
            .collect()
    };
    let (train, test, info) = (
        rows("Hourly-train.csv"),
        rows("Hourly-test.csv"),
        rows("Hourly-info.csv"),
    );
    assert_eq!((train.len(), test.len(), info.len()), (414, 414, 414));
    let mut file = std::io::BufWriter::new(std::fs::File::create(out).unwrap());
    writeln!(file, "unique_id,ds,y").unwrap();
    for ((tr, te), inf) in train.iter().zip(&test).zip(&info) {
        assert_eq!(
            (&tr[0], &te[0], &inf[0]),
            (&tr[0], &tr[0], &tr[0]),
            "same series order"
        );
        let start = chrono::NaiveDateTime::parse_from_str(&inf[4], "%Y-%m-%d %H:%M:%S").unwrap();
        for (k, v) in tr[1..].iter().chain(&te[1..]).enumerate() {
            let t = start + chrono::Duration::hours(k as i64);
            writeln!(file, "{},{},{v}", tr[0], t.format("%Y-%m-%d %H:%M:%S")).unwrap();
        }
    }
}

#[test]
#[ignore = "needs ../shared"]
fn official_m4_hourly_naive_scores_come_out_to_three_decimals() {
    let m4 = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets/m4");
    assert!(
        m4.exists(),
        "{} is absent: this test needs the shared datasets",
        m4.display()
    );
    let dir = temp();
    let long = dir.path().join("m4_hourly.csv");
    write_long(&m4, &long);
    let o = xlstm(&[
        "compare",
        long.to_str().unwrap(),
        "--id-col",
        "unique_id",
        "-H",
        "48",
        "--folds",
        "1",
        "--models",
        "snaive,naive",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let score = |model: &str| {
        let m = doc["models"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["model"] == model)
            .unwrap();
        (m["smape"].as_f64().unwrap(), m["mase"].as_f64().unwrap())
    };
    // the official table (Mcompetitions/M4-methods, "Evaluation and Ranks.xlsx")
    for (model, smape, mase) in [("snaive", 13.912, 1.193), ("naive", 43.003, 11.608)] {
        let (s, m) = score(model);
        assert!(
            (s - smape).abs() < 5e-4,
            "{model} sMAPE {s} against the official {smape}"
        );
        assert!(
            (m - mase).abs() < 5e-4,
            "{model} MASE {m} against the official {mase}"
        );
    }
}
