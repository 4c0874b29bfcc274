//! Helpers shared by the end-to-end tests: run the binary, find repository and benchmark files.
#![allow(dead_code)] // each test crate uses a different subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Run `xlstm` with `args` and collect its output.
pub fn xlstm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xlstm"))
        .args(args)
        .output()
        .expect("run xlstm")
}

/// A path inside the repository, as a string.
pub fn repo(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(path)
        .display()
        .to_string()
}

/// The demonstration hourly load series.
pub fn load_hourly() -> String {
    repo("datasets/load_hourly.csv")
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// An ETT file from `../shared/datasets/ett`. Tests that call it are
/// `#[ignore = "needs ../shared"]`; run with the data present, they fail when it is absent.
pub fn ett(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/datasets/ett")
        .join(name);
    assert!(
        path.exists(),
        "{} is absent: this test needs the shared datasets beside the repository",
        path.display()
    );
    path.display().to_string()
}

/// A fresh temporary directory.
pub fn temp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary directory")
}

/// The files in `dir`, sorted.
pub fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

/// `xlstm check DATA --json` with `extra` flags: the report, or the error message.
pub fn check_json(data: &str, extra: &[&str]) -> Result<serde_json::Value, String> {
    let o = xlstm(&[&["check", data, "--json"], extra].concat());
    if !o.status.success() {
        return Err(stderr(&o));
    }
    Ok(serde_json::from_str(&stdout(&o)).expect("check --json prints JSON"))
}

/// `xlstm fit DATA -m nlinear -H 3 -L 6` with `extra` flags, then `xlstm forecast` from the
/// saved model: the forecast timestamps (the first column of its CSV).
pub fn forecast_times(data: &str, extra: &[&str]) -> Vec<String> {
    let dir = temp();
    let model = dir.path().join("m.xlstm").display().to_string();
    let fit = [
        &[
            "fit", data, "-m", "nlinear", "-H", "3", "-L", "6", "-q", "-o", &model,
        ],
        extra,
    ]
    .concat();
    let o = xlstm(&fit);
    assert!(o.status.success(), "fit {data}: {}", stderr(&o));
    let o = xlstm(&["forecast", "-m", &model]);
    assert!(o.status.success(), "forecast {data}: {}", stderr(&o));
    let text = stdout(&o);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("timestamp,forecast"), "{text}");
    lines
        .map(|l| l.rsplit_once(',').expect("two columns").0.to_string())
        .collect()
}
