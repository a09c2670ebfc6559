"""Shared test fixtures: an in-process server on a free port, HTTP helpers, router subprocesses."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import unittest
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from ai_router.catalogue import load_catalogue
from ai_router.handlers import HANDLERS
from ai_router.router import Router
from ai_router.server import RouterHTTPServer, ServerConfig, create_server

ROUTER_DIR = Path(__file__).resolve().parent.parent
# host, port, agents, ms, and the moment the socket started listening (ISO-8601 UTC, microseconds)
READY = re.compile(r"\[OK\] AI router ready on http://([^:/]+):(\d+) \((\d+) agents, (\d+) ms; "
                   r"listening since (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)\)")
_shared_router: Optional[Router] = None


def shared_router() -> Router:
    """One trained router for all in-process tests (training takes a few ms but adds up)."""
    global _shared_router
    if _shared_router is None:
        _shared_router = Router.train(load_catalogue(None, HANDLERS.keys()))
    return _shared_router


def start_server(test: unittest.TestCase, router: Optional[Router] = None,
                 config: ServerConfig = ServerConfig(request_timeout_s=5.0)) -> RouterHTTPServer:
    """Serve on ('127.0.0.1', 0) in a thread; shut down and close in the test's cleanup."""
    server = create_server(router or shared_router(), "127.0.0.1", 0, config)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(5)

    test.addCleanup(stop)
    return server


def connect(test: unittest.TestCase, server: RouterHTTPServer, timeout: float = 5.0) -> http.client.HTTPConnection:
    """A keep-alive client connection, closed in cleanup."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    test.addCleanup(conn.close)
    return conn


def request(conn: http.client.HTTPConnection, method: str, path: str, body: Any = None,
            headers: Optional[Dict[str, str]] = None) -> Tuple[int, Dict[str, Any], http.client.HTTPResponse]:
    """Send a request (``body`` dict -> JSON, bytes as is) and return status, decoded JSON, response."""
    data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
    all_headers = {"Content-Type": "application/json"}
    all_headers.update(headers or {})
    conn.request(method, path, body=data, headers=all_headers)
    response = conn.getresponse()
    raw = response.read()
    return response.status, (json.loads(raw.decode("utf-8")) if raw else {}), response


def route(conn: http.client.HTTPConnection, query: str, **fields: Any) -> Dict[str, Any]:
    """POST /route expecting 200; returns the JSON."""
    status, payload, _ = request(conn, "POST", "/route", dict(query=query, **fields))
    if status != 200:
        raise AssertionError(f"POST /route {query!r} -> {status} {payload}")
    return payload


class RouterProcess:
    """``python3 -m ai_router`` as a child process, with its stderr collected line by line."""

    def __init__(self, args: List[str], env: Optional[Dict[str, str]] = None, stdin: int = subprocess.DEVNULL,
                 command: Optional[List[str]] = None) -> None:
        full_env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1")
        full_env.pop("ROUTER_LLM_URL", None)
        full_env.update(env or {})
        self.lines: List[str] = []
        self._ready = threading.Event()
        self._changed = threading.Condition()
        self.proc = subprocess.Popen(command or [sys.executable, "-m", "ai_router", *args], cwd=str(ROUTER_DIR),
                                     stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     env=full_env, start_new_session=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            with self._changed:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for_line(self, pattern: str, timeout: float = 10.0) -> Optional[re.Match]:
        """The first stderr line matching ``pattern`` (regex), or None at the deadline or EOF."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    match = regex.search(line)
                    if match:
                        return match
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (not self._reader.is_alive() and self.proc.poll() is not None):
                    return None
                self._changed.wait(min(remaining, 0.1))

    def wait_ready(self, timeout: float = 10.0) -> int:
        """Wait for the [OK] line; returns the port. Fails with the collected output otherwise."""
        match = self.wait_for_line(READY.pattern, timeout)
        if match is None:
            raise AssertionError("router did not become ready; output:\n" + self.output())
        return int(match.group(2))

    def output(self) -> str:
        with self._changed:
            return "\n".join(self.lines)

    def wait_exit(self, timeout: float) -> Optional[int]:
        """Exit code, or None if still running at the deadline. After an exit, all output is collected."""
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self._reader.join(5)  # stderr reaches EOF once the process (its only writer) is gone
        return code

    def stop(self) -> None:
        """Kill the child (by pid) if it is still running, and reap it."""
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(10)
        self._reader.join(5)
        for stream in (self.proc.stdin, self.proc.stderr):
            if stream is not None:
                stream.close()


def spawn(test: unittest.TestCase, args: List[str], **kwargs: Any) -> RouterProcess:
    """Start a router child; killed and reaped in cleanup."""
    process = RouterProcess(args, **kwargs)
    test.addCleanup(process.stop)
    return process


def pid_alive(pid: int) -> bool:
    """True if ``pid`` runs and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def deadline(seconds: float) -> float:
    """``seconds``, stretched (at most 3x, with a note) when the machine is overloaded.

    The exit-time limits are requirements on a normally loaded machine; with the load average far
    above the CPU count (parallel builds) a process may not even be scheduled for a while.
    """
    load = os.getloadavg()[0] / (os.cpu_count() or 1)
    if load <= 1.5:
        return seconds
    stretched = seconds * min(3.0, load / 1.5)
    print(f"\n[note] load average {load:.1f} per CPU: allowing {stretched:.1f} s instead of {seconds:g} s")
    return stretched


def wait_until(condition: Any, timeout: float, interval: float = 0.02) -> bool:
    """Poll ``condition()`` until true or the deadline; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
