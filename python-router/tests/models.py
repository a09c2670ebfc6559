"""Language models for tests: FakeModel (in-process, scripted per call) and FakeLlm (test-support's
fake_llm.py as a child process: timed token streams, abandon records)."""

from __future__ import annotations

import http.client
import json
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
import unittest
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Tuple

from ai_router.llm import LlmClient, LlmConfig
from tests.support import ROUTER_DIR, wait_until

FAKE_LLM = (ROUTER_DIR.parent / "test-support" / "src" / "main" / "resources" / "dev" / "airouter" / "testing"
            / "fixtures" / "fake_llm.py")


def llm_client(url: str, timeout: float = 2.0, **env: str) -> LlmClient:
    """An LlmClient for ``url`` configured as from the environment."""
    config = LlmConfig.from_env(dict({"ROUTER_LLM_URL": url, "ROUTER_LLM_TIMEOUT": str(timeout)}, **env))
    assert config is not None
    return LlmClient(config)


@dataclass(frozen=True)
class Stream:
    """A FakeModel step: a streamed answer, one chunk per piece, then ``data: [DONE]``.

    ``broken``: the connection is dropped after the pieces instead. ``raw``: this exact event-stream
    body instead, close-delimited (for CRLF endings, comments and odd chunks).
    """

    pieces: Tuple[str, ...] = ()
    broken: bool = False
    raw: Optional[bytes] = None


@dataclass(frozen=True)
class Whole:
    """A FakeModel step: a JSON completion even when a stream was asked for (servers that ignore it)."""

    content: str


class FakeModel:
    """A tiny OpenAI-compatible /v1/chat/completions endpoint on a free port, scripted per test.

    ``script`` holds one step per call: a status code, "slow" (answer after 1 s), a reply string
    (a JSON completion, or a stream of its words when streaming was asked for), a Stream or a Whole.
    """

    def __init__(self, test: unittest.TestCase) -> None:
        self.requests: List[Any] = []
        self.script: List[Any] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                step = fake.script.pop(0) if fake.script else "ok"
                if step == "slow":
                    time.sleep(1.0)
                    step = "too late"
                try:
                    if isinstance(step, int):
                        self.send_response(step)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                    elif isinstance(step, Stream):
                        self._stream(step)
                    elif isinstance(step, Whole):
                        self._json(step.content)
                    elif body.get("stream"):
                        self._stream(Stream(tuple(w + " " for w in step.split())))
                    else:
                        self._json(step)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the timeout and cancel tests)

            def _json(self, content: str) -> None:
                data = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, step: Stream) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                if step.raw is not None:
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(step.raw)
                    self.close_connection = True
                    return
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                events = [json.dumps({"choices": [{"delta": {"content": p}}]}) for p in step.pieces]
                for data in events + ([] if step.broken else ["[DONE]"]):
                    event = f"data: {data}\n\n".encode()
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
                if step.broken:
                    self.close_connection = True  # no [DONE], no last chunk: the answer breaks off
                else:
                    self.wfile.write(b"0\r\n\r\n")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        test.addCleanup(lambda: (self.server.shutdown(), self.server.server_close()))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that left (the cancel tests)
            super().handle_error(request, client_address)


class FakeLlm:
    """test-support's fake_llm.py as a child process on a free port; stopped (SIGTERM) in cleanup."""

    def __init__(self, test: unittest.TestCase, *args: str, start_timeout: float = 10.0) -> None:
        self.stderr = ""
        self.proc = subprocess.Popen([sys.executable, str(FAKE_LLM), "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                                     env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
        test.addCleanup(self.stop)
        assert self.proc.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self.proc.stdout, selectors.EVENT_READ)
            line = self.proc.stdout.readline() if selector.select(start_timeout) else b""
        prefix = b"fake-llm listening on 127.0.0.1:"
        if not line.startswith(prefix):
            self.stop()
            raise AssertionError(f"fake_llm.py did not start: {line!r}; stderr: {self.stderr}")
        self.port = int(line[len(prefix):])
        self.url = f"http://127.0.0.1:{self.port}"

    def call(self, method: str, path: str, body: Any = None) -> Tuple[int, Any]:
        """One request; returns the status and the decoded JSON body (None when empty)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
            conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            raw = response.read()
            return response.status, (json.loads(raw) if raw else None)
        finally:
            conn.close()

    def configure(self, **fields: Any) -> Dict[str, Any]:
        """POST /config; returns the settings in force."""
        status, body = self.call("POST", "/config", fields)
        if status != 200:
            raise AssertionError(f"POST /config {fields} -> {status} {body}")
        return body

    def requests(self) -> List[Dict[str, Any]]:
        """The records, oldest first."""
        return self.call("GET", "/requests")[1]["requests"]

    def wait_for(self, condition: Callable[[Dict[str, Any]], bool], timeout: float) -> Optional[Dict[str, Any]]:
        """The last record meeting ``condition``, waiting up to ``timeout`` s; None if none does by then."""
        found: List[Dict[str, Any]] = []

        def check() -> bool:
            found[:] = [r for r in self.requests() if condition(r)]
            return bool(found)

        return found[-1] if wait_until(check, timeout, 0.01) else None

    def stop(self) -> Optional[int]:
        """SIGTERM, then SIGKILL after 5 s; returns the exit code."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None and not stream.closed:
                if stream is self.proc.stderr:
                    self.stderr = stream.read().decode("utf-8", "replace")
                stream.close()
        return self.proc.returncode
