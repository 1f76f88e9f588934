"""The catalog file's connection: the only place that creates SQLite connections.

Two connections per catalog file, shared by the threads of one process (the web server's
workers): one for reading and one for write transactions. ``Database.lock`` serialises writers;
a thread inside a transaction reads and writes on the write connection (it sees its own
uncommitted rows), every other thread reads the last committed state on the read connection
(WAL), so a long import never blocks searches and a search never sees half an import. Other
processes wait on SQLite's own lock (``busy_timeout``). An in-memory catalog has one
connection (a second one would be another database).
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


def connect(target: str) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, migrated."""
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    try:
        db = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA cache_size=-262144")  # 256 MiB: index pages of a 1M-paper catalog
        db.execute("PRAGMA temp_store=MEMORY")
        db.create_function("pa_lower", 1, _lower, deterministic=True)
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
        self.reader = connect(":memory:" if path is None else str(path))
        self.write_conn = self.reader if path is None else connect(str(path))
        self.lock = threading.RLock()
        self._writing = threading.local()  # set in the thread that holds the write transaction

    @property
    def conn(self) -> sqlite3.Connection:
        """The write connection inside this thread's transaction, else the read connection."""
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
        with self.lock:
            self.reader.close()
            if self.write_conn is not self.reader:
                self.write_conn.close()


IN_CHUNK = 500  # ids per IN (...) list, below SQLite's variable limit


def in_chunks(ids: Sequence[str]) -> Iterator[tuple[list[str], str]]:
    """``ids`` in chunks small enough for one ``IN (...)`` list, each with its ``?,?,...``."""
    for start in range(0, len(ids), IN_CHUNK):
        chunk = list(ids[start : start + IN_CHUNK])
        yield chunk, ",".join("?" * len(chunk))
