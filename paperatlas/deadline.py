"""How long the current call may still take: a deadline carried in a context variable.

The web server gives each core call a time budget; a call that must wait for something another
thread holds (the catalog's write lock during an import) waits at most what is left of it and
then fails with a clear "busy" error, instead of finishing long after its client got 503.
Outside a ``within`` block there is no deadline (the CLI waits as long as it takes).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from .errors import PaperatlasError

_DEADLINE: ContextVar[float | None] = ContextVar("paperatlas_deadline", default=None)
_STOP: ContextVar[threading.Event | None] = ContextVar("paperatlas_stop", default=None)


@contextmanager
def within(seconds: float | None, stop: threading.Event | None = None) -> Iterator[None]:
    """Run the block with a deadline ``seconds`` from now (None: no deadline); ``stop``, when
    set, cancels the block at its next ``check`` (a server shutting down)."""
    tokens = (_DEADLINE.set(None if seconds is None else time.monotonic() + seconds), _STOP.set(stop))
    try:
        yield
    finally:
        _DEADLINE.reset(tokens[0])
        _STOP.reset(tokens[1])


def remaining() -> float | None:
    """Seconds left before the deadline (0 when past it), or None without one."""
    at = _DEADLINE.get()
    return None if at is None else max(0.0, at - time.monotonic())


class Cancelled(PaperatlasError):
    """A call stopped at a ``check`` because its deadline passed or its server is stopping:
    what it was writing is rolled back."""


def check(what: str = "the call") -> None:
    """Raise ``Cancelled`` if the deadline has passed or a stop was asked for. Long loops (an
    import's records) call this between steps so they end, rolled back, soon after either."""
    stop = _STOP.get()
    if stop is not None and stop.is_set():
        raise Cancelled(f"{what} was cancelled: the server is stopping", hint="nothing of it was stored; run it again")
    at = _DEADLINE.get()
    if at is not None and time.monotonic() > at:
        raise Cancelled(f"{what} ran past its time limit and was cancelled",
                        hint="nothing of it was stored; import a smaller file, or raise ingest_budget_s")
