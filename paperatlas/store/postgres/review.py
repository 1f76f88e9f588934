"""Reading the merge review queue and a person's decisions from PostgreSQL."""

from __future__ import annotations

import json

from ..protocol import Action, Identity, PendingPair
from .connection import Database
from .writer import KEPT_APART


class PostgresReview:
    """``store.protocol.ReviewReads`` over PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def pending(self, limit: int | None = None) -> list[PendingPair]:
        """Pairs waiting for review, best first: one per pair of papers, both papers still apart."""
        rows = self.db.rows(
            "SELECT ra.paper_id, rb.paper_id, pa.title, pb.title, q.score, q.reason FROM merge_review q"
            " JOIN files fa ON fa.source_id = q.a_source JOIN records ra ON ra.file_id = fa.id AND ra.record_key = q.a_key"
            " JOIN files fb ON fb.source_id = q.b_source JOIN records rb ON rb.file_id = fb.id AND rb.record_key = q.b_key"
            " JOIN papers pa ON pa.id = ra.paper_id JOIN papers pb ON pb.id = rb.paper_id"
            " WHERE ra.paper_id <> rb.paper_id ORDER BY q.score DESC, q.id"
        )
        out: dict[frozenset[str], PendingPair] = {}
        for a, b, ta, tb, score, reason in rows:
            out.setdefault(frozenset((a, b)), PendingPair(a, b, ta, tb, score, reason))
        pairs = [p for p in out.values() if self.db.one(KEPT_APART, (p.paper_a, p.paper_b, p.paper_b, p.paper_a)) is None]
        return pairs[:limit] if limit else pairs

    def actions(self) -> list[Action]:
        links: dict[int, list[tuple[str, Identity, Identity]]] = {}
        for action_id, decision, a, ak, b, bk in self.db.rows(
            "SELECT action_id, decision, a_source, a_key, b_source, b_key FROM merge_links ORDER BY seq"
        ):
            links.setdefault(int(action_id), []).append((decision, (a, ak), (b, bk)))
        rows = self.db.rows("SELECT id, kind, decided_at, undone_at, detail FROM merge_actions ORDER BY id")
        return [Action(int(i), k, d, u, json.loads(x), links.get(int(i), [])) for i, k, d, u, x in rows]
