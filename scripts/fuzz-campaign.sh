#!/usr/bin/env bash
# The long fuzzing campaign: every target of fuzz/targets.txt for MINUTES CPU-minutes (default 30, one
# libFuzzer process per target), with a corpus kept between runs. scripts/test.sh runs each target for
# 20 s in CI; this is the run whose result goes into RELIABILITY.md. Run it on a machine with the
# cores to spare: JOBS targets run at once (default 1), each on one core, so the whole campaign takes
# about (number of targets x MINUTES / JOBS) minutes of wall time.
#
#   scripts/fuzz-campaign.sh [MINUTES]          e.g. JOBS=2 scripts/fuzz-campaign.sh 30
#   TARGETS="toml rules" scripts/fuzz-campaign.sh 5    (a subset)
#
# Writes build-fuzz/campaign/: corpus/NAME/ (kept, grows run after run), logs/NAME.log, artifacts/
# (crash-, leak-, timeout-, oom- inputs, named NAME-...) and summary.md, the table printed at the end.
# Exit 0 when no target failed; 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-30}
jobs=${JOBS:-1}
out=build-fuzz/campaign
seconds=$((minutes * 60))

CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHIPGATE_BUILD_FUZZ=ON \
  -DCHIPGATE_BUILD_TESTS=OFF -DCHIPGATE_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target chipgate_fuzzers
mkdir -p "$out/corpus" "$out/logs" "$out/artifacts"

names=()
declare -A seeds_of
while read -r name seeds _; do
  case "$name" in "" | \#*) continue ;; esac
  if [ -n "${TARGETS:-}" ] && [[ " $TARGETS " != *" $name "* ]]; then continue; fi
  names+=("$name")
  seeds_of[$name]=$seeds
done <fuzz/targets.txt

# One target: its own corpus directory first (libFuzzer writes new inputs there), then the seeds.
run_one() {
  local name=$1 rc=0
  mkdir -p "$out/corpus/$name"
  # The time keyword's report (user+system CPU seconds) goes to NAME.cpu: the campaign is counted in
  # CPU-minutes, and a busy machine gives a target less CPU than its wall time.
  local TIMEFORMAT='%U %S'
  { time build-fuzz/fuzz/"${name}_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$out/artifacts/$name-" "$out/corpus/$name" \
    "fuzz/seeds/${seeds_of[$name]}" >"$out/logs/$name.log" 2>&1 || rc=$?; } 2>"$out/logs/$name.cpu"
  echo "$rc" >"$out/logs/$name.rc"
}

echo "fuzz campaign: ${#names[@]} targets x $minutes min, $jobs at a time, from $(date -u +%FT%TZ)"
running=0
for name in "${names[@]}"; do
  run_one "$name" &
  running=$((running + 1))
  if ((running >= jobs)); then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true

# The last number after LABEL in a log ("" when there is none: a target that died early).
last_number() {
  grep -Eo "$1 +[0-9]+" "$2" | grep -Eo '[0-9]+$' | tail -1 || true
}

failed=0
{
  echo "Fuzz campaign, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD), $minutes min per target"
  echo
  echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores, $jobs targets at a time"
  echo
  echo "| target | result | CPU min | runs | exec/s | corpus files | coverage (cov) | artifacts |"
  echo "|---|---|---:|---:|---:|---:|---:|---|"
  for name in "${names[@]}"; do
    rc=$(cat "$out/logs/$name.rc")
    log="$out/logs/$name.log"
    runs=$(last_number 'stat::number_of_executed_units:' "$log")
    eps=$(last_number 'stat::average_exec_per_sec:' "$log")
    cov=$(last_number 'cov:' "$log")
    files=$(find "$out/corpus/$name" -type f | wc -l)
    arts=$(find "$out/artifacts" -name "$name-*" -printf '%f ' 2>/dev/null)
    result=ok
    if [ "$rc" != 0 ] || [ -n "$arts" ]; then
      result="FAILED (exit $rc)"
      failed=1
    fi
    cpu=$(awk '{printf "%.1f", ($1 + $2) / 60}' "$out/logs/$name.cpu" 2>/dev/null || true)
    echo "| ${name}_fuzz | $result | ${cpu:-?} | ${runs:-?} | ${eps:-?} | $files | ${cov:-?} | ${arts:--} |"
  done
} >"$out/summary.md"  # a group, not a pipe: $failed must be set in this shell
cat "$out/summary.md"
exit "$failed"
