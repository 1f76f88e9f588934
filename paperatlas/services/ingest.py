"""Ingest use cases: files, pasted text and the bundled samples into the catalog.

Each file is parsed (a big one in a child process: killable, time-limited, a few files ahead of
the one writer; ``isolated``) and stored in one writer transaction (``resolve.store_file``). A
file whose exact content was stored before, from any path, is reported unchanged without being
parsed. Whatever goes wrong with one file (unreadable, over a limit, a parser or store error)
becomes its report's error and hint, nothing of it is stored, and the other files go on. Long
work checks ``deadline.check`` between steps, so a web import past its budget or a server
shutting down stops soon, rolled back.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .. import deadline
from ..errors import PaperatlasError, ParseError
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
    read_raw,
    record_warnings,
    registry,
    unmapped_fields,
)
from ..ingest.base import ParseContext, Source
from ..ingest.limits import Limits
from ..models import Record
from ..resolve import store_file
from ..store.protocol import FileInfo, FileState
from .isolated import Child, ChildDied, ChildTimeout, run_isolated

if TYPE_CHECKING:
    from ..app import Atlas

log = logging.getLogger("paperatlas.ingest")
SAMPLES = Path(__file__).resolve().parent.parent / "samples"
# From this size on a file is read in a child process: below it, a fork costs more than it saves
# and the linear-time parsers take well under a second (bench/parser_worst_case.py).
ISOLATE_MIN_BYTES = 256 * 1024
GZIP_MAGIC = b"\x1f\x8b"
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
    limits = Limits.of(atlas.settings)
    plan = _plan(atlas, list(paths), format, overrides or Overrides(), skip_bad, limits)
    reports = []
    for item in _parsed_in_order(plan, atlas.settings.parse_workers, limits):
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
    limits = Limits.of(atlas.settings)
    job = ParseJob(name, label or f"web:{name}", fingerprint(data, format, overrides, skip_bad), content_hash(data),
                   format, overrides, skip_bad, limits=limits, data=data)
    known = atlas.store.papers.file_by_fingerprint(job.fingerprint)
    if known:
        return _unchanged(atlas, job, known)
    parsed = _answer(job, Child(parse_job, job)) if _isolate(data) else parse_job(job)
    return _store(atlas, parsed, None)


def _isolate(data: bytes) -> bool:
    """Read in a child process: big data, and gzip data of any size (it may inflate to the
    limit, which must not happen in a server's memory)."""
    return len(data) >= ISOLATE_MIN_BYTES or data[:2] == GZIP_MAGIC


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
    limits = Limits.of(atlas.settings)
    chosen, by = paste_format(name, data, format)
    key = fingerprint(data, chosen, overrides, skip_bad)
    preview = Preview(FileReport(path=name), format=chosen, detected_by=by, key=key)
    args = (name, data, chosen, overrides, skip_bad, limits, limit)
    try:
        if _isolate(data):
            preview.report, preview.records = run_isolated(read_preview, *args, timeout_s=limits.parse_timeout_s)
        else:
            preview.report, preview.records = read_preview(*args)
    except (ChildTimeout, ChildDied, RuntimeError) as exc:
        preview.report.error, preview.report.hint = _failure(name, exc, limits)
        return preview
    preview.known = preview.report.ok and atlas.store.papers.file_by_fingerprint(key) is not None
    return preview


def read_preview(name: str, data: bytes, chosen: str | None, overrides: Overrides, skip_bad: bool, limits: Limits,
                 limit: int) -> tuple[FileReport, list[Record]]:
    """The report of reading ``data`` as ``chosen`` (None: detected) and its first ``limit``
    records; pure, so it runs in a child process for big inputs."""
    report = FileReport(path=name)
    ctx = ParseContext(path=name, skip_bad=skip_bad, limits=limits, **asdict(overrides))
    try:
        report.format, records = parse_source(Source.from_bytes(name, data, limits.max_bytes), ctx, chosen)
    except ParseError as exc:
        report.error, report.hint = f"{exc.where()}: {exc.message}", exc.hint
        return report, []
    report.found = len(records)
    report.claimed_total, report.page_venue, report.page_track = ctx.claimed_total, ctx.page_venue, ctx.page_track
    report.warnings = ctx.warnings + [w for r in records for w in record_warnings(r)]
    report.coverage, report.unmapped = field_coverage(records), unmapped_fields(records)
    return report, records[: max(0, limit)]


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

    def step(done: int) -> None:
        deadline.check("the import")
        if progress:
            progress(done)

    deadline.check("the import")
    try:
        with atlas.store.writer() as w:
            result = store_file(w, info, items, step)
    except PaperatlasError:  # cancelled, busy, a catalog that cannot be written: the command's error
        raise
    except Exception as exc:  # noqa: BLE001 - one file's failure must not stop the others; it was rolled back
        log.exception("storing %s failed", report.path)
        report.error = f"{report.path}: internal error while storing the records ({type(exc).__name__}: {exc})"
        report.hint = "nothing of this file was stored; please report this with the file"
        return report
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
    atlas: Atlas, paths: list[str | Path], format: str | None, overrides: Overrides, skip_bad: bool, limits: Limits
) -> list[FileReport | ParseJob]:
    """For each path: a finished report (unreadable, or unchanged since last time) or a job."""
    plan: list[FileReport | ParseJob] = []
    for path in paths:
        p = Path(path)
        try:
            raw = read_raw(p, limits)  # a regular file, not too big (or the ParseError that says why)
        except ParseError as exc:
            plan.append(FileReport(path=str(path), error=f"{exc.where()}: {exc.message}", hint=exc.hint))
            continue
        job = ParseJob(str(path), str(p.resolve()), fingerprint(raw, format, overrides, skip_bad), content_hash(raw),
                       format, overrides, skip_bad, limits=limits)
        known = atlas.store.papers.file_by_fingerprint(job.fingerprint)
        plan.append(_unchanged(atlas, job, known) if known else job)
    return plan


def _parsed_in_order(plan: list[FileReport | ParseJob], workers: int, limits: Limits) -> Iterator[FileReport | Parsed]:
    """Each job parsed, results in input order: small files here when their turn comes, big ones
    in child processes started up to ``workers`` ahead of the writer. Children still running
    when the caller stops (an error, a cancel) are killed."""
    pending: deque[tuple[ParseJob, Child[Parsed] | None] | FileReport] = deque()
    try:
        for item in plan:
            if isinstance(item, FileReport):
                pending.append(item)
            else:
                pending.append((item, Child(parse_job, item) if _size(item) >= ISOLATE_MIN_BYTES else None))
            while _children(pending) > max(workers, 1) or len(pending) > workers + 1:
                yield _result(pending.popleft(), limits)
        while pending:
            yield _result(pending.popleft(), limits)
    finally:
        for entry in pending:
            if not isinstance(entry, FileReport) and entry[1] is not None:
                entry[1].kill()


def _children(pending: deque[tuple[ParseJob, Child[Parsed] | None] | FileReport]) -> int:
    return sum(1 for entry in pending if not isinstance(entry, FileReport) and entry[1] is not None)


def _size(job: ParseJob) -> int:
    if job.source is not None:
        return len(job.source.data)
    return len(job.data) if job.data is not None else Path(job.path).stat().st_size


def _result(entry: tuple[ParseJob, Child[Parsed] | None] | FileReport, limits: Limits) -> FileReport | Parsed:
    if isinstance(entry, FileReport):
        return entry
    job, child = entry
    deadline.check("the import")
    return parse_job(job) if child is None else _answer(job, child)


def _answer(job: ParseJob, child: Child[Parsed]) -> Parsed:
    """A child's parse, or the report of why there is none (the limit, the crash)."""
    try:
        return child.result(job.limits.parse_timeout_s)
    except (ChildTimeout, ChildDied, RuntimeError) as exc:
        error, hint = _failure(job.path, exc, job.limits)
        return FileReport(path=job.path, error=error, hint=hint), None, []


def _failure(path: str, exc: Exception, limits: Limits) -> tuple[str, str]:
    if isinstance(exc, ChildTimeout):
        return (f"{path}: reading the file took longer than {limits.parse_timeout_s:g} s (the limit is parse_timeout_s)",
                "split the file, or raise the limit: PAPERATLAS_PARSE_TIMEOUT_S=… or `parse_timeout_s = …` in config.toml")
    if isinstance(exc, ChildDied):
        return f"{path}: {exc}", "split the file into smaller ones, or lower max_file_mb to refuse such files early"
    return f"{path}: internal error while reading ({exc})", "please report this with the file; try --format NAME meanwhile"
