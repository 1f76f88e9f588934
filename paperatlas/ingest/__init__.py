"""Reading listings: detect a file's format, parse it, clean the records, and prepare them for
the store. Pure (no catalog), so it runs in worker processes; storing is
``services.ingest``, which the CLI, the web import page and the benchmarks call.

Formats register through one door (``registry.register``); the built-in parsers use it too.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import ParseError
from ..models import Record
from ..normalize import clean_record
from ..resolve.prepare import Prepared, prepare
from ..store.protocol import FileInfo
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
    review: int = 0  # new papers with a possible twin, queued for `paperatlas merges --pending`
    candidates: int = 0  # (record, paper) pairs that blocking found and the merge rules judged
    match_seconds: float = 0.0  # time spent finding and judging those candidates
    claimed_total: int | None = None
    page_venue: str | None = None
    page_track: str | None = None
    same_as: str | None = None  # unchanged: the stored file with this content (another path, maybe)
    paper_ids: list[str] = field(default_factory=list)  # the papers the file's records are in
    # records with each field filled in: title, authors, year, abstract, ids, code
    coverage: dict[str, int] = field(default_factory=dict)
    # source fields the parser saw and did not map onto a paper field (kept as the record's extra)
    unmapped: dict[str, int] = field(default_factory=dict)
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
        data.pop("paper_ids")  # (a file of 10k records would print 10k ids; `paperatlas papers` lists them)
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


def content_hash(raw: bytes) -> str:
    """Identity of a file's bytes (as stored on disk)."""
    return hashlib.sha256(raw).hexdigest()


def fingerprint(raw: bytes, format: str | None, overrides: Overrides, skip_bad: bool = False) -> str:
    """Identity of one ingest of a file: its bytes as stored on disk plus what the user asked."""
    h = hashlib.sha256(raw)
    h.update(json.dumps([format, asdict(overrides), skip_bad], sort_keys=True).encode())
    return h.hexdigest()


@dataclass
class ParseJob:
    """One file to parse: everything a worker process needs, nothing it cannot pickle."""

    path: str  # as given (for messages)
    key: str  # where the store records it was read (absolute path, or a label)
    fingerprint: str
    content_hash: str
    format: str | None
    overrides: Overrides
    skip_bad: bool
    source: Source | None = None  # given for pasted text; read from ``path`` otherwise


Parsed = tuple[FileReport, "FileInfo | None", list[Prepared]]


def parse_job(job: ParseJob) -> Parsed:
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
    report.warnings = ctx.warnings + [w for r in records for w in record_warnings(r)]
    report.coverage, report.unmapped = field_coverage(records), unmapped_fields(records)
    info = FileInfo(
        path=job.key,
        name=Path(job.path).name,
        fingerprint=job.fingerprint,
        content_hash=job.content_hash,
        format=report.format,
        claimed_total=ctx.claimed_total,
        page_venue=ctx.page_venue,
        page_track=ctx.page_track,
    )
    try:
        return report, info, prepare(records)
    except Exception as exc:  # noqa: BLE001 - a record the store cannot take must not take the other files down
        report.error = f"{job.path}: internal error while preparing the records ({type(exc).__name__}: {exc})"
        report.hint = "please report this with the file"
        return report, None, []




def record_warnings(rec: Record) -> list[str]:
    where = f"record {rec.position}" + (f" (line {rec.line})" if rec.line else "")
    return [f"{where}: {w}" for w in rec.warnings]


def field_coverage(records: list[Record]) -> dict[str, int]:
    """How many records have each main field."""
    return {
        "title": sum(1 for r in records if r.title), "authors": sum(1 for r in records if r.authors),
        "year": sum(1 for r in records if r.year is not None), "abstract": sum(1 for r in records if r.abstract),
        "ids": sum(1 for r in records if r.ids), "code": sum(1 for r in records if r.code_urls),
    }


def unmapped_fields(records: list[Record]) -> dict[str, int]:
    """Source fields kept only as ``extra`` (a parser's convention for what it did not map), with
    how many records had them; one level of nesting is named (``paper.summary``)."""
    seen: dict[str, int] = {}
    for rec in records:
        names: set[str] = set()
        for key, value in rec.extra.items():
            if isinstance(value, dict) and value:
                names.update(f"{key}.{sub}" for sub in value)
            else:
                names.add(str(key))
        for name in names:
            seen[name] = seen.get(name, 0) + 1
    return dict(sorted(seen.items(), key=lambda kv: (-kv[1], kv[0])))
