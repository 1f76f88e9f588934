"""Fusion of ranked lists and score normalisation: small pure functions, each with its source.

A *run* is a ranked list of ``(doc_id, score)``, best first. Nothing here does I/O; the hybrid
searcher gathers runs and vectors and calls these. Variants are chosen by name through
``FUSIONS``; an unknown name raises ``ValueError`` listing the valid ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

Run = Sequence[tuple[str, float]]


def rrf(runs: Sequence[Run], k: int = 60, weights: Sequence[float] | None = None) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: score(d) = sum_r w_r / (k + rank_r(d)), ranks from 1.

    Cormack, Clarke & Buettcher, "Reciprocal Rank Fusion outperforms Condorcet and individual
    Rank Learning Methods", SIGIR 2009 (k = 60 there). Weighted form as in pyserini's fusion.
    """
    weights = weights or [1.0] * len(runs)
    scores: dict[str, float] = {}
    for run, weight in zip(runs, weights):
        for rank, (doc, _) in enumerate(run, 1):
            scores[doc] = scores.get(doc, 0.0) + weight / (k + rank)
    return _ranked(scores)


def minmax(run: Run) -> dict[str, float]:
    """Scores rescaled to [0, 1] within the run (all equal -> all 1).

    The normalisation recommended for convex combination by Bruch, Gai & Ingber, "An Analysis
    of Fusion Functions for Hybrid Retrieval", ACM TOIS 2023.
    """
    if not run:
        return {}
    values = [s for _, s in run]
    lo, hi = min(values), max(values)
    if hi - lo <= 1e-12:
        return {doc: 1.0 for doc, _ in run}
    return {doc: (s - lo) / (hi - lo) for doc, s in run}


def tmm(run: Run, floor: float = 0.0) -> dict[str, float]:
    """Theoretical min-max: ``(max(s, floor) - floor) / (max - floor)``, where ``floor`` is the
    lowest score the scorer can give (0 for BM25; 0 for cosines, treating a negative one as no
    similarity), instead of the lowest score in the run (all <= floor -> all 0).

    Bruch, Gai & Ingber, "An Analysis of Fusion Functions for Hybrid Retrieval", ACM TOIS 2023
    (TMM). Unlike ``minmax`` it does not stretch a run whose scores are all close: ten
    candidates that all match the query about equally stay about equal.
    """
    if not run:
        return {}
    hi = max(s for _, s in run)
    if hi - floor <= 1e-12:
        return {doc: 0.0 for doc, _ in run}
    return {doc: (max(s, floor) - floor) / (hi - floor) for doc, s in run}


NORMALISATIONS: dict[str, Callable[[Run], dict[str, float]]] = {"minmax": minmax, "tmm": tmm}


def convex(
    lexical: Run, semantic: Run, alpha: float, missing: float = 0.0, norm: str = "minmax"
) -> list[tuple[str, float]]:
    """Convex combination alpha * lexical + (1 - alpha) * semantic of normalised scores
    (``norm``: "minmax" or "tmm").

    Bruch et al. 2023 (above) show it beats RRF once alpha is tuned on a little data. A document
    absent from a run scores ``missing`` there (0: the bottom of that run).
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    if norm not in NORMALISATIONS:
        raise ValueError(f"unknown normalisation {norm!r}; choose from {', '.join(NORMALISATIONS)}")
    lex, sem = NORMALISATIONS[norm](lexical), NORMALISATIONS[norm](semantic)
    docs = list(dict.fromkeys([d for d, _ in lexical] + [d for d, _ in semantic]))
    return _ranked({d: alpha * lex.get(d, missing) + (1 - alpha) * sem.get(d, missing) for d in docs})


def lexical_weight(alpha: float, matched_share: float, gamma: float) -> float:
    """The keyword run's weight for one query: ``alpha * (1 - gamma * f) / (1 - gamma / 2)``,
    clipped to [0, 1], where ``f`` is the share of the fused candidates that the keyword run
    holds.

    Not from a paper; ours, tuned on dev queries (bench/search_quality.py). Why: when keyword
    matching singles out few of the candidates (f small) it carries information and gets more
    weight; when every candidate matches the words (f = 1, e.g. re-ranking a keyword engine's
    own results) BM25 can barely tell them apart and the semantic side decides. At f = 1/2,
    the usual share when the keyword and vector top-100s are fused, the weight is ``alpha``.
    ``gamma = 0`` gives a fixed ``alpha``.
    """
    if not 0.0 <= gamma < 2.0:
        raise ValueError(f"gamma must be in [0, 2), got {gamma}")
    f = min(max(matched_share, 0.0), 1.0)
    return min(max(alpha * (1 - gamma * f) / (1 - gamma / 2), 0.0), 1.0)


def rocchio(query: np.ndarray, feedback: np.ndarray, beta: float = 0.5) -> np.ndarray:
    """Vector pseudo-relevance feedback: q' = q + beta * mean(feedback docs), re-normalised.

    Rocchio, "Relevance feedback in information retrieval" (1971), applied to dense vectors as in
    Li et al., "Pseudo Relevance Feedback with Deep Language Models and Dense Retrievers:
    Successes and Pitfalls", ACM TOIS 2023 (vector PRF over the top-k of a first-stage run).
    """
    if feedback.size == 0 or beta == 0.0:
        return query
    moved = query + beta * feedback.mean(axis=0)
    norm = float(np.linalg.norm(moved))
    return moved / norm if norm > 0 else query


def cosine_run(query: np.ndarray, ids: Sequence[str], vectors: np.ndarray) -> list[tuple[str, float]]:
    """Exact cosine of unit ``query`` against unit rows of ``vectors``, ranked."""
    if len(ids) == 0:
        return []
    scores = vectors @ query
    return _ranked(dict(zip(ids, (float(s) for s in scores))))


def _ranked(scores: Mapping[str, float]) -> list[tuple[str, float]]:
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


FUSIONS: dict[str, Callable[..., list[tuple[str, float]]]] = {"rrf": rrf, "convex": convex}


def get_fusion(name: str) -> Callable[..., list[tuple[str, float]]]:
    if name not in FUSIONS:
        raise ValueError(f"unknown fusion {name!r}; choose from {', '.join(sorted(FUSIONS))}")
    return FUSIONS[name]
