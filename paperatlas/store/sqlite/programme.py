"""Conference programmes in SQLite (tables of ``m012_programme``): ``protocol.ProgrammeStore``.

A programme is replaced whole, in one transaction: a re-import never leaves half of the old one.
Venues are matched case-insensitively (``venue_key``), as the catalog's venue filter matches them.
"""

from __future__ import annotations

import json

from ..protocol import ProgrammeEntry, ProgrammeInfo, ProgrammeSession
from .connection import Database, in_chunks

NOW = "strftime('%Y-%m-%dT%H:%M:%SZ','now')"
_SESSION_COLUMNS = "id, key, name, starts_at, ends_at, tz, all_day, room, kind, description, url"


def venue_key(venue: str) -> str:
    return " ".join(venue.split()).casefold()


class SQLiteProgramme:
    """``store.protocol.ProgrammeStore`` over SQLite."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def replace(self, venue: str, year: int, source: str, sessions: list[ProgrammeSession]) -> None:
        vkey = venue_key(venue)
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM programme_entries WHERE session_id IN"
                         " (SELECT id FROM programme_sessions WHERE venue_key = ? AND year = ?)", (vkey, year))
            conn.execute("DELETE FROM programme_sessions WHERE venue_key = ? AND year = ?", (vkey, year))
            conn.execute("INSERT INTO programmes (venue_key, year, venue, source, imported_at) VALUES (?, ?, ?, ?, " + NOW + ")"
                         " ON CONFLICT(venue_key, year) DO UPDATE SET venue = excluded.venue, source = excluded.source,"
                         " imported_at = excluded.imported_at", (vkey, year, " ".join(venue.split()), source))
            for position, s in enumerate(sessions):
                cur = conn.execute(
                    "INSERT INTO programme_sessions (venue_key, year, key, name, starts_at, ends_at, tz, all_day, room, kind,"
                    " description, url, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (vkey, year, s.key, s.name, s.starts_at, s.ends_at, s.tz, int(s.all_day), s.room, s.kind,
                     s.description, s.url, position))
                session_id = int(cur.lastrowid or 0)
                conn.executemany(
                    "INSERT INTO programme_entries (session_id, position, ref, paper_id, board, ids) VALUES (?, ?, ?, ?, ?, ?)",
                    [(session_id, n, e.ref, e.paper_id, e.board, json.dumps(e.ids, sort_keys=True))
                     for n, e in enumerate(s.entries)])

    def sessions(self, venue: str, year: int) -> list[ProgrammeSession]:
        """The sessions in programme order, each with its entries in programme order."""
        vkey = venue_key(venue)
        rows = self.db.execute(f"SELECT {_SESSION_COLUMNS} FROM programme_sessions WHERE venue_key = ? AND year = ?"
                               " ORDER BY position", (vkey, year)).fetchall()
        entries: dict[int, list[ProgrammeEntry]] = {}
        for sid, ref, pid, board, ids in self.db.execute(
                "SELECT e.session_id, e.ref, e.paper_id, e.board, e.ids FROM programme_entries e"
                " JOIN programme_sessions s ON s.id = e.session_id WHERE s.venue_key = ? AND s.year = ?"
                " ORDER BY e.session_id, e.position", (vkey, year)):
            entries.setdefault(int(sid), []).append(ProgrammeEntry(ref, pid, board, json.loads(ids) if ids != "{}" else {}))
        out = []
        for sid, key, name, start, end, tz, all_day, room, kind, desc, url in rows:
            out.append(ProgrammeSession(key, name, start, end, tz, bool(all_day), room, kind, desc, url,
                                        tuple(entries.get(int(sid), ()))))
        return out

    def info(self, venue: str, year: int) -> ProgrammeInfo | None:
        found = self._infos("WHERE p.venue_key = ? AND p.year = ?", (venue_key(venue), year))
        return found[0] if found else None

    def all(self) -> list[ProgrammeInfo]:
        return self._infos("", ())

    def _infos(self, where: str, args: tuple[object, ...]) -> list[ProgrammeInfo]:
        rows = self.db.execute(
            "SELECT p.venue, p.year, p.source, p.imported_at,"
            " (SELECT count(*) FROM programme_sessions s WHERE s.venue_key = p.venue_key AND s.year = p.year),"
            " (SELECT count(*) FROM programme_entries e JOIN programme_sessions s ON s.id = e.session_id"
            "  WHERE s.venue_key = p.venue_key AND s.year = p.year),"
            " (SELECT count(*) FROM programme_entries e JOIN programme_sessions s ON s.id = e.session_id"
            "  WHERE s.venue_key = p.venue_key AND s.year = p.year AND e.paper_id IS NULL)"
            f" FROM programmes p {where} ORDER BY p.venue_key, p.year", args).fetchall()
        return [ProgrammeInfo(v, int(y), src, at, int(n), int(e), int(u)) for v, y, src, at, n, e, u in rows]

    def remove(self, venue: str, year: int) -> bool:
        vkey = venue_key(venue)
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM programme_entries WHERE session_id IN"
                         " (SELECT id FROM programme_sessions WHERE venue_key = ? AND year = ?)", (vkey, year))
            conn.execute("DELETE FROM programme_sessions WHERE venue_key = ? AND year = ?", (vkey, year))
            return conn.execute("DELETE FROM programmes WHERE venue_key = ? AND year = ?", (vkey, year)).rowcount > 0

    def repoint(self, venue: str, year: int, moved: dict[str, str]) -> None:
        """Entries of papers that were merged away (old id -> the paper they are part of now)."""
        if not moved:
            return
        vkey = venue_key(venue)
        with self.db.transaction() as conn:
            conn.executemany(
                "UPDATE programme_entries SET paper_id = ? WHERE paper_id = ? AND session_id IN"
                " (SELECT id FROM programme_sessions WHERE venue_key = ? AND year = ?)",
                [(new, old, vkey, year) for old, new in sorted(moved.items())])

    def papers_under_keys(self, keys: list[str]) -> dict[str, list[str]]:
        """The papers filed under exact matching keys (``resolve.rules.keys``: ``openreview:<id>``,
        ``arxiv:<id>``, ``doi:<doi>``, ``t:<title digest>``), each list sorted."""
        out: dict[str, list[str]] = {}
        for chunk, marks in in_chunks(sorted(set(keys))):
            for key, pid in self.db.execute(f"SELECT key, paper_id FROM match_keys WHERE key IN ({marks}) ORDER BY key, paper_id",
                                            chunk):
                out.setdefault(str(key), []).append(str(pid))
        return out
