"""Calls run in a child process: killable, time-limited, and never outliving the command.

Reading a big or hostile file runs in a child process so that it can be stopped (a time limit,
a server shutting down, a web request past its budget) without stopping the process that holds
the catalog, and so that a child that runs out of memory takes only itself down.

Children come from multiprocessing's fork server, not from a fork of the caller: the caller has
threads (a web server's workers, onnxruntime's pool) and a fork copies whatever lock one of them
held at that instant, which deadlocked children in the test suite. The fork server is a clean,
single-threaded process with the parsers preloaded, so a child still starts in milliseconds. It
exits when the process that started it dies (it watches a pipe), and each child asks Linux to
kill it when its parent (the fork server) dies (``PR_SET_PDEATHSIG``): a ``kill -9`` of
``paperatlas ingest`` leaves no parse worker behind holding the catalog's files.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar

from .. import deadline

T = TypeVar("T")
POLL_S = 0.2  # how often a waiting parent looks at its deadline and the child's health
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


class ChildTimeout(Exception):
    """The child ran past its time limit and was killed."""


class ChildDied(Exception):
    """The child ended without an answer (killed, out of memory, crashed)."""

    def __init__(self, exitcode: int | None) -> None:
        self.exitcode = exitcode
        how = f"signal {-exitcode}" if exitcode is not None and exitcode < 0 else f"exit code {exitcode}"
        super().__init__(f"the process ended without an answer ({how}; out of memory?)")


# Imported once by the fork server, so that children start with the parsers loaded.
PRELOAD = ["paperatlas.services.ingest"]


def die_with_parent() -> None:
    """In a child: be killed when its parent dies (Linux), or notice it and exit (elsewhere)."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    else:  # pragma: no cover - this project runs on Linux; the poll is the portable fallback
        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(1.0)
            os._exit(1)

        threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != parent:  # the parent died between the fork and the prctl
        os._exit(1)


def release_fork_server() -> None:
    """In a child of the fork server: close the inherited write end of the pipe the fork server
    watches to learn that the process that started it is alive. Kept open here, it would keep
    the fork server (and so this child, whose parent it is) alive after that process died."""
    from multiprocessing import forkserver

    server = forkserver._forkserver  # noqa: SLF001 - the one place the standard library keeps it
    fd = getattr(server, "_forkserver_alive_fd", None)
    if fd is not None:
        os.close(fd)
        setattr(server, "_forkserver_alive_fd", None)  # noqa: B010 - not in the type stubs


def _child_main(send: Connection, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    die_with_parent()
    release_fork_server()
    try:
        answer: tuple[bool, Any] = (True, fn(*args))
    except BaseException as exc:  # noqa: BLE001 - whatever happens becomes the parent's error
        answer = (False, f"{type(exc).__name__}: {exc}")
    send.send(answer)
    send.close()


_LAUNCH = threading.Lock()


@contextmanager
def _without_main_module() -> Iterator[None]:
    """While a child starts: leave the caller's ``__main__`` out of what the child prepares.

    multiprocessing prepares a fork-server child as it does a spawned one: it imports the
    parent's main script again, so a user's script without an ``if __name__ == "__main__"``
    guard (the README's library example) would run again in every parse worker. The children
    need only paperatlas, which the fork server preloads. The preparation is a module function
    that the start looks up at call time, so it is replaced for the duration of one start,
    under a lock."""
    from multiprocessing import spawn

    original = spawn.get_preparation_data

    def prepared(name: str) -> dict[str, Any]:
        data = original(name)
        data.pop("init_main_from_path", None)
        data.pop("init_main_from_name", None)
        return data

    with _LAUNCH:
        spawn.get_preparation_data = prepared
        try:
            yield
        finally:
            spawn.get_preparation_data = original


def _context() -> multiprocessing.context.ForkServerContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)  # takes effect when the fork server starts (once)
    return context


class Child(Generic[T]):
    """``fn(*args)`` running in a child process (``fn``, its arguments and its answer are pickled:
    ``fn`` must be a module-level function)."""

    def __init__(self, fn: Callable[..., T], *args: Any) -> None:
        context = _context()
        self._answer, send = context.Pipe(duplex=False)
        self.process = context.Process(target=_child_main, args=(send, fn, args), daemon=True, name="paperatlas-parse")
        with _without_main_module():
            self.process.start()
        send.close()
        self.started = time.monotonic()

    def result(self, timeout_s: float, what: str = "reading the file") -> T:
        """The child's answer. Raises ``ChildTimeout`` past ``timeout_s`` seconds from its start,
        ``ChildDied`` if it ended without one, ``deadline.Cancelled`` when the caller's deadline
        passes or its server stops, and ``RuntimeError`` with the child's own error; the child is
        killed in every case but the first."""
        try:
            while not self._answer.poll(POLL_S):
                deadline.check(what)
                if time.monotonic() - self.started > timeout_s:
                    raise ChildTimeout
                if not self.process.is_alive() and not self._answer.poll(0):
                    raise ChildDied(self.process.exitcode)
            try:
                ok, value = self._answer.recv()
            except EOFError:
                self.process.join()
                raise ChildDied(self.process.exitcode) from None
        except BaseException:
            self.kill()
            raise
        self.process.join()
        self._answer.close()
        if not ok:
            raise RuntimeError(value)
        return value  # type: ignore[no-any-return]

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self._answer.close()


def run_isolated(fn: Callable[..., T], *args: Any, timeout_s: float, what: str = "reading the file") -> T:
    """``fn(*args)`` in a child process (see ``Child.result`` for what it raises)."""
    return Child(fn, *args).result(timeout_s, what)
