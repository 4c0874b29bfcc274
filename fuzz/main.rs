//! A mutational fuzzer for the CSV path and the model-file loader that runs on the stable
//! toolchain (cargo-fuzz needs nightly):
//!
//! ```text
//! cargo run --release --example fuzz -- --target csv|model --seconds N [--seed S]
//! ```
//!
//! It starts from a seed corpus (`tests/data/*.csv`, `tests/data/bad/*`, `tests/data/formats/*`
//! and `tests/data/calendars/*` for `csv`; model files of
//! every baseline kind and of small neural networks, written with `ModelFile::to_bytes`, for
//! `model`), applies 1 to 8 byte-level mutations per input (bit flips, random bytes, byte
//! insertion and deletion, chunk duplication, splicing with another input, interesting values
//! and numbers, truncation) drawn from the project's seeded RNG, and feeds every input to
//!
//! - `csv`: `io::read_table` on a temporary `.csv` file, then `load::load_table` (with and
//!   without `--id-col unique_id --fill linear`, with and without `--delimiter ';'`), checking
//!   that every accepted series has equal lengths, finite values and increasing times;
//! - `model`: `ModelFile::from_bytes`, then what `xlstm forecast` does with it: the fitted model
//!   rebuilt from its settings and tensors (`pipeline::fitted_from_file`), a forecast from the
//!   stored tails with the next timestamps (`pipeline::forecast`), formatted.
//!   Half of the model inputs get a fresh checksum after mutating the JSON body, so the parser
//!   and the reconstruction are reached and not only the checksum test.
//!
//! A panic is caught with `catch_unwind`; the input is written to `fuzz/crashes/` and the fuzzer
//! exits with code 1 and the input's path. Inputs whose outcome (accepted, or the error message
//! with its digits removed) is new join the corpus: outcome-guided, not coverage-guided. Before
//! each model input the input is also written to `fuzz/crashes/in-flight-model.xlstm` (the csv
//! target's input file lives there too), so an abort that cannot be caught (out of memory) leaves
//! the input behind; a clean run removes it.

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use xlstm::data::check::Fill;
use xlstm::data::io::read_table;
use xlstm::data::load::{load_table, LoadOptions};
use xlstm::data::time::{format_timestamp, Calendar, TimeFormat, Weekdays};
use xlstm::data::{Frequency, TimeKind};
use xlstm::metrics::{Accumulator, ModelMetrics};
use xlstm::model::{LinearConfig, ModelConfig, ModelKind, NetworkConfig, NeuralConfig};
use xlstm::model_file::{fnv1a64, ModelFile, SeriesState, VERSION};
use xlstm::nn::forecaster::{self, CoreKind, ForecasterConfig, HeadKind};
use xlstm::nn::rng::Rng;
use xlstm::pipeline::{self, History};

const USAGE: &str = "usage: cargo run --release --example fuzz -- --target csv|model --seconds N [--seed S]";

/// Longest input kept (bytes): mutations that grow an input past it are cut back.
const MAX_LEN: usize = 64 * 1024;
/// Largest corpus: later new outcomes replace random non-seed entries.
const MAX_CORPUS: usize = 4096;
/// Inputs slower than this are saved as `fuzz/crashes/slow-*` (reported, not a failure).
const SLOW: Duration = Duration::from_secs(1);

#[derive(Clone, Copy, PartialEq)]
enum Target {
    Csv,
    Model,
}

fn main() {
    let mut target = None;
    let mut seconds = 10u64;
    let mut seed = 1u64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .unwrap_or_else(|| fail(&format!("{name} needs a value")))
        };
        match a.as_str() {
            "--target" => {
                target = Some(match value("--target").as_str() {
                    "csv" => Target::Csv,
                    "model" => Target::Model,
                    other => fail(&format!("unknown target '{other}': use csv or model")),
                })
            }
            "--seconds" => {
                seconds = value("--seconds")
                    .parse()
                    .unwrap_or_else(|_| fail("--seconds takes a whole number"))
            }
            "--seed" => {
                seed = value("--seed")
                    .parse()
                    .unwrap_or_else(|_| fail("--seed takes a whole number"))
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return;
            }
            other => fail(&format!("unknown argument '{other}'")),
        }
    }
    let Some(target) = target else {
        fail("--target is required")
    };

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let crashes = root.join("fuzz/crashes");
    std::fs::create_dir_all(&crashes)
        .unwrap_or_else(|e| fail(&format!("cannot create {}: {e}", crashes.display())));
    let (name, mut corpus) = match target {
        Target::Csv => ("csv", csv_seeds(root)),
        Target::Model => ("model", model_seeds()),
    };
    let in_flight = crashes.join(match target {
        Target::Csv => "in-flight-csv.csv",
        Target::Model => "in-flight-model.xlstm",
    });
    println!(
        "fuzzing the {name} target for {seconds} s from {} seed inputs (seed {seed}); crashes go to {}",
        corpus.len(),
        crashes.display()
    );

    // Panics are reported by the fuzzer, not printed by the default hook for every input.
    let message = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    {
        let message = message.clone();
        std::panic::set_hook(Box::new(move |info| {
            *message.lock().unwrap() = info.to_string();
        }));
    }

    let seeds = corpus.len();
    let mut slot = Slot::open(&in_flight);
    let mut slowest = Duration::ZERO;
    let mut rng = Rng::new(seed);
    let mut outcomes = HashSet::new();
    let start = Instant::now();
    let limit = Duration::from_secs(seconds);
    let (mut execs, mut last_report) = (0u64, Instant::now());
    while start.elapsed() < limit {
        let parent = corpus[rng.below(corpus.len())].clone();
        let other = &corpus[rng.below(corpus.len())];
        let input = if target == Target::Model && rng.below(2) == 0 {
            restamp(&mutate(&mut rng, &body_of(&parent), &body_of(other)))
        } else {
            mutate(&mut rng, &parent, other)
        };
        let variant = rng.next_u64();
        let began = Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| match target {
            Target::Csv => {
                slot.put(&input);
                run_csv(&in_flight, variant)
            }
            Target::Model => {
                slot.put(&input);
                run_model(&input)
            }
        }));
        execs += 1;
        let took = began.elapsed();
        if took > slowest {
            slowest = took;
            if took >= SLOW {
                let path = crashes.join(format!("slow-{name}-{:016x}", fnv1a64(&input)));
                let _ = std::fs::write(&path, &input);
                println!(
                    "slow input: {:.2} s, written to {}",
                    took.as_secs_f64(),
                    path.display()
                );
            }
        }
        match result {
            Ok(outcome) => {
                if outcomes.insert(outcome) {
                    if corpus.len() < MAX_CORPUS {
                        corpus.push(input);
                    } else {
                        let k = seeds + rng.below(corpus.len() - seeds);
                        corpus[k] = input;
                    }
                }
            }
            Err(_) => {
                let path = crashes.join(format!("{name}-{:016x}", fnv1a64(&input)));
                std::fs::write(&path, &input)
                    .unwrap_or_else(|e| fail(&format!("cannot write {}: {e}", path.display())));
                let _ = std::fs::remove_file(&in_flight);
                eprintln!("panic: {}", message.lock().unwrap());
                eprintln!(
                    "crashing input ({} bytes, variant {variant}) written to {}",
                    input.len(),
                    path.display()
                );
                std::process::exit(1);
            }
        }
        if last_report.elapsed() >= Duration::from_secs(5) {
            report(execs, start, corpus.len(), outcomes.len());
            last_report = Instant::now();
        }
    }
    let _ = std::fs::remove_file(&in_flight);
    report(execs, start, corpus.len(), outcomes.len());
    println!(
        "no crash in {execs} executions; slowest input {:.3} s",
        slowest.as_secs_f64()
    );
}

fn report(execs: u64, start: Instant, corpus: usize, outcomes: usize) {
    let s = start.elapsed().as_secs_f64();
    println!(
        "{s:6.1} s  {execs} execs  {:.0} execs/s  corpus {corpus}  outcomes {outcomes}",
        execs as f64 / s.max(1e-9)
    );
}

fn fail(message: &str) -> ! {
    eprintln!("fuzz: {message}\n{USAGE}");
    std::process::exit(2)
}

// ---------------------------------------------------------------------------------------------
// Targets

/// The in-flight input file, kept open: rewritten in place and cut to length, because
/// truncating a file on open makes ext4 flush it (about a millisecond per input).
struct Slot(std::fs::File);

impl Slot {
    fn open(path: &Path) -> Slot {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .unwrap_or_else(|e| fail(&format!("cannot create {}: {e}", path.display())));
        Slot(file)
    }

    fn put(&mut self, bytes: &[u8]) {
        use std::os::unix::fs::FileExt;
        self.0.write_all_at(bytes, 0).expect("write the in-flight input");
        self.0
            .set_len(bytes.len() as u64)
            .expect("cut the in-flight input");
    }
}

/// The CSV path: read the in-flight `.csv` file and load it; the outcome signature.
fn run_csv(path: &Path, variant: u64) -> String {
    let delimiter = (variant & 1 == 1).then_some(b';');
    let panel = variant & 2 == 2;
    let options = LoadOptions {
        id_col: panel.then(|| "unique_id".to_string()),
        fill: panel.then_some(Fill::Linear),
        delimiter,
        ..LoadOptions::default()
    };
    let table = match read_table(path, None, delimiter) {
        Ok(t) => t,
        Err(e) => return signature("read", &e.to_string()),
    };
    match load_table(&table, "input.csv", &options) {
        Ok((Some(dataset), _)) => {
            for s in &dataset.series {
                assert_eq!(
                    s.time.len(),
                    s.values.len(),
                    "series '{}': times and values differ in length",
                    s.id
                );
                assert!(
                    s.values.iter().all(|v| v.is_finite()),
                    "series '{}' has a non-finite value",
                    s.id
                );
                assert!(
                    s.time.windows(2).all(|w| w[0] < w[1]),
                    "series '{}': times not increasing",
                    s.id
                );
            }
            for k in 0..dataset.series.len() {
                xlstm::data::load::formatted_times(&dataset, k);
            }
            format!("ok {} series", dataset.series.len())
        }
        Ok((None, report)) => signature("report", &format!("{report:?}")),
        Err(e) => signature("load", &e.to_string()),
    }
}

/// The model-file loader and what `xlstm forecast` does with a loaded file.
fn run_model(bytes: &[u8]) -> String {
    let path = Path::new("fuzz.xlstm");
    let file = match ModelFile::from_bytes(bytes, path) {
        Ok(f) => f,
        Err(e) => return signature("load", &e.to_string()),
    };
    let fitted = match pipeline::fitted_from_file(&file, path) {
        Ok(m) => m,
        Err(e) => return signature("rebuild", &e.to_string()),
    };
    // as `xlstm forecast` does without a data file: from the stored tails
    let forecasts = match pipeline::forecast(&file, &fitted, &History::stored(&file), None, file.horizon) {
        Ok(f) => f,
        Err(e) => return signature("forecast", &e.to_string()),
    };
    assert_eq!(forecasts.len(), file.series.len(), "one forecast per series");
    for f in &forecasts {
        assert_eq!(
            (f.values.len(), f.times.len()),
            (file.horizon, file.horizon),
            "forecast shape"
        );
        let writer = file.time_format.writer(file.time_kind);
        for t in &f.times {
            format_timestamp(*t, file.time_kind);
            writer.write(*t);
        }
    }
    format!("ok {}", file.kind().name())
}

/// An outcome: the stage and the first ten lower-case words of the message (no numbers, names
/// or quoted text), so inputs that differ only in their values do not count as new.
fn signature(stage: &str, message: &str) -> String {
    let words = message
        .split([' ', ':', ';', ',', '(', ')'])
        .filter(|w| w.len() > 1 && w.bytes().all(|c| c.is_ascii_lowercase()))
        .take(10);
    std::iter::once(stage).chain(words).collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------------------------------------
// Seeds

fn csv_seeds(root: &Path) -> Vec<Vec<u8>> {
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in [
        "tests/data",
        "tests/data/bad",
        "tests/data/formats",
        "tests/data/calendars",
    ] {
        let entries =
            std::fs::read_dir(root.join(dir)).unwrap_or_else(|e| fail(&format!("cannot read {dir}: {e}")));
        files.extend(
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_file()),
        );
    }
    files.sort();
    let mut seeds: Vec<Vec<u8>> = files
        .iter()
        .map(|p| {
            let mut b =
                std::fs::read(p).unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", p.display())));
            b.truncate(MAX_LEN);
            b
        })
        .collect();
    seeds.push(b"date,y\n2024-01-01,1\n2024-01-02,2\n2024-01-03,3\n2024-01-04,4\n".to_vec());
    seeds
}

/// Model files of every baseline kind and of small neural networks.
fn model_seeds() -> Vec<Vec<u8>> {
    let (l, h) = (8usize, 3usize);
    let mut rng = Rng::new(7);
    let series = |id: &str, rng: &mut Rng| SeriesState {
        id: id.into(),
        mean: 10.0 + rng.normal(),
        std: 0.5 + rng.uniform(),
        log: id.ends_with('b'), // one series forecasts logarithms
        times: (0..l as i64).map(|i| 1_700_000_000 + 3600 * i).collect(),
        tail: (0..l).map(|_| 10.0 + rng.normal()).collect(),
        covariates: Vec::new(),
    };
    let base = |config: ModelConfig, weights: Vec<(String, Vec<f64>)>, rng: &mut Rng| ModelFile {
        lookback: l,
        horizon: h,
        season: 4,
        split: "0.7,0.1,0.2".into(),
        stride: 1,
        config,
        time_kind: TimeKind::DateTime,
        frequency: Frequency::Seconds(3600),
        // Half the seeds continue a session calendar and write times in a pattern of their own.
        calendar: (rng.uniform() < 0.5).then_some(Calendar {
            days: Weekdays::BUSINESS,
            open: 9 * 3600,
            close: 17 * 3600,
        }),
        time_format: if rng.uniform() < 0.5 {
            TimeFormat::from_pattern("%d.%m.%Y %Hh").unwrap_or_default()
        } else {
            TimeFormat::default()
        },
        time_column: Some("date".into()),
        targets: vec!["y".into()],
        id_column: None,
        fingerprint: "0123456789abcdef".into(),
        series: vec![series("a", rng), series("b", rng)],
        covariates: Vec::new(),
        weights,
        metrics: vec![ModelMetrics {
            model: "y".into(),
            metrics: {
                let mut errors = Accumulator::default();
                errors.add(&[1.0], &[1.5], Some(1.0), 1.0);
                errors.finish()
            },
        }],
        refit: None,
        intervals: None,
    };
    let map = |features: usize, rng: &mut Rng| {
        vec![
            (
                "weights".to_string(),
                (0..features * h).map(|_| rng.normal()).collect(),
            ),
            ("bias".to_string(), (0..h).map(|_| rng.normal()).collect()),
        ]
    };
    let mut files = Vec::new();
    files.push(base(ModelConfig::Naive, Vec::new(), &mut rng));
    files.push(base(
        ModelConfig::SeasonalNaive { season: Some(4) },
        Vec::new(),
        &mut rng,
    ));
    let linear = LinearConfig { alpha: Some(0.1) };
    for (config, features) in [
        (ModelConfig::Linear(linear), l),
        (ModelConfig::NLinear(linear), l),
        (ModelConfig::DLinear(linear), 2 * l),
    ] {
        let w = map(features, &mut rng);
        files.push(base(config, w, &mut rng));
    }
    let mut monthly = base(ModelConfig::Naive, Vec::new(), &mut rng);
    monthly.frequency = Frequency::Months(1);
    monthly.time_kind = TimeKind::Date;
    files.push(monthly);
    for (kind, core) in [
        (ModelKind::Xlstm, CoreKind::Xlstm { blocks: "ms".into() }),
        (ModelKind::Slstm, CoreKind::Xlstm { blocks: "s".into() }),
        (ModelKind::Mlstm, CoreKind::Xlstm { blocks: "m".into() }),
        (ModelKind::Lstm, CoreKind::Lstm { layers: 1 }),
    ] {
        let mut c = ForecasterConfig::new(core, l, h);
        c.width = 4;
        c.heads = 2;
        c.patch = 4;
        c.stride = 2;
        if kind == ModelKind::Mlstm {
            c.head = HeadKind::Last;
            c.linear_skip = false;
            c.conv_kernel = 2;
        }
        let params = forecaster::init::<f64>(&c, 3);
        let weights = forecaster::params_to_named(&params);
        let mut config = ModelConfig::for_kind(kind);
        *config.neural_mut().expect("a neural kind") = NeuralConfig {
            network: NetworkConfig::from(&c),
            ..NeuralConfig::for_kind(kind)
        };
        files.push(base(config, weights, &mut rng));
    }
    files
        .iter()
        .map(|f| {
            f.to_bytes()
                .unwrap_or_else(|e| fail(&format!("cannot encode a seed model: {e}")))
        })
        .collect()
}

/// The JSON body of a model file (everything after the first line), or all of it.
fn body_of(bytes: &[u8]) -> Vec<u8> {
    match bytes.iter().position(|b| *b == b'\n') {
        Some(n) => bytes[n + 1..].to_vec(),
        None => bytes.to_vec(),
    }
}

/// A header with a valid checksum in front of `body`.
fn restamp(body: &[u8]) -> Vec<u8> {
    let mut out = format!("xlstm-model {VERSION} fnv1a64:{:016x}\n", fnv1a64(body)).into_bytes();
    out.extend_from_slice(body);
    out
}

// ---------------------------------------------------------------------------------------------
// Mutations

/// Tokens that mean something to a CSV reader, a date parser or a JSON parser.
const TOKENS: &[&[u8]] = &[
    b",",
    b";",
    b"\t",
    b"\"",
    b"\"\"",
    b"\n",
    b"\r\n",
    b"\r",
    b" ",
    b"\xef\xbb\xbf",
    b"\0",
    b"\xff",
    b"\xe9",
    b"PAR1",
    b"date,y\n",
    b"unique_id,ds,y\n",
    b"1e308",
    b"-1e308",
    b"1e-320",
    b"inf",
    b"-inf",
    b"NaN",
    b"nan",
    b"NA",
    b"null",
    b"true",
    b"false",
    b"[]",
    b"{}",
    b"[",
    b"]",
    b"{",
    b"}",
    b":",
    b"0",
    b"-0",
    b"-1",
    b"1",
    b"2",
    b"127",
    b"255",
    b"256",
    b"65535",
    b"2147483647",
    b"-2147483648",
    b"4294967296",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"18446744073709551615",
    b"18446744073709551616",
    b"1e19",
    b"0.5",
    b"1.",
    b"2024-01-01",
    b"2024-02-29",
    b"2023-02-29",
    b"9999-12-31",
    b"0000-01-01",
    b"-0001-01-01",
    b"1970-01-01",
    b"2024-03-31T02:30:00+01:00",
    b"2024-10-27 02:30:00",
    b"T",
    b"Z",
    b"+14:00",
    b"-12:00",
    b"+99:99",
    b"24:00:00",
    b"\"months\"",
    b"\"seconds\"",
    b"\"rows\"",
    b"\"date\"",
    b"\"datetime\"",
    b"\"row_number\"",
];

/// Numbers worth putting in place of a number.
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "3",
    "7",
    "8",
    "16",
    "100",
    "4096",
    "65536",
    "1000000",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "1e308",
    "-1e308",
    "1e-308",
    "5e-324",
    "0.0",
    "-0.0",
    "1.5",
    "1e400",
    "12",
    "13",
    "31",
    "32",
    "60",
    "24",
    "99999999999",
];

/// A copy of `input` with 1 to 8 mutations.
fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut b = input.to_vec();
    let count = 1 + rng.below(8);
    for _ in 0..count {
        mutate_once(rng, &mut b, other);
    }
    b.truncate(MAX_LEN);
    b
}

fn mutate_once(rng: &mut Rng, b: &mut Vec<u8>, other: &[u8]) {
    let pos = |rng: &mut Rng, n: usize| rng.below(n + 1); // 0..=n
    match rng.below(11) {
        // flip a bit
        0 if !b.is_empty() => {
            let i = rng.below(b.len());
            b[i] ^= 1 << rng.below(8);
        }
        // a random byte
        1 if !b.is_empty() => {
            let i = rng.below(b.len());
            b[i] = rng.next_u64() as u8;
        }
        // insert random bytes
        2 => {
            let i = pos(rng, b.len());
            let n = 1 + rng.below(4);
            for _ in 0..n {
                b.insert(i, rng.next_u64() as u8);
            }
        }
        // delete a range
        3 if !b.is_empty() => {
            let i = rng.below(b.len());
            let n = (1 + rng.below(16)).min(b.len() - i);
            b.drain(i..i + n);
        }
        // duplicate a chunk somewhere else
        4 if !b.is_empty() => {
            let i = rng.below(b.len());
            let n = (1 + rng.below(64)).min(b.len() - i);
            let chunk = b[i..i + n].to_vec();
            let j = pos(rng, b.len());
            b.splice(j..j, chunk);
        }
        // splice: our head, the other input's tail
        5 if !other.is_empty() => {
            let i = pos(rng, b.len());
            let j = rng.below(other.len());
            b.truncate(i);
            b.extend_from_slice(&other[j..]);
        }
        // insert a chunk of the other input
        6 if !other.is_empty() => {
            let j = rng.below(other.len());
            let n = (1 + rng.below(64)).min(other.len() - j);
            let i = pos(rng, b.len());
            b.splice(i..i, other[j..j + n].iter().copied());
        }
        // insert or overwrite with a token
        7 => {
            let t = TOKENS[rng.below(TOKENS.len())];
            let i = pos(rng, b.len());
            if rng.below(2) == 0 {
                let end = (i + t.len()).min(b.len());
                b.splice(i..end, t.iter().copied());
            } else {
                b.splice(i..i, t.iter().copied());
            }
        }
        // replace a number with an interesting one
        8 => {
            let Some((s, e)) = number_at(b, rng) else { return };
            let n = NUMBERS[rng.below(NUMBERS.len())];
            b.splice(s..e, n.bytes());
        }
        // nudge a number (digit change keeps the shape)
        9 => {
            let Some((s, e)) = number_at(b, rng) else { return };
            let digits: Vec<usize> = (s..e).filter(|&k| b[k].is_ascii_digit()).collect();
            if let Some(&k) = digits.get(rng.below(digits.len().max(1))) {
                b[k] = b'0' + rng.below(10) as u8;
            }
        }
        // truncate
        10 if !b.is_empty() => {
            let i = rng.below(b.len());
            b.truncate(i);
        }
        _ => {}
    }
}

/// The byte range of a number (digits, sign, point, exponent) near a random position.
fn number_at(b: &[u8], rng: &mut Rng) -> Option<(usize, usize)> {
    if b.is_empty() {
        return None;
    }
    let from = rng.below(b.len());
    let s = (from..b.len()).chain(0..from).find(|&k| b[k].is_ascii_digit())?;
    let part = |c: u8| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-');
    let mut start = s;
    while start > 0 && part(b[start - 1]) {
        start -= 1;
    }
    let mut end = s;
    while end < b.len() && part(b[end]) {
        end += 1;
    }
    Some((start, end))
}
