"""Fusion of ranked lists and score normalisation: small pure functions, each with its source.

A *run* is a ranked list of ``(doc_id, score)``, best first. Nothing here does I/O; the hybrid
searcher gathers runs and vectors and calls these. Variants are chosen by name through
``FUSIONS``; an unknown name raises ``ValueError`` listing the valid ones.
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

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


def convex(lexical: Run, semantic: Run, alpha: float, missing: float = 0.0) -> list[tuple[str, float]]:
    """Convex combination alpha * lexical + (1 - alpha) * semantic of min-max normalised scores.

    Bruch et al. 2023 (above) show it beats RRF once alpha is tuned on a little data. A document
    absent from a run scores ``missing`` there (0: the bottom of that run).
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    lex, sem = minmax(lexical), minmax(semantic)
    docs = list(dict.fromkeys([d for d, _ in lexical] + [d for d, _ in semantic]))
    return _ranked({d: alpha * lex.get(d, missing) + (1 - alpha) * sem.get(d, missing) for d in docs})


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
