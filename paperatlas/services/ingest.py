"""Ingest use cases: files, pasted text and the bundled samples into the catalog.

Each file is parsed (in worker processes for big inputs, a few files ahead of the one writer)
and stored in one writer transaction (``resolve.store_file``). A file whose exact content was
stored before, from any path, is reported unchanged without being parsed. One bad file gets a
report with its error and hint, and the others go on.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ParseError
from ..ingest import (
    FileReport,
    Overrides,
    Parsed,
    ParseJob,
    content_hash,
    field_coverage,
    fingerprint,
    parse_job,
    parse_source,
    read_source,
    record_warnings,
    registry,
    unmapped_fields,
)
from ..ingest.base import ParseContext, Source
from ..models import Record
from ..resolve import store_file
from ..store.protocol import FileInfo, FileState

if TYPE_CHECKING:
    from ..app import Atlas

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
# Below this much input, worker processes cost more than they save.
PARALLEL_MIN_BYTES = 4 * 1024**2
RESULT_FIELDS = ("found", "new", "merged", "unchanged", "updated", "repeated", "review", "candidates", "match_seconds")
Progress = Callable[[int], None]


def ingest_paths(
    atlas: Atlas,
    paths: list[str] | list[Path] | list[str | Path],
    *,
    format: str | None = None,
    overrides: Overrides | None = None,
    skip_bad: bool = False,
    progress: Progress | None = None,
    on_file: Callable[[FileReport], None] | None = None,
) -> list[FileReport]:
    """Ingest files in order, each in its own transaction; parsing overlaps writing on big inputs."""
    plan = _plan(atlas, list(paths), format, overrides or Overrides(), skip_bad)
    reports = []
    for item in _parsed_in_order(plan, atlas.settings.parse_workers):
        report = item if isinstance(item, FileReport) else _store(atlas, item, progress)
        reports.append(report)
        if on_file:
            on_file(report)
    return reports


def ingest_bytes(
    atlas: Atlas,
    name: str,
    data: bytes,
    *,
    format: str | None = None,
    overrides: Overrides | None = None,
    skip_bad: bool = False,
    label: str | None = None,
) -> FileReport:
    """Parse and store one pasted text or uploaded file (``label`` names it in the catalog); the
    report carries any error instead of raising."""
    overrides = overrides or Overrides()
    try:
        source = Source.from_bytes(name, data)
    except ParseError as exc:
        return FileReport(path=name, error=f"{exc.where()}: {exc.message}", hint=exc.hint)
    job = ParseJob(name, label or f"web:{name}", fingerprint(data, format, overrides, skip_bad), content_hash(data),
                   format, overrides, skip_bad, source)
    known = atlas.store.papers.file_by_fingerprint(job.fingerprint)
    return _unchanged(atlas, job, known) if known else _store(atlas, parse_job(job), None)


PREVIEW_RECORDS = 20


@dataclass
class Preview:
    """What storing one pasted text or uploaded file would read, read without storing it."""

    report: FileReport  # format, records found, warnings, coverage, claimed total; or the error and hint
    records: list[Record] = field(default_factory=list)  # the first few records, cleaned
    format: str | None = None  # the format to store it with (None: detect, as ``ingest_bytes`` does)
    detected_by: str = "sniff"  # "format" (asked for), "sniff" (a parser claimed it) or "parsing"
    key: str = ""  # the ingest fingerprint: the same text, format and options store what was previewed
    known: bool = False  # this exact text with these options is in the catalog already


def paste_format(name: str, data: bytes, format: str | None = None) -> tuple[str | None, str]:
    """The format to read a paste or upload with, and how it was found: the one asked for
    ("format"); the one a parser confidently claims ("sniff": returned as None, so the text is
    detected and fingerprinted as the CLI does); else the one that reads the text best
    ("parsing", ``registry.detect_by_parsing``: named, so storing reads it as the preview did)."""
    if format:
        return format, "format"
    try:
        found = registry.detect_by_parsing(Source.from_bytes(name, data))
    except ParseError:
        return None, "sniff"  # reading it reports the error
    return (found.name if found.by == "parsing" else None), found.by


def preview_bytes(
    atlas: Atlas,
    name: str,
    data: bytes,
    *,
    format: str | None = None,
    overrides: Overrides | None = None,
    skip_bad: bool = False,
    limit: int = PREVIEW_RECORDS,
) -> Preview:
    """Read one pasted text or uploaded file as ``ingest_bytes`` would store it (same format,
    overrides and checks), without storing anything: the report and the first ``limit`` records.
    The report carries any error instead of raising."""
    overrides = overrides or Overrides()
    chosen, by = paste_format(name, data, format)
    key = fingerprint(data, chosen, overrides, skip_bad)
    preview = Preview(FileReport(path=name), format=chosen, detected_by=by, key=key)
    report = preview.report
    ctx = ParseContext(path=name, skip_bad=skip_bad, **asdict(overrides))
    try:
        report.format, records = parse_source(Source.from_bytes(name, data), ctx, chosen)
    except ParseError as exc:
        report.error, report.hint = f"{exc.where()}: {exc.message}", exc.hint
        return preview
    report.found = len(records)
    report.claimed_total, report.page_venue, report.page_track = ctx.claimed_total, ctx.page_venue, ctx.page_track
    report.warnings = ctx.warnings + [w for r in records for w in record_warnings(r)]
    report.coverage, report.unmapped = field_coverage(records), unmapped_fields(records)
    preview.records = records[: max(0, limit)]
    preview.known = atlas.store.papers.file_by_fingerprint(key) is not None
    return preview


def ingest_samples(atlas: Atlas, on_file: Callable[[FileReport], None] | None = None) -> list[FileReport]:
    """The bundled sample listings (the five seed pages), with the venue and year each page is
    known to be from (their manifest), since the pages themselves do not always say."""
    manifest = json.loads((SAMPLES / "manifest.json").read_text())["files"]
    reports = []
    for path in sorted(SAMPLES.glob("*.txt")):
        known = {k: v for k, v in manifest.get(path.name, {}).items() if k in ("venue", "year", "track", "session")}
        reports += ingest_paths(atlas, [path], overrides=Overrides(**known), on_file=on_file)
    return reports


def _store(atlas: Atlas, parsed: Parsed, progress: Progress | None) -> FileReport:
    report, info, items = parsed
    if info is None:
        return report
    with atlas.store.writer() as w:
        result = store_file(w, info, items, progress)
    for name in RESULT_FIELDS:
        setattr(report, name, getattr(result, name))
    report.same_as = result.same_file
    report.paper_ids = list(dict.fromkeys(result.paper_ids))
    report.warnings += result.warnings
    return report


def _unchanged(atlas: Atlas, job: ParseJob, known: FileState) -> FileReport:
    """This exact content was stored before (maybe from another path): nothing to parse. When
    the stored path is gone (a moved data folder), the file is remembered at its new place."""
    moved = known.path != job.key and known.path.startswith("/") and not Path(known.path).exists()
    if moved:
        info = FileInfo(job.key, Path(job.path).name, job.fingerprint, job.content_hash, known.format)
        with atlas.store.writer() as w:
            w.relocate_file(known, info)
    return FileReport(path=job.path, format=known.format, found=known.records, unchanged=known.records,
                      claimed_total=known.claimed_total, page_venue=known.page_venue, page_track=known.page_track,
                      same_as=None if moved or known.path == job.key else known.path,
                      paper_ids=atlas.store.papers.paper_ids_of_file(known.id))


def _plan(
    atlas: Atlas, paths: list[str | Path], format: str | None, overrides: Overrides, skip_bad: bool
) -> list[FileReport | ParseJob]:
    """For each path: a finished report (unreadable, or unchanged since last time) or a job."""
    plan: list[FileReport | ParseJob] = []
    for path in paths:
        p = Path(path)
        try:
            if not p.is_file():
                read_source(p)  # raises the right ParseError (missing, directory, ...)
            raw = p.read_bytes()
        except ParseError as exc:
            plan.append(FileReport(path=str(path), error=f"{exc.where()}: {exc.message}", hint=exc.hint))
            continue
        except OSError as exc:
            plan.append(FileReport(path=str(path), error=f"{path}: cannot read ({exc.strerror})", hint="check permissions"))
            continue
        job = ParseJob(str(path), str(p.resolve()), fingerprint(raw, format, overrides, skip_bad), content_hash(raw),
                       format, overrides, skip_bad)
        known = atlas.store.papers.file_by_fingerprint(job.fingerprint)
        plan.append(_unchanged(atlas, job, known) if known else job)
    return plan


def _parsed_in_order(plan: list[FileReport | ParseJob], workers: int) -> Iterator[FileReport | Parsed]:
    """Parse jobs in worker processes, a few files ahead of the writer, results in input order."""
    jobs = [item for item in plan if isinstance(item, ParseJob)]
    size = sum(Path(j.path).stat().st_size for j in jobs)
    if len(jobs) < 2 or size < PARALLEL_MIN_BYTES or workers < 1:
        yield from (parse_job(item) if isinstance(item, ParseJob) else item for item in plan)
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork")) as pool:
        pending: deque[tuple[ParseJob, Future[Parsed]] | FileReport] = deque()
        for item in plan:
            pending.append((item, pool.submit(parse_job, item)) if isinstance(item, ParseJob) else item)
            while len(pending) > workers + 1:
                yield _result(pending.popleft())
        while pending:
            yield _result(pending.popleft())


def _result(entry: tuple[ParseJob, Future[Parsed]] | FileReport) -> FileReport | Parsed:
    if isinstance(entry, FileReport):
        return entry
    job, future = entry
    try:
        return future.result()
    except BrokenProcessPool:  # the worker died (out of memory?): parse here instead
        return parse_job(job)
