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
