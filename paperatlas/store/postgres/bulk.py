"""Every table of a PostgreSQL catalog out and in (``protocol.COPY_TABLES``), for moving a catalog
between stores (``store.transfer.copy_catalog``).

A dump reads one snapshot (a REPEATABLE READ, read-only transaction) through server-side cursors,
so a live catalog can be copied while it is used. A load is one transaction into an empty
catalog, with ``COPY``; ids keep their values, and the id sequences move past them at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import psycopg

from ...errors import CatalogError
from ..protocol import COPY_TABLES
from .connection import Connection, Database
from .writer import no_nul

# Rows in the order they were written.
ORDER = {
    "files": "id", "papers": "id", "records": "id", "match_keys": "key, paper_id", "block_keys": "key, paper_id",
    "paper_changes": "seq", "index_state": "name", "embeddings": "model, text_hash", "paper_embeddings": "paper_id, model",
    "users": "id", "server_keys": "name",
    "stars": "seq", "tags": "seq", "notes": "paper_id", "lists": "id", "list_items": "list_id, position",
    "profile_feedback": "seq", "merge_actions": "id", "merge_links": "seq", "merge_review": "id",
    "sources": "id", "source_items": "source_id, key", "sync_runs": "id",
    "programmes": "venue_key, year", "programme_sessions": "id", "programme_entries": "session_id, position",
    "watches": "id", "watch_items": "id", "follows": "key", "paper_snapshots": "seq", "watch_state": "name",
    "counter_series": "paper_id, counter, observed_at",
}
# Identity columns loaded with the source's values: their sequences continue after the largest.
SEQUENCES = {"files": "id", "users": "id", "lists": "id", "merge_actions": "id", "merge_review": "id", "paper_changes": "seq",
             "sources": "id", "sync_runs": "id", "programme_sessions": "id",
             "watches": "id", "watch_items": "id", "paper_snapshots": "seq"}


def _table(name: str) -> str:
    if name not in COPY_TABLES:
        raise KeyError(f"not a catalog table: {name}")
    return name


def _vector_bytes(raw: bytes) -> bytes:
    """``halfvec_send`` output (int16 dim, int16 unused, big-endian float16s) -> int8 bytes."""
    return np.frombuffer(raw, dtype=">f2", offset=4).astype(np.int8).tobytes()


class PostgresDump:
    """``protocol.TableDump`` over one snapshot of a PostgreSQL catalog."""

    def __init__(self, db: Database, conn: Connection) -> None:
        self.db, self.conn = db, conn
        self._cursors = 0

    def count(self, table: str) -> int:
        with self.db.guard():
            row = self.conn.execute(f"SELECT count(*) FROM {_table(table)}".encode()).fetchone()
        return int(row[0]) if row else 0

    def rows(self, table: str, chunk: int = 10_000) -> Iterator[list[tuple[Any, ...]]]:
        columns = [("halfvec_send(vector)" if c == "vector" else c) for c in COPY_TABLES[_table(table)]]
        self._cursors += 1
        with self.db.guard(), self.conn.cursor(name=f"dump_{self._cursors}") as cur:
            cur.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {ORDER[table]}".encode())
            while batch := cur.fetchmany(chunk):
                if table == "embeddings":
                    batch = [(m, h, _vector_bytes(bytes(v)), s) for m, h, v, s in batch]
                yield batch


class PostgresLoad:
    """``protocol.TableLoad`` into a PostgreSQL catalog, inside the caller's transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.loaded: set[str] = set()

    def add(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        columns = list(COPY_TABLES[_table(table)])
        if table == "papers":  # Python's lower case of venue, track and session, for filters
            columns += ["venue_fold", "track_fold", "session_fold"]
            rows = [(*r, *(v.lower() if v else v for v in (r[5], r[7], r[8]))) for r in rows]
        elif table == "embeddings":  # halfvec's text form, written from the int8 values (fast, exact)
            rows = [(m, h, "[" + ",".join(map(str, np.frombuffer(v, dtype=np.int8).tolist())) + "]", s)
                    for m, h, v, s in rows]
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN".encode()
        try:
            with self.conn.transaction(), self.conn.cursor().copy(sql) as copy:  # a savepoint: see below
                for row in rows:
                    copy.write_row(row)
        except psycopg.DataError as exc:
            if "NUL" not in str(exc):
                raise
            # Text with NUL (which SQLite stores and PostgreSQL cannot): this batch again, NUL as U+FFFD.
            with self.conn.cursor().copy(sql) as copy:
                for row in rows:
                    copy.write_row([no_nul(v) for v in row])
        if table == "papers":
            # The copy fired the change feed's trigger; the source's own feed is loaded next.
            self.conn.execute("DELETE FROM paper_changes")
        self.loaded.add(table)

    def count(self, table: str) -> int:
        row = self.conn.execute(f"SELECT count(*) FROM {_table(table)}".encode()).fetchone()
        return int(row[0]) if row else 0

    def finish(self) -> None:
        """Identity sequences continue after the loaded ids."""
        for table, column in SEQUENCES.items():
            self.conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'),"
                              f" coalesce((SELECT max({column}) FROM {table}), 0) + 1, false)".encode())


@contextmanager
def dump_tables(db: Database) -> Iterator[PostgresDump]:
    with db.guard(), db.pool.connection() as conn:
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield PostgresDump(db, conn)


@contextmanager
def load_tables(db: Database) -> Iterator[PostgresLoad]:
    with db.transaction(catalog=True) as conn:
        filled = [t for t in COPY_TABLES if conn.execute(f"SELECT 1 FROM {t} LIMIT 1".encode()).fetchone() is not None]
        if filled:
            raise CatalogError(f"{db.shown} is not empty (it has {', '.join(filled)})",
                               hint="copy into a new, empty database (createdb NAME), or drop this one first")
        load = PostgresLoad(conn)
        yield load
        load.finish()
