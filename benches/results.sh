#!/usr/bin/env bash
# Regenerates the tables of docs/results.md: every model on the demo series and on ETTh1 (OT),
# test metrics from `xlstm fit --json` and the training time of each run.
#   bash benches/results.sh > /tmp/results.md        (about 30 minutes on 2 cores)
# MODELS, THREADS and SETS can be overridden: SETS="load" MODELS="xlstm nlinear" bash benches/results.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/xlstm-target}"
if [ -z "${XLSTM_BIN:-}" ]; then cargo build --release --locked --all-targets --quiet; fi  # same features as the tests: no second polars build
bin="${XLSTM_BIN:-$CARGO_TARGET_DIR/release/xlstm}"
ett="../shared/datasets/ett/ETTh1.csv"
models="${MODELS:-xlstm slstm mlstm lstm nlinear naive snaive}"
threads="${THREADS:-2}"
sets="${SETS:-load panel etth1-24 etth1-96}"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

args_for() {
  case "$1" in
    load) echo "datasets/load_hourly.csv --target load_mw" ;;
    panel) echo "datasets/retail_daily_panel.csv --id-col unique_id" ;;
    etth1-24) echo "$ett --target OT --split 8640,2880,2880 --lookback 96 --horizon 24" ;;
    etth1-96) echo "$ett --target OT --split 8640,2880,2880 --lookback 336 --horizon 96" ;;
  esac
}

for set in $sets; do
  echo "### $set: \`xlstm fit $(args_for "$set") --model M --threads $threads\`"
  echo
  echo "| model | MAE | RMSE | sMAPE | MASE | MSE (std) | MAE (std) | best val loss | epochs | train s |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for m in $models; do
    # shellcheck disable=SC2046
    "$bin" fit $(args_for "$set") --model "$m" --threads "$threads" --json -q --force -o "$out/$m.xlstm" > "$out/$m.json"
    python3 - "$out/$m.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
row = d["test"][0]
m = row["metrics"]
history = d.get("history", [])
epochs = len(history) or "-"
val = f"{min(h['validation_loss'] for h in history):.4f}" if history else "-"
print(f"| {row['model']} | {m['mae']:.4f} | {m['rmse']:.4f} | {m['smape']:.3f} | {m['mase']:.4f} | "
      f"{m['mse_std']:.4f} | {m['mae_std']:.4f} | {val} | {epochs} | {d['train_seconds']:.1f} |")
PY
  done
  echo
done
