"""Term features of every paper (tf-idf of title and abstract), for recommendations.

A derived index like the others: it follows the store's change feed and keeps its files in
``<index folder>/terms/``. The vocabulary and idf are fitted on the whole catalog
(arxiv-sanity-lite's features: word 1-2 grams, sublinear tf, English stop words, terms in at
most 10% of papers; with min_df 2 and up to 100k terms, which measured better on
bench/recommend_quality.py than its 20k terms at min_df 5). Papers added or changed later are
transformed with the fitted vocabulary, so a sync after an ingest costs only the new papers; the
whole catalog is fitted again once it has grown or changed by ``REFIT_SHARE`` since the fit.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import EmbedderUnavailable
from ..search.document import embedding_text

if TYPE_CHECKING:
    import scipy.sparse as sp

    from ..store.protocol import Store

NAME = "terms"
FORMAT = 1
REFIT_SHARE = 0.25  # fit the vocabulary again once this share of papers is new or changed
CHANGES_BATCH = 5_000
INSTALL_HINT = "pip install 'paperatlas[recommend]' (scikit-learn)"
Progress = Callable[[int, int], None]


MIN_DF, MAX_DF = 2, 0.1


def vectorizer(vocabulary: dict[str, int] | None = None, papers: int = 0) -> Any:
    """The tf-idf vectorizer (scikit-learn), unfitted for ``papers`` texts, or with a fitted
    vocabulary. A catalog too small for the document-frequency bounds keeps every term."""
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer
    except ImportError:
        raise EmbedderUnavailable("recommendations need scikit-learn", hint=INSTALL_HINT) from None
    return TfidfVectorizer(
        strip_accents="unicode", lowercase=True, stop_words="english", token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
        ngram_range=(1, 2), max_features=100_000, sublinear_tf=True, dtype=np.float32, vocabulary=vocabulary,
        **({"max_df": MAX_DF, "min_df": MIN_DF} if papers * MAX_DF >= MIN_DF * 5 else {}),
    )


class TermIndex:
    """Tf-idf rows of the catalog's papers, by paper id."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.seq = 0
        self.fitted = 0  # papers the vocabulary was fitted on
        self.changed_since_fit = 0
        self.terms: list[str] = []
        self.idf = np.zeros(0, np.float32)
        self.ids: list[str | None] = []  # row -> paper id (None: a replaced or deleted row)
        self.row_of: dict[str, int] = {}
        self.matrix: sp.csr_matrix | None = None
        self._vectorizer: Any = None
        self._lock = threading.RLock()
        self.persist = True  # False: kept in memory only (a reader process of a shared index folder)
        self._load()

    # -- files --------------------------------------------------------------------------------
    def _path(self, name: str) -> Path:
        assert self.folder is not None
        return self.folder / name

    def _load(self) -> None:
        if self.folder is None:
            return
        try:
            import scipy.sparse as sp

            meta = json.loads(self._path("meta.json").read_text())
            if meta.get("format") != FORMAT:
                return
            self.terms = json.loads(self._path("terms.json").read_text())
            self.idf = np.load(self._path("idf.npy"))
            self.ids = json.loads(self._path("ids.json").read_text())
            self.matrix = sp.load_npz(self._path("matrix.npz")).tocsr()
        except (OSError, ValueError, ImportError):
            self.terms, self.ids, self.matrix = [], [], None
            return
        self.seq, self.fitted, self.changed_since_fit = int(meta["seq"]), int(meta["fitted"]), int(meta["changed"])
        self.row_of = {pid: row for row, pid in enumerate(self.ids) if pid is not None}

    def _save(self) -> None:
        if self.folder is None or self.matrix is None or not self.persist:
            return
        import scipy.sparse as sp

        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self._path(f"matrix.{os.getpid()}.tmp.npz")
        sp.save_npz(tmp, self.matrix, compressed=False)
        os.replace(tmp, self._path("matrix.npz"))
        np.save(self._path("idf.npy"), self.idf)
        for name, value in (("terms.json", self.terms), ("ids.json", self.ids)):
            self._path(name).write_text(json.dumps(value, separators=(",", ":")))
        meta = {"format": FORMAT, "seq": self.seq, "fitted": self.fitted, "changed": self.changed_since_fit}
        self._path("meta.json.tmp").write_text(json.dumps(meta))
        os.replace(self._path("meta.json.tmp"), self._path("meta.json"))  # written last: the rest is whole

    # -- keeping up with the store ---------------------------------------------------------------
    def sync(self, store: Store, progress: Progress | None = None) -> int:
        """Apply the store's changes since the last sync; how many papers changed. Fits the
        vocabulary on the whole catalog the first time and once ``REFIT_SHARE`` has changed."""
        with self._lock:
            last = store.feed.last_change()
            if self.matrix is not None and last == self.seq:
                return 0
            if self.matrix is None or self.seq == 0 or last < self.seq:
                return self._fit_all(store, progress)
            seq, changed = self.seq, 0
            while True:
                seq, changes = store.feed.changes_since(seq, CHANGES_BATCH)
                if not changes:
                    break
                self._apply(store, [pid for pid, _ in changes])
                changed += len(changes)
            self.seq = seq
            self.changed_since_fit += changed
            if self.changed_since_fit > REFIT_SHARE * max(self.fitted, 1):
                return self._fit_all(store, progress)
            self._save()
            return changed

    def _texts(self, store: Store, ids: list[str]) -> tuple[list[str], list[str]]:
        papers = store.papers.for_indexing(ids)
        kept = [pid for pid in ids if pid in papers and (papers[pid].title or papers[pid].abstract)]
        return kept, [embedding_text(papers[pid]) for pid in kept]

    def _fit_all(self, store: Store, progress: Progress | None) -> int:
        last = store.feed.last_change()
        _, changes = store.feed.changes_since(0, 10**9)
        ids = [pid for pid, op in changes if op != "delete"]
        ids, texts = self._texts(store, ids)
        if progress:
            progress(0, len(ids))
        vec = vectorizer(papers=len(texts))
        try:
            matrix = vec.fit_transform(texts).tocsr() if texts else None
        except ValueError:  # no term survives (a few papers of stop words only)
            texts = []
            matrix = None
        self._vectorizer = vec
        self.terms = [t for t, _ in sorted(vec.vocabulary_.items(), key=lambda kv: kv[1])] if texts else []
        self.idf = np.asarray(vec.idf_, dtype=np.float32) if texts else np.zeros(0, np.float32)
        self.matrix, self.ids = matrix, list(ids)
        self.row_of = {pid: row for row, pid in enumerate(ids)}
        self.seq, self.fitted, self.changed_since_fit = last, len(ids), 0
        if progress:
            progress(len(ids), len(ids))
        self._save()
        return len(ids)

    def _fitted_vectorizer(self) -> Any:
        if self._vectorizer is None:
            vec = vectorizer({t: i for i, t in enumerate(self.terms)})
            vec.idf_ = self.idf  # the fitted weights, so new papers are weighted as the catalog was
            self._vectorizer = vec
        return self._vectorizer

    def _apply(self, store: Store, ids: list[str]) -> None:
        import scipy.sparse as sp

        for pid in ids:
            row = self.row_of.pop(pid, None)
            if row is not None:
                self.ids[row] = None
        kept, texts = self._texts(store, ids)
        if not kept or not self.terms:
            return
        rows = self._fitted_vectorizer().transform(texts).tocsr().astype(np.float32)
        self.matrix = sp.vstack([self.matrix, rows]).tocsr() if self.matrix is not None else rows
        start = len(self.ids)
        self.ids.extend(kept)
        self.row_of.update((pid, start + i) for i, pid in enumerate(kept))

    # -- reading -----------------------------------------------------------------------------
    def rows(self, ids: list[str]) -> tuple[list[str], sp.csr_matrix]:
        """The papers among ``ids`` that have features, and their rows."""
        import scipy.sparse as sp

        with self._lock:
            present = [pid for pid in ids if pid in self.row_of]
            if self.matrix is None or not present:
                return [], sp.csr_matrix((0, len(self.terms)), dtype=np.float32)
            return present, self.matrix[[self.row_of[pid] for pid in present]]

    def scores(self, ids: list[str], w: np.ndarray, bias: float) -> tuple[list[str], np.ndarray]:
        """The papers among ``ids`` that have features, and ``row . w + bias`` of each: one
        sparse product over the whole matrix (cheaper than picking rows out first)."""
        with self._lock:
            present = [pid for pid in ids if pid in self.row_of]
            if self.matrix is None or not present:
                return [], np.zeros(0)
            everything = np.asarray(self.matrix @ w).ravel()
            return present, everything[[self.row_of[pid] for pid in present]] + bias

    def live_ids(self) -> list[str]:
        with self._lock:
            return [pid for pid in self.ids if pid is not None]

    def __len__(self) -> int:
        return len(self.row_of)
