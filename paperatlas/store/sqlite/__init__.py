"""The SQLite store: one catalog file (or memory), its derived indexes in ``<file>.index/``.

``SQLiteStore(path)`` opens (creating and migrating) a catalog; ``SQLiteStore(None)`` is an
in-memory catalog whose indexes live in memory too.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from ...errors import CatalogError
from . import bulk
from .bulk import SQLiteDump, SQLiteLoad
from .connection import Database
from .feed import SQLiteFeed
from .library import SQLiteLibrary
from .papers import SQLitePapers
from .programme import SQLiteProgramme
from .review import SQLiteReview
from .sources import SQLiteSources
from .users import SQLiteUsers
from .vectors import SQLiteVectors
from .watches import SQLiteWatches
from .writer import SQLiteWriter

__all__ = ["SQLiteStore"]

BACKUP_PAGES = 4096  # pages copied per step of an online backup: other writers get turns between


class SQLiteStore:
    """``store.protocol.Store`` over one SQLite file."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = None if path is None else Path(path)
        self.db = Database(self.path)
        self.location = str(self.path) if self.path else ":memory:"
        self.index_folder = None if self.path is None else Path(str(self.path) + ".index")
        self.papers = SQLitePapers(self.db)
        self.feed = SQLiteFeed(self.db)
        self.library = SQLiteLibrary(self.db)
        self.vectors = SQLiteVectors(self.db)
        self.review = SQLiteReview(self.db)
        self.sources = SQLiteSources(self.db)
        self.programme = SQLiteProgramme(self.db)
        self.watches = SQLiteWatches(self.db)
        self.users = SQLiteUsers(self.db)

    def library_of(self, user_id: int) -> SQLiteLibrary:
        """The library of one user (0: the owner's, ``self.library``)."""
        return self.library if user_id == 0 else SQLiteLibrary(self.db, user_id)

    def watches_of(self, user_id: int) -> SQLiteWatches:
        """The watches and followed authors of one user (0: the owner's, ``self.watches``)."""
        return self.watches if user_id == 0 else SQLiteWatches(self.db, user_id)

    @contextmanager
    def writer(self) -> Iterator[SQLiteWriter]:
        """One write transaction: everything done through the writer, or (on any error) nothing."""
        with self.db.transaction():
            yield SQLiteWriter(self.db)

    def backup(self, dest: Path, progress: Callable[[int, int], None] | None = None) -> None:
        """A consistent copy of the live catalog at ``dest`` (SQLite's online backup API: other
        processes may go on reading and writing meanwhile). ``dest`` must not exist."""
        if dest.exists():
            raise CatalogError(f"{dest} exists", hint="choose a new file name; a backup never overwrites")
        dest.parent.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(str(dest))
        try:
            with self.db.lock:
                self.db.conn.backup(target, pages=BACKUP_PAGES,
                                    progress=(lambda status, left, total: progress(total - left, total)) if progress else None)
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        except BaseException:
            target.close()
            dest.unlink(missing_ok=True)
            raise
        target.close()

    def compact(self) -> None:
        """Rewrite the file with full pages and no free ones (SQLite's VACUUM). Vectors stored in
        hash order leave their pages about 3/4 full: 678 B per paper before, 587 after, over the
        3,014 ICLR 2021 papers (bench/index_speed.py). Needs free disk space the size of the file."""
        with self.db.lock:
            self.db.execute("VACUUM")

    def close(self) -> None:
        self.db.close()

    def dump_tables(self) -> AbstractContextManager[SQLiteDump]:
        """Every table, from one consistent snapshot (``protocol.TableDump``)."""
        return bulk.dump_tables(self.db)

    def load_tables(self) -> AbstractContextManager[SQLiteLoad]:
        """Rows into this catalog, which must be empty, in one transaction (``protocol.TableLoad``)."""
        return bulk.load_tables(self.db, self.location)
