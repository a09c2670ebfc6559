"""Cancellation of a streamed answer once its client has gone, reaching whatever the answer waits on.

The HTTP layer cancels (from a watcher thread); the language-model client registers a callback that
shuts its upstream socket down, so a read blocked on a silent model returns at once.
"""

from __future__ import annotations

import threading
from typing import Callable, List


class Cancelled(Exception):
    """Raised where work stops because its Cancellation fired; nobody is waiting for the result."""


class Cancellation:
    """A one-way flag plus callbacks run when it is set. Thread-safe.

    Callbacks run under the internal lock, on the thread that calls ``cancel`` (or the registering one
    if already cancelled); they must be quick and must not raise. Because unregistering takes the same
    lock, a callback never runs after its unregister function has returned, so a callback may safely
    act on a resource its owner closes right after unregistering.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._callbacks: List[Callable[[], None]] = []

    def is_cancelled(self) -> bool:
        """True once ``cancel`` has been called."""
        return self._cancelled

    def raise_if_cancelled(self) -> None:
        """Raises Cancelled if ``cancel`` has been called."""
        if self._cancelled:
            raise Cancelled()

    def cancel(self) -> None:
        """Sets the flag and runs the registered callbacks once; later calls do nothing."""
        with self._lock:
            if self._cancelled:
                return
            self._cancelled = True
            for callback in self._callbacks:
                callback()
            self._callbacks.clear()

    def on_cancel(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Runs ``callback`` when cancelled (at once if already); returns a function that unregisters it."""
        with self._lock:
            if self._cancelled:
                callback()
                return _nothing
            self._callbacks.append(callback)

        def unregister() -> None:
            with self._lock:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)

        return unregister


def _nothing() -> None:
    pass
