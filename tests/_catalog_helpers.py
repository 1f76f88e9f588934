"""Helpers shared by the catalog, seed and CLI tests."""

from __future__ import annotations

import json
from pathlib import Path

from paperatlas import Atlas, Paper
from paperatlas.search import search


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
