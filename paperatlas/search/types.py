"""The results of search, and their one JSON shape (CLI ``--json``, the web API, batch mode)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..models import Paper
from ..normalize import latex_to_text

MODES = ("keyword", "semantic", "hybrid")  # what a search runs
REQUEST_MODES = ("auto", *MODES)  # what may be asked for: auto picks per catalog (services.search)
PREVIEW_CHARS = 300


@dataclass
class Hit:
    """One result: the paper, its score under the mode used, a snippet and why it matched."""

    id: str
    score: float
    paper: Paper | None = None
    snippet: str = ""  # HTML-escaped text with <mark>…</mark> around matched terms
    why: list[str] = field(default_factory=list)  # e.g. ["title: contrastive"]


@dataclass
class SearchResults:
    """A page of results. ``total`` is how many papers the ranking can page through: the
    matches in keyword mode, every paper with a vector (after filters) in semantic mode, and
    the larger of the two in hybrid mode. ``all_words``: of a query of several words, how many
    papers match every word (they are ranked first in keyword mode)."""

    query: str
    mode: str
    hits: list[Hit]
    total: int
    k: int
    offset: int = 0
    all_words: int | None = None
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    took_ms: float = 0.0
    semantic_coverage: float | None = None  # share of the catalog embedded, when semantic ran
    notes: list[str] = field(default_factory=list)  # e.g. "semantic index covers 40% of papers"

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // max(self.k, 1)))

    @property
    def page(self) -> int:
        return self.offset // max(self.k, 1) + 1

    def to_dict(self, states: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
        return {
            "query": self.query, "mode": self.mode, "total": self.total, "all_words": self.all_words,
            "k": self.k, "offset": self.offset, "page": self.page, "pages": self.pages,
            "took_ms": round(self.took_ms, 2), "semantic_coverage": self.semantic_coverage, "notes": self.notes,
            "facets": {name: [[value, n] for value, n in values] for name, values in self.facets.items()},
            "hits": [hit_to_dict(h, (states or {}).get(h.id)) for h in self.hits if h.paper is not None],
        }


def label(paper: Paper) -> str:
    """What a list shows as a paper's title (an untitled paper: the start of its abstract)."""
    return paper.title or "[untitled] " + " ".join(latex_to_text(paper.abstract).split()[:12]) + "…"


def paper_url(paper: Paper) -> str | None:
    return paper.links.get("forum") or paper.links.get("site") or paper.links.get("pdf")


def hit_to_dict(hit: Hit, state: dict[str, Any] | None = None) -> dict[str, Any]:
    """The one JSON shape of a hit. ``state``: the paper's library state, when asked for."""
    p = hit.paper
    assert p is not None
    out: dict[str, Any] = {
        "id": hit.id, "score": round(hit.score, 6), "title": p.title, "label": label(p), "authors": p.authors,
        "venue": p.venue, "year": p.year, "track": p.track, "session": p.session, "url": paper_url(p),
        "code_urls": p.code_urls, "counters": p.counters, "snippet": hit.snippet, "why": hit.why,
        "preview": "" if hit.snippet else latex_to_text(p.abstract)[:PREVIEW_CHARS],
        "sources": [{"file": s.file, "record_id": s.record_id} for s in p.sources],
    }
    if state is not None:
        out["starred"], out["tags"] = bool(state.get("starred")), list(state.get("tags", []))
    return out
