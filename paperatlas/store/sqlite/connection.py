"""Opening the catalog file: the only place that creates SQLite connections."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

from ..errors import CatalogError
from . import migrations


def connect(path: str | Path | None, *, memory: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, migrated."""
    target = ":memory:" if memory or path is None else str(path)
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    try:
        db = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA busy_timeout=5000")
        db.execute("PRAGMA cache_size=-262144")  # 256 MiB: index pages of a 1M-paper catalog
        db.execute("PRAGMA temp_store=MEMORY")
        newer = migrations.unknown(db) if _has_migrations(db) else []
        if newer:
            raise CatalogError(
                f"{target} was written by a newer paperatlas (migrations {', '.join(newer)})",
                hint="upgrade paperatlas, or use another catalog with --db",
            )
        migrations.apply(db)
    except sqlite3.DatabaseError as exc:
        raise CatalogError(
            f"cannot open the catalog {target}: {exc}",
            hint="is it a paperatlas catalog? pass another file with --db, or move this one away",
        ) from None
    return db


def _has_migrations(db: sqlite3.Connection) -> bool:
    row = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='_migrations'"
    ).fetchone()
    return row is not None


IN_CHUNK = 500  # ids per IN (...) list, below SQLite's variable limit


def in_chunks(ids: Sequence[str]) -> Iterator[tuple[list[str], str]]:
    """``ids`` in chunks small enough for one ``IN (...)`` list, each with its ``?,?,...``."""
    for start in range(0, len(ids), IN_CHUNK):
        chunk = list(ids[start : start + IN_CHUNK])
        yield chunk, ",".join("?" * len(chunk))


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction on an autocommit connection: all of it, or (on any error) none."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
