#!/usr/bin/env python3
"""Writes a synthetic catalog of N rows by repeating the shared catalog's rows with unique ids.

Deterministic (stdlib only): row n is shared row n % 80 with id "<id>-r<n // 80>", the layout
bench/classify_bench.cpp builds in memory.

    python3 bench/make_synthetic_catalog.py 100000 /tmp/x.csv [--source ../shared/data/accelerators.csv]
"""
import argparse
import csv
import os
import sys


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    default_source = os.path.normpath(os.path.join(here, "..", "..", "shared", "data", "accelerators.csv"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=int, help="number of data rows to write")
    parser.add_argument("output", help="output CSV path ('-' for stdout)")
    parser.add_argument("--source", default=default_source, help="catalog to repeat (default: %(default)s)")
    args = parser.parse_args()
    if args.rows < 0:
        parser.error("rows must be >= 0")

    with open(args.source, newline="", encoding="utf-8") as f:
        records = list(csv.reader(f))
    if len(records) < 2:
        parser.error(f"{args.source}: no data rows")
    header, rows = records[0], records[1:]
    id_col = header.index("id")

    out = sys.stdout if args.output == "-" else open(args.output, "w", newline="", encoding="utf-8")
    try:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        for n in range(args.rows):
            fields = list(rows[n % len(rows)])
            fields[id_col] = f"{fields[id_col]}-r{n // len(rows)}"
            writer.writerow(fields)
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
