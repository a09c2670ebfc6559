"""Notices a client leaving while its streamed answer waits on something else (a silent model).

A write would notice too, but only at the next piece of the answer, which may be seconds away; a
model generating for nobody costs the most exactly then. So a streamed request gets a small thread
that waits on the client's socket, and on a wake-up socket that ends it with the request.
"""

from __future__ import annotations

import selectors
import socket
import threading
from types import TracebackType
from typing import Optional, Type

from ai_router.cancel import Cancellation

_PEEK = socket.MSG_PEEK | getattr(socket, "MSG_DONTWAIT", 0)


class ClientWatcher:
    """Cancels ``cancellation`` as soon as the peer of ``sock`` leaves; watches from a thread of its own.

    The peer has left when the socket reads as end of file (readable, and a peeking recv returns no
    bytes) or reports an error such as a reset. Bytes from the peer (a pipelined next request) end
    the watch without being consumed. (A client that half-closes its side after sending the request
    counts as gone; HTTP clients do not do that.) ``close`` (or leaving the ``with`` block) stops the thread,
    waits for it and frees the wake-up sockets; it is idempotent. Call it from the request's thread.
    """

    def __init__(self, sock: socket.socket, cancellation: Cancellation, name: str = "client-watcher") -> None:
        self._sock = sock
        self._cancellation = cancellation
        self._wake_read, self._wake_write = socket.socketpair()
        self._closed = False
        self._thread = threading.Thread(target=self._watch, name=name, daemon=True)
        self._thread.start()

    def __enter__(self) -> "ClientWatcher":
        return self

    def __exit__(self, kind: Optional[Type[BaseException]], error: Optional[BaseException],
                 trace: Optional[TracebackType]) -> None:
        self.close()

    def close(self) -> None:
        """Stops watching; returns once the thread has ended."""
        if self._closed:
            return
        self._closed = True
        try:
            self._wake_write.send(b"x")
        except OSError:
            pass
        self._thread.join()
        self._wake_read.close()
        self._wake_write.close()

    def _watch(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._wake_read, selectors.EVENT_READ)
            try:
                selector.register(self._sock, selectors.EVENT_READ)
            except (OSError, ValueError):  # already closed: the client is gone
                self._cancellation.cancel()
                return
            while True:
                ready = selector.select()
                if any(key.fileobj is self._wake_read for key, _ in ready):
                    return
                try:
                    if self._sock.recv(1, _PEEK):
                        return  # the client sent more (pipelining): leave the bytes for the next request
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    pass  # reset by the peer: gone as well
                self._cancellation.cancel()
                return
