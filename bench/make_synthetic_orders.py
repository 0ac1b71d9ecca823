#!/usr/bin/env python3
"""Writes a deterministic synthetic order book over the products of a catalog, for benchmarks.

usage: make_synthetic_orders.py N CATALOG.csv OUT.csv
Every product is ordered to a rotating set of destinations and parties (two of them on the
bundled sample Entity List), one line in 50 declaring a supercomputer end use.
"""
import csv
import sys

DESTS = ["DE", "CN", "VN", "MY", "MO", "HK", "SG", "IL", "AE", "IN", "SA", "JP"]
HQS = ["DE", "CN", "VN", "CN", "MO", "HK", "US", "IL", "AE", "IN", "SA", "JP"]
USERS = ["Example Lab", "Sugon", "Example Cloud", "Inspur Group", "Example University", "Example AI"]


def main() -> None:
    n, catalog, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    ids = [row["id"] for row in csv.DictReader(open(catalog, newline=""))]
    with open(out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["order_id", "line", "date", "product_id", "quantity", "value_usd", "ship_to", "consignee",
                    "end_user", "end_user_country", "end_user_hq_country", "end_uses", "exporter"])
        for i in range(n):
            k = (i // len(ids) + i) % len(DESTS)
            w.writerow([f"PO-{i // 4}", i % 4 + 1, "2026-11-25", ids[i % len(ids)], 8, 100000, DESTS[k],
                        "Example Consignee", USERS[i % len(USERS)], DESTS[k], HQS[k],
                        "supercomputer" if i % 50 == 0 else "", "NVIDIA"])


if __name__ == "__main__":
    main()
