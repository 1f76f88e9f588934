"""The rankers bench/recommend_quality.py compares: baselines, and exploratory variants."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from recommend_data import Paper, Profile
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

Ranker = Callable[[Profile], np.ndarray]


def sanity_tfidf(texts: list[str]) -> sp.csr_matrix:
    """arxiv-sanity-lite's features (compute.py): 1-2 grams, sublinear tf, 20k features,
    min_df 5, max_df 0.1, English stop words, l2 rows."""
    v = TfidfVectorizer(input="content", encoding="utf-8", decode_error="replace", strip_accents="unicode",
                        lowercase=True, analyzer="word", stop_words="english",
                        token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b", ngram_range=(1, 2), max_features=20000,
                        norm="l2", use_idf=True, smooth_idf=True, sublinear_tf=True, max_df=0.1, min_df=5)
    return v.fit_transform(texts).tocsr().astype(np.float32)


def svm(x: sp.csr_matrix, positives: list[int], c: float = 0.01) -> np.ndarray:
    """arxiv-sanity-lite's ranker (serve.py): LinearSVC, balanced classes, the library as
    positives and every other paper as negatives; the decision value of every paper."""
    y = np.zeros(x.shape[0])
    y[positives] = 1
    clf = LinearSVC(class_weight="balanced", verbose=0, max_iter=10000, tol=1e-6, C=c)
    clf.fit(x, y)
    return np.asarray(clf.decision_function(x))


def zscore(s: np.ndarray) -> np.ndarray:
    return (s - s.mean()) / (s.std() + 1e-9)


def methods(papers: list[Paper], vectors: np.ndarray) -> dict[str, Ranker]:
    x = sanity_tfidf([p.text for p in papers])
    v = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def svm_sanity(p: Profile) -> np.ndarray:
        return svm(x, p.library)[p.candidates]

    def centroid(p: Profile) -> np.ndarray:
        c = v[p.library].mean(0)
        return v[p.candidates] @ (c / np.linalg.norm(c))

    def best_cosine(p: Profile) -> np.ndarray:
        return (v[p.candidates] @ v[p.library].T).max(1)

    out: dict[str, Ranker] = {"tf-idf SVM (arxiv-sanity)": svm_sanity, "embedding centroid": centroid,
                              "embedding best cosine": best_cosine}
    out["paperatlas (terms only)"] = ours(papers, v, dense=False)
    out["paperatlas"] = ours(papers, v, dense=True)
    return out


def ours(papers: list[Paper], v: np.ndarray, dense: bool) -> Ranker:
    """The product's ranker (paperatlas.recommend) on the benchmark's arrays: its vectorizer, its
    sampled-negative SVM, nearest-library-paper cosine, fused by the same function and weights
    (authors are hidden in this benchmark, so that signal is off)."""
    from paperatlas.indexes.terms import vectorizer
    from paperatlas.recommend import Params, rank

    params = Params()
    x = vectorizer(papers=len(papers)).fit_transform([p.text for p in papers]).tocsr()
    everyone = np.arange(len(papers))

    def run(p: Profile) -> np.ndarray:
        rng = np.random.default_rng(abs(hash(p.qid)) % 2**32)
        others = np.setdiff1d(everyone, p.library)
        if len(others) > params.sampled_negatives:
            others = rng.choice(others, params.sampled_negatives, replace=False)
        rows = sp.vstack([x[p.library], x[others]]).tocsr()
        labels = np.r_[np.ones(len(p.library)), np.zeros(len(others))]
        w, b = rank.linear_svm(rows, labels, np.ones(len(labels)), params.c)
        signals = [(np.asarray(x[p.candidates] @ w).ravel() + b, 1.0)]
        if dense:
            signals.append((rank.best_cosine(v[p.candidates], v[p.library])[0], params.dense_weight))
        return rank.fuse(signals)

    return run
