"""Search speed through the library: keyword, semantic and hybrid latency at 10k and 100k papers.

    python bench/search_speed.py [--sizes 10000,100000] [--queries 300]

For each size, a catalog of real Paper Copilot papers (../shared/data/paperlists, whole files
picked in a fixed random order) is built once under --cache and keyword-indexed. Embedding 100k
abstracts takes about an hour on 2 cores, so the *paper* vectors are synthetic but realistic:
real MiniLM vectors of 1,000 of the catalog's papers, and every other paper gets one of them plus
noise (cosine ~0.8 to it), stored through the normal ``VectorIndex.sync`` path under the real
model's name (so the usearch graph is built as in use). *Query* vectors come from the real model,
so their time is included. Queries: half real topical phrases (ICLR 2021 author keywords), half
2-4 words drawn from the catalog's titles; each query runs once per mode, one thread.

Latency is ``search(...)`` as the CLI and the web call it, with facets and snippets for 20 hits.
Targets (issue 5): hybrid p50 <= 15 ms, p99 <= 60 ms at 100k. For 1M papers see
bench/embed_speed.py (the vector part, synthetic vectors): p50 grows from 1.3 ms to 2.1 ms.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from benchlib import open_atlas  # noqa: E402
from keyword_engines import build_catalog  # noqa: E402  (whole Paper Copilot files, fixed order)

from paperatlas import Atlas, Filters  # noqa: E402
from paperatlas.embeddings import Embedder  # noqa: E402
from paperatlas.search import search  # noqa: E402
from paperatlas.search.document import embedding_text  # noqa: E402

DATA = HERE.parent.parent / "shared" / "data"
REAL_VECTORS = 1_000


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def build(path: Path, papers: int) -> Atlas:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        build_catalog(path, DATA / "paperlists", papers)
    cat = open_atlas(path)
    t0 = time.perf_counter()
    changed = cat.indexes.sync_keyword()
    if changed:
        print(f"  keyword index: {changed} papers in {time.perf_counter() - t0:.1f} s")
    return cat


class NoisyCopies(Embedder):
    """Paper vectors for the benchmark: a real vector of one of ``pool`` papers plus noise,
    picked by a hash of the text (so the same text gets the same vector)."""

    def __init__(self, real: Embedder, pool: np.ndarray) -> None:
        self.name, self.dim, self.pool = real.name, real.dim, pool

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        out = np.empty((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
            rng = np.random.default_rng(seed)
            base = self.pool[seed % len(self.pool)]
            noise = rng.standard_normal(self.dim).astype(np.float32)
            out[i] = base + 0.75 * noise / np.linalg.norm(noise)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def fill_vectors(cat: Atlas) -> None:
    real = cat.embedder()  # the real model: it embeds the queries in search()
    index = cat.indexes.require_vectors()
    if index.coverage(cat.store) >= 1.0:
        return
    sample = random.Random(1).sample(list(cat.store.papers.iter(Filters())), REAL_VECTORS)
    t0 = time.perf_counter()
    pool = real.embed([embedding_text(p) for p in sample])
    print(f"  {REAL_VECTORS} real vectors in {time.perf_counter() - t0:.0f} s")
    t0 = time.perf_counter()
    fake = NoisyCopies(real, pool)
    n = index.sync(cat.store, fake, batch_size=256)
    print(f"  {n} synthetic paper vectors stored and indexed in {time.perf_counter() - t0:.0f} s")


def queries(cat: Atlas, n: int) -> list[str]:
    rng = random.Random(7)
    rows = [json.loads(line) for line in gzip.open(DATA / "iclr2021.jsonl.gz", "rt")]
    counts = Counter(k.strip().lower() for r in rows for k in set(r.get("keywords") or []))
    topical = sorted(k for k, c in counts.items() if c >= 3)
    titles = [p.title for p in cat.store.papers.list(Filters(), limit=5000) if p.title]
    words = [w for t in titles for w in t.split() if len(w) > 3 and w.isalpha()]
    out = rng.sample(topical, n // 2)
    out += [" ".join(rng.sample(words, rng.choice([2, 3, 4]))) for _ in range(n - n // 2)]
    rng.shuffle(out)
    return out


def measure(cat: Atlas, qs: list[str]) -> dict[str, tuple[float, float]]:
    """p50/p99 per mode: ranked (the 20 best, as batch mode asks) and page (the same with
    facet counts, snippets and reasons, as the CLI and the web page ask)."""
    out = {}
    for mode in ("keyword", "semantic", "hybrid"):
        for q in qs[:10]:  # warm: indexes open, caches filled
            search(cat, q, mode=mode)
        for label, full in (("ranked", False), ("page", True)):
            times = []
            for q in qs:
                t0 = time.perf_counter()
                res = search(cat, q, mode=mode, k=20, with_facets=full, with_snippets=full)
                times.append((time.perf_counter() - t0) * 1000)
                assert res.mode == mode and not res.notes, (mode, res.notes)
            out[f"{mode} {label}"] = (pct(times, 50), pct(times, 99))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--cache", type=Path, default=HERE / "out" / "speed")
    args = ap.parse_args()
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"catalog of ~{size} papers")
        cat = build(args.cache / f"catalog-{size}.sqlite", size)
        fill_vectors(cat)
        qs = queries(cat, args.queries)
        rows.append((cat.store.papers.count(Filters()), measure(cat, qs)))
    print(f"\nlatency of search(), {args.queries} queries, one thread, ms p50 / p99")
    print("ranked: the 20 best ids and scores; page: plus facet counts, snippets and reasons")
    print(f"{'papers':>8} {'mode':>9} {'ranked':>15} {'page':>15}")
    for n, r in rows:
        for mode in ("keyword", "semantic", "hybrid"):
            a, b = r[f"{mode} ranked"], r[f"{mode} page"]
            print(f"{n:8d} {mode:>9} {a[0]:7.1f} / {a[1]:<5.1f} {b[0]:7.1f} / {b[1]:<5.1f}")
    n, r = rows[-1]
    for label in ("ranked", "page"):
        p50, p99 = r[f"hybrid {label}"]
        print(f"hybrid {label} at {n} papers: p50 {p50:.1f} ms (target 15), p99 {p99:.1f} ms (target 60):"
              f" {'ok' if p50 <= 15 and p99 <= 60 else 'MISS'}")


if __name__ == "__main__":
    main()
