"""Client for an optional OpenAI-compatible chat endpoint (``/v1/chat/completions``, e.g. Ollama).

Configured from the environment:
``ROUTER_LLM_URL`` (base URL, ``…/v1`` or the full ``…/chat/completions`` URL; unset = no model),
``ROUTER_LLM_MODEL`` (default ``llama3.2``), ``ROUTER_LLM_TIMEOUT`` (seconds per attempt, default 20),
``ROUTER_LLM_API_KEY`` (optional bearer token). One retry on connection errors, timeouts, 429 and 5xx.

``complete`` waits for the whole answer; ``stream`` yields it as the model produces it (server-sent
events) and can be cancelled while it waits: the Cancellation shuts the upstream socket down.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import urllib.parse
from dataclasses import dataclass
from typing import Any, Dict, Generator, Iterator, List, Mapping, Optional, Tuple

from ai_router.cancel import Cancellation

log = logging.getLogger(__name__)

DEFAULT_MODEL = "llama3.2"
DEFAULT_TIMEOUT_S = 20.0
_LOOPBACK = ("localhost", "127.0.0.1", "::1")
_MAX_LINE = 16 * 1024 * 1024  # one server-sent-events line; a model's chunk is far smaller


class LlmError(Exception):
    """The language model could not give an answer; the message says why (no secrets in it)."""


@dataclass(frozen=True)
class LlmConfig:
    """Where the model is and how long to wait for it."""

    url: str
    model: str = DEFAULT_MODEL
    timeout_s: float = DEFAULT_TIMEOUT_S
    api_key: Optional[str] = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Optional["LlmConfig"]:
        """The configuration in ``env``, or None when ``ROUTER_LLM_URL`` is unset or empty.

        Raises ValueError for a URL that is not http(s) or a timeout that is not a positive number.
        """
        url = env.get("ROUTER_LLM_URL", "").strip()
        if not url:
            return None
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"ROUTER_LLM_URL must be an http(s) URL, got {redact(url)!r}")
        raw_timeout = env.get("ROUTER_LLM_TIMEOUT", "").strip()
        try:
            timeout = float(raw_timeout) if raw_timeout else DEFAULT_TIMEOUT_S
        except ValueError:
            timeout = -1.0
        if not timeout > 0:
            raise ValueError(f"ROUTER_LLM_TIMEOUT must be a positive number of seconds, got {raw_timeout!r}")
        return cls(completions_url(url), env.get("ROUTER_LLM_MODEL", "").strip() or DEFAULT_MODEL,
                   timeout, env.get("ROUTER_LLM_API_KEY") or None)

    def describe(self) -> str:
        """For logs: URL without credentials, model and timeout."""
        return f"{redact(self.url)} (model {self.model}, timeout {self.timeout_s:g} s)"


def completions_url(url: str) -> str:
    """http://h:11434 -> http://h:11434/v1/chat/completions; …/v1 -> …/v1/chat/completions."""
    base = url.rstrip("/")
    if base.endswith("/chat/completions"):
        return base
    if base.endswith("/v1"):
        return base + "/chat/completions"
    return base + "/v1/chat/completions"


def redact(url: str) -> str:
    """The URL with any user:password@ part masked."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class LlmClient:
    """Sends chat messages to the configured endpoint. Thread-safe (no shared mutable state)."""

    def __init__(self, config: LlmConfig) -> None:
        import urllib.request  # imported here: ~50 ms of start-up that routers without a model skip

        self.config = config
        parts = urllib.parse.urlsplit(config.url)
        # A local model must not be sent through an http_proxy from the environment.
        local = parts.hostname in _LOOPBACK
        handlers = [urllib.request.ProxyHandler({})] if local else []
        self._opener = urllib.request.build_opener(*handlers)
        proxy = None if local or urllib.request.proxy_bypass(parts.hostname or "") else \
            urllib.request.getproxies().get(parts.scheme)
        self._stream_route = _StreamRoute.of(parts, proxy)

    def complete(self, messages: List[Dict[str, str]]) -> str:
        """The assistant's reply to ``messages``. Raises LlmError after one retry."""
        payload = json.dumps({"model": self.config.model, "messages": messages, "stream": False}).encode()
        headers = self._headers("application/json")
        last: Optional[LlmError] = None
        for attempt in (1, 2):
            try:
                return self._post(payload, headers)
            except _Retryable as e:
                last = LlmError(str(e))
                log.warning("language model attempt %d failed: %s", attempt, e)
        assert last is not None
        raise last

    def stream(self, messages: List[Dict[str, str]],
               cancellation: Optional[Cancellation] = None) -> Generator[str, None, None]:
        """The assistant's reply to ``messages`` piece by piece, as the model produces it.

        Asks with ``"stream": true`` and yields every non-empty ``choices[0].delta.content`` (a plain JSON
        completion is accepted too), without the answer's leading and trailing whitespace, as
        ``complete`` strips it: the pieces join to what ``complete`` would return. Each socket read
        waits at most ``timeout_s``. One retry (connection error, timeout, 429, 5xx, a stream that breaks)
        while nothing has been yielded. Raises LlmError when there is no answer or the stream breaks
        after some pieces, and Cancelled as soon as ``cancellation`` fires: it shuts the upstream socket
        down, so even a read waiting on a silent model returns at once. Closing the generator closes
        the connection.
        """
        cancellation = cancellation or Cancellation()
        payload = json.dumps({"model": self.config.model, "messages": messages, "stream": True}).encode()
        headers = self._headers("text/event-stream")
        for attempt in (1, 2):
            trim = _Trim()
            pieces = self._stream_once(payload, headers, cancellation)
            try:
                for piece in pieces:
                    text = trim.feed(piece)
                    if text:
                        yield text
            except _Retryable as e:
                if trim.started:
                    raise LlmError(f"{e} (after {trim.chars} characters)") from None
                if attempt == 2:
                    raise LlmError(str(e)) from None
                log.warning("language model attempt %d failed: %s", attempt, e)
                continue
            finally:
                pieces.close()
            if not trim.started:
                raise LlmError("the language model returned an empty answer")
            return

    def _stream_once(self, payload: bytes, headers: Dict[str, str], cancellation: Cancellation) -> Iterator[str]:
        route = self._stream_route
        connection = route.connection(self.config.timeout_s)
        unregister = cancellation.on_cancel(lambda: _shut_down(connection.sock))
        where = f"cannot reach {redact(self.config.url)}"
        try:
            try:
                connection.connect()
                cancellation.raise_if_cancelled()
                connection.request("POST", route.target, body=payload, headers=headers)
                response = connection.getresponse()
                where = f"the answer from {redact(self.config.url)} broke off"
                if response.status != 200:
                    message = f"HTTP {response.status} from {redact(self.config.url)}"
                    if response.status == 429 or response.status >= 500:
                        raise _Retryable(message)
                    raise LlmError(message)
                if response.getheader("Content-Type", "").startswith("application/json"):
                    yield _content(response.read())  # a server that ignores "stream": true
                    return
                yield from _deltas(response)
            except socket.timeout:
                cancellation.raise_if_cancelled()
                raise _Retryable(f"no answer from {redact(self.config.url)} within "
                                 f"{self.config.timeout_s:g} s") from None
            except (OSError, http.client.HTTPException) as e:
                cancellation.raise_if_cancelled()
                raise _Retryable(f"{where}: {str(e) or type(e).__name__}") from None
            except _EndOfStream as e:
                cancellation.raise_if_cancelled()  # the shut-down socket reads as end of file
                raise _Retryable(str(e)) from None
        finally:
            unregister()
            connection.close()

    def _headers(self, accept: str) -> Dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": accept}
        if self.config.api_key:
            headers["Authorization"] = f"Bearer {self.config.api_key}"
        return headers

    def _post(self, payload: bytes, headers: Dict[str, str]) -> str:
        import urllib.error
        import urllib.request

        request = urllib.request.Request(self.config.url, data=payload, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=self.config.timeout_s) as response:
                body = response.read()
        except urllib.error.HTTPError as e:
            message = f"HTTP {e.code} from {redact(self.config.url)}"
            if e.code == 429 or e.code >= 500:
                raise _Retryable(message) from None
            raise LlmError(message) from None
        except (urllib.error.URLError, socket.timeout, ConnectionError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise _Retryable(f"cannot reach {redact(self.config.url)}: {reason}") from None
        return _content(body)


class _Retryable(LlmError):
    pass


class _EndOfStream(Exception):
    """The response ended before ``data: [DONE]``, or before a chunk with a finish_reason."""


@dataclass(frozen=True)
class _StreamRoute:
    """Where ``stream`` connects and the request target it sends: the model itself or a proxy."""

    host: str
    port: int
    https: bool
    target: str
    tunnel: Optional[Tuple[str, int]] = None

    @classmethod
    def of(cls, url: urllib.parse.SplitResult, proxy: Optional[str]) -> "_StreamRoute":
        https = url.scheme == "https"
        host, port = url.hostname or "", url.port or (443 if https else 80)
        target = (url.path or "/") + (f"?{url.query}" if url.query else "")
        if not proxy:
            return cls(host, port, https, target)
        via = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        proxy_host, proxy_port = via.hostname or "", via.port or 80
        if https:  # CONNECT through the proxy, then TLS to the model
            return cls(proxy_host, proxy_port, True, target, (host, port))
        netloc = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        return cls(proxy_host, proxy_port, False, f"http://{netloc}{target}")  # absolute form, no credentials

    def connection(self, timeout: float) -> http.client.HTTPConnection:
        if not self.https:
            return http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        connection = http.client.HTTPSConnection(self.host, self.port, timeout=timeout)
        if self.tunnel is not None:
            connection.set_tunnel(*self.tunnel)
        return connection


class _Trim:
    """Leaves out an answer's leading and trailing whitespace while it streams, as ``str.strip`` would.

    Whitespace after the text so far is held back until more text follows it.
    """

    def __init__(self) -> None:
        self.started = False
        self.chars = 0
        self._held = ""

    def feed(self, piece: str) -> str:
        text = self._held + piece if self.started else piece.lstrip()
        kept = text.rstrip()
        self._held = text[len(kept):]
        if kept:
            self.started = True
            self.chars += len(kept)
        return kept


def _deltas(response: http.client.HTTPResponse) -> Iterator[str]:
    """The delta texts of an OpenAI-style server-sent-events response, up to ``data: [DONE]``.

    Tolerates CRLF line endings, comment lines, other fields, and data split over several lines.
    Raises LlmError for a malformed stream and _EndOfStream when it stops early.
    """
    data: List[str] = []
    finished = False
    while True:
        raw = response.readline(_MAX_LINE)
        if len(raw) >= _MAX_LINE and not raw.endswith(b"\n"):
            raise LlmError(f"the language model sent a line of over {_MAX_LINE} bytes")
        line = raw.rstrip(b"\r\n") if raw else b""
        if line.startswith(b":"):
            continue
        if line:
            name, _, value = line.partition(b":")
            if name == b"data":
                try:
                    data.append((value[1:] if value.startswith(b" ") else value).decode("utf-8"))
                except UnicodeDecodeError:
                    raise LlmError("the language model's stream was not UTF-8") from None
            continue
        if data:  # a blank line (or the end) completes an event
            event, data = "\n".join(data), []
            if event == "[DONE]":
                return
            text, finished = _delta(event)
            if text:
                yield text
        if not raw:
            if finished:
                return
            raise _EndOfStream("the language model's stream ended before data: [DONE]")


def _delta(event: str) -> Tuple[str, bool]:
    """The content of one streamed chunk, and whether it carries a finish_reason."""
    try:
        chunk: Any = json.loads(event)
        if isinstance(chunk, dict) and "error" in chunk:
            error = chunk["error"]
            detail = error.get("message") if isinstance(error, dict) else error
            raise LlmError(f"the language model reported an error: {str(detail)[:200]}")
        choices = chunk["choices"]
        if not choices:
            return "", False  # e.g. a closing chunk with usage figures only
        choice = choices[0]
        content = (choice.get("delta") or {}).get("content") or ""
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        raise LlmError("the language model's stream was not OpenAI-style chat completion chunks") from None
    if not isinstance(content, str):
        raise LlmError("the language model's stream was not OpenAI-style chat completion chunks")
    return content, choice.get("finish_reason") is not None


def _shut_down(sock: Optional[socket.socket]) -> None:
    """Wakes a read blocked on ``sock`` (from another thread): it returns end of file at once."""
    if sock is None:
        return
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the plain socket's, even under TLS
    except OSError:
        pass


def _content(body: bytes) -> str:
    try:
        data: Any = json.loads(body.decode("utf-8"))
        content = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise LlmError("the language model's response was not an OpenAI-style chat completion") from None
    if not isinstance(content, str) or not content.strip():
        raise LlmError("the language model returned an empty answer")
    return content.strip()
