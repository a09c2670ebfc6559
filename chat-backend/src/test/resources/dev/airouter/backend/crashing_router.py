"""A pool replica that dies on its first chat request, before answering anything; then the real router.

Usage: python3 crashing_router.py ROUTER_SOURCES START_COUNTER_FILE   (port from ROUTER_PORT).
The first process started (counted in START_COUNTER_FILE, under a lock) answers GET /health like
ai-router and exits with code 1 as soon as a POST /route arrives: a router crash before any event.
Every later process (the other replica, and this one's restart) runs the bundled router from
ROUTER_SOURCES in its place (exec: same pid, same parent).
"""

import fcntl
import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sources, counter_file = sys.argv[1], sys.argv[2]
with open(counter_file, "a+") as counter:
    fcntl.flock(counter, fcntl.LOCK_EX)
    counter.seek(0)
    number = int(counter.read().strip() or "0") + 1
    counter.seek(0)
    counter.truncate()
    counter.write(str(number))
if number > 1:
    os.chdir(sources)
    os.execv(sys.executable, [sys.executable, "-m", "ai_router", "--lifeline", "ppid"])


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = json.dumps({"status": "ok", "service": "ai-router"}).encode("utf-8")
        self.wfile.write((f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1") + body)

    def do_POST(self):
        print("crashing on a chat request", flush=True)
        os._exit(1)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["ROUTER_PORT"])), Handler)
server.daemon_threads = True
signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
print("crashing router ready", flush=True)
server.serve_forever()
