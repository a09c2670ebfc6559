"""HTTP front end: GET /health, GET /agents, POST /route on a ThreadingHTTPServer.

Why responses are built by hand: ``BaseHTTPRequestHandler`` sends the status line + headers and the
body in separate writes; on a keep-alive connection Nagle's algorithm plus the client's delayed ACK
then stalls every response by ~40 ms. Each response here is one buffer written once, and TCP_NODELAY
is set as well. Errors are JSON ``{success:false, error}``; tracebacks only ever go to the log.

Streamed answers (POST /route with ``"stream": true``): 200 with ``text/event-stream`` in chunked
transfer encoding; every event (``event: NAME\ndata: JSON\n\n``, the JSON on one line) is one chunk
in one write, sent the moment the router yields it; the headers go out with the first event. While
it streams, a ClientWatcher cancels the answer when the client leaves, which closes a model request
at once; the request then ends quietly with an INFO line ``request ID: cancelled after N chars``.

Every request reads a W3C ``traceparent`` header (ai_router.tracecontext): the trace id of a valid one
goes on the access line (``trace=``) and, with the request id and the session id's prefix, on every
JSON log record logged while the request is handled (ai_router.logs). A malformed one is ignored.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import socketserver
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Optional, Tuple

from ai_router import __version__
from ai_router.cancel import Cancellation, Cancelled
from ai_router.limits import LIMITS, MAX_BODY_BYTES
from ai_router.logs import clear_request_context, session_prefix, set_request_context
from ai_router.protocol import (MAX_HISTORY_MESSAGES, MAX_QUERY_CHARS, BadRequest, RouteRequest, StreamEvent,
                                parse_route_request)
from ai_router.router import Router
from ai_router.spawner import SpawnedBy
from ai_router.tracecontext import HEADER as TRACEPARENT, trace_id
from ai_router.watch import ClientWatcher

log = logging.getLogger(__name__)
access_log = logging.getLogger("ai_router.access")

SERVICE_NAME = "ai-router"
_REQUEST_ID = re.compile(r"[^A-Za-z0-9._:/+=@-]")
_UNPRINTABLE = re.compile(r"[^\x21-\x7e]")
# Line breaks that JSON leaves raw but some line splitters honour (Python's str.splitlines, old JavaScript)
_LINE_BREAKS_ESCAPED = {0x85: "\\u0085", 0x2028: "\\u2028", 0x2029: "\\u2029"}
_LAST_CHUNK = b"0\r\n\r\n"


@dataclass(frozen=True)
class ServerConfig:
    """Limits of the HTTP layer. ``request_timeout_s`` bounds every socket read, idle or mid-request.

    The ``max_*`` fields are the request limits of ``ai_router.limits.LIMITS`` (defaults 500 history
    messages, 10,000 query characters, 1 MiB bodies), enforced per request and advertised in GET
    /health. Raises ValueError naming the field, the accepted range and the value when one is out of range.
    """

    request_timeout_s: float = 15.0
    max_body_bytes: int = MAX_BODY_BYTES
    max_query_chars: int = MAX_QUERY_CHARS
    max_history_messages: int = MAX_HISTORY_MESSAGES

    def __post_init__(self) -> None:
        for limit in LIMITS:
            problem = limit.problem(getattr(self, limit.name))
            if problem:
                raise ValueError(f"{limit.name} {problem}")

    def limits(self) -> Dict[str, int]:
        """The request limits in force, keyed and ordered as in GET /health."""
        return {limit.name: getattr(self, limit.name) for limit in LIMITS}


class RouterHTTPServer(ThreadingHTTPServer):
    """One thread per connection (daemon threads); holds the router and the start time.

    ``listening_since`` is the wall-clock moment (UTC) the socket started listening; ``spawned_by``
    the backend that spawned this router, if one did (GET /health reports it).
    """

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64
    listening_since: datetime

    def __init__(self, address: Tuple[str, int], router: Router, config: ServerConfig = ServerConfig(),
                 spawned_by: Optional[SpawnedBy] = None) -> None:
        self.router = router
        self.config = config
        self.spawned_by = spawned_by
        self.started = time.monotonic()
        super().__init__(address, RouterRequestHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a DNS lookup that can take seconds; skip it.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def server_activate(self) -> None:
        super().server_activate()
        # Wall clock, not monotonic: other processes compare it with their own clocks (a start-up benchmark).
        self.listening_since = datetime.now(timezone.utc)

    @property
    def port(self) -> int:
        """The bound port (useful after binding port 0)."""
        return int(self.server_address[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection from %s ended with an error", client_address, exc_info=True)


class RouterRequestHandler(BaseHTTPRequestHandler):
    """Parses one request at a time on a keep-alive connection and answers in a single write."""

    protocol_version = "HTTP/1.1"
    server_version = f"ai-router/{__version__}"
    disable_nagle_algorithm = True
    server: RouterHTTPServer

    def setup(self) -> None:
        self.timeout = self.server.config.request_timeout_s
        super().setup()

    # --- request loop ---------------------------------------------------------------------

    def handle_one_request(self) -> None:
        self._started = time.perf_counter()
        self._agent = "-"
        self._request_id: Optional[str] = None
        self._trace_id: Optional[str] = None
        self._responded = False
        self.command, self.path, self.request_version = "", "", self.default_request_version
        phase = "idle"
        clear_request_context()
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if not self.raw_requestline:
                self.close_connection = True
                return
            if len(self.raw_requestline) > 65536:
                self.close_connection = True
                self._send_json(414, {"success": False, "error": "request line too long"})
                return
            phase = "headers"
            if not self.parse_request():
                return  # parse_request already answered through send_error
            self._request_id = _clean_request_id(self.headers.get("X-Request-Id"))
            self._trace_id = trace_id(self.headers.get_all(TRACEPARENT))
            # every record logged while this request is handled carries these (JSON logs)
            set_request_context(request_id=self._request_id, trace_id=self._trace_id)
            phase = "body"
            self._dispatch()  # any method: unknown paths are 404, other methods on known paths 405
        except socket.timeout:
            self.close_connection = True
            if phase == "idle":
                log.debug("idle connection from %s timed out", self.client_address[0])
            elif not self._responded:
                self._try_send(408, {"success": False, "error": f"request not received completely within "
                                                              f"{self.server.config.request_timeout_s:g} s"})
        except (ConnectionError, BrokenPipeError):
            self.close_connection = True
        finally:
            clear_request_context()

    _ROUTES: Dict[str, Dict[str, str]] = {
        "/health": {"GET": "_health", "HEAD": "_health"},
        "/agents": {"GET": "_agents", "HEAD": "_agents"},
        "/route": {"POST": "_route"},
    }

    def _dispatch(self) -> None:
        path = _path_of(self.path)
        methods = self._ROUTES.get(path)
        if methods is None:
            self._discard_body()
            self._send_json(404, {"success": False, "error": f"no such path: {_printable(path)}; "
                                                            "try GET /health or POST /route"})
            return
        action_name = methods.get(self.command)
        if action_name is None:
            allowed = ", ".join(methods)
            self._discard_body()
            self._send_json(405, {"success": False, "error": f"method {_printable(self.command)} not allowed "
                                                            f"on {path}; use {allowed}"},
                            {"Allow": allowed})
            return
        if self.command != "POST":
            self._discard_body()
        try:
            getattr(self, action_name)()
        except (socket.timeout, ConnectionError):
            raise
        except Exception:
            log.exception("internal error while handling %s %s", self.command, path)
            if not self._responded:
                self.close_connection = True
                self._send_json(500, {"success": False, "error": "internal error (see the router log)"})

    def send_error(self, code: int, message: Optional[str] = None, explain: Optional[str] = None) -> None:
        """JSON replacement for the HTML error page; used by parse_request for malformed requests."""
        self.close_connection = True
        phrase = message or _phrase(code)
        self._send_json(code, {"success": False, "error": phrase})

    def handle_expect_100(self) -> bool:
        # Decide after checking Content-Length (see _read_body), so an oversized body is refused unsent.
        return True

    # --- endpoints ------------------------------------------------------------------------

    def _health(self) -> None:
        router = self.server.router
        self._send_json(200, {
            "status": "ok",
            "service": SERVICE_NAME,
            "model": router.model,
            "agents": len(router.catalogue.agents),
            "uptime_s": round(time.monotonic() - self.server.started, 3),
            "version": __version__,
            "limits": self.server.config.limits(),
            "agent_names": router.catalogue.names(),
            "spawned_by": self.server.spawned_by.as_json() if self.server.spawned_by else None,
        })

    def _agents(self) -> None:
        catalogue = self.server.router.catalogue
        self._send_json(200, {
            "success": True,
            "fallback_agent": catalogue.fallback_agent,
            "confidence_threshold": catalogue.confidence_threshold,
            "agents": [{"name": a.name, "description": a.description, "handler": a.handler}
                       for a in catalogue.agents],
        })

    def _route(self) -> None:
        body = self._read_body()
        if body is None:
            return
        try:
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError as e:
                raise BadRequest(f"request body is not valid UTF-8 (byte {e.start})") from None
            try:
                data = json.loads(text)
            except ValueError as e:
                raise BadRequest(f"malformed JSON: {e}") from None
            except RecursionError:
                raise BadRequest("malformed JSON: nested too deeply") from None
            config = self.server.config
            request = parse_route_request(data, config.max_query_chars, config.max_history_messages)
            set_request_context(session=session_prefix(request.session_id))
            if request.stream:
                self._stream(request)
                return
            result = self.server.router.route(request)
        except BadRequest as e:
            self._send_json(e.status, {"success": False, "error": str(e), **e.extra})
            return
        self._agent = result.agent
        self._send_json(200, result.to_json())

    def _stream(self, request: RouteRequest) -> None:
        """Answers with server-sent events until done or error; stops at once if the client leaves.

        Raises BadRequest before anything is sent (an unknown forced agent).
        """
        cancellation = Cancellation()
        events = self.server.router.route_stream(request, cancellation)
        chunked = self.request_version == "HTTP/1.1"
        if not chunked:
            self.close_connection = True  # an HTTP/1.0 client: the end of the body is the end of the connection
        head = self._stream_head(chunked)
        chars = 0
        watcher = ClientWatcher(self.connection, cancellation, f"watch-{self.client_address[1]}")
        try:
            for event in events:
                data = _frame(_event_bytes(event), chunked, last=event.name in ("done", "error"))
                if event.name == "meta":
                    self._agent = event.data["agent"]
                elif event.name == "error":
                    log.warning("request %s: stream ended with an error after %d chars: %s (%s)",
                                self._request_id or "-", chars, event.data["error"], event.data["details"])
                try:
                    self.wfile.write(head + data)
                except OSError:  # the client has gone (reset, broken pipe, write timeout)
                    raise Cancelled() from None
                self._responded = True
                head = b""
                if event.name == "delta":
                    chars += len(event.data["text"])
        except Cancelled:
            self.close_connection = True
            log.info("request %s: cancelled after %d chars", self._request_id or "-", chars)
        except Exception:
            if not self._responded:
                raise  # _dispatch answers 500
            log.exception("internal error while streaming the answer to request %s", self._request_id or "-")
            self.close_connection = True
            error = StreamEvent.error("internal error (see the router log)", "the answer broke off unexpectedly")
            try:
                self.wfile.write(_frame(_event_bytes(error), chunked, last=True))
            except OSError:
                pass
        finally:
            watcher.close()
            events.close()  # releases a model connection at once if the answer stopped early
        if self._responded:
            self._log_access(200)

    def _stream_head(self, chunked: bool) -> bytes:
        lines = [
            "HTTP/1.1 200 OK",
            f"Server: {self.server_version}",
            f"Date: {formatdate(usegmt=True)}",
            "Content-Type: text/event-stream; charset=utf-8",
            "Cache-Control: no-cache, no-transform",
            "X-Accel-Buffering: no",
        ]
        if chunked:
            lines.append("Transfer-Encoding: chunked")
        lines.append(f"Connection: {'close' if self.close_connection else 'keep-alive'}")
        if self._request_id:
            lines.append(f"X-Request-Id: {self._request_id}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    # --- body handling --------------------------------------------------------------------

    def _read_body(self) -> Optional[bytes]:
        """The request body, or None after answering 411/413/400 (and closing) or if the peer left."""
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            self._send_json(411, {"success": False, "error": "chunked requests are not supported; "
                                                            "send a Content-Length header"})
            return None
        length = self._content_length()
        if length is None:
            return None
        if length > self.server.config.max_body_bytes:
            self.close_connection = True
            self._send_json(413, {"success": False, "error": f"request body of {length} bytes is over the "
                                                            f"{self.server.config.max_body_bytes}-byte limit"})
            return None
        if self.headers.get("Expect", "").lower() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = self._receive(length)
        if len(body) < length:
            self.close_connection = True
            self._responded = True  # the peer went away mid-body; there is nobody to answer
            return None
        return body

    def _receive(self, length: int) -> bytes:
        """Up to ``length`` body bytes, all within ``request_timeout_s`` (socket.timeout when late).

        A per-read timeout alone lets a client that sends a byte now and then hold this thread forever.
        """
        timeout = self.server.config.request_timeout_s
        deadline = time.monotonic() + timeout
        chunks = []
        remaining = length
        try:
            while remaining > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise socket.timeout(f"body not received within {timeout:g} s")
                self.connection.settimeout(left)
                chunk = self.rfile.read1(min(remaining, 65536))
                if not chunk:
                    break
                chunks.append(chunk)
                remaining -= len(chunk)
        finally:
            self.connection.settimeout(timeout)
        return b"".join(chunks)

    def _content_length(self) -> Optional[int]:
        values = self.headers.get_all("Content-Length") or []
        if not values:
            self.close_connection = True
            self._send_json(411, {"success": False, "error": "Content-Length header required"})
            return None
        if len({v.strip() for v in values}) > 1:
            # RFC 9112 §6.3: differing lengths make the framing unknowable (a request-smuggling vector)
            self.close_connection = True
            self._send_json(400, {"success": False, "error": "conflicting Content-Length headers: "
                                                            + _printable(", ".join(values))})
            return None
        raw = values[0]
        if not re.fullmatch(r"\s*\d{1,18}\s*", raw):
            self.close_connection = True
            self._send_json(400, {"success": False, "error": f"invalid Content-Length: {_printable(raw)}"})
            return None
        return int(raw)

    def _discard_body(self) -> None:
        """Skip a body we will not use, or close the connection when its size is unknown or large."""
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            return
        values = self.headers.get_all("Content-Length") or []
        if not values:
            return
        raw = values[0]
        if len({v.strip() for v in values}) == 1 and re.fullmatch(r"\s*\d{1,18}\s*", raw) and int(raw) <= 64 * 1024:
            self.rfile.read(int(raw))
        else:
            self.close_connection = True

    # --- response writing -----------------------------------------------------------------

    def _send_json(self, status: int, payload: Dict[str, Any], headers: Optional[Dict[str, str]] = None) -> None:
        body = _json_bytes(payload)
        lines = [
            f"HTTP/1.1 {status} {_phrase(status)}",
            f"Server: {self.server_version}",
            f"Date: {formatdate(usegmt=True)}",
            "Content-Type: application/json; charset=utf-8",
            f"Content-Length: {len(body)}",
            "Cache-Control: no-store",
            f"Connection: {'close' if self.close_connection else 'keep-alive'}",
        ]
        if self._request_id:
            lines.append(f"X-Request-Id: {self._request_id}")
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self._responded = True
        self.wfile.write(head if self.command == "HEAD" else head + body)
        self._log_access(status)

    def _try_send(self, status: int, payload: Dict[str, Any]) -> None:
        try:
            self._send_json(status, payload)
        except OSError:
            pass

    def _log_access(self, status: int) -> None:
        """``METHOD PATH STATUS MS ms agent=A id=ID trace=TRACE`` (``-`` for an unknown field); JSON logs
        also get the parts as fields: method, path, status, duration_ms, agent (when known)."""
        method = _printable(self.command or "-")
        path = _printable(_path_of(self.path or "") or "-")
        duration_ms = (time.perf_counter() - self._started) * 1000.0
        access_log.info("%s %s %d %.1f ms agent=%s id=%s trace=%s", method, path, status, duration_ms,
                        self._agent, self._request_id or "-", self._trace_id or "-",
                        extra={"method": method, "path": path, "status": status,
                               "duration_ms": round(duration_ms, 1),
                               "agent": None if self._agent == "-" else self._agent})

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - " + format, self.client_address[0], *args)


def _json_bytes(payload: Dict[str, Any]) -> bytes:
    try:
        return json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates from \ud800-style escapes: fall back to ASCII escapes
        return json.dumps(payload).encode("ascii")


def _event_bytes(event: StreamEvent) -> bytes:
    """``event: NAME\ndata: JSON\n\n``; the JSON is one line for every splitter (U+2028 escaped too)."""
    try:
        data = json.dumps(event.data, ensure_ascii=False).translate(_LINE_BREAKS_ESCAPED).encode("utf-8")
    except UnicodeEncodeError:
        data = json.dumps(event.data).encode("ascii")
    return b"event: %s\ndata: %s\n\n" % (event.name.encode("ascii"), data)


def _frame(data: bytes, chunked: bool, last: bool) -> bytes:
    """``data`` as one chunk (and the last, empty chunk after it when ``last``), or as is for HTTP/1.0."""
    if not chunked:
        return data
    return b"%x\r\n%s\r\n%s" % (len(data), data, _LAST_CHUNK if last else b"")


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _clean_request_id(raw: Optional[str]) -> Optional[str]:
    """Keep a client's X-Request-Id if it is a sane token (≤ 128 safe characters), else drop it."""
    if raw is None:
        return None
    value = raw.strip()
    if not value or len(value) > 128 or _REQUEST_ID.search(value):
        return None
    return value


def _path_of(target: str) -> str:
    return target.split("?", 1)[0].split("#", 1)[0]


def _printable(text: str) -> str:
    return _UNPRINTABLE.sub("?", text)[:200]


def create_server(router: Router, host: str = "127.0.0.1", port: int = 0,
                  config: ServerConfig = ServerConfig(), spawned_by: Optional[SpawnedBy] = None) -> RouterHTTPServer:
    """Bind (but do not start) a server; call ``serve_forever`` on it. Raises OSError if the port is busy.

    ``host`` may be an IPv4 or IPv6 address (``::1``) or a name; ``spawned_by`` is the backend that
    spawned this router, if one did.
    """
    if ":" in host:
        return _RouterHTTPServer6((host, port), router, config, spawned_by)
    return RouterHTTPServer((host, port), router, config, spawned_by)


class _RouterHTTPServer6(RouterHTTPServer):
    address_family = socket.AF_INET6
