"""Helpers shared by the search tests: tiny catalogs written as JSONL and ingested for real."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from paperatlas import Atlas, Filters
from paperatlas.services.ingest import ingest_paths

SETTLE_S = 60.0  # ingest starts a background keyword sync: tests wait for it


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def ingest_records(atlas: Atlas, path: Path, records: list[dict[str, Any]]) -> None:
    """Write ``records`` to ``path``, ingest it and wait for the background keyword sync."""
    reports = ingest_paths(atlas, [write_jsonl(path, records)])
    assert all(r.ok for r in reports), reports
    assert atlas.settle(SETTLE_S)


def ids_by_record(atlas: Atlas) -> dict[str, str]:
    """Source record id -> paper id."""
    return {rec.record_id: paper.id for paper in atlas.store.papers.iter(Filters())
            for _, rec in atlas.store.papers.records_of(paper.id)}
