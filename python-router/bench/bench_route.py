"""Benchmark the router: start-up time to ready, /route latency on one keep-alive connection and under
concurrent keep-alive clients, and classification time per query.

Usage (from python-router/):
    python3 bench/bench_route.py [--sequential 200] [--clients 8] [--requests 500] [--startups 5]
                                 [--url http://127.0.0.1:8888]

Without --url it starts its own router (``python3 -m ai_router --port 0``) and stops it afterwards.
Each client thread holds one keep-alive http.client connection. Figures are printed as plain text.

The one-connection part watches for the Nagle + delayed-ACK stall: a server that sends headers and
body in separate writes makes every keep-alive response wait ~40 ms for the client's delayed ACK. The
router sends one buffer and sets TCP_NODELAY; the part prints how many responses took >= 40 ms, which
should be none or a few on a busy machine, and a median far below it.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ai_router.catalogue import load_catalogue  # noqa: E402
from ai_router.handlers import HANDLERS  # noqa: E402
from ai_router.router import Router  # noqa: E402
from tests.heldout import HELD_OUT  # noqa: E402

READY = re.compile(r"\[OK\] AI router ready on http://[^:]+:(\d+) \(\d+ agents, (\d+) ms[;)]")
HISTORY = [{"role": "user", "content": "Hello"}, {"role": "assistant", "content": "Hello! How can I help?"}]
STALL_MS = 40.0


def start_router() -> Tuple[subprocess.Popen, int, float, int]:
    """Spawn a router; returns the process, its port, wall-clock ms to the ready line, self-reported ms."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "ai_router", "--port", "0"],
                            cwd=str(ROOT), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            env=dict(os.environ, PYTHONUNBUFFERED="1"))
    assert proc.stderr is not None
    for raw in proc.stderr:
        match = READY.search(raw.decode("utf-8", "replace"))
        if match:
            wall_ms = (time.perf_counter() - started) * 1000
            threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()  # drain
            return proc, int(match.group(1)), wall_ms, int(match.group(2))
    raise SystemExit("router exited before it was ready")


def stop_router(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(10)


def percentile(values: List[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def client(host: str, port: int, requests: int, offset: int, out: List[float], served: List[float],
           errors: List[str]) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        for i in range(requests):
            query = HELD_OUT[(offset + i) % len(HELD_OUT)][0] if i % 5 else "What did I just say?"
            body = json.dumps({"query": query, "session_id": f"bench-{offset}", "history": HISTORY})
            started = time.perf_counter()
            conn.request("POST", "/route", body=body, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            data = response.read()
            out.append((time.perf_counter() - started) * 1000)
            if response.status != 200:
                errors.append(f"{response.status} {data[:100]!r}")
            else:
                served.append(json.loads(data)["classification_latency_ms"])
    finally:
        conn.close()


def sequential_test(host: str, port: int, requests: int) -> Dict[str, float]:
    """One keep-alive connection, one request at a time: latency per /route and the count of stalled ones."""
    warm: List[float] = []
    errors: List[str] = []
    client(host, port, 20, 0, warm, [], errors)
    latencies: List[float] = []
    client(host, port, requests, 3, latencies, [], errors)
    if errors:
        print(f"errors: {len(errors)}, first: {errors[0]}")
    return {"requests": len(latencies), "median": statistics.median(latencies), "p90": percentile(latencies, 0.90),
            "max": max(latencies), "stalled": sum(t >= STALL_MS for t in latencies)}


def load_test(host: str, port: int, clients: int, requests: int) -> Dict[str, float]:
    warm: List[float] = []
    client(host, port, 50, 0, warm, [], [])
    latencies: List[float] = []
    classify: List[float] = []
    errors: List[str] = []
    threads = [threading.Thread(target=client, args=(host, port, requests, n * 7, latencies, classify, errors))
               for n in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if errors:
        print(f"errors: {len(errors)}, first: {errors[0]}")
    return {"requests": len(latencies), "seconds": elapsed, "throughput": len(latencies) / elapsed,
            "median": statistics.median(latencies), "p90": percentile(latencies, 0.90),
            "p99": percentile(latencies, 0.99), "max": max(latencies),
            "server_classification_ms": statistics.mean(classify) if classify else float("nan")}


def classification_time(rounds: int = 200) -> Tuple[float, float]:
    """In-process: mean microseconds per Router.decide() and per classifier.predict() on held-out queries."""
    router = Router.train(load_catalogue(None, HANDLERS.keys()))
    queries = [q for q, _ in HELD_OUT]
    started = time.perf_counter()
    for _ in range(rounds):
        for q in queries:
            router.decide(q)
    decide_us = (time.perf_counter() - started) / (rounds * len(queries)) * 1e6
    started = time.perf_counter()
    for _ in range(rounds):
        for q in queries:
            router.classifier.predict(q)
    predict_us = (time.perf_counter() - started) / (rounds * len(queries)) * 1e6
    return decide_us, predict_us


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sequential", type=int, default=200,
                        help="requests on one keep-alive connection, one at a time (0 skips this part)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=500, help="requests per client")
    parser.add_argument("--startups", type=int, default=5, help="router starts to time (ignored with --url)")
    parser.add_argument("--url", help="benchmark an already running router instead of starting one")
    args = parser.parse_args(argv)

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    proc = None
    if args.url:
        parts = urlsplit(args.url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 8888
    else:
        walls, selfs = [], []
        for _ in range(args.startups):
            p, port, wall, reported = start_router()
            walls.append(wall)
            selfs.append(reported)
            stop_router(p)
        print(f"start-up to ready: median {statistics.median(walls):.0f} ms wall clock from spawn "
              f"(min {min(walls):.0f}, max {max(walls):.0f}; router's own figure median "
              f"{statistics.median(selfs):.0f} ms) over {args.startups} starts")
        proc, port, _, _ = start_router()
        host = "127.0.0.1"
    try:
        seq = sequential_test(host, port, args.sequential) if args.sequential > 0 else None
        r = load_test(host, port, args.clients, args.requests)
    finally:
        if proc is not None:
            stop_router(proc)
    if seq is not None:
        print(f"/route, 1 keep-alive connection, {int(seq['requests'])} sequential requests: "
              f"median {seq['median']:.2f} ms, p90 {seq['p90']:.2f} ms, max {seq['max']:.2f} ms; "
              f"{int(seq['stalled'])} took >= {STALL_MS:.0f} ms (the Nagle + delayed-ACK stall would make it every one)")
    print(f"/route, {args.clients} concurrent keep-alive clients, {int(r['requests'])} requests in "
          f"{r['seconds']:.2f} s ({r['throughput']:.0f} req/s): median {r['median']:.2f} ms, "
          f"p90 {r['p90']:.2f} ms, p99 {r['p99']:.2f} ms, max {r['max']:.2f} ms")
    print(f"classification inside the server (classification_latency_ms): mean {r['server_classification_ms']:.3f} ms")
    decide_us, predict_us = classification_time()
    print(f"classification in process: {decide_us:.0f} µs per decision (arithmetic check + classifier), "
          f"{predict_us:.0f} µs per classifier.predict")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
