#!/usr/bin/env python3
"""Scores the OpenSanctions name benchmark (nomenklatura name_bench cases.csv: 826 labelled name
pairs) with chipgate's pairwise comparison (`chipgate screen --compare FILE --format jsonl`), and
reports precision, recall and F1 at chipgate's default threshold, per schema, next to the frozen
logic-v2 run shipped with the benchmark (computed from its file at its 0.7 threshold) and next to
chipgate's OFAC-style score. Python 3 standard library only."""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time


def prf(rows, key, t):
    tp = sum(1 for r in rows if r[key] >= t and r["is_match"])
    fp = sum(1 for r in rows if r[key] >= t and not r["is_match"])
    fn = sum(1 for r in rows if r[key] < t and r["is_match"])
    tn = len(rows) - tp - fp - fn
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"n": len(rows), "tp": tp, "fp": fp, "fn": fn, "tn": tn, "precision": p, "recall": r,
            "f1": 2 * p * r / (p + r) if p + r else 0.0}


def compare_cli(chipgate, pairs, workdir):
    path = os.path.join(workdir, "pairs.csv")
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "name1", "name2"])
        for p in pairs:
            w.writerow([p["id"], p["name1"], p["name2"]])
    t0 = time.perf_counter()
    out = subprocess.run([chipgate, "screen", "--compare", path, "--format", "jsonl"], capture_output=True,
                         text=True)
    elapsed = time.perf_counter() - t0
    if out.returncode not in (0, 1):
        raise RuntimeError(f"chipgate screen --compare failed ({out.returncode}): {out.stderr.strip()[:400]}")
    scores = {}
    for line in out.stdout.splitlines():
        if line.strip():
            d = json.loads(line)
            scores[str(d["id"])] = d
    return scores, elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--chipgate", required=True)
    ap.add_argument("--bench-dir", required=True, help="../shared/data/lists/name-matching-benchmarks")
    ap.add_argument("--threshold", type=float, required=True, help="chipgate's default threshold")
    ap.add_argument("--ofac-threshold", type=float, default=0.85, help="OFAC-style score threshold (80-85 in practice)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--limit", type=int, default=0, help="first N cases only (CI sample)")
    args = ap.parse_args()

    nb = os.path.join(args.bench_dir, "nomenklatura_name_bench")
    with open(os.path.join(nb, "cases.csv"), encoding="utf-8", newline="") as f:
        cases = list(csv.DictReader(f))
    if args.limit:
        cases = cases[:args.limit]
    pairs = [{"id": str(i), "name1": c["name1"], "name2": c["name2"], "schema": c["schema"],
              "group": c["case_group"], "is_match": c["is_match"].strip().lower() == "true"} for i, c in enumerate(cases)]
    os.makedirs(args.out, exist_ok=True)
    scores, elapsed = compare_cli(args.chipgate, pairs, args.out)
    missing = 0
    rows = []
    for p in pairs:
        s = scores.get(p["id"])
        if s is None or s.get("error"):
            missing += 1
            s = {"score": 0.0, "ofac_score": 0.0}
        rows.append(dict(p, score=float(s.get("score", 0.0)), ofac=float(s.get("ofac_score", 0.0))))

    rep = {"cases": len(rows), "missing_or_error": missing, "seconds": elapsed, "threshold": args.threshold,
           "chipgate": prf(rows, "score", args.threshold),
           "ofac_style": prf(rows, "ofac", args.ofac_threshold), "ofac_threshold": args.ofac_threshold,
           "by_schema": {}, "by_group": {}}
    for key, field in (("by_schema", "schema"), ("by_group", "group")):
        for v in sorted({r[field] for r in rows}):
            rep[key][v] = prf([r for r in rows if r[field] == v], "score", args.threshold)
    # The best F1 over thresholds (informative only: tuned on the test set, not the default).
    best = max((dict(prf(rows, "score", t / 100), threshold=t / 100) for t in range(50, 100)),
               key=lambda d: d["f1"])
    rep["best_threshold_on_this_set"] = best

    # Reference: the frozen logic-v2 run on the same benchmark, at its 0.7 threshold.
    lv = os.path.join(nb, "logicv2-frozen.csv")
    if os.path.exists(lv) and not args.limit:
        with open(lv, encoding="utf-8", newline="") as f:
            ref = [{"score": float(r["score"]), "is_match": r["is_match"].strip().lower() == "true"}
                   for r in csv.DictReader(f)]
        rep["logic_v2_frozen"] = prf(ref, "score", 0.7)

    # Errors for the feedback file.
    fn = [(r["schema"], r["name1"], r["name2"], r["score"]) for r in rows
          if r["is_match"] and r["score"] < args.threshold]
    fp = [(r["schema"], r["name1"], r["name2"], r["score"]) for r in rows
          if not r["is_match"] and r["score"] >= args.threshold]
    rep["examples"] = {"false_negatives": fn, "false_positives": fp}
    with open(os.path.join(args.out, "pairs_report.json"), "w", encoding="utf-8") as f:
        json.dump(rep, f, indent=1, ensure_ascii=False)

    w = sys.stdout.write
    w(f"## OpenSanctions name_bench pairs ({len(rows)} cases, {missing} missing or refused, {elapsed:.2f} s)\n\n")
    w("| scorer | threshold | precision | recall | F1 | TP | FP | FN | TN |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")

    def line(name, t, m):
        w(f"| {name} | {t:.2f} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['tp']} | {m['fp']} | "
          f"{m['fn']} | {m['tn']} |\n")
    line("chipgate (default threshold)", args.threshold, rep["chipgate"])
    line("chipgate OFAC-style score", args.ofac_threshold, rep["ofac_style"])
    if "logic_v2_frozen" in rep:
        line("logic-v2 frozen run (reference)", 0.7, rep["logic_v2_frozen"])
    line("chipgate at its best threshold on this set (tuned, informative)", best["threshold"], best)
    w("\n| schema | n | precision | recall | F1 |\n|---|---:|---:|---:|---:|\n")
    for v, m in rep["by_schema"].items():
        w(f"| {v} | {m['n']} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} |\n")
    w(f"\nfalse negatives {len(fn)} (first 8):\n")
    for x in fn[:8]:
        w(f"- [{x[0]}] {x[1]!r} ~ {x[2]!r}: {x[3]:.3f}\n")
    w(f"\nfalse positives {len(fp)} (first 8):\n")
    for x in fp[:8]:
        w(f"- [{x[0]}] {x[1]!r} ~ {x[2]!r}: {x[3]:.3f}\n")
    w("\n")


if __name__ == "__main__":
    main()
