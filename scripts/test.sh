#!/usr/bin/env bash
# The whole test suite. .ci/run calls exactly this. A green run means:
#  - every C++ file is formatted (clang-format, .clang-format);
#  - every test passed under AddressSanitizer + UndefinedBehaviorSanitizer and again in the normal
#    build, each time on SQLite and on PostgreSQL (scripts/with-postgres.sh), and none was skipped:
#    ctest counts a skipped test as passed, so a skip fails the run here;
#  - every libFuzzer target of fuzz/targets.txt ran FUZZ_SECONDS (default 20) from its seeds without a
#    crash, sanitizer report (UBSan does not recover), leak, out-of-memory or an input taking 10 s;
#  - the rule files check, and the held-out screening figures are not below their recorded values
#    (the ctest test screen_eval_heldout_gate, eval/heldout_recorded.json).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
fuzz_seconds=${FUZZ_SECONDS:-20}

scripts/install-deps.sh

# ctest through a throwaway PostgreSQL cluster (so the PostgreSQL instances of the store and server
# tests run instead of skipping), failing when any test reports itself skipped.
ctest_all_run() {
  local build_dir=$1 log rc
  log=$(mktemp)
  set +e
  scripts/with-postgres.sh ctest --test-dir "$build_dir" -j "$jobs" --output-on-failure 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  set -e
  if ((rc != 0)); then
    rm -f "$log"
    return "$rc"
  fi
  # ctest marks a GoogleTest skip "***Skipped" and lists it as "(Skipped)" under "did not run".
  if grep -Eq '\*\*\*Skipped|\((Skipped|Disabled)\)' "$log"; then
    echo "FAILED: tests were skipped in $build_dir; in CI every test must run:"
    grep -E '\*\*\*Skipped|\((Skipped|Disabled)\)' "$log"
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
}

echo "== formatting (clang-format, .clang-format) =="
git ls-files -z 'src/*.cpp' 'src/*.h' 'tests/*.cpp' 'tests/*.h' 'bench/*.cpp' 'fuzz/*.cpp' | xargs -0 clang-format --dry-run --Werror

echo "== sanitizer build (ASan + UBSan) =="
# CHIPGATE_REQUIRE_ALL_TESTS: configuration fails when a tool some tests need (Python) is missing,
# rather than leaving those tests out.
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCHIPGATE_SANITIZE=ON -DCHIPGATE_BUILD_BENCH=OFF \
  -DCHIPGATE_REQUIRE_ALL_TESTS=ON >/dev/null
cmake --build build-asan -j "$jobs"
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
ctest_all_run build-asan
unset ASAN_OPTIONS UBSAN_OPTIONS

echo "== fuzzing (${fuzz_seconds}s per target of fuzz/targets.txt) =="
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHIPGATE_BUILD_FUZZ=ON \
  -DCHIPGATE_BUILD_TESTS=OFF -DCHIPGATE_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz -j "$jobs" --target chipgate_fuzzers
# Artifacts of an earlier run would be taken for new findings.
find build-fuzz -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) -delete
while read -r name seeds _; do
  case "$name" in "" | \#*) continue ;; esac
  corpus=$(mktemp -d)
  log="build-fuzz/${name}_fuzz.log"
  rc=0
  # -timeout=10: one input running 10 s is a hang (libFuzzer's default, 1200 s, outlasts the run).
  build-fuzz/fuzz/"${name}_fuzz" -max_total_time="$fuzz_seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix=build-fuzz/ "$corpus" "fuzz/seeds/$seeds" >"$log" 2>&1 || rc=$?
  rm -rf "$corpus"
  # (`ls a* b* c*` fails unless every pattern matches, so it missed a lone crash file: use find.)
  failing=$(find build-fuzz -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \))
  if ((rc != 0)) || [ -n "$failing" ]; then
    echo "fuzz target ${name}_fuzz failed (exit $rc); the end of $log:"
    tail -40 "$log"
    [ -z "$failing" ] || { echo "failing input:"; echo "$failing"; }
    exit 1
  fi
  echo "${name}_fuzz: $(grep -E '^Done' "$log" || echo 'done')"
done <fuzz/targets.txt

echo "== normal build =="
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHIPGATE_REQUIRE_ALL_TESTS=ON >/dev/null
cmake --build build -j "$jobs"
build/chipgate rules check
ctest_all_run build
