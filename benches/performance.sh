#!/usr/bin/env bash
# Regenerate the measured sections of docs/performance.md from the bench scripts: each section
# between `<!-- performance.sh: NAME -->` and `<!-- end NAME -->` is replaced by the output of its
# command, headed by the command, the date and the machine's load average before and after it.
# Run it on a quiet machine (the load average is printed so that a reader can tell).
#   bash benches/performance.sh                          every section (about an hour on 2 cores)
#   ONLY="mlstm_forms lstm_lookback" bash benches/performance.sh      some sections
# Sections: compare_torch (benches/compare_torch.sh), scaling (benches/scaling.sh),
# mlstm_forms and lstm_lookback (cargo bench --bench training_timing), neuralforecast
# (benches/compare_neuralforecast.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/xlstm-target}"
cargo build --release --locked --all-targets --quiet  # the binary and the timing probes
export XLSTM_BIN="$CARGO_TARGET_DIR/release/xlstm"
probe=$(find "$CARGO_TARGET_DIR/release/deps" -maxdepth 1 -type f -executable -name 'training_timing-*' -printf '%T@ %p\n' | sort -rn | head -1 | cut -d' ' -f2)
doc=docs/performance.md
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
load() { cut -d' ' -f1-3 /proc/loadavg; }
scaling_table() {
  python3 - docs/scaling.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
points = {(p["model"], p["lookback"], p["hidden"]): p["ms_per_window"] for p in d["points"]}
lookbacks = sorted({l for (_, l, _) in points})
print("| network | " + " | ".join(f"L {l}" for l in lookbacks) + " | exponent against lookback | exponent against width |")
print("|---|" + "---:|" * (len(lookbacks) + 2))
for m in d["models"]:
    row = [f"{points[k]:.3f}" for l in lookbacks for k in points if k[0] == m["model"] and k[1] == l][: len(lookbacks)]
    print(f"| {m['model']} | " + " | ".join(row) + f" | {m['lookback_exponent']:.2f} | {m['width_exponent']:.2f} |")
print()
print("ms of training per window (one epoch, 2 threads); the points are in docs/scaling.json, the figure in docs/scaling.png.")
PY
}
run() { # name, then the command
  local name=$1
  shift
  case " ${ONLY:-compare_torch scaling mlstm_forms lstm_lookback neuralforecast} " in
    *" $name "*) ;;
    *) return 0 ;;
  esac
  echo "== $name: $*" >&2
  local before
  before=$(load)
  "$@" > "$out/$name.body"
  {
    local shown="$*"
    shown="${shown/$probe/cargo bench --bench training_timing --}"
    echo "\`$shown\`, $(date -u '+%Y-%m-%d %H:%M UTC'), load average (1, 5, 15 min) $before before and $(load) after, $(nproc --all) CPUs:"
    echo
    cat "$out/$name.body"
  } > "$out/$name"
  python3 - "$doc" "$name" "$out/$name" <<'PY'
import sys
doc, name, body = sys.argv[1], sys.argv[2], open(sys.argv[3]).read().rstrip("\n")
text = open(doc).read()
start, end = f"<!-- performance.sh: {name} -->", f"<!-- end {name} -->"
if start not in text or end not in text:
    sys.exit(f"{doc} has no section {name} ({start} … {end})")
head, rest = text.split(start, 1)
_, tail = rest.split(end, 1)
open(doc, "w").write(f"{head}{start}\n{body}\n{end}{tail}")
PY
}
scaling() { # the sweep (docs/scaling.png, docs/scaling.json), then its table
  bash benches/scaling.sh >&2
  scaling_table
}
run compare_torch bash benches/compare_torch.sh
run scaling scaling
run mlstm_forms "$probe" mlstm_forms
run lstm_lookback "$probe" lstm_lookback
run neuralforecast bash benches/compare_neuralforecast.sh
echo "updated $doc" >&2
