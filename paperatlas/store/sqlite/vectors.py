"""Stored vectors in SQLite (migration m003): int8 vectors keyed by (model, text hash), and which
text hash each paper is embedded from. Writes run in one transaction each, so a crash leaves
whole batches or nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import numpy as np

from .connection import Database, in_chunks


class SQLiteVectors:
    """``store.protocol.VectorStore`` over SQLite."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def existing_hashes(self, model: str, hashes: Iterable[str]) -> set[str]:
        """Which of these text hashes already have a vector for ``model``."""
        found: set[str] = set()
        for chunk, marks in in_chunks(sorted(set(hashes))):
            found.update(
                r[0]
                for r in self.db.execute(
                    f"SELECT text_hash FROM embeddings WHERE model = ? AND text_hash IN ({marks})", [model, *chunk]
                )
            )
        return found

    def store(
        self,
        model: str,
        rows: list[tuple[str, np.ndarray, float]],
        links: list[tuple[str, str]],
    ) -> None:
        """Store (text_hash, int8 vector, scale) rows and link (paper_id, text_hash) pairs, in one
        transaction. A hash stored before keeps its vector."""
        with self.db.transaction():
            self.db.executemany(
                "INSERT OR IGNORE INTO embeddings (model, text_hash, vector, scale) VALUES (?, ?, ?, ?)",
                [(model, h, np.asarray(v, dtype=np.int8).tobytes(), float(s)) for h, v, s in rows],
            )
            self._link(model, links)

    def _link(self, model: str, links: list[tuple[str, str]]) -> None:
        self.db.executemany(
            "INSERT INTO paper_embeddings (paper_id, model, text_hash) VALUES (?, ?, ?)"
            " ON CONFLICT(paper_id, model) DO UPDATE SET text_hash = excluded.text_hash",
            [(pid, model, h) for pid, h in links],
        )

    def finish_changes(
        self,
        model: str,
        links: list[tuple[str, str]],
        unlinks: list[str],
        index_name: str,
        seq: int,
    ) -> None:
        """Link papers whose text was embedded before, unlink deleted (or text-less) papers and
        record that the change feed is applied up to ``seq`` — one transaction."""
        with self.db.transaction():
            self._link(model, links)
            self.db.executemany(
                "DELETE FROM paper_embeddings WHERE paper_id = ? AND model = ?", [(pid, model) for pid in unlinks]
            )
            self.db.execute(
                "INSERT INTO index_state (name, seq) VALUES (?, ?)"
                " ON CONFLICT(name) DO UPDATE SET seq = excluded.seq",
                (index_name, seq),
            )

    def paper_vectors(self, model: str, paper_ids: list[str]) -> dict[str, np.ndarray]:
        """The current int8 vector of each of these papers that has one."""
        out: dict[str, np.ndarray] = {}
        for chunk, marks in in_chunks(paper_ids):
            rows = self.db.execute(
                "SELECT pe.paper_id, e.vector FROM paper_embeddings pe"
                " JOIN embeddings e ON e.model = pe.model AND e.text_hash = pe.text_hash"
                f" WHERE pe.model = ? AND pe.paper_id IN ({marks})",
                [model, *chunk],
            )
            out.update((pid, np.frombuffer(blob, dtype=np.int8)) for pid, blob in rows)
        return out

    def load_all(self, model: str, dim: int) -> tuple[list[str], np.ndarray]:
        """Every linked paper of ``model`` and its int8 vector: ids and an (n, dim) matrix."""
        ids: list[str] = []
        blobs: list[bytes] = []
        rows = self.db.execute(
            "SELECT pe.paper_id, e.vector FROM paper_embeddings pe"
            " JOIN embeddings e ON e.model = pe.model AND e.text_hash = pe.text_hash"
            " WHERE pe.model = ?",
            (model,),
        )
        for pid, blob in rows:
            if len(blob) == dim:
                ids.append(pid)
                blobs.append(blob)
        matrix = np.frombuffer(b"".join(blobs), dtype=np.int8).reshape(len(ids), dim)
        return ids, matrix

    def linked_count(self, model: str) -> int:
        return int(self.db.execute("SELECT count(*) FROM paper_embeddings WHERE model = ?", (model,)).fetchone()[0])

    def coverage_counts(self, model: str) -> tuple[int, int]:
        """(papers with a vector of ``model``, papers with any text to embed)."""
        embedded = self.db.execute(
            "SELECT count(*) FROM paper_embeddings pe JOIN papers p ON p.id = pe.paper_id WHERE pe.model = ?",
            (model,),
        ).fetchone()[0]
        with_text = self.db.execute("SELECT count(*) FROM papers WHERE title != '' OR abstract != ''").fetchone()[0]
        return int(embedded), int(with_text)

    def storage_bytes(self, model: str) -> int:
        """Bytes the embeddings tables take in the file (all models) when SQLite has ``dbstat``;
        otherwise the payload of ``model``'s vectors."""
        try:
            pages = self.db.execute(
                "SELECT sum(pgsize) FROM dbstat WHERE name IN ('embeddings', 'paper_embeddings')"
            ).fetchone()[0]
            return int(pages or 0)
        except sqlite3.OperationalError:
            row = self.db.execute(
                "SELECT coalesce(sum(length(vector) + length(text_hash) + length(model) + 8), 0)"
                " FROM embeddings WHERE model = ?",
                (model,),
            ).fetchone()
            return int(row[0])

    def prune(self, keep_model: str) -> tuple[int, int]:
        """Delete vectors no search can use, in one transaction: those of every model but
        ``keep_model`` (with their index positions), links of papers that no longer exist (merged
        away or deleted), and ``keep_model`` vectors no paper links to. Returns (vectors, links)
        deleted."""
        with self.db.transaction():
            links = self.db.execute(
                "DELETE FROM paper_embeddings WHERE model != ? OR paper_id NOT IN (SELECT id FROM papers)",
                (keep_model,),
            ).rowcount
            vectors = self.db.execute(
                "DELETE FROM embeddings WHERE model != ? OR text_hash NOT IN"
                " (SELECT text_hash FROM paper_embeddings WHERE model = ?)",
                (keep_model, keep_model),
            ).rowcount
            self.db.execute("DELETE FROM index_state WHERE name LIKE 'vectors:%' AND name != ?", (f"vectors:{keep_model}",))
        return vectors, links
