"""Log output: ``text`` (the human lines, as always) or ``json`` (one JSON object per line), both on stderr.

JSON lines carry the field names the Java backend's logs use, so one query works on both:
``timestamp`` (ISO-8601 UTC, milliseconds, ``Z``), ``level`` (DEBUG, INFO, WARN or ERROR, as
logback names them), ``logger``, ``thread``, ``message`` (without the text mode's ``[ERROR]``/``[WARN]``/
``[http]``/``[debug]`` prefixes; the start-up lines keep their own ``[*]``/``[OK]``), then when known
``request_id``, ``trace_id`` and ``session`` (the first 8 characters of the session id, as the
backend's logs show it), the access log's ``method``, ``path``, ``status``, ``duration_ms`` and
``agent``, ``generation`` (``AIROUTER_GENERATION``) and ``stack_trace``. ASCII only, so every line
parses with ``json.loads`` whatever the message holds (line breaks, U+2028, lone surrogates).

Request fields come from the request context, which the HTTP handler sets for the request its
thread is serving (``set_request_context``) and ``RequestContextFilter`` copies onto every record
logged meanwhile; ``extra=`` on a log call wins over the context.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from typing import Any, Dict, Optional

LOG_FORMATS = ("text", "json")
FORMAT_VARIABLE = "AIROUTER_LOG_FORMAT"
GENERATION_VARIABLE = "AIROUTER_GENERATION"
SESSION_PREFIX = 8

CONTEXT_FIELDS = ("request_id", "trace_id", "session")
ACCESS_FIELDS = ("method", "path", "status", "duration_ms", "agent")
ACCESS_LOGGER = "ai_router.access"
_UNPRINTABLE = re.compile(r"[^\x21-\x7e]")

_context = threading.local()


def set_request_context(**fields: Optional[str]) -> None:
    """Sets request fields (``request_id``, ``trace_id``, ``session``) for this thread's log records."""
    current: Dict[str, Optional[str]] = getattr(_context, "fields", None) or {}
    for name, value in fields.items():
        if name not in CONTEXT_FIELDS:
            raise ValueError(f"not a request context field: {name}")
        current[name] = value
    _context.fields = current


def clear_request_context() -> None:
    """Forgets this thread's request fields (the request is over)."""
    _context.fields = None


def session_prefix(session_id: Optional[str]) -> Optional[str]:
    """What the logs show of a session id: its first 8 characters (all of a shorter one), as the backend's
    logs show it, so that one query finds a session in both.

    Characters outside printable ASCII become ``?``, as in the backend's session prefix.
    """
    if not session_id:
        return None
    return _UNPRINTABLE.sub("?", session_id[:SESSION_PREFIX])


class RequestContextFilter(logging.Filter):
    """Copies the emitting thread's request fields onto each record (unless ``extra=`` already set them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = getattr(_context, "fields", None)
        if fields:
            for name, value in fields.items():
                if value is not None and getattr(record, name, None) is None:
                    setattr(record, name, value)
        return True


class TextFormatter(logging.Formatter):
    """Messages as they are, with [ERROR]/[WARN] prefixes and [http] for the access log."""

    def __init__(self) -> None:
        super().__init__("%(message)s")

    def format(self, record: logging.LogRecord) -> str:
        message = super().format(record)
        if record.levelno >= logging.ERROR:
            return f"[ERROR] {message}"
        if record.levelno >= logging.WARNING:
            return f"[WARN] {message}"
        if record.name == ACCESS_LOGGER:
            return f"[http] {message}"
        if record.levelno <= logging.DEBUG:
            return f"[debug] {message}"
        return message


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (see the module docstring for the fields)."""

    def __init__(self, generation: Optional[int] = None) -> None:
        super().__init__()
        self.generation = generation

    def format(self, record: logging.LogRecord) -> str:
        fields: Dict[str, Any] = {
            "timestamp": _timestamp(record),
            "level": _level(record.levelno),
            "logger": record.name,
            "thread": record.threadName,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                fields[name] = value
        if record.name == ACCESS_LOGGER:
            for name in ACCESS_FIELDS:
                value = getattr(record, name, None)
                if value is not None:
                    fields[name] = value
        if self.generation is not None:
            fields["generation"] = self.generation
        trace = self._stack_trace(record)
        if trace:
            fields["stack_trace"] = trace
        return json.dumps(fields, ensure_ascii=True, default=str)

    def _stack_trace(self, record: logging.LogRecord) -> str:
        parts = []
        if record.exc_info:
            parts.append(self.formatException(record.exc_info))
        elif record.exc_text:
            parts.append(record.exc_text)
        if record.stack_info:
            parts.append(self.formatStack(record.stack_info))
        return "\n".join(parts)


def generation_from_env(environ: Any) -> Optional[int]:
    """``AIROUTER_GENERATION`` (set by a supervising router pool) as an int; None when unset or blank.

    Raises ValueError naming the variable when it is not a non-negative integer.
    """
    raw = environ.get(GENERATION_VARIABLE)
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise ValueError(f"{GENERATION_VARIABLE} must be a non-negative integer (the router pool's generation), "
                         f"got {raw!r:.60}")
    return int(text)


def _timestamp(record: logging.LogRecord) -> str:
    """e.g. 2026-12-04T12:34:56.789Z"""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"


def _level(levelno: int) -> str:
    """Logback's names: WARNING is WARN, CRITICAL is ERROR."""
    if levelno >= logging.ERROR:
        return "ERROR"
    if levelno >= logging.WARNING:
        return "WARN"
    if levelno >= logging.INFO:
        return "INFO"
    return "DEBUG"
