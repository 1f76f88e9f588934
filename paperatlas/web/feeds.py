"""Atom feeds (RFC 4287) of every watch, reading list, tag and venue, for feed readers:

    /feeds/watch/NAME.atom     what the watch reported (one entry per paper, reason and state)
    /feeds/list/ID.atom        a reading list, newest additions first
    /feeds/tag/TAG.atom        papers with a tag, newest first
    /feeds/venue/V/Y.atom      a venue and year, papers newest first ('-': unknown)

Entry ids are tag URIs that never change (``watches.atom``); ``updated`` is when the paper was
reported, added to the list or tag, or last changed in the catalog.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from ..app import Atlas
from ..errors import NotFound
from ..filters import Filters
from ..models import Paper
from ..normalize import latex_to_text
from ..services import digest as digest_svc
from ..services import library
from ..watches.atom import AtomEntry, atom_feed, tag_id
from .pages import core

ATOM = "application/atom+xml; charset=utf-8"
FEED_SIZE = 50
SUMMARY_CHARS = 300


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def paper_entries(atlas: Atlas, stamped: list[tuple[str, str]], base: str) -> list[AtomEntry]:
    """Entries for (paper id, updated) pairs, in the order given."""
    papers = atlas.store.papers.by_ids([pid for pid, _ in stamped])
    out = []
    for pid, updated in stamped:
        paper = papers.get(pid)
        if paper is None:
            continue
        links = digest_svc.links_of(paper, pid, base)
        abstract = latex_to_text(paper.abstract or "")
        summary = abstract[:SUMMARY_CHARS] + ("…" if len(abstract) > SUMMARY_CHARS else "")
        out.append(AtomEntry(tag_id("paper", pid), paper.title, updated, links[0][1], summary, _content(paper, links, summary),
                             paper.authors, [c for c in (paper.venue, paper.track) if c], links[1:]))
    return out


def _content(paper: Paper, links: list[tuple[str, str]], summary: str) -> str:
    from html import escape

    venue = " ".join(str(v) for v in (paper.venue, paper.year, paper.track) if v)
    parts = [f"<p>{escape(', '.join(paper.authors[:8]))}</p>" if paper.authors else "",
             f"<p>{escape(venue)}</p>" if venue else "", f"<p>{escape(summary)}</p>" if summary else "",
             "<p>" + " · ".join(f'<a href="{escape(u)}">{escape(label)}</a>' for label, u in links) + "</p>"]
    return "\n".join(p for p in parts if p)


def _feed(feed_id: str, title: str, self_url: str, alternate: str, entries: list[AtomEntry]) -> bytes:
    return atom_feed(feed_id, title, self_url, alternate, max((e.updated for e in entries), default=_now()), entries)


def watch_feed(atlas: Atlas, name: str, base: str) -> bytes:
    return digest_svc.atom(digest_svc.digest(atlas, name, None, base, limit=FEED_SIZE * 2))


def list_feed(atlas: Atlas, list_id: int, base: str) -> bytes:
    found = library.get_list(atlas, list_id)
    added = atlas.library.listed_at(list_id)
    stamped = sorted(added.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)[:FEED_SIZE]
    return _feed(tag_id("list", str(list_id)), f"paperatlas list: {found.name}", f"{base}/feeds/list/{list_id}.atom",
                 f"{base}/library", paper_entries(atlas, stamped, base))


def tag_feed(atlas: Atlas, tag: str, base: str) -> bytes:
    clean = library.clean_tag(tag)
    added = atlas.library.tagged_at(clean)
    if not added:
        raise NotFound(f"no paper is tagged {clean!r}", hint="/api/library lists the tags")
    stamped = sorted(added.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)[:FEED_SIZE]
    return _feed(tag_id("tag", clean), f"paperatlas tag: {clean}", f"{base}/feeds/tag/{quote(clean, safe='')}.atom",
                 f"{base}/library", paper_entries(atlas, stamped, base))


def venue_feed(atlas: Atlas, venue: str, year: int | None, base: str) -> bytes:
    ids = sorted(atlas.store.papers.ids_matching(Filters(venue=venue, year=year)))
    if not ids:
        raise NotFound(f"no papers of {venue} {year or ''}".strip(), hint="/venues lists the venues and years")
    times = atlas.watches.paper_times(ids)
    stamped = sorted(((pid, t[1]) for pid, t in times.items()), key=lambda kv: (kv[1], kv[0]), reverse=True)[:FEED_SIZE]
    path = f"{quote(venue, safe='')}/{year if year is not None else '-'}"
    return _feed(tag_id("venue", venue, str(year or "-")), f"paperatlas: {venue} {year or ''}".strip(),
                 f"{base}/feeds/venue/{path}.atom", f"{base}/venue/{path}", paper_entries(atlas, stamped, base))


def _atom(body: bytes) -> Response:
    return Response(body, media_type=ATOM)


def _strip(value: Any) -> str:
    text = str(value)
    if not text.endswith(".atom"):
        raise NotFound(f"{text!r} is not a feed", hint="feeds end in .atom, e.g. /feeds/watch/NAME.atom")
    return text[: -len(".atom")]


async def watch_feed_page(request: Request) -> Response:
    return _atom(await core(request, watch_feed, _strip(request.path_params["name"]), _base(request)))


async def list_feed_page(request: Request) -> Response:
    raw = _strip(request.path_params["list_id"])
    if not raw.isdigit():
        raise NotFound(f"no reading list {raw!r}", hint="a list feed is /feeds/list/ID.atom with the list's number")
    return _atom(await core(request, list_feed, int(raw), _base(request)))


async def tag_feed_page(request: Request) -> Response:
    return _atom(await core(request, tag_feed, _strip(request.path_params["tag"]), _base(request)))


async def venue_feed_page(request: Request) -> Response:
    venue, year = str(request.path_params["venue"]), _strip(request.path_params["year"])
    if year != "-" and not year.isdigit():
        raise NotFound(f"{year!r} is not a year", hint="e.g. /feeds/venue/ICLR/2024.atom ('-' for papers without a year)")
    return _atom(await core(request, venue_feed, venue, int(year) if year.isdigit() else None, _base(request)))
