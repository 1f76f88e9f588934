"""SQL of the embeddings tables (migration m003): int8 vectors keyed by (model, text hash), and
which text hash each paper is embedded from.

Every function takes the catalog's connection (autocommit mode); writes run in one explicit
transaction each, so a crash leaves whole batches or nothing.
"""

from __future__ import annotations

import sqlite3
from typing import Iterable

import numpy as np

from .store import in_chunks, transaction


def existing_hashes(db: sqlite3.Connection, model: str, hashes: Iterable[str]) -> set[str]:
    """Which of these text hashes already have a vector for ``model``."""
    found: set[str] = set()
    for chunk, marks in in_chunks(sorted(set(hashes))):
        found.update(
            r[0]
            for r in db.execute(
                f"SELECT text_hash FROM embeddings WHERE model = ? AND text_hash IN ({marks})", [model, *chunk]
            )
        )
    return found


def store(
    db: sqlite3.Connection,
    model: str,
    rows: list[tuple[str, np.ndarray, float]],
    links: list[tuple[str, str]],
) -> None:
    """Store (text_hash, int8 vector, scale) rows and link (paper_id, text_hash) pairs, in one
    transaction. A hash stored before keeps its vector."""
    with transaction(db):
        db.executemany(
            "INSERT OR IGNORE INTO embeddings (model, text_hash, vector, scale) VALUES (?, ?, ?, ?)",
            [(model, h, np.asarray(v, dtype=np.int8).tobytes(), float(s)) for h, v, s in rows],
        )
        _link(db, model, links)


def _link(db: sqlite3.Connection, model: str, links: list[tuple[str, str]]) -> None:
    db.executemany(
        "INSERT INTO paper_embeddings (paper_id, model, text_hash) VALUES (?, ?, ?)"
        " ON CONFLICT(paper_id, model) DO UPDATE SET text_hash = excluded.text_hash",
        [(pid, model, h) for pid, h in links],
    )


def finish_changes(
    db: sqlite3.Connection,
    model: str,
    links: list[tuple[str, str]],
    unlinks: list[str],
    index_name: str,
    seq: int,
) -> None:
    """Link papers whose text was embedded before, unlink deleted (or text-less) papers and
    record that the change feed is applied up to ``seq`` — one transaction."""
    with transaction(db):
        _link(db, model, links)
        db.executemany(
            "DELETE FROM paper_embeddings WHERE paper_id = ? AND model = ?", [(pid, model) for pid in unlinks]
        )
        db.execute(
            "INSERT INTO index_state (name, seq) VALUES (?, ?)"
            " ON CONFLICT(name) DO UPDATE SET seq = excluded.seq",
            (index_name, seq),
        )


def paper_vectors(db: sqlite3.Connection, model: str, paper_ids: list[str]) -> dict[str, np.ndarray]:
    """The current int8 vector of each of these papers that has one."""
    out: dict[str, np.ndarray] = {}
    for chunk, marks in in_chunks(paper_ids):
        rows = db.execute(
            "SELECT pe.paper_id, e.vector FROM paper_embeddings pe"
            " JOIN embeddings e ON e.model = pe.model AND e.text_hash = pe.text_hash"
            f" WHERE pe.model = ? AND pe.paper_id IN ({marks})",
            [model, *chunk],
        )
        out.update((pid, np.frombuffer(blob, dtype=np.int8)) for pid, blob in rows)
    return out


def load_all(db: sqlite3.Connection, model: str, dim: int) -> tuple[list[str], np.ndarray]:
    """Every linked paper of ``model`` and its int8 vector: ids and an (n, dim) matrix."""
    ids: list[str] = []
    blobs: list[bytes] = []
    rows = db.execute(
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


def linked_count(db: sqlite3.Connection, model: str) -> int:
    return int(db.execute("SELECT count(*) FROM paper_embeddings WHERE model = ?", (model,)).fetchone()[0])


def coverage_counts(db: sqlite3.Connection, model: str) -> tuple[int, int]:
    """(papers with a vector of ``model``, papers with any text to embed)."""
    embedded = db.execute(
        "SELECT count(*) FROM paper_embeddings pe JOIN papers p ON p.id = pe.paper_id WHERE pe.model = ?",
        (model,),
    ).fetchone()[0]
    with_text = db.execute("SELECT count(*) FROM papers WHERE title != '' OR abstract != ''").fetchone()[0]
    return int(embedded), int(with_text)


def pending_papers(db: sqlite3.Connection, seq: int) -> int:
    """How many distinct papers changed after ``seq`` (the work a sync has ahead of it)."""
    row = db.execute("SELECT count(DISTINCT paper_id) FROM paper_changes WHERE seq > ?", (seq,)).fetchone()
    return int(row[0])


def catalog_identity(db: sqlite3.Connection) -> str:
    """When this catalog file was created and its first paper: tells a saved index of this
    catalog from one of a catalog that was replaced at the same path."""
    created = db.execute("SELECT applied_at FROM _migrations WHERE name = 'm001_core'").fetchone()
    first = db.execute("SELECT paper_id FROM paper_changes ORDER BY seq LIMIT 1").fetchone()
    return f"{created[0] if created else ''} {first[0] if first else ''}"


def storage_bytes(db: sqlite3.Connection, model: str) -> int:
    """Bytes the embeddings tables take in the file (all models) when SQLite has ``dbstat``;
    otherwise the payload of ``model``'s vectors."""
    try:
        pages = db.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name IN ('embeddings', 'paper_embeddings')"
        ).fetchone()[0]
        return int(pages or 0)
    except sqlite3.OperationalError:
        row = db.execute(
            "SELECT coalesce(sum(length(vector) + length(text_hash) + length(model) + 8), 0)"
            " FROM embeddings WHERE model = ?",
            (model,),
        ).fetchone()
        return int(row[0])


def prune(db: sqlite3.Connection, keep_model: str) -> tuple[int, int]:
    """Delete vectors no search can use, in one transaction: those of every model but
    ``keep_model`` (with their index positions), links of papers that no longer exist (merged
    away or deleted), and ``keep_model`` vectors no paper links to. Returns (vectors, links)
    deleted."""
    with transaction(db):
        links = db.execute(
            "DELETE FROM paper_embeddings WHERE model != ? OR paper_id NOT IN (SELECT id FROM papers)",
            (keep_model,),
        ).rowcount
        vectors = db.execute(
            "DELETE FROM embeddings WHERE model != ? OR text_hash NOT IN"
            " (SELECT text_hash FROM paper_embeddings WHERE model = ?)",
            (keep_model, keep_model),
        ).rowcount
        db.execute("DELETE FROM index_state WHERE name LIKE 'vectors:%' AND name != ?", (f"vectors:{keep_model}",))
    return vectors, links
