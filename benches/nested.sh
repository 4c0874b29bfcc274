#!/usr/bin/env bash
# Nested validation: is a network's validation gain on one series evidence? The LTSF splits moved
# one part earlier, so that the "test" part is the protocol's validation period and nothing of the
# test period is read: ETTh1 trains on 8 months, is validated on the next 4 and scored on the 4
# after them (`--split 5760,2880,2880`); ETTm1 likewise (`23040,11520,11520`); Weather's OT (a
# copy without its one duplicated timestamp; its 50 values of -9999, missing-value codes, are
# kept, 16 of them in the inner validation part) on `31616,5270,5270`. For every cell the network
# alone (`--base none`) and NLinear at each ridge penalty of the grid write their forecasts on the
# inner validation and the pseudo-test windows; every candidate of `--base auto` is a blend
# s·network + (1 − s)·NLinear of the two, so each selection rule's choice and its pseudo-test MSE
# follow exactly from those files. Markdown on stdout (docs/accuracy.md, "Nested validation").
#
#   bash benches/nested.sh                                    # ETTh1, 3 seeds (about 10 minutes)
#   SETS="etth1 ettm1 weather" SEEDS=1 bash benches/nested.sh # hours on 2 cores
#   SETS=etth1 HORIZONS=96 SEEDS=1 MODEL=lstm bash benches/nested.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/xlstm-target}"
if [ -z "${XLSTM_BIN:-}" ]; then cargo build --release --locked --all-targets --quiet; fi  # same features as the tests: no second polars build
bin="${XLSTM_BIN:-$CARGO_TARGET_DIR/release/xlstm}"
sets="${SETS:-etth1}"
horizons="${HORIZONS:-96 192 336 720}"
seeds="${SEEDS:-1 2 3}"
model="${MODEL:-xlstm}"
threads="${THREADS:-2}"
out="${OUT:-$(mktemp -d /tmp/xlstm-nested.XXXXXX)}"
mkdir -p "$out"
for set in $sets; do
  case "$set" in etth1|ettm1|weather) ;; *) echo "unknown set $set (etth1, ettm1 or weather)" >&2; exit 2 ;; esac
done

data_for() {
  case "$1" in
    etth1) echo "../shared/datasets/ett/ETTh1.csv --split 5760,2880,2880" ;;
    ettm1) echo "../shared/datasets/ett/ETTm1.csv --split 23040,11520,11520" ;;
    weather)
      echo "$out/weather.csv --split 31616,5270,5270" ;;
  esac
}

echo "Nested validation (the test part is the protocol's validation period), $model, L = 336; $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPU(s), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "commands: xlstm eval DATA --target OT --split S -L 336 -H H -m nlinear --alpha A | -m $model --base none --seed SEED --score validation|test --predictions FILE"
echo
if [[ " $sets " == *" weather "* && ! -s "$out/weather.csv" ]]; then
  # the file repeats one timestamp (2020-05-12 06:00:00); keep its first row
  awk -F, 'NR == 1 || !seen[$1]++' ../shared/datasets/weather/weather.csv > "$out/weather.csv.part"
  mv "$out/weather.csv.part" "$out/weather.csv"
fi
for set in $sets; do
  for h in $horizons; do
    cell="$out/$set-$h"
    mkdir -p "$cell"
    for part in validation test; do
      for alpha in 0 0.1 1 10 100 1000; do
        # shellcheck disable=SC2046  # the data arguments are a list of words
        [ -s "$cell/nlinear-$alpha-$part.json" ] || "$bin" eval $(data_for "$set") --target OT -L 336 -H "$h" \
          -m nlinear --alpha "$alpha" --score "$part" --predictions "$cell/nlinear-$alpha-$part.csv" --force -q --json \
          > "$cell/nlinear-$alpha-$part.json"
      done
      for seed in $seeds; do
        # shellcheck disable=SC2046
        [ -s "$cell/$model-$seed-$part.json" ] || "$bin" eval $(data_for "$set") --target OT -L 336 -H "$h" \
          -m "$model" --base none --seed "$seed" --threads "$threads" --score "$part" \
          --predictions "$cell/$model-$seed-$part.csv" --force -q --json > "$cell/$model-$seed-$part.json"
      done
    done
  done
done

python3 - "$out" "$sets" "$horizons" "$seeds" "$model" <<'PY'
import csv, json, sys
out, sets, horizons, seeds, model = sys.argv[1], sys.argv[2].split(), sys.argv[3].split(), sys.argv[4].split(), sys.argv[5]
SHARES = [0.25, 0.5, 0.75, 1.0]  # the network's shares of auto's candidates (src/model/neural.rs)
HEDGE, MARGIN = 0.5, 0.02        # the hedged rule (not adopted)

def forecasts(path):
    """The windows' actual and predicted values, in window order."""
    actual, predicted = [], []
    with open(path) as f:
        rows = csv.reader(f)
        next(rows)
        for window, _, y, p in (r[:4] for r in rows):
            w = int(float(window))
            if w == len(actual):
                actual.append([]); predicted.append([])
            actual[w].append(float(y)); predicted[w].append(float(p))
    return actual, predicted

def blend(s, network, linear):
    return [[s * a + (1 - s) * b for a, b in zip(x, y)] for x, y in zip(network, linear)]

def mse(actual, predicted):
    return sum(sum((a - b) ** 2 for a, b in zip(x, y)) / len(x) for x, y in zip(actual, predicted)) / len(actual)

def halves(actual, predicted):
    """MAE (auto's loss) on the earlier and the later half of the windows, as auto splits them."""
    n, sums, counts = len(actual), [0.0, 0.0], [0, 0]
    for i, (x, y) in enumerate(zip(actual, predicted)):
        h = 1 if 2 * i > n - 1 else 0
        sums[h] += sum(abs(a - b) for a, b in zip(x, y)) / len(x); counts[h] += 1
    return [sums[h] / counts[h] for h in range(2)]

mean2 = lambda h: (h[0] + h[1]) / 2

def auto(c, base):
    """auto today: the lowest mean among the candidates beating the base on both halves."""
    ok = [k for k in range(len(c)) if all(c[k][h] < base[h] for h in range(2))]
    return min(ok, key=lambda k: mean2(c[k])) if ok else None

def hedged(c, base):
    hedge = [k for k in range(len(c)) if SHARES[k] <= HEDGE and mean2(c[k]) < mean2(base)]
    hedge = min(hedge, key=lambda k: mean2(c[k])) if hedge else None
    ref = base if hedge is None else c[hedge]
    bold = [k for k in range(len(c)) if SHARES[k] > HEDGE and all(c[k][h] < (1 - MARGIN) * ref[h] for h in range(2))]
    return min(bold, key=lambda k: mean2(c[k])) if bold else hedge

print("| nested cell | seeds | NLinear (ridge on validation) | auto (the default) | the network | the equal blend | hedged rule |")
print("|---|---:|---:|---:|---:|---:|---:|")
for s in sets:
    for h in horizons:
        cell = f"{out}/{s}-{h}"
        alpha = min(["0", "0.1", "1", "10", "100", "1000"],
                    key=lambda a: json.load(open(f"{cell}/nlinear-{a}-validation.json"))["mse"])
        val_actual, linear_val = forecasts(f"{cell}/nlinear-{alpha}-validation.csv")
        test_actual, linear_test = forecasts(f"{cell}/nlinear-{alpha}-test.csv")
        base, base_test = halves(val_actual, linear_val), mse(test_actual, linear_test)
        scores = []
        for seed in seeds:
            _, network_val = forecasts(f"{cell}/{model}-{seed}-validation.csv")
            _, network_test = forecasts(f"{cell}/{model}-{seed}-test.csv")
            c = [halves(val_actual, blend(x, network_val, linear_val)) for x in SHARES]
            test = [mse(test_actual, blend(x, network_test, linear_test)) for x in SHARES]
            pick = lambda k: base_test if k is None else test[k]
            scores.append((base_test, pick(auto(c, base)), test[-1], test[1], pick(hedged(c, base))))
        means = [sum(x[i] for x in scores) / len(scores) for i in range(5)]
        print(f"| {s} {h} | {len(seeds)} | " + " | ".join(f"{m:.5f}" for m in means) + " |")
print(f"\nraw forecasts: {out}")
PY
