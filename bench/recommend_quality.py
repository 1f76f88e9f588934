"""Recommendation quality on the dev benchmark (bench/recommend_data.py): nDCG@10 and recall@50
of paperatlas's ranker beside arxiv-sanity-lite's tf-idf SVM, the embedding centroid and the
best cosine to any library paper, on the dev and test halves, in one run.

    python bench/recommend_quality.py [--halves dev,test] [--grid]

Paper vectors are the product's (MiniLM, title-weighted, as ``paperatlas index`` stores them),
computed once and cached under bench/out/recommend/.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from recommend_data import Paper, Profile, build_profiles, load_catalog  # noqa: E402

OUT = HERE / "out" / "recommend"


def paper_vectors(papers: list[Paper]) -> np.ndarray:
    """The product's paper vectors (``search.document.title_weighted`` of text and title)."""
    from paperatlas.embeddings import get_embedder
    from paperatlas.search.document import title_weighted

    key = hashlib.blake2b("\n".join(p.key for p in papers).encode(), digest_size=8).hexdigest()
    path = OUT / f"vectors-{key}.npy"
    if path.exists():
        return np.load(path)
    OUT.mkdir(parents=True, exist_ok=True)
    model = get_embedder(cache_dir=Path.home() / ".paperatlas" / "models")
    t0 = time.perf_counter()
    text = model.embed([p.text for p in papers])
    title = model.embed([p.title for p in papers])
    vectors = title_weighted(text, title).astype(np.float32)
    print(f"embedded {len(papers)} papers in {time.perf_counter() - t0:.0f} s")
    np.save(path, vectors)
    return vectors


def ndcg(ranked: list[Any], relevant: set[Any], k: int = 10) -> float:
    gain = sum(1 / math.log2(r + 2) for r, i in enumerate(ranked[:k]) if i in relevant)
    ideal = sum(1 / math.log2(r + 2) for r in range(min(k, len(relevant))))
    return gain / ideal if ideal else 0.0


def recall(ranked: list[Any], relevant: set[Any], k: int = 50) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant)


Ranker = Callable[[Profile], np.ndarray]  # scores of profile.candidates


def evaluate(profiles: list[Profile], rank: Ranker) -> tuple[float, float, float]:
    nd, rc, times = [], [], []
    for p in profiles:
        t0 = time.perf_counter()
        scores = rank(p)
        times.append(time.perf_counter() - t0)
        order = [p.candidates[i] for i in np.argsort(-scores, kind="stable")]
        nd.append(ndcg(order, p.relevant))
        rc.append(recall(order, p.relevant))
    return float(np.mean(nd)), float(np.mean(rc)), float(np.median(times) * 1000)


def end_to_end(papers: list[Paper], profiles: list[Profile], vectors: np.ndarray) -> dict[str, tuple[float, float]]:
    """The same profiles through the product: the files ingested into a catalog, the vectors
    stored through ``paperatlas index``'s own path, every profile a line of
    ``paperatlas recommend --batch`` (``recommend_batch``), candidates narrowed by venue and year."""
    import tempfile

    from benchlib import open_atlas
    from recommend_data import DATA

    from paperatlas.embeddings import Embedder
    from paperatlas.recommend.batch import recommend_batch
    from paperatlas.services.ingest import ingest_paths

    by_title = {p.title.strip().lower(): vectors[i] for i, p in enumerate(papers)}

    class Cached(Embedder):
        """The benchmark's vectors, looked up by title (the product embeds title + abstract and
        the title again; both give the paper's stored vector)."""

        name, dim = "minilm-l6-int8", vectors.shape[1]

        def embed_batch(self, texts: list[str]) -> np.ndarray:
            out = np.zeros((len(texts), self.dim), np.float32)
            for i, text in enumerate(texts):
                title = text.split(". ")[0].strip().lower()
                out[i] = by_title.get(title, by_title.get(text.strip().lower(), np.ones(self.dim)))
            return out

    key_of = {p.key: p for p in papers}
    out = {}
    with tempfile.TemporaryDirectory() as tmp, open_atlas(Path(tmp) / "c.sqlite") as atlas:
        ingest_paths(atlas, sorted({DATA / f"{p.file}.json.gz" for p in papers}))
        atlas.use_embedder(Cached())
        atlas.indexes.sync_vectors()
        where = {}
        for p in atlas.store.papers.iter(__import__("paperatlas").Filters()):
            where.setdefault(p.sources[0].file.split(".")[0], (p.venue, p.year))
        for half in ("dev", "test"):
            chosen = [pr for pr in profiles if pr.half == half]
            lines = []
            for pr in chosen:
                venue, year = where[pr.target]
                refs = [{"file": f"{papers[i].file}.json.gz", "record_id": papers[i].key.split(":", 1)[1]} for i in pr.library]
                lines.append({"qid": pr.qid, "positives": refs, "venue": venue, "year": year})
            nd, rc = [], []
            for pr, res in zip(chosen, recommend_batch(atlas, lines, k=50, use_authors=False)):
                rel = {papers[i].key for i in pr.relevant}
                ranked = [f"{s['file'].split('.')[0]}:{s['record_id']}" for h in res["hits"] for s in h["sources"][:1]]
                nd.append(ndcg(ranked, rel))
                rc.append(recall(ranked, rel))
            out[half] = (float(np.mean(nd)), float(np.mean(rc)))
    assert key_of  # (keys are "<file>:<record id>", as sources print them)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--halves", default="dev,test")
    ap.add_argument("--end-to-end", action="store_true", help="also run the profiles through `recommend --batch`")
    args = ap.parse_args()
    papers = load_catalog()
    profiles = build_profiles(papers)
    vectors = paper_vectors(papers)
    from recommend_methods import methods

    table = methods(papers, vectors)
    print(f"{len(papers)} papers, {len(profiles)} profiles; nDCG@10 / recall@50 (median ms per profile)")
    for half in args.halves.split(","):
        chosen = [p for p in profiles if p.half == half]
        print(f"\n{half} half: {len(chosen)} profiles")
        for name, rank in table.items():
            nd, rc, ms = evaluate(chosen, rank)
            print(f"  {name:28} {nd:.3f} / {rc:.3f}   ({ms:.0f} ms)")
    if args.end_to_end:
        for half, (nd, rc) in end_to_end(papers, profiles, vectors).items():
            print(f"{half} half through `recommend --batch` (no authors): {nd:.3f} / {rc:.3f}")


if __name__ == "__main__":
    main()
