"""Topic-map quality against the keywords authors gave their papers (ICLR 2021).

    python bench/map_quality.py            # first run embeds 2,966 abstracts (minutes on 2 cores), then cached

Data: ../shared/data/iclr2021.jsonl.gz (OpenReview metadata, CC BY 4.0; see its README), the
papers with an abstract. Vectors: the product's paper vectors (``title_weighted`` of the
title + abstract and the title, default embedder), cached in bench/out/maps/.
Texts given to the map (for its labels): title + abstract, never the keywords (they are the truth).

Figure: lift = P(same topic | the pair shares an author keyword) / P(same topic | random pair),
at both levels of the map, beside k-means on tf-idf of the same texts with the same number of
clusters (the map's count at that level). Random pairs: every pair (computed from cluster sizes).
A keyword pair is every pair of distinct papers sharing at least one keyword (case folded).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
import time
from collections.abc import Callable
from itertools import combinations
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = ROOT.parent / "shared" / "data"
OUT = HERE / "out" / "maps"
sys.path.insert(0, str(ROOT))


def embed_cached(name: str, titles: list[str], texts: list[str]) -> np.ndarray:
    """The product's paper vectors for these papers, cached under bench/out/maps/ by content."""
    key = hashlib.blake2b("\x1e".join(titles + texts).encode(), digest_size=8).hexdigest()
    path = OUT / f"vectors-{name}-{key}.npy"
    if path.exists():
        return np.load(path)
    from paperatlas.embeddings import get_embedder
    from paperatlas.search.document import title_weighted

    OUT.mkdir(parents=True, exist_ok=True)
    model = get_embedder(cache_dir=Path.home() / ".paperatlas" / "models")
    t0 = time.perf_counter()
    vectors = title_weighted(model.embed(texts), model.embed(titles)).astype(np.float32)
    print(f"embedded {len(texts)} papers in {time.perf_counter() - t0:.0f} s -> {path}", flush=True)
    np.save(path, vectors)
    return vectors


def iclr2021() -> tuple[list[dict[str, object]], np.ndarray]:
    """ICLR 2021 papers with an abstract (file order) and their vectors."""
    rows = [json.loads(line) for line in gzip.open(DATA / "iclr2021.jsonl.gz", "rt")]
    rows = [r for r in rows if (r.get("abstract") or "").strip() and (r.get("title") or "").strip()]
    titles = [r["title"].strip() for r in rows]
    texts = [f"{r['title'].strip()}. {r['abstract'].strip()}" for r in rows]
    return rows, embed_cached("iclr2021", titles, texts)


# the figure ----------------------------------------------------------------------------------


def keyword_pairs(rows: list[dict[str, object]]) -> tuple[np.ndarray, np.ndarray]:
    """(pairs sharing an author keyword as an (m, 2) array, mask of papers with any keyword)."""
    keywords = [{str(k).strip().lower() for k in (r.get("keywords") or []) if str(k).strip()} for r in rows]  # type: ignore[attr-defined]
    by_keyword: dict[str, list[int]] = {}
    for i, ks in enumerate(keywords):
        for k in ks:
            by_keyword.setdefault(k, []).append(i)
    pairs = {pair for ids in by_keyword.values() for pair in combinations(ids, 2)}
    return np.array(sorted(pairs)), np.array([bool(k) for k in keywords])


def lift(labels: np.ndarray, pairs: np.ndarray, has_keyword: np.ndarray) -> tuple[float, float, float]:
    """(lift, P(same | shares a keyword), P(same | random pair)); random pairs: every pair of
    distinct papers with a keyword, counted exactly from the cluster sizes."""
    labels = np.asarray(labels)
    same = float(np.mean(labels[pairs[:, 0]] == labels[pairs[:, 1]]))
    _, sizes = np.unique(labels[has_keyword], return_counts=True)
    m = int(has_keyword.sum())
    chance = float((sizes * (sizes - 1)).sum() / (m * (m - 1)))
    return same / chance, same, chance


def tfidf_kmeans(texts: list[str], k: int, seed: int = 0) -> np.ndarray:
    """The baseline: k-means (k-means++, 4 runs) on tf-idf of the same texts (sublinear tf,
    English stop words, terms in 2+ papers; rows L2-normalised, so Euclidean k-means is spherical)."""
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    matrix = TfidfVectorizer(stop_words="english", min_df=2, sublinear_tf=True).fit_transform(texts)
    labels: np.ndarray = KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(matrix)
    return labels


def map_levels(topic_map: object, ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
    from paperatlas.maps import TopicMap

    assert isinstance(topic_map, TopicMap)
    where = {p.id: p for p in topic_map.points}
    topics = sorted({p.topic for p in topic_map.points})
    fine = sorted({p.cluster for p in topic_map.points})
    return (np.array([topics.index(where[i].topic) for i in ids]), np.array([fine.index(where[i].cluster) for i in ids]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seeds", type=int, default=1,
                        help="also build the map with the next seeds and print the spread of its lift")
    parser.add_argument("--sample", type=int, default=None,
                        help="t-SNE on a seeded sample of this many papers, the rest placed by their nearest sample papers "
                             "(what sets above layout.SAMPLE get): what the shortcut costs")
    parser.add_argument("--candidates", action="store_true",
                        help="also compare layouts (openTSNE, UMAP, PaCMAP, PCA) and clusterings (installed ones)")
    args = parser.parse_args()
    from threadpoolctl import threadpool_limits

    from paperatlas.maps import build_map
    from paperatlas.maps import layout as layout_module

    if args.sample:
        layout_module.SAMPLE = args.sample
    rows, vectors = iclr2021()
    ids = [str(r["id"]) for r in rows]
    texts = [f"{str(r['title']).strip()}. {str(r['abstract']).strip()}" for r in rows]
    pairs, has_keyword = keyword_pairs(rows)
    print(f"ICLR 2021: {len(ids)} papers with an abstract, {int(has_keyword.sum())} with keywords, "
          f"{len(pairs)} pairs sharing a keyword")
    wall, cpu = time.perf_counter(), time.process_time()
    topic_map = build_map(ids, vectors, texts, seed=args.seed)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    broad, fine = map_levels(topic_map, ids)
    other = sum(p.topic == "other" for p in topic_map.points)
    print(f"map: {len(set(broad))} topics (other bucket {other} papers, {other / len(ids):.1%}), "
          f"{len(set(fine))} finer topics; built in {wall:.1f} s ({cpu:.1f} s CPU)")
    with threadpool_limits(1):
        base_broad = tfidf_kmeans(texts, len(set(broad)), args.seed)
        base_fine = tfidf_kmeans(texts, len(set(fine)), args.seed)
    print("\nlift = P(same topic | pair shares a keyword) / P(same topic | random pair)")
    head = "(P same|kw, random)"
    print(f"{'level':8s} {'clusters':>8s} {'map lift':>9s} {head:>22s} {'tf-idf k-means':>15s} {head:>22s}")
    for level, ours, base in (("topics", broad, base_broad), ("finer", fine, base_fine)):
        a, b = lift(ours, pairs, has_keyword), lift(base, pairs, has_keyword)
        pa, pb = f"({a[1]:.3f}, {a[2]:.4f})", f"({b[1]:.3f}, {b[2]:.4f})"
        print(f"{level:8s} {len(set(ours)):8d} {a[0]:9.2f} {pa:>22s} {b[0]:15.2f} {pb:>22s}")
    if args.seeds > 1:
        spread: dict[str, list[float]] = {"topics": [], "finer": []}
        for seed in range(args.seed, args.seed + args.seeds):
            levels = map_levels(build_map(ids, vectors, texts, seed=seed), ids) if seed != args.seed else (broad, fine)
            for level, labels in zip(("topics", "finer"), levels):
                spread[level].append(lift(labels, pairs, has_keyword)[0])
        print(f"\nmap lift over seeds {args.seed}..{args.seed + args.seeds - 1} (the layout and k-means reseeded):")
        for level, values in spread.items():
            print(f"  {level:8s} mean {np.mean(values):.2f}, min {min(values):.2f}, max {max(values):.2f}  "
                  f"({', '.join(f'{v:.2f}' for v in values)})")
    print("\ntopics (labels):")
    for cluster in topic_map.topics():
        print(f"  {cluster.id:>5s} {cluster.size:5d}  {cluster.label}")
    if args.candidates:
        compare(vectors, texts, pairs, has_keyword, len(set(broad)), len(set(fine)), args.seed)


# the candidates (--candidates) ---------------------------------------------------------------


def _timed(fn: Callable[[], np.ndarray]) -> tuple[np.ndarray, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def _neighbours(points: np.ndarray, k: int, metric: str) -> np.ndarray:
    from sklearn.neighbors import NearestNeighbors

    found: np.ndarray = NearestNeighbors(n_neighbors=k + 1, metric=metric).fit(points).kneighbors(points, return_distance=False)
    return found[:, 1:]


def _layouts(vectors: np.ndarray, seed: int) -> dict[str, Callable[[], np.ndarray]]:
    from paperatlas.maps.layout import layout, pca2

    out: dict[str, Callable[[], np.ndarray]] = {"openTSNE (chosen)": lambda: layout(vectors, seed)[0],
                                                "PCA": lambda: pca2(vectors)}
    try:
        import umap  # type: ignore[import-not-found]

        out["UMAP"] = lambda: umap.UMAP(n_neighbors=15, min_dist=0.1, metric="cosine", random_state=seed).fit_transform(vectors)
    except ImportError:
        print("  (umap-learn not installed: UMAP left out)")
    try:
        import pacmap  # type: ignore[import-not-found]

        out["PaCMAP"] = lambda: pacmap.PaCMAP(n_components=2, n_neighbors=10, random_state=seed).fit_transform(
            vectors, init="pca")
    except ImportError:
        print("  (pacmap not installed: PaCMAP left out)")
    return out


def compare(vectors: np.ndarray, texts: list[str], pairs: np.ndarray, has_keyword: np.ndarray, k1: int, k2: int,
            seed: int) -> None:
    """Layouts: time, share of each paper's 10 nearest neighbours (cosine, 384-d) kept among its
    10 nearest on the map, and share of map neighbours that share a keyword with the paper.
    Clusterings: lift at both levels (same counts where the method takes a count)."""
    from sklearn.cluster import HDBSCAN
    from sklearn.metrics import adjusted_rand_score
    from threadpoolctl import threadpool_limits

    from paperatlas.maps import cluster

    def two_levels(points: np.ndarray, vectors: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """The map's two levels on ``points``; finer topics numbered across topics."""
        topics, subtopics = cluster.two_levels(points, vectors, seed)
        return topics, np.unique(np.stack([topics, subtopics], axis=1), axis=0, return_inverse=True)[1].ravel()

    n = len(vectors)
    partners: list[set[int]] = [set() for _ in range(n)]
    for a, b in pairs:
        partners[a].add(b)
        partners[b].add(a)
    high = _neighbours(vectors, 10, "cosine")
    chance = len(pairs) * 2 / (has_keyword.sum() * (has_keyword.sum() - 1))
    share_high = np.mean([j in partners[i] for i in np.flatnonzero(has_keyword) for j in high[i] if has_keyword[j]])
    print(f"\nlayouts (one thread; 10-NN kept: of each paper's 10 nearest by cosine, how many stay among its 10 nearest "
          f"on the map; keyword share: map neighbours sharing a keyword, {chance:.3f} for a random pair, "
          f"{share_high:.3f} for the 384-d neighbours)")
    print(f"  {'layout':18s} {'wall s':>7s} {'CPU s':>7s} {'10-NN kept':>11s} {'keyword share':>14s}")
    layouts: dict[str, np.ndarray] = {}
    with threadpool_limits(1):
        for name, make in _layouts(vectors, seed).items():
            xy, wall, cpu = _timed(make)
            layouts[name] = np.asarray(xy, dtype=np.float64)
            low = _neighbours(layouts[name], 10, "euclidean")
            kept = np.mean([len(set(high[i]) & set(low[i])) / 10 for i in range(n)])
            share = np.mean([j in partners[i] for i in np.flatnonzero(has_keyword) for j in low[i] if has_keyword[j]])
            print(f"  {name:18s} {wall:7.1f} {cpu:7.1f} {kept:11.3f} {share:14.3f}", flush=True)
        tsne = layouts["openTSNE (chosen)"]

        def hdbscan_nearest(points: np.ndarray, size: int) -> np.ndarray:
            from sklearn.neighbors import NearestNeighbors

            found: np.ndarray = HDBSCAN(min_cluster_size=size, min_samples=5).fit_predict(points)
            noise = found < 0
            if noise.any() and (~noise).any():  # noise to the cluster of the nearest clustered point
                nearest = NearestNeighbors(n_neighbors=1).fit(points[~noise]).kneighbors(points[noise], return_distance=False)
                found[noise] = found[~noise][nearest[:, 0]]
            return found

        def ward(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            from scipy.cluster.hierarchy import fcluster
            from scipy.cluster.hierarchy import ward as ward_tree

            tree = ward_tree(points)
            return fcluster(tree, k1, "maxclust"), fcluster(tree, k2, "maxclust")

        candidates: dict[str, Callable[[], tuple[np.ndarray, np.ndarray]]] = {
            "k-means on openTSNE layout (chosen)": lambda: two_levels(tsne, vectors, seed),
            "k-means on the vectors": lambda: two_levels(vectors, vectors, seed),
            "Ward on the vectors": lambda: ward(vectors),
            "HDBSCAN on openTSNE layout, noise->nearest": lambda: (hdbscan_nearest(tsne, 60), hdbscan_nearest(tsne, 15)),
            "tf-idf k-means (baseline)": lambda: (tfidf_kmeans(texts, k1, seed), tfidf_kmeans(texts, k2, seed)),
        }
        if "UMAP" in layouts:
            umap_xy = layouts["UMAP"]
            candidates["k-means on UMAP layout"] = lambda: two_levels(umap_xy, vectors, seed)
        try:
            import evoc  # type: ignore[import-not-found]

            def run_evoc() -> tuple[np.ndarray, np.ndarray]:
                layers = evoc.EVoC(random_state=seed).fit(vectors).cluster_layers_
                return layers[-1], layers[0]  # coarsest, finest; -1 = noise, kept as one cluster

            candidates["EVoC (noise = one cluster)"] = run_evoc
        except ImportError:
            print("  (evoc not installed: EVoC left out)")
        print(f"\nclusterings (lift at both levels; k-means and Ward at {k1} topics / about {k2} finer ones, "
              "the others choose their own counts)")
        print(f"  {'method':44s} {'CPU s':>6s} {'k':>4s} {'topics':>7s} {'k':>5s} {'finer':>7s}")
        for name, make in candidates.items():
            cpu = time.process_time()
            top, low_level = make()
            cpu = time.process_time() - cpu
            a, b = lift(top, pairs, has_keyword)[0], lift(low_level, pairs, has_keyword)[0]
            print(f"  {name:44s} {cpu:6.1f} {len(set(top)):4d} {a:7.2f} {len(set(low_level)):5d} {b:7.2f}", flush=True)
        print("\nstability (adjusted Rand index, seed 0 vs seed 1; 1 = the same partition)")
        for name, points in (("k-means on openTSNE layout (chosen)", None), ("k-means on the vectors", vectors)):
            if points is None:
                other_layout = layout_for_seed(vectors, seed + 1)
                a0, a1 = two_levels(tsne, vectors, seed), two_levels(other_layout, vectors, seed + 1)
            else:
                a0, a1 = two_levels(points, vectors, seed), two_levels(points, vectors, seed + 1)
            print(f"  {name:44s} topics {adjusted_rand_score(a0[0], a1[0]):.3f}  finer {adjusted_rand_score(a0[1], a1[1]):.3f}")


def layout_for_seed(vectors: np.ndarray, seed: int) -> np.ndarray:
    from paperatlas.maps.layout import layout

    return layout(vectors, seed)[0]


if __name__ == "__main__":
    main()
