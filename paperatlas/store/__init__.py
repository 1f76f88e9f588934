"""Storage of the catalog behind one protocol (``protocol.Store``).

``open_store(location)`` picks the store for a location: a file path (SQLite, the embedded
default), ``None`` for an in-memory catalog, or a ``postgresql://`` (``postgres://``) URL for a
catalog in a PostgreSQL database (``store.postgres``; needs ``pip install 'paperatlas[postgres]'``).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import CatalogError
from .protocol import Action, CatalogWriter, FileInfo, FileState, Identity, PendingPair, Store

__all__ = ["Action", "CatalogWriter", "FileInfo", "FileState", "Identity", "PendingPair", "Store", "open_store"]

POSTGRES_SCHEMES = ("postgresql", "postgres")


def open_store(location: str | Path | None, home: Path | None = None) -> Store:
    """The store at ``location``: a file path, a PostgreSQL URL, or None for memory. ``home``:
    where a PostgreSQL catalog's derived indexes go (``<home>/indexes/``; default: the settings'
    home from the environment)."""
    text = "" if location is None else str(location)
    # A URL that went through pathlib (``Path("postgresql://h/db")`` is ``postgresql:/h/db``) is
    # still a URL: no one names a catalog file like that (a drive letter has one character).
    text = re.sub(r"^([A-Za-z][A-Za-z0-9+.-]+):/(?!/)", r"\1://", text)
    if "://" in text:
        scheme = text.split("://", 1)[0].lower()
        if scheme not in POSTGRES_SCHEMES:
            raise CatalogError(f"no store for {scheme}:// locations",
                               hint="give a file path (the SQLite catalog), e.g. --db ~/papers.sqlite,"
                                    " or a PostgreSQL URL, e.g. --db postgresql://me@localhost:5432/papers")
        try:
            from .postgres import PostgresStore
        except ImportError as exc:
            raise CatalogError(f"a PostgreSQL catalog needs {exc.name}, which is not installed",
                               hint="pip install 'paperatlas[postgres]'") from None
        return PostgresStore(text, home)
    from .sqlite import SQLiteStore

    return SQLiteStore(None if location is None else Path(text).expanduser())
