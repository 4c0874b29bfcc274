"""Score ensembles of single-network forecasts on M4 Hourly's validation hold-out, the M4 way.

    python3 benches/m4_members.py LONG.csv DIR [MEMBERS]

LONG.csv is the long validation file of benches/m4_long.py; DIR holds `xlstm compare
--predictions` files named L<lookback>s<seed>.csv (one network each, column `xlstm`). For every
lookback it prints the single networks' mean OWA, then for each composition of MEMBERS networks
(default 3; lookbacks, e.g. 336+240+240) the mean, lowest and highest OWA of the average forecast over every
choice of seeds. sMAPE and MASE as M4 defines them (MASE scaled by each series' in-sample
seasonal-naive error, season 24, over everything before the hold-out); OWA against Naive2's
18.383 / 2.395.
"""
import csv, glob, itertools, os, re, sys
from collections import defaultdict

long_csv, folder = sys.argv[1:3]
size = int(sys.argv[3]) if len(sys.argv) > 3 else 3
values = defaultdict(list)
for r in csv.DictReader(open(long_csv)):
    values[r["unique_id"]].append(float(r["y"]))
scale = {}
for sid, v in values.items():
    origin = len(v) - 48
    scale[sid] = sum(abs(v[t] - v[t - 24]) for t in range(24, origin)) / (origin - 24)

runs = defaultdict(dict)  # lookback -> seed -> forecasts
actual = {}
for path in glob.glob(os.path.join(folder, "L*s*.csv")):
    m = re.fullmatch(r"L(\d+)s(\d+)\.csv", os.path.basename(path))
    if not m:
        continue
    forecasts = {}
    for r in csv.DictReader(open(path)):
        key = (r["unique_id"], int(r["step"]))
        forecasts[key] = float(r["xlstm"])
        actual[key] = float(r["actual"])
    runs[int(m[1])][int(m[2])] = forecasts
keys = sorted(actual)


def owa(members):
    smape = mase = 0.0
    for k in keys:
        p = sum(f[k] for f in members) / len(members)
        smape += 200 * abs(actual[k] - p) / (abs(actual[k]) + abs(p))
        mase += abs(actual[k] - p) / scale[k[0]]
    return 0.5 * (smape / len(keys) / 18.383 + mase / len(keys) / 2.395)


print("| single networks, lookback | seeds | mean OWA |")
print("|---|---:|---:|")
for lookback in sorted(runs, reverse=True):
    scores = [owa([f]) for f in runs[lookback].values()]
    print(f"| {lookback} | {len(scores)} | {sum(scores) / len(scores):.4f} |")
print()
print(f"| {size} networks, lookbacks | choices of seeds | mean OWA | lowest | highest |")
print("|---|---:|---:|---:|---:|")
for composition in itertools.combinations_with_replacement(sorted(runs, reverse=True), size):
    pools = []
    for lookback, count in sorted({l: composition.count(l) for l in composition}.items(), reverse=True):
        seeds = sorted(runs[lookback])
        if len(seeds) < count:
            break
        pools.append([[runs[lookback][s] for s in c] for c in itertools.combinations(seeds, count)])
    else:
        scores = [owa([f for part in choice for f in part]) for choice in itertools.product(*pools)]
        name = " + ".join(str(l) for l in composition)
        print(f"| {name} | {len(scores)} | {sum(scores) / len(scores):.4f} | {min(scores):.4f} | {max(scores):.4f} |")
