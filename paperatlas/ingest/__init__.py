"""Ingest: read files, detect their format, parse, clean, and store each file in one transaction.

``ingest_paths(catalog, paths)`` is what the CLI, the web import page and the benchmarks call;
it returns one ``FileReport`` per file and never raises for a bad file (the report carries the
error), so one bad file does not stop the others.
"""

from __future__ import annotations

import hashlib
import json
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, Iterator, Union

from ..catalog import Catalog, FileInfo
from ..catalog.write import Prepared, prepare
from ..errors import ParseError
from ..models import Record
from ..normalize import clean_record
from . import registry
from .base import ParseContext, Source

MAX_FILE_BYTES = 2 * 1024**3
# Below this much input, worker processes cost more than they save.
PARALLEL_MIN_BYTES = 4 * 1024**2
# Parsing is ~2/3 of the work and writing (one SQLite writer) ~1/3: two parse workers keep the
# writer busy on a 2-core machine.
PARSE_WORKERS = 2


@dataclass
class Overrides:
    """What the user says about the files (--venue etc.): fills in what a page does not say."""

    venue: str | None = None
    year: int | None = None
    track: str | None = None
    session: str | None = None


@dataclass
class FileReport:
    path: str
    format: str | None = None
    found: int = 0
    new: int = 0
    merged: int = 0
    unchanged: int = 0
    updated: int = 0
    repeated: int = 0
    review: int = 0  # new papers with a possible twin, queued for `paperatlas merges --pending`
    candidates: int = 0  # (record, paper) pairs that blocking found and the merge rules judged
    match_seconds: float = 0.0  # time spent finding and judging those candidates
    claimed_total: int | None = None
    page_venue: str | None = None
    page_track: str | None = None
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    hint: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def completeness(self) -> str | None:
        """"25 of 693 present: the copy is truncated" when the page claims more than it holds."""
        if self.claimed_total is None or self.error:
            return None
        if self.found < self.claimed_total:
            return f"{self.found} of {self.claimed_total} present: the copy is truncated"
        if self.found > self.claimed_total:
            return f"{self.found} records but the page claims {self.claimed_total}"
        return f"all {self.claimed_total} present"

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["completeness"] = self.completeness
        return data


def read_source(path: str | Path) -> Source:
    p = Path(path)
    if not p.exists():
        raise ParseError("no such file", path=str(path), hint="check the path")
    if p.is_dir():
        raise ParseError("is a directory", path=str(path), hint="pass the files inside it (dir/*)")
    if p.stat().st_size > MAX_FILE_BYTES:
        raise ParseError("the file is larger than 2 GiB", path=str(path), hint="split it")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ParseError(f"cannot read the file ({exc.strerror})", path=str(path), hint="check permissions") from None
    return Source.from_bytes(str(path), raw)


def choose_parser(source: Source, format: str | None = None) -> str:
    """The format name to read ``source`` as: the one asked for, or the detected one."""
    try:
        return registry.get(format).NAME if format else registry.detect(source).NAME
    except ParseError as exc:
        exc.path = exc.path or source.path
        raise


def parse_source(source: Source, ctx: ParseContext, format: str | None = None) -> tuple[str, list[Record]]:
    """Detect (or take) the format and parse every record, cleaned. Raises only ParseError."""
    name = choose_parser(source, format)
    try:
        records = [clean_record(rec) for rec in registry.get(name).parse(source, ctx)]
    except ParseError as exc:
        exc.path = exc.path or source.path
        raise
    except RecursionError:
        raise ParseError("the data is nested too deeply", path=source.path, hint="is it the right file?") from None
    except Exception as exc:  # a bug in a parser must not take the other files down
        raise ParseError(
            f"internal error while parsing ({type(exc).__name__}: {exc})",
            path=source.path,
            hint="please report this with the file; try --format NAME meanwhile",
        ) from exc
    if not records:
        raise ParseError(
            f"no records found (read as {name})",
            path=source.path,
            hint="is the copy complete? pass --format NAME if the format was guessed wrong",
        )
    _fill_in(records, ctx)
    return name, records


def _fill_in(records: list[Record], ctx: ParseContext) -> None:
    for rec in records:
        rec.venue = rec.venue or ctx.venue
        rec.year = rec.year or ctx.year
        rec.track = rec.track or ctx.track
        rec.session = rec.session or ctx.session


def fingerprint(raw: bytes, format: str | None, overrides: Overrides, skip_bad: bool = False) -> str:
    """Identity of one ingest of a file: its bytes as stored on disk plus what the user asked."""
    h = hashlib.sha256(raw)
    h.update(json.dumps([format, asdict(overrides), skip_bad], sort_keys=True).encode())
    return h.hexdigest()


@dataclass
class _Job:
    """One file to parse: everything a worker process needs, nothing it cannot pickle."""

    path: str
    key: str
    fingerprint: str
    format: str | None
    overrides: Overrides
    skip_bad: bool
    source: Source | None = None  # given for pasted text; read from ``path`` otherwise


_Parsed = tuple[FileReport, Union[FileInfo, None], list[Prepared]]


def _parse_job(job: _Job) -> _Parsed:
    """Read, detect, parse, clean and prepare one file; pure (no catalog), so it can run anywhere."""
    report = FileReport(path=job.path)
    ctx = ParseContext(path=job.path, skip_bad=job.skip_bad, **asdict(job.overrides))
    try:
        source = job.source or read_source(job.path)
        report.format, records = parse_source(source, ctx, job.format)
    except ParseError as exc:
        report.error, report.hint = f"{exc.where()}: {exc.message}", exc.hint
        return report, None, []
    report.claimed_total, report.page_venue, report.page_track = ctx.claimed_total, ctx.page_venue, ctx.page_track
    report.warnings = ctx.warnings + [w for r in records for w in _record_warnings(r)]
    info = FileInfo(
        path=job.key,
        name=Path(job.path).name,
        fingerprint=job.fingerprint,
        format=report.format,
        claimed_total=ctx.claimed_total,
        page_venue=ctx.page_venue,
        page_track=ctx.page_track,
    )
    return report, info, prepare(records)


def _store(catalog: Catalog, parsed: _Parsed, progress: Callable[[int], None] | None) -> FileReport:
    report, info, items = parsed
    if info is None:
        return report
    result = catalog.write_batch(info, items, progress)
    for name in ("found", "new", "merged", "unchanged", "updated", "repeated", "review", "candidates", "match_seconds"):
        setattr(report, name, getattr(result, name))
    report.warnings += result.warnings
    return report


def ingest_source(
    catalog: Catalog,
    source: Source,
    *,
    format: str | None = None,
    overrides: Overrides | None = None,
    skip_bad: bool = False,
    label: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> FileReport:
    """Parse and store one source (e.g. pasted text, with ``label`` naming it in the catalog)."""
    overrides = overrides or Overrides()
    key = label or str(Path(source.path).resolve())
    print_ = fingerprint(source.data, format, overrides, skip_bad)
    if (seen := catalog.unchanged_file(key, print_)) is not None:
        return _unchanged_report(FileReport(path=source.path), seen)
    job = _Job(source.path, key, print_, format, overrides, skip_bad, source)
    return _store(catalog, _parse_job(job), progress)


def _unchanged_report(report: FileReport, seen: dict[str, object]) -> FileReport:
    """This exact file was ingested before: nothing to parse, nothing changes."""
    report.found = report.unchanged = int(seen["records"])  # type: ignore[call-overload]
    report.claimed_total = seen["claimed_total"]  # type: ignore[assignment]
    report.page_venue = seen["page_venue"]  # type: ignore[assignment]
    report.page_track = seen["page_track"]  # type: ignore[assignment]
    report.format = str(seen["format"])
    return report


def _record_warnings(rec: Record) -> list[str]:
    where = f"record {rec.position}" + (f" (line {rec.line})" if rec.line else "")
    return [f"{where}: {w}" for w in rec.warnings]


def _plan(
    catalog: Catalog, paths: list[str | Path], format: str | None, overrides: Overrides, skip_bad: bool
) -> list[FileReport | _Job]:
    """For each path: a finished report (unreadable, or unchanged since last time) or a job."""
    plan: list[FileReport | _Job] = []
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
        key = str(p.resolve())
        print_ = fingerprint(raw, format, overrides, skip_bad)
        seen = catalog.unchanged_file(key, print_)
        if seen is not None:
            plan.append(_unchanged_report(FileReport(path=str(path)), seen))
        else:
            plan.append(_Job(str(path), key, print_, format, overrides, skip_bad))
    return plan


def _parsed_in_order(plan: list[FileReport | _Job]) -> Iterator[FileReport | _Parsed]:
    """Parse jobs in worker processes, a few files ahead of the writer, results in input order."""
    jobs = [item for item in plan if isinstance(item, _Job)]
    size = sum(Path(j.path).stat().st_size for j in jobs)
    if len(jobs) < 2 or size < PARALLEL_MIN_BYTES:
        yield from (_parse_job(item) if isinstance(item, _Job) else item for item in plan)
        return
    with ProcessPoolExecutor(max_workers=PARSE_WORKERS, mp_context=get_context("fork")) as pool:
        pending: deque[tuple[_Job, Future[_Parsed]] | FileReport] = deque()
        for item in plan:
            pending.append((item, pool.submit(_parse_job, item)) if isinstance(item, _Job) else item)
            while len(pending) > PARSE_WORKERS + 1:
                yield _result(pending.popleft())
        while pending:
            yield _result(pending.popleft())


def _result(entry: tuple[_Job, Future[_Parsed]] | FileReport) -> FileReport | _Parsed:
    if isinstance(entry, FileReport):
        return entry
    job, future = entry
    try:
        return future.result()
    except BrokenProcessPool:  # the worker died (out of memory?): parse here instead
        return _parse_job(job)


def ingest_paths(
    catalog: Catalog,
    paths: list[str | Path],
    *,
    format: str | None = None,
    overrides: Overrides | None = None,
    skip_bad: bool = False,
    progress: Callable[[int], None] | None = None,
    on_file: Callable[[FileReport], None] | None = None,
) -> list[FileReport]:
    """Ingest files in order, each in its own transaction; parsing overlaps writing on big inputs."""
    plan = _plan(catalog, paths, format, overrides or Overrides(), skip_bad)
    reports = []
    for item in _parsed_in_order(plan):
        report = item if isinstance(item, FileReport) else _store(catalog, item, progress)
        reports.append(report)
        if on_file:
            on_file(report)
    return reports
