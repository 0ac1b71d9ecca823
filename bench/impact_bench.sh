#!/usr/bin/env bash
# Times `chipgate impact` on the full shared catalog and a synthetic order book (issue 6).
# usage: bench/impact_bench.sh [BUILD_DIR] [LINES]     (defaults: build, 1000000)
# Figures go to BENCHMARKS.md, "Rollback impact (issue 6)". The parties are screened with the fuzzy
# screener against LISTS (space-separated; default the real BIS lists and the OFAC SDN list of
# ../shared/data/lists), as a user's run would: without lists nothing is screened.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
lines=${2:-1000000}
catalog=../shared/data/accelerators.csv
shared_lists=../shared/data/lists
list_flags=()
for l in ${LISTS:-$shared_lists/bis-and-others_nsfreg $shared_lists/ofac-sdn_kindrat86/ofac-sdn.json}; do
  [ -e "$l" ] || { echo "list $l not found (set LISTS)" >&2; exit 2; }
  list_flags+=(--lists "$l")
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 bench/make_synthetic_orders.py "$lines" "$catalog" "$tmp/orders.csv"
echo "order book: $lines lines, $(stat -c %s "$tmp/orders.csv") bytes"
run() {
  local label=$1
  shift
  /usr/bin/time -f "$label: %e s wall, %U s user, %S s sys, %M KB max RSS" "$build/chipgate" impact --base 2026-11-25 \
    --catalog "$catalog" --orders "$tmp/orders.csv" --letters data/sample-letters.toml "${list_flags[@]}" "$@" >"$tmp/out" || true
  echo "  output: $(stat -c %s "$tmp/out") bytes"
}
for scenario in hbm-rollback return-to-2022 h20-class-allowed tpp-threshold-raised; do
  run "$scenario json (all lines) + html" --scenario "$scenario" --html "$tmp/r.html"
done
run "return-to-2022 json, changed lines only" --scenario return-to-2022 --orders-detail changed
run "return-to-2022 csv (products) + orders csv" --scenario return-to-2022 --format csv --orders-csv "$tmp/o.csv"
# Catalog only (no orders): the 80 products under each scenario.
/usr/bin/time -f "catalog only (80 products), return-to-2022: %e s wall" "$build/chipgate" impact --base 2026-11-25 \
  --scenario return-to-2022 --catalog "$catalog" --html "$tmp/c.html" >/dev/null
