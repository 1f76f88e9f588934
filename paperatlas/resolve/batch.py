"""Storing one file's records: which are unchanged, updated, new, or repeated, and which paper
each new one joins. Runs inside one writer transaction (``store.writer()``), so a file is in the
catalog whole or not at all.

- A file whose exact content was stored before (from any path) is unchanged: nothing is read.
- A changed copy (same path, or same bytes read with other options) updates its records in
  place; records no longer in it stay, with a warning.
- New records are matched all at once (``matcher.Matcher``), stored in one statement, their
  papers refreshed once each, and a person's earlier 'same' decisions enforced.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import review
from .matcher import Evidence, Matcher, file_blocks
from .prepare import Prepared, paper_seed

if TYPE_CHECKING:
    from ..store.protocol import CatalogWriter, FileInfo, FileState


@dataclass
class BatchResult:
    found: int = 0
    new: int = 0
    merged: int = 0
    unchanged: int = 0
    updated: int = 0
    repeated: int = 0  # the same record twice in one file: kept once
    review: int = 0  # new papers that may be another paper: a pair waits in the review queue
    decided: int = 0  # records placed by a person's earlier merge/split decision
    candidates: int = 0  # (record, paper) pairs that blocking found and the rules judged
    joined: int = 0  # papers merged into another because one new record matched both
    match_seconds: float = 0.0  # spent finding and judging candidates (the rest is storing)
    not_in_file_any_more: int = 0
    same_file: str | None = None  # the stored file this content was already read from
    warnings: list[str] = field(default_factory=list)
    paper_ids: list[str] = field(default_factory=list)


Progress = Callable[[int], None]
PROGRESS_EVERY = 500


def store_file(w: CatalogWriter, info: FileInfo, items: list[Prepared], progress: Progress | None = None) -> BatchResult:
    """Store one file's prepared records (inside the caller's writer transaction)."""
    result = BatchResult(found=len(items))
    known = w.find_file(info)
    if known is not None and known.fingerprint == info.fingerprint:
        result.unchanged = len(items)
        result.same_file = known.path
        return result
    state = w.save_file(info, len(items), known)
    _write_records(_Batch(w, state), items, result, progress)
    return result


class _Batch:
    """What storing one file shares: the writer, the file, the papers it touches."""

    def __init__(self, w: CatalogWriter, file: FileState) -> None:
        self.w, self.file = w, file
        self.evidence = Evidence(w)
        self.touched: set[str] = set()
        self.now = w.now()


def _write_records(b: _Batch, items: list[Prepared], result: BatchResult, progress: Progress | None) -> None:
    existing = b.w.file_records(b.file.id)
    first_of: dict[str, int] = {}  # content digest -> the first new record with that content
    for i, item in enumerate(items):
        item.info.files = {b.file.id}
        if item.key not in existing:
            first_of.setdefault(item.digest, i)
    started = time.perf_counter()
    plan = Matcher(b.w, b.evidence, b.file.source_id).plan([items[i] for i in sorted(first_of.values())])
    result.match_seconds = time.perf_counter() - started
    result.candidates, result.decided, result.review = plan.candidates, plan.decided, len(plan.pending)
    placed: dict[int, str] = {}
    for i, item in enumerate(items):
        if item.key in existing:
            pid = _write_known(b, item, existing[item.key], result)
        elif first_of[item.digest] != i:
            pid = _write_repeat(b, item, items[first_of[item.digest]], placed[first_of[item.digest]], result)
        else:
            pid = placed[i] = _write_new(b, item, plan.get(item.key), result)
        result.paper_ids.append(pid)
        if progress and (i + 1) % PROGRESS_EVERY == 0:
            progress(PROGRESS_EVERY)
    if progress:
        progress(len(items) % PROGRESS_EVERY)
    _finish(b, plan, [items[i] for i in placed], list(placed.values()), result)
    gone = set(existing) - {item.key for item in items}
    result.not_in_file_any_more = len(gone)
    if gone:
        result.warnings.append(
            f"{len(gone)} records from the previous ingest of this file are not in it any more;"
            " they stay in the catalog"
        )


def _finish(b: _Batch, plan: Matcher, new: list[Prepared], pids: list[str], result: BatchResult) -> None:
    """Store the new records, their keys and review pairs; join bridged papers; refresh papers."""
    b.w.flush_records()
    match_keys, block_keys = file_blocks(new, pids)
    b.w.add_keys(match_keys, block_keys)
    for key, pid, score, reason in plan.reviews():
        review.queue(b.w, (b.file.source_id, key), pid, score, reason, b.now)
    for keep, other in plan.bridges:
        review.absorb(b.w, keep, other)
        b.touched.discard(other)
        result.joined += 1
    for pid in sorted(b.touched):
        review.refresh(b.w, pid, b.now)
    review.enforce(b.w, b.file.source_id)


def _write_repeat(b: _Batch, item: Prepared, first: Prepared, pid: str, result: BatchResult) -> str:
    """The same record twice in one file: stored, in the first one's paper, with a warning."""
    result.repeated += 1
    result.warnings.append(f"record {item.rec.position} repeats record {first.rec.position} of this file; kept once")
    b.w.add_record(b.file.id, item, pid)
    return pid


def _write_known(b: _Batch, item: Prepared, known: tuple[int, str, str], result: BatchResult) -> str:
    """A record this file had before: it stays with its paper; new content refreshes the paper."""
    pk, old_digest, pid = known
    if old_digest == item.digest:
        result.unchanged += 1
        return pid
    b.w.update_record(pk, item)
    b.evidence.forget(pid)
    b.touched.add(pid)
    result.updated += 1
    return pid


def _write_new(b: _Batch, item: Prepared, pid: str | None, result: BatchResult) -> str:
    """A record new to this file: into the paper the matcher chose, or a paper of its own."""
    if pid is None:
        pk = b.w.next_record_pk()
        pid = b.w.new_paper(paper_seed(item), item.row, {name: pk for name in item.shown}, b.now)
        b.w.add_record(b.file.id, item, pid, pk)
        result.new += 1
        return pid
    b.w.add_record(b.file.id, item, pid)
    b.touched.add(pid)
    result.merged += 1
    return pid


__all__ = ["BatchResult", "store_file"]
