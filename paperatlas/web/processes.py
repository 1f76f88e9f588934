"""Several worker processes behind one listening socket (``paperatlas serve --workers N``), and
the one-process server loop both modes share (``run_until_stopped``).

The parent binds the socket, opens the catalog itself and is the one writer of the keyword index
(``Indexes.follow_keyword`` in a thread: it follows the store's change feed), then starts N
workers: ``python -m paperatlas.web.processes FD`` with the listening socket's descriptor
inherited and what they need on stdin (the catalog, the settings, the server options with the
token and the one CSRF secret of the server), never on the command line. Every worker accepts on
the one socket, so the kernel spreads connections over them; each opens its own ``Atlas`` as an
index reader (``index_writer=False``): it never opens a tantivy writer, and reloads the searcher
when the parent has committed.

Stopping: SIGTERM or SIGINT to the parent sends SIGTERM to every worker (each cancels its running
core calls, so an import rolls back, and finishes open requests for up to ``GRACEFUL_S``); a
worker still there after ``STOP_S`` is killed. A worker whose parent disappears (``kill -9``)
stops itself within a second. A worker that dies is started again at once; one that fails at its
start (the catalog server is down just then, say) is started again after 1, 2, 4 … 30 s, while
the others serve; only when no worker could start ``MAX_START_FAILURES`` times in a row does the
server stop, with their messages.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import uvicorn

    from ..settings import Settings
    from . import ServerOptions

log = logging.getLogger("paperatlas.web")

KEEP_ALIVE_S = 30
GRACEFUL_S = 3  # on SIGTERM/SIGINT: how long open requests may take to finish before they are cancelled
STOP_S = 15.0  # a worker not gone this long after SIGTERM is killed (graceful 3 s + shutdown waits of 5 s)
START_GRACE_S = 10.0  # a worker ending with an error this soon after its start failed to start
MAX_RETRY_S = 30.0  # the longest wait before starting again a worker that failed to start
MAX_START_FAILURES = 5  # every worker failed to start this many times in a row (~30 s): the server stops
PARENT_CHECK_S = 1.0  # how often a worker checks that its parent is still there


def server_config(app: Any, **extra: Any) -> uvicorn.Config:
    """uvicorn's settings for paperatlas: idle connections are kept 30 s (uvicorn's default is 5:
    under a burst a client's pooled connection can sit idle past 5 s, and a request sent just as
    the server closes it fails on the client with a read error, seen in bench/web_load.py)."""
    import uvicorn

    return uvicorn.Config(app, log_level="warning", server_header=False, timeout_keep_alive=KEEP_ALIVE_S,
                          timeout_graceful_shutdown=GRACEFUL_S, **extra)


def run_until_stopped(config: uvicorn.Config, stop: Callable[[], None], sockets: list[socket.socket] | None = None) -> None:
    """uvicorn's server, which on SIGTERM/SIGINT first cancels the core calls that run (an import
    stops at its next check and rolls back), so the process ends within seconds."""
    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            stop()
            super().handle_exit(sig, frame)

    Server(config).run(sockets=sockets)


# -- the parent ------------------------------------------------------------------------------------
def worker_spec(location: str, settings: Settings, options: ServerOptions) -> bytes:
    """What a worker needs, as the JSON it reads on stdin."""
    values = asdict(settings)
    values["home"] = str(settings.home)
    return json.dumps({"location": location, "settings": values, "options": asdict(options)}).encode()


@dataclass
class Slot:
    """One worker's place: its process (None while waiting to start again), when it started,
    how many starts in a row failed, and when to try again."""

    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    failures: int = 0
    retry_at: float = 0.0


class Supervisor:
    """``processes`` workers on ``sock``, kept running until ``stop`` is set (``run``)."""

    def __init__(self, sock: socket.socket, spec: bytes, processes: int) -> None:
        self.sock, self.spec = sock, spec
        self.slots = [Slot() for _ in range(processes)]

    def _start(self, slot: Slot) -> None:
        fd = self.sock.fileno()
        proc = subprocess.Popen([sys.executable, "-m", "paperatlas.web.processes", str(fd)], stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, pass_fds=(fd,))
        assert proc.stdin is not None
        proc.stdin.write(self.spec)  # the token and CSRF secret: a pipe only this worker reads
        proc.stdin.close()
        slot.proc, slot.started = proc, time.monotonic()

    def run(self, stop: threading.Event) -> int:
        """Serve until ``stop``; 0, or 1 when no worker could start ``MAX_START_FAILURES`` times."""
        try:
            for slot in self.slots:
                self._start(slot)
            while not stop.wait(0.2):
                if self._tend(time.monotonic()):
                    return 1
            return 0
        finally:
            self.stop_all()

    def _tend(self, now: float) -> bool:
        """Start again what ended; True when every worker keeps failing at its start."""
        for slot in self.slots:
            if slot.proc is None:
                if now >= slot.retry_at:
                    self._start(slot)
                continue
            code = slot.proc.poll()
            if code is None:
                if now - slot.started >= START_GRACE_S:
                    slot.failures = 0
                continue
            slot.proc = None
            if code > 0 and now - slot.started < START_GRACE_S:  # it gave up at its start (the catalog is down?)
                slot.failures += 1
                slot.retry_at = now + min(MAX_RETRY_S, 2.0 ** (slot.failures - 1))
                log.error("a worker could not start (exit code %s, %d times in a row): trying again in %.0f s",
                          code, slot.failures, slot.retry_at - now)
            else:  # killed, or ended after serving: at once
                log.warning("a worker ended (exit code %s): starting another", code)
                slot.retry_at = now
        if all(slot.proc is None and slot.failures >= MAX_START_FAILURES for slot in self.slots):
            log.error("no worker could start %d times in a row: stopping the server", MAX_START_FAILURES)
            return True
        return False

    def stop_all(self) -> None:
        """SIGTERM to every worker, SIGKILL to any still there after ``STOP_S``; all reaped."""
        procs = [slot.proc for slot in self.slots if slot.proc is not None]
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        end = time.monotonic() + STOP_S
        for proc in procs:
            try:
                proc.wait(timeout=max(0.0, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("worker %d did not stop within %.0f s: killed", proc.pid, STOP_S)
                proc.kill()
                proc.wait()


# -- a worker --------------------------------------------------------------------------------------
def _watch_parent(parent: int) -> None:
    """Stop this worker (as SIGTERM does) once its parent is gone: a killed ``serve`` leaves no worker."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_S)
    os.kill(os.getpid(), signal.SIGTERM)


def worker_main(fd: int) -> None:
    """One worker: its own Atlas (an index reader) and app, serving on the inherited socket."""
    from ..app import Atlas
    from ..settings import Settings
    from . import ServerOptions, create_app

    threading.Thread(target=_watch_parent, args=(os.getppid(),), name="paperatlas-parent-watch", daemon=True).start()
    spec = json.loads(sys.stdin.buffer.read())
    values = spec["settings"]
    settings = Settings(**{**values, "home": Path(values["home"])})
    given = spec["options"]
    options = ServerOptions(**{**given, "allowed_hosts": tuple(given["allowed_hosts"])})
    sock = socket.socket(fileno=fd)
    atlas = Atlas.open(spec["location"], settings, index_writer=False)
    try:
        app = create_app(atlas, options)
        run_until_stopped(server_config(app), app.state.runner.stop, sockets=[sock])
    finally:
        atlas.close()


if __name__ == "__main__":
    worker_main(int(sys.argv[1]))
