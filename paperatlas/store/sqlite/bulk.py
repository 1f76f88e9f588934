"""Every table of a SQLite catalog out and in, for moving a catalog to another store
(``store.transfer.copy_catalog``; the tables and columns are ``protocol.COPY_TABLES``).

A dump of a catalog file reads through a read-only connection of its own: one WAL snapshot for the
whole dump, while the store's connections go on serving reads and writes (an in-memory catalog has
no second connection: its dump holds the writers' lock instead). A load is one write transaction
into an empty catalog.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ...errors import CatalogError
from ..protocol import COPY_TABLES
from .connection import Database

# Rows in the order they were written: rowid, or the key of tables without one.
ORDER = {"match_keys": "key, paper_id", "block_keys": "key, paper_id", "embeddings": "model, text_hash",
         "paper_embeddings": "paper_id, model", "source_items": "source_id, key",
         "server_keys": "name"}


def _table(name: str) -> str:
    if name not in COPY_TABLES:
        raise KeyError(f"not a catalog table: {name}")
    return name


class SQLiteDump:
    """``protocol.TableDump`` over one snapshot of a SQLite catalog."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def count(self, table: str) -> int:
        return int(self.conn.execute(f"SELECT count(*) FROM {_table(table)}").fetchone()[0])

    def rows(self, table: str, chunk: int = 10_000) -> Iterator[list[tuple[Any, ...]]]:
        columns = ", ".join(COPY_TABLES[_table(table)])
        cur = self.conn.execute(f"SELECT {columns} FROM {table} ORDER BY {ORDER.get(table, 'rowid')}")
        while batch := cur.fetchmany(chunk):
            yield [tuple(r) for r in batch]


class SQLiteLoad:
    """``protocol.TableLoad`` into a SQLite catalog, inside the caller's transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def add(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        columns = COPY_TABLES[_table(table)]
        self.conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows)
        if table == "papers":
            # The inserts fired the change feed's triggers; the source's own feed is loaded next.
            self.conn.execute("DELETE FROM paper_changes")

    def count(self, table: str) -> int:
        return int(self.conn.execute(f"SELECT count(*) FROM {_table(table)}").fetchone()[0])


@contextmanager
def dump_tables(db: Database) -> Iterator[SQLiteDump]:
    if db.path is None:
        with db.lock:
            yield SQLiteDump(db.conn)
        return
    conn = sqlite3.connect(f"{db.path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        conn.execute("BEGIN")  # one snapshot for every table
        yield SQLiteDump(conn)
    finally:
        conn.close()


@contextmanager
def load_tables(db: Database, location: str) -> Iterator[SQLiteLoad]:
    with db.transaction() as conn:
        filled = [t for t in COPY_TABLES if conn.execute(f"SELECT 1 FROM {t} LIMIT 1").fetchone() is not None]
        if filled:
            raise CatalogError(f"{location} is not empty (it has {', '.join(filled)})",
                               hint="copy into a new catalog: give a file that does not exist yet")
        yield SQLiteLoad(conn)
