#!/usr/bin/env bash
# Speed side by side, measured in one run: the PyTorch anchors of ../shared/anchors (their own
# venv, created on first use: PyTorch's Linux wheel pulls about 5 GB) and `xlstm bench` on the
# same task (ETTh1 OT, rows 8640/2880/2880, lookback 96, horizon 24, batch 64, width 64, 2 threads)
# with the same networks: input Linear 1 → 64, one recurrent layer, head on the last hidden state.
#   bash benches/compare_torch.sh            prints a markdown table of samples/s and ratios
# THREADS (default 2) and EPOCHS (default 1, the median epoch is reported) can be overridden.
# Our chunkwise mLSTM (`mlstm_chunk`) is set beside the anchors' fastest mLSTM (`mlstm_par`), and
# the default forecaster (`xlstm bench -m xlstm`, no anchor) gets a line of its own; the table
# ends with the issue's targets (LSTM training ≥ 1.5×, and ≥ 1.7× for margin; inference ≥ 3×).
set -euo pipefail
cd "$(dirname "$0")/.."
load() { cut -d' ' -f1-3 /proc/loadavg; }
load_before=$(load)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/xlstm-target}"
threads="${THREADS:-2}"
epochs="${EPOCHS:-1}"
if [ -z "${XLSTM_BIN:-}" ]; then cargo build --release --locked --all-targets --quiet; fi  # same features as the tests: no second polars build
bin="${XLSTM_BIN:-$CARGO_TARGET_DIR/release/xlstm}"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
OUT="$out/torch" MODELS="lstm slstm mlstm_rec mlstm_par" EPOCHS="$epochs" THREADS="$threads" \
  bash ../shared/anchors/run.sh >&2
for m in lstm slstm mlstm mlstm_par mlstm_chunk xlstm; do
  "$bin" bench --model "$m" --threads "$threads" --epochs "$epochs" --json -q > "$out/$m.json"
done
echo "xlstm bench and PyTorch $("$HOME/.cache/xlstm-anchors/venv/bin/python" -c 'import torch; print(torch.__version__)' 2>/dev/null || echo '?'), $threads thread(s), $epochs epoch(s), $(date -u '+%Y-%m-%d %H:%M UTC'); load average (1, 5, 15 min) $load_before before and $(load) after, $(nproc --all) CPUs"
echo
python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
pairs = [("lstm", "lstm"), ("slstm", "slstm"), ("mlstm", "mlstm_rec"), ("mlstm_par", "mlstm_par"),
         ("mlstm_chunk", "mlstm_par")]
print("| xlstm | PyTorch | train/s xlstm | train/s torch | train ratio | infer/s xlstm | infer/s torch "
      "| infer ratio | MFLOP/sample | GFLOP/s xlstm | % of peak | peak MB xlstm | peak MB torch |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
peak = None
ratios = {}
for ours, theirs in pairs:
    a = json.load(open(os.path.join(out, ours + ".json")))
    t = json.load(open(os.path.join(out, "torch", theirs + ".json")))
    tt, ti = t["train_samples_per_s_median"], t["infer_bs64_samples_per_s_median"]
    frac = a.get("fraction_of_peak")
    peak = a.get("peak_gflops")
    ratios[ours] = (a["train_samples_per_s"] / tt, a["infer_samples_per_s"] / ti)
    print(f"| {ours} | {theirs} | {a['train_samples_per_s']:.0f} | {tt:.0f} | {a['train_samples_per_s'] / tt:.2f} | "
          f"{a['infer_samples_per_s']:.0f} | {ti:.0f} | {a['infer_samples_per_s'] / ti:.2f} | "
          f"{a['flops_per_train_sample'] / 1e6:.1f} | {a['achieved_gflops']:.1f} | "
          f"{'n/a' if frac is None else f'{100 * frac:.1f}'} | {a['peak_rss_mb']:.0f} | {t['rss_peak_final_mib']:.0f} |")
print()
print(f"Measured f32 FMA peak of the threads (xlstm bench, last run): {peak:.0f} GFLOP/s. "
      "Ratios above 1 mean xlstm is faster; inference is batch 64 on the anchors' side and "
      "xlstm's own chunks over the training windows on ours.")
d = json.load(open(os.path.join(out, "xlstm.json")))
print()
print(f"The default forecaster (`xlstm bench -m xlstm`: {d['network']['core']} blocks "
      f"'{d['network'].get('blocks', '?')}', width {d['hidden']}, {d['heads']} heads, patch "
      f"{d['network']['patch']}, stride {d['network']['stride']}, {d['parameters']} parameters; no anchor): "
      f"{d['train_samples_per_s']:.0f} training windows/s, {d['infer_samples_per_s']:.0f} forecasts/s, "
      f"peak {d['peak_rss_mb']:.0f} MB.")
print()
print("| target | measured | |")
print("|---|---|---|")
lstm = ratios["lstm"][0]
print(f"| LSTM training ≥ 1.5 × `nn.LSTM` (≥ 1.7 × for margin) | {lstm:.2f} × | "
      f"{'✓' if lstm >= 1.7 else ('✓ without the margin' if lstm >= 1.5 else '✗')} |")
for ours in ["lstm", "slstm", "mlstm", "mlstm_par", "mlstm_chunk"]:
    r = ratios[ours][1]
    print(f"| inference ≥ 3 × PyTorch, {ours} | {r:.2f} × | {'✓' if r >= 3 else '✗'} |")
PY
