"""Conference programmes and plans: the use cases behind ``paperatlas programme`` / ``plan`` and
the /plan page. Reading, matching and planning are in ``paperatlas.plan``; this module brings the
catalog, the library and the recommender to them.

What a person chose lives in the library (stars, reading lists), never in the programme: a
re-imported programme replaces the sessions, and the plan finds every chosen paper again by its
paper id wherever the new programme puts it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInput, NotFound, PaperatlasError
from ..filters import Filters
from ..plan import Pick, Plan, build_plan, topics
from ..plan.boards import board_key
from ..plan.common import Parsed, session_key, session_kind
from ..plan.core import DEFAULT_CAP
from ..plan.ics import read_ics
from ..plan.match import CatalogIndex, MatchReport, match_programme, rematch
from ..plan.tables import read_csv, read_json, roles
from ..plan.times import iso, parse_time
from ..store.protocol import ProgrammeEntry, ProgrammeSession

if TYPE_CHECKING:
    from ..app import Atlas

log = logging.getLogger("paperatlas.plan")
MAX_FILE = 50 * 1024 * 1024
FORMATS = ("ics", "csv", "json")
MAX_RECOMMENDED = 1000


@dataclass
class ImportResult:
    venue: str
    year: int
    source: str
    sessions: int
    report: MatchReport
    warnings: list[str] = field(default_factory=list)
    chosen_scheduled: int = 0  # chosen papers (stars, lists) the new programme presents
    chosen_lost: list[str] = field(default_factory=list)  # chosen papers the old programme had and the new lacks

    def to_dict(self) -> dict[str, Any]:
        return {"venue": self.venue, "year": self.year, "source": self.source, "sessions": self.sessions,
                **self.report.to_dict(), "warnings": self.warnings, "chosen_scheduled": self.chosen_scheduled,
                "chosen_no_longer_scheduled": self.chosen_lost}


@dataclass
class PlanResult:
    venue: str
    year: int
    label: str
    plan: Plan
    notes: list[str] = field(default_factory=list)
    took_ms: float = 0.0
    titles: dict[str, str] = field(default_factory=dict)  # of the unscheduled chosen papers too


def sniff_format(path: Path, data: bytes) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("ics", "ical", "icalendar", "ifb"):
        return "ics"
    if suffix in ("csv", "tsv", "txt") and b"BEGIN:VCALENDAR" not in data[:2048].upper():
        return "csv"
    if suffix == "json":
        return "json"
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.upper().startswith(b"BEGIN:VCALENDAR"):
        return "ics"
    return "json" if head[:1] in (b"[", b"{") else "csv"


def read_programme(path: Path, fmt: str | None = None, tz: str | None = None, data: bytes | None = None) -> tuple[str, Parsed]:
    """The format and sessions of a programme file (not yet matched to the catalog)."""
    if data is None:
        if path.stat().st_size > MAX_FILE:
            raise InvalidInput(f"{path}: larger than {MAX_FILE // 2**20} MB", hint="is this a programme?")
        data = path.read_bytes()
    fmt = (fmt or sniff_format(path, data)).lower()
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown programme format {fmt!r}", hint="use ics, csv or json")
    name = path.name
    parsed = read_ics(data, name, tz) if fmt == "ics" else read_csv(data, name, tz) if fmt == "csv" else read_json(data, name, tz)
    if not parsed.sessions:
        raise InvalidInput(f"{name}: the programme has no sessions",
                           hint="an ICS needs VEVENTs; a CSV/JSON needs rows with a session name or start time")
    return fmt, parsed


def venue_index(atlas: Atlas, venue: str, year: int) -> CatalogIndex:
    return CatalogIndex.of(atlas.store.papers.iter(Filters(venue=venue, year=year)))


def _elsewhere(atlas: Atlas) -> Any:
    """Strong ids of papers outside the venue-year (a workshop paper filed under another venue)."""
    def find(kind: str, value: str) -> str | None:
        if kind not in ("openreview", "arxiv", "doi"):
            return None
        found = atlas.store.programme.papers_under_keys([f"{kind}:{value}"]).get(f"{kind}:{value}", [])
        return found[0] if len(found) == 1 else None
    return find


def chosen_ids(atlas: Atlas, list_name: str | None) -> list[Pick]:
    """The chosen papers: the list's (in list order) when one is named, then the starred ones."""
    from .library import find_list

    picks: list[Pick] = []
    if list_name:
        lst = find_list(atlas, list_name)
        picks += [Pick(pid, "list", f"in your list {lst.name}") for pid in lst.paper_ids]
    picks += [Pick(pid, "starred", "starred") for pid in atlas.library.starred_ids()]
    return picks


def _scheduled(sessions: list[ProgrammeSession]) -> set[str]:
    return {e.paper_id for s in sessions for e in s.entries if e.paper_id}


def store_programme(atlas: Atlas, venue: str, year: int, source: str, parsed: Parsed) -> ImportResult:
    venue = " ".join(venue.split())
    if not venue:
        raise InvalidInput("--venue is empty", hint="e.g. --venue ICLR --year 2023")
    sessions, report = match_programme(parsed, venue_index(atlas, venue, year), _elsewhere(atlas))
    before = _scheduled(atlas.store.programme.sessions(venue, year))
    atlas.store.programme.replace(venue, year, source, sessions)
    after = _scheduled(sessions)
    chosen = list(dict.fromkeys(p.paper_id for p in chosen_ids(atlas, None)))
    for lst in atlas.library.lists():
        chosen += atlas.library.list_items(lst[0])
    chosen = list(dict.fromkeys(chosen))
    lost = [pid for pid in chosen if pid in before and pid not in after]
    return ImportResult(venue, year, source, len(sessions), report, parsed.warnings,
                        sum(1 for pid in chosen if pid in after), lost)


def import_programme(atlas: Atlas, path: Path, venue: str, year: int, fmt: str | None = None, tz: str | None = None,
                     data: bytes | None = None) -> ImportResult:
    """Read a programme file, match its papers to the catalog, replace the stored programme."""
    fmt, parsed = read_programme(path, fmt, tz, data)
    return store_programme(atlas, venue, year, f"{fmt}:{path.name}", parsed)


def programme_from_listings(atlas: Atlas, venue: str, year: int) -> ImportResult:
    """A programme from the session names the venue-year's listings carry ("Poster Session 6"),
    with the times, rooms and boards their records hold in fields named like a programme's columns."""
    sessions: dict[str, tuple[ProgrammeSession, list[ProgrammeEntry]]] = {}
    warnings: list[str] = []
    for paper in atlas.store.papers.iter(Filters(venue=venue, year=year)):
        names = [paper.session] if paper.session else []
        details: dict[str, str] = {}
        for _, record in atlas.store.papers.records_of(paper.id):
            extra = record.extra or {}
            more = extra.get("sessions")
            if isinstance(more, list):
                names += [str(n) for n in more if n]
            found = roles(extra.keys())
            for role in ("start", "end", "room", "board", "date"):
                value = extra.get(found.get(role, ""))
                if role not in details and isinstance(value, (str, int)) and str(value).strip():
                    details[role] = " ".join(str(value).split())
        if not names and "start" not in details:
            continue
        start = parse_time(details["start"], None, details.get("date")) if "start" in details else None
        end = parse_time(details["end"], None, details.get("date")) if "end" in details else None
        for name in dict.fromkeys(" ".join(n.split()) for n in names or [f"Session at {details.get('start', '')}"]):
            if name not in sessions:
                starts_at, ends_at = (iso(start) if start is not None else None), (iso(end) if end is not None else None)
                sessions[name] = (ProgrammeSession(session_key(name, None), name, starts_at, ends_at,
                                                   room=details.get("room"), kind=session_kind(name)), [])
            sessions[name][1].append(ProgrammeEntry(paper.title or paper.id, paper.id, details.get("board")))
    if not sessions:
        raise InvalidInput(f"no paper of {venue} {year} carries a session name",
                           hint="import the organisers' programme: paperatlas programme import FILE --venue V --year Y")
    # listings carry no order of their own: sessions in natural order of their names (Session 2 < Session 10)
    ordered = sorted(sessions.values(), key=lambda item: (board_key(item[0].name), item[0].name))
    parsed = Parsed([ProgrammeSession(s.key, s.name, s.starts_at, s.ends_at, s.tz, s.all_day, s.room, s.kind, entries=tuple(e))
                     for s, e in ordered], warnings)
    return store_programme(atlas, venue, year, "listings", parsed)


def programme(atlas: Atlas, venue: str, year: int) -> list[ProgrammeSession]:
    sessions = atlas.store.programme.sessions(venue, year)
    if not sessions and atlas.store.programme.info(venue, year) is None:
        raise NotFound(f"no programme for {venue} {year}",
                       hint=f"paperatlas programme import FILE --venue {venue} --year {year}"
                            f" (or programme from-listings --venue {venue} --year {year})")
    return sessions


def _fresh(atlas: Atlas, venue: str, year: int, sessions: list[ProgrammeSession], venue_ids: set[str],
           notes: list[str]) -> list[ProgrammeSession]:
    """The programme matched again, for this plan, when the catalog changed under it: entries of
    papers merged into others since the import (their library rows moved to the kept paper), or
    entries that matched nothing while papers of the venue-year were added. Cheap when nothing
    changed (one set difference and one indexed query); the stored programme is left as imported."""
    stale = {pid for pid in _scheduled(sessions) if pid not in venue_ids}
    if stale:  # matched outside the venue-year at import, or merged away since
        stale -= set(atlas.store.papers.by_ids(sorted(stale), with_sources=False))
    info = atlas.store.programme.info(venue, year)
    unmatched = any(e.paper_id is None for s in sessions for e in s.entries)
    added = bool(unmatched and info is not None and atlas.store.papers.added_since(info.imported_at) & venue_ids)
    if not stale and not added:
        return sessions
    sessions, changed = rematch(sessions, venue_index(atlas, venue, year), stale, _elsewhere(atlas))
    if changed:
        notes.append(f"the catalog changed since the programme was imported: {changed} of its entries matched anew for this"
                     f" plan (re-import the programme to store that)")
    return sessions


def recommended(atlas: Atlas, profile: str, venue: str, year: int, k: int, chosen: list[str], notes: list[str]) -> list[Pick]:
    """Recommendations among the venue-year's papers; when the recommender cannot rank (its
    libraries missing, an empty profile), topic-matched papers instead (``plan.topics``)."""
    from ..recommend import recommend

    try:
        res = recommend(atlas, profile, filters=Filters(venue=venue, year=year), k=k)
    except ImportError as exc:
        reason = f"{exc} (install the 'recommend' extra)"
    except PaperatlasError as exc:
        reason = exc.message
    else:
        notes.extend(res.notes)
        return [Pick(r.id, "recommended", r.why, r.score) for r in res.items]
    picks = _topic_matched(atlas, venue, year, chosen, k)
    instead = "topic-matched papers instead" if picks else "nothing topic-matched either"
    notes.append(f"no recommendations ({reason}); {instead}")
    return picks


def _topic_matched(atlas: Atlas, venue: str, year: int, chosen: list[str], k: int) -> list[Pick]:
    """Papers of the chosen ones' topics on the venue's stored map, else sharing their keywords."""
    try:
        from . import maps

        stored = maps.stored_venue_map(atlas, venue, year)
    except Exception:  # noqa: BLE001 - the map's optional libraries, or no map: fall back to keywords
        log.debug("no stored topic map for %s %s", venue, year, exc_info=True)
        stored = None
    if stored is not None:
        data = stored.to_dict()
        picks = topics.same_topic({p["id"]: p["cluster"] for p in data["points"]},
                                  {c["id"]: c["label"] for c in data["clusters"]}, chosen, k)
        if picks:
            return picks
    keywords = {p.id: p.keywords for p in atlas.store.papers.iter(Filters(venue=venue, year=year)) if p.keywords}
    return topics.shared_keywords(keywords, chosen, k)


def make_plan(atlas: Atlas, venue: str, year: int, list_name: str | None = None, profile: str | None = None,
              cap: int = DEFAULT_CAP, recommend: bool = True) -> PlanResult:
    """Your plan for a venue-year's programme (``paperatlas plan``, /plan)."""
    started = time.perf_counter()
    if not 0 <= cap <= 100:
        raise InvalidInput(f"cap {cap}: give 0 to 100 papers per session")
    sessions = programme(atlas, venue, year)
    notes: list[str] = []
    venue_ids = atlas.store.papers.ids_matching(Filters(venue=venue, year=year))
    sessions = _fresh(atlas, venue, year, sessions, venue_ids, notes)
    scheduled = _scheduled(sessions)
    # Stars cover every conference: only those of this venue-year (or in its programme) are chosen
    # here. A list named for the plan counts whole: what it holds and the programme lacks is shown.
    picks = [p for p in chosen_ids(atlas, list_name) if p.reason == "list" or p.paper_id in venue_ids or p.paper_id in scheduled]
    label = f"the list {list_name}" if list_name else "your starred papers"
    if not picks:
        notes.append(f"the list {list_name} has no papers yet: add some (paperatlas list add {list_name} ID…)" if list_name
                     else f"none of your starred papers is in {venue} {year}: star some, or plan from a list (--list NAME)")
    if recommend and cap:
        spec = profile or (f"list:{list_name}" if list_name else "starred")
        k = min(MAX_RECOMMENDED, cap * max(1, len(sessions)))
        picks += recommended(atlas, spec, venue, year, k, [p.paper_id for p in picks], notes) if picks or profile else []
    wanted = {p.paper_id for p in picks} & scheduled
    titles = {pid: p.title for pid, p in atlas.store.papers.by_ids(sorted(wanted), with_sources=False).items()}
    plan = build_plan(sessions, picks, titles, cap)
    if plan.unscheduled:
        known = atlas.store.papers.by_ids([p.paper_id for p in plan.unscheduled], with_sources=False)
        titles.update({pid: p.title for pid, p in known.items()})
    unmatched = sum(1 for s in sessions for e in s.entries if not e.paper_id)
    if unmatched:
        notes.append(f"{unmatched} programme entr{'ies name papers' if unmatched != 1 else 'y names a paper'} the catalog lacks"
                     " (`paperatlas programme import` lists the first few)")
    return PlanResult(venue, year, label, plan, notes, (time.perf_counter() - started) * 1000, titles)
