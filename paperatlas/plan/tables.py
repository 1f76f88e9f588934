"""Programmes as CSV or JSON: one row per paper in a session (or per session), or JSON sessions
each holding a list of papers. Column names are matched leniently (case, spaces and punctuation
ignored, common synonyms); a missing column is an error naming what was found."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from ..errors import InvalidInput
from ..normalize import extract_ids
from ..normalize.ids import normalize_arxiv, normalize_doi
from ..store.protocol import ProgrammeEntry, ProgrammeSession
from .boards import clean_board
from .common import MAX_ENTRIES, MAX_SESSIONS, Parsed, session_key, session_kind
from .refs import entry_from_text
from .times import iso, parse_time, zone

COLUMNS: dict[str, tuple[str, ...]] = {
    "session": ("session", "sessionname", "sessiontitle", "event", "eventname", "slot", "block", "sessionid"),
    "start": ("start", "starttime", "starts", "startsat", "begin", "begins", "from", "datetime", "dtstart", "sessionstart",
              "time", "starttimeutc"),
    "end": ("end", "endtime", "ends", "endsat", "until", "to", "dtend", "sessionend", "endtimeutc"),
    "date": ("date", "day", "sessiondate"),
    "room": ("room", "location", "hall", "place", "where"),
    "board": ("board", "boardnumber", "boardno", "boardid", "poster", "posternumber", "posterno", "posterid",
              "posterposition", "posterboard", "booth", "position"),
    "title": ("title", "papertitle", "paper", "papername"),
    "id": ("id", "paperid", "uid", "paperuid", "catalogid"),
    "openreview": ("openreview", "openreviewid", "forum", "forumid"),
    "arxiv": ("arxiv", "arxivid"),
    "doi": ("doi",),
    "url": ("url", "link", "paperurl", "pdf", "pdfurl", "openreviewurl", "arxivurl"),
    "tz": ("timezone", "tz", "zone"),
    "papers": ("papers", "posters", "items", "entries", "contents"),
}
_ALIAS = {alias: role for role, aliases in COLUMNS.items() for alias in aliases}
LIST_KEYS = ("sessions", "events", "schedule", "programme", "program", "rows")
PAPER_ROLES = ("title", "id", "openreview", "arxiv", "doi", "url", "board")


def _norm(name: object) -> str:
    return re.sub(r"[^0-9a-z]", "", str(name).casefold())


def roles(columns: Iterable[object]) -> dict[str, str]:
    """Role -> the column that plays it (the first one, in file order)."""
    out: dict[str, str] = {}
    for column in columns:
        role = _ALIAS.get(_norm(column))
        if role and role not in out:
            out[role] = str(column)
    return out


def read_csv(data: bytes, name: str, tz: str | None = None) -> Parsed:
    text = data.decode("utf-8-sig", errors="replace")
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text.replace("\x00", ""), newline=""), dialect=dialect)
    try:
        columns = list(reader.fieldnames or [])
        found = roles(columns)
        _require(found, columns, name)
        builder = _Builder(name, zone(tz), tz)
        for row in reader:
            builder.row({k: v for k, v in row.items() if k is not None}, found, f"{name}:{reader.line_num}")
    except csv.Error as exc:
        raise InvalidInput(f"{name}:{reader.line_num}: not readable as CSV ({exc})",
                           hint="save it as CSV (comma-separated, UTF-8)") from exc
    return builder.done()


def read_json(data: bytes, name: str, tz: str | None = None) -> Parsed:
    try:
        doc = json.loads(data.decode("utf-8-sig", errors="replace"))
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{name}:{exc.lineno}: not JSON ({exc.msg})", hint="give a list of sessions or of rows") from exc
    if isinstance(doc, Mapping):
        tz = tz or next((str(doc[k]) for k in doc if _ALIAS.get(_norm(k)) == "tz"), None)
        items = next((doc[k] for k in doc if _norm(k) in LIST_KEYS), None)
        if items is None:
            raise InvalidInput(f"{name}: a JSON object needs a 'sessions' list",
                               hint='{"sessions": [{"name": …, "start": …, "papers": […]}]}')
        doc = items
    if not isinstance(doc, list):
        raise InvalidInput(f"{name}: expected a list of sessions or rows", hint='[{"session": …, "start": …, "title": …}]')
    builder = _Builder(name, zone(tz), tz)
    for n, item in enumerate(doc[:MAX_ENTRIES]):
        where = f"{name}: item {n + 1}"
        if not isinstance(item, Mapping):
            builder.warn(f"{where}: not an object, skipped")
            continue
        found = roles(item.keys())
        if "session" not in found and "name" in item:
            found["session"] = "name"
        _require(found, list(item.keys()), where)
        papers = item.get(found["papers"]) if "papers" in found else None
        if isinstance(papers, list):
            builder.row({k: v for k, v in item.items() if _ALIAS.get(_norm(k)) not in PAPER_ROLES}, found, where)
            for m, paper in enumerate(papers[:MAX_ENTRIES]):
                sub = paper if isinstance(paper, Mapping) else {"title": paper}
                builder.row({**item, **{k: None for k in item if _ALIAS.get(_norm(k)) in PAPER_ROLES}, **sub},
                            {**found, **roles(sub.keys())}, f"{where}, paper {m + 1}")
        else:
            builder.row(dict(item), found, where)
    return builder.done()


def _require(found: Mapping[str, str], columns: list[Any], name: str) -> None:
    if "session" not in found and "start" not in found:
        shown = ", ".join(repr(str(c)) for c in columns[:12]) or "none"
        raise InvalidInput(f"{name}: no session column: name one 'session' (the session's name) or 'start' (its start time);"
                           f" found columns {shown}",
                           hint="rename the column, e.g. session,start,end,room,board,title")


class _Builder:
    """Rows to sessions: a row's session is its (name, start, end, room); first seen, first listed."""

    def __init__(self, name: str, tz: tzinfo | None, tz_name: str | None) -> None:
        self.name, self.tz, self.tz_name = name, tz, tz_name
        self.sessions: dict[tuple[Any, ...], tuple[ProgrammeSession, list[ProgrammeEntry]]] = {}
        self.warnings: list[str] = []
        self.entries = 0
        if tz_name and tz is None:
            self.warn(f"{name}: time zone {tz_name!r} is unknown (use an IANA name such as Europe/Berlin); times kept floating")

    def warn(self, message: str) -> None:
        if len(self.warnings) < 100:
            self.warnings.append(message)

    def row(self, row: Mapping[str, Any], found: Mapping[str, str], where: str) -> None:
        def get(role: str) -> str:
            value = row.get(found[role]) if role in found else None
            return "" if value is None or isinstance(value, (list, dict)) else " ".join(str(value).split())

        tz_name = get("tz") or self.tz_name
        tz = zone(tz_name) if get("tz") else self.tz
        if get("tz") and tz is None:
            self.warn(f"{where}: time zone {get('tz')!r} is unknown; times kept floating")
        start = self._time(get("start"), tz, get("date"), where, "start")
        if start is None and get("date") and not get("start"):
            start = self._time(get("date"), tz, None, where, "date")
        day = get("date") or (start.date().isoformat() if isinstance(start, datetime) else None)
        end = self._time(get("end"), tz, day, where, "end")
        name = get("session") or (f"Session at {iso(start)}" if start is not None else "")
        if not name:
            self.warn(f"{where}: no session name or start; row skipped")
            return
        all_day = isinstance(start, date) and not isinstance(start, datetime)
        if all_day and end is None and start is not None:
            end = start + timedelta(days=1)
        starts_at, ends_at = (iso(start) if start is not None else None), (iso(end) if end is not None else None)
        room = get("room") or None
        key = (name.casefold(), starts_at, ends_at, (room or "").casefold())
        if key not in self.sessions:
            if len(self.sessions) >= MAX_SESSIONS:
                self.warn(f"{where}: more than {MAX_SESSIONS} sessions; the rest are skipped")
                return
            uid = get("session") if _norm(found.get("session", "")) == "sessionid" else None
            session = ProgrammeSession(session_key(name, starts_at, uid), name, starts_at, ends_at,
                                       tz_name if isinstance(start, datetime) and start.tzinfo else None, all_day, room,
                                       session_kind(name))
            self.sessions[key] = (session, [])
        entry = self._entry(get, where)
        if entry is not None and self.entries < MAX_ENTRIES:
            self.sessions[key][1].append(entry)
            self.entries += 1

    def _time(self, text: str, tz: tzinfo | None, day: str | None, where: str, what: str) -> datetime | date | None:
        if not text:
            return None
        value = parse_time(text, tz, day)
        if value is None:
            self.warn(f"{where}: {what} {text[:40]!r} is not a date or time (use ISO 8601, e.g. 2023-05-02T10:30+02:00)")
        return value

    def _entry(self, get: Any, where: str) -> ProgrammeEntry | None:
        ids: dict[str, str] = {}
        if value := get("openreview"):
            ids["openreview"] = extract_ids(value).get("openreview") or value
        if (value := get("arxiv")) and (arxiv := normalize_arxiv(value)):
            ids["arxiv"] = arxiv
        if (value := get("doi")) and (doi := normalize_doi(value)):
            ids["doi"] = doi
        if value := get("url"):
            for kind, found in extract_ids(value).items():
                ids.setdefault(kind, found)
        if value := get("id"):
            ids["id"] = value
        title, board = get("title"), clean_board(get("board"))
        if title:
            entry = entry_from_text(title, board)
            if entry is None:
                self.warn(f"{where}: title longer than a title; skipped")
                return None
            return ProgrammeEntry(entry.ref, None, entry.board, {**entry.ids, **ids})
        if ids or board:
            ref = next(iter(ids.values()), None) or f"board {board}"
            return ProgrammeEntry(ref, None, board, ids)
        return None

    def done(self) -> Parsed:
        floating = sum(1 for s, _ in self.sessions.values() if s.starts_at and len(s.starts_at) == 19)
        if floating:
            self.warn(f"{self.name}: {floating} session(s) have times without a time zone; kept as written (floating):"
                      " give --tz ZONE (e.g. Africa/Kigali) so calendar exports land at the conference's hour")
        sessions = [ProgrammeSession(s.key, s.name, s.starts_at, s.ends_at, s.tz, s.all_day, s.room, s.kind, s.description, s.url,
                                     tuple(entries)) for s, entries in self.sessions.values()]
        return Parsed(sessions, self.warnings)
