"""Merge review use cases: the queue of uncertain pairs, a person's decisions, merge, keep apart,
split. Each change is one writer transaction; the rules live in ``resolve.review``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..models import Paper
from ..resolve import review
from ..store.protocol import Action, PendingPair

if TYPE_CHECKING:
    from ..app import Atlas


@dataclass(frozen=True)
class Decision:
    """What a merge, keep-apart or split did: the action remembered and the papers now."""

    action: int | None
    kind: str
    papers: list[Paper]


def pending(atlas: Atlas, limit: int | None = 50) -> list[PendingPair]:
    return atlas.store.review.pending(limit)


def decisions(atlas: Atlas) -> list[Action]:
    return atlas.store.review.actions()


def merge(atlas: Atlas, keep: str, other: str) -> Decision:
    """Merge paper ``other`` into ``keep`` (sources, stars, tags, notes, lists follow)."""
    with atlas.store.writer() as w:
        action = review.merge_papers(w, keep, other)
    return Decision(action, "merge", [atlas.store.papers.get(keep)])


def keep_apart(atlas: Atlas, a: str, b: str) -> Decision:
    """Remember that ``a`` and ``b`` are different papers; nothing moves."""
    with atlas.store.writer() as w:
        action = review.keep_apart(w, a, b)
    return Decision(action, "distinct", [atlas.store.papers.get(a), atlas.store.papers.get(b)])


def split(atlas: Atlas, paper_id: str) -> Decision:
    """Undo the last merge into a paper (or give each source its own paper), and remember it."""
    with atlas.store.writer() as w:
        ids = review.split_paper(w, paper_id)
    papers = atlas.store.papers.by_ids(ids)
    return Decision(None, "split", [papers[i] for i in ids if i in papers])
