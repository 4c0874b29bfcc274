//! Resource limits: configurations that cannot fit in memory get a clear error before any large
//! allocation, naming the flag to change; `-v` prints the estimate.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn data() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("datasets/load_hourly.csv")
        .display()
        .to_string()
}

/// `xlstm fit DATA --target load_mw -o DIR/m.xlstm ARGS`, its time and whether a file was left.
fn fit(args: &[&str]) -> (Output, Duration, bool) {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.xlstm");
    let start = Instant::now();
    let o = Command::new(env!("CARGO_BIN_EXE_xlstm"))
        .args(["fit", &data(), "--target", "load_mw", "-o"])
        .arg(&model)
        .args(args)
        .output()
        .unwrap();
    let left = std::fs::read_dir(dir.path()).unwrap().count() > 0;
    let text = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(
        !text.contains("panicked") && !text.contains("memory allocation"),
        "{text}"
    );
    (o, start.elapsed(), left)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

#[test]
fn a_width_of_a_million_is_refused_before_allocating() {
    let (o, took, left) = fit(&["-m", "xlstm", "--hidden", "1000000", "--heads", "4"]);
    let text = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{text}");
    assert!(
        text.contains("GiB") && text.contains("is available") && text.contains("--hidden"),
        "{text}"
    );
    assert!(
        took < Duration::from_secs(20),
        "refused at once, not after trying: {took:?}"
    );
    assert!(!left);
}

#[test]
fn a_lookback_of_a_billion_is_refused_before_allocating() {
    let (o, _, left) = fit(&["-m", "nlinear", "--lookback", "1000000000"]);
    let text = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(
        text.contains("lookback 1000000000") && text.contains("--lookback"),
        "{text}"
    );
    assert!(!left);
}

#[test]
fn long_token_sequences_are_refused_by_their_activations() {
    // 2000 one-step tokens of width 256: even the chunkwise mLSTM's per-chunk caches (linear in
    // T) for a chunk of windows do not fit
    let (o, took, left) = fit(&[
        "-m",
        "mlstm",
        "--lookback",
        "2000",
        "--patch",
        "1",
        "--head",
        "last",
        "--split",
        "0.9,0.05,0.05",
        "--hidden",
        "256",
        "--heads",
        "2",
        "--base",
        "none",
    ]);
    let text = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{text}");
    assert!(
        text.contains("activations") && text.contains("--lookback"),
        "{text}"
    );
    assert!(took < Duration::from_secs(20), "{took:?}");
    assert!(!left);
}

#[test]
fn verbose_prints_the_estimated_memory() {
    for model in ["nlinear", "lstm"] {
        let (o, _, left) = fit(&[
            "-v",
            "-m",
            model,
            "--hidden",
            "8",
            "--heads",
            "2",
            "--epochs",
            "1",
            "--lookback",
            "48",
            "--stride",
            "8",
        ]);
        let text = stderr(&o);
        assert!(o.status.success(), "{text}");
        assert!(
            text.contains("estimated memory: ") && text.contains("MiB"),
            "{model}: {text}"
        );
        assert!(left);
    }
}
