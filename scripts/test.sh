#!/usr/bin/env bash
# The whole test suite: unit, CLI and golden tests in a normal build; the same tests under
# AddressSanitizer + UndefinedBehaviorSanitizer; each libFuzzer target for a short run; the rule
# files checked. .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
fuzz_seconds=${FUZZ_SECONDS:-20}

scripts/install-deps.sh

echo "== formatting (clang-format, .clang-format) =="
git ls-files -z 'src/*.cpp' 'src/*.h' 'tests/*.cpp' 'tests/*.h' 'bench/*.cpp' 'fuzz/*.cpp' | xargs -0 clang-format --dry-run --Werror

echo "== sanitizer build (ASan + UBSan) =="
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCHIPGATE_SANITIZE=ON -DCHIPGATE_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --test-dir build-asan -j "$jobs" --output-on-failure

echo "== fuzzing (${fuzz_seconds}s per target) =="
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHIPGATE_BUILD_FUZZ=ON \
  -DCHIPGATE_BUILD_TESTS=OFF -DCHIPGATE_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz -j "$jobs" --target csv_fuzz catalog_fuzz rules_fuzz request_fuzz screen_fuzz
# Artifacts of an earlier run would be taken for new findings.
find build-fuzz -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) -delete
for target in csv catalog rules request screen; do
  seeds=fuzz/seeds/catalog
  [ "$target" = rules ] && seeds=fuzz/seeds/rules
  [ "$target" = request ] && seeds=fuzz/seeds/requests
  [ "$target" = screen ] && seeds=fuzz/seeds/screen
  corpus=$(mktemp -d)
  build-fuzz/fuzz/${target}_fuzz -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 -artifact_prefix=build-fuzz/ \
    "$corpus" "$seeds" 2>&1 | grep -E "^(Done|INFO: seed)|ERROR|SUMMARY" || true
  rm -rf "$corpus"
  # (`ls a* b* c*` fails unless every pattern matches, so it missed a lone crash file: use find.)
  failing=$(find build-fuzz -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \))
  if [ -n "$failing" ]; then
    echo "fuzz target ${target}_fuzz found a failing input:"; echo "$failing"
    exit 1
  fi
done

echo "== normal build =="
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs"
build/chipgate rules check
# The store tests also run against PostgreSQL: with-postgres.sh starts a throwaway PostgreSQL 15
# cluster, sets CHIPGATE_TEST_PG, and removes the cluster afterwards.
scripts/with-postgres.sh ctest --test-dir build -j "$jobs" --output-on-failure
