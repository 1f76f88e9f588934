"""The vector index of a store: follows the change feed, embeds only new texts, searches by
cosine.

Storage is the store (``store.vectors``: int8 vectors keyed by model and text hash, and which
hash each paper uses); this index is derived from it and can always be rebuilt.

- Below ``HNSW_MIN`` live vectors the index is an int8 matrix in memory, loaded from the store
  on open and searched exactly with numpy.
- From ``HNSW_MIN`` on it is a usearch int8 HNSW graph, saved in the index folder as
  ``vectors-<model>.usearch``, with ``vectors-<model>.ids.json`` (paper id by key)
  and ``vectors-<model>.json`` (written last: the store, the change-feed position the graph
  reflects, sizes of the other two). On open the saved graph is checked against the store and
  caught up from the change feed; a missing, partial or foreign one is rebuilt from the store.
  A process holding the index picks up another process's sync on its next search.
- A search restricted to an ``allowed`` set of up to ``EXACT_ALLOWED_MAX`` papers is exact.

``sync`` is incremental and resumable: it reads changes in chunks, embeds texts whose hash is not
stored yet in batches (each batch committed), and moves the index's position in the change feed
only past chunks it finished, so an interrupted run resumes without re-embedding anything.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..embeddings import Embedder, quantize
from ..search.document import embedding_text, embedding_title, text_hash, title_weighted, vector_model

if TYPE_CHECKING:
    from ..store.protocol import Store

HNSW_MIN = 20_000  # live vectors from which search uses the HNSW graph
EXACT_ALLOWED_MAX = 20_000  # an allowed set up to this size is searched exactly
CHANGES_PER_CHUNK = 2_048  # change-feed rows read (and committed as applied) at a time
REBUILD_DEAD_SHARE = 0.25  # rebuild the graph when this share of its keys are removed ones
# Candidates the graph search keeps (usearch's default is 64). On 1M clustered 384-d vectors
# recall@10 was 0.85 / 0.94 / 0.98 at 64 / 128 / 256 for p50 1.0 / 1.3 / 1.7 ms (bench/embed_speed.py).
EXPANSION_SEARCH = 256
ADD_THREADS = 0  # threads that insert into the graph (0: every core); 1 builds the same graph every run
FORMAT = 1

Progress = Callable[[int, int], None]


class VectorIndex:
    """Paper vectors of one embedder for one store."""

    def __init__(self, model: str, dim: int, folder: Path | None = None) -> None:
        self.model = model
        self.dim = dim
        self.folder = folder
        self.seq = 0  # change-feed position whose papers the index reflects
        self.ids: list[str | None] = []  # key -> paper id, None where removed
        self.key_of: dict[str, int] = {}
        self.matrix = np.zeros((0, dim), np.int8)  # rows by key, while there is no graph
        self.hnsw: Any = None
        self.store: Store | None = None
        self.embedder: Embedder | None = None
        self._dense: tuple[np.ndarray, np.ndarray] | None = None  # (keys, unit float32 rows)
        self._coverage: tuple[tuple[int, int], float] | None = None
        self._lock = threading.RLock()  # the in-memory index
        self._sync_lock = threading.Lock()  # one sync at a time

    # opening ---------------------------------------------------------------------------------

    @classmethod
    def open(cls, store: Store, embedder: Embedder, folder: Path | None) -> VectorIndex:
        """The index of ``embedder``'s vectors in ``store``, its graph files in ``folder``:
        loaded, rebuilt or caught up."""
        index = cls(vector_model(embedder.name), embedder.dim, folder)
        index.store, index.embedder = store, embedder
        if not index._load(store):
            index._rebuild(store)
        index.refresh(store)
        return index

    @classmethod
    def from_vectors(cls, paper_ids: list[str], vectors: np.ndarray, model: str = "adhoc") -> VectorIndex:
        """An in-memory index of given vectors (float rows are quantised like stored ones)."""
        vectors = np.asarray(vectors)
        index = cls(model, vectors.shape[1])
        index._insert(list(paper_ids), vectors if vectors.dtype == np.int8 else quantize(vectors)[0])
        return index

    @property
    def state_name(self) -> str:
        return f"vectors:{self.model}"

    def __len__(self) -> int:
        return len(self.key_of)

    def _files(self) -> tuple[Path, Path, Path]:
        """The graph, its paper ids by key, and a small description written last."""
        assert self.folder is not None
        stem = f"vectors-{self.model}"
        return self.folder / f"{stem}.usearch", self.folder / f"{stem}.ids.json", self.folder / f"{stem}.json"

    def _rebuild(self, store: Store) -> None:
        """From the store's stored vectors, as of its current change-feed position."""
        seq = store.feed.index_seq(self.state_name)
        ids, matrix = store.vectors.load_all(self.model, self.dim)
        self._reset()
        self._insert(ids, matrix)
        self.seq = seq
        if self.hnsw is not None:
            self.save(store)

    def _reset(self) -> None:
        self.ids, self.key_of, self.hnsw, self._dense = [], {}, None, None
        self.matrix = np.zeros((0, self.dim), np.int8)

    def _saved_meta(self, store: Store) -> dict[str, Any] | None:
        """The description of the saved graph, if it is one of this store and model, whole,
        and not ahead of the store."""
        if self.folder is None:
            return None
        graph, ids, meta_path = self._files()
        try:
            meta = json.loads(meta_path.read_text())
            files = {"graph": graph.stat(), "ids": ids.stat()}
        except (OSError, ValueError):
            return None
        expected = {"format": FORMAT, "model": self.model, "dim": self.dim, "catalog": store.feed.identity()}
        expected |= {f"{k}_bytes": st.st_size for k, st in files.items()}
        expected |= {f"{k}_mtime_ns": st.st_mtime_ns for k, st in files.items()}  # from the same save
        if any(meta.get(k) != v for k, v in expected.items()):
            return None
        return meta if meta["seq"] <= store.feed.index_seq(self.state_name) else None

    def _load(self, store: Store) -> bool:
        meta = self._saved_meta(store)
        if meta is None:
            return False
        from usearch.index import Index

        graph_path, ids_path, _ = self._files()
        ids: list[str | None] = json.loads(ids_path.read_text())
        hnsw = Index.restore(str(graph_path))
        if hnsw is None or hnsw.ndim != self.dim or hnsw.size != sum(i is not None for i in ids):
            return False
        self._reset()
        hnsw.expansion_search = EXPANSION_SEARCH  # type: ignore[misc]  # (it has a setter)
        self.hnsw, self.ids, self.seq = hnsw, ids, int(meta["seq"])
        self.key_of = {pid: key for key, pid in enumerate(ids) if pid is not None}
        return True

    def save(self, store: Store | None = None) -> None:
        """Write the graph and its id mapping next to the store (nothing for an in-memory
        store, or while the index is small enough to load from the store quickly)."""
        store = store or self.store
        if self.folder is None or self.hnsw is None or store is None:
            return
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            meta: dict[str, Any] = {
                "format": FORMAT, "model": self.model, "dim": self.dim,
                "catalog": store.feed.identity(), "seq": self.seq,
            }
            graph, ids, meta_path = self._files()
            tmp = {p: p.with_name(f"{p.name}.{os.getpid()}.tmp") for p in (graph, ids, meta_path)}
            try:
                self.hnsw.save(str(tmp[graph]))
                tmp[ids].write_text(json.dumps(self.ids, separators=(",", ":")))
                for kind, path in (("graph", graph), ("ids", ids)):
                    os.replace(tmp[path], path)
                    st = path.stat()
                    meta |= {f"{kind}_bytes": st.st_size, f"{kind}_mtime_ns": st.st_mtime_ns}
                tmp[meta_path].write_text(json.dumps(meta))
                os.replace(tmp[meta_path], meta_path)
            finally:
                for path in tmp.values():
                    path.unlink(missing_ok=True)

    # keeping up with the store ----------------------------------------------------------------

    def refresh(self, store: Store | None = None) -> int:
        """Apply what ``sync`` (here or in another process) stored since this index last looked;
        returns the number of papers updated. Cheap when nothing changed: one query."""
        store = store or self.store
        if store is None:
            return 0
        with self._lock:
            target = store.feed.index_seq(self.state_name)
            if target < self.seq:  # the store went back (restored from a copy): start over
                self._rebuild(store)
                return len(self)
            updated = 0
            if target > self.seq and self.folder is not None:
                saved = self._saved_meta(store)  # another process synced and saved: start from there
                if saved is not None and saved["seq"] > self.seq and self._load(store):
                    updated = len(self)
            while self.seq < target:
                next_seq, changes = store.feed.changes_since(self.seq, CHANGES_PER_CHUNK)
                next_seq = min(next_seq, target) if changes else target
                self._apply(store, [pid for pid, _ in changes])
                updated += len(changes)
                self.seq = next_seq
            return updated

    def _apply(self, store: Store, paper_ids: list[str]) -> None:
        """Make these papers' entries match what the store links them to."""
        found = store.vectors.paper_vectors(self.model, paper_ids)
        self._remove([pid for pid in paper_ids if pid in self.key_of])
        fresh = [pid for pid in paper_ids if pid in found]
        if fresh:
            self._insert(fresh, np.stack([found[pid] for pid in fresh]))

    def _remove(self, paper_ids: list[str]) -> None:
        if not paper_ids:
            return
        keys = [self.key_of.pop(pid) for pid in paper_ids]
        for key in keys:
            self.ids[key] = None
        if self.hnsw is not None:
            self.hnsw.remove(np.asarray(keys, dtype=np.uint64))
        self._dense = None
        self._maybe_reorganise()

    def _insert(self, paper_ids: list[str], vectors: np.ndarray) -> None:
        if not paper_ids:
            return
        start = len(self.ids)
        keys = np.arange(start, start + len(paper_ids), dtype=np.uint64)
        self.ids.extend(paper_ids)
        self.key_of.update(zip(paper_ids, range(start, start + len(paper_ids))))
        vectors = np.ascontiguousarray(vectors, dtype=np.int8)
        if self.hnsw is not None:
            self.hnsw.add(keys, vectors, threads=ADD_THREADS)
        else:
            self.matrix = np.concatenate([self.matrix, vectors]) if len(self.matrix) else vectors.copy()
        self._dense = None
        self._maybe_reorganise()

    def _maybe_reorganise(self) -> None:
        """Build the graph once the index is big; compact once many keys are dead."""
        dead = len(self.ids) - len(self.key_of)
        if (self.hnsw is None and len(self.key_of) >= HNSW_MIN) or dead > REBUILD_DEAD_SHARE * len(self.ids):
            self._renumber()

    def _renumber(self) -> None:
        """Keep live entries only, as keys 0..n-1: in a graph from HNSW_MIN of them on."""
        live = [pid for pid in self.ids if pid is not None]
        if self.hnsw is None and len(live) == len(self.ids):
            vectors = self.matrix
        else:
            vectors = self._vectors(np.array([self.key_of[pid] for pid in live], dtype=np.int64))
        self.ids, self.key_of, self._dense = list(live), {pid: key for key, pid in enumerate(live)}, None
        if self.hnsw is None and len(live) < HNSW_MIN:
            self.matrix = np.ascontiguousarray(vectors)
            return
        from usearch.index import Index

        self.hnsw = Index(ndim=self.dim, metric="cos", dtype="i8", expansion_search=EXPANSION_SEARCH)  # M=16
        self.matrix = np.zeros((0, self.dim), np.int8)
        if live:
            self.hnsw.add(np.arange(len(live), dtype=np.uint64), np.ascontiguousarray(vectors), threads=ADD_THREADS)

    def _vectors(self, keys: np.ndarray) -> np.ndarray:
        """int8 rows of these keys."""
        if self.hnsw is None:
            rows: np.ndarray = self.matrix[keys]
            return rows
        if len(keys) == 0:
            return np.zeros((0, self.dim), np.int8)
        got = self.hnsw.get(keys.astype(np.uint64), dtype=np.int8)
        return np.stack(got) if isinstance(got, tuple) else np.asarray(got).reshape(len(keys), self.dim)

    # sync -------------------------------------------------------------------------------------

    def sync(
        self,
        store: Store,
        embedder: Embedder,
        progress: Progress | None = None,
        limit: int | None = None,
        batch_size: int = 64,
    ) -> int:
        """Embed what changed in the store since the last sync; returns how many texts were
        embedded (texts already stored under their hash, for any paper, are not embedded again).

        ``progress(done, total)`` counts changed papers; ``limit`` caps how many are processed
        in this call (the rest waits for the next one). Each batch of vectors is committed
        before the next is embedded, so an interrupted sync loses at most one batch.
        """
        if vector_model(embedder.name) != self.model or embedder.dim != self.dim:
            raise ValueError(f"this index holds {self.model} vectors ({self.dim}), not {embedder.name}")
        with self._sync_lock:  # searches go on meanwhile: only applying a chunk takes self._lock
            self.refresh(store)
            seq = store.feed.index_seq(self.state_name)
            total = store.feed.pending_papers(seq)
            total = min(total, limit) if limit is not None else total
            done = embedded = 0
            while limit is None or done < limit:
                rows = CHANGES_PER_CHUNK if limit is None else min(CHANGES_PER_CHUNK, limit - done)
                next_seq, changes = store.feed.changes_since(seq, rows)
                if not changes:
                    break
                report = _reporter(progress, done, total)
                embedded += self._sync_chunk(store, embedder, changes, next_seq, batch_size, report)
                self.refresh(store)  # the chunk is committed: apply it to the index
                seq = next_seq
                done += len(changes)
                total = max(total, done)
                _reporter(progress, done, total)(0)
            if done:
                self.save(store)
            return embedded

    def _sync_chunk(
        self,
        store: Store,
        embedder: Embedder,
        changes: list[tuple[str, str]],
        next_seq: int,
        batch_size: int,
        progress: Callable[[int], None],
    ) -> int:
        """Embed and link one chunk of changes, then mark the chunk applied."""
        upserts = [pid for pid, op in changes if op != "delete"]
        papers = store.papers.for_indexing(upserts)
        texts = {pid: embedding_text(p) for pid, p in papers.items()}
        titles = {pid: embedding_title(p) for pid, p in papers.items()}
        hashes = {pid: text_hash(t) for pid, t in texts.items() if t.strip()}
        stored = store.vectors.existing_hashes(self.model, hashes.values())
        todo: dict[str, str] = {}  # hash -> text, each new text once
        title_of: dict[str, str] = {}
        for pid, h in hashes.items():
            if h not in stored:
                todo.setdefault(h, texts[pid])
                title_of.setdefault(h, titles[pid])
        papers_of: dict[str, list[str]] = {}
        for pid, h in hashes.items():
            papers_of.setdefault(h, []).append(pid)
        order = sorted(todo, key=lambda h: len(todo[h]))  # similar lengths share a batch: little padding
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            q, scale = quantize(self._paper_vectors(embedder, [todo[h] for h in batch],
                                                    [title_of[h] for h in batch], batch_size))
            links = [(pid, h) for h in batch for pid in papers_of[h]]
            store.vectors.store(self.model, list(zip(batch, q, scale.tolist())), links)
            progress(int(len(changes) * (start + len(batch)) / max(len(order), 1) * 0.99))
        unlinks = [pid for pid, _ in changes if pid not in hashes]
        store.vectors.finish_changes(self.model, [(pid, h) for pid, h in hashes.items()], unlinks,
                             self.state_name, next_seq)
        return len(order)

    def prune(self, store: Store) -> tuple[int, int]:
        """Delete what only other models or vanished papers use: their stored vectors and links
        (``store.prune``) and other models' graph files next to the store. (vectors, links)."""
        with self._sync_lock:
            deleted = store.vectors.prune(self.model)
            if self.folder is not None and self.folder.is_dir():
                mine = {p.name for p in self._files()}
                for path in self.folder.glob("vectors-*"):
                    if path.name not in mine:
                        path.unlink()
            return deleted

    @staticmethod
    def _paper_vectors(embedder: Embedder, texts: list[str], titles: list[str], batch_size: int) -> np.ndarray:
        """Vectors of papers: their text's, with their title's own vector weighted in."""
        vectors = embedder.embed(texts, batch_size)
        with_title = [i for i, (text, title) in enumerate(zip(texts, titles)) if title.strip() and title != text]
        title_vectors = np.zeros_like(vectors)
        if with_title:
            title_vectors[with_title] = embedder.embed([titles[i] for i in with_title], batch_size)
        return title_weighted(vectors, title_vectors)

    # search -----------------------------------------------------------------------------------

    def embed_query(self, text: str) -> np.ndarray:
        if self.embedder is None:
            raise ValueError("this index has no embedder: open it with VectorIndex.open")
        return self.embedder.embed_query(text)

    def coverage(self, store: Store | None = None) -> float:
        """Share of the store's papers (with any text) that have a vector. Counted again only
        when the store or this index's position in its change feed moved."""
        store = store or self.store
        if store is None:
            return 0.0
        key = (store.feed.last_change(), store.feed.index_seq(self.state_name))
        if self._coverage is None or self._coverage[0] != key:
            embedded, with_text = store.vectors.coverage_counts(self.model)
            self._coverage = (key, min(1.0, embedded / with_text) if with_text else 1.0)
        return self._coverage[1]

    def count(self, allowed: set[str] | None = None) -> int:
        """Papers with a vector (among ``allowed`` when given): what a vector run can rank."""
        if self.store is not None:
            self.refresh()
        with self._lock:
            return len(self.key_of) if allowed is None else sum(1 for pid in allowed if pid in self.key_of)

    def vectors_for(self, paper_ids: list[str]) -> tuple[list[str], np.ndarray]:
        """The papers among ``paper_ids`` that have a vector (in the given order) and their unit
        float32 vectors, one row each: for exact re-ranking of candidates."""
        if self.store is not None:
            self.refresh()
        with self._lock:
            present = [pid for pid in dict.fromkeys(paper_ids) if pid in self.key_of]
            keys = np.array([self.key_of[pid] for pid in present], dtype=np.int64)
            return present, _unit_rows(self._vectors(keys))

    def vectors_of(self, paper_ids: list[str]) -> np.ndarray:
        """Unit float32 vectors of those of ``paper_ids`` that have one."""
        return self.vectors_for(paper_ids)[1]

    def search(
        self, vector: np.ndarray, k: int, allowed: set[str] | None = None, *, exact: bool | None = None
    ) -> list[tuple[str, float]]:
        """The ``k`` papers closest to ``vector`` as (paper id, cosine), best first; only papers in
        ``allowed`` when given. ``exact`` forces (True) or forbids (False) the brute-force path;
        by default it is used for small indexes and small allowed sets."""
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        if query.shape != (self.dim,):
            raise ValueError(f"query has {query.size} components, the index {self.dim}")
        query = query / max(float(np.linalg.norm(query)), 1e-12)
        if self.store is not None:
            self.refresh()
        with self._lock:
            if k <= 0 or not self.key_of:
                return []
            if allowed is not None:
                keys = np.array(sorted(self.key_of[p] for p in allowed if p in self.key_of), dtype=np.int64)
                if len(keys) == 0:
                    return []
                if self.hnsw is None or exact or (exact is None and len(keys) <= EXACT_ALLOWED_MAX):
                    return self._exact(query, k, keys)
                return self._graph(query, k, set(keys.tolist()))
            if self.hnsw is None or exact or (exact is None and len(self.key_of) < HNSW_MIN):
                return self._exact(query, k, None)
            return self._graph(query, k, None)

    def _exact(self, query: np.ndarray, k: int, keys: np.ndarray | None) -> list[tuple[str, float]]:
        if keys is None:
            if self._dense is None:
                live = np.array(sorted(self.key_of.values()), dtype=np.int64)
                self._dense = (live, _unit_rows(self._vectors(live)))
            keys, rows = self._dense
        else:
            rows = _unit_rows(self._vectors(keys))
        scores = rows @ query
        top = _top(scores, k)
        return [(self.ids[int(keys[i])], float(scores[i])) for i in top]  # type: ignore[misc]

    def _graph(self, query: np.ndarray, k: int, allowed: set[int] | None) -> list[tuple[str, float]]:
        q8, _ = quantize(query[None, :])
        want = k if allowed is None else k * max(2, 2 * len(self.key_of) // max(len(allowed), 1))
        while True:
            want = min(want, len(self.key_of))
            found = self.hnsw.search(q8[0], want)
            hits = [
                (self.ids[int(key)], 1.0 - float(dist))
                for key, dist in zip(found.keys, found.distances)
                if allowed is None or int(key) in allowed
            ]
            if len(hits) >= k or want >= len(self.key_of):
                return hits[:k]  # type: ignore[return-value]
            want *= 4


def _reporter(progress: Progress | None, done: int, total: int) -> Callable[[int], None]:
    """``progress`` for papers counted from ``done``, never past ``total``."""
    return lambda n: progress(min(done + n, total), total) if progress else None


def _unit_rows(q: np.ndarray) -> np.ndarray:
    rows = q.astype(np.float32)
    unit: np.ndarray = rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
    return unit


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    if k < len(scores):
        part = np.argpartition(-scores, k)[:k]
        return part[np.argsort(-scores[part], kind="stable")]
    return np.argsort(-scores, kind="stable")
