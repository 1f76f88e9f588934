"""Catalog use cases: list, show, count, venue overviews, export, formats, backup."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .. import export
from ..errors import InvalidInput, NotFound
from ..filters import Filters
from ..ingest import registry
from ..models import Paper, Record, SourceRef
from . import topics
from .library import PaperState, ReadingList, reading_lists, state
from .tldrs import export_fields

if TYPE_CHECKING:
    from ..app import Atlas


@dataclass(frozen=True)
class Listing:
    papers: list[Paper]
    total: int
    offset: int


def list_papers(atlas: Atlas, filters: Filters | None = None, limit: int | None = 50, offset: int = 0) -> Listing:
    """Papers narrowed by filters, by venue, year and title."""
    filters = topics.resolve(atlas, filters or Filters())
    if limit is not None and limit < 0 or offset < 0:
        raise InvalidInput("--limit and --offset cannot be negative", hint="e.g. --limit 50 --offset 100")
    return Listing(atlas.store.papers.list(filters, limit, offset), atlas.store.papers.count(filters), offset)


def count(atlas: Atlas, filters: Filters | None = None) -> int:
    return atlas.store.papers.count(topics.resolve(atlas, filters or Filters()))


@dataclass(frozen=True)
class PaperDetail:
    """Everything about one paper: its values, its source records, its library state."""

    paper: Paper
    records: list[tuple[SourceRef, Record]]
    state: PaperState
    lists: list[ReadingList]
    bibtex: str


def paper_detail(atlas: Atlas, paper_id: str) -> PaperDetail:
    paper = atlas.store.papers.get(paper_id)
    return PaperDetail(paper, atlas.store.papers.records_of(paper_id), state(atlas, paper_id), reading_lists(atlas),
                       export.bibtex_entry(paper))


def get_paper(atlas: Atlas, paper_id: str) -> Paper:
    return atlas.store.papers.get(paper_id)


def stats(atlas: Atlas) -> dict[str, Any]:
    """Counts per venue and track, per source file (against what pages claim), field coverage."""
    return atlas.store.papers.stats()


def venues(atlas: Atlas) -> list[dict[str, Any]]:
    """One row per (venue, year): papers, tracks, sessions, papers with code (cached per change)."""
    return atlas.cached("venue_years", atlas.store.papers.venue_years)


@dataclass(frozen=True)
class VenueOverview:
    venue: str | None
    year: int | None
    papers: int
    tracks: list[dict[str, Any]]
    sources: list[dict[str, Any]]


def venue_overview(atlas: Atlas, venue: str | None, year: int | None) -> VenueOverview:
    """Tracks and sessions of one venue and year, and what each source file holds of it."""
    rows = atlas.store.papers.venue_tracks(venue, year)
    if not rows:
        raise NotFound(f"no papers of {venue or 'an unknown venue'} {year or ''}".strip(), hint="see /venues")
    tracks: dict[str | None, dict[str, Any]] = {}
    for row in rows:
        t = tracks.setdefault(row["track"], {"track": row["track"], "papers": 0, "sessions": []})
        t["papers"] += row["papers"]
        t["sessions"].append({"session": row["session"], "papers": row["papers"]})
    sources = [{**s, "present": None if s["claimed_total"] is None else f"{s['records']} of {s['claimed_total']} present"}
               for s in atlas.store.papers.venue_sources(venue, year)]
    return VenueOverview(venue, year, sum(t["papers"] for t in tracks.values()), list(tracks.values()), sources)


def export_papers(atlas: Atlas, fp: IO[str], format: str, filters: Filters | None = None) -> int:
    """Write the catalog's papers (narrowed by filters) as JSONL, CSV, BibTeX, CSL or Markdown."""
    if format not in export.FORMATS:
        raise InvalidInput(f"unknown export format {format!r}", hint=f"use one of {', '.join(export.FORMATS)}")
    papers = atlas.store.papers.iter(topics.resolve(atlas, filters or Filters()))
    return export.write(papers, fp, format, more=export_fields(atlas))


def formats() -> dict[str, str]:
    """The input formats paperatlas detects, with a line about each."""
    return {name: p.DESCRIPTION for name, p in sorted(registry.parsers().items())}


@dataclass(frozen=True)
class BackupReport:
    path: str
    bytes: int
    papers: int


def backup(atlas: Atlas, dest: Path, progress: Callable[[int, int], None] | None = None) -> BackupReport:
    """A consistent copy of the live catalog (derived indexes are rebuilt from it when opened):
    a SQLite file, checked by opening it; for PostgreSQL a ``pg_dump`` archive, which only
    ``pg_restore`` reads, so its count is the live catalog's at the time of the dump."""
    atlas.store.backup(dest, progress)
    from ..store import open_store

    if "://" in atlas.store.location:
        return BackupReport(str(dest), dest.stat().st_size, atlas.store.papers.count(Filters()))
    copy = open_store(dest)
    try:
        papers = copy.papers.count(Filters())
    finally:
        copy.close()
    return BackupReport(str(dest), dest.stat().st_size, papers)


def migrate(atlas: Atlas, to: str, progress: Callable[[int, int], None] | None = None) -> dict[str, tuple[int, int]]:
    """Copy the whole catalog, library included, into the empty catalog at ``to`` (a PostgreSQL
    URL or a new file), checking every table's count; per table (rows here, rows there)."""
    from ..store.transfer import copy_to

    return copy_to(atlas.store, to, home=atlas.settings.home, progress=progress)
