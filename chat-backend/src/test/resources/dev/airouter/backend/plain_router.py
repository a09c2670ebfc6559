"""A stand-in for a third-party router that advertises neither limits nor agents.

GET /health answers {"status": "ok"} only. POST /route refuses, with a 400 like the bundled router's,
more than MAX_HISTORY history messages and any agent other than "echo"; otherwise it answers with
the number of history messages it received, and in "reasoning" the SHA-1 of their contents (joined by
newlines, oldest first), so a test can check exactly which history it was sent.

Usage: python3 plain_router.py MAX_HISTORY [GATE_FILE]   (port from ROUTER_PORT). With GATE_FILE,
GET /health answers 503 until that file exists (a router that listens long before it is ready).
Exits on SIGTERM.
"""

import hashlib
import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def digest(history):
    text = "\n".join(str(m.get("content", "")) for m in history)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def _send(self, status, payload):
        body = json.dumps(payload).encode("utf-8")
        head = (f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1")
        self.wfile.write(head + body)

    def do_GET(self):
        if GATE and not os.path.exists(GATE):
            self._send(503, {"status": "starting"})
            return
        self._send(200, {"status": "ok"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        request = json.loads(self.rfile.read(length))
        history = request.get("history") or []
        if len(history) > MAX_HISTORY:
            self._send(400, {"success": False, "error": f"'history' has {len(history)} messages (limit {MAX_HISTORY})"})
            return
        agent = request.get("agent")
        if agent not in (None, "echo"):
            self._send(400, {"success": False, "error": f"unknown agent {agent!r}; valid agents: echo"})
            return
        self._send(200, {"success": True, "agent": "echo", "confidence": 1.0,
                         "content": f"{len(history)} history messages", "reasoning": "history sha1 " + digest(history),
                         "classification_latency_ms": 0.0, "latency_ms": 0.0, "fallback_triggered": False})

    def log_message(self, *args):
        pass


MAX_HISTORY = int(sys.argv[1])
GATE = sys.argv[2] if len(sys.argv) > 2 else None
server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["ROUTER_PORT"])), Handler)
server.daemon_threads = True
signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
print("plain router ready", flush=True)
server.serve_forever()
