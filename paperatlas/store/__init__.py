"""Storage of the catalog behind one protocol (``protocol.Store``).

``open_store(location)`` picks the store for a location: a file path (SQLite, the embedded
default) or ``None`` for an in-memory catalog. A PostgreSQL store plugs in here next, for
``postgresql://`` locations.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import CatalogError
from .protocol import Action, CatalogWriter, FileInfo, FileState, Identity, PendingPair, Store

__all__ = ["Action", "CatalogWriter", "FileInfo", "FileState", "Identity", "PendingPair", "Store", "open_store"]


def open_store(location: str | Path | None) -> Store:
    """The store at ``location``: a file path, or None for memory."""
    text = "" if location is None else str(location)
    if "://" in text:
        scheme = text.split("://", 1)[0]
        raise CatalogError(f"no store for {scheme}:// locations in this version",
                           hint="give a file path (the SQLite catalog), e.g. --db ~/papers.sqlite")
    from .sqlite import SQLiteStore

    return SQLiteStore(None if location is None else Path(text).expanduser())
