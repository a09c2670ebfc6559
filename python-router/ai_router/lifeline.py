"""Lifelines: exit when whoever started us is gone, even if it could not tell us (e.g. kill -9).

``stdin``: the parent holds our stdin pipe; when it dies the pipe closes and a read returns EOF.
``ppid``:  the parent's pid is polled; when the parent dies we are re-parented and getppid() changes.
Both call ``on_lost(reason)`` from a daemon thread, within ~0.25 s for ppid and at once for stdin.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Callable

log = logging.getLogger(__name__)

LIFELINES = ("none", "stdin", "ppid")
POLL_INTERVAL_S = 0.25


def start_lifeline(kind: str, on_lost: Callable[[str], None]) -> None:
    """Start watching. ``kind`` is one of LIFELINES; "none" does nothing."""
    if kind == "none":
        return
    if kind == "stdin":
        target: Callable[[], None] = lambda: _watch_stdin(on_lost)
    elif kind == "ppid":
        parent = os.getppid()
        target = lambda: _watch_parent(parent, on_lost)
    else:
        raise ValueError(f"unknown lifeline {kind!r}; expected one of {', '.join(LIFELINES)}")
    threading.Thread(target=target, name=f"lifeline-{kind}", daemon=True).start()


def _watch_stdin(on_lost: Callable[[str], None]) -> None:
    try:
        while os.read(0, 4096):
            pass  # anything the parent writes is ignored; only EOF matters
        reason = "stdin closed (lifeline)"
    except OSError as e:
        reason = f"stdin unreadable: {e.strerror} (lifeline)"
    on_lost(reason)


def _watch_parent(parent: int, on_lost: Callable[[str], None]) -> None:
    if parent == 1:
        log.warning("lifeline ppid: parent pid is already 1, so a parent's death cannot be detected")
        return
    while os.getppid() == parent:
        time.sleep(POLL_INTERVAL_S)
    on_lost(f"parent process {parent} exited (lifeline)")
