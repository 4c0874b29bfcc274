#!/usr/bin/env bash
# Covariates on the demo load series: test MASE of the default xLSTM and of NLinear with and
# without the temperature column and calendar features (docs/covariates.md).
#
#   bash benches/covariates.sh              # 3 seeds of the xLSTM, about a minute
#   SEEDS="1 2 3 4 5" bash benches/covariates.sh
#   FLAGS="--level 80,95" bash benches/covariates.sh   # extra fit flags (here: the quantile network)
#
# Temperature is read as future-known: the models see the actual temperatures of the horizon,
# as a planner would see a (perfect) temperature forecast. The split is fit's 70/10/20; the
# lookback is chosen on the validation windows, the ridge penalty too, early stopping as usual.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/xlstm-target}"
if [ -z "${XLSTM_BIN:-}" ]; then cargo build --release --locked --all-targets --quiet; fi
bin="${XLSTM_BIN:-$CARGO_TARGET_DIR/release/xlstm}"
data=datasets/load_hourly.csv
seeds="${SEEDS:-1 2 3}"
work=$(mktemp -d /tmp/xlstm-covariates.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "covariates on $data, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPU(s), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "command: xlstm fit $data --target load_mw -m MODEL --seed SEED --no-refit [covariate flags] ${FLAGS:-}"
echo
echo "| model | covariates | test MASE (mean over seeds) | per seed | kept epoch |"
echo "|---|---|---:|---|---|"
variants=("none|" "calendar auto|--calendar auto" "temperature (future-known)|--future-covariates temperature_c" \
  "temperature (past-observed)|--covariates temperature_c" \
  "temperature (future-known) + calendar auto|--future-covariates temperature_c --calendar auto")
for model in nlinear xlstm; do
  for variant in "${variants[@]}"; do
    name="${variant%%|*}"; flags="${variant#*|}"
    model_seeds=$seeds; [ "$model" = nlinear ] && model_seeds=1
    results=""
    for seed in $model_seeds; do
      # shellcheck disable=SC2086  # flags is a list of flags
      "$bin" fit "$data" --target load_mw -m "$model" --seed "$seed" --no-refit -q --json --force \
        -o "$work/m.xlstm" $flags ${FLAGS:-} > "$work/fit.json"
      results+="$(python3 - "$work/fit.json" "$work/m.xlstm" <<'PY'
import json, sys
fit = json.load(open(sys.argv[1]))
model = json.loads(open(sys.argv[2]).read().split("\n", 1)[1])
def best(node):  # the epoch early stopping kept, in the model file's settings (none for NLinear)
    if isinstance(node, dict):
        if "best_epoch" in node:
            return node["best_epoch"]
        return next((b for b in map(best, node.values()) if b is not None), None)
    if isinstance(node, list):
        return next((b for b in map(best, node) if b is not None), None)
    return None
kept = best(model)
print(f"{fit['test'][0]['metrics']['mase']}:{'-' if kept is None else kept}")
PY
) "
    done
    python3 - "$model" "$name" "$results" <<'PY'
import statistics, sys
model, name = sys.argv[1], sys.argv[2]
runs = [r.split(":") for r in sys.argv[3].split()]
mase = [float(m) for m, _ in runs]
per_seed = ", ".join(f"{m:.4f}" for m in mase)
kept = ", ".join(k for _, k in runs)
print(f"| {model} | {name} | {statistics.mean(mase):.4f} | {per_seed} | {kept} |")
PY
  done
done
