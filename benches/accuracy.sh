#!/usr/bin/env bash
# Univariate ETT under the public LTSF protocol (../shared/docs/benchmarks.md §1): target OT,
# the 12/4/4-month splits, L = 336, H = 96/192/336/720, standardised MSE and MAE over every test
# window. Every neural model runs with 3 seeds (mean ± std); the linear models are closed-form
# and deterministic, so they run once. The published NLinear and PatchTST/42 rows are printed
# beside ours. Markdown on stdout; every run's raw figures in $OUT (default a temporary folder).
#
#   bash benches/accuracy.sh > docs/accuracy-runs.md          # hours on 2 cores
#   SETS=etth1 HORIZONS=96 MODELS="xlstm nlinear" SEEDS="1" bash benches/accuracy.sh
#   SCORE=validation FLAGS="--loss mse" bash benches/accuracy.sh   # the validation windows, for
#                                                               # choosing settings (ablations)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/xlstm-target}"
if [ -z "${XLSTM_BIN:-}" ]; then cargo build --release --locked --all-targets --quiet; fi  # same features as the tests: no second polars build
bin="${XLSTM_BIN:-$CARGO_TARGET_DIR/release/xlstm}"
sets="${SETS:-etth1 ettm1}"
horizons="${HORIZONS:-96 192 336 720}"
models="${MODELS:-xlstm slstm mlstm lstm nlinear dlinear}"
seeds="${SEEDS:-1 2 3}"
score="${SCORE:-test}"
threads="${THREADS:-2}"
lookback="${LOOKBACK:-336}"
out="${OUT:-$(mktemp -d /tmp/xlstm-accuracy.XXXXXX)}"
mkdir -p "$out"
runs="$out/runs.tsv"
: > "$runs"

data_for() {
  case "$1" in
    etth1) echo "../shared/datasets/ett/ETTh1.csv --split 8640,2880,2880" ;;
    ettm1) echo "../shared/datasets/ett/ETTm1.csv --split 34560,11520,11520" ;;
    *) echo "unknown set $1" >&2; exit 2 ;;
  esac
}

echo "Univariate ETT (OT), L = $lookback, scored on the $score windows; $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPU(s), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "command: xlstm eval DATA --target OT --split S -L $lookback -H H -m MODEL --seed SEED --threads $threads --score $score ${FLAGS:-}"
echo
for set in $sets; do
  for h in $horizons; do
    for m in $models; do
      case "$m" in nlinear|dlinear|linear|naive|snaive) model_seeds=1 ;; *) model_seeds="$seeds" ;; esac
      for seed in $model_seeds; do
        # shellcheck disable=SC2046,SC2086  # the data arguments and FLAGS are lists of words
        "$bin" eval $(data_for "$set") --target OT -L "$lookback" -H "$h" -m "$m" --seed "$seed" \
          --threads "$threads" --score "$score" --json -q ${FLAGS:-} > "$out/run.json"
        python3 - "$out/run.json" "$set" "$h" "$m" "$seed" >> "$runs" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print("\t".join(sys.argv[2:6] + [repr(d["mse"]), repr(d["mae"]), repr(d["train_seconds"])]))
PY
      done
    done
  done
done

python3 - "$runs" "$score" <<'PY'
import collections, statistics, sys
runs, score = sys.argv[1], sys.argv[2]
cells = collections.defaultdict(list)
order = []
for line in open(runs):
    s, h, m, seed, mse, mae, secs = line.split("\t")
    key = (s, int(h), m)
    if key not in cells:
        order.append(key)
    cells[key].append((float(mse), float(mae), float(secs)))
# published univariate rows (benchmarks.md §2.1 [V] and §2.2 [U])
published = {
    "NLinear (published)": {("etth1", 96): (0.053, 0.177), ("etth1", 192): (0.069, 0.204), ("etth1", 336): (0.081, 0.226),
                            ("etth1", 720): (0.080, 0.226), ("ettm1", 96): (0.026, 0.122), ("ettm1", 192): (0.039, 0.149),
                            ("ettm1", 336): (0.052, 0.172), ("ettm1", 720): (0.073, 0.207)},
    "PatchTST/42 (published, unverified)": {("etth1", 96): (0.055, 0.179), ("etth1", 192): (0.071, 0.205), ("etth1", 336): (0.081, 0.225),
                            ("etth1", 720): (0.087, 0.232), ("ettm1", 96): (0.026, 0.121), ("ettm1", 192): (0.039, 0.150),
                            ("ettm1", 336): (0.053, 0.173), ("ettm1", 720): (0.074, 0.207)},
}
columns = sorted({(s, h) for s, h, _ in order}, key=lambda c: (c[0], c[1]))
models = list(dict.fromkeys(m for _, _, m in order))
def fmt(values):
    if len(values) == 1:
        return f"{values[0]:.4f}"
    return f"{statistics.mean(values):.4f} ± {statistics.stdev(values):.4f}"
for metric, k in [("MSE", 0), ("MAE", 1)]:
    print(f"#### {metric} ({score} windows; mean ± std over seeds)")
    print()
    print("| model | " + " | ".join(f"{s.upper()} {h}" for s, h in columns) + " | mean |")
    print("|---|" + "---:|" * (len(columns) + 1))
    for m in models:
        row, means = [], []
        for s, h in columns:
            v = [r[k] for r in cells.get((s, h, m), [])]
            row.append(fmt(v) if v else "")
            if v:
                means.append(statistics.mean(v))
        print(f"| {m} | " + " | ".join(row) + f" | {statistics.mean(means):.4f} |")
    if score == "test":
        for name, table in published.items():
            vals = [table.get(c) for c in columns]
            if all(v is not None for v in vals):
                print(f"| {name} | " + " | ".join(f"{v[k]:.3f}" for v in vals) + f" | {statistics.mean(v[k] for v in vals):.4f} |")
    print()
print("#### Training seconds (mean over seeds)")
print()
print("| model | " + " | ".join(f"{s.upper()} {h}" for s, h in columns) + " |")
print("|---|" + "---:|" * len(columns))
for m in models:
    print(f"| {m} | " + " | ".join(f"{statistics.mean(r[2] for r in cells[(s, h, m)]):.1f}" if (s, h, m) in cells else "" for s, h in columns) + " |")
PY
echo
echo "raw runs: $runs"
