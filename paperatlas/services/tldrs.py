"""One-line TL;DRs of papers: the authors' own where a source carried one, else extractive.

OpenReview ("TL;DR"), Paper Copilot ("tldr") and Semantic Scholar (``tldr.text``) listings carry
a one-sentence summary; ingest keeps it in the record's ``extra``. A paper shows the first such
summary of its records (oldest first) and says where it came from; a paper without one gets the
sentence of its abstract that best states the contribution (``paperatlas.tldr``), marked
``extractive``. A TL;DR that paperatlas itself exported as extractive (``tldr_source`` beside it
in a JSONL export read back) is not taken for an author's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..models import Paper
from ..tldr import cap_length, extractive_tldr

if TYPE_CHECKING:
    from ..app import Atlas

SOURCE = "source"
EXTRACTIVE = "extractive"


@dataclass(frozen=True)
class Tldr:
    text: str
    source: str  # SOURCE or EXTRACTIVE
    origin: str | None = None  # the file the authors' TL;DR came from

    def to_dict(self) -> dict[str, Any]:
        return {"tldr": self.text, "tldr_source": self.source, "tldr_from": self.origin}


def _key(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


def source_tldr(extras: list[tuple[str, dict[str, Any]]]) -> Tldr | None:
    """The first authors' TL;DR among a paper's records' extras ((file name, extra), oldest first)."""
    for origin, extra in extras:
        if any(_key(k) == "tldrsource" and str(v).strip().lower() == EXTRACTIVE for k, v in extra.items()):
            continue  # our own extractive TL;DR, exported and read back
        for name, value in extra.items():
            if _key(name) == "tldr" and isinstance(value, str) and value.strip():
                return Tldr(cap_length(" ".join(value.split())), SOURCE, origin)
    return None


def paper_tldr(paper: Paper, extras: list[tuple[str, dict[str, Any]]]) -> Tldr | None:
    """The TL;DR of ``paper`` given its records' extras (file name, extra), oldest first: the
    authors' own, else the extractive sentence; None with neither an abstract nor a source's."""
    found = source_tldr(extras)
    if found is None:
        text = extractive_tldr(paper.title, paper.abstract)
        found = Tldr(text, EXTRACTIVE) if text else None
    return found


def tldrs(atlas: Atlas, papers: Iterable[Paper]) -> dict[str, Tldr]:
    """Each paper's TL;DR (papers with neither a source's nor an abstract have none)."""
    papers = list(papers)
    extras = atlas.store.papers.extras([p.id for p in papers])
    found = {p.id: paper_tldr(p, extras.get(p.id, [])) for p in papers}
    return {pid: t for pid, t in found.items() if t is not None}


def export_fields(atlas: Atlas) -> Callable[[list[Paper]], dict[str, dict[str, Any]]]:
    """For ``export.write``: each paper's ``tldr``, ``tldr_source`` and ``tldr_from`` (null when
    the paper has no TL;DR)."""

    def fields(papers: list[Paper]) -> dict[str, dict[str, Any]]:
        found = tldrs(atlas, papers)
        none = {"tldr": None, "tldr_source": None, "tldr_from": None}
        return {p.id: found[p.id].to_dict() if p.id in found else none for p in papers}

    return fields
