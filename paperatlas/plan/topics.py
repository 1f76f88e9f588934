"""Topic-matched papers: the fill of a plan when the recommender cannot rank (its optional
libraries missing, or the profile has nothing it knows). Two pure rules, each a paper's score:

- ``same_topic``: papers in the finer topic (cluster of the venue's stored topic map,
  ``paperatlas map``) of one or more chosen papers; score = how many chosen papers share it.
- ``shared_keywords``: the sum over chosen papers of the Jaccard similarity (|A∩B| / |A∪B|,
  Jaccard 1901) of the two papers' keyword sets (case-folded), when no map is stored.

Ties break by paper id, so the same inputs give the same fill.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from .core import Pick


def same_topic(cluster_of: Mapping[str, str], labels: Mapping[str, str], chosen: Sequence[str], k: int) -> list[Pick]:
    counts = Counter(cluster_of[pid] for pid in dict.fromkeys(chosen) if pid in cluster_of)
    mine = set(chosen)
    scored = [(float(counts[c]), pid, c) for pid, c in cluster_of.items() if c in counts and pid not in mine]
    scored.sort(key=lambda t: (-t[0], t[1]))
    return [Pick(pid, "recommended", f"same topic as {int(score)} of your papers: {labels.get(c, c)}", score)
            for score, pid, c in scored[:k]]


def _keys(words: Iterable[str]) -> frozenset[str]:
    return frozenset(" ".join(w.split()).casefold() for w in words if w and w.strip())


def shared_keywords(keywords: Mapping[str, Sequence[str]], chosen: Sequence[str], k: int) -> list[Pick]:
    mine = [_keys(keywords[pid]) for pid in dict.fromkeys(chosen) if pid in keywords]
    mine = [m for m in mine if m]
    chosen_set = set(chosen)
    scored: list[tuple[float, str, list[str]]] = []
    for pid, words in keywords.items():
        theirs = _keys(words)
        if pid in chosen_set or not theirs:
            continue
        score = sum(len(theirs & m) / len(theirs | m) for m in mine)
        if score > 0:
            scored.append((score, pid, sorted(set().union(*(theirs & m for m in mine)))))
    scored.sort(key=lambda t: (-t[0], t[1]))
    return [Pick(pid, "recommended", "shares keywords with your papers: " + ", ".join(shared[:3]), score)
            for score, pid, shared in scored[:k]]
