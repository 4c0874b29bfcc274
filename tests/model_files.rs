//! Damaged, foreign, other-version, other-kind and inconsistent model files: `xlstm forecast`
//! exits with code 1 and a clear message naming the file, never panics, and writes no output.

mod common;

use std::path::{Path, PathBuf};

use common::{load_hourly as data, stderr, xlstm};

use xlstm::model_file::{fnv1a64, VERSION};

/// Fit `model` quickly and return the model file's bytes.
fn fitted(dir: &Path, model: &str) -> Vec<u8> {
    let path = dir.join(format!("{model}.xlstm"));
    let o = xlstm(&[
        "fit",
        &data(),
        "--target",
        "load_mw",
        "-m",
        model,
        "-q",
        "--force",
        "-o",
        path.to_str().unwrap(),
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
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::read(path).unwrap()
}

/// The JSON body of a model file.
fn body(bytes: &[u8]) -> serde_json::Value {
    let newline = bytes.iter().position(|b| *b == b'\n').unwrap();
    serde_json::from_slice(&bytes[newline + 1..]).unwrap()
}

/// A model file with a valid header and checksum around `body`.
fn sealed(version: u32, body: &[u8]) -> Vec<u8> {
    let mut out = format!("xlstm-model {version} fnv1a64:{:016x}\n", fnv1a64(body)).into_bytes();
    out.extend_from_slice(body);
    out
}

/// `xlstm forecast -m FILE -o DIR/f.csv` fails with exit 1 naming the file and every needle.
fn refused(dir: &Path, name: &str, bytes: &[u8], needles: &[&str]) {
    let path: PathBuf = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let out = dir.join("f.csv");
    let o = xlstm(&[
        "forecast",
        "-m",
        path.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    let text = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{name}: {text}");
    assert!(!text.contains("panicked"), "{name}: {text}");
    assert!(text.contains(name), "{name} not named: {text}");
    for needle in needles {
        assert!(text.contains(needle), "{name}: '{needle}' missing from {text}");
    }
    assert!(!out.exists(), "{name}: no forecast file after a failure");
}

#[test]
fn another_kind_with_a_valid_checksum_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut doc = body(&fitted(dir.path(), "naive"));
    doc["config"]["kind"] = "gru".into();
    let bytes = sealed(VERSION, &serde_json::to_vec(&doc).unwrap());
    refused(
        dir.path(),
        "gru.xlstm",
        &bytes,
        &["cannot be read", "unknown variant `gru`"],
    );
    // a known kind whose weights belong to another kind
    let mut doc = body(&fitted(dir.path(), "naive"));
    doc["config"]["kind"] = "nlinear".into();
    let bytes = sealed(VERSION, &serde_json::to_vec(&doc).unwrap());
    refused(dir.path(), "relabelled.xlstm", &bytes, &["no tensor 'weights'"]);
}

#[test]
fn another_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let doc = body(&fitted(dir.path(), "naive"));
    let bytes = sealed(1, &serde_json::to_vec(&doc).unwrap());
    refused(
        dir.path(),
        "v1.xlstm",
        &bytes,
        &["version 1 model file", "reads versions 2 and 3", "refit"],
    );
}

#[test]
fn truncated_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = fitted(dir.path(), "naive");
    let header = bytes.iter().position(|b| *b == b'\n').unwrap();
    refused(dir.path(), "empty.xlstm", b"", &["no header line"]);
    refused(dir.path(), "header.xlstm", &bytes[..header], &["no header line"]);
    for keep in [header + 1, header + 10, bytes.len() / 2, bytes.len() - 1] {
        refused(dir.path(), "cut.xlstm", &bytes[..keep], &["damaged", "checksum"]);
    }
}

#[test]
fn corrupted_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = fitted(dir.path(), "lstm");
    for at in [bytes.len() / 3, bytes.len() / 2, bytes.len() - 2] {
        let mut edited = bytes.clone();
        edited[at] ^= 0x04;
        refused(dir.path(), "flipped.xlstm", &edited, &["damaged", "checksum"]);
    }
    let mut garbled = bytes.clone();
    garbled[..11].copy_from_slice(b"xlstm-modem");
    refused(
        dir.path(),
        "garbled.xlstm",
        &garbled,
        &["not an xlstm model file"],
    );
    // valid checksums around wrong contents
    refused(
        dir.path(),
        "notjson.xlstm",
        &sealed(VERSION, b"{\"kind\": "),
        &["cannot be read"],
    );
    let mut doc = body(&bytes);
    let weights = doc["weights"][0][1].as_array_mut().unwrap();
    weights.pop();
    refused(
        dir.path(),
        "short_weights.xlstm",
        &sealed(VERSION, &serde_json::to_vec(&doc).unwrap()),
        &["weights do not fit its network"],
    );
    let mut doc = body(&bytes);
    doc["lookback"] = 1_000_000_000_000u64.into();
    refused(
        dir.path(),
        "huge_lookback.xlstm",
        &sealed(VERSION, &serde_json::to_vec(&doc).unwrap()),
        &["inconsistent", "lookback is 1000000000000"],
    );
    let mut doc = body(&bytes);
    doc["config"]["network"]["width"] = 12.into(); // a valid width the stored weights do not have
    refused(
        dir.path(),
        "odd_width.xlstm",
        &sealed(VERSION, &serde_json::to_vec(&doc).unwrap()),
        &["weights do not fit its network"],
    );
}
