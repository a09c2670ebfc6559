"""Client for an optional OpenAI-compatible chat endpoint (``/v1/chat/completions``, e.g. Ollama).

Configured from the environment:
``ROUTER_LLM_URL`` (base URL, ``…/v1`` or the full ``…/chat/completions`` URL; unset = no model),
``ROUTER_LLM_MODEL`` (default ``llama3.2``), ``ROUTER_LLM_TIMEOUT`` (seconds per attempt, default 20),
``ROUTER_LLM_API_KEY`` (optional bearer token). One retry on connection errors, timeouts, 429 and 5xx.
"""

from __future__ import annotations

import json
import logging
import socket
import urllib.parse
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional

log = logging.getLogger(__name__)

DEFAULT_MODEL = "llama3.2"
DEFAULT_TIMEOUT_S = 20.0
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


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
        host = urllib.parse.urlsplit(config.url).hostname
        # A local model must not be sent through an http_proxy from the environment.
        handlers = [urllib.request.ProxyHandler({})] if host in _LOOPBACK else []
        self._opener = urllib.request.build_opener(*handlers)

    def complete(self, messages: List[Dict[str, str]]) -> str:
        """The assistant's reply to ``messages``. Raises LlmError after one retry."""
        payload = json.dumps({"model": self.config.model, "messages": messages, "stream": False}).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.config.api_key:
            headers["Authorization"] = f"Bearer {self.config.api_key}"
        last: Optional[LlmError] = None
        for attempt in (1, 2):
            try:
                return self._post(payload, headers)
            except _Retryable as e:
                last = LlmError(str(e))
                log.warning("language model attempt %d failed: %s", attempt, e)
        assert last is not None
        raise last

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


def _content(body: bytes) -> str:
    try:
        data: Any = json.loads(body.decode("utf-8"))
        content = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise LlmError("the language model's response was not an OpenAI-style chat completion") from None
    if not isinstance(content, str) or not content.strip():
        raise LlmError("the language model returned an empty answer")
    return content.strip()
