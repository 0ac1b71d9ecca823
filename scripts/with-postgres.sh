#!/usr/bin/env bash
# with-postgres.sh CMD [ARGS...]: runs CMD with a throwaway PostgreSQL 15 cluster (Debian's
# postgresql-15 package) and removes the cluster afterwards, also when CMD fails or is interrupted.
#
# The cluster lives in a fresh temporary directory, listens only on a Unix socket inside it (no TCP,
# so nothing collides with other clusters or ports), trusts local connections, and holds one
# database, chipgate_test. CMD sees its URL in CHIPGATE_TEST_PG, e.g.
#   postgresql://postgres@/chipgate_test?host=/tmp/chipgate-pg.XXXX&port=54329
# Run as root (CI, containers), the server runs as the 'postgres' system user, which initdb needs.
# CMD's exit status is returned.
set -euo pipefail
if [ $# -eq 0 ]; then
  echo "usage: scripts/with-postgres.sh CMD [ARGS...]" >&2
  exit 2
fi

pg_bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
if [ ! -x "$pg_bin/initdb" ]; then
  echo "with-postgres.sh: $pg_bin/initdb not found; install postgresql-15 (scripts/install-deps.sh)" >&2
  exit 2
fi

dir=$(mktemp -d /tmp/chipgate-pg.XXXXXX)
port=${CHIPGATE_PG_PORT:-54329}
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres:postgres "$dir"
  as_pg=(runuser -u postgres --)
fi

cleanup() {
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"${as_pg[@]}" "$pg_bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
  { cat "$dir/initdb.log" >&2; exit 2; }
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-c listen_addresses='' -c unix_socket_directories='$dir' -p $port -c max_connections=200" start >/dev/null ||
  { cat "$dir/server.log" >&2; exit 2; }
"${as_pg[@]}" "$pg_bin/createdb" -h "$dir" -p "$port" -U postgres chipgate_test

export CHIPGATE_TEST_PG="postgresql://postgres@/chipgate_test?host=$dir&port=$port"
echo "with-postgres.sh: PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') at $CHIPGATE_TEST_PG" >&2
set +e
"$@"
status=$?
set -e
exit $status
