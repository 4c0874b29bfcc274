//! Interrupted work: `xlstm fit` killed with SIGKILL at several moments leaves an existing model
//! file at its output path byte-for-byte untouched and no temporary file in its directory.
//! The tests wait for what the process prints (its epoch lines), not for fixed times.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{ChildStderr, Command, Stdio};

fn data() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("datasets/load_hourly.csv")
        .display()
        .to_string()
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    v.sort();
    v
}

/// Reads `stderr` up to and including the first line that starts with `prefix`, and returns the
/// text read; fails with that text if the process ends first.
fn wait_for_line(stderr: &mut BufReader<ChildStderr>, prefix: &str) -> String {
    let mut text = String::new();
    loop {
        let mut line = String::new();
        let n = stderr.read_line(&mut line).unwrap();
        assert!(n > 0, "the process ended before printing '{prefix}': {text}");
        text.push_str(&line);
        if line.starts_with(prefix) {
            return text;
        }
    }
}

#[test]
fn sigkill_during_fit_leaves_the_existing_model_file_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.xlstm");
    // an existing model file: a real one, from a quick naive fit
    let o = Command::new(env!("CARGO_BIN_EXE_xlstm"))
        .args(["fit", &data(), "--target", "load_mw", "-m", "naive", "-q", "-o"])
        .arg(&model)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let before = std::fs::read(&model).unwrap();
    // at once (reading the data), then after the first, second and fifth epochs
    for (k, ready) in [None, Some("epoch 1/"), Some("epoch 2/"), Some("epoch 5/")]
        .into_iter()
        .enumerate()
    {
        let mut child = Command::new(env!("CARGO_BIN_EXE_xlstm"))
            .args(["fit", &data(), "--target", "load_mw", "-m", "xlstm"])
            .args([
                "--epochs",
                "50",
                "--hidden",
                "16",
                "--patience",
                "50",
                "--force",
                "-o",
            ])
            .arg(&model)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        if let Some(prefix) = ready {
            wait_for_line(&mut stderr, prefix);
        }
        let still_running = child.try_wait().unwrap().is_none();
        child.kill().unwrap();
        let status = child.wait().unwrap();
        let err = std::io::read_to_string(stderr).unwrap();
        assert!(
            still_running,
            "run {k}: fit ended before the kill at {ready:?}: {err}"
        );
        assert!(!status.success());
        assert!(
            std::fs::read(&model).unwrap() == before,
            "run {k}: the model file changed after a kill at {ready:?}"
        );
        assert_eq!(names(dir.path()), ["m.xlstm"], "run {k}: temporary files left");
    }
}

#[test]
fn an_existing_output_is_replaced_only_with_force() {
    let dir = tempfile::tempdir().unwrap();
    let xlstm = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_xlstm"))
            .args(args)
            .output()
            .unwrap()
    };
    let data = data();
    let model = dir.path().join("m.xlstm");
    let m = model.to_str().unwrap();
    let fit = ["fit", &data, "--target", "load_mw", "-m", "naive", "-q", "-o", m];
    assert!(xlstm(&fit).status.success());
    let forecast = dir.path().join("f.csv");
    let predictions = dir.path().join("p.csv");
    let (f, p) = (forecast.to_str().unwrap(), predictions.to_str().unwrap());
    let eval = [
        "eval",
        &data,
        "--target",
        "load_mw",
        "-m",
        "naive",
        "-q",
        "--predictions",
        p,
    ];
    let runs: [(&[&str], &str, &str); 3] = [
        (&fit, m, "--out"),
        (&["forecast", "-m", m, "-o", f], f, "--out"),
        (&eval, p, "--predictions"),
    ];
    for (args, path, flag) in runs {
        std::fs::write(path, b"precious").unwrap();
        let o = xlstm(args);
        let text = String::from_utf8_lossy(&o.stderr).to_string();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {text}");
        assert!(
            text.contains(path) && text.contains("--force") && text.contains(flag),
            "{text}"
        );
        assert_eq!(std::fs::read(path).unwrap(), b"precious", "{path} untouched");
        let mut forced = args.to_vec();
        forced.push("--force");
        let o = xlstm(&forced);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_ne!(std::fs::read(path).unwrap(), b"precious", "{path} replaced");
    }
    assert_eq!(names(dir.path()), ["f.csv", "m.xlstm", "p.csv"]);
    // a missing input is the first thing reported, before an existing output file
    let (csv, model) = (dir.path().join("missing.csv"), dir.path().join("missing.xlstm"));
    let (csv, model) = (csv.to_str().unwrap(), model.to_str().unwrap());
    let runs: [&[&str]; 3] = [
        &["fit", csv, "-o", m],
        &["forecast", "-m", model, "-o", f],
        &["eval", csv, "--predictions", p],
    ];
    for args in runs {
        let o = xlstm(args);
        let text = String::from_utf8_lossy(&o.stderr).to_string();
        assert_eq!(o.status.code(), Some(1), "{args:?}: {text}");
        assert!(
            text.contains("missing.") && !text.contains("--force"),
            "{args:?}: {text}"
        );
    }
}

/// Sends SIGINT (Ctrl-C) to a process.
fn interrupt(child: &std::process::Child) {
    let ok = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -INT");
}

#[test]
fn ctrl_c_with_checkpoint_saves_the_best_model_so_far() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.xlstm");
    let mut child = Command::new(env!("CARGO_BIN_EXE_xlstm"))
        .args([
            "fit",
            &data(),
            "--target",
            "load_mw",
            "-m",
            "lstm",
            "--checkpoint",
        ])
        .args(["--epochs", "200", "--hidden", "16", "--patience", "200", "-o"])
        .arg(&model)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // wait for the first finished epoch, then press Ctrl-C
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut text = wait_for_line(&mut err, "epoch 1/");
    interrupt(&child);
    let rest = std::io::read_to_string(err).unwrap();
    text.push_str(&rest);
    let status = child.wait().unwrap();
    assert!(status.success(), "{text}");
    assert!(text.contains("interrupted (Ctrl-C)"), "{text}");
    assert!(!text.contains("epoch 200/200"), "stopped early: {text}");
    assert_eq!(names(dir.path()), ["m.xlstm"]);
    let f = Command::new(env!("CARGO_BIN_EXE_xlstm"))
        .args(["forecast", "-H", "2", "-m"])
        .arg(&model)
        .output()
        .unwrap();
    assert!(f.status.success(), "{}", String::from_utf8_lossy(&f.stderr));
}

#[test]
fn ctrl_c_without_checkpoint_saves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.xlstm");
    std::fs::write(&model, b"old").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_xlstm"))
        .args(["fit", &data(), "--target", "load_mw", "-m", "lstm", "--force"])
        .args(["--epochs", "200", "--hidden", "16", "--patience", "200", "-o"])
        .arg(&model)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Ctrl-C once training runs
    let mut err = BufReader::new(child.stderr.take().unwrap());
    wait_for_line(&mut err, "epoch 1/");
    interrupt(&child);
    let status = child.wait().unwrap();
    assert!(!status.success());
    assert_eq!(std::fs::read(&model).unwrap(), b"old");
    assert_eq!(names(dir.path()), ["m.xlstm"]);
}
