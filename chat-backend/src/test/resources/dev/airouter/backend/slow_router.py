"""A stand-in router for timing tests: GET /health like ai-router, POST /route answers after a delay.

Usage: python3 slow_router.py DELAY_MS   (port from ROUTER_PORT). Exits on SIGTERM or when stdin closes.
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
server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["ROUTER_PORT"])), Handler)
server.daemon_threads = True
signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
print("slow router ready", flush=True)
server.serve_forever()
