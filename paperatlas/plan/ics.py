"""Programmes as iCalendar files (RFC 5545), read with the ``icalendar`` library.

Organisers' calendars are hand-edited and exported by many tools, so reading is lenient and says
what it skipped: a line that is not ``NAME[;PARAMS]:VALUE`` is dropped with a warning naming its
line (after unfolding, section 3.1); an unknown TZID falls back to the calendar's
``X-WR-TIMEZONE`` or stays floating, with a warning; an unreadable DTSTART keeps the session
without a time. Each VEVENT is a session: SUMMARY its name, LOCATION its room (a board number in
it, "Hall E #123", is the board), DESCRIPTION lines the papers it presents (a line is a paper
when it names a board or an id, or matches the catalog).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from ..errors import InvalidInput
from ..store.protocol import ProgrammeEntry, ProgrammeSession
from .boards import board_in
from .common import MAX_ENTRIES, MAX_SESSIONS, Parsed, icalendar_module, session_key, session_kind
from .refs import entry_from_text
from .times import iso, zone

_CONTENT_LINE = re.compile(r"^[A-Za-z0-9-]+(?:;[^:]*)?:", re.ASCII)
MAX_WARNINGS = 50


def read_ics(data: bytes, name: str, tz: str | None = None) -> Parsed:
    """The sessions of an ICS file (``name`` is used in messages); ``tz`` places floating times
    when the calendar names no zone of its own (X-WR-TIMEZONE)."""
    out = Parsed()
    text = _decode(data, name, out.warnings)
    lines, begins = _clean_lines(text, name, out.warnings)
    if not any(line.upper().startswith("BEGIN:VCALENDAR") for line in lines):
        raise InvalidInput(f"{name}: not an iCalendar file (no BEGIN:VCALENDAR line)",
                           hint="export the programme as .ics from the conference site, or give a CSV/JSON of sessions")
    icalendar = icalendar_module()  # outside the try: a missing library is not a broken file
    try:
        calendars = icalendar.Calendar.from_ical("\r\n".join(lines) + "\r\n", multiple=True)
    except Exception as exc:  # noqa: BLE001 - icalendar raises ValueError, KeyError, even AttributeError on mismatched END lines
        raise InvalidInput(f"{name}: the calendar cannot be read: {str(exc)[:200]}",
                           hint="check that BEGIN: and END: lines pair up") from exc
    events = [ev for cal in calendars for ev in cal.walk("VEVENT")]
    default_name = next((str(cal.get("X-WR-TIMEZONE")) for cal in calendars if cal.get("X-WR-TIMEZONE")), None) or tz
    default = zone(default_name)
    if default_name and default is None:
        _warn(out, f"{name}: time zone {default_name!r} (X-WR-TIMEZONE or --tz) is not a known zone; ignored")
    floating = 0
    for n, ev in enumerate(events):
        if len(out.sessions) >= MAX_SESSIONS:
            _warn(out, f"{name}: more than {MAX_SESSIONS} events; the rest are skipped")
            break
        line = begins[n] if n < len(begins) else None
        where = f"{name}:{line}" if line else name
        try:
            floating += _event(ev, where, default_name, default, out)
        except Exception as exc:  # noqa: BLE001 - one unreadable event must not lose the programme
            _warn(out, f"{where}: event skipped, it cannot be read: {str(exc)[:120]}")
    if floating:
        _warn(out, f"{name}: {floating} event(s) have times without a time zone; kept as written (floating):"
              " give --tz ZONE so calendar exports land at the conference's hour")
    if sum(len(s.entries) for s in out.sessions) > MAX_ENTRIES:
        raise InvalidInput(f"{name}: more than {MAX_ENTRIES} papers named", hint="split the programme")
    return out


def _decode(data: bytes, name: str, warnings: list[str]) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        warnings.append(f"{name}:{line}: not UTF-8 (RFC 5545 requires it); read as Latin-1")
        return data.decode("latin-1")


def _clean_lines(text: str, name: str, warnings: list[str]) -> tuple[list[str], list[int]]:
    """Logical lines (unfolded: a line starting with a space or tab continues the previous one),
    without the broken ones; and the line number of every BEGIN:VEVENT, in order."""
    logical: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        if raw[:1] in (" ", "\t") and logical:
            logical[-1] = (logical[-1][0], logical[-1][1] + raw[1:])
        elif raw.strip():
            logical.append((number, raw))
    kept, begins, dropped = [], [], 0
    for number, line in logical:
        if not _CONTENT_LINE.match(line):
            dropped += 1
            if dropped <= MAX_WARNINGS:
                warnings.append(f"{name}:{number}: not a 'NAME:value' line, skipped: {line[:60]!r}")
            continue
        if line.upper().startswith("BEGIN:VEVENT"):
            begins.append(number)
        kept.append(line)
    if dropped > MAX_WARNINGS:
        warnings.append(f"{name}: {dropped - MAX_WARNINGS} more broken lines skipped")
    return kept, begins


def _warn(out: Parsed, message: str) -> None:
    if len(out.warnings) < MAX_WARNINGS * 2:
        out.warnings.append(message)


def _text(ev: Any, prop: str) -> str:
    value = ev.get(prop)
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0] if value else ""
    if hasattr(value, "cats"):  # CATEGORIES
        return ", ".join(str(c) for c in value.cats)
    return str(value).strip()


def _event(ev: Any, where: str, default_name: str | None, default: tzinfo | None, out: Parsed) -> int:
    """Appends the event's session; returns 1 when its times were floating."""
    summary = " ".join(_text(ev, "SUMMARY").split())[:300]
    if _text(ev, "STATUS").upper() == "CANCELLED":
        _warn(out, f"{where}: {summary[:60]!r} is cancelled (STATUS:CANCELLED); skipped")
        return 0
    if ev.get("RRULE") is not None or ev.get("RDATE") is not None:
        _warn(out, f"{where}: {summary[:60]!r} repeats (RRULE/RDATE); only its first occurrence is planned")
    if not summary:
        _warn(out, f"{where}: event without SUMMARY; named 'Untitled session'")
        summary = "Untitled session"
    start, start_tz, float_start = _when(ev, "DTSTART", where, default_name, default, out)
    end, _, _ = _when(ev, "DTEND", where, default_name, default, out) if ev.get("DTEND") is not None else (None, None, False)
    if end is None and start is not None and ev.get("DURATION") is not None:
        try:
            duration = ev.decoded("DURATION")
            if isinstance(duration, timedelta):
                end = start + duration
        except (ValueError, TypeError, KeyError):
            _warn(out, f"{where}: DURATION {_text(ev, 'DURATION')!r} unreadable; the session has no end")
    all_day = isinstance(start, date) and not isinstance(start, datetime)
    if all_day and end is None and start is not None:
        end = start + timedelta(days=1)  # RFC 5545 3.6.1: a DATE start without end lasts that day
    board, room = board_in(_text(ev, "LOCATION"))
    url = _text(ev, "URL") or None
    if room.lower().startswith(("http://", "https://")):  # virtual conferences put the session's link there
        url, room = url or room, ""
    starts_at = iso(start) if start is not None else None
    uid = _text(ev, "UID")
    entries: list[ProgrammeEntry] = []
    index = len(out.sessions)
    for line in _text(ev, "DESCRIPTION").splitlines()[:5000]:
        entry = entry_from_text(line)
        if entry is None:
            continue
        if not entry.board and not entry.ids:
            out.loose.add((index, len(entries)))
        entries.append(entry)
    self_ref = entry_from_text(summary + (f" {url}" if url else ""), board)
    if self_ref is not None:
        out.event_refs[index] = self_ref
    out.sessions.append(ProgrammeSession(
        key=session_key(summary, starts_at, uid), name=summary, starts_at=starts_at,
        ends_at=iso(end) if end is not None else None, tz=start_tz, all_day=all_day, room=room or None,
        kind=session_kind(summary + " " + _text(ev, "CATEGORIES")), description="", url=url,
        entries=tuple(entries)))
    return int(float_start)


def _when(ev: Any, prop: str, where: str, default_name: str | None, default: tzinfo | None,
          out: Parsed) -> tuple[datetime | date | None, str | None, bool]:
    """The property's date or date-time, the zone's name, whether it was floating."""
    raw = ev.get(prop)
    try:
        value = getattr(raw, "dt", None)
    except Exception:  # noqa: BLE001 - icalendar's vBroken raises BrokenCalendarProperty (its version-specific type)
        value = None
    if not isinstance(value, (date, datetime)):
        try:
            shown = str(raw or "")
        except Exception:  # noqa: BLE001 - see above
            shown = ""
        _warn(out, f"{where}: {prop} {shown[:40]!r} is not a date or date-time"
              " (RFC 5545: 20230502T103000 or 20230502); the session is kept without a time" if prop == "DTSTART"
              else f"{where}: {prop} unreadable; ignored")
        return None, None, False
    if not isinstance(value, datetime):
        return value, None, False
    tzid = raw.params.get("TZID") if hasattr(raw, "params") else None
    if value.tzinfo is not None:
        if default is not None and not tzid and value.utcoffset() == timedelta(0):
            # UTC times in a calendar that names its zone: store the conference's wall clock
            return value.astimezone(default), default_name, False
        return value, str(tzid or getattr(value.tzinfo, "key", None) or value.tzname() or "") or None, False
    if tzid:
        fallback = f"; placed in {default_name} (X-WR-TIMEZONE)" if default is not None else "; kept as written (floating)"
        _warn(out, f"{where}: {prop} time zone {str(tzid)[:60]!r} is unknown (no VTIMEZONE, not an IANA name){fallback}")
    if default is not None:
        return value.replace(tzinfo=default), default_name, False
    return value, None, prop == "DTSTART" and not tzid
