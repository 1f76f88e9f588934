"""The catalog file's connection: the only place that creates SQLite connections.

One write connection per catalog file and one read connection per thread that reads (the web
server's workers). ``Database.lock`` serialises writers; a thread inside a transaction reads and
writes on the write connection (it sees its own uncommitted rows), every other thread reads the
last committed state on its own read connection (WAL), so a long import never blocks searches
and a search never sees half an import. Other processes wait on SQLite's own lock
(``busy_timeout``). An in-memory catalog has one connection (a second one would be another
database).

Why not one read connection shared by the threads: a query that calls a Python SQL function
(``pa_lower``) holds the connection's mutex while it waits for the GIL, and another thread that
holds the GIL waits for that mutex to start its query. The web server deadlocked that way under
concurrent searches (found by ``bench/hostile_corpus.py``).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ... import deadline
from ...errors import CatalogError, WriteBusy
from . import migrations

BUSY_TIMEOUT_MS = 10_000


def _open(target: str) -> sqlite3.Connection:
    db = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA cache_size=-262144")  # 256 MiB at most: index pages of a 1M-paper catalog
    db.execute("PRAGMA temp_store=MEMORY")
    db.create_function("pa_lower", 1, _lower, deterministic=True)
    return db


def reader(target: str) -> sqlite3.Connection:
    """Another connection to a catalog ``connect`` has opened (and migrated), for reading."""
    try:
        return _open(target)
    except sqlite3.DatabaseError as exc:
        raise CatalogError(f"cannot open the catalog {target}: {exc}", hint="is the file still there?") from None


def connect(target: str) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, migrated."""
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    try:
        db = _open(target)
        newer = migrations.unknown(db) if _has_migrations(db) else []
        if newer:
            db.close()
            raise CatalogError(
                f"{target} was written by a newer paperatlas (it has migrations {', '.join(newer)})",
                hint="upgrade paperatlas (pip install -U paperatlas), or use another catalog with --db",
            )
        migrations.apply(db)
    except sqlite3.DatabaseError as exc:
        raise CatalogError(
            f"cannot open the catalog {target}: {exc}",
            hint="is it a paperatlas catalog? pass another file with --db, or move this one away",
        ) from None
    return db


def _lower(value: str | None) -> str | None:
    """Unicode lower case for SQL (SQLite's own ``lower`` and NOCASE fold only A-Z)."""
    return value.lower() if isinstance(value, str) else value


def _has_migrations(db: sqlite3.Connection) -> bool:
    row = db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='_migrations'").fetchone()
    return row is not None


class Database:
    """One catalog file (or an in-memory catalog): its connections and its writers' lock."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.write_conn = connect(":memory:" if path is None else str(path))
        self.lock = threading.RLock()
        self._writing = threading.local()  # set in the thread that holds the write transaction
        self._local = threading.local()  # this thread's read connection
        self._readers: list[tuple[threading.Thread, sqlite3.Connection]] = []  # to close them
        self._readers_lock = threading.Lock()

    @property
    def reader(self) -> sqlite3.Connection:
        """This thread's read connection (opened on its first read). Connections of threads that
        have ended are closed when a new one is opened."""
        conn: sqlite3.Connection | None = getattr(self._local, "reader", None)
        if conn is not None:
            return conn
        conn = self.write_conn if self.path is None else reader(str(self.path))
        self._local.reader = conn
        with self._readers_lock:
            ended = [c for t, c in self._readers if not t.is_alive()]
            self._readers = [(t, c) for t, c in self._readers if t.is_alive()]
            self._readers.append((threading.current_thread(), conn))
        for old in ended:
            if old is not self.write_conn:
                old.close()
        return conn

    @property
    def conn(self) -> sqlite3.Connection:
        """The write connection inside this thread's transaction, else this thread's read connection."""
        return self.write_conn if getattr(self._writing, "depth", 0) else self.reader

    def execute(self, sql: str, args: Sequence[object] | dict[str, object] = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, args)

    def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> sqlite3.Cursor:
        return self.conn.executemany(sql, rows)

    def one(self, sql: str, args: Sequence[object] = ()) -> Any:
        """The first column of the first row (None when there is no row)."""
        row = self.conn.execute(sql, args).fetchone()
        return None if row is None else row[0]

    @contextmanager
    def transaction(self, wait: float | None = None) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it, or (on any error) none. Inside another transaction
        of the same thread it joins that one. ``wait``: longest wait (seconds) for another
        thread's write to end, then ``WriteBusy``; by default what is left of the caller's
        ``deadline`` (a web request's budget), else as long as it takes."""
        wait = deadline.remaining() if wait is None else wait
        if not self.lock.acquire(timeout=-1 if wait is None else max(wait, 0.0)):
            raise WriteBusy("another write to the catalog (an import?) is still running",
                            hint="try again when it has finished")
        depth = getattr(self._writing, "depth", 0)
        self._writing.depth = depth + 1
        conn = self.write_conn
        try:
            if depth or conn.in_transaction:
                yield conn
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            self._writing.depth = depth
            self.lock.release()

    def close(self) -> None:
        with self.lock, self._readers_lock:
            for _, conn in self._readers:
                if conn is not self.write_conn:
                    conn.close()
            self._readers = []
            self.write_conn.close()


IN_CHUNK = 500  # ids per IN (...) list, below SQLite's variable limit


def in_chunks(ids: Sequence[str]) -> Iterator[tuple[list[str], str]]:
    """``ids`` in chunks small enough for one ``IN (...)`` list, each with its ``?,?,...``."""
    for start in range(0, len(ids), IN_CHUNK):
        chunk = list(ids[start : start + IN_CHUNK])
        yield chunk, ",".join("?" * len(chunk))
