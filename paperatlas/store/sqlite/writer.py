"""The SQLite side of one write transaction: files, records, papers, blocking keys, and a person's
merge decisions (``store.protocol.CatalogWriter``). What to write is decided by
``paperatlas.resolve``; this module only knows the tables.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ...errors import NotFound
from ...models import Record, record_from_dict
from ...resolve.prepare import PAPER_ROW_COLUMNS, PaperRow, Prepared, dumps, paper_id
from ...resolve.rules import Sourced
from ..protocol import FileInfo, FileState, Identity
from .library_rows import LibraryRows
from .papers import NOT_FOUND_HINT

if TYPE_CHECKING:
    from .connection import Database

FILE_COLUMNS = "id, name, path, fingerprint, source_id, format, records, claimed_total, page_venue, page_track"
ID_ATTEMPTS = 100
# identity -> the record: a file's source id and the record's key in that file
RECORD_OF = "SELECT r.{col} FROM records r JOIN files f ON f.id = r.file_id WHERE f.source_id = ? AND r.record_key = ?"
LIBRARY_MOVES = (  # every user's rows
    "INSERT OR IGNORE INTO stars (user_id, paper_id, created_at) SELECT user_id, :keep, created_at FROM stars"
    " WHERE paper_id = :gone ORDER BY rowid",
    "INSERT OR IGNORE INTO tags (user_id, paper_id, tag, created_at) SELECT user_id, :keep, tag, created_at FROM tags"
    " WHERE paper_id = :gone ORDER BY rowid",
    # Both papers have a note: keep both texts, the merged-in one after a separator.
    "UPDATE notes SET body = body || char(10) || char(10) || '---' || char(10) ||"
    " (SELECT g.body FROM notes g WHERE g.paper_id = :gone AND g.user_id = notes.user_id), updated_at = :now"
    " WHERE paper_id = :keep AND EXISTS (SELECT 1 FROM notes g WHERE g.paper_id = :gone AND g.user_id = notes.user_id)",
    "INSERT OR IGNORE INTO notes (user_id, paper_id, body, updated_at) SELECT user_id, :keep, body, updated_at FROM notes"
    " WHERE paper_id = :gone",
    "INSERT OR IGNORE INTO list_items (list_id, paper_id, position, added_at)"
    " SELECT list_id, :keep, position, added_at FROM list_items WHERE paper_id = :gone",
    "INSERT OR IGNORE INTO profile_feedback (user_id, profile, paper_id, kind, created_at)"
    " SELECT user_id, profile, :keep, kind, created_at FROM profile_feedback WHERE paper_id = :gone ORDER BY rowid",
)


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class SQLiteWriter(LibraryRows):
    """``CatalogWriter`` over the connection of an open transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db.conn
        self._last_pk: int | None = None
        self._rows: list[tuple[object, ...]] = []
        self._now = utc_now()

    def now(self) -> str:
        return self._now

    # -- files -------------------------------------------------------------------------------
    def _file(self, where: str, value: object) -> FileState | None:
        row = self.db.execute(f"SELECT {FILE_COLUMNS} FROM files WHERE {where} = ? ORDER BY id LIMIT 1", (value,)).fetchone()
        return None if row is None else FileState(*row)

    def find_file(self, info: FileInfo) -> FileState | None:
        """The stored file this ingest continues: the same ingest (from any path), the same bytes
        read with other options, or an earlier copy at the same path."""
        return (self._file("fingerprint", info.fingerprint) or self._file("content_hash", info.content_hash)
                or self._file("path", info.path))

    def relocate_file(self, known: FileState, info: FileInfo) -> None:
        """The same content seen again: remember where it is now (a moved data folder), and its
        content hash if it was stored before files had one."""
        taken = self._file("path", info.path)
        path = info.path if taken is None or taken.id == known.id else known.path
        self.db.execute("UPDATE files SET path = ?, content_hash = coalesce(content_hash, ?) WHERE id = ?",
                        (path, info.content_hash, known.id))

    def save_file(self, info: FileInfo, records: int, known: FileState | None) -> FileState:
        values = (info.name, info.fingerprint, info.content_hash, info.format, records, info.claimed_total,
                  info.page_venue, info.page_track, self._now)
        if known is not None:
            taken = self._file("path", info.path)
            path = info.path if taken is None or taken.id == known.id else known.path
            self.db.execute(
                "UPDATE files SET name=?, fingerprint=?, content_hash=?, format=?, records=?, claimed_total=?,"
                " page_venue=?, page_track=?, ingested_at=?, path=? WHERE id=?",
                (*values, path, known.id),
            )
            file_id, source_id = known.id, known.source_id
        else:
            source_id = info.content_hash
            cur = self.db.execute(
                "INSERT INTO files (name, fingerprint, content_hash, format, records, claimed_total, page_venue,"
                " page_track, ingested_at, path, source_id) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (*values, info.path, source_id),
            )
            file_id = int(cur.lastrowid or 0)
        state = self._file("id", file_id)
        assert state is not None  # just written, in this transaction
        return state

    def file_records(self, file_id: int) -> dict[str, tuple[int, str, str]]:
        rows = self.db.execute("SELECT record_key, id, content_hash, paper_id FROM records WHERE file_id = ?", (file_id,))
        return {key: (pk, digest, pid) for key, pk, digest, pid in rows}

    def sources_named(self, name: str) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT source_id FROM files WHERE name = ?", (name,))]

    # -- records -----------------------------------------------------------------------------
    def next_record_pk(self) -> int:
        """records.id is an INTEGER PRIMARY KEY: the next one is max+1 inside this transaction."""
        if self._last_pk is None:
            self._last_pk = int(self.db.execute("SELECT coalesce(max(id), 0) FROM records").fetchone()[0])
        return self._last_pk + 1

    def add_record(self, file_id: int, item: Prepared, paper_id: str, pk: int | None = None) -> int:
        """Queue a record row (``flush_records`` writes a file's rows in one statement)."""
        pk = self.next_record_pk() if pk is None else pk
        rec = item.rec
        self._rows.append((pk, file_id, item.key, rec.record_id, rec.position, rec.line, paper_id, item.digest, item.data))
        self._last_pk = pk
        return pk

    def flush_records(self) -> None:
        self.db.executemany(
            "INSERT INTO records (id, file_id, record_key, record_id, position, line, paper_id, content_hash, data)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            self._rows,
        )
        self._rows = []

    def update_record(self, pk: int, item: Prepared) -> None:
        rec = item.rec
        self.db.execute(
            "UPDATE records SET content_hash=?, data=?, position=?, line=?, record_id=? WHERE id=?",
            (item.digest, item.data, rec.position, rec.line, rec.record_id, pk),
        )

    # -- papers ------------------------------------------------------------------------------
    def require_paper(self, paper_id: str) -> None:
        if self.db.execute("SELECT 1 FROM papers WHERE id = ?", (paper_id,)).fetchone() is None:
            raise NotFound(f"no paper with id {paper_id!r}", hint=NOT_FOUND_HINT)

    def new_paper(self, seed: str, row: PaperRow, origin: dict[str, int], now: str) -> str:
        """Insert a paper; its id is derived from ``seed`` (a rare collision takes the next)."""
        columns = ", ".join(PAPER_ROW_COLUMNS)
        marks = ", ?" * len(PAPER_ROW_COLUMNS)
        sql = f"INSERT INTO papers (id, {columns}, field_sources, created_at, updated_at) VALUES (?{marks}, ?, ?, ?)"
        for attempt in range(ID_ATTEMPTS):
            pid = paper_id(f"{seed}|{attempt}")
            try:
                self.db.execute(sql, (pid, *row.values(), dumps(origin), now, now))
                return pid
            except sqlite3.IntegrityError:  # the rare id collision: the next attempt differs
                continue
        raise RuntimeError("could not allocate a paper id")

    def new_empty_paper(self, choices: list[str], now: str) -> str:
        """A paper without values yet (``set_paper`` fills it), under the first free id of ``choices``."""
        for pid in choices:
            try:
                self.db.execute("INSERT INTO papers (id, title, title_key, created_at, updated_at) VALUES (?, '', '', ?, ?)",
                                (pid, now, now))
                return pid
            except sqlite3.IntegrityError:
                continue
        raise RuntimeError("could not allocate a paper id")

    def set_paper(self, paper_id: str, row: PaperRow, origin: dict[str, int], now: str) -> None:
        sets = ", ".join(f"{c}=?" for c in PAPER_ROW_COLUMNS)
        self.db.execute(f"UPDATE papers SET {sets}, field_sources=?, updated_at=? WHERE id=?",
                        (*row.values(), dumps(origin), now, paper_id))

    def paper_records(self, paper_id: str) -> list[Sourced]:
        rows = self.db.execute(
            "SELECT r.id, f.format, r.data, r.position, r.line FROM records r"
            " JOIN files f ON f.id = r.file_id WHERE r.paper_id = ? ORDER BY r.id",
            (paper_id,),
        ).fetchall()
        return [Sourced(pk, fmt, record_from_dict(json.loads(data), pos, line)) for pk, fmt, data, pos, line in rows]

    def paper_evidence(self, paper_id: str) -> list[tuple[int, Record]]:
        rows = self.db.execute("SELECT file_id, data FROM records WHERE paper_id = ?", (paper_id,)).fetchall()
        return [(f, record_from_dict(json.loads(d))) for f, d in rows]

    def move_paper(self, keep: str, gone: str) -> None:
        """Records, match keys and library state of ``gone`` to ``keep`` (no duplicates), then
        delete ``gone``. ``block_keys`` has no index by paper (ingest never needs one), so the
        rows of ``gone`` stay: they lead to a paper without records, which the matcher skips."""
        args = {"keep": keep, "gone": gone, "now": self._now}
        self.db.execute("UPDATE records SET paper_id = :keep WHERE paper_id = :gone", args)
        for sql in LIBRARY_MOVES:
            self.db.execute(sql, args)
        for table in ("stars", "tags", "notes", "list_items", "profile_feedback", "match_keys"):
            self.db.execute(f"DELETE FROM {table} WHERE paper_id = ?", (gone,))
        self.db.execute("DELETE FROM papers WHERE id = ?", (gone,))

    # -- blocking keys -----------------------------------------------------------------------
    def _lookup(self, table: str, keys: set[Any]) -> dict[Any, list[str]]:
        """The papers under each of these keys, in one query."""
        hits: dict[Any, list[str]] = {}
        if keys:
            rows = self.db.execute(
                f"SELECT j.value, m.paper_id FROM json_each(?) j JOIN {table} m ON m.key = j.value", (dumps(list(keys)),)
            )
            for key, pid in rows:
                hits.setdefault(key, []).append(pid)
        return hits

    def papers_under_keys(self, keys: set[str]) -> dict[str, list[str]]:
        return self._lookup("match_keys", keys)

    def papers_under_blocks(self, keys: set[int]) -> dict[int, list[str]]:
        return self._lookup("block_keys", keys)

    def bands_filed(self) -> bool:
        from ...resolve.blocking import BANDS_FILED

        return self.db.execute("SELECT 1 FROM block_keys WHERE key = ?", (BANDS_FILED,)).fetchone() is not None

    def add_keys(self, match_keys: list[tuple[str, str]], block_keys: list[tuple[int, str]]) -> None:
        self.db.executemany("INSERT OR IGNORE INTO match_keys (key, paper_id) VALUES (?, ?)", match_keys)
        self.db.executemany("INSERT OR IGNORE INTO block_keys (key, paper_id) VALUES (?, ?)", block_keys)

    def drop_match_keys(self, paper_id: str) -> None:
        self.db.execute("DELETE FROM match_keys WHERE paper_id = ?", (paper_id,))

    # -- identities and decisions --------------------------------------------------------------
    def members(self, paper_id: str) -> list[Identity]:
        """The identities of a paper's records, oldest first."""
        rows = self.db.execute(
            "SELECT f.source_id, r.record_key FROM records r JOIN files f ON f.id = r.file_id WHERE r.paper_id = ? ORDER BY r.id",
            (paper_id,),
        )
        return [(s, k) for s, k in rows]

    def paper_of(self, who: Identity) -> str | None:
        row = self.db.execute(RECORD_OF.format(col="paper_id") + " ORDER BY r.id LIMIT 1", who).fetchone()
        return row[0] if row else None

    def reassign(self, who: Identity, paper_id: str) -> None:
        self.db.execute(
            "UPDATE records SET paper_id = ? WHERE id IN (" + RECORD_OF.format(col="id") + ")", (paper_id, *who)
        )

    def decisions_for(self, source_id: str, keys: list[str]) -> dict[str, list[tuple[str, Identity]]]:
        """For records of this source: record key -> [(decision, the other record)], from the
        actions not undone."""
        out: dict[str, list[tuple[str, Identity]]] = {}
        wanted = set(keys)
        rows = self.db.execute(
            "SELECT l.decision, l.a_source, l.a_key, l.b_source, l.b_key FROM merge_links l"
            " JOIN merge_actions a ON a.id = l.action_id"
            " WHERE a.undone_at IS NULL AND (l.a_source = ? OR l.b_source = ?) ORDER BY l.rowid",
            (source_id, source_id),
        )
        for decision, a_source, a_key, b_source, b_key in rows:
            if a_source == source_id and a_key in wanted:
                out.setdefault(a_key, []).append((decision, (b_source, b_key)))
            if b_source == source_id and b_key in wanted:
                out.setdefault(b_key, []).append((decision, (a_source, a_key)))
        return out

    def links_of(self, source_id: str, decision: str) -> list[tuple[Identity, Identity]]:
        """The ('same' or 'distinct') links of decisions in force that name this source."""
        rows = self.db.execute(
            "SELECT l.a_source, l.a_key, l.b_source, l.b_key FROM merge_links l JOIN merge_actions a ON a.id = l.action_id"
            " WHERE a.undone_at IS NULL AND l.decision = ? AND (l.a_source = ? OR l.b_source = ?) ORDER BY l.rowid",
            (decision, source_id, source_id),
        ).fetchall()
        return [((a, ak), (b, bk)) for a, ak, b, bk in rows]

    def kept_apart(self, a: str, b: str) -> bool:
        return kept_apart(self.db, a, b)

    def record_action(self, kind: str, detail: dict[str, Any], links: list[tuple[str, Identity, Identity]], now: str,
                      undone_at: str | None = None) -> int:
        cur = self.db.execute("INSERT INTO merge_actions (kind, detail, decided_at, undone_at) VALUES (?, ?, ?, ?)",
                              (kind, json.dumps(detail, ensure_ascii=False), now, undone_at))
        action_id = int(cur.lastrowid or 0)
        self.db.executemany(
            "INSERT INTO merge_links (action_id, decision, a_source, a_key, b_source, b_key) VALUES (?, ?, ?, ?, ?, ?)",
            [(action_id, d, *a, *b) for d, a, b in links],
        )
        return action_id

    def has_action(self, kind: str, decided_at: str, links: list[tuple[str, Identity, Identity]]) -> bool:
        """Is this decision (same kind, time and first link) stored already? (a repeated import)"""
        first = links[0] if links else None
        for (action_id,) in self.db.execute("SELECT id FROM merge_actions WHERE kind = ? AND decided_at = ?", (kind, decided_at)):
            row = self.db.execute("SELECT decision, a_source, a_key, b_source, b_key FROM merge_links WHERE action_id = ?"
                                  " ORDER BY rowid LIMIT 1", (action_id,)).fetchone()
            if first is None or (row is not None and (row[0], (row[1], row[2]), (row[3], row[4])) == first):
                return True
        return False

    def undo_action(self, action_id: int, now: str) -> None:
        self.db.execute("UPDATE merge_actions SET undone_at = ? WHERE id = ?", (now, action_id))

    def live_merges(self) -> list[tuple[int, dict[str, Any]]]:
        rows = self.db.execute("SELECT id, detail FROM merge_actions WHERE kind = 'merge' AND undone_at IS NULL ORDER BY id DESC")
        return [(int(i), json.loads(d)) for i, d in rows]

    def queue_review(self, a: Identity, b: Identity, score: float, reason: str, now: str) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO merge_review (a_source, a_key, b_source, b_key, score, reason, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (*a, *b, score, reason, now),
        )

    def forget_reviews(self, a: list[Identity], b: list[Identity]) -> None:
        """A person decided about these two groups: their queued pairs are answered."""
        pairs = [(*x, *y) for x in a for y in b] + [(*y, *x) for x in a for y in b]
        self.db.executemany("DELETE FROM merge_review WHERE a_source = ? AND a_key = ? AND b_source = ? AND b_key = ?", pairs)


def kept_apart(db: sqlite3.Connection, a: str, b: str) -> bool:
    """Does a person's decision say that papers ``a`` and ``b`` are different papers?"""
    row = db.execute(
        "SELECT 1 FROM merge_links l JOIN merge_actions x ON x.id = l.action_id"
        " JOIN files fa ON fa.source_id = l.a_source JOIN records ra ON ra.file_id = fa.id AND ra.record_key = l.a_key"
        " JOIN files fb ON fb.source_id = l.b_source JOIN records rb ON rb.file_id = fb.id AND rb.record_key = l.b_key"
        " WHERE x.undone_at IS NULL AND l.decision = 'distinct'"
        " AND ((ra.paper_id = ? AND rb.paper_id = ?) OR (ra.paper_id = ? AND rb.paper_id = ?)) LIMIT 1",
        (a, b, b, a),
    ).fetchone()
    return row is not None
