"""Sources and their sync state in SQLite (tables of ``m011_sources``).

Item payloads are stored zlib-compressed: an arXiv entry is about 2 KB of XML and compresses to a
third. Every write joins the caller's transaction when there is one (``atomic``), so a sync page
(its records and the state after it) commits as one.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ...errors import NotFound
from ...store.protocol import SourceInfo, SourceItem, SyncRun
from .connection import Database, in_chunks

NOW = "strftime('%Y-%m-%dT%H:%M:%SZ','now')"
_RUN = "SELECT r.id, s.name, r.started_at, r.finished_at, r.status, r.counts, r.error, r.seq_from, r.seq_to FROM sync_runs r" \
       " JOIN sources s ON s.id = r.source_id"


class SQLiteSources:
    """``store.protocol.SourceStore`` over SQLite."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _id(self, name: str) -> int | None:
        value = self.db.one("SELECT id FROM sources WHERE name = ?", (name,))
        return None if value is None else int(value)

    def _require(self, name: str) -> int:
        source_id = self._id(name)
        if source_id is None:
            raise NotFound(f"no source named {name!r}", hint="`paperatlas sources list` lists them")
        return source_id

    # -- sources -------------------------------------------------------------------------------
    def add(self, name: str, kind: str, options: dict[str, Any]) -> SourceInfo | None:
        """The new source, or None when the name is taken."""
        with self.db.transaction() as conn:
            if self._id(name) is not None:
                return None
            conn.execute("INSERT INTO sources (name, kind, options, state, created_at) VALUES (?, ?, ?, '{}', " + NOW + ")",
                         (name, kind, json.dumps(options, sort_keys=True)))
        return self.get(name)

    def get(self, name: str) -> SourceInfo | None:
        found = self._infos("WHERE s.name = ?", (name,))
        return found[0] if found else None

    def all(self) -> list[SourceInfo]:
        return self._infos("", ())

    def _infos(self, where: str, args: tuple[object, ...]) -> list[SourceInfo]:
        rows = self.db.execute(
            "SELECT s.id, s.name, s.kind, s.options, s.state, s.created_at,"
            " (SELECT count(*) FROM source_items i WHERE i.source_id = s.id),"
            " (SELECT max(id) FROM sync_runs r WHERE r.source_id = s.id)"
            f" FROM sources s {where} ORDER BY s.name", args).fetchall()
        out = []
        for _sid, name, kind, options, state, created, items, last in rows:
            run = self._runs("WHERE r.id = ?", (last,))[0] if last is not None else None
            out.append(SourceInfo(name, kind, json.loads(options), json.loads(state), created, int(items), run))
        return out

    def remove(self, name: str) -> bool:
        with self.db.transaction() as conn:
            return conn.execute("DELETE FROM sources WHERE name = ?", (name,)).rowcount > 0

    # -- items and state ---------------------------------------------------------------------
    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self.db.transaction():
            yield

    def versions(self, name: str, keys: list[str]) -> dict[str, str]:
        source_id = self._require(name)
        out: dict[str, str] = {}
        for chunk, marks in in_chunks(list(dict.fromkeys(keys))):
            rows = self.db.execute(f"SELECT key, version FROM source_items WHERE source_id = ? AND key IN ({marks})",
                                   (source_id, *chunk))
            out.update({k: v for k, v in rows})
        return out

    def partition(self, name: str, partition: str) -> list[SourceItem]:
        """The items of one partition, by key (a document built from them is the same bytes
        whatever order they arrived in)."""
        rows = self.db.execute("SELECT key, partition, version, payload, stamp FROM source_items"
                               " WHERE source_id = ? AND partition = ? ORDER BY key", (self._require(name), partition))
        return [SourceItem(k, p, v, zlib.decompress(b), s) for k, p, v, b, s in rows]

    def put_items(self, name: str, items: list[SourceItem]) -> None:
        source_id = self._require(name)
        with self.db.transaction() as conn:
            conn.executemany(
                "INSERT INTO source_items (source_id, key, partition, version, payload, stamp, first_seen, changed_at)"
                " VALUES (?, ?, ?, ?, ?, ?, " + NOW + ", " + NOW + ") ON CONFLICT(source_id, key) DO UPDATE SET"
                " partition = excluded.partition, version = excluded.version, payload = excluded.payload,"
                " stamp = excluded.stamp, changed_at = excluded.changed_at",
                [(source_id, i.key, i.partition, i.version, zlib.compress(i.payload, 6), i.stamp) for i in items])

    def set_state(self, name: str, state: dict[str, Any]) -> None:
        with self.db.transaction() as conn:
            conn.execute("UPDATE sources SET state = ? WHERE id = ?", (json.dumps(state, sort_keys=True), self._require(name)))

    # -- runs -----------------------------------------------------------------------------------
    def start_run(self, name: str, seq_from: int) -> int:
        with self.db.transaction() as conn:
            cur = conn.execute("INSERT INTO sync_runs (source_id, started_at, status, seq_from) VALUES (?, " + NOW
                               + ", 'running', ?)", (self._require(name), seq_from))
            return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, status: str, counts: dict[str, int], error: str | None, seq_to: int) -> None:
        with self.db.transaction() as conn:
            conn.execute("UPDATE sync_runs SET finished_at = " + NOW + ", status = ?, counts = ?, error = ?, seq_to = ?"
                         " WHERE id = ?", (status, json.dumps(counts, sort_keys=True), error, seq_to, run_id))

    def runs(self, name: str, limit: int = 20) -> list[SyncRun]:
        return self._runs("WHERE s.name = ? ORDER BY r.id DESC LIMIT ?", (name, limit))

    def _runs(self, where: str, args: tuple[object, ...]) -> list[SyncRun]:
        rows = self.db.execute(f"{_RUN} {where}", args).fetchall()
        return [SyncRun(int(i), n, s, f, st, json.loads(c), e, int(a), None if b is None else int(b))
                for i, n, s, f, st, c, e, a, b in rows]
