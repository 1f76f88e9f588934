"""Typed results of search, shared by the keyword, semantic and hybrid searchers."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..models import Paper


@dataclass(frozen=True)
class SearchFilters:
    """Narrowing that every searcher applies; all optional, text fields case-insensitive."""

    venue: str | None = None
    year: int | None = None
    year_from: int | None = None
    year_to: int | None = None
    track: str | None = None
    session: str | None = None
    author: str | None = None
    has_code: bool | None = None


@dataclass
class Hit:
    """One result: the paper, its score under the mode used, a snippet and why it matched."""

    id: str
    score: float
    paper: Paper | None = None
    snippet: str = ""  # HTML-escaped text with <mark>…</mark> around matched terms
    why: list[str] = field(default_factory=list)  # e.g. ["title: contrastive", "semantic 0.71"]


@dataclass
class Results:
    hits: list[Hit]
    total: int  # matches before k (keyword mode), or len(hits)
    mode: str  # "keyword" | "semantic" | "hybrid"
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    took_ms: float = 0.0
    semantic_coverage: float | None = None  # share of the catalog embedded, when semantic is used
    notes: list[str] = field(default_factory=list)  # e.g. "semantic index covers 40% of papers"
