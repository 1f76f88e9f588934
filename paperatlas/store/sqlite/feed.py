"""The change feed (``paper_changes``: every insert, update or delete of a paper, in order) and
how far each derived index has read it (``index_state``)."""

from __future__ import annotations

from .connection import Database


class SQLiteFeed:
    """``store.protocol.ChangeFeed`` over SQLite."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def last_change(self) -> int:
        return int(self.db.one("SELECT coalesce(max(seq), 0) FROM paper_changes"))

    def changes_since(self, seq: int, limit: int = 10_000) -> tuple[int, list[tuple[str, str]]]:
        """Paper changes after ``seq`` (oldest first, at most ``limit`` rows, the latest op per
        paper), and the seq to resume from."""
        rows = self.db.execute(
            "SELECT seq, paper_id, op FROM paper_changes WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)
        ).fetchall()
        latest: dict[str, str] = {}
        for _, pid, op in rows:
            latest[pid] = op
        return (rows[-1][0] if rows else seq), list(latest.items())

    def pending_papers(self, seq: int) -> int:
        """How many distinct papers changed after ``seq`` (the work a sync has ahead of it)."""
        return int(self.db.one("SELECT count(DISTINCT paper_id) FROM paper_changes WHERE seq > ?", (seq,)))

    def index_seq(self, name: str) -> int:
        value = self.db.one("SELECT seq FROM index_state WHERE name = ?", (name,))
        return 0 if value is None else int(value)

    def set_index_seq(self, name: str, seq: int) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO index_state (name, seq) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET seq = excluded.seq",
                (name, seq),
            )

    def forget_index(self, prefix: str, keep: str) -> None:
        """Drop the positions of indexes named ``prefix…`` other than ``keep`` (a pruned model)."""
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM index_state WHERE name LIKE ? AND name != ?", (prefix + "%", keep))

    def identity(self) -> str:
        """When this catalog was created and its first paper: tells a saved index of this catalog
        from one of a catalog that was replaced at the same path."""
        created = self.db.one("SELECT applied_at FROM _migrations WHERE name = 'm001_core'")
        first = self.db.one("SELECT paper_id FROM paper_changes ORDER BY seq LIMIT 1")
        return f"{created or ''} {first or ''}"
