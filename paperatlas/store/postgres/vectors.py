"""Stored vectors in PostgreSQL: pgvector ``halfvec`` values of the int8 components (every int8 is
exact in float16, so what comes back is what was stored), keyed by (model, text hash), and which
text hash each paper is embedded from. Writes run in one transaction each.

Search runs in the local usearch index (``indexes.vectors``) built from these rows, as for a
SQLite catalog (bench/postgres_store.py measured both). ``nearest`` and ``create_search_index``
search in the server with pgvector's HNSW instead, for that comparison and for tools that want it.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from pgvector import HalfVector

from .connection import Connection, Database

HNSW_M = 16  # pgvector's defaults (m, ef_construction), as the benchmark ran them
HNSW_EF_CONSTRUCTION = 64
HNSW_EF_SEARCH = 256  # candidates kept while searching; the same as the usearch index's expansion


def as_int8(value: HalfVector) -> np.ndarray:
    return np.asarray(value.to_numpy(), dtype=np.float32).astype(np.int8)


def index_name(model: str) -> str:
    """The HNSW index of one model's vectors (an identifier from a model name)."""
    return "embeddings_hnsw_" + "".join(c if c.isalnum() else "_" for c in model.lower())[:40]


def _link(conn: Connection, model: str, links: list[tuple[str, str]]) -> None:
    """Papers to the text hash of their vector (a paper linked twice in one call keeps the last
    link, as row-by-row upserts would)."""
    if links:
        conn.execute(
            "INSERT INTO paper_embeddings (paper_id, model, text_hash)"
            " SELECT DISTINCT ON (p) p, %s, h FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS t(p, h, n)"
            " ORDER BY p, n DESC ON CONFLICT (paper_id, model) DO UPDATE SET text_hash = excluded.text_hash",
            (model, [p for p, _ in links], [h for _, h in links]),
        )


class PostgresVectors:
    """``store.protocol.VectorStore`` over PostgreSQL with pgvector."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def existing_hashes(self, model: str, hashes: Iterable[str]) -> set[str]:
        """Which of these text hashes already have a vector for ``model``."""
        wanted = sorted(set(hashes))
        if not wanted:
            return set()
        rows = self.db.rows("SELECT text_hash FROM embeddings WHERE model = %s AND text_hash = ANY(%s)", (model, wanted))
        return {r[0] for r in rows}

    def store(self, model: str, rows: list[tuple[str, np.ndarray, float]], links: list[tuple[str, str]]) -> None:
        """Store (text_hash, int8 vector, scale) rows and link (paper_id, text_hash) pairs, in one
        transaction. A hash stored before keeps its vector."""
        with self.db.transaction() as conn:
            if rows:
                with conn.cursor() as cur:
                    cur.executemany(
                        "INSERT INTO embeddings (model, text_hash, vector, scale) VALUES (%s, %s, %s, %s)"
                        " ON CONFLICT DO NOTHING",
                        [(model, h, HalfVector(np.asarray(v, dtype=np.float32)), float(s)) for h, v, s in rows],
                    )
            _link(conn, model, links)

    def finish_changes(self, model: str, links: list[tuple[str, str]], unlinks: list[str], index_name: str, seq: int) -> None:
        """Link papers whose text was embedded before, unlink deleted (or text-less) papers and
        record that the change feed is applied up to ``seq`` — one transaction."""
        with self.db.transaction() as conn:
            _link(conn, model, links)
            if unlinks:
                conn.execute("DELETE FROM paper_embeddings WHERE model = %s AND paper_id = ANY(%s)", (model, unlinks))
            conn.execute("INSERT INTO index_state (name, seq) VALUES (%s, %s)"
                         " ON CONFLICT (name) DO UPDATE SET seq = excluded.seq", (index_name, seq))

    def paper_vectors(self, model: str, paper_ids: list[str]) -> dict[str, np.ndarray]:
        """The current int8 vector of each of these papers that has one."""
        if not paper_ids:
            return {}
        rows = self.db.rows(
            "SELECT pe.paper_id, e.vector FROM paper_embeddings pe"
            " JOIN embeddings e ON e.model = pe.model AND e.text_hash = pe.text_hash"
            " WHERE pe.model = %s AND pe.paper_id = ANY(%s)",
            (model, list(paper_ids)),
        )
        return {pid: as_int8(vector) for pid, vector in rows}

    def load_all(self, model: str, dim: int) -> tuple[list[str], np.ndarray]:
        """Every linked paper of ``model`` and its int8 vector: ids and an (n, dim) matrix. The
        vectors travel as raw float16 (``halfvec_send``) and are converted in one numpy call."""
        rows = self.db.rows(
            "SELECT pe.paper_id, halfvec_send(e.vector) FROM paper_embeddings pe"
            " JOIN embeddings e ON e.model = pe.model AND e.text_hash = pe.text_hash"
            " WHERE pe.model = %s AND vector_dims(e.vector) = %s",
            (model, dim),
        )
        ids = [r[0] for r in rows]
        raw = b"".join(bytes(r[1])[4:] for r in rows)  # each: int16 dim, int16 unused, dim big-endian float16
        matrix = np.frombuffer(raw, dtype=">f2").astype(np.int8).reshape(len(ids), dim)
        return ids, matrix

    def linked_count(self, model: str) -> int:
        return int(self.db.one("SELECT count(*) FROM paper_embeddings WHERE model = %s", (model,)))

    def coverage_counts(self, model: str) -> tuple[int, int]:
        """(papers with a vector of ``model``, papers with any text to embed)."""
        embedded = self.db.one(
            "SELECT count(*) FROM paper_embeddings pe JOIN papers p ON p.id = pe.paper_id WHERE pe.model = %s", (model,))
        with_text = self.db.one("SELECT count(*) FROM papers WHERE title <> '' OR abstract <> ''")
        return int(embedded), int(with_text)

    def storage_bytes(self, model: str) -> int:
        """Bytes the embeddings tables take on the server (all models), their indexes included."""
        return int(self.db.one("SELECT pg_total_relation_size('embeddings') + pg_total_relation_size('paper_embeddings')"))

    def prune(self, keep_model: str) -> tuple[int, int]:
        """Delete vectors no search can use, in one transaction (see the SQLite store's ``prune``).
        Returns (vectors, links) deleted."""
        with self.db.transaction() as conn:
            links = conn.execute("DELETE FROM paper_embeddings WHERE model <> %s OR paper_id NOT IN (SELECT id FROM papers)",
                                 (keep_model,)).rowcount
            vectors = conn.execute(
                "DELETE FROM embeddings WHERE model <> %s OR text_hash NOT IN"
                " (SELECT text_hash FROM paper_embeddings WHERE model = %s)", (keep_model, keep_model)).rowcount
            conn.execute("DELETE FROM index_state WHERE starts_with(name, 'vectors:') AND name <> %s",
                         (f"vectors:{keep_model}",))
        return vectors, links

    # -- search in the server (pgvector HNSW) ------------------------------------------------------
    def create_search_index(self, model: str, dim: int) -> None:
        """An HNSW index (cosine) over ``model``'s vectors, if there is none yet (minutes at 100k)."""
        name = index_name(model)
        literal = model.replace("'", "''")
        with self.db.connection() as conn:
            conn.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON embeddings USING hnsw ((vector::halfvec({int(dim)})) halfvec_cosine_ops)"
                f" WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION}) WHERE model = '{literal}'".encode()
            )

    def nearest(self, model: str, query: np.ndarray, k: int, ef_search: int = HNSW_EF_SEARCH) -> list[tuple[str, float]]:
        """The ``k`` papers whose ``model`` vectors are closest to ``query`` by cosine, with the
        similarity, from the HNSW index (``create_search_index``) when there is one, keeping
        ``ef_search`` candidates (pgvector's default is 40)."""
        dim = int(np.asarray(query).shape[-1])
        vector = HalfVector(np.asarray(query, np.float32))
        literal = model.replace("'", "''")  # a literal, not a parameter: the planner must see the partial index's predicate
        distance = f"e.vector::halfvec({dim}) <=> %(q)s::halfvec({dim})"
        with self.db.transaction() as conn:
            conn.execute(f"SET LOCAL hnsw.ef_search = {min(max(ef_search, k), 1000)}".encode())
            rows = conn.execute(
                f"SELECT e.text_hash, 1 - ({distance}) FROM embeddings e WHERE e.model = '{literal}'"
                f" ORDER BY {distance} LIMIT %(k)s".encode(),
                {"q": vector, "k": k},
            ).fetchall()
            hashes = [h for h, _ in rows]
            papers = conn.execute("SELECT text_hash, paper_id FROM paper_embeddings WHERE model = %s AND text_hash = ANY(%s)",
                                  (model, hashes)).fetchall()
        by_hash: dict[str, list[str]] = {}
        for h, pid in papers:
            by_hash.setdefault(h, []).append(pid)
        return [(pid, float(sim)) for h, sim in rows for pid in by_hash.get(h, [])][:k]
