#!/usr/bin/env python3
"""Builds the labelled evaluation set for restricted-party screening (issue 4) from the real lists.

Positives are variants of names on the loaded lists (abbreviated business words, dropped or changed
legal forms, reordered words, one typo in a long word, a missing space, case/punctuation changes,
aliases, combinations, Chinese-script forms from eval/chinese_names.tsv). Decoys are yente's 50,000
synthetic innocent persons, real companies that look like listed ones (eval/real_decoys.txt, checked
against the lists) and synthetic Chinese company names with invented brands.

Everything is drawn from one random.Random(seed); the same seed and lists give the same set.
Writes to --out: queries.csv and queries.jsonl (id,name), labels.jsonl, list_names.tsv (every
name and alias, for the pg_trgm comparison) and manifest.json. Python 3 standard library only."""

import argparse
import csv
import json
import os
import random
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evallib  # noqa: E402

DEFAULT_SEED = 20261130

# Business words and their abbreviations as they appear on shipping and customer documents.
ABBREV = {
    "technology": ["tech"], "technologies": ["tech", "techs"], "communications": ["comm", "comms"],
    "communication": ["comm"], "group": ["grp"], "company": ["co"], "limited": ["ltd"],
    "international": ["intl", "int'l"], "electronics": ["elec", "electr"], "electronic": ["elec"],
    "corporation": ["corp"], "incorporated": ["inc"], "services": ["srvces", "svcs"], "service": ["svc"],
    "industrial": ["indl", "ind"], "industry": ["ind"], "industries": ["inds"], "manufacturing": ["mfg"],
    "engineering": ["eng", "engg"], "development": ["dev"], "science": ["sci"], "scientific": ["sci"],
    "research": ["res"], "institute": ["inst"], "university": ["univ"], "equipment": ["equip", "eqpt"],
    "information": ["info"], "systems": ["sys"], "machinery": ["mach"], "trading": ["trdg"],
    "holdings": ["hldgs"], "investment": ["invt"], "materials": ["matls"], "semiconductor": ["semi"],
    "management": ["mgmt"], "laboratory": ["lab"], "instruments": ["instr"], "association": ["assn"],
    "department": ["dept"], "and": ["&"], "import": ["imp"], "export": ["exp"],
}

LEGAL_TRAILING = [
    "limited liability company", "joint stock company", "public limited company", "s a de c v",
    "company limited", "company ltd", "co limited", "co ltd", "pte ltd", "pvt ltd", "pty ltd",
    "private limited", "sdn bhd", "ltd sti", "fz llc", "l l c", "ltd", "limited", "inc", "incorporated", "corp",
    "corporation", "llc", "gmbh", "jsc", "pjsc", "ojsc", "cjsc", "ooo", "llp", "plc", "sa", "ag", "co",
    "company", "fze", "fzco", "bv", "srl", "spa", "sarl", "ltda", "oy", "kft", "doo",
]
LEGAL_LEADING = ["limited liability company", "closed joint stock company", "open joint stock company",
                 "joint stock company", "ooo", "oao", "zao", "pao", "ao", "jsc", "llc", "tov"]
LEGAL_CHANGE = {
    "co ltd": ["Company Limited", "Limited", "Ltd", "Co Limited", "Corp"],
    "company limited": ["Co., Ltd.", "Ltd.", "Limited"], "co limited": ["Co., Ltd.", "Ltd"],
    "ltd": ["Limited", "Co., Ltd.", "Company"], "limited": ["Ltd", "Co., Ltd."],
    "inc": ["Incorporated", "Corp.", "Ltd"], "incorporated": ["Inc.", "Corp"],
    "corp": ["Corporation", "Inc."], "corporation": ["Corp.", "Inc.", "Company Limited"],
    "llc": ["Limited Liability Company", "L.L.C.", "Ltd"], "company": ["Co.", "Corp"],
    "co": ["Company", "Co., Ltd."], "jsc": ["Joint Stock Company", "PJSC"], "pjsc": ["JSC"],
    "ooo": ["LLC"], "pte ltd": ["Private Limited", "Pte. Limited"], "pvt ltd": ["Private Limited"],
    "plc": ["Public Limited Company"], "joint stock company": ["JSC"], "limited liability company": ["LLC"],
    "gmbh": ["GmbH & Co. KG"], "sa": ["S.A.", "SA de CV"], "ag": ["AG & Co"],
}
# Chinese place names that many listed names start with (weak tokens for a matcher).
PLACES = {"beijing", "shanghai", "shenzhen", "guangzhou", "tianjin", "chongqing", "wuhan", "chengdu",
          "hangzhou", "nanjing", "xian", "xi'an", "suzhou", "wuxi", "changsha", "zhengzhou", "jinan", "hefei",
          "harbin", "dalian", "qingdao", "xiamen", "ningbo", "shenyang", "changchun", "kunming", "fuzhou",
          "dongguan", "foshan", "zhuhai", "guangdong", "jiangsu", "zhejiang", "sichuan", "hubei", "hunan",
          "shandong", "henan", "hebei", "fujian", "anhui", "liaoning", "shaanxi", "xinjiang", "hong", "kong",
          "china", "chinese", "moscow", "tehran", "dubai"}
STOP = {"of", "the", "and", "for", "de", "&", "a", "an", "in"}
CHINA_LISTS = {"bis-meu", "dow-1260h", "dhs-uflpa", "ofac-nscmic", "ofac-eo14032", "fcc-covered"}
PINYIN = ["an", "bao", "bei", "cheng", "chuang", "da", "de", "fang", "feng", "fu", "guang", "hai", "hang",
          "hao", "heng", "hong", "hua", "hui", "jia", "jian", "jin", "jing", "kang", "kai", "lian", "long", "mei",
          "ming", "nan", "ping", "qi", "qian", "qiao", "rui", "sheng", "shi", "tai", "tian", "tong", "wei", "wen",
          "xiang", "xin", "xing", "yang", "yi", "yong", "yuan", "yue", "zhi", "zhong", "zhou", "run", "lan"]
SYNTH_BUSINESS = ["Technology", "Electronics", "Communication Technology", "Information Technology",
                  "Semiconductor", "Microelectronics", "Intelligent Technology", "Precision Machinery",
                  "Trading", "Import and Export", "Optoelectronics", "Network Technology", "New Materials"]
SYNTH_LEGAL = ["Co., Ltd.", "Co., Ltd.", "Company Limited", "Limited", "Group Co., Ltd.", "Inc."]

WORD = re.compile(r"[^\W_]+", re.UNICODE)


def words(s):
    return [m.group(0).lower() for m in WORD.finditer(s)]


def legal_split(name):
    """(core, legal_key, legal_text, leading): the name without one trailing (or leading) legal form."""
    ms = list(WORD.finditer(name))
    low = [m.group(0).lower() for m in ms]
    for phrase in LEGAL_TRAILING:
        p = phrase.split()
        if len(low) > len(p) and low[-len(p):] == p:
            start = ms[-len(p)].start()
            core = name[:start].rstrip(" ,.-(/")
            return core, phrase, name[start:], False
    for phrase in LEGAL_LEADING:
        p = phrase.split()
        if len(low) > len(p) and low[:len(p)] == p:
            end = ms[len(p) - 1].end()
            core = name[end:].lstrip(" ,.-\"'")
            return core, phrase, name[:end], True
    return name, None, "", False


def content_words(s):
    return [w for w in words(s) if w not in STOP and w not in ABBREV and w not in PLACES and len(w) >= 2
            and w not in LEGAL_TRAILING]


def match_case(src, repl):
    if src.isupper():
        return repl.upper()
    if src[:1].isupper():
        return repl[:1].upper() + repl[1:]
    return repl


def v_exact(rng, e, name):
    return name


def v_case_punct(rng, e, name):
    ops = [lambda s: s.upper(), lambda s: s.lower(), lambda s: re.sub(r"[.,'\"]", "", s),
           lambda s: re.sub(r"[^\w\s]", " ", s), lambda s: s.replace(", ", " ").replace(".", ""),
           lambda s: s.replace(" & ", " and ") if " & " in s else s.replace(" and ", " & "),
           lambda s: s.title()]
    for _ in range(6):
        a, b = rng.sample(ops, 2)
        out = " ".join(b(a(name)).split())
        if out != name and evallib.norm(out):
            return out
    return None


def v_abbrev(rng, e, name, force_all=False):
    pieces = name.split(" ")
    cands = [i for i, p in enumerate(pieces) if re.sub(r"[^\w]", "", p).lower() in ABBREV]
    if not cands:
        return None
    chosen = [i for i in cands if force_all or rng.random() < 0.7] or [rng.choice(cands)]
    for i in chosen:
        m = re.match(r"^(\W*)(\w+)(\W*)$", pieces[i])
        if not m:
            continue
        w = m.group(2)
        pieces[i] = m.group(1) + match_case(w, rng.choice(ABBREV[w.lower()])) + m.group(3)
    out = " ".join(pieces)
    return out if out != name else None


def v_legal_drop(rng, e, name):
    core, key, _, _ = legal_split(name)
    if key is None or not content_words(core):
        return None
    return core


def v_legal_change(rng, e, name):
    core, key, _, leading = legal_split(name)
    if key is None or key not in LEGAL_CHANGE or not content_words(core):
        return None
    repl = rng.choice(LEGAL_CHANGE[key])
    if name.isupper():
        repl = repl.upper()
    return f"{core} {repl}" if not leading else f"{core}, {repl}"


def v_reorder(rng, e, name):
    if e.etype == "individual" and name.count(",") == 1:
        last, first = [x.strip() for x in name.split(",")]
        if last and first:
            return f"{first} {last}"
        return None
    core, key, legal, leading = legal_split(name)
    pieces = [p.strip(",") for p in core.split() if p.strip(",")]
    if len(pieces) < 2 or len(content_words(core)) < 1:
        return None
    if pieces[0].lower().strip(",.()") in PLACES and len(pieces) >= 2:
        pieces = pieces[1:2] + pieces[:1] + pieces[2:] if rng.random() < 0.5 else pieces[1:] + pieces[:1]
    elif rng.random() < 0.5:
        pieces = pieces[1:] + pieces[:1]
    else:
        pairs = [i for i in range(len(pieces) - 1)
                 if pieces[i].lower() not in STOP and pieces[i + 1].lower() not in STOP]
        if not pairs:
            return None
        i = rng.choice(pairs)
        pieces[i], pieces[i + 1] = pieces[i + 1], pieces[i]
    out = " ".join(pieces)
    if key is not None:
        out = f"{legal} {out}" if leading else f"{out} {legal}"
    return out if evallib.norm(out) != evallib.norm(name) else None


def v_typo(rng, e, name):
    pieces = name.split(" ")
    cands = []
    for i, p in enumerate(pieces):
        w = re.sub(r"[^A-Za-z]", "", p)
        if len(w) >= 6 and w == p.strip(",.()") and w.lower() not in ABBREV and w.lower() not in PLACES:
            cands.append(i)
    if not cands:
        return None
    i = rng.choice(cands)
    p = pieces[i]
    m = re.match(r"^(\W*)([A-Za-z]+)(\W*)$", p)
    w = m.group(2)
    j = rng.randrange(1, len(w) - 1)
    op = rng.choice(["sub", "del", "ins", "swap"])
    letters = "abcdefghijklmnopqrstuvwxyz"
    if op == "sub":
        c = rng.choice([x for x in letters if x != w[j].lower()])
        nw = w[:j] + match_case(w[j], c) + w[j + 1:]
    elif op == "del":
        nw = w[:j] + w[j + 1:]
    elif op == "ins":
        nw = w[:j] + match_case(w[j], rng.choice(letters)) + w[j:]
    else:
        if w[j] == w[j + 1]:
            return None
        nw = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    pieces[i] = m.group(1) + nw + m.group(3)
    return " ".join(pieces)


def v_nospace(rng, e, name):
    pieces = name.split(" ")
    cands = [i for i in range(len(pieces) - 1)
             if re.fullmatch(r"[^\W\d_]+", pieces[i]) and re.fullmatch(r"[^\W\d_]+,?", pieces[i + 1])
             and pieces[i].lower() not in STOP and pieces[i + 1].lower().strip(",") not in STOP]
    if not cands:
        return None
    i = rng.choice(cands)
    return " ".join(pieces[:i] + [pieces[i] + pieces[i + 1]] + pieces[i + 2:])


def v_combo(rng, e, name):
    """The shipping-document form: upper case, business words abbreviated, legal form as CO LTD / LTD or gone."""
    core, key, _, _ = legal_split(name)
    if not content_words(core):
        return None
    ab = v_abbrev(rng, e, core, force_all=True)
    if ab is None:
        return None
    tail = rng.choice(["CO LTD", "LTD", "CO", ""]) if key is not None else ""
    return " ".join((ab + " " + tail).upper().replace(",", " ").replace(".", " ").split())


KINDS = {
    "exact": v_exact, "case_punct": v_case_punct, "abbrev": v_abbrev, "legal_drop": v_legal_drop,
    "legal_change": v_legal_change, "reorder": v_reorder, "typo": v_typo, "nospace": v_nospace,
    "combo": v_combo,
}


def clean_name(s):
    return (3 <= len(s) <= 100 and ";" not in s and not re.search(r"\d{3,}", s)
            and any(len(w) >= 3 for w in words(s)) and "http" not in s)


def label(idx, query, kind, e, expected_names):
    return {"id": idx, "query": query, "kind": kind, "expect": True, "list": e.list_id, "entry": e.key,
            "source": e.name, "expected_names": sorted({evallib.norm(n) for n in expected_names if evallib.norm(n)}),
            "expected_cores": sorted({evallib.core_key(n) for n in expected_names if evallib.core_key(n)})}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lists-dir", required=True, help="../shared/data/lists")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--per-kind", type=int, default=400, help="positives per variant kind")
    ap.add_argument("--negatives", type=int, default=50000, help="yente innocent names (max 50000)")
    ap.add_argument("--negatives-file", default="negatives_global.csv")
    ap.add_argument("--synthetic-decoys", type=int, default=300)
    args = ap.parse_args()

    here = os.path.dirname(os.path.abspath(__file__))
    rng = random.Random(args.seed)
    entries = evallib.load_lists(args.lists_dir)
    os.makedirs(args.out, exist_ok=True)

    # Every name on the lists, normalised, for the decoy checks.
    all_norm = set()
    token_sets = []
    vocab = set()
    with open(os.path.join(args.out, "list_names.tsv"), "w", encoding="utf-8") as f:
        for e in entries:
            for n in [e.name] + e.aliases:
                k = evallib.norm(n)
                if not k:
                    continue
                all_norm.add(k)
                all_norm.add(" ".join(sorted(k.split())))
                ws = set(k.split())
                token_sets.append(ws)
                vocab |= ws
                f.write(f"{e.key}\t{e.list_id}\t{e.name.replace(chr(9), ' ')}\t{n.replace(chr(9), ' ')}\n")
    by_norm = {}
    for e in entries:
        by_norm.setdefault(evallib.norm(e.name), []).append(e)

    def expected_for(e):
        names = [e.name] + e.aliases
        for other in by_norm.get(evallib.norm(e.name), []):  # the same name on other lists
            names += [other.name] + other.aliases
        return names

    usable = [e for e in entries if e.etype not in ("vessel", "aircraft") and clean_name(e.name)]
    china = [e for e in usable if e.country.startswith("China") or e.list_id in CHINA_LISTS]
    labels = []
    counts = {}

    for kind, fn in KINDS.items():
        got, seen = 0, set()
        order_c = rng.sample(china, len(china))
        order_a = rng.sample(usable, len(usable))
        pools = [order_c, order_a]
        pi = [0, 0]
        tries = 0
        while got < args.per_kind and tries < args.per_kind * 40:
            tries += 1
            which = got % 2  # half Chinese entities, half from all lists
            if pi[which] >= len(pools[which]):
                which = 1 - which
                if pi[which] >= len(pools[which]):
                    break
            e = pools[which][pi[which]]
            pi[which] += 1
            if e.key in seen:
                continue
            q = fn(rng, e, e.name)
            if not q or not evallib.norm(q) or len(evallib.norm(q)) < 3:
                continue
            seen.add(e.key)
            labels.append(label(f"p-{kind}-{got}", q, kind, e, expected_for(e)))
            got += 1
        counts[kind] = got

    # Aliases: query an alias, expect its entry.
    got = 0
    alias_pool = [(e, a) for e in usable for a in e.aliases
                  if clean_name(a) and len(a) <= 80 and evallib.norm(a) != evallib.norm(e.name)]
    for e, a in rng.sample(alias_pool, min(len(alias_pool), args.per_kind)):
        labels.append(label(f"p-alias-{got}", a, "alias", e, expected_for(e)))
        got += 1
    counts["alias"] = got

    # Chinese-script forms (hand table), kept when the English name is on a loaded list.
    dropped_cn = []
    names_to_entry = {}
    for e in entries:
        for n in [e.name] + e.aliases:
            names_to_entry.setdefault(evallib.norm(n), e)
    got = {"pinyin": 0, "translated": 0}
    with open(os.path.join(here, "chinese_names.tsv"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            zh, en, how = line.rstrip("\n").split("\t")
            alts = [a.strip() for a in en.split("|") if a.strip()]
            found = [names_to_entry[evallib.norm(a)] for a in alts if evallib.norm(a) in names_to_entry]
            if not found:
                dropped_cn.append(en)
                continue
            kind = f"chinese_{how}"
            expected = alts + [n for f in found for n in expected_for(f)]
            labels.append(label(f"p-{kind}-{got[how]}", zh, kind, found[0], expected))
            got[how] += 1
    counts["chinese_pinyin"], counts["chinese_translated"] = got["pinyin"], got["translated"]

    # Decoys 1: yente's synthetic innocent persons.
    neg_path = os.path.join(args.lists_dir, "name-matching-benchmarks", "yente_candidate_generation",
                            args.negatives_file)
    with open(neg_path, encoding="utf-8", newline="") as f:
        negs = [r["full_name"].strip() for r in csv.DictReader(f) if r["full_name"].strip()]
    if args.negatives < len(negs):
        negs = rng.sample(negs, args.negatives)
    on_list = 0
    for i, n in enumerate(negs):
        k = evallib.norm(n)
        if k in all_norm or " ".join(sorted(k.split())) in all_norm:
            on_list += 1  # a synthetic name that happens to be a listed name is not innocent
            continue
        labels.append({"id": f"n-yente-{i}", "query": n, "kind": "decoy_innocent_person", "expect": False})
    counts["decoy_innocent_person"] = len(negs) - on_list

    # Decoys 2: real look-alike companies, unless their distinctive words all occur in one listed name.
    dropped_real = []
    got = 0
    with open(os.path.join(here, "real_decoys.txt"), encoding="utf-8") as f:
        for line in f:
            n = line.strip()
            if not n or n.startswith("#"):
                continue
            dist = set(content_words(n))
            if not dist or any(dist <= ts for ts in token_sets):
                dropped_real.append(n)
                continue
            labels.append({"id": f"n-real-{got}", "query": n, "kind": "decoy_real_company", "expect": False})
            got += 1
    counts["decoy_real_company"] = got

    # Decoys 3: a Chinese city, an invented pinyin brand more than one edit away from every listed
    # word, and listed-looking business words ("Shenzhen Qiaolan Microelectronics Co., Ltd.").
    near = set(vocab)
    for w in vocab:
        if len(w) >= 4:
            for j in range(len(w)):
                near.add(w[:j] + w[j + 1:])
    places = ["Shenzhen", "Beijing", "Shanghai", "Guangzhou", "Hangzhou", "Wuhan", "Chengdu", "Xi'an", "Tianjin",
              "Nanjing", "Suzhou", "Hefei", "Xiamen", "Dongguan", "Hong Kong"]
    got, seen = 0, set()
    while got < args.synthetic_decoys:
        brand = rng.choice(PINYIN) + rng.choice(PINYIN)
        if brand in seen or brand in near or any(brand[:j] + brand[j + 1:] in near for j in range(len(brand))):
            continue
        seen.add(brand)
        n = f"{rng.choice(places)} {brand.capitalize()} {rng.choice(SYNTH_BUSINESS)} {rng.choice(SYNTH_LEGAL)}"
        labels.append({"id": f"n-synth-{got}", "query": n, "kind": "decoy_synthetic_company", "expect": False})
        got += 1
    counts["decoy_synthetic_company"] = got

    with open(os.path.join(args.out, "labels.jsonl"), "w", encoding="utf-8") as f:
        for lab in labels:
            f.write(json.dumps(lab, ensure_ascii=False) + "\n")
    with open(os.path.join(args.out, "queries.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "name"])
        for lab in labels:
            w.writerow([lab["id"], lab["query"]])
    with open(os.path.join(args.out, "queries.jsonl"), "w", encoding="utf-8") as f:
        for lab in labels:
            f.write(json.dumps({"id": lab["id"], "name": lab["query"]}, ensure_ascii=False) + "\n")
    manifest = {"seed": args.seed, "lists": evallib.DEFAULT_LIST_PATHS, "entries": len(entries),
                "names_and_aliases": len(token_sets), "counts": counts,
                "negatives_on_a_list_removed": on_list, "real_decoys_dropped_as_listed": dropped_real,
                "chinese_rows_not_on_lists": dropped_cn}
    with open(os.path.join(args.out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
    print(json.dumps({"counts": counts, "entries": len(entries), "names_and_aliases": len(token_sets),
                      "real_decoys_dropped": len(dropped_real), "chinese_not_on_lists": dropped_cn},
                     ensure_ascii=False))


if __name__ == "__main__":
    main()
