"""M4 Hourly's wide competition files as one long CSV (unique_id, ds, y) for `xlstm compare`.

    python3 benches/m4_long.py ../shared/datasets/m4 OUT.csv test|validation

Start dates come from Hourly-info.csv; with `test` the 48 test hours are appended to each
series, with `validation` they are not (the last 48 training hours become the hold-out).
Used by benches/m4.sh and benches/m4_members.sh.
"""
import csv, datetime, sys
m4, out, mode = sys.argv[1:]
start = {r["M4id"]: r["StartingDate"] for r in csv.DictReader(open(f"{m4}/Hourly-info.csv"))}
def series(path):
    rows = csv.reader(open(path))
    next(rows)
    return {r[0]: [v for v in r[1:] if v not in ("", "NA")] for r in rows}
train, test = series(f"{m4}/Hourly-train.csv"), series(f"{m4}/Hourly-test.csv")
with open(out, "w") as f:
    f.write("unique_id,ds,y\n")
    for sid, values in train.items():
        t0 = datetime.datetime.strptime(start[sid], "%Y-%m-%d %H:%M:%S")
        values = values + test[sid] if mode == "test" else values
        for k, v in enumerate(values):
            f.write(f"{sid},{t0 + datetime.timedelta(hours=k):%Y-%m-%d %H:%M:%S},{v}\n")
