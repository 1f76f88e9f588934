"""Watches, what they reported, followed authors, paper snapshots and counter time series in
PostgreSQL (tables of ``m008_watches``), the same statements as ``store.sqlite.watches``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ...store.protocol import WatchInfo, WatchItem
from .connection import Database

_WATCH = ("SELECT w.name, w.kind, w.query, w.filters, w.mode, w.profile, w.created_at, w.created_seq, w.checked_at, w.error,"
          " (SELECT count(*) FROM watch_items i WHERE i.watch_id = w.id AND i.seen_at IS NULL) FROM watches w")
_ITEM = ("SELECT w.name, i.paper_id, i.reason, i.state, i.detail, i.title, i.reported_at, i.seen_at, i.id"
         " FROM watch_items i JOIN watches w ON w.id = i.watch_id")
# lower() under COLLATE "C" folds A-Z only, as SQLite's (the database's own collation may fold more)
_OF_VENUE = " JOIN papers p ON p.id = s.paper_id AND lower(p.venue) = lower(%s COLLATE \"C\")"


class PostgresWatches:
    """``store.protocol.WatchStore`` over PostgreSQL."""

    def __init__(self, db: Database, user_id: int = 0) -> None:
        self.db = db
        self.user_id = user_id  # whose watches and follows (0: the owner's); the rest is the catalog's

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """One transaction for the writes inside (a check's items, snapshots and position)."""
        with self.db.transaction():
            yield

    # -- watches ------------------------------------------------------------------------------
    def add(self, info: WatchInfo) -> WatchInfo | None:
        """The new watch, or None when the name is taken."""
        added = self.db.rows(
            "INSERT INTO watches (user_id, name, kind, query, filters, mode, profile, created_at, created_seq)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (user_id, name) DO NOTHING RETURNING id",
            (self.user_id, info.name, info.kind, info.query, json.dumps(info.filters, sort_keys=True), info.mode, info.profile,
             info.created_at, info.created_seq))
        return self.get(info.name) if added else None

    def get(self, name: str) -> WatchInfo | None:
        rows = self._watches("AND w.name = %s", (name,))
        return rows[0] if rows else None

    def all(self) -> list[WatchInfo]:
        return self._watches("ORDER BY w.name", ())

    def owners(self) -> list[int]:
        """The users with watches (every user's: for a check)."""
        return [int(r[0]) for r in self.db.rows("SELECT DISTINCT user_id FROM watches ORDER BY user_id")]

    def _watches(self, where: str, args: tuple[object, ...]) -> list[WatchInfo]:
        rows = self.db.rows(f"{_WATCH} WHERE w.user_id = %s {where}", (self.user_id, *args))
        return [WatchInfo(n, k, q, json.loads(f), m, p, c, int(s), ch, e, int(u)) for n, k, q, f, m, p, c, s, ch, e, u in rows]

    def remove(self, name: str) -> bool:
        return self.db.run("DELETE FROM watches WHERE user_id = %s AND name = %s", (self.user_id, name)) > 0

    def checked(self, name: str, at: str, error: str | None) -> None:
        self.db.run("UPDATE watches SET checked_at = %s, error = %s WHERE user_id = %s AND name = %s",
                    (at, error, self.user_id, name))

    # -- items --------------------------------------------------------------------------------
    def report(self, items: list[WatchItem]) -> int:
        """Store the items not reported before (same watch, paper, reason and state); how many were new."""
        if not items:
            return 0
        with self.db.transaction() as conn:
            ids = dict(conn.execute("SELECT name, id FROM watches WHERE user_id = %s", (self.user_id,)).fetchall())
            rows = [(ids[i.watch], i.paper_id, i.reason, i.state, json.dumps(i.detail, sort_keys=True), i.title, i.reported_at)
                    for i in items if i.watch in ids]
            if not rows:
                return 0
            # One statement in the items' order (ids as SQLite gives them); a repeat inside it is ignored too.
            return int(conn.execute(
                "INSERT INTO watch_items (watch_id, paper_id, reason, state, detail, title, reported_at)"
                " SELECT w, p, r, s, d, t, a FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[],"
                " %s::text[], %s::text[]) WITH ORDINALITY AS x(w, p, r, s, d, t, a, n) ORDER BY n ON CONFLICT DO NOTHING",
                [list(column) for column in zip(*rows)]).rowcount)

    def items(self, name: str, since: str | None = None, unseen: bool = False, limit: int = 500) -> list[WatchItem]:
        where, args = ["w.user_id = %s", "w.name = %s"], [self.user_id, name]
        if since:
            where.append("i.reported_at >= %s")
            args.append(since)
        if unseen:
            where.append("i.seen_at IS NULL")
        rows = self.db.rows(f"{_ITEM} WHERE {' AND '.join(where)} ORDER BY i.reported_at DESC, i.id DESC LIMIT %s",
                            (*args, limit))
        return [WatchItem(w, p, r, s, json.loads(d), t, at, seen, int(i)) for w, p, r, s, d, t, at, seen, i in rows]

    def mark_seen(self, name: str, at: str) -> int:
        return self.db.run("UPDATE watch_items SET seen_at = %s WHERE seen_at IS NULL AND watch_id ="
                           " (SELECT id FROM watches WHERE user_id = %s AND name = %s)", (at, self.user_id, name))

    # -- follows ------------------------------------------------------------------------------
    def follow(self, key: str, name: str, at: str) -> bool:
        return self.db.run("INSERT INTO follows (user_id, key, name, created_at) VALUES (%s, %s, %s, %s)"
                           " ON CONFLICT DO NOTHING", (self.user_id, key, name, at)) > 0

    def unfollow(self, key: str) -> bool:
        return self.db.run("DELETE FROM follows WHERE user_id = %s AND key = %s", (self.user_id, key)) > 0

    def follows(self) -> list[tuple[str, str, str]]:
        rows = self.db.rows("SELECT key, name, created_at FROM follows WHERE user_id = %s ORDER BY name", (self.user_id,))
        return [(k, n, c) for k, n, c in rows]

    # -- where the checks are in the change feed, and what each paper looked like ---------------
    def position(self, name: str) -> int | None:
        value = self.db.one("SELECT seq FROM watch_state WHERE name = %s", (name,))
        return None if value is None else int(value)

    def set_position(self, name: str, seq: int) -> None:
        self.db.run("INSERT INTO watch_state (name, seq) VALUES (%s, %s) ON CONFLICT (name) DO UPDATE SET seq = excluded.seq",
                    (name, seq))

    def changed_papers(self, after: int, upto: int) -> dict[str, int]:
        """The papers changed in (after, upto], each with its last change there."""
        rows = self.db.rows("SELECT paper_id, max(seq) FROM paper_changes WHERE seq > %s AND seq <= %s GROUP BY paper_id",
                            (after, upto))
        return {p: int(last) for p, last in rows}

    def snapshots(self, paper_ids: list[str]) -> dict[str, dict[str, Any]]:
        rows = self.db.rows("SELECT paper_id, state FROM paper_snapshots WHERE paper_id = ANY(%s)", (list(paper_ids),))
        return {p: json.loads(s) for p, s in rows}

    def put_snapshots(self, states: dict[str, dict[str, Any]]) -> None:
        if not states:
            return
        with self.db.transaction() as conn, conn.cursor() as cur:
            cur.executemany("INSERT INTO paper_snapshots (paper_id, key, state) VALUES (%s, %s, %s)"
                            " ON CONFLICT (paper_id) DO UPDATE SET key = excluded.key, state = excluded.state",
                            [(p, s.get("key"), json.dumps(s, sort_keys=True)) for p, s in states.items()])

    def snapshots_by_key(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        """A snapshot holding each strong id (the most recently written of several)."""
        rows = self.db.rows("SELECT key, state FROM paper_snapshots WHERE key = ANY(%s) ORDER BY seq", (list(keys),))
        return {key: json.loads(state) for key, state in rows}

    # -- counters over time -------------------------------------------------------------------
    def last_counters(self, paper_ids: list[str]) -> dict[tuple[str, str], int]:
        rows = self.db.rows(
            "SELECT DISTINCT ON (paper_id, counter) paper_id, counter, value FROM counter_series WHERE paper_id = ANY(%s)"
            " ORDER BY paper_id, counter, observed_at DESC", (list(paper_ids),))
        return {(p, c): int(v) for p, c, v in rows}

    def observe_counters(self, rows: list[tuple[str, str, int, str]]) -> None:
        if not rows:
            return
        with self.db.transaction() as conn, conn.cursor() as cur:
            cur.executemany("INSERT INTO counter_series (paper_id, counter, value, observed_at) VALUES (%s, %s, %s, %s)"
                            " ON CONFLICT (paper_id, counter, observed_at) DO UPDATE SET value = excluded.value", rows)

    def counter_series(self, since: str, venue: str | None = None) -> list[tuple[str, str, int, str]]:
        """Observations from ``since`` on, plus the last one before it of each (paper, counter)
        observed since then (the baseline of a rise), oldest first; only the venue's papers if given."""
        join = _OF_VENUE if venue else ""
        args: tuple[object, ...] = (venue, since) if venue else (since,)
        recent = self.db.rows(f"SELECT s.paper_id, s.counter, s.value, s.observed_at FROM counter_series s{join}"
                              " WHERE s.observed_at >= %s", args)
        keys = sorted({(p, c) for p, c, _, _ in recent})
        before = self.db.rows(
            "SELECT DISTINCT ON (s.paper_id, s.counter) s.paper_id, s.counter, s.value, s.observed_at"
            " FROM counter_series s JOIN unnest(%s::text[], %s::text[]) AS k(p, c) ON s.paper_id = k.p AND s.counter = k.c"
            " WHERE s.observed_at < %s ORDER BY s.paper_id, s.counter, s.observed_at DESC",
            ([p for p, _ in keys], [c for _, c in keys], since)) if keys else []
        return sorted([(p, c, int(v), t) for p, c, v, t in [*before, *recent]], key=lambda r: (r[3], r[0], r[1]))

    def counter_population(self, venue: str | None = None) -> dict[str, int]:
        """How many papers have ever had each counter observed (the venue's only, if given)."""
        join = _OF_VENUE if venue else ""
        rows = self.db.rows(f"SELECT s.counter, count(DISTINCT s.paper_id) FROM counter_series s{join} GROUP BY s.counter",
                            (venue,) if venue else ())
        return {c: int(n) for c, n in rows}

    def paper_times(self, paper_ids: list[str]) -> dict[str, tuple[str, str]]:
        rows = self.db.rows("SELECT id, created_at, updated_at FROM papers WHERE id = ANY(%s)", (list(paper_ids),))
        return {p: (c, u) for p, c, u in rows}
