"""Batch mode: one profile a line, named by its papers' source records, for evaluation and scripts.

A line is ``{"qid": ..., "positives": [{"file": "nips2017.json", "record_id": "8860"}, ...],
"negatives": [...], "venue": "NeurIPS", "year": 2018}`` (any search filter may be given); the
answer ``{"qid": ..., "hits": [{"id", "score", "title", "sources": [{"file", "record_id"}],
"why"}]}``, positives left out. A reference this catalog lacks is listed under ``"missing"`` on
that line; a line that cannot be used at all gets ``"error"`` and a ``"hint"``, and the others go on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInput, PaperatlasError
from ..filters import Filters
from . import Params, Profile, recommend

if TYPE_CHECKING:
    from ..app import Atlas

FILTER_KEYS = ("venue", "year", "year_from", "year_to", "track", "session", "author", "has_code")
MAX_PAPERS = 10_000  # references per line


def recommend_batch(atlas: Atlas, lines: Iterable[dict[str, Any]], *, k: int = 100, use_authors: bool = True,
                    params: Params | None = None) -> Iterator[dict[str, Any]]:
    for item in lines:
        qid = item.get("qid")
        if "error" in item:  # a line the reader could not use (not JSON)
            yield {"qid": qid, "error": item["error"], "hint": "each line must be one JSON object", "hits": []}
            continue
        try:
            yield _one(atlas, item, k, use_authors, params or Params())
        except PaperatlasError as exc:
            yield {"qid": qid, "error": exc.message, "hint": exc.hint, "hits": []}


def _one(atlas: Atlas, item: dict[str, Any], k: int, use_authors: bool, params: Params) -> dict[str, Any]:
    qid = item.get("qid")
    positives, missing = _papers(atlas, item.get("positives"), "positives")
    negatives, missing_neg = _papers(atlas, item.get("negatives") or [], "negatives")
    filters = Filters.from_mapping({key: item[key] for key in FILTER_KEYS if key in item}, where=f"qid {qid}")
    profile = Profile(f"batch:{qid}", positives, negatives)
    if not positives:
        raise InvalidInput("none of its positives is in this catalog", hint="ingest the files the positives come from")
    res = recommend(atlas, profile, filters=filters, k=k, use_authors=use_authors, params=params)
    out: dict[str, Any] = {"qid": qid, "hits": [
        {"id": r.id, "score": round(r.score, 6), "title": r.paper.title,
         "sources": [{"file": s.file, "record_id": s.record_id} for s in r.paper.sources], "why": r.why}
        for r in res.items]}
    if missing or missing_neg:
        out["missing"] = missing + missing_neg
    return out


def _papers(atlas: Atlas, refs: Any, field: str) -> tuple[list[str], list[dict[str, str]]]:
    if not isinstance(refs, list) or len(refs) > MAX_PAPERS:
        raise InvalidInput(f"{field} must be a list of at most {MAX_PAPERS} references",
                           hint='e.g. "positives": [{"file": "nips2017.json", "record_id": "8860"}]')
    found, missing = [], []
    for ref in refs:
        if not isinstance(ref, dict) or not isinstance(ref.get("file"), str) or ref.get("record_id") is None:
            raise InvalidInput(f"each of {field} must be {{\"file\", \"record_id\"}}, not {str(ref)[:60]}",
                               hint='e.g. {"file": "nips2017.json", "record_id": "8860"}')
        pid = atlas.store.papers.paper_by_record(ref["file"], str(ref["record_id"]))
        if pid is None:
            missing.append({"file": ref["file"], "record_id": str(ref["record_id"])})
        elif pid not in found:
            found.append(pid)
    return found, missing
