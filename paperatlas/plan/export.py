"""The plan as an iCalendar file (RFC 5545), as Markdown, and as plain data (``--json``, the API).

ICS: one VEVENT per planned session with a start; UID derived from venue, year and the session's
key (stable across runs and re-imports that keep the session, so a calendar app updates the event
instead of adding a copy); DTSTAMP the export time (section 3.8.7.2, required); zoned times
written in UTC, floating times floating, all-day sessions as DATE values.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from typing import Any

from ..store.protocol import ProgrammeSession
from .common import icalendar_module
from .core import Plan, PlanItem, PlanSession
from .times import instant

PRODID = "-//paperatlas//conference plan//EN"
REASONS = {"list": "in your list", "starred": "starred", "recommended": "recommended"}


def event_uid(venue: str, year: int, session_key: str, paper_id: str | None = None) -> str:
    """The UID of a session's event, or of one paper's event in it (``per_paper``)."""
    text = f"{' '.join(venue.split()).casefold()}|{year}|{session_key}" + (f"|{paper_id}" if paper_id else "")
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest() + "@paperatlas"


def item_line(item: PlanItem) -> str:
    board = f"[{item.board}] " if item.board else ""
    clash = f" — clashes with {', '.join(item.clashes)}" if item.clashes else ""
    return f"{board}{item.title} ({REASONS.get(item.reason, item.reason)}){clash}"


def _when(text: str | None, all_day: bool) -> datetime | date | None:
    if not text:
        return None
    if all_day:
        return date.fromisoformat(text[:10])
    value = datetime.fromisoformat(text)
    if value.tzinfo is not None:
        moment = instant(text)
        return moment.replace(tzinfo=UTC) if moment is not None else None
    return value


def to_ics(plan: Plan, venue: str, year: int, stamp: datetime | None = None, per_paper: bool = False) -> bytes:
    """One event per planned session listing its papers, or (``per_paper``) one event per paper
    titled with its board, so a phone's calendar says where to walk."""
    cal = icalendar_module().Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{venue} {year}: my plan")
    stamp = (stamp or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    for ps in plan.sessions:
        s = ps.session
        start = _when(s.starts_at, s.all_day)
        if start is None:
            continue
        end = _when(s.ends_at, s.all_day)
        if per_paper:
            for it in ps.items:
                board = f"{it.board} · " if it.board else ""
                cal.add_component(_event(event_uid(venue, year, s.key, it.paper_id), stamp, start, end, f"{board}{it.title}",
                                         s, f"{s.name}: {item_line(it)}"))
            continue
        lines = [item_line(it) for it in ps.items]
        if ps.clashes:
            lines.append("Clashes with another session holding your papers.")
        summary = f"{s.name} ({len(ps.items)} paper{'s' if len(ps.items) != 1 else ''})"
        cal.add_component(_event(event_uid(venue, year, s.key), stamp, start, end, summary, s, "\n".join(lines)))
    return bytes(cal.to_ical())


def _event(uid: str, stamp: datetime, start: datetime | date, end: datetime | date | None, summary: str,
           s: ProgrammeSession, description: str) -> Any:
    ev = icalendar_module().Event()
    ev.add("uid", uid)
    ev.add("dtstamp", stamp)
    ev.add("dtstart", start)
    if end is not None and type(end) is type(start) and end > start:  # a date and a date-time do not compare
        ev.add("dtend", end)
    ev.add("summary", summary)
    if s.room:
        ev.add("location", s.room)
    ev.add("description", description)
    if s.url and s.url.startswith(("http://", "https://")):
        ev.add("url", s.url)
    return ev


def when_text(s: ProgrammeSession) -> str:
    """A session's time as people read it: "2023-05-02 10:30–12:30 (Africa/Kigali)"."""
    if not s.starts_at:
        return "time not given"
    if s.all_day:
        return s.starts_at[:10] + " (all day)"
    start = s.starts_at[:16].replace("T", " ")
    end = ""
    if s.ends_at:
        end = "–" + (s.ends_at[11:16] if s.ends_at[:10] == s.starts_at[:10] else s.ends_at[:16].replace("T", " "))
    zone = f" ({s.tz})" if s.tz else (" (local time)" if len(s.starts_at) <= 19 else "")
    return start + end + zone


def to_markdown(plan: Plan, venue: str, year: int, list_label: str = "", titles: dict[str, str] | None = None) -> str:
    lines = [f"# {venue} {year}: my plan", ""]
    if list_label:
        lines += [f"From {list_label}: {plan.chosen} chosen papers, {len(plan.sessions)} sessions.", ""]
    for ps in plan.sessions:
        lines += _session_md(ps)
    if plan.unscheduled:
        lines += ["## Not in the programme", ""]
        named = titles or {}
        lines += [f"- {_md(named.get(p.paper_id, p.paper_id))} ({REASONS.get(p.reason, p.reason)})" for p in plan.unscheduled]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _md(text: str) -> str:
    # Markdown reads these as markup; titles are data
    return "".join("\\" + ch if ch in "\\`*_[]<>#|" else ch for ch in text)


def _session_md(ps: PlanSession) -> list[str]:
    s = ps.session
    head = f"## {_md(s.name)}"
    lines = [head, "", f"{when_text(s)}" + (f" · {_md(s.room)}" if s.room else ""), ""]
    if ps.clashes:
        lines += ["**Clash:** overlaps another session holding your papers.", ""]
    for it in ps.items:
        board = f"**{_md(it.board)}** " if it.board else ""
        clash = f" — clashes with {_md(', '.join(it.clashes))}" if it.clashes else ""
        lines.append(f"- {board}{_md(it.title)} _({REASONS.get(it.reason, it.reason)})_{clash}")
    lines.append("")
    return lines


def to_dict(plan: Plan, venue: str, year: int, titles: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "venue": venue, "year": year, "chosen": plan.chosen, "programme_sessions": plan.programme_sessions,
        "sessions": [{
            "key": ps.session.key, "name": ps.session.name, "starts_at": ps.session.starts_at, "ends_at": ps.session.ends_at,
            "tz": ps.session.tz, "all_day": ps.session.all_day, "room": ps.session.room, "kind": ps.session.kind,
            "when": when_text(ps.session), "clashes_with": list(ps.clashes),
            "items": [{"id": it.paper_id, "title": it.title, "board": it.board, "reason": it.reason, "why": it.why,
                       "score": None if it.score is None else round(it.score, 4), "clashes_with": list(it.clashes)}
                      for it in ps.items]} for ps in plan.sessions],
        "clashes": [{"first": c.first, "second": c.second, "first_papers": list(c.first_papers),
                     "second_papers": list(c.second_papers)} for c in plan.clashes],
        "unscheduled": [{"id": p.paper_id, "title": (titles or {}).get(p.paper_id), "reason": p.reason}
                        for p in plan.unscheduled],
    }
