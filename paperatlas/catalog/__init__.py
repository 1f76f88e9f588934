"""The catalog: one SQLite file holding papers, the records they were merged from, and files.

``Catalog(path)`` or ``Catalog(memory=True)``; everything else in paperatlas reaches the
database through this object.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Iterator

from ..models import Paper, Record, SourceRef
from . import read, store
from .read import Filters
from .write import BatchResult, FileInfo, unchanged_file, write_batch

__all__ = ["BatchResult", "Catalog", "FileInfo", "Filters", "default_path"]


def default_path(env: dict[str, str] | None = None) -> Path:
    """``$PAPERATLAS_HOME/catalog.sqlite``, with ``~/.paperatlas`` as the home by default."""
    env = dict(os.environ) if env is None else env
    home = env.get("PAPERATLAS_HOME") or str(Path.home() / ".paperatlas")
    return Path(home).expanduser() / "catalog.sqlite"


class Catalog:
    def __init__(self, path: str | Path | None = None, *, memory: bool = False) -> None:
        self.path = None if memory else Path(path) if path else default_path()
        self.db = store.connect(self.path, memory=memory)

    def close(self) -> None:
        self.db.close()

    def compact(self) -> None:
        """Rewrite the file with full pages and no free ones (SQLite's VACUUM). Vectors stored in
        hash order leave their pages about 3/4 full: 678 B per paper before, 587 after, over
        the 3,014 ICLR 2021 papers (bench/index_speed.py). Needs free disk space the size of
        the file, and waits for other connections' writes."""
        self.db.execute("VACUUM")

    def __enter__(self) -> "Catalog":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # writing
    def write_batch(
        self, info: FileInfo, records: list[Record], progress: Callable[[int], None] | None = None
    ) -> BatchResult:
        return write_batch(self.db, info, records, progress)

    def unchanged_file(self, path: str, fingerprint: str) -> dict[str, Any] | None:
        return unchanged_file(self.db, path, fingerprint)

    # reading
    def get(self, paper_id: str) -> Paper:
        return read.get_paper(self.db, paper_id)

    def papers(self, filters: Filters | None = None, limit: int | None = 50, offset: int = 0) -> list[Paper]:
        return read.list_papers(self.db, filters or Filters(), limit, offset)

    def iter_papers(self, filters: Filters | None = None) -> Iterator[Paper]:
        return read.iter_papers(self.db, filters or Filters())

    def count(self, filters: Filters | None = None) -> int:
        return read.count_papers(self.db, filters or Filters())

    def records_of(self, paper_id: str) -> list[tuple[SourceRef, Record]]:
        self.get(paper_id)  # NotFound for an unknown id
        return read.records_of(self.db, paper_id)

    def files(self) -> list[dict[str, Any]]:
        return read.files(self.db)

    def stats(self) -> dict[str, Any]:
        return read.stats(self.db)

    # derived indexes (keyword, vectors) follow the change feed
    def papers_by_ids(self, ids: list[str], with_sources: bool = True) -> dict[str, Paper]:
        return read.papers_by_ids(self.db, ids, with_sources)

    def papers_for_indexing(self, ids: list[str]) -> dict[str, Paper]:
        return read.papers_for_indexing(self.db, ids)

    def changes_since(self, seq: int, limit: int = 10_000) -> tuple[int, list[tuple[str, str]]]:
        return read.changes_since(self.db, seq, limit)

    def ids_matching(self, filters: Any) -> set[str]:
        return read.ids_matching(self.db, filters)

    def index_seq(self, name: str) -> int:
        return read.index_seq(self.db, name)

    def last_change(self) -> int:
        return read.last_change(self.db)

    def set_index_seq(self, name: str, seq: int, info: str = "{}") -> None:
        self.db.execute(
            "INSERT INTO index_state (name, seq, info) VALUES (?, ?, ?)"
            " ON CONFLICT(name) DO UPDATE SET seq = excluded.seq, info = excluded.info",
            (name, seq, info),
        )
