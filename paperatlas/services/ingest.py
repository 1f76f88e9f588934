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
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ParseError
from ..ingest import FileReport, Overrides, Parsed, ParseJob, content_hash, fingerprint, parse_job, read_source
from ..ingest.base import Source
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
