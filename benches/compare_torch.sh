#!/usr/bin/env bash
# Speed side by side, measured in one run: the PyTorch anchors of ../shared/anchors (their own
# venv, created on first use: PyTorch's Linux wheel pulls about 5 GB) and `xlstm bench` on the
# same task (ETTh1 OT, rows 8640/2880/2880, lookback 96, horizon 24, batch 64, width 64, 2 threads).
#   bash benches/compare_torch.sh            prints a markdown table of samples/s and ratios
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/xlstm-target}"
threads="${THREADS:-2}"
if [ -z "${XLSTM_BIN:-}" ]; then cargo build --release --quiet; fi
bin="${XLSTM_BIN:-$CARGO_TARGET_DIR/release/xlstm}"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
OUT="$out/torch" MODELS="lstm slstm mlstm_rec mlstm_par" EPOCHS=1 THREADS="$threads" \
  bash ../shared/anchors/run.sh >&2
for m in lstm slstm mlstm; do
  "$bin" bench --model "$m" --threads "$threads" --json -q > "$out/$m.json"
done
python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
pairs = [("lstm", "lstm"), ("slstm", "slstm"), ("mlstm", "mlstm_rec"), ("mlstm", "mlstm_par")]
print("| xlstm model | PyTorch anchor | train/s xlstm | train/s torch | ratio | infer/s xlstm | infer/s torch | ratio | xlstm peak MB |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
for ours, theirs in pairs:
    a = json.load(open(os.path.join(out, ours + ".json")))
    t = json.load(open(os.path.join(out, "torch", theirs + ".json")))
    tt, ti = t["train_samples_per_s_median"], t["infer_bs64_samples_per_s_median"]
    print(f"| {ours} | {theirs} | {a['train_samples_per_s']:.0f} | {tt:.0f} | {a['train_samples_per_s'] / tt:.2f} | "
          f"{a['infer_samples_per_s']:.0f} | {ti:.0f} | {a['infer_samples_per_s'] / ti:.2f} | {a['peak_rss_mb']:.0f} |")
PY
