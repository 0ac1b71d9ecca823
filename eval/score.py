#!/usr/bin/env python3
"""Scores screening results (the `chipgate screen --batch ... --format jsonl` contract, or the same
shape from the pg_trgm comparison) against labels.jsonl from gen_eval_set.py.

A positive is *flagged* when its result has match=true; it is *found* when, in addition, a hit at or
above the threshold names the expected entry (its primary name or an alias, or the same name on
another list). A decoy is a false positive when match=true. Precision, recall (flagged) and F1 are
over all positives and all decoys of the run; the false-positive rate is reported per decoy kind,
the 50,000 innocent names being the target figure. Writes a JSON report and prints a table."""

import argparse
import collections
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evallib  # noqa: E402


def ratio(a, b):
    return a / b if b else float("nan")


def f1(p, r):
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def hit_names(h):
    return {evallib.norm(h.get("name", "")), evallib.norm(h.get("matched_name", ""))}


def hit_cores(h):
    return {evallib.core_key(h.get("name", "")), evallib.core_key(h.get("matched_name", ""))}


def score(labels, results, threshold):
    per_kind = collections.OrderedDict()
    misses, wrong_entry, false_pos, errors, missing = [], [], [], [], 0
    best_scores = []  # (score of best hit or 0, expect)
    for lab in labels:
        r = results.get(lab["id"])
        k = per_kind.setdefault(lab["kind"], {"n": 0, "flagged": 0, "found": 0, "errors": 0, "expect": lab["expect"]})
        k["n"] += 1
        if r is None:
            missing += 1
            k["errors"] += 1
            continue
        if r.get("error"):
            errors.append((lab["id"], lab["query"], r["error"]))
            k["errors"] += 1
        hits = r.get("hits") or []
        best = max((h.get("score", 0) for h in hits), default=0.0)
        best_scores.append((best, lab["expect"]))
        flagged = bool(r.get("match"))
        if flagged:
            k["flagged"] += 1
        if lab["expect"]:
            exp, cores = set(lab["expected_names"]), set(lab.get("expected_cores", []))
            ok = flagged and any(h.get("score", 0) >= threshold and (hit_names(h) & exp or hit_cores(h) & cores)
                                 for h in hits)
            if ok:
                k["found"] += 1
            elif flagged:
                wrong_entry.append((lab["kind"], lab["query"], lab["source"], hits[0].get("matched_name", ""), best))
            else:
                misses.append((lab["kind"], lab["query"], lab["source"], hits[0].get("matched_name", "") if hits else "",
                               best))
        elif flagged:
            false_pos.append((lab["kind"], lab["query"], hits[0].get("matched_name", "") if hits else "", best))

    pos = [k for k in per_kind.values() if k["expect"]]
    neg = [k for k in per_kind.values() if not k["expect"]]
    P = sum(k["n"] for k in pos)
    TP = sum(k["flagged"] for k in pos)
    found = sum(k["found"] for k in pos)
    N = sum(k["n"] for k in neg)
    FP = sum(k["flagged"] for k in neg)
    precision, recall = ratio(TP, TP + FP), ratio(TP, P)
    report = {
        "threshold": threshold,
        "positives": P, "decoys": N, "true_positives": TP, "false_positives": FP,
        "precision": precision, "recall": recall, "f1": f1(precision, recall),
        "recall_right_entry": ratio(found, P),
        "false_positive_rate": ratio(FP, N),
        "errors": len(errors), "missing_results": missing,
        "kinds": {name: dict(k, recall=ratio(k["flagged"], k["n"]) if k["expect"] else None,
                             recall_right_entry=ratio(k["found"], k["n"]) if k["expect"] else None,
                             false_positive_rate=None if k["expect"] else ratio(k["flagged"], k["n"]))
                  for name, k in per_kind.items()},
    }
    # Sweep over thresholds at or above the run's (hits below it are not reported by the screener).
    sweep = []
    for i in range(0, 20):
        t = round(threshold + 0.025 * i, 4)
        if t > 1.0:
            break
        tp = sum(1 for s, e in best_scores if e and s >= t)
        fp = sum(1 for s, e in best_scores if not e and s >= t)
        p, rc = ratio(tp, tp + fp), ratio(tp, P)
        sweep.append({"threshold": t, "precision": p, "recall": rc, "f1": f1(p, rc), "fp_rate": ratio(fp, N)})
    report["sweep_best_score"] = sweep
    report["examples"] = {"misses": misses, "wrong_entry": wrong_entry, "false_positives": false_pos,
                          "errors": errors[:50]}
    return report


def print_report(rep, title, out=sys.stdout, examples=8):
    w = out.write
    w(f"## {title}\n\n")
    w(f"threshold {rep['threshold']:.3f}; positives {rep['positives']}, decoys {rep['decoys']}; "
      f"errors {rep['errors']}, missing results {rep['missing_results']}\n\n")
    w("| metric | value |\n|---|---:|\n")
    for k in ("precision", "recall", "f1", "recall_right_entry", "false_positive_rate"):
        w(f"| {k} | {rep[k]:.4f} |\n")
    w("\n| kind | n | flagged | recall (flagged) | recall (right entry) | FP rate |\n|---|---:|---:|---:|---:|---:|\n")
    for name, k in rep["kinds"].items():
        if k["expect"]:
            w(f"| {name} | {k['n']} | {k['flagged']} | {k['recall']:.4f} | {k['recall_right_entry']:.4f} | |\n")
        else:
            w(f"| {name} | {k['n']} | {k['flagged']} | | | {k['false_positive_rate']:.4%} |\n")
    ex = rep["examples"]
    if examples:
        w(f"\nmissed positives: {len(ex['misses'])} (first {examples}):\n")
        for m in ex["misses"][:examples]:
            w(f"- [{m[0]}] {m[1]!r} (entry {m[2]!r}; best {m[3]!r} {m[4]:.3f})\n")
        w(f"\nflagged but the expected entry not among the hits: {len(ex['wrong_entry'])} (first {examples}):\n")
        for m in ex["wrong_entry"][:examples]:
            w(f"- [{m[0]}] {m[1]!r} (entry {m[2]!r}; top hit {m[3]!r} {m[4]:.3f})\n")
        w(f"\nfalse positives: {len(ex['false_positives'])} (first {examples}):\n")
        for m in ex["false_positives"][:examples]:
            w(f"- [{m[0]}] {m[1]!r} -> {m[2]!r} {m[3]:.3f}\n")
    w("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--labels", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--threshold", type=float, required=True)
    ap.add_argument("--title", default="chipgate")
    ap.add_argument("--json-out")
    ap.add_argument("--examples", type=int, default=8)
    args = ap.parse_args()
    labels = list(evallib.read_jsonl(args.labels))
    results = {}
    for r in evallib.read_jsonl(args.results):
        results[str(r.get("id"))] = r
    rep = score(labels, results, args.threshold)
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as f:
            json.dump(rep, f, indent=1, ensure_ascii=False)
    print_report(rep, args.title, examples=args.examples)


if __name__ == "__main__":
    main()
