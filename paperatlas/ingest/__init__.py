"""Ingest: read files, detect their format, parse, clean, and store each file in one transaction.

``ingest_paths(catalog, paths)`` is what the CLI, the web import page and the benchmarks call;
it returns one ``FileReport`` per file and never raises for a bad file (the report carries the
error), so one bad file does not stop the others.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from ..catalog import Catalog, FileInfo
from ..errors import ParseError
from ..models import Record
from ..normalize import clean_record
from . import registry
from .base import ParseContext, Source

MAX_FILE_BYTES = 2 * 1024**3


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


def fingerprint(source: Source, format: str, overrides: Overrides) -> str:
    h = hashlib.sha256(source.data)
    h.update(json.dumps([format, asdict(overrides)], sort_keys=True).encode())
    return h.hexdigest()


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
    """Parse and store one source; a ParseError goes into the report, nothing of it is stored."""
    overrides = overrides or Overrides()
    report = FileReport(path=source.path)
    ctx = ParseContext(path=source.path, skip_bad=skip_bad, **asdict(overrides))
    key = label or str(Path(source.path).resolve())
    try:
        report.format = choose_parser(source, format)
        print_ = fingerprint(source, report.format, overrides)
        if (seen := catalog.unchanged_file(key, print_)) is not None:
            return _unchanged_report(report, seen)
        report.format, records = parse_source(source, ctx, report.format)
    except ParseError as exc:
        report.error, report.hint = f"{exc.where()}: {exc.message}", exc.hint
        return report
    report.claimed_total, report.page_venue, report.page_track = ctx.claimed_total, ctx.page_venue, ctx.page_track
    info = FileInfo(
        path=key,
        name=Path(source.path).name,
        fingerprint=print_,
        format=report.format,
        claimed_total=ctx.claimed_total,
        page_venue=ctx.page_venue,
        page_track=ctx.page_track,
    )
    result = catalog.write_batch(info, records, progress)
    for name in ("found", "new", "merged", "unchanged", "updated", "repeated"):
        setattr(report, name, getattr(result, name))
    report.warnings = ctx.warnings + [w for r in records for w in _record_warnings(r)] + result.warnings
    return report


def _unchanged_report(report: FileReport, seen: dict[str, object]) -> FileReport:
    """This exact file was ingested before: nothing to parse, nothing changes."""
    report.found = report.unchanged = int(seen["records"])  # type: ignore[call-overload]
    report.claimed_total = seen["claimed_total"]  # type: ignore[assignment]
    report.page_venue = seen["page_venue"]  # type: ignore[assignment]
    report.page_track = seen["page_track"]  # type: ignore[assignment]
    return report


def _record_warnings(rec: Record) -> list[str]:
    where = f"record {rec.position}" + (f" (line {rec.line})" if rec.line else "")
    return [f"{where}: {w}" for w in rec.warnings]


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
    reports = []
    for path in paths:
        try:
            source = read_source(path)
        except ParseError as exc:
            report = FileReport(path=str(path), error=f"{exc.where()}: {exc.message}", hint=exc.hint)
        else:
            report = ingest_source(
                catalog, source, format=format, overrides=overrides, skip_bad=skip_bad, progress=progress
            )
            del source
        reports.append(report)
        if on_file:
            on_file(report)
    return reports
