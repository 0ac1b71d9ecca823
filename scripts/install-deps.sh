#!/usr/bin/env bash
# Installs chipgate's build and test dependencies from Debian 12 packages (skips apt when all are
# present). Each package and why it is used: docs/architecture.md, "Dependencies".
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config            # build
  libgtest-dev libbenchmark-dev               # tests, benchmarks
  nlohmann-json3-dev                          # JSON input/output
  libtomlplusplus-dev                         # rule files (TOML, with source lines for errors)
  libcli11-dev                                # command line
  libssl-dev                                  # SHA-256 content ids (libcrypto)
  libsqlite3-dev                              # store: embedded SQLite, the default database
  libpq-dev                                   # store: PostgreSQL client (plain libpq) for shared stores
  postgresql-15                               # store tests: throwaway server (scripts/with-postgres.sh)
  libicu-dev                                  # screening: NFKC, transliteration (Han -> pinyin), diacritics
  libcpp-httplib-dev                          # tests/server: the HTTP client (chipgate serve has its own epoll server)
  libjemalloc-dev                             # chipgate's allocator: less CPU per request under serve's threads
  clang clang-format                          # libFuzzer targets; formatting check
  python3                                     # benchmark data generator; README's list-upload example
  curl                                        # README's HTTP examples; bench/server_wrk.sh readiness check
  chromium                                    # headless render test of the impact report HTML (tests/impact)
)

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
