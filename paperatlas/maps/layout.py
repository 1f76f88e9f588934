"""2-D layout of paper vectors: openTSNE's t-SNE, on a seeded sample when the set is large.

Why t-SNE (openTSNE, Poličar, Stražar & Zupan 2024, "openTSNE: a modular Python library for
t-SNE dimensionality reduction and embedding", JSS 109(3)): on ICLR 2021 (2,966 papers, one
thread; ``bench/map_quality.py --candidates``) it kept more of each paper's 10 nearest
neighbours (cosine, 384-d) among its 10 nearest on the map than UMAP or PaCMAP (0.42 against
0.32 and 0.25; PCA 0.03), and more of its map neighbours share an author keyword with it (0.27
against 0.26 and 0.23; 0.31 for the 384-d neighbours themselves, 0.03 for random pairs), in
11 s against UMAP's 24 s (PaCMAP 2 s); and it needs only numpy, scipy and scikit-learn (UMAP
and PaCMAP pull in numba and llvmlite, PaCMAP faiss too).

Parameters (openTSNE's defaults, named so the map can state them): perplexity 30 (lower for
small sets, as t-SNE needs about 3 x perplexity neighbours), cosine metric, PCA initialisation,
250 early-exaggeration iterations then 500 normal ones, one thread (threads make the
gradient sums land in a different order, so the layout would change from run to run).

Large sets: above ``SAMPLE`` papers, t-SNE lays out a seeded sample and every other paper is
added to that fixed layout by openTSNE's ``transform`` (``add_points``; Poličar et al. 2024,
"adding new data points"), so time and memory grow linearly with the set (20,000 papers: 81 s
CPU, 550 MB peak; ``bench/map_speed.py``). What it costs, on ICLR 2021 with a sample of half
the papers (``bench/map_quality.py --sample 1500 --seeds 3``): the lift of the topics stays
(3.93, seeds 0-2 from 3.75 to 4.06, against 3.89 with every paper laid out) but the finer
topics lose some (6.41, from 6.07 to 6.62, against 7.93), about where k-means on tf-idf is
(6.54). Putting the rest at the weighted mean of their 10 nearest sample papers scored the same
(3.87 / 6.46 at seed 0) but piles them on the sample's clusters; ``transform`` spreads them.

Tiny sets (below ``TSNE_MIN`` papers): t-SNE has too few neighbours to work with, so the layout
is the first two principal components (exact, and deterministic once signs are fixed).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import numpy as np

TSNE_MIN = 20
SAMPLE = 12_000
PLACE_K = 25  # openTSNE's default
PLACE_ITERATIONS = 250  # openTSNE's default
PLACE_CHUNK = 1024  # papers added per transform call: progress (and a cancelled web request) between calls
PERPLEXITY = 30.0
EXAGGERATION_ITER, ITERATIONS = 250, 500
CALLBACK_EVERY = 50

Progress = Callable[[str, int, int], None]


def layout(vectors: np.ndarray, seed: int, progress: Progress | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """(n, 2) float64 coordinates in [-1, 1] and the method that made them (name + parameters)."""
    n = len(vectors)
    if n < TSNE_MIN:
        return normalise(pca2(vectors)), {"name": "pca", "components": 2}
    perplexity = min(PERPLEXITY, (n - 1) / 3.0)
    sample = np.arange(n)
    if n > SAMPLE:
        sample = np.sort(np.random.default_rng(seed).choice(n, SAMPLE, replace=False))
    embedding = fit_tsne(vectors[sample], perplexity, seed, progress)
    coordinates = np.asarray(embedding, dtype=np.float64)
    method: dict[str, Any] = {
        "name": "openTSNE", "perplexity": round(perplexity, 3), "metric": "cosine", "initialization": "pca",
        "early_exaggeration_iter": EXAGGERATION_ITER, "n_iter": ITERATIONS,
    }
    if n > SAMPLE:
        rest = np.setdiff1d(np.arange(n), sample, assume_unique=True)
        full = np.zeros((n, 2))
        full[sample] = coordinates
        full[rest] = add_points(embedding, vectors[rest], progress)
        coordinates = full
        method["sample"] = SAMPLE
        method["others_placed_by"] = (f"openTSNE transform: median of the {PLACE_K} nearest sample papers, then "
                                      f"{PLACE_ITERATIONS} iterations against the fixed sample")
    return normalise(coordinates), method


def fit_tsne(vectors: np.ndarray, perplexity: float, seed: int, progress: Progress | None) -> Any:
    """openTSNE's t-SNE of ``vectors`` with the module's parameters: a ``TSNEEmbedding`` (an (n, 2)
    array that can also ``transform`` new points)."""
    # imported here: openTSNE is the optional ``maps`` dependency (and importlib keeps mypy off
    # the untyped module)
    try:
        tsne_class = importlib.import_module("openTSNE").TSNE
    except ModuleNotFoundError:
        raise ModuleNotFoundError("topic maps need openTSNE: pip install 'paperatlas[maps]'", name="openTSNE") from None
    total = EXAGGERATION_ITER + ITERATIONS

    class _Report:
        done = 0

        def __call__(self, iteration: int, error: float, embedding: Any) -> bool:
            self.done += CALLBACK_EVERY
            if progress is not None:
                progress("layout", min(self.done, total), total)
            return False  # go on

    tsne = tsne_class(perplexity=perplexity, metric="cosine", initialization="pca", early_exaggeration_iter=EXAGGERATION_ITER,
                      n_iter=ITERATIONS, n_jobs=1, random_state=seed, callbacks=_Report(),
                      callbacks_every_iters=CALLBACK_EVERY, verbose=False)
    return tsne.fit(np.ascontiguousarray(vectors, dtype=np.float32))  # an openTSNE TSNEEmbedding


def add_points(embedding: Any, vectors: np.ndarray, progress: Progress | None = None, chunk: int = PLACE_CHUNK) -> np.ndarray:
    """Positions of ``vectors`` on a finished t-SNE ``embedding`` (openTSNE's ``transform``): each
    starts at the median of its ``PLACE_K`` nearest embedded points and moves for
    ``PLACE_ITERATIONS`` iterations under the attraction of its neighbours and the repulsion of
    the embedding, which stays fixed. New points do not act on each other, so chunks (for
    progress and memory) give the same positions as one call."""
    out = np.zeros((len(vectors), 2))
    params = getattr(embedding, "gradient_descent_params", None)
    if isinstance(params, dict):  # the fit's progress callback would go on reporting "layout" here
        params["callbacks"] = None
    for start in range(0, len(vectors), chunk):
        part = np.ascontiguousarray(vectors[start:start + chunk], dtype=np.float32)
        out[start:start + chunk] = np.asarray(embedding.transform(part, k=PLACE_K, n_iter=PLACE_ITERATIONS), dtype=np.float64)
        if progress is not None:
            progress("placing", min(start + chunk, len(vectors)), len(vectors))
    return out


def pca2(vectors: np.ndarray) -> np.ndarray:
    """First two principal components (zeros where there is no variance), signs fixed so the
    largest loading of each component is positive."""
    centred = np.asarray(vectors, dtype=np.float64) - np.asarray(vectors, dtype=np.float64).mean(axis=0)
    out = np.zeros((len(centred), 2))
    if len(centred) < 2:
        return out
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    for axis in range(min(2, len(s))):
        if s[axis] <= 1e-9 * max(s[0], 1e-12):
            continue
        sign = 1.0 if vt[axis][np.argmax(np.abs(vt[axis]))] >= 0 else -1.0
        out[:, axis] = sign * u[:, axis] * s[axis]
    return out


def normalise(xy: np.ndarray) -> np.ndarray:
    """Centred on the bounding box and scaled by one factor (the shape is kept) into [-1, 1]."""
    xy = np.asarray(xy, dtype=np.float64)
    if len(xy) == 0:
        return xy.reshape(0, 2)
    low, high = xy.min(axis=0), xy.max(axis=0)
    half = float((high - low).max()) / 2
    centred: np.ndarray = xy - (low + high) / 2
    return centred / half if half > 0 else np.zeros_like(xy)
