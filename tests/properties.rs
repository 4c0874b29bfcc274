//! Property-based tests (proptest) of the reader, the loader and its checks, and the window
//! builder: random bytes never panic, every accepted random series comes back unchanged, and
//! windows never cross split boundaries the wrong way.

use proptest::prelude::*;

use xlstm::data::io::write_table;
use xlstm::data::load::{load, LoadOptions};
use xlstm::data::table::{Column, Table};
use xlstm::data::window::{ScaledSplit, Split, SplitPart};
use xlstm::data::TimeKind;

/// Bytes that look a little like CSV (separators, quotes, line ends, digits, dates) mixed with
/// arbitrary bytes, including invalid UTF-8, NUL and the Parquet magic.
fn csvish_bytes() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        Just(b",".to_vec()),
        Just(b";".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"date,y\n".to_vec()),
        Just(b"unique_id,ds,y\n".to_vec()),
        Just(b"2024-01-01 00:00:00".to_vec()),
        Just(b"2024-01-01T01:00:00+02:00".to_vec()),
        Just(b"1e308".to_vec()),
        Just(b"inf".to_vec()),
        Just(b"NaN".to_vec()),
        Just(b"PAR1".to_vec()),
        Just(b"\xef\xbb\xbf".to_vec()),
        "[0-9.eE+-]{1,6}".prop_map(String::into_bytes),
        any::<u8>().prop_map(|b| vec![b]),
    ];
    prop::collection::vec(token, 0..60).prop_map(|t| t.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// The CSV and Parquet readers, the column detection and the checks never panic.
    #[test]
    fn the_reader_and_loader_never_panic_on_random_bytes(bytes in csvish_bytes(), panel in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let options = LoadOptions {
            id_col: panel.then(|| "unique_id".to_string()),
            fill: panel.then_some(xlstm::data::check::Fill::Linear),
            ..LoadOptions::default()
        };
        for name in ["f.csv", "f.parquet"] {
            let p = dir.path().join(name);
            std::fs::write(&p, &bytes).unwrap();
            match load(&p, &options) {
                Ok((dataset, _)) => {
                    for s in &dataset.series {
                        prop_assert_eq!(s.time.len(), s.values.len());
                        prop_assert!(s.values.iter().all(|v| v.is_finite()));
                        prop_assert!(s.time.windows(2).all(|w| w[0] < w[1]));
                    }
                }
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
        }
    }
}

/// A regular series: start (seconds), step (seconds), values.
fn series() -> impl Strategy<Value = (i64, i64, Vec<f64>)> {
    let value = prop_oneof![
        (-1e100f64..1e100f64),
        (-1e6f64..1e6f64),
        any::<i32>().prop_map(f64::from),
        Just(0.0),
        Just(-0.0),
        Just(f64::MIN_POSITIVE),
    ];
    (
        0i64..4_000_000_000,
        prop::sample::select(vec![1, 60, 900, 3600, 86_400, 604_800]),
        prop::collection::vec(value, 2..80),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    /// A valid series written by xlstm's writer (CSV and Parquet) loads back with the same
    /// times and bit-identical values.
    #[test]
    fn every_accepted_series_comes_back_unchanged((start, step, values) in series(), shuffle in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let times: Vec<i64> = (0..values.len() as i64).map(|i| start + i * step).collect();
        let mut order: Vec<usize> = (0..values.len()).collect();
        if shuffle {
            order.reverse();
        }
        let table = Table::new(
            vec!["date".into(), "y".into()],
            vec![
                Column::Time(order.iter().map(|&i| Some(times[i])).collect(), TimeKind::DateTime),
                Column::Number(order.iter().map(|&i| Some(values[i])).collect()),
            ],
        )
        .unwrap();
        for name in ["s.csv", "s.parquet"] {
            let p = dir.path().join(name);
            write_table(&p, &table).unwrap();
            let (dataset, _) = load(&p, &LoadOptions::default())
                .map_err(|e| TestCaseError::fail(format!("{name}: {e}")))?;
            prop_assert_eq!(dataset.series.len(), 1);
            let s = &dataset.series[0];
            prop_assert_eq!(&s.time, &times);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            prop_assert_eq!(bits(&s.values), bits(&values));
        }
    }
}

/// A split: fractions or row counts.
fn split() -> impl Strategy<Value = Split> {
    prop_oneof![
        (0.05f64..1.0, 0.0f64..1.0, 0.0f64..1.0).prop_map(|(a, b, c)| {
            let total = a + b + c;
            if total > 1.0 {
                Split::Fractions(a / total, b / total, c / total)
            } else {
                Split::Fractions(a, b, c)
            }
        }),
        (1usize..200, 0usize..100, 0usize..100).prop_map(|(a, b, c)| Split::Rows(a, b, c)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Training targets end before train_end; validation targets lie in [train_end, val_end),
    /// test targets in [val_end, test_end); inputs stay inside the series; with stride 1 every
    /// window that fits is there.
    #[test]
    fn windows_never_cross_split_boundaries_the_wrong_way(
        lengths in prop::collection::vec(1usize..400, 1..4),
        split in split(),
        lookback in 1usize..40,
        horizon in 1usize..20,
        stride in 1usize..6,
    ) {
        let raw: Vec<Vec<f64>> = lengths.iter().map(|&n| (0..n).map(|i| (i as f64).sin()).collect()).collect();
        let named: Vec<(&str, &[f64])> = raw.iter().map(|v| ("s", v.as_slice())).collect();
        let Ok(prepared) = ScaledSplit::new(&named, split, lookback, horizon) else { return Ok(()) };
        for (part, stride) in [(SplitPart::Train, stride), (SplitPart::Train, 1), (SplitPart::Validation, 1), (SplitPart::Test, 1)] {
            let set = prepared.windows(part, stride);
            let mut per_series = vec![0usize; raw.len()];
            for &(s, t) in &set.starts {
                let [_, train_end, val_end, test_end] = prepared.bounds[s];
                let (first, last) = (t + lookback, t + lookback + horizon); // targets [first, last)
                prop_assert!(last <= raw[s].len());
                match part {
                    SplitPart::Train => prop_assert!(last <= train_end, "train target {last} > {train_end}"),
                    SplitPart::Validation => prop_assert!(first >= train_end && last <= val_end),
                    SplitPart::Test => prop_assert!(first >= val_end && last <= test_end),
                }
                per_series[s] += 1;
            }
            if stride == 1 {
                for (s, b) in prepared.bounds.iter().enumerate() {
                    let (from, to) = match part {
                        SplitPart::Train => (0, b[1]),
                        SplitPart::Validation => (b[1], b[2]),
                        SplitPart::Test => (b[2], b[3]),
                    };
                    let first_target = from.max(lookback);
                    let expected = (to + 1).saturating_sub(first_target + horizon);
                    prop_assert_eq!(per_series[s], expected);
                }
            }
        }
    }
}
