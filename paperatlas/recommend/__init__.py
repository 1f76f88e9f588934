"""Recommendations from your library: a ranker trained per profile on request (as arxiv-sanity-lite
does), over the term features (``indexes.terms``) and paper vectors of the catalog, with the
reason for every item.

``recommend(atlas, "tag:rl", filters=Filters(venue="ICLR", year=2025))`` trains a linear SVM
(the profile's papers against a sample of the others, "not interested" papers weighing more,
recent additions weighing more), adds the nearest-library-paper cosine of the MiniLM vectors
when the semantic index has them, and papers by the profile's authors unless told not to
(``rank.py``; chosen on bench/recommend_quality.py). Each item says which library papers it is
closest to, the terms that pushed it up and down, and the kind of reason.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InvalidInput
from ..filters import Filters
from ..models import Paper
from ..search.types import Hit, hit_to_dict
from . import rank
from .profiles import Profile, profile_names, profile_of, set_not_interested

if TYPE_CHECKING:
    from ..app import Atlas

__all__ = ["Params", "Profile", "Recommendation", "Recommendations", "profile_names", "profile_of", "recommend",
           "set_not_interested"]


@dataclass(frozen=True)
class Params:
    """The ranker's knobs; defaults chosen on the dev half of bench/recommend_quality.py."""

    c: float = 0.01  # SVM regularisation (arxiv-sanity-lite's)
    sampled_negatives: int = 20_000  # other papers the SVM sees (all of them below this many)
    negative_weight: float = 3.0  # a "not interested" paper against a sampled one
    half_life_days: float = 365.0  # library papers added a year ago weigh half (0: no decay)
    dense_weight: float = 1.0  # nearest-library-paper cosine, in z-units beside the SVM's
    author_weight: float = 1.0  # papers by the profile's authors (0: off)
    dense_exact_max: int = 5_000  # candidates compared by vector; beyond, only the SVM's best this many


@dataclass
class Recommendation:
    id: str
    score: float
    paper: Paper
    closest: list[tuple[str, str, float]] = field(default_factory=list)  # (library paper id, title, similarity)
    terms_up: list[str] = field(default_factory=list)
    terms_down: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)  # the profile's authors who wrote it
    kinds: list[str] = field(default_factory=list)  # "similar", "terms", "author"

    @property
    def why(self) -> str:
        """The reason in one line."""
        parts = []
        if self.closest:
            parts.append("similar to " + "; ".join(f"“{t[:70]}”" for _, t, _ in self.closest[:2]))
        if self.terms_up:
            parts.append("your profile's terms: " + ", ".join(self.terms_up))
        if self.authors:
            parts.append("by " + ", ".join(self.authors[:2]) + " (in your library)")
        return "; ".join(parts) or "close to your profile"

    def to_dict(self, state: dict[str, Any] | None = None) -> dict[str, Any]:
        out = hit_to_dict(Hit(self.id, self.score, self.paper), state)
        out.update(why=self.why, kinds=self.kinds, terms_up=self.terms_up, terms_down=self.terms_down,
                   closest=[{"id": i, "title": t, "similarity": round(s, 4)} for i, t, s in self.closest],
                   authors_in_library=self.authors)
        return out


@dataclass
class Recommendations:
    profile: str
    label: str
    items: list[Recommendation]
    candidates: int
    took_ms: float
    notes: list[str] = field(default_factory=list)

    def to_dict(self, states: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
        return {"profile": self.profile, "label": self.label, "candidates": self.candidates,
                "took_ms": round(self.took_ms, 1), "notes": self.notes,
                "hits": [r.to_dict((states or {}).get(r.id)) for r in self.items]}


def recommend(atlas: Atlas, profile: str | Profile, *, filters: Filters | None = None, k: int = 20,
              since: timedelta | None = None, use_authors: bool = True, params: Params = Params()) -> Recommendations:
    """The ``k`` papers (passing ``filters``, added within ``since``) the profile should read."""
    started = time.perf_counter()
    prof = profile_of(atlas, profile) if isinstance(profile, str) else profile
    if not prof.positives:
        raise InvalidInput(f"{prof.label} has no papers yet",
                           hint="star a few papers (paperatlas star ID), tag them, or add them to a list first")
    from ..services import topics

    terms = atlas.indexes.terms()
    candidates = _candidates(atlas, terms, prof, topics.resolve(atlas, filters or Filters()), since)
    notes: list[str] = []
    if not candidates:
        return Recommendations(prof.name, prof.label, [], 0, (time.perf_counter() - started) * 1000, notes)
    w, bias = _train(terms, prof, params)
    cand_ids, svm = terms.scores(candidates, w, bias)
    signals: list[tuple[np.ndarray, float]] = [(svm, 1.0)]
    dense, nearest, library_ids = _dense(atlas, prof, cand_ids, svm, params, notes)
    if dense is not None:
        signals.append((dense, params.dense_weight))
    affinity, library_authors = _authors(atlas, prof, cand_ids) if use_authors and params.author_weight else (None, {})
    if affinity is not None:
        signals.append((affinity, params.author_weight))
    scores = rank.fuse(signals)
    order = np.argsort(-scores, kind="stable")[:k]
    papers = atlas.store.papers.by_ids([cand_ids[i] for i in order])
    titles = atlas.store.papers.by_ids(library_ids, with_sources=False) if library_ids else {}
    items = []
    _, shown_rows = terms.rows([cand_ids[i] for i in order])
    for n, i in enumerate(order):
        pid = cand_ids[i]
        if pid not in papers:
            continue
        item = Recommendation(pid, float(scores[i]), papers[pid])
        item.terms_up, item.terms_down = rank.term_contributions(w, shown_rows[n], terms.terms)
        if dense is not None and nearest is not None:
            lib = library_ids[int(nearest[i])]
            item.closest = [(lib, titles[lib].title if lib in titles else lib, float(dense[i]))]
        item.authors = [a for a in papers[pid].authors if library_authors.get(a)]
        item.kinds = [kind for kind, on in (("similar", item.closest), ("terms", item.terms_up), ("author", item.authors)) if on]
        items.append(item)
    return Recommendations(prof.name, prof.label, items, len(cand_ids), (time.perf_counter() - started) * 1000, notes)


def _candidates(atlas: Atlas, terms: Any, prof: Profile, filters: Filters, since: timedelta | None) -> list[str]:
    """Papers with term features passing the filters, but for the profile's own and rejected ones."""
    ids = set(terms.live_ids()) if filters.empty else atlas.store.papers.ids_matching(filters)
    if since is not None:
        stamp = (datetime.now(UTC) - since).strftime("%Y-%m-%dT%H:%M:%SZ")
        ids &= atlas.store.papers.added_since(stamp)
    return sorted(ids - set(prof.positives) - set(prof.negatives))


def _train(terms: Any, prof: Profile, params: Params) -> tuple[np.ndarray, float]:
    """The profile's linear SVM over term features: its papers (recent ones weighing more), its
    "not interested" papers (weighing ``negative_weight``), and a sample of all other papers."""
    import scipy.sparse as sp

    pos_ids, pos_rows = terms.rows(prof.positives)
    if not pos_ids:
        raise InvalidInput(f"{prof.label}: its papers have no title or abstract to learn from",
                           hint="add papers with abstracts to the profile")
    neg_ids, neg_rows = terms.rows(prof.negatives)
    taken = set(prof.positives) | set(prof.negatives)
    others = [pid for pid in terms.live_ids() if pid not in taken]
    rng = random.Random(prof.name)  # the same profile samples the same papers: stable rankings
    sample = others if len(others) <= params.sampled_negatives else rng.sample(others, params.sampled_negatives)
    sample_ids, sample_rows = terms.rows(sample)
    ages = dict(zip(prof.positives, prof.ages_days))
    pos_weights = rank.recency_weights([ages.get(p, 0.0) for p in pos_ids], params.half_life_days)
    rows = sp.vstack([pos_rows, neg_rows, sample_rows]).tocsr()
    labels = np.r_[np.ones(len(pos_ids)), np.zeros(len(neg_ids) + len(sample_ids))]
    weights = np.r_[pos_weights, np.full(len(neg_ids), params.negative_weight), np.ones(len(sample_ids))]
    if len(set(labels)) < 2:  # a catalog of nothing but the profile: every paper scores the same
        return np.zeros(rows.shape[1], np.float32), 0.0
    return rank.linear_svm(rows, labels, weights, params.c)


def _dense(atlas: Atlas, prof: Profile, cand_ids: list[str], svm: np.ndarray, params: Params,
           notes: list[str]) -> tuple[np.ndarray | None, np.ndarray | None, list[str]]:
    """Each candidate's cosine to its nearest library paper (None without vectors). Beyond
    ``dense_exact_max`` candidates only the SVM's best that many are compared; the rest get the
    lowest cosine seen."""
    index = atlas.indexes.vectors()
    if index is None or index.count() == 0:
        notes.append("ranked by terms only: `paperatlas index` adds the semantic index, which finds more")
        return None, None, []
    library_ids, library = index.vectors_for(prof.positives)
    if not library_ids:
        return None, None, []
    chosen = np.arange(len(cand_ids))
    if len(cand_ids) > params.dense_exact_max:
        chosen = np.argsort(-svm, kind="stable")[: params.dense_exact_max]
    have, vectors = index.vectors_for([cand_ids[i] for i in chosen])
    sims, nearest = rank.best_cosine(vectors, library)
    found = dict(zip(have, range(len(have))))
    dense = np.full(len(cand_ids), float(sims.min()) if len(sims) else 0.0)
    near = np.zeros(len(cand_ids), dtype=np.int64)
    for i in chosen:
        j = found.get(cand_ids[i])
        if j is not None:
            dense[i], near[i] = sims[j], nearest[j]
    return dense, near, library_ids


def _authors(atlas: Atlas, prof: Profile, cand_ids: list[str]) -> tuple[np.ndarray | None, dict[str, int]]:
    """log(1 + library papers by each candidate's authors); candidates by a library author are
    found through the keyword index's author field (reading every candidate's authors from the
    store took a second at 100k papers)."""
    library: dict[str, int] = {}
    for authors in atlas.store.papers.authors_of(prof.positives).values():
        for a in set(authors):
            library[a] = library.get(a, 0) + 1
    if not library:
        return None, {}
    keyword, _ = atlas.indexes.keyword_for_reading()
    by = keyword.papers_by_authors(sorted(library))
    position = {pid: i for i, pid in enumerate(cand_ids)}
    found = [(position[pid], names) for pid, names in by.items() if pid in position]
    affinity = np.zeros(len(cand_ids))
    if found:
        affinity[[i for i, _ in found]] = rank.author_affinity([names for _, names in found], library)
    return (affinity if affinity.any() else None), library
