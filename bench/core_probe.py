"""One side of bench/core_compare.py: ingest, index and search with the paperatlas found at
``--code`` (the current tree, or a worktree of an earlier commit), and write the timings as JSON.

It speaks both APIs: the one before the core redesign (``Catalog``, ``searcher_for``) and the
application object (``Atlas``). Everything it measures goes through the library the way the CLI
calls it; the same files, vectors and queries are given to both sides.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


class Side:
    """The library of one side, behind the few calls the benchmark makes."""

    def __init__(self, db: Path, home: Path) -> None:
        import paperatlas

        self.new = hasattr(paperatlas, "Atlas")
        if self.new:
            from paperatlas import Atlas, Settings

            self.handle: Any = Atlas.open(db, Settings(home=home))
        else:
            from paperatlas.catalog import Catalog

            self.handle = Catalog(db)

    def ingest(self, paths: list[Path]) -> list[Any]:
        if self.new:
            from paperatlas.services.ingest import ingest_paths
        else:
            from paperatlas.ingest import ingest_paths
        return ingest_paths(self.handle, paths, skip_bad=True)

    def count(self) -> int:
        if self.new:
            from paperatlas import Filters

            return int(self.handle.store.papers.count(Filters()))
        return int(self.handle.count())

    def sync_keyword(self) -> int:
        if self.new:
            return int(self.handle.indexes.sync_keyword())
        from paperatlas.search import searcher_for

        return int(searcher_for(self.handle).sync_keyword())

    def fill_vectors(self, pool: np.ndarray) -> int:
        from paperatlas.embeddings import get_embedder

        real = get_embedder()
        fake = noisy_copies(real, pool)
        if self.new:
            self.handle.use_embedder(real)
            index = self.handle.indexes.require_vectors()
            return int(index.sync(self.handle.store, fake, batch_size=256))
        from paperatlas.search import searcher_for

        index = searcher_for(self.handle).vectors()
        return int(index.sync(self.handle, fake, batch_size=256))

    def search(self, query: str, mode: str, full: bool) -> Any:
        from paperatlas.search import search

        return search(self.handle, query, mode=mode, k=20, with_facets=full, with_snippets=full)


def noisy_copies(real: Any, pool: np.ndarray) -> Any:
    """Paper vectors: a real vector of one of the pool's texts plus noise (cosine ~0.8 to it),
    picked by a hash of the paper's text, so both sides store the same vectors."""
    from paperatlas.embeddings import Embedder

    class NoisyCopies(Embedder):
        def __init__(self) -> None:
            self.name, self.dim = real.name, real.dim

        def embed_batch(self, texts: list[str]) -> np.ndarray:
            out = np.empty((len(texts), self.dim), np.float32)
            for i, text in enumerate(texts):
                seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
                noise = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
                out[i] = pool[seed % len(pool)] + 0.75 * noise / np.linalg.norm(noise)
            return out / np.linalg.norm(out, axis=1, keepdims=True)

    return NoisyCopies()


def measure(side: Side, queries: list[str]) -> dict[str, list[float]]:
    out = {}
    for mode in ("keyword", "semantic", "hybrid"):
        for q in queries[:10]:  # warm: indexes open, caches filled
            side.search(q, mode, True)
        for label, full in (("ranked", False), ("page", True)):
            times = []
            for q in queries:
                t0 = time.perf_counter()
                res = side.search(q, mode, full)
                times.append((time.perf_counter() - t0) * 1000)
                assert res.mode == mode, (mode, res.mode, res.notes)
            out[f"{mode} {label}"] = [pct(times, 50), pct(times, 99)]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--code", type=Path, required=True, help="the repository whose paperatlas is measured")
    ap.add_argument("--files", type=Path, required=True, help="JSON list of listing files to ingest, in order")
    ap.add_argument("--pool", type=Path, required=True, help=".npy of real vectors the paper vectors are copied from")
    ap.add_argument("--queries", type=Path, required=True, help="JSON list of queries")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    sys.path.insert(0, str(args.code.resolve()))
    files = [Path(p) for p in json.loads(args.files.read_text())]
    queries = json.loads(args.queries.read_text())
    with tempfile.TemporaryDirectory(prefix="paperatlas-compare-") as tmp:
        side = Side(Path(tmp) / "catalog.sqlite", Path(tmp) / "home")
        result: dict[str, Any] = {"api": "Atlas" if side.new else "Catalog"}
        t0 = time.perf_counter()
        reports = side.ingest(files)
        result["ingest_s"] = time.perf_counter() - t0
        result["records"] = sum(r.found for r in reports)
        result["failed_files"] = sum(1 for r in reports if not r.ok)
        result["papers"] = side.count()
        t0 = time.perf_counter()
        side.sync_keyword()
        result["keyword_index_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        result["vectors"] = side.fill_vectors(np.load(args.pool))
        result["vectors_s"] = time.perf_counter() - t0
        result["latency_ms"] = measure(side, queries)
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    args.out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
