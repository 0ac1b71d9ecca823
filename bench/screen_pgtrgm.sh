#!/usr/bin/env bash
# pg_trgm side by side with chipgate (issue 4): the same names and the same labelled queries
# through PostgreSQL 15's pg_trgm (`similarity()`, `%` with a GIN trigram index).
#
#   bench/screen_pgtrgm.sh --eval-dir DIR [--max-decoys N] [--thresholds "0.3 0.5"] [--chipgate build/chipgate]
#
# DIR is an evaluation set written by eval/gen_eval_set.py (eval/run.sh leaves one in
# build/screen-eval): list_names.tsv (every listed name and alias), queries.csv, labels.jsonl.
# The script starts a throwaway cluster (initdb into a temporary folder owned by `postgres` when run
# as root; unix socket in that folder only, no TCP), loads the names, builds the GIN index (timed),
# screens every positive and up to N decoys inside the server (per-query time with clock_timestamp(),
# top 5 by similarity), stops the cluster and deletes it. Scores come from eval/score.py, so both
# engines are judged the same way. With --chipgate, the same query subset also goes through
# `chipgate screen --batch` for the wall-clock comparison.
# Debian packages: postgresql-15, postgresql-contrib (pg_trgm); scripts/install-deps.sh does not install
# them (the benchmark is optional); `apt-get install postgresql-15 postgresql-contrib`.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
eval_dir=""
max_decoys=5000
thresholds="0.3 0.4 0.5 0.6"
chipgate=""
lists_dir="$root/../shared/data/lists"
pgbin="${PGBIN:-/usr/lib/postgresql/15/bin}"
reuse=0
while (($#)); do
  case "$1" in
    --eval-dir) eval_dir="$2"; shift ;;
    --max-decoys) max_decoys="$2"; shift ;;
    --thresholds) thresholds="$2"; shift ;;
    --chipgate) chipgate="$2"; shift ;;
    --lists-dir) lists_dir="$2"; shift ;;
    --reuse-pg) reuse=1 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "screen_pgtrgm.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$eval_dir" ] && [ -f "$eval_dir/list_names.tsv" ] || { echo "screen_pgtrgm.sh: --eval-dir with list_names.tsv required (run eval/run.sh first)" >&2; exit 2; }
[ -x "$pgbin/initdb" ] || { echo "screen_pgtrgm.sh: PostgreSQL 15 not found in $pgbin (apt-get install postgresql-15 postgresql-contrib)" >&2; exit 2; }
eval_dir="$(cd "$eval_dir" && pwd)"
out="$eval_dir/pgtrgm"
mkdir -p "$out"
min_t="$(echo "$thresholds" | tr ' ' '\n' | sort -g | head -1)"

# The query subset: every positive and the first N decoys of each decoy kind's share (seeded order
# of the set); the same subset goes to chipgate.
python3 - "$eval_dir" "$out" "$max_decoys" <<'PY'
import csv, json, sys
src, out, max_decoys = sys.argv[1], sys.argv[2], int(sys.argv[3])
labels = [json.loads(l) for l in open(f"{src}/labels.jsonl", encoding="utf-8")]
pos = [l for l in labels if l["expect"]]
neg = [l for l in labels if not l["expect"]]
small = [l for l in neg if l["kind"] != "decoy_innocent_person"]
persons = [l for l in neg if l["kind"] == "decoy_innocent_person"][:max(0, max_decoys - len(small))]
subset = pos + small + persons
with open(f"{out}/labels.jsonl", "w", encoding="utf-8") as f:
    for l in subset:
        f.write(json.dumps(l, ensure_ascii=False) + "\n")
with open(f"{out}/queries.csv", "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f, lineterminator="\n"); w.writerow(["id", "name"])
    for l in subset:
        w.writerow([l["id"], l["query"]])
print(f"query subset: {len(pos)} positives, {len(small) + len(persons)} decoys")
PY

if ((reuse)) && [ -f "$out/results_raw.jsonl" ] && [ -f "$out/pg_wall.txt" ]; then
  pg_wall="$(cat "$out/pg_wall.txt")"
  index_ms="$(cat "$out/index_ms.txt")"
  echo "reusing the pg_trgm results in $out" >&2
else
tmp="$(mktemp -d /tmp/chipgate-pgtrgm.XXXXXX)"
port=5439
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$tmp"
  as_pg=(runuser -u postgres --)
fi
cleanup() {
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$tmp/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
"${as_pg[@]}" "$pgbin/initdb" -D "$tmp/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$out/initdb.log"
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$tmp/data" -w -l "$tmp/server.log" \
  -o "-c listen_addresses='' -k $tmp -p $port -c shared_buffers=256MB -c fsync=off -c synchronous_commit=off -c max_parallel_workers_per_gather=0" \
  start >/dev/null
psql=(psql -X -q -v ON_ERROR_STOP=1 -h "$tmp" -p "$port" -U postgres -d postgres)

"${psql[@]}" <<SQL
CREATE EXTENSION pg_trgm;
CREATE TABLE names (key text, list text, primary_name text, name text);
\copy names FROM '$eval_dir/list_names.tsv' WITH (FORMAT csv, DELIMITER E'\t', QUOTE E'\x01')
CREATE TABLE queries (id text, q text);
\copy queries FROM '$out/queries.csv' WITH (FORMAT csv, HEADER true)
SQL

# Index build, timed by the server.
"${psql[@]}" -A -t <<'SQL' >"$out/index.txt" 2>&1
SELECT count(*) FROM names;
DO $$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
  CREATE INDEX names_trgm ON names USING gin (name gin_trgm_ops);
  RAISE NOTICE 'index_ms %', round((extract(epoch FROM clock_timestamp() - t0) * 1000)::numeric, 1);
END $$;
ANALYZE names;
SELECT pg_size_pretty(pg_relation_size('names_trgm')), pg_size_pretty(pg_total_relation_size('names'));
SQL
index_ms="$(grep -o 'index_ms [0-9.]*' "$out/index.txt" | tail -1 | cut -d' ' -f2 || true)"

# Every query inside the server: top 5 names by similarity among those with name % q (GIN index),
# the time of each query measured around it with clock_timestamp().
start=$(date +%s.%N)
"${psql[@]}" <<SQL
SET pg_trgm.similarity_threshold = $min_t;
CREATE TABLE results (id text, hits json, ms double precision);
DO \$\$
DECLARE r record; t0 timestamptz; h json;
BEGIN
  FOR r IN SELECT id, q FROM queries LOOP
    t0 := clock_timestamp();
    SELECT json_agg(json_build_object('name', x.primary_name, 'matched_name', x.name, 'list', x.list,
                                      'entry_id', x.key, 'score', x.s) ORDER BY x.s DESC)
      INTO h
      FROM (SELECT primary_name, name, list, key, similarity(name, r.q) AS s
              FROM names WHERE name % r.q ORDER BY s DESC LIMIT 5) x;
    INSERT INTO results VALUES (r.id, h, extract(epoch FROM clock_timestamp() - t0) * 1000);
  END LOOP;
END \$\$;
\copy (SELECT json_build_object('id', id, 'hits', coalesce(hits, '[]'::json))::jsonb::text FROM results) TO '$out/results_raw.jsonl' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')
\copy (SELECT count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), percentile_cont(0.99) WITHIN GROUP (ORDER BY ms), avg(ms), sum(ms) FROM results) TO '$out/latency.csv' WITH (FORMAT csv)
SQL
end=$(date +%s.%N)
pg_wall=$(python3 -c "print(f'{$end - $start:.2f}')")
echo "$pg_wall" >"$out/pg_wall.txt"
echo "$index_ms" >"$out/index_ms.txt"
cleanup
trap - EXIT

fi

chip_line=""
chip_load=""
if [ -n "$chipgate" ]; then
  # Like for like with pg_trgm's single backend: one screening thread. The whole batch, then the same
  # command on a single query (list load + index build + one query), so that the time spent on the
  # queries alone is the difference, as pg_trgm's per-query times exclude its table load and index.
  chip_lists=(--lists "$lists_dir/bis-and-others_nsfreg" --lists "$lists_dir/ofac-sdn_kindrat86/ofac-sdn.json"
    --lists "$lists_dir/ofac_watchman-testdata/cons_prim.csv" --lists "$lists_dir/ofac_watchman-testdata/cons_alt.csv")
  cstart=$(date +%s.%N)
  "$chipgate" screen "${chip_lists[@]}" --threads 1 --batch "$out/queries.csv" --format jsonl \
    >"$out/chipgate_results.jsonl" 2>"$out/chipgate.stderr" || true
  cend=$(date +%s.%N)
  chip_line=$(python3 -c "print(f'{$cend - $cstart:.2f}')")
  head -2 "$out/queries.csv" >"$out/one_query.csv"
  lstart=$(date +%s.%N)
  "$chipgate" screen "${chip_lists[@]}" --threads 1 --batch "$out/one_query.csv" --format jsonl >/dev/null 2>&1 || true
  lend=$(date +%s.%N)
  chip_load=$(python3 -c "print(f'{$lend - $lstart:.2f}')")
fi

python3 - "$out" "$thresholds" "$index_ms" "$pg_wall" "$chip_line" "$root" "$chip_load" <<'PY'
import csv, json, subprocess, sys
out, thresholds, index_ms, pg_wall, chip_wall, root, chip_load = sys.argv[1:8]
sys.path.insert(0, f"{root}/eval")
sys.dont_write_bytecode = True
import evallib, score
labels = list(evallib.read_jsonl(f"{out}/labels.jsonl"))
raw = {r["id"]: r for r in evallib.read_jsonl(f"{out}/results_raw.jsonl")}
n, p50, p99, avg, total = next(csv.reader(open(f"{out}/latency.csv")))
rows = []
for t in [float(x) for x in thresholds.split()]:
    res = {}
    for i, r in raw.items():
        hits = [h for h in r["hits"] if h["score"] >= t]
        res[i] = {"id": i, "match": bool(hits), "hits": hits}
    rep = score.score(labels, res, t)
    rows.append(("pg_trgm similarity()", t, rep))
chip = None
try:
    terms = __import__("tomllib").load(open(f"{root}/data/screening/terms.toml", "rb"))
    ct = float(terms["matcher"]["threshold"])
    cres = {str(r["id"]): r for r in evallib.read_jsonl(f"{out}/chipgate_results.jsonl")}
    if cres:
        chip = ("chipgate", ct, score.score(labels, cres, ct))
except (OSError, KeyError, ValueError):
    pass
w = sys.stdout.write
w(f"## pg_trgm vs chipgate on the same {len(labels)} labelled queries\n\n")
w(f"pg_trgm: {n} queries, GIN index build {index_ms} ms, per query (server-side, clock_timestamp) "
  f"p50 {float(p50):.3f} ms, p99 {float(p99):.3f} ms, mean {float(avg):.3f} ms; whole run {pg_wall} s wall "
  f"(similarity_threshold {min(float(x) for x in thresholds.split())}, top 5).\n")
if chip_wall:
    w(f"chipgate: `chipgate screen --batch --threads 1` on the same queries, {chip_wall} s wall including list load "
      f"and index build ({chip_load} s for the load, index and one query).\n")
    per_query = (float(chip_wall) - float(chip_load)) * 1000 / max(1, len(labels) - 1)
    w(f"\nLike for like (one thread each, query time only, mean per query): pg_trgm {float(avg):.3f} ms "
      f"(sum of server-side times / {n}), chipgate {per_query:.3f} ms ((batch wall - load wall) / "
      f"{len(labels) - 1}); ratio {float(avg) / per_query if per_query > 0 else float('nan'):.1f}x.\n")
w("\n| engine | threshold | recall | recall (right entry) | precision | F1 | FP rate (all decoys) |\n|---|---:|---:|---:|---:|---:|---:|\n")
for name, t, rep in rows + ([chip] if chip else []):
    w(f"| {name} | {t:.2f} | {rep['recall']:.4f} | {rep['recall_right_entry']:.4f} | {rep['precision']:.4f} | "
      f"{rep['f1']:.4f} | {rep['false_positive_rate']:.4%} |\n")
w("\n| kind | n | " + " | ".join(f"pg_trgm {t:.2f}" for _, t, _ in rows) + (" | chipgate" if chip else "") + " |\n")
w("|---|---:|" + "---:|" * (len(rows) + (1 if chip else 0)) + "\n")
for kind, k in rows[0][2]["kinds"].items():
    vals = []
    for _, _, rep in rows + ([chip] if chip else []):
        kk = rep["kinds"][kind]
        vals.append(f"{kk['recall']:.3f}" if kk["expect"] else f"FP {kk['false_positive_rate']:.2%}")
    w(f"| {kind} | {k['n']} | " + " | ".join(vals) + " |\n")
w("\n(recall = share flagged for positives; FP = share flagged for decoys)\n\n")
json.dump({"pg": {"queries": int(n), "p50_ms": float(p50), "p99_ms": float(p99), "mean_ms": float(avg),
                  "index_ms": index_ms, "wall_s": float(pg_wall)},
           "rows": [{"engine": a, "threshold": b, "recall": c["recall"], "recall_right_entry": c["recall_right_entry"],
                     "precision": c["precision"], "f1": c["f1"], "fp_rate": c["false_positive_rate"],
                     "kinds": {k: v.get("recall") for k, v in c["kinds"].items()}} for a, b, c in rows + ([chip] if chip else [])]},
          open(f"{out}/pgtrgm_report.json", "w"), indent=1)
PY
