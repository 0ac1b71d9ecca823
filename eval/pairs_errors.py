#!/usr/bin/env python3
"""Sorts chipgate's errors on the OpenSanctions name_bench pairs into categories (error analysis, not
a score): runs `chipgate screen --compare` on cases.csv (as eval/pairs.py does) and, for every false
negative and false positive at the threshold, guesses why from the two names: cross-script, digits
for letters, legal-form spelling, word order, initials, joined words, typos by edit distance, extra
or missing words. Prints counts per category and the cases (or --json). Python 3 standard library.

  eval/pairs_errors.py --chipgate build/chipgate [--threshold 0.8] [--show 15]
"""

import argparse
import collections
import csv
import json
import os
import re
import sys
import tempfile
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pairs  # noqa: E402  (compare_cli)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIGIT_LOOKALIKE = str.maketrans({"0": "O", "1": "I", "3": "E", "4": "A", "5": "S", "7": "T", "8": "B", "9": "G"})


def words(s):
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    return [w for w in re.split(r"[^0-9A-Za-z\u00C0-\uFFFF]+", s.upper()) if w]


def non_latin(s):
    return any(c.isalpha() and "LATIN" not in unicodedata.name(c, "") for c in s)


def dist(a, b):
    # optimal string alignment distance
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            c = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + c)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


def categories(n1, n2, legal):
    """All categories that apply to a pair (a pair can have several)."""
    cats = []
    if non_latin(n1) != non_latin(n2):
        return ["cross-script"]
    if non_latin(n1):
        cats.append("both non-Latin")
    a, b = words(n1), words(n2)
    if any(re.search(r"\d", w) for w in a + b):
        ta = [w.translate(DIGIT_LOOKALIKE) for w in a]
        tb = [w.translate(DIGIT_LOOKALIKE) for w in b]
        cats.append("digit for letter" if (ta != a or tb != b) and (set(ta) & set(tb)) - (set(a) & set(b))
                    else "numbers")
    la, lb = [w for w in a if w in legal], [w for w in b if w in legal]
    if la != lb:
        cats.append("legal form differs")
    ca, cb = [w for w in a if w not in legal], [w for w in b if w not in legal]
    if sorted(ca) == sorted(cb) and ca != cb:
        cats.append("word order")
    if "".join(ca) == "".join(cb) and ca != cb:
        cats.append("joined/split words")
    if any(len(w) == 1 for w in ca + cb):
        cats.append("initials")
    sa, sb = set(ca), set(cb)
    only_a, only_b = sa - sb, sb - sa
    # pair the leftover words by best edit distance
    if only_a and only_b:
        ds = []
        for w in only_a:
            best = min(only_b, key=lambda v: dist(w, v))
            ds.append((dist(w, best), w, best))
        for d, w, v in ds:
            if d == 1:
                cats.append("1-edit typo")
            elif d == 2 and min(len(w), len(v)) <= 7:
                cats.append("2-edit typo, short word")
            elif d == 2:
                cats.append("2-edit typo")
            elif d >= 3 and (w.startswith(v) or v.startswith(w)):
                cats.append("truncated word")
            elif d >= 3:
                cats.append("different word")
    if len(sa) != len(sb):
        cats.append("extra/missing words")
    return sorted(set(cats)) or ["other"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--chipgate", default=os.path.join(ROOT, "build", "chipgate"))
    ap.add_argument("--bench-dir", default=os.path.join(ROOT, "..", "shared", "data", "lists",
                                                         "name-matching-benchmarks"))
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument("--show", type=int, default=15, help="cases shown per category")
    ap.add_argument("--json", help="write every scored case here")
    args = ap.parse_args()
    import tomllib
    with open(os.path.join(ROOT, "data", "screening", "terms.toml"), "rb") as f:
        terms = tomllib.load(f)
    legal = {w.upper() for w in terms["words"]["legal_forms"]}
    for canon, variants in terms.get("abbreviations", {}).items():
        if canon in legal:
            legal.update(v.upper() for v in variants)
    legal.update({"COMPANY", "LIMITED", "CORPORATION", "INCORPORATED", "OPEN", "CLOSED", "JOINT", "STOCK"})

    with open(os.path.join(args.bench_dir, "nomenklatura_name_bench", "cases.csv"), encoding="utf-8") as f:
        cases = list(csv.DictReader(f))
    rows = [{"id": str(i), "name1": c["name1"], "name2": c["name2"], "schema": c["schema"],
             "is_match": c["is_match"].strip().lower() == "true", "notes": c["notes"]} for i, c in enumerate(cases)]
    with tempfile.TemporaryDirectory() as tmp:
        scores, _ = pairs.compare_cli(args.chipgate, rows, tmp)
    by = {"false negative": collections.defaultdict(list), "false positive": collections.defaultdict(list)}
    for r in rows:
        r["score"] = float(scores.get(r["id"], {}).get("score", 0.0))
        hit = r["score"] >= args.threshold
        kind = "false negative" if r["is_match"] and not hit else "false positive" if hit and not r["is_match"] \
            else None
        r["categories"] = categories(r["name1"], r["name2"], legal)
        if kind:
            for c in r["categories"]:
                by[kind][c].append(r)
    m = pairs.prf([dict(r) for r in rows], "score", args.threshold)
    print(f"threshold {args.threshold}: P {m['precision']:.3f} R {m['recall']:.3f} F1 {m['f1']:.3f} "
          f"(TP {m['tp']} FP {m['fp']} FN {m['fn']} TN {m['tn']})")
    for kind, cats in by.items():
        total = sum(1 for r in rows if (kind == "false negative") == r["is_match"] and
                    (r["score"] >= args.threshold) != r["is_match"])
        print(f"\n## {kind}s: {total} (a case can fall in several categories)")
        for c, rs in sorted(cats.items(), key=lambda kv: -len(kv[1])):
            print(f"\n### {c}: {len(rs)}")
            for r in rs[:args.show]:
                print(f"  [{r['schema'][:3]}] {r['score']:.3f}  {r['name1']!r} ~ {r['name2']!r}"
                      + (f"  ({r['notes']})" if r["notes"] else ""))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(rows, f, ensure_ascii=False, indent=0)


if __name__ == "__main__":
    main()
