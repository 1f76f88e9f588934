"""Sources and their sync state in PostgreSQL (tables of ``m006_sources``), as
``store.sqlite.sources`` keeps them in SQLite: item payloads zlib-compressed, every write joining
the caller's transaction when there is one (``atomic``)."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ...errors import NotFound
from ..protocol import SourceInfo, SourceItem, SyncRun
from .connection import Database
from .migrations import NOW

RUN = ("SELECT r.id, s.name, r.started_at, r.finished_at, r.status, r.counts, r.error, r.seq_from, r.seq_to"
       " FROM sync_runs r JOIN sources s ON s.id = r.source_id")


class PostgresSources:
    """``store.protocol.SourceStore`` over PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _id(self, name: str) -> int | None:
        value = self.db.one("SELECT id FROM sources WHERE name = %s", (name,))
        return None if value is None else int(value)

    def _require(self, name: str) -> int:
        source_id = self._id(name)
        if source_id is None:
            raise NotFound(f"no source named {name!r}", hint="`paperatlas sources list` lists them")
        return source_id

    # -- sources -------------------------------------------------------------------------------
    def add(self, name: str, kind: str, options: dict[str, Any]) -> SourceInfo | None:
        """The new source, or None when the name is taken."""
        added = self.db.rows(f"INSERT INTO sources (name, kind, options, state, created_at) VALUES (%s, %s, %s, '{{}}', {NOW})"
                             " ON CONFLICT (name) DO NOTHING RETURNING id", (name, kind, json.dumps(options, sort_keys=True)))
        return self.get(name) if added else None

    def get(self, name: str) -> SourceInfo | None:
        found = self._infos("WHERE s.name = %s", (name,))
        return found[0] if found else None

    def all(self) -> list[SourceInfo]:
        return self._infos("", ())

    def _infos(self, where: str, args: tuple[object, ...]) -> list[SourceInfo]:
        rows = self.db.rows(
            "SELECT s.id, s.name, s.kind, s.options, s.state, s.created_at,"
            " (SELECT count(*) FROM source_items i WHERE i.source_id = s.id),"
            " (SELECT max(id) FROM sync_runs r WHERE r.source_id = s.id)"
            f" FROM sources s {where} ORDER BY s.name", args)
        out = []
        for _sid, name, kind, options, state, created, items, last in rows:
            run = self._runs("WHERE r.id = %s", (last,))[0] if last is not None else None
            out.append(SourceInfo(name, kind, json.loads(options), json.loads(state), created, int(items), run))
        return out

    def remove(self, name: str) -> bool:
        return self.db.run("DELETE FROM sources WHERE name = %s", (name,)) > 0

    # -- items and state ---------------------------------------------------------------------
    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self.db.transaction():
            yield

    def versions(self, name: str, keys: list[str]) -> dict[str, str]:
        source_id = self._require(name)
        rows = self.db.rows("SELECT key, version FROM source_items WHERE source_id = %s AND key = ANY(%s)",
                            (source_id, list(dict.fromkeys(keys))))
        return {k: v for k, v in rows}

    def partition(self, name: str, partition: str) -> list[SourceItem]:
        """The items of one partition, by key."""
        rows = self.db.rows("SELECT key, partition, version, payload, stamp FROM source_items"
                            " WHERE source_id = %s AND partition = %s ORDER BY key", (self._require(name), partition))
        return [SourceItem(k, p, v, zlib.decompress(bytes(b)), s) for k, p, v, b, s in rows]

    def put_items(self, name: str, items: list[SourceItem]) -> None:
        source_id = self._require(name)
        if not items:
            return
        with self.db.transaction() as conn, conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO source_items (source_id, key, partition, version, payload, stamp, first_seen, changed_at)"
                f" VALUES (%s, %s, %s, %s, %s, %s, {NOW}, {NOW}) ON CONFLICT (source_id, key) DO UPDATE SET"
                " partition = excluded.partition, version = excluded.version, payload = excluded.payload,"
                " stamp = excluded.stamp, changed_at = excluded.changed_at",
                [(source_id, i.key, i.partition, i.version, zlib.compress(i.payload, 6), i.stamp) for i in items])

    def set_state(self, name: str, state: dict[str, Any]) -> None:
        self.db.run("UPDATE sources SET state = %s WHERE id = %s", (json.dumps(state, sort_keys=True), self._require(name)))

    # -- runs -----------------------------------------------------------------------------------
    def start_run(self, name: str, seq_from: int) -> int:
        source_id = self._require(name)
        with self.db.transaction() as conn:
            row = conn.execute(f"INSERT INTO sync_runs (source_id, started_at, status, seq_from) VALUES (%s, {NOW},"
                               " 'running', %s) RETURNING id", (source_id, seq_from)).fetchone()
        return int(row[0]) if row else 0

    def finish_run(self, run_id: int, status: str, counts: dict[str, int], error: str | None, seq_to: int) -> None:
        self.db.run(f"UPDATE sync_runs SET finished_at = {NOW}, status = %s, counts = %s, error = %s, seq_to = %s"
                    " WHERE id = %s", (status, json.dumps(counts, sort_keys=True), error, seq_to, run_id))

    def runs(self, name: str, limit: int = 20) -> list[SyncRun]:
        return self._runs("WHERE s.name = %s ORDER BY r.id DESC LIMIT %s", (name, limit))

    def _runs(self, where: str, args: tuple[object, ...]) -> list[SyncRun]:
        rows = self.db.rows(f"{RUN} {where}", args)
        return [SyncRun(int(i), n, s, f, st, json.loads(c), e, int(a), None if b is None else int(b))
                for i, n, s, f, st, c, e, a, b in rows]
