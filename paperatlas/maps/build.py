"""``build_map``: a topic map of a set of papers from their vectors and texts.

Steps: canonical order (papers sorted by id, so the same set in any order gives the same map) →
2-D layout (``layout.py``) → two levels of clusters on it (``cluster.py``) → c-TF-IDF keyphrase
labels, distinct across all clusters (``labels.py``) → a ``TopicMap``.

Deterministic: fixed seeds, one thread for every library that sums in parallel (threadpoolctl),
stable sorts, coordinates rounded to ``DECIMALS``; the same input gives byte-identical JSON.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from . import cluster as clustering
from .labels import ctfidf, distinct_labels, keyphrases, terms
from .layout import TSNE_MIN, layout

DECIMALS = 4
# Part of every map's fingerprint: bump it when a change to the method changes maps, so stored
# maps are rebuilt.
MAP_VERSION = 1
LABEL_PHRASES = 3
TOP = 5
OTHER_ID = "other"

Progress = Callable[[str, int, int], None]  # (stage, done, total); stages: layout, placing, clusters, labels


@dataclass(frozen=True)
class Cluster:
    """A topic (``parent`` None) or a finer topic inside one (``parent`` = the topic's id)."""

    id: str
    label: str
    size: int
    parent: str | None
    keyphrases: tuple[str, ...] = ()
    top: tuple[str, ...] = ()  # its most central papers (closest to the mean vector), best first


@dataclass(frozen=True)
class Point:
    id: str
    x: float
    y: float
    cluster: str  # the finer topic; its parent is the broad one
    topic: str


@dataclass(frozen=True)
class TopicMap:
    method: dict[str, Any]
    clusters: list[Cluster]
    points: list[Point]
    notes: list[str] = field(default_factory=list)

    def topics(self) -> list[Cluster]:
        return [c for c in self.clusters if c.parent is None]

    def subtopics(self) -> list[Cluster]:
        return [c for c in self.clusters if c.parent is not None]

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "clusters": [{"id": c.id, "label": c.label, "size": c.size, "parent": c.parent} for c in self.clusters],
            "points": [{"id": p.id, "x": p.x, "y": p.y, "cluster": p.cluster} for p in self.points],
        }

    def to_json(self) -> str:
        """The map as ``{"method", "clusters": [{"id", "label", "size", "parent"}], "points":
        [{"id", "x", "y", "cluster"}]}``; ``cluster`` is the finer topic (its ``parent`` the broad one)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"), sort_keys=False)

    def to_stored(self) -> dict[str, Any]:
        """``to_dict`` plus what it leaves out (keyphrases, central papers, notes): ``from_stored`` reads it back."""
        return {**self.to_dict(), "notes": self.notes, "keyphrases": {c.id: list(c.keyphrases) for c in self.clusters},
                "top": {c.id: list(c.top) for c in self.clusters}}

    @classmethod
    def from_stored(cls, data: dict[str, Any]) -> TopicMap:
        keyphrases, top = data.get("keyphrases", {}), data.get("top", {})
        clusters = [Cluster(c["id"], c["label"], int(c["size"]), c["parent"], tuple(keyphrases.get(c["id"], ())),
                            tuple(top.get(c["id"], ()))) for c in data["clusters"]]
        parent = {c.id: c.parent or c.id for c in clusters}
        points = [Point(p["id"], float(p["x"]), float(p["y"]), p["cluster"], parent[p["cluster"]]) for p in data["points"]]
        return cls(data["method"], clusters, points, list(data.get("notes", [])))


def build_map(ids: Sequence[str], vectors: np.ndarray, texts: Sequence[str], seed: int = 0,
              progress: Progress | None = None) -> TopicMap:
    """The topic map of the papers ``ids`` with unit ``vectors`` (one row each) and ``texts``
    (title + abstract, keywords if any: the labels come from them). See the module doc."""
    ids, vectors, texts = _checked(ids, vectors, texts)
    order = sorted(range(len(ids)), key=lambda i: ids[i])
    ids = [ids[i] for i in order]
    vectors = vectors[order]
    texts = [texts[i] for i in order]
    notes: list[str] = []
    if not ids:
        notes.append("no papers: nothing to map")
        return TopicMap({"seed": seed, "notes": notes}, [], [], notes)
    # threadpoolctl comes with scikit-learn; importlib keeps mypy off the untyped module
    threadpool_limits = importlib.import_module("threadpoolctl").threadpool_limits
    with threadpool_limits(1):
        xy, layout_method = layout(vectors, seed, progress)
        if progress is not None:
            progress("clusters", 0, 1)
        topics, subtopics = clustering.two_levels(xy, vectors, seed)
        if progress is not None:
            progress("clusters", 1, 1)
    if layout_method["name"] == "pca":
        notes.append(f"{len(ids)} papers are too few for t-SNE (it needs {TSNE_MIN}): "
                     "the layout is the first two principal components")
    xy = np.round(xy, DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0, so JSON never prints "-0.0"
    clusters, topic_of, cluster_of = _clusters(topics, subtopics, texts, progress)
    clusters = _with_top(clusters, ids, vectors, topic_of, cluster_of)
    points = [Point(pid, float(x), float(y), cluster_of[i], topic_of[i]) for i, (pid, (x, y)) in enumerate(zip(ids, xy))]
    method = {
        "seed": seed,
        "layout": layout_method,
        "topics": {"name": "k-means on the layout", "library": "scikit-learn", "init": "k-means++",
                   "n_init": clustering.N_INIT, "count": "round(sqrt(n / 10)), 1..30"},
        "subtopics": {"name": "k-means on the layout within each topic", "count": "round(sqrt(m / 3)), 1..20; 1 below 8 papers"},
        "other": {"rule": f"similarity to the topic's mean vector below median - {clustering.OUTLIER_MADS:g} x 1.4826 MAD",
                  "max_share": clustering.OTHER_SHARE, "min_papers": clustering.OTHER_MIN_SET},
        "labels": {"name": "c-TF-IDF (BERTopic)", "terms": "unigrams + bigrams, stop words removed", "phrases": LABEL_PHRASES},
    }
    if notes:
        method["notes"] = notes
    return TopicMap(method, clusters, points, notes)


def fingerprint(ids: Sequence[str], seed: int = 0, vector_model: str = "") -> str:
    """What a stored map depends on besides the vectors' content: the set of ids (any order), the
    seed, the vector model's name and ``MAP_VERSION``. A derived index rebuilds a map when this changes."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{MAP_VERSION}\x1f{seed}\x1f{vector_model}".encode())
    for pid in sorted(ids):
        digest.update(b"\x1e" + pid.encode())
    return digest.hexdigest()


def _checked(ids: Sequence[str], vectors: np.ndarray, texts: Sequence[str]) -> tuple[list[str], np.ndarray, list[str]]:
    ids, texts = list(ids), list(texts)
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or len(vectors) != len(ids):
        raise ValueError(f"vectors must be one row per paper: got shape {vectors.shape} for {len(ids)} ids")
    if len(texts) != len(ids):
        raise ValueError(f"texts must be one per paper: got {len(texts)} for {len(ids)} ids")
    bad = [i for i, pid in enumerate(ids) if not isinstance(pid, str) or not pid]
    if bad:
        raise ValueError(f"paper id at position {bad[0]} is empty or not a string: {ids[bad[0]]!r}")
    seen: dict[str, int] = {}
    for i, pid in enumerate(ids):
        if pid in seen:
            raise ValueError(f"paper id {pid!r} appears twice (positions {seen[pid]} and {i}): give each paper once")
        seen[pid] = i
    if not np.isfinite(vectors).all():
        row = int(np.flatnonzero(~np.isfinite(vectors).all(axis=1))[0])
        raise ValueError(f"vector of paper {ids[row]!r} (position {row}) has NaN or infinite values")
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return ids, vectors / np.maximum(norms, 1e-12), [str(t or "") for t in texts]


def _clusters(topics: np.ndarray, subtopics: np.ndarray, texts: list[str],
              progress: Progress | None) -> tuple[list[Cluster], list[str], list[str]]:
    """Ids, labels and sizes of both levels, and each paper's topic and finer-topic ids.

    Ids: topics "1", "2", … by size (largest first; ties: the one whose first paper comes
    first), the other bucket "other" last; finer topics "<topic>.1", "<topic>.2", … the same way."""
    n = len(texts)

    def by_size(groups: dict[int, np.ndarray]) -> list[int]:
        return sorted(groups, key=lambda g: (-len(groups[g]), int(groups[g][0])))

    groups = {int(t): np.flatnonzero(topics == t) for t in np.unique(topics)}
    ordered = by_size({t: m for t, m in groups.items() if t != clustering.OTHER})
    topic_ids = {t: str(number) for number, t in enumerate(ordered, start=1)}
    if clustering.OTHER in groups:
        ordered.append(clustering.OTHER)
        topic_ids[clustering.OTHER] = OTHER_ID
    topic_list = [topic_ids[t] for t in ordered]
    topic_members = {topic_ids[t]: [int(i) for i in groups[t]] for t in ordered}
    topic_of = [""] * n
    cluster_of = [""] * n
    fine_members: dict[str, list[int]] = {}  # in topic order, then by size
    for t in ordered:
        members = groups[t]
        subgroups = {int(s): members[subtopics[members] == s] for s in np.unique(subtopics[members])}
        for number, s in enumerate(by_size(subgroups), start=1):
            fid = f"{topic_ids[t]}.{number}"
            fine_members[fid] = [int(i) for i in subgroups[s]]
            for i in subgroups[s]:
                topic_of[int(i)], cluster_of[int(i)] = topic_ids[t], fid
    fine_list = list(fine_members)
    if progress is not None:
        progress("labels", 0, 2)
    matrix, vocabulary = _term_matrix(texts)
    taken: set[str] = set()
    topic_phrases = _phrases(matrix, vocabulary, [topic_members[t] for t in topic_list])
    # the other bucket says what it is; its phrases still say what is in it
    topic_labels = distinct_labels(topic_phrases, taken, LABEL_PHRASES)
    for index, tid in enumerate(topic_list):
        if tid == OTHER_ID:
            taken.discard(topic_labels[index])
            topic_labels[index] = "Other: " + topic_labels[index]
            taken.add(topic_labels[index])
    if progress is not None:
        progress("labels", 1, 2)
    fine_phrases = _phrases(matrix, vocabulary, [fine_members[f] for f in fine_list])
    fine_labels = distinct_labels(fine_phrases, taken, LABEL_PHRASES)
    if progress is not None:
        progress("labels", 2, 2)
    clusters = [Cluster(tid, label, len(topic_members[tid]), None, tuple(phrases[:LABEL_PHRASES]))
                for tid, label, phrases in zip(topic_list, topic_labels, topic_phrases)]
    clusters += [Cluster(fid, label, len(fine_members[fid]), fid.rsplit(".", 1)[0], tuple(phrases[:LABEL_PHRASES]))
                 for fid, label, phrases in zip(fine_list, fine_labels, fine_phrases)]
    return clusters, topic_of, cluster_of


def _with_top(clusters: list[Cluster], ids: list[str], vectors: np.ndarray, topic_of: list[str],
              cluster_of: list[str]) -> list[Cluster]:
    """Each cluster with its ``TOP`` most central papers: highest cosine to the cluster's mean
    vector (ties: smaller id), the papers a topic list shows as examples."""
    members: dict[str, list[int]] = {}
    for i, (topic, fine) in enumerate(zip(topic_of, cluster_of)):
        members.setdefault(topic, []).append(i)
        members.setdefault(fine, []).append(i)
    out = []
    for c in clusters:
        rows = np.asarray(members.get(c.id, []), dtype=np.int64)
        if not len(rows):
            out.append(c)
            continue
        similarity = vectors[rows] @ vectors[rows].mean(axis=0)
        best = rows[np.lexsort((rows, -np.round(similarity, 6)))[:TOP]]  # rounded: ties broken by id, not float noise
        out.append(replace(c, top=tuple(ids[int(i)] for i in best)))
    return out


def _term_matrix(texts: list[str]) -> tuple[Any, list[str]]:
    """Papers x terms, 1 where the paper has the term; terms in at least 2 papers (1 in sets
    under 20, where a term of one paper may be all there is)."""
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(analyzer=terms, binary=True, min_df=2 if len(texts) >= 20 else 1, dtype=np.float64)
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # no term at all (empty texts, or every word a stop word)
        return None, []
    return matrix.tocsr(), [str(t) for t in vectorizer.get_feature_names_out()]


def _phrases(matrix: Any, vocabulary: list[str], groups: list[list[int]]) -> list[list[str]]:
    if matrix is None or not groups:
        return [[] for _ in groups]
    from scipy import sparse

    rows = np.concatenate([np.full(len(g), k) for k, g in enumerate(groups)])
    cols = np.concatenate([np.asarray(g, dtype=np.int64) for g in groups])
    membership = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(groups), matrix.shape[0]))
    counts = (membership @ matrix).tocsr()
    sizes = [len(g) for g in groups]
    return keyphrases(ctfidf(counts, np.array(sizes)), vocabulary, counts, sizes)
