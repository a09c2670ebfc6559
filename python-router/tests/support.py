"""Shared test fixtures: an in-process server on a free port, HTTP helpers, a streamed-answer client
that checks the event framing, log capture (plain and as JSON lines), router subprocesses."""

from __future__ import annotations

import http.client
import json
import logging
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import unittest
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from ai_router.catalogue import load_catalogue
from ai_router.handlers import HANDLERS
from ai_router.logs import FORMAT_VARIABLE, GENERATION_VARIABLE, JsonFormatter, RequestContextFilter
from ai_router.router import Router
from ai_router.server import RouterHTTPServer, ServerConfig, create_server
from ai_router.spawner import INSTANCE_VARIABLE, PID_VARIABLE, SpawnedBy

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
                 config: ServerConfig = ServerConfig(request_timeout_s=5.0),
                 spawned_by: Optional[SpawnedBy] = None) -> RouterHTTPServer:
    """Serve on ('127.0.0.1', 0) in a thread; shut down and close in the test's cleanup."""
    server = create_server(router or shared_router(), "127.0.0.1", 0, config, spawned_by)
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


_EVENT = re.compile(r"event: ([a-z]+)\ndata: ([^\n]*)\n\n", re.DOTALL)


@dataclass(frozen=True)
class Event:
    """One server-sent event of a streamed /route answer; ``at`` is its arrival (time.monotonic())."""

    name: str
    data: Dict[str, Any]
    at: float


def parse_event(payload: bytes) -> Event:
    """One chunk's payload, which must be exactly ``event: NAME\ndata: JSON\n\n`` with JSON on one line
    for every line splitter (no CR, no U+2028/U+2029/U+0085, which str.splitlines would split at)."""
    text = payload.decode("utf-8")
    match = _EVENT.fullmatch(text)
    if match is None:
        raise AssertionError(f"not exactly one event in the chunk: {text[:300]!r}")
    line = match.group(2)
    if len(line.splitlines()) != 1 or "\r" in line:
        raise AssertionError(f"the event's data is not one line: {line[:300]!r}")
    return Event(match.group(1), json.loads(line), time.monotonic())


class StreamClient:
    """A raw keep-alive connection for POST /route; reads a streamed answer chunk by chunk as it arrives.

    Checks the framing as it goes: chunked transfer encoding, each chunk exactly one event
    (``parse_event``). Closed in the test's cleanup (or earlier with ``close``, to leave mid-answer).
    """

    def __init__(self, test: unittest.TestCase, port: int, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.reader = self.sock.makefile("rb")
        self.status = 0
        self.headers: Dict[str, str] = {}
        self.finished = False
        test.addCleanup(self.close)

    def post(self, body: Any, headers: Optional[Dict[str, str]] = None, version: str = "HTTP/1.1",
             pipelined: bytes = b"") -> int:
        """Sends POST /route (a dict as JSON, bytes as is) and reads the status line and headers."""
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        lines = [f"POST /route {version}", "Host: 127.0.0.1", "Content-Type: application/json",
                 f"Content-Length: {len(data)}"] + [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + data + pipelined)
        return self.read_head()

    def read_head(self) -> int:
        """Reads a response's status line and headers (names lower-cased); returns the status."""
        status_line = self.reader.readline().decode("latin-1")
        if not status_line:
            raise AssertionError("the connection closed before a response")
        self.status = int(status_line.split()[1])
        self.headers = {}
        while True:
            line = self.reader.readline().decode("latin-1").rstrip("\r\n")
            if not line:
                break
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        self.finished = False
        return self.status

    def json_body(self) -> Dict[str, Any]:
        """A Content-Length body (an error, or a non-streamed answer), decoded."""
        return json.loads(self.reader.read(int(self.headers["content-length"])).decode("utf-8"))

    def next_event(self) -> Optional[Event]:
        """The next event, or None after the last chunk; waits for it to arrive."""
        if self.finished:
            return None
        if self.headers.get("transfer-encoding") != "chunked":  # HTTP/1.0: events up to the end of the connection
            raw = b""
            while not raw.endswith(b"\n\n"):
                line = self.reader.readline()
                if not line:
                    self.finished = True
                    if raw:
                        raise AssertionError(f"the stream ended inside an event: {raw[:200]!r}")
                    return None
                raw += line
            return parse_event(raw)
        size_line = self.reader.readline()
        if not size_line.endswith(b"\r\n"):
            raise AssertionError(f"bad chunk size line: {size_line[:80]!r}")
        size = int(size_line, 16)
        payload = self.reader.read(size)
        if self.reader.read(2) != b"\r\n":
            raise AssertionError("a chunk did not end with CRLF")
        if size == 0:
            self.finished = True
            return None
        return parse_event(payload)

    def events(self) -> List[Event]:
        """All remaining events, up to the end of the answer."""
        found = []
        while True:
            event = self.next_event()
            if event is None:
                return found
            found.append(event)

    def close(self) -> None:
        """Leaves: closes the connection (a client that goes away mid-answer)."""
        self.reader.close()
        self.sock.close()


def stream_route(test: unittest.TestCase, port: int, body: Dict[str, Any],
                 headers: Optional[Dict[str, str]] = None) -> List[Event]:
    """POST /route with ``"stream": true`` added; expects 200 and returns every event."""
    client = StreamClient(test, port)
    status = client.post(dict(body, stream=True), headers)
    if status != 200:
        raise AssertionError(f"streamed POST /route -> {status} {client.json_body()}")
    events = client.events()
    client.close()
    return events


def check_answer(test: unittest.TestCase, events: List[Event]) -> Dict[str, Any]:
    """Asserts meta, one or more deltas, done, with the delta texts joining to done.content; returns done."""
    names = [e.name for e in events]
    test.assertEqual("meta", names[0], names)
    test.assertEqual("done", names[-1], names)
    test.assertEqual({"delta"}, set(names[1:-1]), names)
    test.assertGreaterEqual(len(names), 3, names)
    texts = [e.data["text"] for e in events[1:-1]]
    test.assertTrue(all(texts), "an empty delta")
    done = events[-1].data
    test.assertEqual(done["content"], "".join(texts))
    return done


class LogCapture(logging.Handler):
    """Collects a logger's messages (at ``level`` and above) for the test's duration; thread-safe."""

    def __init__(self, test: unittest.TestCase, name: str, level: int = logging.INFO) -> None:
        super().__init__(level)
        self.messages: List[str] = []
        logger = logging.getLogger(name)
        old_level = logger.level
        logger.setLevel(level)
        logger.addHandler(self)
        test.addCleanup(lambda: (logger.removeHandler(self), logger.setLevel(old_level)))

    def emit(self, record: logging.LogRecord) -> None:
        with self.lock:
            self.messages.append(record.getMessage())

    def wait_for(self, pattern: str, timeout: float) -> Optional[re.Match]:
        """The first message matching ``pattern``, waiting up to ``timeout`` s for it."""
        regex = re.compile(pattern)
        found: List[re.Match] = []

        def seen() -> bool:
            with self.lock:
                found.extend(m for m in map(regex.search, self.messages) if m)
            return bool(found)

        wait_until(seen, timeout)
        return found[0] if found else None


class JsonLogs(logging.Handler):
    """Formats every ``ai_router`` record (DEBUG and up) as the router's ``--log-format json`` does, for the
    test's duration: the same formatter and request-context filter. ``lines`` are the formatted lines,
    ``records()`` them parsed, after checking that each is one line of JSON."""

    def __init__(self, test: unittest.TestCase) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.addFilter(RequestContextFilter())
        self.lines: List[str] = []
        logger = logging.getLogger("ai_router")
        old_level = logger.level
        logger.setLevel(logging.DEBUG)
        logger.addHandler(self)
        test.addCleanup(lambda: (logger.removeHandler(self), logger.setLevel(old_level)))

    def emit(self, record: logging.LogRecord) -> None:
        line = self.format(record)
        with self.lock:
            self.lines.append(line)

    def records(self) -> List[Dict[str, Any]]:
        with self.lock:
            lines = list(self.lines)
        found = []
        for line in lines:
            if len(line.splitlines()) != 1 or "\r" in line:
                raise AssertionError(f"a log record is not one line: {line[:300]!r}")
            found.append(json.loads(line))
        return found

    def wait_for(self, timeout: float, **fields: Any) -> Optional[Dict[str, Any]]:
        """The first record with all of ``fields`` (``logger="ai_router.access", path="/health"``), waiting
        up to ``timeout`` s for it (the access line is logged just after the response is sent)."""
        found: List[Dict[str, Any]] = []

        def seen() -> bool:
            found.extend(r for r in self.records() if all(r.get(k) == v for k, v in fields.items()))
            return bool(found)

        wait_until(seen, timeout)
        return found[0] if found else None


def open_sockets() -> int:
    """How many sockets this process has open (Linux: /proc/self/fd)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if stat.S_ISSOCK(os.stat(f"/proc/self/fd/{fd}").st_mode):
                count += 1
        except OSError:
            pass  # the directory's own descriptor, or one closed meanwhile
    return count


class RouterProcess:
    """``python3 -m ai_router`` as a child process, with its stderr collected line by line."""

    def __init__(self, args: List[str], env: Optional[Dict[str, str]] = None, stdin: int = subprocess.DEVNULL,
                 command: Optional[List[str]] = None) -> None:
        full_env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1")
        full_env.pop("ROUTER_LLM_URL", None)
        for inherited in (INSTANCE_VARIABLE, PID_VARIABLE, FORMAT_VARIABLE, GENERATION_VARIABLE):
            full_env.pop(inherited, None)  # hermetic even when run under a backend
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
