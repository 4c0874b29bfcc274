#!/usr/bin/env bash
# How well `--transform auto`'s rule chooses between values and logarithms, on the 414 M4 Hourly
# series taken one at a time, on the validation hold-out only (the last 48 training hours; no
# test hour is read).
#
# For every series it runs `xlstm compare SERIES.csv -H 48 --folds 1 --models nlinear` with
# `--transform none`, `log` and `auto`. `auto`'s note gives NLinear's sMAPE and MASE on the
# tool's own validation windows with and without logarithms, so any threshold on their mean
# ratio can be scored against the hold-out errors of the two runs. It prints, per rule, how many
# series forecast logarithms and the mean hold-out sMAPE and MASE, relative to the values.
#
#   bash benches/transform.sh          # about 5 minutes on 2 cores
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/xlstm-target}"
if [ -z "${XLSTM_BIN:-}" ]; then cargo build --release --locked --all-targets --quiet; fi  # same features as the tests: no second polars build
bin="${XLSTM_BIN:-$CARGO_TARGET_DIR/release/xlstm}"
work=$(mktemp -d /tmp/xlstm-transform.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "M4 Hourly, one series at a time, validation hold-out; $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPU(s), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "command: xlstm compare SERIES.csv -H 48 --folds 1 --models nlinear --transform none|log|auto"
echo

python3 - "$bin" ../shared/datasets/m4 "$work" <<'PY'
import csv, datetime, json, re, statistics, subprocess, sys
binary, m4, work = sys.argv[1:]
start = {r["M4id"]: r["StartingDate"] for r in csv.DictReader(open(f"{m4}/Hourly-info.csv"))}
rows = csv.reader(open(f"{m4}/Hourly-train.csv"))
next(rows)
note = re.compile(r"sMAPE ([\d.]+) and MASE ([\d.]+) on the values, ([\d.]+) and ([\d.]+) on their logarithms")
records = []
for row in rows:
    sid, values = row[0], [v for v in row[1:] if v not in ("", "NA")]
    t0 = datetime.datetime.strptime(start[sid], "%Y-%m-%d %H:%M:%S")
    path = f"{work}/series.csv"
    with open(path, "w") as f:
        f.write("ds,y\n")
        for k, v in enumerate(values):
            f.write(f"{t0 + datetime.timedelta(hours=k):%Y-%m-%d %H:%M:%S},{v}\n")
    record = {}
    for transform in ["none", "log", "auto"]:
        run = subprocess.run([binary, "compare", path, "-H", "48", "--folds", "1", "--models", "nlinear",
                              "--transform", transform, "--json"], capture_output=True, text=True, check=True)
        model = json.loads(run.stdout)["models"][0]
        record[transform] = (model["smape"], model["mase"])
        if transform == "auto":
            found = note.search(run.stderr)
            if found is None:
                sys.exit(f"{sid}: no transform note in\n{run.stderr}")
            smape, mase, smape_log, mase_log = map(float, found.groups())
            # a perfect fit prints 0.000 on the values: no evidence either way, counted as a tie
            record["ratio"] = (smape_log / smape + mase_log / mase) / 2 if smape > 0 and mase > 0 else 1.0
    records.append(record)

def mean(k, chosen):
    return statistics.mean(r[chosen(r)][k] for r in records)
values = lambda r: "none"
base = (mean(0, values), mean(1, values))
print(f"{len(records)} series. Logarithms when NLinear's validation ratio (mean of the sMAPE and MASE ratios, logs / values) is below the threshold:")
print()
print("| rule | series on logarithms | hold-out sMAPE | hold-out MASE | relative to the values |")
print("|---|---:|---:|---:|---:|")
rules = [("values always", values)]
for threshold in [0.9, 0.95, 0.97, 1.0, 1.05, 1.1, 1.2]:
    rules.append((f"ratio < {threshold}", lambda r, t=threshold: "log" if r["ratio"] < t else "none"))
rules.append(("logarithms always", lambda r: "log"))
for name, chosen in rules:
    smape, mase = mean(0, chosen), mean(1, chosen)
    on_logs = sum(chosen(r) == "log" for r in records)
    print(f"| {name} | {on_logs} | {smape:.3f} | {mase:.3f} | {(smape / base[0] + mase / base[1]) / 2:.4f} |")
print()
print("Hold-out ratio (logs / values, mean of sMAPE and MASE ratios) by validation ratio:")
print()
print("| validation ratio | series | mean hold-out ratio | median |")
print("|---|---:|---:|---:|")
edges = [0.0, 0.85, 0.9, 0.95, 1.0, 1.05, 1.1, float("inf")]
for low, high in zip(edges, edges[1:]):
    real = [(r["log"][0] / r["none"][0] + r["log"][1] / r["none"][1]) / 2
            for r in records if low <= r["ratio"] < high]
    if real:
        print(f"| [{low}, {high}) | {len(real)} | {statistics.mean(real):.3f} | {statistics.median(real):.3f} |")
PY
