"""Helpers shared by the catalog, seed and CLI tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from paperatlas import Atlas, Paper
from paperatlas.search import search


def sql(atlas: Atlas, query: str, args: tuple[Any, ...] = (), *more: str) -> list[tuple[Any, ...]]:
    """Raw SQL on the catalog of either store (``?`` placeholders): ``query``, then the ``more``
    statements (without arguments), in one transaction; the rows of the last. For tests that stand
    in for an edit the application makes elsewhere (or has no API for)."""
    db: Any = atlas.store.db  # type: ignore[attr-defined]
    postgres = hasattr(db, "pool")  # psycopg's placeholders are %s
    with db.transaction() as conn:
        for statement, values in [(query, args), *((m, ()) for m in more)]:
            cursor = conn.execute(statement.replace("?", "%s") if postgres else statement, values)
        return cursor.fetchall() if cursor.description else []


def jsonl_file(path: Path, n: int, start: int = 0, venue: str = "TestConf") -> Path:
    """``n`` records rec{start}.. "Paper number i about topic i%7", by "Author i" and "Shared Person"."""
    with path.open("w") as fp:
        for i in range(start, start + n):
            fp.write(json.dumps({
                "id": f"rec{i}", "title": f"Paper number {i} about topic {i % 7}",
                "authors": [f"Author {i}", "Shared Person"], "abstract": f"Abstract {i} " * 5,
                "venue": venue, "year": 2024,
            }) + "\n")
    return path


def phrase_papers(atlas: Atlas, phrase: str, k: int = 100) -> list[Paper]:
    """Every paper whose text holds ``phrase`` (a quoted keyword search: the words, adjacent, in order)."""
    results = search(atlas, f'"{phrase}"', mode="keyword", k=k)
    assert results.total <= k, "raise k"
    return [h.paper for h in results.hits if h.paper is not None]
