#!/usr/bin/env bash
# fault-injection.sh [--build DIR] [--seconds N] [--clients N] [--cases LIST]: reruns the faults of
# the hardening review against the real `chipgate serve` and prints, per case, HELD or FAILED with
# how many acknowledged decisions were checked afterwards and how many were found (RELIABILITY.md).
#
# Cases (LIST is comma-separated; default all):
#   db-removed      SQLite files removed while clients post decisions: nothing acknowledged after it
#   disk-full       SQLite on a 256 MB tmpfs filled up: decisions 503, /readyz 503, ready again when freed
#                   (the filler removed and the tmpfs grown to 1 GB)
#   readonly-file   the database file made read-only under a server running as nobody: /readyz 503
#   readonly-dir    the database's directory made read-only while serving
#   sigkill         SIGKILL under load (SQLite, and PostgreSQL when available)
#   pg-stopped      PostgreSQL stopped (pg_ctl stop) and started again under load
#   pg-frozen       PostgreSQL frozen (SIGSTOP of the postmaster and every backend): answers within a deadline
#   slow-clients    twice --threads connections sending one header line every 3 s: /healthz and decide still served
#   anon-flood      unauthenticated requests for N seconds: audit records stay bounded, decisions go on
# After each case every acknowledged decision is asked for (GET /v1/decisions/ID) from a fresh server
# on the same database. PostgreSQL cases run on the throwaway cluster of scripts/with-postgres.sh (this
# script re-runs itself under it when CHIPGATE_TEST_PG is not set). disk-full needs root (mount), and
# readonly-* drop to the user nobody when run as root (root ignores file permissions).
#
# The load parts are short by default (--seconds 3) so that the script can run on a shared machine;
# RELIABILITY.md records the figures of a longer run on a quiet one. Exit status 1 when a case FAILED.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build
seconds=3
clients=4
cases="db-removed,disk-full,readonly-file,readonly-dir,sigkill,pg-stopped,pg-frozen,slow-clients,anon-flood"
while [ $# -gt 0 ]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    --cases) cases=$2; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--seconds N] [--clients N] [--cases LIST]" >&2; exit 2 ;;
  esac
done
if [[ ",$cases," == *",pg-"* || ",$cases," == *",sigkill,"* ]] && [ -z "${CHIPGATE_TEST_PG:-}" ] &&
  [ -x /usr/lib/postgresql/15/bin/initdb ]; then
  exec "$root/scripts/with-postgres.sh" "$0" --build "$build" --seconds "$seconds" --clients "$clients" --cases "$cases"
fi

cli=$build/chipgate
[ -x "$cli" ] || { echo "fault-injection.sh: $cli not built" >&2; exit 2; }
client=(python3 "$root/scripts/fault_client.py")
work=$(mktemp -d /tmp/chipgate-faults.XXXXXX)
chmod 0755 "$work"  # the readonly-* cases' server runs as nobody
failed=0
PID=
LOADPID=
cleanup() {
  [ -n "$LOADPID" ] && kill "$LOADPID" 2>/dev/null
  [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
  if [ -n "${pg_dir:-}" ]; then  # never leave the cluster stopped
    for p in $(pg_pids); do kill -CONT "$p" 2>/dev/null; done
  fi
  mountpoint -q "$work/disk-full/disk" 2>/dev/null && umount -l "$work/disk-full/disk"
}
trap cleanup EXIT

# ---- helpers ----------------------------------------------------------------------------------

report() {  # case verdict checked found detail
  printf '%-18s %-8s acknowledged checked %-7s found %-7s %s\n' "$1" "$2" "$3" "$4" "$5"
  [ "$2" = FAILED ] && failed=1
  return 0
}
json() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {}, {"d": d}))' "$1"; }

# start_server DIR SPEC [ARGS...]: sets PID and PORT; the server's stderr is DIR/serve.err.
start_server() {
  local dir=$1 spec=$2
  shift 2
  rm -f "$dir/port"
  ${AS_USER:-} "$cli" serve --port 0 --port-file "$dir/port" --db "$spec" --rules "$root/rules/us-ear" \
    --threads "${THREADS:-16}" "$@" 2>>"$dir/serve.err" &
  PID=$!
  for _ in $(seq 300); do
    if [ -s "$dir/port" ]; then
      PORT=$(cat "$dir/port")
      [ "$("${client[@]}" ready --port "$PORT" | json 'd["status"]')" != None ] && return 0
    fi
    kill -0 "$PID" 2>/dev/null || { PID=; return 1; }
    sleep 0.1
  done
  return 1
}
stop_server() {
  [ -n "$PID" ] || return 0
  kill -TERM "$PID" 2>/dev/null
  wait "$PID" 2>/dev/null
  PID=
}
kill_server() {
  kill -9 "$PID" 2>/dev/null
  wait "$PID" 2>/dev/null
  PID=
}
start_load() {  # DIR TAG
  rm -f "$1/stop"
  "${client[@]}" load --port "$PORT" --key "$KEY" --clients "$clients" --out "$1/$2.jsonl" --stop-file "$1/stop" \
    --tag "$2" &
  LOADPID=$!
}
stop_load() {  # DIR
  touch "$1/stop"
  wait "$LOADPID" 2>/dev/null
  LOADPID=
}
ready_status() { "${client[@]}" ready --port "$PORT" | json 'd["status"]'; }
# check_acks DIR SPEC: a fresh server on SPEC answers for every acknowledged decision; sets CHECKED FOUND.
check_acks() {
  local dir=$1 spec=$2 out
  CHECKED=0 FOUND=0
  ls "$dir"/*.jsonl >/dev/null 2>&1 || return 0
  start_server "$dir" "$spec" || { CHECKED=?; FOUND=0; return 0; }
  out=$("${client[@]}" check --port "$PORT" --key "$KEY" "$dir"/*.jsonl)
  stop_server
  CHECKED=$(echo "$out" | json 'd["checked"]')
  FOUND=$(echo "$out" | json 'd["found"]')
}
new_case() {  # NAME: a fresh directory, world-writable when a case runs the server as nobody
  local dir=$work/$1
  mkdir -p "$dir"
  echo "$dir"
}
key_for() { "$cli" keys create --role analyst --name fault-injection --db "$1" 2>/dev/null; }

# ---- PostgreSQL (the with-postgres.sh cluster) -------------------------------------------------

pg_dir=
pg_port=
if [ -n "${CHIPGATE_TEST_PG:-}" ]; then
  pg_dir=$(echo "$CHIPGATE_TEST_PG" | sed -n 's/.*host=\([^&]*\).*/\1/p')
  pg_port=$(echo "$CHIPGATE_TEST_PG" | sed -n 's/.*port=\([0-9]*\).*/\1/p')
fi
pg_bin=/usr/lib/postgresql/15/bin
as_pg=()
[ "$(id -u)" -eq 0 ] && as_pg=(runuser -u postgres --)
pg_pids() {  # the postmaster and every process it started
  local pm
  pm=$(head -1 "$pg_dir/data/postmaster.pid" 2>/dev/null) || return 0
  echo "$pm" $(pgrep -P "$pm")
}
pg_spec() {  # a database of its own for a case
  "${as_pg[@]}" "$pg_bin/createdb" -h "$pg_dir" -p "$pg_port" -U postgres "$1" 2>/dev/null
  echo "postgresql://postgres@/$1?host=$pg_dir&port=$pg_port"
}
pg_start() {
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
    -o "-c listen_addresses='' -c unix_socket_directories='$pg_dir' -p $pg_port -c max_connections=200" start >/dev/null
}

# ---- the cases ------------------------------------------------------------------------------------

case_db_removed() {
  local dir spec t_removed before after ready
  dir=$(new_case db-removed)
  spec=sqlite:$dir/chipgate.db
  KEY=$(key_for "$spec")
  start_server "$dir" "$spec" || { report db-removed FAILED 0 0 "server did not start"; return; }
  start_load "$dir" load
  sleep "$seconds"
  rm -f "$dir/chipgate.db" "$dir/chipgate.db-wal" "$dir/chipgate.db-shm"
  t_removed=$(date +%s.%N)
  sleep "$seconds"
  ready=$(ready_status)
  stop_load "$dir"
  stop_server
  before=$(python3 -c 'import json,sys; print(sum(1 for l in open(sys.argv[1]) if (r:=json.loads(l))["status"]==200 and r["t"]<=float(sys.argv[2])))' "$dir/load.jsonl" "$t_removed")
  after=$(python3 -c 'import json,sys; print(sum(1 for l in open(sys.argv[1]) if (r:=json.loads(l))["status"]==200 and r["t"]>float(sys.argv[2])))' "$dir/load.jsonl" "$t_removed")
  local verdict=HELD
  [ "$after" -eq 0 ] && [ "$ready" = 503 ] || verdict=FAILED
  report db-removed "$verdict" "$after" 0 \
    "acknowledged after the removal: $after (must be 0); /readyz $ready; $before acknowledged before it went with the removed file"
}

case_disk_full() {
  local dir spec full freed verdict=HELD
  dir=$(new_case disk-full)
  mkdir -p "$dir/disk"
  if ! mount -t tmpfs -o size=256m tmpfs "$dir/disk" 2>/dev/null; then
    report disk-full SKIPPED - - "cannot mount a tmpfs (needs root)"
    return
  fi
  spec=sqlite:$dir/disk/chipgate.db
  KEY=$(key_for "$spec")
  start_server "$dir" "$spec" || { report disk-full FAILED 0 0 "server did not start"; return; }
  start_load "$dir" load
  sleep "$seconds"
  dd if=/dev/zero of="$dir/disk/filler" bs=64k 2>/dev/null
  sleep "$seconds"
  sleep 1.1
  full=$(ready_status)
  # Free space two ways: the filler goes, and the tmpfs grows. A long load can fill the disk with
  # decisions before the filler is written (the filler is then empty and removing it frees nothing).
  rm -f "$dir/disk/filler"
  mount -o remount,size=1g "$dir/disk"
  sleep 2
  freed=$(ready_status)
  sleep "$seconds"
  stop_load "$dir"
  stop_server
  check_acks "$dir" "$spec"
  local refused
  refused=$(python3 -c 'import json,sys; print(sum(1 for l in open(sys.argv[1]) if json.loads(l)["status"]==503))' "$dir/load.jsonl")
  [ "$CHECKED" = "$FOUND" ] && [ "$full" = 503 ] && [ "$freed" = 200 ] || verdict=FAILED
  report disk-full "$verdict" "$CHECKED" "$FOUND" "503 answers: $refused; /readyz full $full, freed $freed"
  umount -l "$dir/disk"
}

# readonly-file / readonly-dir: the server runs as nobody (when root) so that permissions apply.
case_readonly() {  # NAME WHAT(file|dir)
  local name=$1 what=$2 dir spec ready verdict=HELD
  dir=$(new_case "$name")
  spec=sqlite:$dir/chipgate.db
  KEY=$(key_for "$spec")
  local AS_USER=
  if [ "$(id -u)" -eq 0 ]; then
    chown nobody "$dir" "$dir/chipgate.db"
    AS_USER="runuser -u nobody --"
  fi
  start_server "$dir" "$spec" || { report "$name" FAILED 0 0 "server did not start"; return; }
  start_load "$dir" load
  sleep "$seconds"
  if [ "$what" = file ]; then chmod 0444 "$dir"/chipgate.db*; else chmod 0555 "$dir"; fi
  sleep "$seconds"
  sleep 1.1
  ready=$(ready_status)
  stop_load "$dir"
  stop_server
  chmod 0755 "$dir"
  chmod 0644 "$dir"/chipgate.db*
  AS_USER=
  check_acks "$dir" "$spec"
  [ "$CHECKED" = "$FOUND" ] || verdict=FAILED
  [ "$what" = file ] && [ "$ready" != 503 ] && verdict=FAILED
  report "$name" "$verdict" "$CHECKED" "$FOUND" "/readyz while read-only: $ready"
}

case_sigkill() {  # BACKEND SPEC
  local name=sigkill-$1 dir spec=$2 verdict=HELD
  dir=$(new_case "$name")
  KEY=$(key_for "$spec")
  start_server "$dir" "$spec" || { report "$name" FAILED 0 0 "server did not start"; return; }
  start_load "$dir" load
  sleep "$seconds"
  kill_server
  stop_load "$dir"
  check_acks "$dir" "$spec"
  [ "$CHECKED" = "$FOUND" ] && [ "$CHECKED" != 0 ] || verdict=FAILED
  report "$name" "$verdict" "$CHECKED" "$FOUND" "killed with SIGKILL mid-load"
}

case_pg_stopped() {
  local dir spec down up verdict=HELD
  [ -n "$pg_dir" ] || { report pg-stopped SKIPPED - - "no PostgreSQL"; return; }
  dir=$(new_case pg-stopped)
  spec=$(pg_spec fault_stopped)
  KEY=$(key_for "$spec")
  start_server "$dir" "$spec" || { report pg-stopped FAILED 0 0 "server did not start"; return; }
  start_load "$dir" load
  sleep "$seconds"
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null
  sleep "$seconds"
  sleep 1.1
  down=$(ready_status)
  pg_start
  sleep 3
  up=$(ready_status)
  sleep "$seconds"
  stop_load "$dir"
  stop_server
  check_acks "$dir" "$spec"
  [ "$CHECKED" = "$FOUND" ] && [ "$down" = 503 ] && [ "$up" = 200 ] || verdict=FAILED
  report pg-stopped "$verdict" "$CHECKED" "$FOUND" "/readyz stopped $down, restarted $up"
}

case_pg_frozen() {
  local dir spec ready decide verdict=HELD
  [ -n "$pg_dir" ] || { report pg-frozen SKIPPED - - "no PostgreSQL"; return; }
  dir=$(new_case pg-frozen)
  spec=$(pg_spec fault_frozen)
  KEY=$(key_for "$spec")
  start_server "$dir" "$spec" || { report pg-frozen FAILED 0 0 "server did not start"; return; }
  start_load "$dir" load
  sleep "$seconds"
  for p in $(pg_pids); do kill -STOP "$p"; done
  sleep 1.1
  ready=$("${client[@]}" ready --port "$PORT")
  decide=$("${client[@]}" decide --port "$PORT" --key "$KEY")
  for p in $(pg_pids); do kill -CONT "$p"; done
  sleep "$seconds"
  stop_load "$dir"
  stop_server
  check_acks "$dir" "$spec"
  local rs rt ds dt
  rs=$(echo "$ready" | json 'd["status"]')
  rt=$(echo "$ready" | json 'd["seconds"]')
  ds=$(echo "$decide" | json 'd["status"]')
  dt=$(echo "$decide" | json 'd["seconds"]')
  [ "$CHECKED" = "$FOUND" ] && [ "$rs" = 503 ] && python3 -c "import sys; sys.exit(not ($rt < 5 and $dt < 10))" &&
    [ "$ds" = 503 ] || verdict=FAILED
  report pg-frozen "$verdict" "$CHECKED" "$FOUND" "/readyz $rs in ${rt}s; decide $ds in ${dt}s (while frozen)"
}

case_slow_clients() {
  local dir spec out verdict=HELD
  dir=$(new_case slow-clients)
  spec=sqlite:$dir/chipgate.db
  KEY=$(key_for "$spec")
  THREADS=8 start_server "$dir" "$spec" || { report slow-clients FAILED 0 0 "server did not start"; return; }
  out=$("${client[@]}" slow --port "$PORT" --key "$KEY" --connections 16 --every 3 --seconds $((seconds * 4)))
  stop_server
  [ "$(echo "$out" | json 'd["failed_probes"]')" = 0 ] || verdict=FAILED
  report slow-clients "$verdict" - - "$out"
}

case_anon_flood() {
  local dir spec before after sent denial_records verdict=HELD
  dir=$(new_case anon-flood)
  spec=sqlite:$dir/chipgate.db
  KEY=$(key_for "$spec")
  start_server "$dir" "$spec" || { report anon-flood FAILED 0 0 "server did not start"; return; }
  before=$("$cli" audit verify --db "$spec" --format json | json 'd["records_checked"]')
  start_load "$dir" load
  sent=$("${client[@]}" flood --port "$PORT" --clients 8 --seconds "$seconds" | json 'd["sent"]')
  stop_load "$dir"
  stop_server
  after=$("$cli" audit verify --db "$spec" --format json | json 'd["records_checked"]')
  check_acks "$dir" "$spec"
  denial_records=$((after - before - CHECKED))
  [ "$CHECKED" = "$FOUND" ] && [ "$denial_records" -lt 100 ] || verdict=FAILED
  report anon-flood "$verdict" "$CHECKED" "$FOUND" \
    "$sent unauthenticated requests -> $denial_records audit records; $CHECKED decisions recorded meanwhile"
}

echo "fault-injection: $(date -u +%FT%TZ), $cli, --seconds $seconds --clients $clients, work in $work"
IFS=, read -r -a wanted <<<"$cases"
for c in "${wanted[@]}"; do
  case $c in
    db-removed) case_db_removed ;;
    disk-full) case_disk_full ;;
    readonly-file) case_readonly readonly-file file ;;
    readonly-dir) case_readonly readonly-dir dir ;;
    sigkill)
      case_sigkill sqlite "sqlite:$work/sigkill.db"
      [ -n "$pg_dir" ] && case_sigkill postgresql "$(pg_spec fault_sigkill)"
      ;;
    pg-stopped) case_pg_stopped ;;
    pg-frozen) case_pg_frozen ;;
    slow-clients) case_slow_clients ;;
    anon-flood) case_anon_flood ;;
    *) echo "unknown case $c" >&2; failed=1 ;;
  esac
done
exit $failed
