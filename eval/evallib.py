"""Shared pieces of the screening accuracy harness (issue 4): reading the published list files
the way a reader of them would, and a plain normalisation used only to decide whether a hit names
the expected entry. Python 3 standard library only."""

import csv
import glob
import json
import os
import re
import unicodedata

# Lists loaded for the harness ("all lists"): the nsfreg JSON folder (Entity List, MEU, DPL, State,
# DoW, DHS, FCC, NS-CMIC, EO 14032), the OFAC SDN list (JSON, 2026-08-20) and the OFAC non-SDN
# consolidated list (raw CONS_PRIM/CONS_ALT).
DEFAULT_LIST_PATHS = [
    "bis-and-others_nsfreg",
    "ofac-sdn_kindrat86/ofac-sdn.json",
    "ofac_watchman-testdata/cons_prim.csv",
]


def norm(s):
    """Lower-case ASCII-ish key: NFKD, diacritics dropped, case folded, every run of non-alphanumeric
    characters one space. Only used to compare a hit's name with the expected entry's names."""
    if s.isascii():
        return " ".join(_NON_ALNUM_ASCII.sub(" ", s.lower()).split())
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = s.casefold()
    s = _NON_WORD.sub(" ", s).replace("_", " ")
    return " ".join(s.split())


_NON_ALNUM_ASCII = re.compile(r"[^a-z0-9]+")
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


_LEGAL_TOKENS = {"co", "ltd", "limited", "company", "corp", "corporation", "inc", "incorporated", "llc", "jsc", "pjsc",
                 "ojsc", "cjsc", "ooo", "oao", "zao", "pao", "ao", "llp", "plc", "gmbh", "ag", "sa", "pte", "pvt", "pty",
                 "private", "group", "holding", "holdings"}


def core_key(s):
    """norm() without leading/trailing legal-form words ("Co., Ltd.", "Corporation", "OOO", "Group"), so
    that the same company filed on two lists with different legal forms counts as the same entry."""
    w = norm(s).split()
    while len(w) > 1 and w[-1] in _LEGAL_TOKENS:
        w.pop()
    while len(w) > 1 and w[0] in _LEGAL_TOKENS:
        w.pop(0)
    return " ".join(w)


class Entry:
    __slots__ = ("list_id", "key", "name", "aliases", "country", "etype")

    def __init__(self, list_id, key, name, aliases, country, etype):
        self.list_id = list_id
        self.key = key
        self.name = name
        self.aliases = aliases
        self.country = country or ""
        self.etype = etype or ""


def _read_nsfreg(path):
    with open(path, encoding="utf-8") as f:
        d = json.load(f)
    if not isinstance(d, dict) or "entities" not in d:
        return []
    out = []
    for i, e in enumerate(d["entities"]):
        name = (e.get("name") or "").strip()
        if not name:
            continue
        aliases = [a.strip() for a in (e.get("aliases") or []) if a and a.strip()]
        out.append(Entry(d.get("list_id", os.path.basename(path)), f"{d.get('list_id')}:{i}", name, aliases,
                         e.get("country"), "entity"))
    return out


def _read_sdn_json(path):
    with open(path, encoding="utf-8") as f:
        d = json.load(f)
    out = []
    for e in d.get("entries", []):
        out.append(Entry("ofac-sdn", f"ofac-sdn:{e['uid']}", e["name"].strip(),
                         [a.strip() for a in e.get("alternateNames") or [] if a.strip()], "", e.get("type")))
    return out


def _read_ofac_raw(prim_path):
    """CONS_PRIM.CSV (no header, -0- empty, CRLF, trailing 0x1A) + CONS_ALT.CSV beside it."""
    def rows(p):
        if not os.path.exists(p):
            return []
        with open(p, encoding="latin-1", newline="") as f:
            text = f.read().replace("\x1a", "")
        return [r for r in csv.reader(text.splitlines()) if r]

    alt_path = os.path.join(os.path.dirname(prim_path), os.path.basename(prim_path).replace("prim", "alt"))
    alts = {}
    for r in rows(alt_path):
        if len(r) >= 4 and r[3].strip() not in ("", "-0-"):
            alts.setdefault(r[0].strip(), []).append(r[3].strip())
    out = []
    for r in rows(prim_path):
        if len(r) < 3 or r[1].strip() in ("", "-0-"):
            continue
        uid = r[0].strip()
        out.append(Entry("ofac-cons", f"ofac-cons:{uid}", r[1].strip(), alts.get(uid, []), "", r[2].strip()))
    return out


def load_lists(lists_dir, paths=None):
    entries = []
    for p in paths or DEFAULT_LIST_PATHS:
        full = os.path.join(lists_dir, p)
        if os.path.isdir(full):
            for f in sorted(glob.glob(os.path.join(full, "*.json"))):
                entries += _read_nsfreg(f)
        elif full.endswith("ofac-sdn.json"):
            entries += _read_sdn_json(full)
        elif full.endswith(".csv"):
            entries += _read_ofac_raw(full)
        else:
            entries += _read_nsfreg(full)
    return entries


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                yield json.loads(line)
