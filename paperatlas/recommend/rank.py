"""Scoring for recommendations: small pure functions over arrays, each citing where it comes from.

The ranker (``recommend.recommend``) adds three z-scored signals over the candidates:
- ``linear_svm``: arxiv-sanity-lite's per-profile classifier (serve.py): a LinearSVC on tf-idf
  rows with balanced classes, the profile as positives and other papers as negatives; here
  explicit "not interested" papers are negatives with a larger weight, and positives can be
  weighted by how recently they entered the library;
- ``best_cosine``: the nearest library paper by MiniLM vector (item-based nearest neighbours,
  Sarwar et al., WWW 2001); on bench/recommend_quality.py it adds recall the SVM misses;
- ``author_affinity``: papers by authors of the profile's papers (a feature the user sees in the
  reason and can switch off).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse as sp


def linear_svm(
    rows: sp.csr_matrix, labels: np.ndarray, weights: np.ndarray, c: float = 0.01
) -> tuple[np.ndarray, float]:
    """Weights and bias of a linear SVM (liblinear through scikit-learn's LinearSVC, squared
    hinge, balanced classes, C=0.01 as arxiv-sanity-lite's serve.py) on ``rows`` labelled 1/0."""
    from sklearn.svm import LinearSVC

    clf = LinearSVC(class_weight="balanced", C=c, max_iter=10_000, tol=1e-6)
    clf.fit(rows, labels, sample_weight=weights)
    return np.asarray(clf.coef_, dtype=np.float32).ravel(), float(clf.intercept_[0])


def zscore(scores: np.ndarray) -> np.ndarray:
    """Scores on one scale (mean 0, unit deviation), so signals of different kinds can be added."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.size == 0:
        return scores
    spread = float(scores.std())
    return (scores - scores.mean()) / spread if spread > 1e-12 else np.zeros_like(scores)


def best_cosine(candidates: np.ndarray, library: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each candidate's cosine to its nearest library paper, and which one (rows of unit
    vectors; item-based nearest neighbours, Sarwar et al. 2001)."""
    if len(library) == 0 or len(candidates) == 0:
        return np.zeros(len(candidates)), np.zeros(len(candidates), dtype=np.int64)
    sims = candidates @ library.T
    return sims.max(axis=1), sims.argmax(axis=1)


def recency_weights(ages_days: Sequence[float], half_life_days: float) -> np.ndarray:
    """Weight of each library paper by how long ago it entered the library: halved every
    ``half_life_days`` (exponential time decay, as in time-aware recommenders, e.g. Ding & Li,
    CIKM 2005), never below a tenth; all 1 when ``half_life_days`` is 0 or ages are unknown."""
    ages = np.asarray(ages_days, dtype=np.float64)
    if half_life_days <= 0 or ages.size == 0:
        return np.ones(len(ages))
    return np.maximum(np.power(0.5, np.maximum(ages, 0.0) / half_life_days), 0.1)


def author_affinity(candidate_authors: Sequence[Sequence[str]], library_authors: dict[str, int]) -> np.ndarray:
    """log(1 + number of library papers by each candidate's authors): 0 for strangers."""
    return np.array([math.log1p(sum(library_authors.get(a, 0) for a in set(authors))) for authors in candidate_authors])


def fuse(signals: Sequence[tuple[np.ndarray, float]]) -> np.ndarray:
    """The weighted sum of z-scored signals (CombSUM over normalised scores, Fox & Shaw, TREC-2
    1994); a signal whose weight is 0 or which does not vary adds nothing."""
    total: np.ndarray | None = None
    for scores, weight in signals:
        if weight:
            part = weight * zscore(scores)
            total = part if total is None else total + part
    return total if total is not None else np.zeros(len(signals[0][0]) if signals else 0)


def term_contributions(w: np.ndarray, row: sp.csr_matrix, terms: Sequence[str], k: int = 3) -> tuple[list[str], list[str]]:
    """The terms of one paper that raised its SVM score most (weight x tf-idf value, largest
    first) and those that lowered it most."""
    idx, vals = row.indices, row.data
    if len(idx) == 0:
        return [], []
    contrib = w[idx] * vals
    order = np.argsort(-contrib, kind="stable")
    ups = [terms[idx[i]] for i in order[:k] if contrib[i] > 0]
    downs = [terms[idx[i]] for i in order[::-1][:k] if contrib[i] < 0]
    return ups, downs
