"""Programme references to catalog papers: exact ids first (a catalog id, then OpenReview, arXiv,
DOI), then the normalised title key the resolver uses (``normalize.title_key``: LaTeX to text, accents
and case folded, punctuation dropped) among the venue-year's papers; a title two papers share
matches neither. Papers the catalog lacks are counted and the first few named, never fatal."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from ..models import Paper
from ..normalize import title_key
from ..store.protocol import ProgrammeEntry, ProgrammeSession
from .common import Parsed, session_key

STRONG = ("openreview", "arxiv", "doi")
SHOW_UNMATCHED = 10


@dataclass
class CatalogIndex:
    """The venue-year's papers by id, strong id and title key."""

    ids: set[str] = field(default_factory=set)
    strong: dict[tuple[str, str], str] = field(default_factory=dict)
    titles: dict[str, str | None] = field(default_factory=dict)  # None: two papers share the key

    @classmethod
    def of(cls, papers: Iterable[Paper]) -> CatalogIndex:
        index = cls()
        for p in papers:
            index.ids.add(p.id)
            for kind in STRONG:
                if value := p.ids.get(kind):
                    index.strong.setdefault((kind, value.lower() if kind != "openreview" else value), p.id)
            if key := title_key(p.title or ""):
                index.titles[key] = p.id if index.titles.get(key, p.id) == p.id else None
        return index

    def find(self, entry: ProgrammeEntry, elsewhere: Callable[[str, str], str | None] | None = None) -> str | None:
        given = entry.ids.get("id")
        if given and given in self.ids:
            return given
        candidates = [(k, entry.ids[k]) for k in STRONG if entry.ids.get(k)]
        if given:
            candidates.append(("openreview", given))
        for kind, value in candidates:
            if found := self.strong.get((kind, value if kind == "openreview" else value.lower())):
                return found
        if key := title_key(entry.ref):
            if found := self.titles.get(key):
                return found
        for kind, value in candidates if elsewhere else ():
            if elsewhere and (found := elsewhere(kind, value)):
                return found
        return None


@dataclass
class MatchReport:
    entries: int = 0
    matched: int = 0
    unmatched: int = 0
    unmatched_refs: list[str] = field(default_factory=list)  # the first few, as the programme wrote them
    paper_events: int = 0  # calendar events that were one paper each, gathered into sessions

    def to_dict(self) -> dict[str, object]:
        return {"entries": self.entries, "matched": self.matched, "unmatched": self.unmatched,
                "unmatched_first": self.unmatched_refs, "paper_events": self.paper_events}


def match_programme(parsed: Parsed, index: CatalogIndex,
                    elsewhere: Callable[[str, str], str | None] | None = None) -> tuple[list[ProgrammeSession], MatchReport]:
    """The sessions with every entry's ``paper_id`` set where the catalog has the paper. Loose
    entries (free-text lines) that match nothing are dropped; calendar events that are themselves
    one paper are gathered into one session per time slot and room."""
    report = MatchReport()
    out: list[ProgrammeSession] = []
    slots: dict[tuple[str | None, str | None, str | None], list[ProgrammeEntry]] = {}
    slot_session: dict[tuple[str | None, str | None, str | None], ProgrammeSession] = {}
    for i, session in enumerate(parsed.sessions):
        entries: list[ProgrammeEntry] = []
        for n, entry in enumerate(session.entries):
            pid = entry.paper_id or index.find(entry, elsewhere)  # the listings' own entries come matched
            if pid is None and (i, n) in parsed.loose:
                continue
            entries.append(replace(entry, paper_id=pid))
        if not entries and (ref := parsed.event_refs.get(i)) is not None and (pid := index.find(ref, elsewhere)):
            slot = (session.starts_at, session.ends_at, session.room)
            slots.setdefault(slot, []).append(replace(ref, paper_id=pid))
            slot_session.setdefault(slot, session)
            report.paper_events += 1
            continue
        out.append(replace(session, entries=tuple(entries)))
    for slot, entries in slots.items():
        first = slot_session[slot]
        label = (first.kind or "poster").capitalize()
        when = first.starts_at[:16].replace("T", " ") if first.starts_at else "unscheduled"
        name = f"{label}s {when}" + (f", {first.room}" if first.room else "")
        out.append(replace(first, key=session_key(name, first.starts_at), name=name, kind=first.kind or "poster", url=None,
                           entries=tuple(entries)))
    for session in out:
        for entry in session.entries:
            report.entries += 1
            if entry.paper_id:
                report.matched += 1
            else:
                report.unmatched += 1
                if len(report.unmatched_refs) < SHOW_UNMATCHED:
                    report.unmatched_refs.append(entry.ref[:120])
    return out, report


def rematch(sessions: list[ProgrammeSession], index: CatalogIndex, stale: set[str],
            elsewhere: Callable[[str, str], str | None] | None = None) -> tuple[list[ProgrammeSession], int]:
    """The sessions with entries matched again where they matched nothing or a paper in ``stale``
    (merged into another since the import); and how many entries now match a different paper."""
    changed = 0
    out = []
    for session in sessions:
        entries = []
        for entry in session.entries:
            if entry.paper_id is None or entry.paper_id in stale:
                found = index.find(entry, elsewhere)
                if found != entry.paper_id:
                    changed += 1
                    entry = replace(entry, paper_id=found)
            entries.append(entry)
        out.append(replace(session, entries=tuple(entries)))
    return out, changed
