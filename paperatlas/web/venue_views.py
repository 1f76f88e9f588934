"""The venue page's paper list (``/venue/V/Y`` and ``/api/venue/V/Y``): the venue's papers in the
order asked for (relevance to words, track, title, or one of the popularity counters its papers
carry), narrowed by track, session and has-code, a page at a time.

Without words the store orders and pages the whole venue (``PaperReads.venue_papers``). With
words, ``relevance`` is the search ranking of the venue's papers; any other order sorts the
keyword matches (the best ``MATCH_CAP``) by ``sort_key``, the same order the store's SQL gives.
"""

from __future__ import annotations

import shlex
from typing import Any
from urllib.parse import quote

from ..app import Atlas
from ..errors import InvalidInput
from ..filters import Filters
from ..models import Paper
from ..search import search
from ..search.types import Hit
from . import security
from .params import VenueListParams

MATCH_CAP = 1000  # keyword matches sorted by another order than relevance
FIXED_SORTS = ("track", "title")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def venue_path(venue: str | None, year: int | None) -> str:
    """``/venue/ICLR/2023``; ``-`` for an unknown venue or year."""
    return f"/venue/{quote(venue, safe='') if venue else '-'}/{year if year is not None else '-'}"


def sort_options(q: str, counters: list[tuple[str, int]]) -> list[tuple[str, str]]:
    """(value, label) of each order the list offers: relevance when there are words to rank by,
    track, title, then each popularity counter the venue's papers carry (most common first)."""
    return [*([("relevance", "relevance")] if q else []), ("track", "track"), ("title", "title"),
            *((f"counter:{name}", name) for name, _ in counters)]


def choose_sort(requested: str, q: str, options: list[tuple[str, str]]) -> tuple[str, list[str]]:
    """The order to use and any note about it: empty means relevance with words and track
    without; relevance without words falls back to track (said in a note); an order the venue
    does not offer is InvalidInput naming the ones it does."""
    if not requested:
        return ("relevance" if q else "track"), []
    if requested == "relevance" and not q:
        return "track", ["relevance needs words to rank by: type them in the box above; listed by track"]
    values = [value for value, _ in options]
    if requested not in values:
        raise InvalidInput(f"this list cannot be sorted by {requested!r}", hint=f"sort is one of: {', '.join(values)}")
    return requested, []


def _fold(text: str | None) -> str:
    return (text or "").translate(_ASCII_LOWER)  # SQLite's NOCASE folds ASCII letters only


def sort_key(paper: Paper, sort: str, counter: str | None = None) -> tuple[Any, ...]:
    """The order of ``store.sqlite.papers.VENUE_SORTS`` in Python (unknown values last, ties by
    title then id), for keyword matches sorted by something other than relevance."""
    title = (_fold(paper.title), paper.id)
    if sort == "title":
        return title
    if sort == "track":
        return (paper.track is None, _fold(paper.track), paper.session is None, _fold(paper.session), *title)
    value = paper.counters.get(counter or "")
    return (value is None, -(value or 0), *title)


def _alike(a: str | None, b: str | None) -> bool:
    """Whether a filter value names this value (filters compare case-insensitively)."""
    return a is not None and b is not None and a.strip().lower() == b.lower()


def _same_place(paper: Paper | None, venue: str | None, year: int | None) -> bool:
    return paper is not None and paper.venue == venue and paper.year == year


def keyword_matches(atlas: Atlas, q: str, venue: str | None, year: int | None, filters: Filters) -> tuple[list[Hit], bool]:
    """The venue's papers matching ``q`` by keyword (the best ``MATCH_CAP``, in relevance order),
    and whether the cap cut the list. The venue and year must be equal, not just alike (the
    page's exact venue, as ``venue_tracks`` counts it)."""
    narrowed = Filters(venue=venue, year=year, track=filters.track, session=filters.session, has_code=filters.has_code)
    res = search(atlas, q, mode="keyword", k=MATCH_CAP, filters=narrowed, with_facets=False)
    return [h for h in res.hits if _same_place(h.paper, venue, year)], res.total > MATCH_CAP


def venue_list(atlas: Atlas, venue: str | None, year: int | None, params: VenueListParams) -> dict[str, Any]:
    """One page of the venue's paper list, with the orders it offers and the links that change it."""
    from .views import hit_rows

    counters = atlas.store.papers.venue_counters(venue, year)
    options = sort_options(params.q, counters)
    sort, notes = choose_sort(params.sort, params.q, options)
    kind, counter = (sort.split(":", 1)[0], sort.split(":", 1)[1]) if sort.startswith("counter:") else (sort, None)
    f = params.filters
    if not params.q:
        papers, total = atlas.store.papers.venue_papers(venue, year, f, kind, counter, params.k, params.offset)
        hits = [Hit(p.id, 0.0, p) for p in papers]
    elif sort == "relevance" and venue is not None and year is not None:
        narrowed = Filters(venue=venue, year=year, track=f.track, session=f.session, has_code=f.has_code)
        res = search(atlas, params.q, mode=params.mode, k=params.k, offset=params.offset, filters=narrowed, with_facets=False)
        hits, total = res.hits, res.total
        notes += res.notes
    else:
        matches, capped = keyword_matches(atlas, params.q, venue, year, f)
        if capped:
            notes.append(f"more than {MATCH_CAP} papers match: the best {MATCH_CAP} by relevance are listed")
        if sort != "relevance":
            matches.sort(key=lambda h: sort_key(h.paper, kind, counter) if h.paper else ())
        total = len(matches)
        hits = matches[params.offset : params.offset + params.k]
    base = venue_path(venue, year)

    def href(**changes: Any) -> str:
        query = security.query_string(params.as_query(**{"page": None, **changes}))
        return base + ("?" + query if query else "")

    pages = max(1, -(-total // params.k))
    chips = [{"name": name, "value": value, "href": href(**{name: None})}
             for name, value in (("q", params.q), ("track", f.track), ("session", f.session),
                                 ("has_code", "with code" if f.has_code else "without code" if f.has_code is False else None))
             if value]
    return {
        "q": params.q, "sort": sort, "mode": params.mode, "page": params.page, "pages": pages, "k": params.k,
        "total": total, "notes": notes, "params": params.as_query(), "path": base,
        "sorts": [{"value": value, "label": label, "active": value == sort, "href": href(sort=value)}
                  for value, label in options],
        "counters": [{"name": name, "papers": n} for name, n in counters],
        "filters": {"track": f.track, "session": f.session, "has_code": f.has_code},
        "chips": chips, "has_code_href": href(has_code=None if f.has_code else 1),
        "prev_href": href(page=params.page - 1) if params.page > 1 else None,
        "next_href": href(page=params.page + 1) if params.page < pages else None,
        "hits": hit_rows(atlas, hits),
    }


def plan_link(atlas: Atlas, venue: str | None, year: int | None, tracks: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The venue page's way to a conference plan: the link to ``/plan`` when a programme is
    stored for the venue-year; else the command that makes one: from the session names the
    listings carry when they carry any (``programme from-listings``), else from the organisers'
    file. None without a venue and a year (a plan needs both)."""
    if not venue or year is None:
        return None
    if atlas.store.programme.info(venue, year) is not None:
        return {"href": "/plan?" + security.query_string({"venue": venue, "year": year}), "command": None}
    where = f"--venue {shlex.quote(venue)} --year {year}"
    if any(s["session"] for t in tracks for s in t["sessions"]):
        return {"href": None, "command": f"paperatlas programme from-listings {where}",
                "why": "the listings name their sessions: this makes the programme from them"}
    return {"href": None, "command": f"paperatlas programme import FILE {where}",
            "why": "import the organisers' programme (ICS, CSV or JSON)"}


def track_links(tracks: list[dict[str, Any]], venue: str | None, year: int | None,
                params: VenueListParams) -> list[dict[str, Any]]:
    """The tracks and sessions table with each row's link filtering the list to it (the active
    one's link removes the filter)."""
    base = venue_path(venue, year)
    f = params.filters

    def href(track: str | None, session: str | None) -> str:
        query = security.query_string(params.as_query(page=None, track=track, session=session))
        return base + ("?" + query if query else "")

    out = []
    for t in tracks:
        on = f.track is not None and f.session is None and _alike(f.track, t["track"])
        sessions = []
        for s in t["sessions"]:
            s_on = f.session is not None and _alike(f.session, s["session"]) and (f.track is None or _alike(f.track, t["track"]))
            sessions.append({**s, "active": s_on,
                             "href": href(t["track"], None) if s_on else href(t["track"], s["session"])})
        out.append({**t, "active": on, "href": href(None, None) if on else href(t["track"], None), "sessions": sessions})
    return out
