#!/usr/bin/env bash
# Training time against lookback and against width: `xlstm bench --sweep` on the anchors' task
# (ETTh1 OT, horizon 24, batch 64), one epoch per point, drawn to docs/scaling.png with the points
# in docs/scaling.json. The recurrent forms must grow linearly with the lookback (exponent k ≈ 1).
#   bash benches/scaling.sh                                    (several minutes on 2 cores)
#   LOOKBACKS=12,24 WIDTHS=8,16 MAX_WINDOWS=256 OUT=/tmp/s.png bash benches/scaling.sh   (a quick check)
# MODELS (default lstm,slstm,mlstm; mlstm_par and xlstm also work), LOOKBACKS (48,96,192,384),
# WIDTHS (16,32,64,128), HIDDEN (64, the width of the lookback sweep), LOOKBACK (96, the lookback
# of the width sweep), THREADS (2), EPOCHS (1; the median epoch is reported), MAX_WINDOWS (all).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/xlstm-target}"
if [ -z "${XLSTM_BIN:-}" ]; then cargo build --release --locked --all-targets --quiet; fi  # same features as the tests: no second polars build
bin="${XLSTM_BIN:-$CARGO_TARGET_DIR/release/xlstm}"
plot="${OUT:-docs/scaling.png}"
json="${plot%.*}.json"
args=(bench --sweep --models "${MODELS:-lstm,slstm,mlstm}" --lookbacks "${LOOKBACKS:-48,96,192,384}"
  --widths "${WIDTHS:-16,32,64,128}" --hidden "${HIDDEN:-64}" --lookback "${LOOKBACK:-96}"
  --threads "${THREADS:-2}" --epochs "${EPOCHS:-1}" --plot "$plot" --json)
if [ -n "${MAX_WINDOWS:-}" ]; then args+=(--max-windows "$MAX_WINDOWS"); fi
echo "xlstm ${args[*]}" >&2
"$bin" "${args[@]}" > "$json"
echo "wrote $plot and $json" >&2
