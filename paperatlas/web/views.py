"""One data function per page: a JSON-ready dict from one core call, which ``pages.py`` renders
as HTML and ``api.py`` returns as JSON at the URL each page links to (Datasette's habit), so the
API is the UI's data and the two cannot drift. Presentation only: links, labels, ordering."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote_plus

from ..app import Atlas
from ..ingest import FileReport, fingerprint
from ..links import KINDS, link_rows
from ..models import Paper, paper_to_dict
from ..search import related, search
from ..search.types import MODES, Hit, hit_to_dict
from ..services import catalog, library
from ..services.ingest import PREVIEW_RECORDS, ingest_bytes, paste_format, preview_bytes
from ..services.tldrs import paper_tldr, tldrs
from . import security
from .params import IngestInput, RecommendParams, SearchParams, VenueListParams
from .venue_views import plan_link, track_links, venue_list, venue_path

FACET_ORDER = ("venue", "year", "topic", "track", "session", "author")
EXPORT_FORMATS = ("bibtex", "csl", "csv", "markdown", "jsonl")
RELATED_K = 10


def hit_rows(atlas: Atlas, hits: list[Hit]) -> list[dict[str, Any]]:
    """The rows of a result list in the one hit shape, with each paper's library state, the
    links a card shows (PDF, arXiv, OpenReview, DOI) and its TL;DR."""
    states = atlas.library.states([h.id for h in hits])
    rows = [with_links(hit_to_dict(h, states.get(h.id)), h.paper) for h in hits if h.paper is not None]
    return with_tldrs(atlas, rows, [h.paper for h in hits if h.paper is not None])


def with_tldrs(atlas: Atlas, rows: list[dict[str, Any]], papers: Sequence[Paper]) -> list[dict[str, Any]]:
    """``rows`` with ``tldr`` and ``tldr_source`` (``source``: the authors'; ``extractive``)."""
    found = tldrs(atlas, papers)
    for row in rows:
        t = found.get(row["id"])
        row["tldr"], row["tldr_source"] = (t.text, t.source) if t else (None, None)
    return rows


def with_links(row: dict[str, Any], paper: Paper | None) -> dict[str, Any]:
    """``row`` with ``links``: the card's kinds of ``links.paper_links`` as {kind, label, url}."""
    if paper is not None:
        row.setdefault("links", link_rows(paper, KINDS))
    return row


def card_rows(atlas: Atlas, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Core hit rows (``hit_to_dict``) in the web's one hit shape: with links and TL;DRs."""
    papers = atlas.store.papers.by_ids([row["id"] for row in rows], with_sources=False)
    return with_tldrs(atlas, [with_links(row, papers.get(row["id"])) for row in rows], list(papers.values()))


def rows_with_links(atlas: Atlas, rows: list[dict[str, Any]], hits: Sequence[Any]) -> list[dict[str, Any]]:
    """Hit rows (from a ``to_dict``) with their papers' links and TL;DRs; ``hits`` hold the
    papers (anything with ``id`` and ``paper``: search hits, recommendations)."""
    papers = {h.id: h.paper for h in hits}
    rows = [with_links(row, papers.get(row["id"])) for row in rows]
    return with_tldrs(atlas, rows, [p for p in papers.values() if p is not None])


def search_data(atlas: Atlas, params: SearchParams) -> dict[str, Any]:
    res = search(atlas, params.q, mode=params.mode, k=params.k, offset=params.offset, filters=params.filters)
    data = res.to_dict(atlas.library.states([h.id for h in res.hits]))
    data["hits"] = rows_with_links(atlas, data["hits"], res.hits)
    query = params.as_query()
    fields = sorted(res.facets, key=lambda f: (FACET_ORDER.index(f) if f in FACET_ORDER else 99, f))
    return {**data, "query": params.q, "params": query, "requested_mode": params.mode, "modes": ["auto", *MODES],
            "facets": {f: facet_values(query, f, res.facets[f]) for f in fields}}


def facet_values(query: dict[str, Any], name: str, counts: list[tuple[str, int]]) -> list[dict[str, Any]]:
    """Each value with its count, whether it is the active filter, and the link that toggles it."""
    rest = security.query_string({k: v for k, v in query.items() if k not in (name, "page")})
    current = str(query.get(name, "")).lower()
    prefix = "/?" + (rest + "&" if rest else "") + quote_plus(name) + "="
    out = []
    for value, count in counts:
        active = current == str(value).lower()
        out.append({"value": str(value), "count": count, "active": active,
                    "href": "/?" + rest if active else prefix + quote_plus(str(value))})
    return out


def has_math(text: str) -> bool:
    import re

    return bool(re.search(r"\$[^$]+\$|\\\(|\\\[", text))


def paper_data(atlas: Atlas, paper_id: str) -> dict[str, Any]:
    d = catalog.paper_detail(atlas, paper_id)
    fields_from: dict[Any, list[str]] = {}
    for name, ref in d.paper.field_sources.items():
        fields_from.setdefault(ref, []).append(name)
    sources = [{"file": ref.file, "format": ref.format, "record_id": ref.record_id, "line": ref.line,
                "fields": sorted(fields_from.get(ref, [])), "title": rec.title, "venue": rec.venue,
                "year": rec.year, "track": rec.track, "session": rec.session, "counters": rec.counters}
               for ref, rec in d.records]
    lists = [{"id": lst.id, "name": lst.name, "has": paper_id in lst.paper_ids} for lst in d.lists]
    tldr = paper_tldr(d.paper, [(ref.file, rec.extra) for ref, rec in d.records if rec.extra])  # records already read
    return {"paper": paper_to_dict(d.paper), "links": link_rows(d.paper), "sources": sources, "bibtex": d.bibtex,
            "tldr": tldr.to_dict() if tldr else None,
            "has_math": has_math(d.paper.title + " " + d.paper.abstract), "library": d.state.to_dict(),
            "lists": lists, "related_url": f"/api/paper/{paper_id}/related"}


def related_data(atlas: Atlas, paper_id: str, k: int = RELATED_K) -> dict[str, Any]:
    hits = related(atlas, paper_id, k)
    return {"paper_id": paper_id, "title": catalog.get_paper(atlas, paper_id).title, "hits": hit_rows(atlas, hits)}


def venues_data(atlas: Atlas) -> dict[str, Any]:
    return {"venues": catalog.venues(atlas)}


def venue_data(atlas: Atlas, venue: str | None, year: int | None, params: VenueListParams | None = None) -> dict[str, Any]:
    """One venue and year: its tracks and sessions (each a link that filters the list), what each
    source file holds of it, and its paper list (``venue_views.venue_list``)."""
    params = params or VenueListParams()
    v = catalog.venue_overview(atlas, venue, year)
    return {"venue": v.venue, "year": v.year, "papers": v.papers, "path": venue_path(venue, year),
            "tracks": track_links(v.tracks, venue, year, params), "sources": v.sources,
            "plan": plan_link(atlas, venue, year, v.tracks),
            "list": venue_list(atlas, venue, year, params)}


def export_links(**which: Any) -> dict[str, str]:
    return {fmt: "/api/library/export?" + security.query_string({"format": fmt, **which}) for fmt in EXPORT_FORMATS}


def library_data(atlas: Atlas) -> dict[str, Any]:
    lib = library.library(atlas)
    papers = {pid: _brief(p) for pid, p in lib.papers.items()}

    def pick(ids: list[str]) -> list[dict[str, Any]]:
        return [papers[i] for i in ids if i in papers]

    return {
        "starred": pick(lib.starred), "exports": export_links(starred=1),
        "tags": [{"tag": t, "count": n, "papers": pick(lib.tagged[t]), "exports": export_links(tag=t)} for t, n in lib.tags],
        "notes": [{"paper": papers.get(n.paper_id, {"id": n.paper_id, "label": n.paper_id}), "body": n.body,
                   "updated_at": n.updated_at} for n in lib.notes],
        "lists": [{"id": lst.id, "name": lst.name, "created_at": lst.created_at, "papers": pick(lst.paper_ids),
                   "exports": export_links(list=lst.id)} for lst in lib.lists],
    }


def _brief(p: Any) -> dict[str, Any]:
    row = hit_to_dict(Hit(p.id, 0.0, p))
    return with_links({k: row[k] for k in ("id", "title", "label", "authors", "venue", "year", "track", "session",
                                            "code_urls", "url", "counters")}, p)


def formats_data(atlas: Atlas) -> dict[str, Any]:
    return {"formats": catalog.formats()}


def ingest_data(atlas: Atlas, given: IngestInput) -> dict[str, Any]:
    """Store one pasted text or uploaded file; the report says what was found (a bad file's
    report carries its error). Text no format claims is read as the format that reads it best
    (``services.ingest.paste_format``), as its preview was. With a preview's ``key``, text that
    no longer reads as previewed (edited since, another format or override) is not stored: the
    answer is its new preview, marked ``changed``."""
    fmt, by = paste_format(given.name, given.data, given.format)
    if given.key and given.key != fingerprint(given.data, fmt, given.overrides, given.skip_bad):
        return {**ingest_preview_data(atlas, given), "changed": True}
    report: FileReport = ingest_bytes(atlas, given.name, given.data, format=fmt, overrides=given.overrides,
                                      skip_bad=given.skip_bad)
    if report.new or report.merged or report.updated:
        atlas.warm_up()  # the next search finds the keyword index up to date
    return {"ok": report.ok, "stored": True, "report": report.to_dict(), "detected_by": by,
            "papers_in_catalog": catalog.count(atlas)}


def ingest_preview_data(atlas: Atlas, given: IngestInput) -> dict[str, Any]:
    """Read one pasted text or uploaded file without storing it: the format it is read as (and
    how that was found), how many records, the first few (title, authors, year, venue), the
    warnings; ``key`` names this reading, for the confirming store."""
    p = preview_bytes(atlas, given.name, given.data, format=given.format, overrides=given.overrides,
                      skip_bad=given.skip_bad, limit=PREVIEW_RECORDS)
    rows = [{"position": r.position, "line": r.line, "title": r.title, "authors": r.authors, "year": r.year,
             "venue": r.venue, "track": r.track} for r in p.records]
    return {"ok": p.report.ok, "stored": False, "report": p.report.to_dict(), "format": p.format,
            "detected_by": p.detected_by, "records": rows, "more": max(0, p.report.found - len(rows)), "key": p.key,
            "known": p.known}


# CLI words in the hints of the core, and what the import page and the API say instead.
_HINT_WORDS = (
    (r"(?:pass|try|use) --format NAME", "choose the format in the menu above", 'send "format": NAME (see /api/formats)'),
    (r"pick the right --format", "choose the right format in the menu above", 'send the right "format" (see /api/formats)'),
    (r"pass --skip-bad", 'tick "skip damaged records"', 'send "skip_bad": 1'),
    (r"--skip-bad", '"skip damaged records"', '"skip_bad": 1'),
    (r"--format", "the format menu", '"format"'),
)


def web_hint(hint: str | None, api: bool = False) -> str:
    """A hint of the core as the import page (or the API) puts it: "choose the format in the menu
    above", not "pass --format NAME"."""
    text = hint or ""
    for pattern, page, json_api in _HINT_WORDS:
        text = re.sub(pattern, json_api if api else page, text)
    return text


DataFunction = Callable[..., dict[str, Any]]


def profiles_data(atlas: Atlas) -> dict[str, Any]:
    from ..recommend import profile_names

    return {"profiles": [{"name": n, "label": label, "papers": c, "href": "/for-you?" + security.query_string({"profile": n})}
                         for n, label, c in profile_names(atlas)]}


def foryou_data(atlas: Atlas, params: RecommendParams) -> dict[str, Any]:
    """The "For you" page: a profile's recommendations, each with why, and every profile."""
    from datetime import timedelta

    from ..recommend import recommend

    profiles = profiles_data(atlas)["profiles"]
    base = {"profiles": profiles, "profile": params.profile, "params": params.as_query(), "hits": [], "notes": [],
            "label": "", "candidates": 0, "took_ms": 0.0}
    if not any(p["name"] == params.profile and p["papers"] for p in profiles):
        known = {p["name"] for p in profiles}
        why = "has no papers yet" if params.profile in known else "is not a profile of this library"
        return {**base, "empty": f"“{params.profile}” {why}: star a few papers (press s on a search result),"
                                 " tag them or add them to a list, then come back."}
    res = recommend(atlas, params.profile, filters=params.filters, k=params.k,
                    since=timedelta(days=params.since_days) if params.since_days else None, use_authors=params.authors)
    states = atlas.library.states([r.id for r in res.items])
    data = res.to_dict(states)
    data["hits"] = rows_with_links(atlas, data["hits"], res.items)
    return {**base, **data, "empty": None}


def not_interested(atlas: Atlas, profile: str, paper_id: str, undo: bool) -> dict[str, Any]:
    from ..recommend import set_not_interested

    set_not_interested(atlas, profile, paper_id, undo)
    return {"profile": profile, "paper_id": paper_id, "not_interested": not undo}
