"""Moving a whole catalog from one store to another (``paperatlas migrate --to URL``): every table
of ``protocol.COPY_TABLES`` (files, records, papers, blocking keys, the change feed, decisions,
the review queue, the library with its feedback, vectors), row for row, ids and times kept.

The source is read from one consistent snapshot while it stays usable; the destination must be
empty and is written in one transaction, so a failed or interrupted copy leaves it empty. Derived
indexes are not copied: they are rebuilt beside the destination from what was copied (the stored
vectors are copied, so nothing is embedded again).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..errors import CatalogError
from .protocol import COPY_TABLES, Store

Progress = Callable[[int, int], None]  # (rows copied, rows in all)
CHUNK = 10_000  # rows read and written at a time


def copy_catalog(source: Store, dest: Store, progress: Progress | None = None) -> dict[str, tuple[int, int]]:
    """Copy everything in ``source`` into the empty ``dest``; per table, (rows in the source, rows
    in the destination), counted in the source's snapshot and in the destination's transaction
    before it commits. A count that differs rolls the copy back and raises CatalogError."""
    counts: dict[str, tuple[int, int]] = {}
    with source.dump_tables() as dump, dest.load_tables() as load:
        expected = {table: dump.count(table) for table in COPY_TABLES}
        total, done = sum(expected.values()), 0
        if progress:
            progress(0, total)
        for table in COPY_TABLES:
            for rows in dump.rows(table, CHUNK):
                load.add(table, rows)
                done += len(rows)
                if progress:
                    progress(done, total)
            counts[table] = (expected[table], load.count(table))
        wrong = {t: c for t, c in counts.items() if c[0] != c[1]}
        if wrong:  # raised inside the load: nothing of the copy is kept
            detail = ", ".join(f"{t} {a} -> {b}" for t, (a, b) in wrong.items())
            raise CatalogError(f"copying {source.location} to {dest.location} lost rows ({detail}); nothing was kept",
                               hint="the source changed in a way the copy does not know? report it with this message")
    return counts


def copy_to(source: Store, location: str | Path, home: Path | None = None,
            progress: Progress | None = None) -> dict[str, tuple[int, int]]:
    """``copy_catalog`` into the catalog at ``location`` (a PostgreSQL URL or a new file; it is
    created and migrated if need be, and must hold nothing), closed again; the counts.
    ``home``: where a PostgreSQL catalog's derived indexes will live (``open_store``)."""
    from . import open_store

    dest = open_store(location, home)
    try:
        return copy_catalog(source, dest, progress)
    finally:
        dest.close()
