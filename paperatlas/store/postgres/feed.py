"""The change feed (``paper_changes``: every insert, update or delete of a paper, in order) and
how far each derived index has read it (``index_state``), in PostgreSQL."""

from __future__ import annotations

from .connection import Database


class PostgresFeed:
    """``store.protocol.ChangeFeed`` over PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def last_change(self) -> int:
        return int(self.db.one("SELECT coalesce(max(seq), 0) FROM paper_changes"))

    def changes_since(self, seq: int, limit: int = 10_000) -> tuple[int, list[tuple[str, str]]]:
        """Paper changes after ``seq`` (oldest first, at most ``limit`` rows, the latest op per
        paper), and the seq to resume from."""
        rows = self.db.rows("SELECT seq, paper_id, op FROM paper_changes WHERE seq > %s ORDER BY seq LIMIT %s", (seq, limit))
        latest: dict[str, str] = {}
        for _, pid, op in rows:
            latest[pid] = op
        return (int(rows[-1][0]) if rows else seq), list(latest.items())

    def pending_papers(self, seq: int) -> int:
        """How many distinct papers changed after ``seq`` (the work a sync has ahead of it)."""
        return int(self.db.one("SELECT count(DISTINCT paper_id) FROM paper_changes WHERE seq > %s", (seq,)))

    def index_seq(self, name: str) -> int:
        value = self.db.one("SELECT seq FROM index_state WHERE name = %s", (name,))
        return 0 if value is None else int(value)

    def set_index_seq(self, name: str, seq: int) -> None:
        self.db.run("INSERT INTO index_state (name, seq) VALUES (%s, %s) ON CONFLICT (name) DO UPDATE SET seq = excluded.seq",
                    (name, seq))

    def forget_index(self, prefix: str, keep: str) -> None:
        """Drop the positions of indexes named ``prefix…`` other than ``keep`` (a pruned model)."""
        self.db.run("DELETE FROM index_state WHERE starts_with(name, %s) AND name <> %s", (prefix, keep))

    def identity(self) -> str:
        """When this catalog was created, its first paper, and its database's oid: tells a saved
        index of this catalog from one of a catalog that replaced it at the same URL (a database
        dropped and created again, or restored from a dump, has a new oid)."""
        created = self.db.one("SELECT applied_at FROM _migrations WHERE name = 'm001_core'")
        first = self.db.one("SELECT paper_id FROM paper_changes ORDER BY seq LIMIT 1")
        return f"{created or ''} {first or ''} {self.db.oid}"
