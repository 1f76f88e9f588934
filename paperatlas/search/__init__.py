"""Search a catalog: keyword (BM25), semantic (MiniLM vectors) and hybrid, plus related papers.

``search(atlas, query, mode=...)`` is the one entry point of the CLI, the web UI and the
benchmarks. Keyword search works as soon as a file is ingested; semantic search uses whatever
part of the vector index is ready (``paperatlas index`` fills it) and says how much; when the
model cannot run here, search falls back to keyword with a note naming the package. ``auto``
runs hybrid once the semantic index covers the catalog, keyword before.

Every mode applies one ``Filters`` (and the filters typed into the query) the same way: the
keyword index compiles them for the keyword run, the store for the set of papers a vector run
may return (tests check the two compilations agree). A topic filter (``topic:``) is resolved
through the stored topic maps to a set of papers first (``services.topics``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InvalidInput, NotFound
from ..filters import Filters
from ..services import topics
from . import fusion
from .query import ParsedQuery, parse_query
from .types import MODES, REQUEST_MODES, Hit, SearchResults, hit_to_dict

if TYPE_CHECKING:
    from ..app import Atlas
    from ..indexes import VectorIndex
    from ..indexes.keyword import KeywordIndex

__all__ = ["MODES", "REQUEST_MODES", "Hit", "HybridParams", "SearchResults", "hybrid_rank", "more_like_text",
           "related", "resolve_mode", "search", "search_batch"]

# Hybrid ranking (tuned on dev queries by bench/search_quality.py; see its output):
CANDIDATES = 100  # documents taken from each of the keyword and semantic runs
ALPHA = 0.3  # weight of the normalised BM25 score when the keyword run holds half the candidates
GAMMA = 1.0  # how strongly that weight follows the keyword run's share (fusion.lexical_weight)
NORM = "tmm"  # score normalisation before the convex combination
PRF_DOCS = 10  # keyword hits whose vectors move the query vector (Rocchio)
PRF_BETA = 1.0
RELATED_ALPHA = 0.5  # related papers: the keyword run (a title search) weighs as much as vectors
FULL_COVERAGE = 0.999  # ``auto`` runs hybrid from this share of papers embedded


@dataclass(frozen=True)
class HybridParams:
    """Knobs of ``hybrid_rank``; the defaults were chosen on dev queries (bench/search_quality.py)."""

    alpha: float = ALPHA
    gamma: float = GAMMA
    norm: str = NORM
    candidates: int = CANDIDATES
    prf_docs: int = PRF_DOCS
    prf_beta: float = PRF_BETA


def share(fraction: float) -> str:
    """A share for people, never rounded up to 100% when something is missing (705 of 706: 99.9%)."""
    percent = math.floor(fraction * 1000) / 10
    return f"{percent:.0f}%" if percent == int(percent) else f"{percent:.1f}%"


def resolve_mode(atlas: Atlas, mode: str) -> tuple[str, str | None]:
    """The mode to run for the one asked (``auto``: hybrid once the semantic index covers the
    catalog, keyword before), and a note when it differs from what was asked."""
    if mode not in REQUEST_MODES:
        raise InvalidInput(f"unknown search mode {mode!r}", hint=f"choose one of {', '.join(REQUEST_MODES)}")
    if mode == "keyword":
        return mode, None
    coverage = atlas.indexes.coverage()
    if coverage is None:
        return "keyword", f"semantic search unavailable ({atlas.indexes.semantic_error}); keyword results shown"
    if mode == "auto":
        if coverage >= FULL_COVERAGE:
            return "hybrid", None
        return "keyword", (f"keyword search: the semantic index covers {share(coverage)} of papers;"
                           " `paperatlas index` completes it, then search is hybrid")
    return mode, None


def search(
    atlas: Atlas,
    query: str,
    *,
    mode: str = "auto",
    k: int = 20,
    offset: int = 0,
    filters: Filters | None = None,
    with_facets: bool = True,
    with_snippets: bool = True,
) -> SearchResults:
    """The best ``k`` papers for ``query`` after ``offset``, with facets, snippets, why each
    matched, and notes. ``with_snippets=False`` leaves out snippets and reasons (batch mode)."""
    start = time.perf_counter()
    parsed = parse_query(query)
    filters = topics.resolve(atlas, filters or Filters(), parsed)  # topic: -> paper ids, once for every run
    ran, note = resolve_mode(atlas, mode)
    notes = [note] if note else []
    keyword, busy = atlas.indexes.keyword_for_reading()
    notes += [busy] if busy else []
    # Facet counts need only the query: counted on the second core while the ranking runs
    # (tantivy releases the GIL).
    facets_job = atlas.pool.submit(_facets_and_all_words, atlas, keyword, parsed, filters) if with_facets else None
    want = max(k + offset, 1)
    if ran == "keyword" or not parsed.positive:
        run = keyword.search(parsed, filters, k=k, offset=offset)
        page, total, coverage = run.hits, run.total, None
    else:
        ranked, total, coverage = _vector_ranked(atlas, keyword, parsed, ran, filters, want, notes)
        page = ranked[offset : offset + k]
    hits = _hits(atlas, keyword, parsed, page, with_snippets)
    facets, all_words = facets_job.result() if facets_job is not None else ({}, None)
    return SearchResults(query=query, mode=ran if parsed.positive else "keyword", hits=hits, total=total, k=k,
                         offset=offset, all_words=all_words, facets=facets, took_ms=(time.perf_counter() - start) * 1000,
                         semantic_coverage=coverage, notes=notes + parsed.notes)


def _facets_and_all_words(atlas: Atlas, keyword: KeywordIndex, parsed: ParsedQuery,
                          filters: Filters) -> tuple[dict[str, list[tuple[str, int]]], int | None]:
    """What the page shows beside the ranking: facet counts (``topic`` when the matches' venue-years
    have stored topic maps), and how many papers match every word (counted on the second core
    while the ranking runs; tantivy releases the GIL)."""
    facets = keyword.facets(parsed, filters)
    topic = topics.facet(atlas, keyword, parsed, filters)
    if topic:
        facets["topic"] = topic
    return facets, keyword.count_all_words(parsed, filters)


def _vector_ranked(atlas: Atlas, keyword: KeywordIndex, parsed: ParsedQuery, mode: str, filters: Filters,
                   want: int, notes: list[str]) -> tuple[list[tuple[str, float]], int, float]:
    index = atlas.indexes.require_vectors()
    coverage = float(index.coverage(atlas.store))
    if coverage < 1.0:
        notes.append(f"the semantic index covers {share(coverage)} of papers; `paperatlas index` completes it")
    allowed = allowed_ids(atlas, parsed, filters)
    embedded = index.count(allowed)
    if mode == "semantic":
        run = index.search(atlas.embedder().embed_query(parsed.raw), want, allowed=allowed)
        return run, embedded, coverage
    # the model embeds the query on another thread while tantivy finds the keyword candidates
    vector_job = atlas.pool.submit(atlas.embedder().embed_query, parsed.raw)
    lexical = keyword.search(parsed, filters, k=CANDIDATES, all_words_first=False)
    vector = vector_job.result()
    # The fused head has a fixed depth, so every page cuts the same ranking; deeper pages
    # continue in vector order below it.
    fused = hybrid_rank(index, vector, lexical.hits, allowed, CANDIDATES)
    if want > len(fused):
        fused += vector_tail(index.search(vector, want + len(fused), allowed=allowed), fused)
    return fused, max(lexical.total, embedded, len(fused)), coverage


def vector_tail(run: list[tuple[str, float]], head: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """The vector run's papers not in the fused head, scored below the head's last (cosine times
    that score), so scores keep falling down the pages."""
    floor = head[-1][1] if head else 1.0
    seen = {doc for doc, _ in head}
    return [(doc, floor * max(score, 0.0) * 0.999) for doc, score in run if doc not in seen]


def allowed_ids(atlas: Atlas, parsed: ParsedQuery, filters: Filters) -> set[str] | None:
    """The papers a vector run may return: those passing the filters and the filters typed into
    the query (``venue:ICLR year:2023``); None when nothing narrows."""
    typed = Filters(venue=parsed.venue, track=parsed.track, session=parsed.session,
                    year_from=parsed.year_from, year_to=parsed.year_to)
    sets = [atlas.store.papers.ids_matching(f) for f in (filters, typed) if not f.empty]
    if not sets:
        return None
    return set.intersection(*sets)


def hybrid_rank(
    index: VectorIndex,
    vector: np.ndarray,
    lexical: list[tuple[str, float]],
    allowed: set[str] | None,
    want: int,
    params: HybridParams = HybridParams(),
    restrict: list[str] | None = None,
) -> list[tuple[str, float]]:
    """BM25 run + semantic run (query moved by Rocchio PRF over the top keyword hits), fused by a
    convex combination of TMM-normalised scores whose keyword weight follows the share of the
    candidates the keyword run holds (``fusion.lexical_weight``); exact cosines for every
    candidate. ``restrict`` re-ranks a given candidate list instead of searching (re-ranking
    benchmarks)."""
    if restrict is None:
        lexical = lexical[: max(params.candidates, want)]
    top = [doc for doc, _ in lexical[: params.prf_docs]]
    feedback = index.vectors_of(top) if top else np.zeros((0, vector.shape[0]), np.float32)
    moved = fusion.rocchio(vector, feedback, params.prf_beta)
    if restrict is None:
        semantic = index.search(moved, max(params.candidates, want), allowed=allowed)
        candidates = list(dict.fromkeys([d for d, _ in lexical] + [d for d, _ in semantic]))
    else:
        candidates = restrict
    exact = fusion.cosine_run(moved, *index.vectors_for(candidates))
    share = len(lexical) / max(len(candidates), 1)
    alpha = fusion.lexical_weight(params.alpha, share, params.gamma)
    return fusion.convex(lexical, exact, alpha, norm=params.norm)[: max(want, params.candidates)]


def _hits(atlas: Atlas, keyword: KeywordIndex, parsed: ParsedQuery, page: list[tuple[str, float]],
          with_snippets: bool) -> list[Hit]:
    ids = [doc for doc, _ in page]
    papers = atlas.store.papers.by_ids(ids)
    explained = keyword.explain(parsed, ids) if with_snippets and parsed.raw.strip() else {}
    hits = []
    for doc, score in page:
        if doc in papers:
            snippet, why = explained.get(doc, ("", []))
            hits.append(Hit(id=doc, score=score, paper=papers[doc], snippet=snippet, why=why))
    return hits


def related(atlas: Atlas, paper_id: str, k: int = 10) -> list[Hit]:
    """Papers like this one: its vector's neighbours fused with a keyword search of its title.
    The paper's stored vector is used when it has one (embedding its text again costs ~20 ms)."""
    from .document import embedding_text

    paper = atlas.store.papers.get(paper_id)
    index = atlas.indexes.vectors()
    stored = index.vectors_of([paper_id]) if index is not None else None
    vector = stored[0] if stored is not None and len(stored) else None
    hits = more_like_text(atlas, embedding_text(paper), k=k + 1, title=paper.title, vector=vector)
    return [h for h in hits if h.id != paper_id][:k]


def more_like_text(atlas: Atlas, text: str, k: int = 10, title: str = "", vector: np.ndarray | None = None) -> list[Hit]:
    """Papers like a pasted abstract (or any text); ``vector``: the text's, when already known."""
    if not text.strip():
        raise NotFound("nothing to compare with: the text is empty", hint="paste an abstract")
    keyword, _ = atlas.indexes.keyword_for_reading()
    parsed = parse_query(title or text)
    lexical = keyword.search(parsed, None, k=CANDIDATES, all_words_first=False).hits
    index = atlas.indexes.vectors()
    if index is None or index.coverage(atlas.store) == 0:
        page = lexical[:k]
    else:
        vector = atlas.embedder().embed_query(text) if vector is None else vector
        semantic = index.search(vector, CANDIDATES)
        candidates = list(dict.fromkeys([d for d, _ in lexical] + [d for d, _ in semantic]))
        exact = fusion.cosine_run(vector, *index.vectors_for(candidates))
        page = fusion.convex(lexical, exact, RELATED_ALPHA)[:k]
    return _hits(atlas, keyword, parse_query(""), page, with_snippets=False)


BATCH_QUERY_CHARS = 1000


def search_batch(atlas: Atlas, queries: Iterable[dict[str, Any]], *, mode: str = "auto", k: int = 100,
                 filters: Filters | None = None) -> Iterator[dict[str, Any]]:
    """One result per ``{"qid", "query"}``: ``{"qid", "mode", "total", "hits"}``, each hit in the
    one hit shape (without snippets, which batch mode does not compute)."""
    for item in queries:
        res = search(atlas, str(item.get("query", ""))[:BATCH_QUERY_CHARS], mode=mode, k=k, filters=filters,
                     with_facets=False, with_snippets=False)
        yield {"qid": item.get("qid"), "mode": res.mode, "total": res.total, "notes": res.notes,
               "hits": [hit_to_dict(h) for h in res.hits if h.paper is not None]}
