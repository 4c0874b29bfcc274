#!/usr/bin/env bash
# `xlstm fit` with the default model against the tool users would otherwise pick: NeuralForecast
# (3.x, on the CPU) with its xLSTM and LSTM models, on the same task. Wall time and peak memory of
# each whole process (GNU time), and the test MSE in standardised units over every test window.
#   bash benches/compare_neuralforecast.sh                  ETTh1 OT, L 96, H 24, rows 8640/2880/2880
#   SPLIT=600,200,200 XLSTM_ARGS="--epochs 1" bash benches/compare_neuralforecast.sh   (a quick check)
# The task: `xlstm fit DATA --target OT -L 96 -H 24 --split 8640,2880,2880` with the library's
# default model (early stopping on the validation rows as usual). NeuralForecast then gets the same
# training windows (those whose targets lie in the training rows), the same number of passes over
# them (the epochs xlstm ran) in batches of xlstm's batch size (windows_batch_size; max_steps =
# epochs × ⌈windows / batch⌉), the validation rows as its validation set (no early stopping), the
# MSE loss, otherwise its defaults; it forecasts every test window from its own history
# (cross_validation, step 1, no refit; benches/compare_neuralforecast.py).
# NeuralForecast is installed beside the anchors' torch in their virtualenv (made as
# ../shared/anchors/run.sh makes it when missing; default ~/.cache/xlstm-anchors/venv), with the
# official `xlstm` and `mlstm_kernels` packages its xLSTM model needs.
# DATA, TARGET (OT), TIME_COL (date), LOOKBACK (96), HORIZON (24), SPLIT, THREADS (2), MODELS
# ("xLSTM LSTM"), XLSTM_ARGS (more `xlstm fit` flags). Prints a markdown table on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/xlstm-target}"
VENV="${XLSTM_ANCHOR_VENV:-$HOME/.cache/xlstm-anchors/venv}"
data="${DATA:-../shared/datasets/ett/ETTh1.csv}"
target="${TARGET:-OT}"
lookback="${LOOKBACK:-96}"
horizon="${HORIZON:-24}"
split="${SPLIT:-8640,2880,2880}"
threads="${THREADS:-2}"
if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
  echo "== creating $VENV (torch 2.15.0, as ../shared/anchors/run.sh)" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q torch==2.15.0 numpy
fi
if ! "$VENV/bin/python" -c "import neuralforecast, xlstm, mlstm_kernels" 2>/dev/null; then
  echo "== installing neuralforecast 3.x, xlstm and mlstm_kernels into $VENV" >&2
  "$VENV/bin/pip" install -q "neuralforecast>=3,<4" xlstm mlstm_kernels
fi
if [ -z "${XLSTM_BIN:-}" ]; then cargo build --release --locked --all-targets --quiet; fi  # same features as the tests: no second polars build
bin="${XLSTM_BIN:-$CARGO_TARGET_DIR/release/xlstm}"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export OMP_NUM_THREADS=$threads MKL_NUM_THREADS=$threads PYTHONUNBUFFERED=1
load() { awk '{ s += $1 } END { printf "%.2f", s / NR }' /proc/loadavg; }
echo "== xlstm fit (default model)" >&2
load_before=$(load)
# shellcheck disable=SC2086
/usr/bin/time -f "%e %M" -o "$out/xlstm.time" "$bin" fit "$data" --target "$target" -L "$lookback" \
  -H "$horizon" --split "$split" --threads "$threads" --out "$out/model.xlstm" --json -q ${XLSTM_ARGS:-} \
  > "$out/xlstm.json"
read -r epochs batch ensemble < <(python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
fit = json.load(open(os.path.join(out, "xlstm.json")))
with open(os.path.join(out, "model.xlstm")) as f:
    f.readline()  # the header line; the model file's JSON follows
    train = json.loads(f.read())["config"]["train"]
print(len(fit["history"]), train["batch"], train.get("ensemble", 1))
PY
)
for model in ${MODELS:-xLSTM LSTM}; do
  echo "== NeuralForecast $model: $epochs epoch(s) × ensemble $ensemble in batches of $batch" >&2
  /usr/bin/time -f "%e %M" -o "$out/$model.time" "$VENV/bin/python" benches/compare_neuralforecast.py \
    --data "$data" --target "$target" --time-col "${TIME_COL:-date}" --model "$model" \
    --lookback "$lookback" --horizon "$horizon" --split "$split" --epochs "$((epochs * ensemble))" \
    --batch "$batch" --threads "$threads" > "$out/$model.json" 2> "$out/$model.log" \
    || { tail -20 "$out/$model.log" >&2; exit 1; }
done
load_after=$(load)
echo "xlstm fit (default model) and NeuralForecast $("$VENV/bin/python" -c 'import neuralforecast; print(neuralforecast.__version__)'), $data $target, lookback $lookback, horizon $horizon, split $split, $threads thread(s), $(date -u '+%Y-%m-%d %H:%M UTC'), load average $load_before before and $load_after after ($(nproc --all) CPUs)"
echo
python3 - "$out" "${MODELS:-xLSTM LSTM}" <<'PY'
import json, os, sys
out, models = sys.argv[1], sys.argv[2].split()
def timed(name):
    wall, kb = open(os.path.join(out, name + ".time")).read().split()[-2:]
    return float(wall), float(kb) / 1024
fit = json.load(open(os.path.join(out, "xlstm.json")))
mse = next(r["metrics"]["mse_std"] for r in fit["test"] if r["model"] == fit["model"])
wall, mb = timed("xlstm")
print("| tool | model | epochs | test windows | wall s | peak MB | test MSE (std) | NF wall ÷ xlstm | NF memory ÷ xlstm |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
print(f"| xlstm | {fit['model']} (default) | {len(fit['history'])} | {fit['test_windows']} | {wall:.1f} | {mb:.0f} | {mse:.4f} | | |")
verdicts = []
for m in models:
    nf = json.load(open(os.path.join(out, m + ".json")))
    w, k = timed(m)
    print(f"| NeuralForecast | {m} | {nf['epochs']} | {nf['test_windows']} | {w:.1f} | {k:.0f} | "
          f"{nf['test_mse_std']:.4f} | {w / wall:.1f} | {k / mb:.1f} |")
    ok = w >= 10 * wall and k >= 10 * mb and mse <= nf["test_mse_std"]
    verdicts.append(f"{m}: {'met' if ok else 'not met'} (×{w / wall:.1f} time, ×{k / mb:.1f} memory, "
                    f"MSE {mse:.4f} against {nf['test_mse_std']:.4f})")
print()
print("Wall time and peak memory are those of each whole process (GNU time), imports, data loading, "
      "training, test forecasts and, for xlstm, the naive baselines included. Target: NeuralForecast "
      "takes ≥ 10 × the time and ≥ 10 × the memory of xlstm at an equal or worse test MSE: "
      + "; ".join(verdicts) + ".")
PY
