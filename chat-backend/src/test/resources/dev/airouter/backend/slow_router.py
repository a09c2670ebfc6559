"""A stand-in router for timing tests: GET /health like ai-router, POST /route answers after a delay.

Usage: python3 slow_router.py DELAY_MS [START_COUNTER_FILE]   (port from ROUTER_PORT). Exits on SIGTERM.
With START_COUNTER_FILE, only the first process started (counted in that file, under a lock) is slow;
the others answer at once: one slow replica in a pool.
"""

import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def _send(self, status, payload):
        body = json.dumps(payload).encode("utf-8")
        head = (f"HTTP/1.1 {status} OK\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1")
        self.wfile.write(head + body)

    def do_GET(self):
        self._send(200, {"status": "ok", "service": "ai-router"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        request = json.loads(self.rfile.read(length))
        time.sleep(DELAY_MS / 1000.0)
        self._send(200, {"success": True, "agent": "slow", "confidence": 1.0,
                         "content": "slow reply to " + request["query"], "reasoning": "slow fixture",
                         "classification_latency_ms": 0.0, "latency_ms": DELAY_MS,
                         "fallback_triggered": False})

    def log_message(self, *args):
        pass


DELAY_MS = int(sys.argv[1])
if len(sys.argv) > 2:
    import fcntl
    with open(sys.argv[2], "a+") as counter:
        fcntl.flock(counter, fcntl.LOCK_EX)
        counter.seek(0)
        number = int(counter.read().strip() or "0") + 1
        counter.seek(0)
        counter.truncate()
        counter.write(str(number))
    if number > 1:
        DELAY_MS = 0
server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["ROUTER_PORT"])), Handler)
server.daemon_threads = True
signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
print("slow router ready", flush=True)
server.serve_forever()
