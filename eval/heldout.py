#!/usr/bin/env python3
"""Held-out screening accuracy: figures on data that no matcher rule or word list was chosen from.

The harness of eval/run.sh measures the matcher on the seeded variants, the alias tables, the 50,000
innocent names of negatives_global.csv and the OpenSanctions pairs, and the rules in
data/screening/terms.toml and the scorer were tuned and vetoed on exactly those (docs/screening.md,
section 5). The sets here were never read to choose a rule; keep it that way (look at aggregate
figures only, never tune on their misses):

  un_untreated   UN Security Council names as listed (yente positives_un_untreated.csv), kept when the
                 name is on a loaded list by exact normalised comparison (evallib.norm, word order free)
  un_treated     the same rows with yente's typos and reshuffles (positives_un_treated.csv)
  un_changed     the treated rows whose name differs from the untreated one (the hard part)
  innocent_us    yente's 50,000 synthetic US-style innocent persons (negatives_us.csv), names on a list removed
  congress       US Congress members (positives_us_congress_untreated.csv): common US names on none
                 of the loaded lists, so any match is a false positive
  cross_script   moov-io/watchman cross-script pairs (Arabic, Cyrillic, Chinese, Korean, Japanese, Greek,
                 Hebrew, Thai name -> Latin), scored pairwise with `chipgate screen --compare`

Recall counts a positive as flagged when chipgate says match (best score >= threshold); the
false-positive rate counts innocent names flagged. One `chipgate screen --batch` run over the lists
of eval/run.sh, one `--compare` run. Python 3 standard library only.

  eval/heldout.py --chipgate build/chipgate [--lists-dir ../shared/data/lists] [--out DIR]
                  [--check eval/heldout_recorded.json] [--record eval/heldout_recorded.json]

--check fails (exit 1) when a recall is below, or a false-positive rate above, its recorded value, or
when a set no longer has its recorded size (the lists or benchmark files changed: record again).
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tomllib

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evallib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
YENTE = os.path.join("name-matching-benchmarks", "yente_candidate_generation")
CROSS = os.path.join("name-matching-benchmarks", "watchman_cross_script", "cross_script_pairs.csv")
LIST_ARGS = ["bis-and-others_nsfreg", "ofac-sdn_kindrat86/ofac-sdn.json", "ofac_watchman-testdata/cons_prim.csv",
             "ofac_watchman-testdata/cons_alt.csv"]  # as eval/run.sh loads them
# Per set: which way is better. "recall": higher; "fp_rate": lower.
KINDS = {"un_untreated": "recall", "un_treated": "recall", "un_changed": "recall", "innocent_us": "fp_rate",
         "congress": "fp_rate", "cross_script": "recall"}


def full_names(path):
    with open(path, encoding="utf-8", newline="") as f:
        return [r["full_name"].strip() for r in csv.DictReader(f)]


def keys(name):
    k = evallib.norm(name)
    return {k, " ".join(sorted(k.split()))} if k else set()


def build_queries(lists_dir):
    """(queries [(id, name)], sets {kind: [ids]}) from the held-out files, checked against the lists."""
    listed = set()
    for e in evallib.load_lists(lists_dir):
        for n in [e.name] + e.aliases:
            listed |= keys(n)
    yente = os.path.join(lists_dir, YENTE)
    untreated = full_names(os.path.join(yente, "positives_un_untreated.csv"))
    treated = full_names(os.path.join(yente, "positives_un_treated.csv"))
    if len(untreated) != len(treated):
        raise SystemExit("heldout.py: the UN untreated and treated files differ in length")
    queries, sets = [], {k: [] for k in KINDS if k != "cross_script"}
    for i, (u, t) in enumerate(zip(untreated, treated)):
        if not u or not t or not (keys(u) & listed):
            continue  # not on the loaded lists under this spelling: nothing to find
        queries += [(f"unu-{i}", u), (f"unt-{i}", t)]
        sets["un_untreated"].append(f"unu-{i}")
        sets["un_treated"].append(f"unt-{i}")
        if t != u:
            sets["un_changed"].append(f"unt-{i}")
    for kind, prefix, file in (("innocent_us", "neg", "negatives_us.csv"),
                               ("congress", "cong", "positives_us_congress_untreated.csv")):
        for i, n in enumerate(full_names(os.path.join(yente, file))):
            if n and not (keys(n) & listed):
                queries.append((f"{prefix}-{i}", n))
                sets[kind].append(f"{prefix}-{i}")
    return queries, sets


def cross_script_pairs(lists_dir):
    pairs = []
    with open(os.path.join(lists_dir, CROSS), encoding="utf-8", newline="") as f:
        for row in csv.reader(line for line in f if line.strip() and not line.startswith("#")):
            if len(row) >= 2 and row[0].strip() and row[1].strip():
                pairs.append((f"x-{len(pairs)}", row[0].strip(), row[1].strip()))
    return pairs


def write_csv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def run_chipgate(args, what):
    out = subprocess.run(args, capture_output=True, text=True)
    if out.returncode not in (0, 1, 3):  # 1: some names refused, the rest screened; 3: matches found
        raise SystemExit(f"heldout.py: {what} failed (exit {out.returncode}): {out.stderr.strip()[:600]}")
    results = {}
    for line in out.stdout.splitlines():
        if line.strip():
            d = json.loads(line)
            results[str(d["id"])] = d
    return results


def measure(args, threshold):
    queries, sets = build_queries(args.lists_dir)
    os.makedirs(args.out, exist_ok=True)
    batch = os.path.join(args.out, "heldout_queries.csv")
    write_csv(batch, ["id", "name"], queries)
    lists = [a for p in LIST_ARGS for a in ("--lists", os.path.join(args.lists_dir, p))]
    results = run_chipgate([args.chipgate, "screen", *lists, "--batch", batch, "--format", "jsonl",
                            "--threads", str(args.threads)], "chipgate screen --batch")
    pairs = cross_script_pairs(args.lists_dir)
    pairs_file = os.path.join(args.out, "heldout_cross_script.csv")
    write_csv(pairs_file, ["id", "name1", "name2"], pairs)
    compared = run_chipgate([args.chipgate, "screen", "--compare", pairs_file, "--format", "jsonl"],
                            "chipgate screen --compare")
    report = {"threshold": threshold, "sets": {}}
    for kind, ids in sets.items():
        flagged = sum(1 for i in ids if results.get(i, {}).get("match") is True)
        missing = sum(1 for i in ids if i not in results)
        report["sets"][kind] = {"n": len(ids), "flagged": flagged, "missing_results": missing}
    matched = sum(1 for p in pairs if compared.get(p[0], {}).get("score", 0.0) >= threshold - 1e-9)
    report["sets"]["cross_script"] = {"n": len(pairs), "flagged": matched,
                                      "missing_results": sum(1 for p in pairs if p[0] not in compared)}
    for kind, m in report["sets"].items():
        m[KINDS[kind]] = m["flagged"] / m["n"] if m["n"] else float("nan")
    return report


def print_report(report):
    w = sys.stdout.write
    w(f"## Held-out screening accuracy (threshold {report['threshold']:.2f})\n\n")
    w("| set | n | flagged | measure |\n|---|---:|---:|---:|\n")
    for kind, m in report["sets"].items():
        measure_name = KINDS[kind]
        w(f"| {kind} | {m['n']} | {m['flagged']} | {measure_name} {m[measure_name]:.4f} |\n")


def check(report, recorded_path):
    with open(recorded_path, encoding="utf-8") as f:
        recorded = json.load(f)
    problems = []
    if abs(recorded["threshold"] - report["threshold"]) > 1e-9:
        problems.append(f"threshold {report['threshold']} differs from the recorded {recorded['threshold']}")
    for kind, want in recorded["sets"].items():
        got = report["sets"].get(kind)
        if got is None:
            problems.append(f"{kind}: not measured")
            continue
        if got["n"] != want["n"]:
            problems.append(f"{kind}: {got['n']} names, recorded {want['n']} (the lists or benchmark files "
                            "changed: measure and record again)")
            continue
        if got["missing_results"]:
            problems.append(f"{kind}: {got['missing_results']} names without a result")
        measure_name = KINDS[kind]
        # Compared as counts over the same n, so no rounding can hide a single name.
        if measure_name == "recall" and got["flagged"] < want["flagged"]:
            problems.append(f"{kind}: recall {got['recall']:.4f} ({got['flagged']}/{got['n']}) below the recorded "
                            f"{want['flagged']}/{want['n']}")
        if measure_name == "fp_rate" and got["flagged"] > want["flagged"]:
            problems.append(f"{kind}: false-positive rate {got['fp_rate']:.4%} ({got['flagged']}/{got['n']}) above "
                            f"the recorded {want['flagged']}/{want['n']}")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--chipgate", default=os.path.join(ROOT, "build", "chipgate"))
    ap.add_argument("--lists-dir", default=os.path.join(ROOT, "..", "shared", "data", "lists"))
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "screen-heldout"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--check", help="recorded values (JSON) the figures must not fall below")
    ap.add_argument("--record", help="write the figures measured here as the recorded values")
    args = ap.parse_args()
    terms = os.environ.get("CHIPGATE_SCREENING_TERMS", os.path.join(ROOT, "data", "screening", "terms.toml"))
    with open(terms, "rb") as f:
        threshold = float(tomllib.load(f)["matcher"]["threshold"])
    report = measure(args, threshold)
    with open(os.path.join(args.out, "heldout_report.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1)
    print_report(report)
    if args.record:
        recorded = {"threshold": threshold,
                    "sets": {k: {"n": m["n"], "flagged": m["flagged"]} for k, m in report["sets"].items()}}
        with open(args.record, "w", encoding="utf-8") as f:
            json.dump(recorded, f, indent=1)
            f.write("\n")
        print(f"\nrecorded in {args.record}")
    if args.check:
        problems = check(report, args.check)
        if problems:
            print("\nheld-out gate FAILED:\n  " + "\n  ".join(problems))
            sys.exit(1)
        print(f"\nheld-out gate: no figure below its recorded value ({args.check})")


if __name__ == "__main__":
    main()
