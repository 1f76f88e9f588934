"""Conference programmes in PostgreSQL (tables of ``m007_programme``): ``protocol.ProgrammeStore``,
the same statements as ``store.sqlite.programme``.

A programme is replaced whole, in one transaction: a re-import never leaves half of the old one.
Venues are matched case-insensitively (``venue_key``), as the catalog's venue filter matches them.
"""

from __future__ import annotations

import json

from ..protocol import ProgrammeEntry, ProgrammeInfo, ProgrammeSession
from .connection import Database
from .migrations import NOW
from .writer import no_nul

_SESSION_COLUMNS = "id, key, name, starts_at, ends_at, tz, all_day, room, kind, description, url"
_OF_PROGRAMME = "(SELECT id FROM programme_sessions WHERE venue_key = %s AND year = %s)"


def venue_key(venue: str) -> str:
    return no_nul(" ".join(venue.split()).casefold())  # type: ignore[no-any-return]


class PostgresProgramme:
    """``store.protocol.ProgrammeStore`` over PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def replace(self, venue: str, year: int, source: str, sessions: list[ProgrammeSession]) -> None:
        vkey = venue_key(venue)
        with self.db.transaction() as conn:
            conn.execute(f"DELETE FROM programme_entries WHERE session_id IN {_OF_PROGRAMME}", (vkey, year))
            conn.execute("DELETE FROM programme_sessions WHERE venue_key = %s AND year = %s", (vkey, year))
            conn.execute(f"INSERT INTO programmes (venue_key, year, venue, source, imported_at) VALUES (%s, %s, %s, %s, {NOW})"
                         " ON CONFLICT (venue_key, year) DO UPDATE SET venue = excluded.venue, source = excluded.source,"
                         " imported_at = excluded.imported_at", (vkey, year, no_nul(" ".join(venue.split())), source))
            for position, s in enumerate(sessions):
                row = conn.execute(
                    "INSERT INTO programme_sessions (venue_key, year, key, name, starts_at, ends_at, tz, all_day, room, kind,"
                    " description, url, position) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                    [no_nul(v) for v in (vkey, year, s.key, s.name, s.starts_at, s.ends_at, s.tz, int(s.all_day), s.room,
                                         s.kind, s.description, s.url, position)]).fetchone()
                assert row is not None  # INSERT ... RETURNING gives the row it inserted
                if s.entries:
                    with conn.cursor() as cur:
                        cur.executemany(
                            "INSERT INTO programme_entries (session_id, position, ref, paper_id, board, ids)"
                            " VALUES (%s, %s, %s, %s, %s, %s)",
                            [(row[0], n, no_nul(e.ref), e.paper_id, no_nul(e.board), json.dumps(e.ids, sort_keys=True))
                             for n, e in enumerate(s.entries)])

    def sessions(self, venue: str, year: int) -> list[ProgrammeSession]:
        """The sessions in programme order, each with its entries in programme order."""
        vkey = venue_key(venue)
        rows = self.db.rows(f"SELECT {_SESSION_COLUMNS} FROM programme_sessions WHERE venue_key = %s AND year = %s"
                            " ORDER BY position", (vkey, year))
        entries: dict[int, list[ProgrammeEntry]] = {}
        for sid, ref, pid, board, ids in self.db.rows(
                "SELECT e.session_id, e.ref, e.paper_id, e.board, e.ids FROM programme_entries e"
                " JOIN programme_sessions s ON s.id = e.session_id WHERE s.venue_key = %s AND s.year = %s"
                " ORDER BY e.session_id, e.position", (vkey, year)):
            entries.setdefault(int(sid), []).append(ProgrammeEntry(ref, pid, board, json.loads(ids) if ids != "{}" else {}))
        return [ProgrammeSession(key, name, start, end, tz, bool(all_day), room, kind, desc, url,
                                 tuple(entries.get(int(sid), ())))
                for sid, key, name, start, end, tz, all_day, room, kind, desc, url in rows]

    def info(self, venue: str, year: int) -> ProgrammeInfo | None:
        found = self._infos("WHERE p.venue_key = %s AND p.year = %s", (venue_key(venue), year))
        return found[0] if found else None

    def all(self) -> list[ProgrammeInfo]:
        return self._infos("", ())

    def _infos(self, where: str, args: tuple[object, ...]) -> list[ProgrammeInfo]:
        rows = self.db.rows(
            "SELECT p.venue, p.year, p.source, p.imported_at,"
            " (SELECT count(*) FROM programme_sessions s WHERE s.venue_key = p.venue_key AND s.year = p.year),"
            " (SELECT count(*) FROM programme_entries e JOIN programme_sessions s ON s.id = e.session_id"
            "  WHERE s.venue_key = p.venue_key AND s.year = p.year),"
            " (SELECT count(*) FROM programme_entries e JOIN programme_sessions s ON s.id = e.session_id"
            "  WHERE s.venue_key = p.venue_key AND s.year = p.year AND e.paper_id IS NULL)"
            f" FROM programmes p {where} ORDER BY p.venue_key, p.year", args)
        return [ProgrammeInfo(v, int(y), src, at, int(n), int(e), int(u)) for v, y, src, at, n, e, u in rows]

    def remove(self, venue: str, year: int) -> bool:
        vkey = venue_key(venue)
        with self.db.transaction() as conn:
            conn.execute(f"DELETE FROM programme_entries WHERE session_id IN {_OF_PROGRAMME}", (vkey, year))
            conn.execute("DELETE FROM programme_sessions WHERE venue_key = %s AND year = %s", (vkey, year))
            return conn.execute("DELETE FROM programmes WHERE venue_key = %s AND year = %s", (vkey, year)).rowcount > 0

    def repoint(self, venue: str, year: int, moved: dict[str, str]) -> None:
        """Entries of papers that were merged away (old id -> the paper they are part of now)."""
        if not moved:
            return
        vkey = venue_key(venue)
        with self.db.transaction() as conn, conn.cursor() as cur:
            cur.executemany(f"UPDATE programme_entries SET paper_id = %s WHERE paper_id = %s AND session_id IN {_OF_PROGRAMME}",
                            [(new, old, vkey, year) for old, new in sorted(moved.items())])

    def papers_under_keys(self, keys: list[str]) -> dict[str, list[str]]:
        """The papers filed under exact matching keys (``resolve.rules.keys``: ``openreview:<id>``,
        ``arxiv:<id>``, ``doi:<doi>``, ``t:<title digest>``), each list sorted."""
        out: dict[str, list[str]] = {}
        for key, pid in self.db.rows("SELECT key, paper_id FROM match_keys WHERE key = ANY(%s) ORDER BY key, paper_id",
                                     (sorted(set(keys)),)):
            out.setdefault(str(key), []).append(str(pid))
        return out
