"""The application object: one catalog and everything built on it.

``Atlas.open(location, settings)`` opens the store (a file path; None with ``memory=True`` for an
in-memory catalog) and owns, for as long as it is open: the store, the derived indexes, the
embedder (loaded on first use), a small thread pool for the parts of a search that run beside
each other, and caches of whole-catalog aggregates. Every use case (``paperatlas.services``)
takes an ``Atlas``; the CLI and the web app build one at their edge and pass it down. Nothing
here is process-wide: two Atlases in one process share nothing (Datasette's ``Datasette``
object is the model).

A lab server has many people over one catalog: ``atlas.for_user(id)`` is a view of the same
Atlas (same store, indexes, pool and caches) whose ``library`` is that user's; ``atlas.library``
of the Atlas itself is the owner's (user 0), which is what the CLI and a personal server use.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .indexes import Indexes
from .settings import Settings
from .store import Store, open_store

if TYPE_CHECKING:
    from .embeddings import Embedder
    from .store.protocol import LibraryStore, WatchStore

log = logging.getLogger("paperatlas")
T = TypeVar("T")
POOL_THREADS = 2  # the parts of one search that overlap: facets beside ranking, query embedding beside BM25


class Atlas:
    """One open catalog: ``store``, ``indexes``, ``settings``; ``embedder()``, ``pool``, ``cached``."""

    def __init__(self, store: Store, settings: Settings | None = None, *, index_writer: bool = True) -> None:
        self.store = store
        self.user = 0  # whose library ``library`` is: 0, the catalog's owner
        self._root: Atlas | None = None  # for a user's view: the Atlas that owns the resources
        self.settings = settings or Settings()
        self.indexes = Indexes(store, self.embedder, writer=index_writer)
        self._embedder: Embedder | None = None
        self._embedder_lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._cache: dict[Any, tuple[int, Any]] = {}
        self._warming: threading.Thread | None = None
        self._warm_lock = threading.Lock()

    @classmethod
    def open(cls, location: str | Path | None = None, settings: Settings | None = None, *, memory: bool = False,
             index_writer: bool = True) -> Atlas:
        """The catalog at ``location`` (default: the settings' catalog), created and migrated if
        needed; ``memory=True`` for a catalog that lives only as long as this object.
        ``index_writer=False``: another process writes the derived index files (``Indexes``)."""
        settings = settings or Settings()
        return cls(open_store(None if memory else (location or settings.catalog), home=settings.home), settings,
                   index_writer=index_writer)

    @property
    def location(self) -> str:
        return self.store.location

    @property
    def library(self) -> LibraryStore:
        """The library of this Atlas's user: stars, tags, notes, lists, feedback."""
        return self.store.library_of(self.user)

    @property
    def watches(self) -> WatchStore:
        """This Atlas's user's watches and followed authors (and the catalog's snapshots and
        counter series, which every user shares)."""
        return self.store.watches_of(self.user)

    def for_user(self, user_id: int) -> Atlas:
        """This Atlas as seen by one user: everything shared but the library. Closing the view
        does nothing; the Atlas it came from owns the resources."""
        if user_id == self.user:
            return self
        root = self._root or self
        if user_id == 0:
            return root
        view = copy.copy(root)
        view.user, view._root = user_id, root
        return view

    def embedder(self) -> Embedder:
        """The embedder of the semantic index, created on first use."""
        if self._root is not None:
            return self._root.embedder()
        with self._embedder_lock:
            if self._embedder is None:
                from .embeddings import get_embedder

                self._embedder = get_embedder(self.settings.embedder, cache_dir=self.settings.model_cache)
            return self._embedder

    def use_embedder(self, embedder: Embedder) -> None:
        """Use this embedder (tests, benchmarks, plugins that build one themselves)."""
        if self._root is not None:
            return self._root.use_embedder(embedder)
        with self._embedder_lock:
            self._embedder = embedder

    @property
    def pool(self) -> ThreadPoolExecutor:
        if self._root is not None:
            return self._root.pool
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=POOL_THREADS, thread_name_prefix="paperatlas")
            return self._pool

    def cached(self, key: Any, compute: Callable[[], T]) -> T:
        """``compute()``, again only after the catalog's papers change (whole-catalog aggregates
        such as the venue table cost a full scan)."""
        seq = self.store.feed.last_change()
        hit = self._cache.get(key)
        if hit is None or hit[0] != seq:
            hit = self._cache[key] = (seq, compute())
        return hit[1]

    def warm_up(self) -> None:
        """Bring the keyword index up to date in a background thread (at most one at a time), so
        the first search after a start or an import does not wait for it."""
        if self._root is not None:
            return self._root.warm_up()
        with self._warm_lock:
            if self._warming is not None and self._warming.is_alive():
                return
            self._warming = threading.Thread(target=self._warm, name="paperatlas-warm-up", daemon=True)
            self._warming.start()

    def _warm(self) -> None:
        try:
            self.indexes.keyword_for_reading()
        except Exception:  # noqa: BLE001 - the next search reports the problem
            log.warning("warming up the keyword index failed", exc_info=True)

    def settle(self, timeout: float | None) -> bool:
        """Wait for the warm-up thread; False if it still runs after ``timeout`` seconds."""
        if self._root is not None:
            return self._root.settle(timeout)
        thread = self._warming
        if thread is not None:
            thread.join(timeout)
        return thread is None or not thread.is_alive()

    def close(self) -> None:
        if self._root is not None:  # a user's view owns nothing
            return
        self.settle(timeout=None)  # the warm-up thread uses the store: let it finish first
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        self.store.close()

    def __enter__(self) -> Atlas:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
