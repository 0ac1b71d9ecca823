#!/usr/bin/env python3
"""HTTP clients for scripts/fault-injection.sh (standard library only).

  load     N clients post decide requests until a stop file appears; each answer is one JSON line
           {"t": send time, "status", "id": decision_id or null, "order": order id} in --out.
  check    reads load files and asks a running server for every acknowledged decision
           (GET /v1/decisions/{id}): prints {"checked", "found", "wrong", "missing"} as JSON.
  ready    GET /readyz once: prints {"status", "seconds", "body"}.
  decide   one decide request: prints {"status", "seconds"}.
  slow     opens N connections that each send one header line every --every seconds for --seconds,
           while probing /healthz and a decide from a normal client: prints the worst latencies.
  flood    N connections send unauthenticated decide requests for --seconds: prints how many were sent.
"""
import argparse
import http.client
import json
import os
import socket
import sys
import threading
import time


def order(order_id):
    return {"order_id": order_id, "date": "2026-11-25", "product_id": "nvidia-h100-sxm5-80gb", "quantity": 1,
            "value_usd": 30000, "ship_to": "DE", "consignee": "Example Cloud GmbH",
            "end_user": "Example Cloud GmbH", "end_user_country": "DE"}


def post_decide(conn, key, order_id):
    body = json.dumps(order(order_id))
    conn.request("POST", "/v1/decide", body, {"Authorization": "Bearer " + key,
                                              "Content-Type": "application/json"})
    r = conn.getresponse()
    return r.status, r.read()


def load(args):
    lock = threading.Lock()
    out = open(args.out, "a")

    def client(n):
        conn = None
        i = 0
        while not os.path.exists(args.stop_file):
            i += 1
            oid = "%s-%d-%d" % (args.tag, n, i)
            t = time.time()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
                status, body = post_decide(conn, args.key, oid)
            except (OSError, http.client.HTTPException):
                conn = None
                time.sleep(0.05)
                continue
            did = None
            if status == 200:
                try:
                    did = json.loads(body).get("decision_id")
                except ValueError:
                    pass
            with lock:
                out.write(json.dumps({"t": t, "status": status, "id": did, "order": oid}) + "\n")
            if status != 200:
                time.sleep(0.02)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    out.close()


def check(args):
    acked = []
    for path in args.files:
        with open(path) as f:
            for line in f:
                rec = json.loads(line)
                if rec["status"] == 200 and rec["id"] is not None:
                    acked.append((rec["id"], rec["order"]))
    conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
    found = wrong = 0
    missing = []
    for did, oid in acked:
        conn.request("GET", "/v1/decisions/%d" % did, headers={"Authorization": "Bearer " + args.key})
        r = conn.getresponse()
        body = r.read()
        if r.status == 200:
            got = json.loads(body)["inputs"]["order"]["order_id"]
            if got == oid:
                found += 1
            else:
                wrong += 1
        else:
            missing.append(did)
    print(json.dumps({"checked": len(acked), "found": found, "wrong": wrong, "missing": missing[:20]}))


def ready(args):
    t = time.time()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
        conn.request("GET", "/readyz")
        r = conn.getresponse()
        print(json.dumps({"status": r.status, "seconds": round(time.time() - t, 3), "body": r.read().decode()}))
    except (OSError, http.client.HTTPException) as e:
        print(json.dumps({"status": None, "seconds": round(time.time() - t, 3), "body": str(e)}))


def decide(args):
    t = time.time()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
        status, _ = post_decide(conn, args.key, "ONE-%d" % int(t))
    except (OSError, http.client.HTTPException) as e:
        status = str(e)
    print(json.dumps({"status": status, "seconds": round(time.time() - t, 3)}))


def slow(args):
    stop = time.time() + args.seconds
    socks = []
    for _ in range(args.connections):
        try:
            s = socket.create_connection(("127.0.0.1", args.port), timeout=5)
            s.sendall(b"POST /v1/decide HTTP/1.1\r\nHost: x\r\n")
            socks.append(s)
        except OSError:
            pass
    worst_health = worst_decide = 0.0
    failures = 0

    def drip():
        while time.time() < stop:
            time.sleep(args.every)
            for s in socks:
                try:
                    s.sendall(b"X-Slow: 1\r\n")
                except OSError:
                    pass

    th = threading.Thread(target=drip)
    th.start()
    while time.time() < stop:
        for what in ("health", "decide"):
            t = time.time()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=args.limit)
                if what == "health":
                    conn.request("GET", "/healthz")
                    ok = conn.getresponse().status == 200
                else:
                    ok = post_decide(conn, args.key, "SLOW-%f" % t)[0] == 200
            except (OSError, http.client.HTTPException):
                ok = False
            took = time.time() - t
            if not ok:
                failures += 1
            if what == "health":
                worst_health = max(worst_health, took)
            else:
                worst_decide = max(worst_decide, took)
        time.sleep(0.5)
    th.join()
    for s in socks:
        s.close()
    print(json.dumps({"slow_connections": len(socks), "worst_healthz_s": round(worst_health, 3),
                      "worst_decide_s": round(worst_decide, 3), "failed_probes": failures}))


def flood(args):
    stop = time.time() + args.seconds
    sent = [0]
    lock = threading.Lock()

    def client():
        conn = None
        while time.time() < stop:
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=10)
                conn.request("POST", "/v1/decide", json.dumps(order("ANON")), {"Content-Type": "application/json"})
                conn.getresponse().read()
                with lock:
                    sent[0] += 1
            except (OSError, http.client.HTTPException):
                conn = None

    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    print(json.dumps({"sent": sent[0]}))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("load")
    a.add_argument("--port", type=int, required=True)
    a.add_argument("--key", required=True)
    a.add_argument("--clients", type=int, default=4)
    a.add_argument("--out", required=True)
    a.add_argument("--stop-file", required=True)
    a.add_argument("--tag", default="F")
    a.set_defaults(fn=load)
    a = sub.add_parser("check")
    a.add_argument("--port", type=int, required=True)
    a.add_argument("--key", required=True)
    a.add_argument("files", nargs="+")
    a.set_defaults(fn=check)
    for name, fn in (("ready", ready), ("decide", decide)):
        a = sub.add_parser(name)
        a.add_argument("--port", type=int, required=True)
        a.add_argument("--key", default="")
        a.set_defaults(fn=fn)
    a = sub.add_parser("slow")
    a.add_argument("--port", type=int, required=True)
    a.add_argument("--key", required=True)
    a.add_argument("--connections", type=int, default=64)
    a.add_argument("--every", type=float, default=3.0)
    a.add_argument("--seconds", type=float, default=20.0)
    a.add_argument("--limit", type=float, default=5.0)
    a.set_defaults(fn=slow)
    a = sub.add_parser("flood")
    a.add_argument("--port", type=int, required=True)
    a.add_argument("--clients", type=int, default=8)
    a.add_argument("--seconds", type=float, default=10.0)
    a.set_defaults(fn=flood)
    args = p.parse_args()
    args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
