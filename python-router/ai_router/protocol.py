"""The /route wire format: request validation into typed records, the response record and stream events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

# Defaults; the limits in force are a server's ServerConfig, which passes them to parse_route_request.
MAX_QUERY_CHARS = 10_000
MAX_HISTORY_MESSAGES = 500
ROLES = ("user", "assistant", "system")


class BadRequest(Exception):
    """The client sent something we will not process; the message is safe to return to it."""

    def __init__(self, message: str, status: int = 400, extra: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(message)
        self.status = status
        self.extra = extra or {}


@dataclass(frozen=True)
class Turn:
    """One earlier message of the conversation."""

    role: str
    content: str


@dataclass(frozen=True)
class RouteRequest:
    """A validated POST /route body. ``history`` is oldest first and excludes ``query``."""

    query: str
    session_id: Optional[str] = None
    history: Tuple[Turn, ...] = ()
    agent: Optional[str] = None
    stream: bool = False


@dataclass(frozen=True)
class RouteResult:
    """A /route answer; ``to_json`` gives exactly the documented response fields."""

    agent: str
    confidence: float
    content: str
    reasoning: str
    classification_latency_ms: float
    latency_ms: float
    fallback_triggered: bool

    def to_json(self) -> Dict[str, Any]:
        """The response body: success plus every field, numbers rounded for humans."""
        return {
            "success": True,
            "agent": self.agent,
            "confidence": round(self.confidence, 4),
            "content": self.content,
            "reasoning": self.reasoning,
            "classification_latency_ms": round(self.classification_latency_ms, 3),
            "latency_ms": round(self.latency_ms, 3),
            "fallback_triggered": self.fallback_triggered,
        }


@dataclass(frozen=True)
class StreamEvent:
    """One event of a streamed /route answer: ``name`` is meta, delta, done or error; ``data`` its JSON.

    In order: one ``meta`` (the decision, before the agent runs), ``delta`` events whose texts join to
    the answer, then either ``done`` (exactly the non-streamed response body) or ``error``.
    """

    name: str
    data: Dict[str, Any]

    @classmethod
    def meta(cls, agent: str, confidence: float, reasoning: str, fallback_triggered: bool,
             classification_latency_ms: float) -> "StreamEvent":
        """The decision, rounded as in RouteResult.to_json."""
        return cls("meta", {"agent": agent, "confidence": round(confidence, 4), "reasoning": reasoning,
                            "fallback_triggered": fallback_triggered,
                            "classification_latency_ms": round(classification_latency_ms, 3)})

    @classmethod
    def delta(cls, text: str) -> "StreamEvent":
        """A non-empty piece of the answer."""
        return cls("delta", {"text": text})

    @classmethod
    def done(cls, result: RouteResult) -> "StreamEvent":
        """The end: the body the same request without streaming would have got."""
        return cls("done", result.to_json())

    @classmethod
    def error(cls, error: str, details: str) -> "StreamEvent":
        """The end after a failure once the answer had begun; ``details`` must hold no secrets."""
        return cls("error", {"success": False, "error": error, "details": details})


def parse_route_request(body: Any, max_query_chars: int = MAX_QUERY_CHARS,
                        max_history_messages: int = MAX_HISTORY_MESSAGES) -> RouteRequest:
    """Check the decoded JSON body of POST /route. Raises BadRequest naming the field at fault.

    ``query`` may have up to ``max_query_chars`` code points, ``history`` up to ``max_history_messages``
    entries. ``agent`` absent, null, "" or "auto" means "let the classifier choose". ``stream`` is
    absent or a boolean.
    """
    if not isinstance(body, dict):
        raise BadRequest(f"request body must be a JSON object, got {_json_type(body)}")
    query = body.get("query")
    if not isinstance(query, str):
        raise BadRequest("'query' is required and must be a string"
                         + ("" if query is None else f", got {_json_type(query)}"))
    if not query.strip():
        raise BadRequest("'query' must not be empty or only whitespace")
    if len(query) > max_query_chars:
        raise BadRequest(f"'query' is too long: {len(query)} characters (limit {max_query_chars})")
    session_id = body.get("session_id")
    if session_id is not None and not isinstance(session_id, str):
        raise BadRequest(f"'session_id' must be a string or null, got {_json_type(session_id)}")
    agent = body.get("agent")
    if agent is not None and not isinstance(agent, str):
        raise BadRequest(f"'agent' must be a string or null, got {_json_type(agent)}")
    if agent is not None and agent.strip() in ("", "auto"):
        agent = None
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise BadRequest(f"'stream' must be a boolean, got {_json_type(stream)}")
    return RouteRequest(query, session_id, _parse_history(body.get("history"), max_history_messages), agent,
                        stream)


def _parse_history(raw: Any, max_messages: int) -> Tuple[Turn, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise BadRequest(f"'history' must be a list of {{role, content}} objects, got {_json_type(raw)}")
    if len(raw) > max_messages:
        raise BadRequest(f"'history' has {len(raw)} messages (limit {max_messages})")
    turns = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise BadRequest(f"history[{i}] must be an object, got {_json_type(item)}")
        role, content = item.get("role"), item.get("content")
        if role not in ROLES:
            raise BadRequest(f"history[{i}].role must be one of {', '.join(ROLES)}, got {role!r:.40}")
        if not isinstance(content, str):
            raise BadRequest(f"history[{i}].content must be a string, got {_json_type(content)}")
        turns.append(Turn(role, content))
    return tuple(turns)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
