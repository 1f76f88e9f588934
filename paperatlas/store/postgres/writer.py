"""The PostgreSQL side of one write transaction: files, records, papers, blocking keys, and a
person's merge decisions (``store.protocol.CatalogWriter``), the same operations as
``store.sqlite.writer`` over the same tables. The transaction holds the catalog lock, so the
max+1 record ids and the reads entity resolution makes before it writes see no other writer.

Nothing here lets a statement fail on purpose (a failed statement would end the whole
transaction in PostgreSQL): inserts that may meet an existing row say ``ON CONFLICT``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from ...errors import NotFound
from ...models import Record, record_from_dict
from ...resolve.prepare import PAPER_ROW_COLUMNS, PaperRow, Prepared, dumps, paper_id
from ...resolve.rules import Sourced
from ..protocol import FileInfo, FileState, Identity
from .connection import Connection
from .library_rows import NOTE_SEPARATOR, LibraryRows
from .papers import NOT_FOUND_HINT

FILE_COLUMNS = "id, name, path, fingerprint, source_id, format, records, claimed_total, page_venue, page_track"
FOLD_COLUMNS = ("venue_fold", "track_fold", "session_fold")
ID_ATTEMPTS = 100
RECORD_OF = ("SELECT r.{col} FROM records r JOIN files f ON f.id = r.file_id"
             " WHERE f.source_id = %s AND r.record_key = %s")
LIBRARY_MOVES = (  # every user's rows
    "INSERT INTO stars (user_id, paper_id, created_at) SELECT user_id, %(keep)s, created_at FROM stars"
    " WHERE paper_id = %(gone)s ORDER BY seq ON CONFLICT DO NOTHING",
    "INSERT INTO tags (user_id, paper_id, tag, created_at) SELECT user_id, %(keep)s, tag, created_at FROM tags"
    " WHERE paper_id = %(gone)s ORDER BY seq ON CONFLICT DO NOTHING",
    # Both papers have a note: keep both texts, the merged-in one after a separator.
    "UPDATE notes SET body = body || %(sep)s || (SELECT g.body FROM notes g WHERE g.paper_id = %(gone)s"
    " AND g.user_id = notes.user_id), updated_at = %(now)s WHERE paper_id = %(keep)s"
    " AND EXISTS (SELECT 1 FROM notes g WHERE g.paper_id = %(gone)s AND g.user_id = notes.user_id)",
    "INSERT INTO notes (user_id, paper_id, body, updated_at) SELECT user_id, %(keep)s, body, updated_at FROM notes"
    " WHERE paper_id = %(gone)s ON CONFLICT DO NOTHING",
    "INSERT INTO list_items (list_id, paper_id, position, added_at)"
    " SELECT list_id, %(keep)s, position, added_at FROM list_items WHERE paper_id = %(gone)s ON CONFLICT DO NOTHING",
    "INSERT INTO profile_feedback (user_id, profile, paper_id, kind, created_at)"
    " SELECT user_id, profile, %(keep)s, kind, created_at FROM profile_feedback WHERE paper_id = %(gone)s ORDER BY seq"
    " ON CONFLICT DO NOTHING",
)
# Does a person's decision say that two papers are different papers? (arguments: a, b, b, a)
KEPT_APART = (
    "SELECT 1 FROM merge_links l JOIN merge_actions x ON x.id = l.action_id"
    " JOIN files fa ON fa.source_id = l.a_source JOIN records ra ON ra.file_id = fa.id AND ra.record_key = l.a_key"
    " JOIN files fb ON fb.source_id = l.b_source JOIN records rb ON rb.file_id = fb.id AND rb.record_key = l.b_key"
    " WHERE x.undone_at IS NULL AND l.decision = 'distinct'"
    " AND ((ra.paper_id = %s AND rb.paper_id = %s) OR (ra.paper_id = %s AND rb.paper_id = %s)) LIMIT 1"
)


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def no_nul(value: Any) -> Any:
    """Text PostgreSQL can store: it has no NUL character (SQLite does), so a NUL that a page's
    text carried into a title or a record's id becomes U+FFFD. (JSON columns escape it already.)"""
    return value.replace("\x00", "\ufffd") if isinstance(value, str) and "\x00" in value else value


def values(row: PaperRow) -> tuple[object, ...]:
    """A paper row's values, then Python's lower case of venue, track and session (what filters
    compare a non-ASCII value to)."""
    plain = tuple(no_nul(v) for v in row.values())
    return (*plain, *(v.lower() if v else v for v in (plain[4], plain[6], plain[7])))


class PostgresWriter(LibraryRows):
    """``CatalogWriter`` over the connection of an open transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._last_pk: int | None = None
        self._rows: list[tuple[object, ...]] = []
        self._now = utc_now()

    def now(self) -> str:
        return self._now

    # -- files -------------------------------------------------------------------------------
    def _file(self, where: str, value: object) -> FileState | None:
        row = self.conn.execute(f"SELECT {FILE_COLUMNS} FROM files WHERE {where} = %s ORDER BY id LIMIT 1",
                                (value,)).fetchone()
        return None if row is None else FileState(*row)

    def find_file(self, info: FileInfo) -> FileState | None:
        """The stored file this ingest continues: the same ingest (from any path), the same bytes
        read with other options, or an earlier copy at the same path."""
        return (self._file("fingerprint", info.fingerprint) or self._file("content_hash", info.content_hash)
                or self._file("path", info.path))

    def relocate_file(self, known: FileState, info: FileInfo) -> None:
        """The same content seen again: remember where it is now, and its content hash if it was
        stored before files had one."""
        taken = self._file("path", info.path)
        path = info.path if taken is None or taken.id == known.id else known.path
        self.conn.execute("UPDATE files SET path = %s, content_hash = coalesce(content_hash, %s) WHERE id = %s",
                          (path, info.content_hash, known.id))

    def save_file(self, info: FileInfo, records: int, known: FileState | None) -> FileState:
        values = (info.name, info.fingerprint, info.content_hash, info.format, records, info.claimed_total,
                  info.page_venue, info.page_track, self._now)
        if known is not None:
            taken = self._file("path", info.path)
            path = info.path if taken is None or taken.id == known.id else known.path
            self.conn.execute(
                "UPDATE files SET name=%s, fingerprint=%s, content_hash=%s, format=%s, records=%s, claimed_total=%s,"
                " page_venue=%s, page_track=%s, ingested_at=%s, path=%s WHERE id=%s",
                (*values, path, known.id),
            )
            file_id = known.id
        else:
            row = self.conn.execute(
                "INSERT INTO files (name, fingerprint, content_hash, format, records, claimed_total, page_venue,"
                " page_track, ingested_at, path, source_id) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) RETURNING id",
                (*values, info.path, info.content_hash),
            ).fetchone()
            assert row is not None  # RETURNING of an insert
            file_id = int(row[0])
        state = self._file("id", file_id)
        assert state is not None  # just written, in this transaction
        return state

    def file_records(self, file_id: int) -> dict[str, tuple[int, str, str]]:
        rows = self.conn.execute("SELECT record_key, id, content_hash, paper_id FROM records WHERE file_id = %s", (file_id,))
        return {key: (int(pk), digest, pid) for key, pk, digest, pid in rows}

    def sources_named(self, name: str) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT DISTINCT source_id FROM files WHERE name = %s", (name,))]

    # -- records -----------------------------------------------------------------------------
    def next_record_pk(self) -> int:
        """records.id is given by the writer: the next one is max+1 (no other writer runs)."""
        if self._last_pk is None:
            row = self.conn.execute("SELECT coalesce(max(id), 0) FROM records").fetchone()
            self._last_pk = int(row[0]) if row else 0
        return self._last_pk + 1

    def add_record(self, file_id: int, item: Prepared, paper_id: str, pk: int | None = None) -> int:
        """Queue a record row (``flush_records`` writes a file's rows at once)."""
        pk = self.next_record_pk() if pk is None else pk
        rec = item.rec
        self._rows.append((pk, file_id, no_nul(item.key), no_nul(rec.record_id), rec.position, rec.line, paper_id,
                           item.digest, item.data))
        self._last_pk = pk
        return pk

    def flush_records(self) -> None:
        if self._rows:
            with self.conn.cursor().copy(
                "COPY records (id, file_id, record_key, record_id, position, line, paper_id, content_hash, data)"
                " FROM STDIN"
            ) as copy:
                for row in self._rows:
                    copy.write_row(row)
        self._rows = []

    def update_record(self, pk: int, item: Prepared) -> None:
        rec = item.rec
        self.conn.execute("UPDATE records SET content_hash=%s, data=%s, position=%s, line=%s, record_id=%s WHERE id=%s",
                          (item.digest, item.data, rec.position, rec.line, no_nul(rec.record_id), pk))

    # -- papers ------------------------------------------------------------------------------
    def require_paper(self, paper_id: str) -> None:
        if self.conn.execute("SELECT 1 FROM papers WHERE id = %s", (paper_id,)).fetchone() is None:
            raise NotFound(f"no paper with id {paper_id!r}", hint=NOT_FOUND_HINT)

    def new_paper(self, seed: str, row: PaperRow, origin: dict[str, int], now: str) -> str:
        """Insert a paper; its id is derived from ``seed`` (a rare collision takes the next)."""
        columns = ", ".join((*PAPER_ROW_COLUMNS, *FOLD_COLUMNS))
        marks = ", %s" * (len(PAPER_ROW_COLUMNS) + len(FOLD_COLUMNS))
        sql = (f"INSERT INTO papers (id, {columns}, field_sources, created_at, updated_at) VALUES (%s{marks}, %s, %s, %s)"
               " ON CONFLICT (id) DO NOTHING")
        for attempt in range(ID_ATTEMPTS):
            pid = paper_id(f"{seed}|{attempt}")
            if self.conn.execute(sql, (pid, *values(row), dumps(origin), now, now)).rowcount:
                return pid
        raise RuntimeError("could not allocate a paper id")

    def new_empty_paper(self, choices: list[str], now: str) -> str:
        """A paper without values yet (``set_paper`` fills it), under the first free id of ``choices``."""
        for pid in choices:
            if self.conn.execute("INSERT INTO papers (id, title, title_key, created_at, updated_at) VALUES (%s, '', '', %s, %s)"
                                 " ON CONFLICT (id) DO NOTHING", (pid, now, now)).rowcount:
                return pid
        raise RuntimeError("could not allocate a paper id")

    def set_paper(self, paper_id: str, row: PaperRow, origin: dict[str, int], now: str) -> None:
        sets = ", ".join(f"{c}=%s" for c in (*PAPER_ROW_COLUMNS, *FOLD_COLUMNS))
        self.conn.execute(f"UPDATE papers SET {sets}, field_sources=%s, updated_at=%s WHERE id=%s",
                          (*values(row), dumps(origin), now, paper_id))

    def paper_records(self, paper_id: str) -> list[Sourced]:
        rows = self.conn.execute(
            "SELECT r.id, f.format, r.data, r.position, r.line FROM records r"
            " JOIN files f ON f.id = r.file_id WHERE r.paper_id = %s ORDER BY r.id",
            (paper_id,),
        ).fetchall()
        return [Sourced(int(pk), fmt, record_from_dict(json.loads(data), pos, line)) for pk, fmt, data, pos, line in rows]

    def paper_evidence(self, paper_id: str) -> list[tuple[int, Record]]:
        rows = self.conn.execute("SELECT file_id, data FROM records WHERE paper_id = %s ORDER BY id", (paper_id,)).fetchall()
        return [(int(f), record_from_dict(json.loads(d))) for f, d in rows]

    def move_paper(self, keep: str, gone: str) -> None:
        """Records, match keys and library state of ``gone`` to ``keep`` (no duplicates), then
        delete ``gone``. Waits first for library changes of ``gone`` in flight (they hold it)."""
        self.conn.execute("SELECT 1 FROM papers WHERE id = %s FOR UPDATE", (gone,))
        args = {"keep": keep, "gone": gone, "now": self._now, "sep": NOTE_SEPARATOR}
        self.conn.execute("UPDATE records SET paper_id = %(keep)s WHERE paper_id = %(gone)s", args)
        for sql in LIBRARY_MOVES:
            self.conn.execute(sql, args)
        for table in ("stars", "tags", "notes", "list_items", "profile_feedback", "match_keys"):
            self.conn.execute(f"DELETE FROM {table} WHERE paper_id = %s", (gone,))
        self.conn.execute("DELETE FROM papers WHERE id = %s", (gone,))

    # -- blocking keys -----------------------------------------------------------------------
    def papers_under_keys(self, keys: set[str]) -> dict[str, list[str]]:
        hits: dict[str, list[str]] = {}
        if keys:
            rows = self.conn.execute("SELECT key, paper_id FROM match_keys WHERE key = ANY(%s)", (list(keys),))
            for key, pid in rows:
                hits.setdefault(key, []).append(pid)
        return hits

    def papers_under_blocks(self, keys: set[int]) -> dict[int, list[str]]:
        hits: dict[int, list[str]] = {}
        if keys:
            rows = self.conn.execute("SELECT key, paper_id FROM block_keys WHERE key = ANY(%s::bigint[])", (list(keys),))
            for key, pid in rows:
                hits.setdefault(int(key), []).append(pid)
        return hits

    def bands_filed(self) -> bool:
        from ...resolve.blocking import BANDS_FILED

        return self.conn.execute("SELECT 1 FROM block_keys WHERE key = %s LIMIT 1", (BANDS_FILED,)).fetchone() is not None

    def add_keys(self, match_keys: list[tuple[str, str]], block_keys: list[tuple[int, str]]) -> None:
        if match_keys:
            self.conn.execute("INSERT INTO match_keys (key, paper_id) SELECT * FROM unnest(%s::text[], %s::text[])"
                              " ON CONFLICT DO NOTHING", ([k for k, _ in match_keys], [p for _, p in match_keys]))
        if block_keys:
            self.conn.execute("INSERT INTO block_keys (key, paper_id) SELECT * FROM unnest(%s::bigint[], %s::text[])"
                              " ON CONFLICT DO NOTHING", ([k for k, _ in block_keys], [p for _, p in block_keys]))

    def drop_match_keys(self, paper_id: str) -> None:
        self.conn.execute("DELETE FROM match_keys WHERE paper_id = %s", (paper_id,))

    # -- identities and decisions --------------------------------------------------------------
    def members(self, paper_id: str) -> list[Identity]:
        """The identities of a paper's records, oldest first."""
        rows = self.conn.execute(
            "SELECT f.source_id, r.record_key FROM records r JOIN files f ON f.id = r.file_id WHERE r.paper_id = %s"
            " ORDER BY r.id", (paper_id,))
        return [(s, k) for s, k in rows]

    def paper_of(self, who: Identity) -> str | None:
        row = self.conn.execute(RECORD_OF.format(col="paper_id") + " ORDER BY r.id LIMIT 1", who).fetchone()
        return None if row is None else str(row[0])

    def reassign(self, who: Identity, paper_id: str) -> None:
        self.conn.execute("UPDATE records SET paper_id = %s WHERE id IN (" + RECORD_OF.format(col="id") + ")",
                          (paper_id, *who))

    def decisions_for(self, source_id: str, keys: list[str]) -> dict[str, list[tuple[str, Identity]]]:
        """For records of this source: record key -> [(decision, the other record)], from the
        actions not undone."""
        out: dict[str, list[tuple[str, Identity]]] = {}
        wanted = set(keys)
        rows = self.conn.execute(
            "SELECT l.decision, l.a_source, l.a_key, l.b_source, l.b_key FROM merge_links l"
            " JOIN merge_actions a ON a.id = l.action_id"
            " WHERE a.undone_at IS NULL AND (l.a_source = %s OR l.b_source = %s) ORDER BY l.seq",
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
        rows = self.conn.execute(
            "SELECT l.a_source, l.a_key, l.b_source, l.b_key FROM merge_links l JOIN merge_actions a ON a.id = l.action_id"
            " WHERE a.undone_at IS NULL AND l.decision = %s AND (l.a_source = %s OR l.b_source = %s) ORDER BY l.seq",
            (decision, source_id, source_id),
        ).fetchall()
        return [((a, ak), (b, bk)) for a, ak, b, bk in rows]

    def kept_apart(self, a: str, b: str) -> bool:
        return self.conn.execute(KEPT_APART, (a, b, b, a)).fetchone() is not None

    def record_action(self, kind: str, detail: dict[str, Any], links: list[tuple[str, Identity, Identity]], now: str,
                      undone_at: str | None = None) -> int:
        row = self.conn.execute(
            "INSERT INTO merge_actions (kind, detail, decided_at, undone_at) VALUES (%s, %s, %s, %s) RETURNING id",
            (kind, json.dumps(detail, ensure_ascii=False), now, undone_at)).fetchone()
        assert row is not None  # RETURNING of an insert
        action_id = int(row[0])
        if links:
            with self.conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO merge_links (action_id, decision, a_source, a_key, b_source, b_key)"
                    " VALUES (%s, %s, %s, %s, %s, %s)",
                    [(action_id, d, *a, *b) for d, a, b in links],
                )
        return action_id

    def has_action(self, kind: str, decided_at: str, links: list[tuple[str, Identity, Identity]]) -> bool:
        """Is this decision (same kind, time and first link) stored already? (a repeated import)"""
        first = links[0] if links else None
        actions = self.conn.execute("SELECT id FROM merge_actions WHERE kind = %s AND decided_at = %s ORDER BY id",
                                    (kind, decided_at)).fetchall()
        for (action_id,) in actions:
            row = self.conn.execute("SELECT decision, a_source, a_key, b_source, b_key FROM merge_links WHERE action_id = %s"
                                    " ORDER BY seq LIMIT 1", (action_id,)).fetchone()
            if first is None or (row is not None and (row[0], (row[1], row[2]), (row[3], row[4])) == first):
                return True
        return False

    def undo_action(self, action_id: int, now: str) -> None:
        self.conn.execute("UPDATE merge_actions SET undone_at = %s WHERE id = %s", (now, action_id))

    def live_merges(self) -> list[tuple[int, dict[str, Any]]]:
        rows = self.conn.execute("SELECT id, detail FROM merge_actions WHERE kind = 'merge' AND undone_at IS NULL"
                                 " ORDER BY id DESC")
        return [(int(i), json.loads(d)) for i, d in rows]

    def queue_review(self, a: Identity, b: Identity, score: float, reason: str, now: str) -> None:
        self.conn.execute(
            "INSERT INTO merge_review (a_source, a_key, b_source, b_key, score, reason, created_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (*a, *b, score, reason, now),
        )

    def forget_reviews(self, a: list[Identity], b: list[Identity]) -> None:
        """A person decided about these two groups: their queued pairs are answered."""
        pairs = [(*x, *y) for x in a for y in b] + [(*y, *x) for x in a for y in b]
        if pairs:
            with self.conn.cursor() as cur:
                cur.executemany("DELETE FROM merge_review WHERE a_source = %s AND a_key = %s AND b_source = %s AND b_key = %s",
                                pairs)
