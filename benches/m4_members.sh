#!/usr/bin/env bash
# How the member lookbacks of the default were chosen (docs/accuracy.md, "Members over shorter
# lookbacks"), on M4 Hourly's validation hold-out only (the last 48 training hours):
#
#  1. trains single networks (`--base none --ensemble 1`, daily patches) over lookbacks of 336,
#     288, 240 and 168 hours with seeds 1-3 (1-2 at 288), keeping every forecast with
#     `xlstm compare --predictions`;
#  2. scores the average forecast of every composition of three of them the M4 way
#     (benches/m4_members.py): the mean, lowest and highest OWA over every choice of seeds.
#
#   bash benches/m4_members.sh              # about 25 minutes on 2 cores
#   KEEP=/tmp/m4p bash benches/m4_members.sh   # keep the forecasts (and skip runs already there)
#   MEMBERS=4 KEEP=/tmp/m4p bash benches/m4_members.sh   # ensembles of four instead of three
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/xlstm-target}"
if [ -z "${XLSTM_BIN:-}" ]; then cargo build --release --locked --all-targets --quiet; fi  # same features as the tests: no second polars build
bin="${XLSTM_BIN:-$CARGO_TARGET_DIR/release/xlstm}"
work=$(mktemp -d /tmp/xlstm-m4-members.XXXXXX)
trap 'rm -rf "$work"' EXIT
out="${KEEP:-$work}"
mkdir -p "$out"
long="$work/m4_hourly_validation.csv"
python3 benches/m4_long.py ../shared/datasets/m4 "$long" validation

echo "M4 Hourly (validation hold-out), single networks and their ensembles, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPU(s), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
for run in 336:1 336:2 336:3 240:1 240:2 240:3 168:1 168:2 168:3 288:1 288:2; do
  lookback=${run%:*} seed=${run#*:}
  [ -f "$out/L${lookback}s$seed.csv" ] && continue
  echo "lookback $lookback, seed $seed" >&2
  # 168 hours are 7 days, too few for the default's daily patches: ask for them
  "$bin" compare "$long" --id-col unique_id -H 48 --folds 1 --models xlstm --base none --ensemble 1 \
    --seed "$seed" -L "$lookback" --patch 24 --patch-stride 24 --predictions "$out/L${lookback}s$seed.csv"
done
python3 benches/m4_members.py "$long" "$out" "${MEMBERS:-3}"
