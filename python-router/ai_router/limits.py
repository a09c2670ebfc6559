"""The request limits a server enforces and advertises: one table for ServerConfig, GET /health and the CLI.

Each limit has one name: the ``ServerConfig`` field, the key under ``limits`` in GET /health, and (with
dashes) the command-line flag. Clients such as the Java backend read the limits from /health to fit
what they send, so the values there must be the ones in force; keeping the table in one place is
what guarantees that. The upper bounds only stop a typo from disabling a limit:

- ``max_history_messages`` ≤ 100,000: the backend keeps at most 100,000 messages per session
  (its ``--history-limit``), so no backend ever needs to send more; parsing is linear in it.
- ``max_query_chars`` ≤ 1,000,000 code points: the classifier's cost is linear in the query; a
  query can never be longer than ``max_body_bytes`` allows anyway.
- ``max_body_bytes`` ≤ 64 MiB, the backend's own ceiling: a body is held in memory whole, once per
  connection thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

from ai_router.protocol import MAX_HISTORY_MESSAGES, MAX_QUERY_CHARS

MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Limit:
    """One request limit: its name, default, largest accepted value, and what exceeding it costs a client."""

    name: str
    default: int
    maximum: int
    meaning: str

    @property
    def flag(self) -> str:
        """The command-line flag, e.g. ``--max-history-messages``."""
        return "--" + self.name.replace("_", "-")

    def problem(self, value: object) -> Optional[str]:
        """None if ``value`` is acceptable, else the rule it breaks and the value, e.g. for a usage error."""
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= self.maximum:
            return f"must be an integer from 1 to {self.maximum}, got {value!r}"
        return None


# In the order GET /health lists them.
LIMITS: Tuple[Limit, ...] = (
    Limit("max_history_messages", MAX_HISTORY_MESSAGES, 100_000,
          "most 'history' entries in one POST /route; more get 400"),
    Limit("max_query_chars", MAX_QUERY_CHARS, 1_000_000,
          "longest 'query' in code points (Python len); longer gets 400"),
    Limit("max_body_bytes", MAX_BODY_BYTES, 64 * 1024 * 1024,
          "largest request body; a larger Content-Length gets 413 before the body is read"),
)
