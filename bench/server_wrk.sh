#!/usr/bin/env bash
# HTTP API load test with wrk (issue 5): `chipgate serve` and wrk on the same machine, loopback only.
#
#   bench/server_wrk.sh [BUILD_DIR]                 SQLite store (decide, decide --no-record, screen)
#   scripts/with-postgres.sh bench/server_wrk.sh    the same on a throwaway PostgreSQL 15 (DB=$CHIPGATE_TEST_PG)
#
# Settings (environment): DURATION (20s), CONNECTIONS (32), THREADS (2, wrk), SERVER_THREADS (32),
# DB (a store spec; default a fresh SQLite file, or $CHIPGATE_TEST_PG when set), LISTS (the party
# lists the server screens against, space-separated; default the real BIS lists and the OFAC SDN of
# ../shared/data/lists, as a deployment would load them: without lists nothing is screened).
# Each run prints wrk's report and one line "RESULT requests=... rps=... p99_ms=... non2xx=... socket_errors=...".
# Figures and the commands that produced them: BENCHMARKS.md, "Service and records (issue 5)".
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
duration=${DURATION:-20s}
connections=${CONNECTIONS:-32}
wrk_threads=${THREADS:-2}
server_threads=${SERVER_THREADS:-32}

if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package) for the benchmark"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends wrk >/dev/null
fi
cli="$build/chipgate"
[ -x "$cli" ] || { echo "no $cli: build first (cmake --build $build --target chipgate)" >&2; exit 2; }

work=$(mktemp -d /tmp/chipgate-wrk.XXXXXX)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

db=${DB:-${CHIPGATE_TEST_PG:-sqlite:$work/chipgate.db}}
shared_lists=../shared/data/lists
lists=${LISTS:-$shared_lists/bis-and-others_nsfreg $shared_lists/ofac-sdn_kindrat86/ofac-sdn.json}
list_flags=()
for l in $lists; do
  [ -e "$l" ] || { echo "list $l not found (set LISTS)" >&2; exit 2; }
  list_flags+=(--lists "$l")
done
backend=sqlite
case "$db" in postgres*) backend=postgresql ;; esac

key=$("$cli" keys create --role analyst --db "$db" 2>&1 | grep -oE 'cg_[0-9a-f]{64}' | head -1)
[ -n "$key" ] || { echo "could not create an API key with '$cli keys create'" >&2; exit 2; }
export KEY=$key

# PO-1002 of data/sample-orders.csv (8 H100 to an AI lab in China: licence required, parties screened).
cat >"$work/decide.json" <<'JSON'
{"order_id":"PO-1002","line":"1","date":"2026-11-25","product_id":"nvidia-h100-sxm5-80gb","quantity":8,"value_usd":240000,"ship_to":"CN","consignee":"Example Trading Co.","end_user":"Example AI Lab","end_user_country":"CN","end_user_hq_country":"CN","exporter":"NVIDIA"}
JSON
cat >"$work/screen.json" <<'JSON'
{"id":"p1","name":"Huawei Technologies Co., Ltd.","country":"CN","address":"Shenzhen"}
JSON

start_server() {  # extra serve flags...
  rm -f "$work/port"
  "$cli" serve --port 0 --port-file "$work/port" --db "$db" --threads "$server_threads" "${list_flags[@]}" "$@" \
    2>"$work/serve.err" &
  server_pid=$!
  for _ in $(seq 1200); do  # up to 120 s: the real lists load and index first
    [ -s "$work/port" ] && curl -sf "http://127.0.0.1:$(cat "$work/port")/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  cat "$work/serve.err" >&2
  exit 2
}
stop_server() {
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=""
}
run() {  # label route body-file
  local port
  port=$(cat "$work/port")
  echo "== $backend: $1 (wrk -t$wrk_threads -c$connections -d$duration, server --threads $server_threads) =="
  # A short warm-up (connections, caches, store pages), then the measured run.
  BODY_FILE=$3 wrk -t"$wrk_threads" -c"$connections" -d3s -s bench/server_wrk_post.lua "http://127.0.0.1:$port$2" >/dev/null
  local before after out requests
  before=$(cpu_ticks)
  out=$(BODY_FILE=$3 wrk -t"$wrk_threads" -c"$connections" -d"$duration" --latency -s bench/server_wrk_post.lua \
    "http://127.0.0.1:$port$2")
  after=$(cpu_ticks)
  echo "$out" | grep -v '^RESULT'
  requests=$(echo "$out" | grep -oE '^RESULT requests=[0-9]+' | grep -oE '[0-9]+$')
  # Server CPU (user + system, all threads) per request: less sensitive to other load on the machine
  # than requests/s. The store's PostgreSQL server process is not included.
  echo "$out" | grep '^RESULT' | sed "s/^RESULT /RESULT $backend $1 /; s/\$/ server_cpu_us_per_req=$(( (after - before) * 1000000 / $(getconf CLK_TCK) / (requests > 0 ? requests : 1) )) load=$(cut -d' ' -f1 /proc/loadavg)/"
}
cpu_ticks() {  # utime + stime of the server process, in clock ticks
  awk '{print $14 + $15}' "/proc/$server_pid/stat"
}

start_server
run "decide (recorded)" /v1/decide "$work/decide.json"
run "screen (recorded)" /v1/screen "$work/screen.json"
stop_server
start_server --no-record
run "decide --no-record" /v1/decide "$work/decide.json"
run "screen --no-record" /v1/screen "$work/screen.json"
stop_server
