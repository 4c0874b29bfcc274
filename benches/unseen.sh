#!/usr/bin/env bash
# The defaults on real series the project never tuned on: the vega-datasets package's hourly
# temperatures of Seattle and San Francisco (NOAA, 2010), Seattle's daily maximum temperature
# (2012-2015), five monthly stock prices (2000-2010, long format, dates like "Jan 1 2000") and
# US monthly employment (2006-2015). None of them is in ../shared; every setting of the default
# model was chosen before these were run.
#
#   bash benches/unseen.sh                               # every model of `xlstm compare`
#   MODELS="xlstm,nlinear,snaive" bash benches/unseen.sh
#   FLAGS="--confirm false" bash benches/unseen.sh       # extra compare flags
#
# The package is installed once into a virtualenv outside the project
# (default ~/.cache/xlstm-unseen/venv; PyPI only). Output: one leaderboard per series (markdown).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/xlstm-target}"
if [ -z "${XLSTM_BIN:-}" ]; then cargo build --release --locked --all-targets --quiet; fi  # same features as the tests: no second polars build
bin="${XLSTM_BIN:-$CARGO_TARGET_DIR/release/xlstm}"
venv="${XLSTM_UNSEEN_VENV:-$HOME/.cache/xlstm-unseen/venv}"
models="${MODELS:-xlstm,lstm,nlinear,dlinear,snaive,naive}"
if ! "$venv/bin/python" -c "import vega_datasets" 2>/dev/null; then
  echo "== creating $venv (vega_datasets 0.9.0)" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q vega_datasets==0.9.0
fi
data=$("$venv/bin/python" -c "import vega_datasets, os; print(os.path.join(os.path.dirname(vega_datasets.__file__), '_data'))")

echo "Unseen series, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPU(s), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
run() {
  local title=$1; shift
  echo "### $title"
  echo
  echo '`xlstm compare '"$*"' --models '"$models ${FLAGS:-}"'`'
  echo
  echo '```'
  # shellcheck disable=SC2086  # FLAGS is a list of flags
  "$bin" compare "$@" --models "$models" ${FLAGS:-} 2>&1 | sed 's/\x1b\[[0-9;]*m//g' || echo "(exit ${PIPESTATUS[0]})"
  echo '```'
  echo
}
run "Seattle hourly temperature, 2010 (8,759 rows)" "$data/seattle-temps.csv" --target temp
run "San Francisco hourly temperature, 2010 (8,760 rows)" "$data/sf-temps.csv" --target temp
run "Seattle daily maximum temperature, 2012-2015 (1,461 rows)" "$data/seattle-weather.csv" --target temp_max
# 120-123 monthly rows: the default 18-month horizon is longer than the 10 % validation part, so
# these two ask for 6 months
run "Monthly stock prices of five companies, 2000-2010 (long format)" "$data/stocks.csv" --id-col symbol --target price -H 6
run "US nonfarm employment, monthly 2006-2015 (120 rows)" "$data/us-employment.csv" --target nonfarm -H 6
