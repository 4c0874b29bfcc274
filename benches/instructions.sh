#!/usr/bin/env bash
# Instructions per training window and per forecast, counted by valgrind's callgrind: a measure
# of work that does not depend on what else runs on the machine (wall-clock timings do), used to
# choose between implementations while the cores are shared. One thread, one epoch of --max-windows
# windows of the anchors' task (`xlstm bench`); the count is inclusive of everything training
# (`bench::measure`: the training loop, and for xlstm the model API's fit with its base) and the
# forecasts (its predict closure) call. Needs valgrind (apt-get install valgrind).
#   bash benches/instructions.sh                                  the default configurations below
#   MODELS="mlstm mlstm_chunk" LOOKBACKS="48 96 192" bash benches/instructions.sh
#   CHUNKS="8 16 32" MODELS=mlstm_chunk bash benches/instructions.sh   (chunk lengths of mlstm_chunk)
# MODELS (lstm slstm mlstm mlstm_par mlstm_chunk xlstm), LOOKBACKS (96), CHUNKS (16), WINDOWS (64),
# EXTRA (more `xlstm bench` flags, e.g. "--hidden 32"). Prints a markdown table on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/xlstm-target}"
if [ -z "${XLSTM_BIN:-}" ]; then cargo build --release --locked --all-targets --quiet; fi  # same features as the tests: no second polars build
bin="${XLSTM_BIN:-$CARGO_TARGET_DIR/release/xlstm}"
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
windows="${WINDOWS:-64}"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# inclusive instructions of the first function whose name matches $2 in callgrind output $1
inclusive() {
  callgrind_annotate --inclusive=yes "$1" 2>/dev/null \
    | awk -v pat="$2" '$0 ~ pat { gsub(",", "", $1); print $1; exit }'
}
echo "instructions per window (callgrind, 1 thread, $windows windows, $(date -u '+%Y-%m-%d %H:%M UTC'))"
echo
echo "| model | lookback | chunk | training, M instr./window | forecast, M instr./window |"
echo "|---|---:|---:|---:|---:|"
for model in ${MODELS:-lstm slstm mlstm mlstm_par mlstm_chunk xlstm}; do
  for lookback in ${LOOKBACKS:-96}; do
    chunks="-"
    if [ "$model" = mlstm_chunk ]; then chunks="${CHUNKS:-16}"; fi
    for chunk in $chunks; do
      args=(bench -m "$model" --lookback "$lookback" --max-windows "$windows" --epochs 1 --threads 1 -q)
      if [ "$chunk" != "-" ]; then args+=(--chunk "$chunk"); fi
      # shellcheck disable=SC2086
      valgrind --tool=callgrind --callgrind-out-file="$out/cg" "$bin" "${args[@]}" ${EXTRA:-} >/dev/null 2>"$out/log" \
        || { cat "$out/log" >&2; exit 1; }
      train=$(inclusive "$out/cg" 'commands::bench::measure \\[')
      infer=$(inclusive "$out/cg" 'commands::bench::measure::\\{\\{closure')
      python3 -c "import sys; t, i, n = map(float, sys.argv[1:]); print(f'| $model | $lookback | $chunk | {t / n / 1e6:.2f} | {i / n / 3 / 1e6:.3f} |')" \
        "${train:-nan}" "${infer:-nan}" "$windows"
    done
  done
done
echo
echo "Training: one epoch (forward, backward, optimiser step) divided by the windows; forecast: the three inference passes of xlstm bench divided by 3 × the windows."
