#!/usr/bin/env bash
# M4 Hourly (414 series, 48-step hold-out) as a new user would run it, scored the M4 way.
#
#  1. converts ../shared/datasets/m4 from the competition's wide files to one long CSV
#     (unique_id, ds, y): start dates from Hourly-info.csv, the 48 test hours appended;
#  2. runs the hold-out through `xlstm compare --folds 1 -H 48` (every model trains on everything
#     before the last 48 hours of each series, minus a validation tail for early stopping);
#  3. prints sMAPE, MASE and OWA against the official Naive2 (sMAPE 18.383, MASE 2.395), with
#     the official rows of `M4-point-forecast-scores.csv` beside ours.
#
#   bash benches/m4.sh                                  # default xlstm, snaive, naive, nlinear
#   MODELS="xlstm,lstm,nlinear,snaive" bash benches/m4.sh
#   MODE=validation bash benches/m4.sh                  # drop the test hours: the hold-out is the
#                                                       # last 48 training hours (choosing defaults)
#   FLAGS="--loss mse" bash benches/m4.sh               # extra compare flags
#   FLAGS="--level 95" bash benches/m4.sh               # and coverage and MSIS of 95 % intervals
#   FLAGS="--score-refit" bash benches/m4.sh            # score the models as `xlstm fit` saves them:
#                                                       # trained again on the validation tail too
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/xlstm-target}"
if [ -z "${XLSTM_BIN:-}" ]; then cargo build --release --locked --all-targets --quiet; fi  # same features as the tests: no second polars build
bin="${XLSTM_BIN:-$CARGO_TARGET_DIR/release/xlstm}"
m4="../shared/datasets/m4"
models="${MODELS:-xlstm,nlinear,snaive,naive}"
mode="${MODE:-test}"
work=$(mktemp -d /tmp/xlstm-m4.XXXXXX)
trap 'rm -rf "$work"' EXIT
long="$work/m4_hourly_$mode.csv"

python3 benches/m4_long.py "$m4" "$long" "$mode"

echo "M4 Hourly ($mode hold-out), $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPU(s), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "command: xlstm compare m4_hourly_$mode.csv --id-col unique_id -H 48 --folds 1 --models $models ${FLAGS:-}"
echo
# shellcheck disable=SC2086  # FLAGS is a list of flags
"$bin" compare "$long" --id-col unique_id -H 48 --folds 1 --models "$models" --json ${FLAGS:-} \
  > "$work/board.json"  # progress and errors on stderr

python3 - "$work/board.json" "$m4/M4-point-forecast-scores.csv" "$mode" <<'PY'
import csv, json, sys
board, official, mode = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
NAIVE2_SMAPE, NAIVE2_MASE = 18.383, 2.395
owa = lambda s, m: 0.5 * (s / NAIVE2_SMAPE + m / NAIVE2_MASE)
print("| model | sMAPE | MASE | OWA | train s |")
print("|---|---:|---:|---:|---:|")
for m in board["models"]:
    print(f"| {m['model']} (xlstm) | {m['smape']:.3f} | {m['mase']:.3f} | {owa(m['smape'], m['mase']):.3f} | {m['train_seconds']:.0f} |")
if mode == "test":
    rows = {r["method_id"]: r for r in csv.DictReader(open(official))}
    for key, label in [("sNaive", "official sNaive"), ("Naive2", "official Naive2"),
                       ("118", "ES-RNN (Smyl), M4 winner"), ("238", "Doornik et al., best Hourly")]:
        if key in rows:
            r = rows[key]
            print(f"| {label} | {float(r['sMAPE_hourly']):.3f} | {float(r['MASE_hourly']):.3f} | "
                  f"{float(r['OWA_hourly']):.3f} | |")
# prediction intervals (FLAGS="--level 95"): coverage and MSIS (M4's scale) per model and level
levels = sorted({k[5:] for m in board["models"] for k in m if k.startswith("msis_")}, key=float)
if levels:
    print()
    print("| model | " + " | ".join(f"coverage {l} | MSIS {l}" for l in levels) + " |")
    print("|---|" + "---:|---:|" * len(levels))
    for m in board["models"]:
        cells = [f"{m.get('coverage_' + l, float('nan')):.1f} | {m.get('msis_' + l, float('nan')):.3f}" for l in levels]
        print(f"| {m['model']} | " + " | ".join(cells) + " |")
PY
