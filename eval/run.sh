#!/usr/bin/env bash
# Screening accuracy harness (issue 4), one command:
#   eval/run.sh [--sample] [--chipgate build/chipgate] [--out DIR] [--seed N] [--threshold X] [--check]
# 1. eval/gen_eval_set.py builds the labelled set from ../shared/data/lists (seeded; written to DIR)
# 2. `chipgate screen --batch` screens every query against all lists (--format jsonl)
# 3. eval/score.py: precision, recall, F1, false-positive rate, per-variant-kind recall
# 4. eval/pairs.py: the OpenSanctions name_bench pairs through `chipgate screen --compare`
# --sample: a small seeded sample (CI, a few seconds); default: the full set (50,000 innocent names).
# --check: exit non-zero unless the pipeline ran end to end, the reports are well formed and every
#          exact list name was found (a sanity floor, not the issue's targets).
# The report is DIR/report.md (+ DIR/report.json, DIR/pairs/pairs_report.json).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
chipgate="${CHIPGATE:-$root/build/chipgate}"
out="$root/build/screen-eval"
lists_dir="$root/../shared/data/lists"
seed=20261130
sample=0
check=0
threshold=""
while (($#)); do
  case "$1" in
    --sample) sample=1 ;;
    --check) check=1 ;;
    --chipgate) chipgate="$2"; shift ;;
    --out) out="$2"; shift ;;
    --lists-dir) lists_dir="$2"; shift ;;
    --seed) seed="$2"; shift ;;
    --threshold) threshold="$2"; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "eval/run.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$chipgate" ] || { echo "eval/run.sh: no chipgate executable at $chipgate (build it or pass --chipgate)" >&2; exit 2; }
[ -d "$lists_dir" ] || { echo "eval/run.sh: list folder $lists_dir not found" >&2; exit 2; }
mkdir -p "$out"

# The lists loaded for every screen ("all lists"; keep in step with eval/evallib.py DEFAULT_LIST_PATHS).
list_args=(--lists "$lists_dir/bis-and-others_nsfreg" --lists "$lists_dir/ofac-sdn_kindrat86/ofac-sdn.json"
           --lists "$lists_dir/ofac_watchman-testdata/cons_prim.csv" --lists "$lists_dir/ofac_watchman-testdata/cons_alt.csv")

if ((sample)); then
  gen_size=(--per-kind 12 --negatives 300 --synthetic-decoys 30)
  pair_limit=(--limit 120)
else
  gen_size=()
  pair_limit=()
fi

# The default threshold: --threshold, else the screening terms file's [matcher] threshold.
if [ -z "$threshold" ]; then
  terms="${CHIPGATE_SCREENING_TERMS:-$root/data/screening/terms.toml}"
  threshold="$(python3 -c 'import sys,tomllib; print(tomllib.load(open(sys.argv[1],"rb"))["matcher"]["threshold"])' "$terms")"
  thr_args=()
else
  thr_args=(--threshold "$threshold")
fi

echo "== generating the evaluation set (seed $seed) into $out"
python3 "$here/gen_eval_set.py" --lists-dir "$lists_dir" --out "$out" --seed "$seed" "${gen_size[@]}"
nq=$(($(wc -l <"$out/queries.csv") - 1))

echo "== screening $nq queries: $chipgate screen ${list_args[*]} --batch $out/queries.csv --format jsonl ${thr_args[*]}"
start=$(date +%s.%N)
rc=0
"$chipgate" screen "${list_args[@]}" --batch "$out/queries.csv" --format jsonl "${thr_args[@]}" \
  >"$out/results.jsonl" 2>"$out/screen.stderr" || rc=$?
end=$(date +%s.%N)
if ((rc != 0 && rc != 1 && rc != 3)); then  # 1: some names refused; 3: matches found
  echo "eval/run.sh: chipgate screen failed (exit $rc):" >&2
  head -20 "$out/screen.stderr" >&2
  exit 1
fi
secs=$(python3 -c "print(f'{$end - $start:.2f}')")

{
  echo "# Screening accuracy harness (issue 4)"
  echo
  echo "seed $seed; $nq queries; lists: ${list_args[*]//$lists_dir\//}; one batch run of $secs s"
  echo "(list load + index build + all queries, $(nproc) cores)"
  echo
  python3 "$here/score.py" --labels "$out/labels.jsonl" --results "$out/results.jsonl" --threshold "$threshold" \
    --title "Labelled set from the real lists (chipgate, default threshold)" --json-out "$out/report.json"
  echo "== pairs" >&2
  python3 "$here/pairs.py" --chipgate "$chipgate" --bench-dir "$lists_dir/name-matching-benchmarks" \
    --threshold "$threshold" --out "$out/pairs" "${pair_limit[@]}"
} >"$out/report.md"
cat "$out/report.md"

if ((check)); then
  python3 - "$out" <<'PY'
import json, math, sys
out = sys.argv[1]
rep = json.load(open(f"{out}/report.json"))
pairs = json.load(open(f"{out}/pairs/pairs_report.json"))
problems = []
for k in ("precision", "recall", "f1", "false_positive_rate", "recall_right_entry"):
    v = rep[k]
    if not isinstance(v, float) or math.isnan(v) or not 0.0 <= v <= 1.0:
        problems.append(f"{k} = {v!r} is not a number in [0, 1]")
if rep["missing_results"]:
    problems.append(f"{rep['missing_results']} queries have no result line")
ex = rep["kinds"].get("exact")
if not ex or ex["n"] == 0:
    problems.append("no exact-name queries in the set")
elif ex["found"] != ex["n"]:
    problems.append(f"exact list names: only {ex['found']} of {ex['n']} found: {rep['examples']['misses'][:5]}")
if rep["decoys"] == 0 or rep["positives"] == 0:
    problems.append("empty positives or decoys")
if pairs["cases"] == 0 or pairs["missing_or_error"] == pairs["cases"]:
    problems.append("pairs benchmark produced no scores")
for k in ("precision", "recall", "f1"):
    if not 0.0 <= pairs["chipgate"][k] <= 1.0:
        problems.append(f"pairs {k} out of range")
# The batch contract: one JSON object per party with id, match, hits[list, entry_id, name,
# matched_name, score in [0, 1], ofac_score, explanation], hits best first, match = best >= threshold.
threshold = rep["threshold"]
keys = ("list", "entry_id", "name", "matched_name", "score", "ofac_score", "explanation")
with open(f"{out}/results.jsonl", encoding="utf-8") as f:
    for n, line in enumerate(f, 1):
        try:
            r = json.loads(line)
        except ValueError as e:
            problems.append(f"results.jsonl line {n}: not JSON ({e})")
            break
        hits = r.get("hits")
        if not isinstance(r.get("id"), str) or not isinstance(r.get("match"), bool) or not isinstance(hits, list):
            problems.append(f"results.jsonl line {n}: id/match/hits missing or of the wrong type")
            break
        if any(not all(k in h for k in keys) or not 0.0 <= h["score"] <= 1.0 for h in hits):
            problems.append(f"results.jsonl line {n}: a hit lacks a contract field or has a score outside [0, 1]")
            break
        scores = [h["score"] for h in hits]
        if scores != sorted(scores, reverse=True):
            problems.append(f"results.jsonl line {n}: hits not best first")
            break
        if r["match"] != (bool(scores) and scores[0] >= threshold - 1e-9):
            problems.append(f"results.jsonl line {n}: match={r['match']} but best score {scores[:1]} vs threshold {threshold}")
            break
if problems:
    print("eval/run.sh --check FAILED:\n  " + "\n  ".join(problems))
    sys.exit(1)
print("eval/run.sh --check: pipeline OK")
PY
fi
