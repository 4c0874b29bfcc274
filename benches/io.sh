#!/usr/bin/env bash
# The I/O and memory targets of docs/performance.md:
#  1. `xlstm check` on a generated CSV of 1,000,000 rows (minutely timestamps and three numeric
#     columns, about 40 MB, written to /tmp) takes at most 0.5 s;
#  2. `xlstm fit` of the default model on ETTm1 (target OT) peaks under 300 MB of resident memory.
# Wall time and peak resident memory (max RSS) come from GNU time (/usr/bin/time).
#   bash benches/io.sh                           (the fit trains the default model: minutes)
#   FIT_ARGS="--epochs 1" bash benches/io.sh     (extra fit flags, e.g. a shorter fit)
# ROWS (1000000), REPS (3 runs of check; the median is reported) and THREADS (2) can be overridden.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/xlstm-target}"
if [ -z "${XLSTM_BIN:-}" ]; then cargo build --release --locked --all-targets --quiet; fi  # same features as the tests: no second polars build
bin="${XLSTM_BIN:-$CARGO_TARGET_DIR/release/xlstm}"
rows="${ROWS:-1000000}"
reps="${REPS:-3}"
threads="${THREADS:-2}"
ettm1="../shared/datasets/ett/ETTm1.csv"
[ -x /usr/bin/time ] || { echo "io.sh needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 1; }
work=$(mktemp -d /tmp/xlstm-io.XXXXXX)
trap 'rm -rf "$work"' EXIT
csv="$work/rows_$rows.csv"

python3 - "$csv" "$rows" <<'PY'
import math, random, sys, datetime
path, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(7)
t0 = datetime.datetime(2020, 1, 1)
step = datetime.timedelta(minutes=1)
with open(path, "w") as f:
    f.write("timestamp,load,temperature,price\n")
    t = t0
    for i in range(n):
        day = math.sin(2 * math.pi * i / 1440)
        f.write(f"{t:%Y-%m-%d %H:%M:%S},{500 + 80 * day + rng.gauss(0, 5):.3f},"
                f"{12 + 8 * day + rng.gauss(0, 1):.2f},{40 + rng.gauss(0, 3):.4f}\n")
        t += step
PY
size_mb=$(du -m "$csv" | cut -f1)

mb() { awk -v kb="$1" 'BEGIN { print kb / 1024 }'; }
# Run a command under GNU time; its wall seconds and max RSS (KB) go to $work/time.
timed() {
  if ! /usr/bin/time -f "%e %M" -o "$work/time" "$@" > /dev/null 2> "$work/err"; then
    cat "$work/err" >&2
    exit 1
  fi
}

check_runs=()
for _ in $(seq "$reps"); do
  timed "$bin" check "$csv" --target load
  check_runs+=("$(cat "$work/time")")
done
check_median=$(printf '%s\n' "${check_runs[@]}" | sort -n | sed -n "$(( (reps + 1) / 2 ))p")
read -r check_s check_kb <<< "$check_median"

fit_args=(fit "$ettm1" --target OT --threads "$threads" --out "$work/model.xlstm" --force -q)
# shellcheck disable=SC2206  # FIT_ARGS is a list of flags
fit_args+=(${FIT_ARGS:-})
timed "$bin" "${fit_args[@]}"
read -r fit_s fit_kb < "$work/time"

echo "xlstm I/O and memory, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPU(s)"
echo
echo "| measurement | command | wall s | peak MB | target |"
echo "|---|---|---:|---:|---|"
printf '| read and check %s rows (%s MB CSV), median of %s | `xlstm check %s --target load` | %.2f | %.0f | at most 0.5 s |\n' \
  "$rows" "$size_mb" "$reps" "/tmp/…/$(basename "$csv")" "$check_s" "$(mb "$check_kb")"
printf '| fit the default model on ETTm1 | `xlstm %s` | %.1f | %.0f | under 300 MB |\n' \
  "fit ../shared/datasets/ett/ETTm1.csv --target OT --threads $threads${FIT_ARGS:+ $FIT_ARGS}" "$fit_s" \
  "$(mb "$fit_kb")"
echo
echo "check runs (s, KB): ${check_runs[*]}"
